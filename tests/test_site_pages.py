"""The site's pages as a reader meets them: which states look like errors, feed URLs that
break only between their parts on a phone, and a feed's papers split by announcement day."""

from __future__ import annotations

import re
import shutil
import threading
from dataclasses import replace
from pathlib import Path
from datetime import date, datetime, timedelta, timezone
from importlib import resources

import lxml.html
import pytest

from feedbridge.archive import Entry, archive_path
from feedbridge.archive_file import dump, load
from feedbridge.config import load_config
from feedbridge.model import FeedStatus, SentencePair, TranslatedPaper, Translation
from feedbridge.render.site import IndexWriter, PagesWriter, StylesheetWriter, page_days
from feedbridge.render.view import FeedView, SiteView
from feedbridge.serve import make_server
from feedbridge.sources.arxiv_rss import parse_feed
from feedbridge.verify import verify_site
from support.builds import tiny_model_installed
from support.config import BASE_URL
from support.paths import QUANT_PH
from support.site import build_site

ERROR_RED = "#b3261e"
LONG_BASE = "https://feeds.translations.example.org/arxiv/machine-translated/"


def feed_view(name: str, status: FeedStatus, entries=(), base_url: str = "https://example.org/") -> FeedView:
    return FeedView(
        name=name, label=name.split(".")[0], source_lang="en", target_lang="ja", language_name="Japanese",
        engine="Argos Translate", base_url=base_url, status=status, message="why",
        entries=tuple(entries), last_day=None, updated=datetime(2025, 4, 25, tzinfo=timezone.utc), published=True,
    )


def index_of(*feeds: FeedView) -> lxml.html.HtmlElement:
    site = SiteView(feeds[0].base_url, tuple(feed.summary() for feed in feeds))
    return lxml.html.fromstring(IndexWriter().render(site)["index.html"])


# --- 1. only a failure looks like an error ------------------------------------------


def css_rules() -> list[tuple[list[str], str]]:
    """site.css as (selectors, declarations), comments and at-rule wrappers left out."""
    css = re.sub(r"/\*.*?\*/", "", resources.files("feedbridge.render").joinpath("site.css").read_text(), flags=re.S)
    return [([s.strip() for s in selectors.split(",")], body)
            for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css)]


def test_only_failed_and_partial_feeds_have_their_status_in_the_error_colour():
    red = {selector for selectors, body in css_rules() if ERROR_RED in body.lower() for selector in selectors}
    coloured = {match for selector in red for match in re.findall(r"\.status-([a-z]+)", selector)}
    assert coloured == {"failed", "partial"}


def test_a_stale_card_and_a_failed_card_carry_their_own_status_class():
    index = index_of(feed_view("a.ja", FeedStatus.STALE), feed_view("b.ja", FeedStatus.FAILED))
    assert [card.get("class") for card in index.cssselect("li.feed")] == ["feed status-stale", "feed status-failed"]


# --- 2. a feed URL breaks only after '/' or '.' ---------------------------------------


def test_a_feed_url_breaks_only_after_a_slash_or_a_dot_and_copies_as_itself():
    feed = feed_view("quant-ph.ja", FeedStatus.UPDATED, base_url=LONG_BASE)
    (span,) = index_of(feed).cssselect("li.feed .url")
    assert span.text_content() == feed.url(".xml")  # <wbr> adds no text: a copy is the URL
    # lxml's HTML parser knows no void <wbr> and nests what follows in it: walk every span.
    pieces = [piece.text for piece in span.iter("span") if piece is not span]
    assert "".join(pieces) == feed.url(".xml")
    assert [e.tag for e in span.iter() if e is not span] == ["span", *["wbr", "span"] * (len(pieces) - 1)]
    assert len(pieces) > 5  # it may break at all
    assert all(piece.endswith(("/", ".")) for piece in pieces[:-1]), pieces
    assert "https://" in pieces[0]  # never between the two slashes of the scheme


def test_wbr_is_written_as_a_void_element():
    site = SiteView(LONG_BASE, (feed_view("quant-ph.ja", FeedStatus.UPDATED, base_url=LONG_BASE).summary(),))
    html = IndexWriter().render(site)["index.html"]
    assert b"<wbr>" in html and b"</wbr>" not in html


@pytest.fixture
def served_index(tmp_path):
    """An index of a stale, a failed and a partial feed with long URLs, and its stylesheet, served on loopback."""
    feeds = tuple(feed_view(name, status, base_url=LONG_BASE).summary() for name, status in (
        ("quant-ph.ja", FeedStatus.STALE), ("entanglement.ja", FeedStatus.FAILED), ("hep-ex.ja", FeedStatus.PARTIAL)))
    site = SiteView(LONG_BASE, feeds)
    for writer in (IndexWriter(), StylesheetWriter()):
        for path, data in writer.render(site).items():
            (tmp_path / path).write_bytes(data)
    server = make_server(tmp_path, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    server.shutdown()
    server.server_close()


# Where each .url's lines end: the characters either side of each line break.
URL_LINE_BREAKS = """
return Array.from(document.querySelectorAll('.url'), span => {
  const chars = [];
  const walker = document.createTreeWalker(span, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (let i = 0; i < node.data.length; i++) {
      const range = document.createRange();
      range.setStart(node, i); range.setEnd(node, i + 1);
      chars.push([node.data[i], range.getBoundingClientRect().top]);
    }
  }
  const breaks = [];
  for (let i = 1; i < chars.length; i++) if (chars[i][1] > chars[i - 1][1] + 1) breaks.push(chars[i - 1][0] + chars[i][0]);
  return breaks;
});
"""


def test_in_a_phone_browser_urls_break_after_a_slash_or_a_dot_and_only_failures_are_red(browser, served_index):
    phone = {"width": 360, "height": 740, "deviceScaleFactor": 2, "mobile": True}
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", phone)
    try:
        browser.get(served_index)
        colours = browser.execute_script(
            "return Array.from(document.querySelectorAll('li.feed > p.status:first-of-type'),"
            " p => [p.closest('li').className, getComputedStyle(p).color])")
        breaks = browser.execute_script(URL_LINE_BREAKS)
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    red = "rgb(179, 38, 30)"
    assert [(cls, colour == red) for cls, colour in colours] == [
        ("feed status-stale", False), ("feed status-failed", True), ("feed status-partial", True)]
    assert all(breaks), "a URL that fits one line tests nothing"
    for line_breaks in breaks:
        assert all(pair[0] in "/." for pair in line_breaks), line_breaks


# --- 3. a feed's papers, one page per announcement day -------------------------------

NEWEST, MIDDLE, OLDEST = date(2025, 4, 29), date(2025, 4, 28), date(2025, 4, 25)


def three_days() -> list[Entry]:
    """Six real papers announced over three days, two a day, newest first; the newest day's
    second paper announced late in its day in New York, which is the next day in UTC."""
    papers = parse_feed(QUANT_PH.read_bytes(), "quant-ph").papers[:6]
    new_york = timezone(timedelta(hours=-4))
    moments = [datetime(day.year, day.month, day.day, hour, tzinfo=new_york)
               for day in (NEWEST, MIDDLE, OLDEST) for hour in (21, 0)]
    entries = []
    for paper, moment in zip(papers, moments, strict=True):
        paper = replace(paper, announced=moment)
        title = Translation((SentencePair(paper.title, f"訳 {paper.arxiv_id}"),))
        entries.append(Entry(TranslatedPaper(paper, "en", "ja", title, Translation(()), "translate-en_ja 1.0"), moment))
    return entries


def ids(page: lxml.html.HtmlElement) -> list[str]:
    return [article.get("id") for article in page.cssselect("article.paper")]


def test_a_window_of_three_days_has_a_page_for_the_newest_and_one_for_each_earlier_day():
    entries = three_days()
    feed = feed_view("quant-ph.ja", FeedStatus.UPDATED, entries)
    pages = PagesWriter().render(feed)
    assert list(pages) == ["quant-ph.ja.html", "quant-ph.ja/2025-04-28.html", "quant-ph.ja/2025-04-25.html"]
    assert tuple(pages) == PagesWriter().files(feed.name, page_days(entries))
    anchor = [f"arxiv-{entry.paper.arxiv_id.replace('/', '-')}" for entry in entries]

    main = lxml.html.fromstring(pages["quant-ph.ja.html"])
    assert ids(main) == anchor[:2]  # the newest day's papers only, 21:00 in New York included
    assert main.cssselect("h1")[0].text_content() == feed.title
    assert main.cssselect("header p.status") and main.cssselect("header a.button")  # status, subscribe
    day_links = [a.get("href") for a in main.cssselect("nav.days a")]
    assert day_links == ["quant-ph.ja/2025-04-28.html", "quant-ph.ja/2025-04-25.html"]
    assert main.cssselect("nav.days [aria-current=page]")[0].text_content() == NEWEST.isoformat()
    assert main.cssselect('link[rel="stylesheet"]')[0].get("href") == "style.css"

    for path, own, newer, older in (("quant-ph.ja/2025-04-28.html", anchor[2:4], "../quant-ph.ja.html",
                                     "2025-04-25.html"),
                                    ("quant-ph.ja/2025-04-25.html", anchor[4:], "2025-04-28.html", None)):
        page = lxml.html.fromstring(pages[path])
        assert ids(page) == own, path
        assert page.cssselect("h1")[0].text_content() == feed.title
        assert page.cssselect('link[rel="stylesheet"]')[0].get("href") == "../style.css"
        header_links = [a.get("href") for a in page.cssselect("header > p:first-child a")]
        assert header_links == ["../index.html", "../quant-ph.ja.html"]
        assert [a.get("href") for a in page.cssselect('nav.neighbours a[rel="prev"]')] == [newer]
        assert [a.get("href") for a in page.cssselect('nav.neighbours a[rel="next"]')] == ([older] if older else [])
        links = {a.get("href") for a in page.cssselect("nav.days a")}
        assert "../quant-ph.ja.html" in links and all(link.startswith("../quant-ph.ja") or link.endswith(".html")
                                                        for link in links)


def test_every_page_link_of_a_day_page_resolves_inside_the_site(tmp_path):
    pages = PagesWriter().render(feed_view("quant-ph.ja", FeedStatus.UPDATED, three_days()))
    for path in pages:
        page = lxml.html.fromstring(pages[path])
        folder = (tmp_path / path).parent
        for a in page.cssselect("nav a, header > p:first-child a"):
            target = (folder / a.get("href")).resolve().relative_to(tmp_path.resolve()).as_posix()
            assert target in {*pages, "index.html"}, (path, a.get("href"))


def test_a_window_of_one_day_has_no_day_pages_and_no_day_list():
    entries = [e for e in three_days() if e.updated.date() == MIDDLE]
    pages = PagesWriter().render(feed_view("quant-ph.ja", FeedStatus.UPDATED, entries))
    assert list(pages) == ["quant-ph.ja.html"]
    page = lxml.html.fromstring(pages["quant-ph.ja.html"])
    assert len(ids(page)) == 2 and not page.cssselect("nav")
    assert PagesWriter().files("quant-ph.ja", page_days(entries)) == ("quant-ph.ja.html",)
    assert PagesWriter().files("quant-ph.ja") == ("quant-ph.ja.html",)


@pytest.fixture(scope="module")
def paged_site(tmp_path_factory, tiny_argosmodel):
    """A built site whose quant-ph.ja window is given a second announcement day, its
    pages rendered again as a run would: a day page to lose and to find."""
    folder = tmp_path_factory.mktemp("paged")
    with tiny_model_installed(folder, tiny_argosmodel):
        site = build_site(folder, BASE_URL)
    return site, load_config(folder / "feeds.yaml")


def test_verify_expects_each_day_page_of_the_window_and_no_other(paged_site, tmp_path):
    built, config = paged_site
    site = Path(shutil.copytree(built, tmp_path / "site"))
    name = "quant-ph.ja"
    archive = load((site / archive_path(name)).read_bytes(), name)
    assert archive.entries
    # Move the older half of the window to the day before, as a second day of the window would be.
    half = len(archive.entries) // 2
    earlier = tuple(replace(e, translated=replace(e.translated, paper=replace(
        e.paper, announced=e.paper.announced - timedelta(days=1)))) for e in archive.entries[half:])
    day = earlier[0].updated.date()
    archive = replace(archive, entries=archive.entries[:half] + earlier,
                      days=tuple(sorted({*archive.days, day})))
    (site / archive_path(name)).write_bytes(dump(archive, name))
    day_page = f"{name}/{day.isoformat()}.html"
    assert any(f"{day_page}: missing" == str(p) for p in verify_site(site, config, config.base_url))

    view = feed_view(name, FeedStatus.UPDATED, archive.entries)
    for path, data in PagesWriter().render(view).items():
        (site / path).parent.mkdir(exist_ok=True)
        (site / path).write_bytes(data)
    assert (site / day_page).is_file()
    problems = [str(p) for p in verify_site(site, config, config.base_url)]
    assert not [p for p in problems if p.startswith(f"{name}/") or p.startswith(f"{name}.html")], problems

    stray = site / name / "2025-01-01.html"
    stray.write_bytes((site / day_page).read_bytes())
    problems = [str(p) for p in verify_site(site, config, config.base_url)]
    assert f"{name}/2025-01-01.html: not part of the site" in problems


def test_the_pages_of_a_feed_whose_archive_cannot_be_read_are_just_its_page(paged_site, tmp_path):
    built, config = paged_site
    site = Path(shutil.copytree(built, tmp_path / "site"))
    (site / archive_path("quant-ph.ja")).write_bytes(b"{")
    (site / "quant-ph.ja").mkdir()
    (site / "quant-ph.ja" / "2025-04-28.html").write_bytes((site / "quant-ph.ja.html").read_bytes())
    problems = [str(p) for p in verify_site(site, config, config.base_url)]
    assert "quant-ph.ja/2025-04-28.html: not part of the site" in problems
    assert not any(p.startswith("quant-ph.ja.html") for p in problems)


def test_a_day_page_in_a_browser_loads_the_stylesheet_and_its_links_lead_to_pages(browser, tmp_path):
    """A day page lies a folder down: its stylesheet, index and neighbour links must still resolve."""
    feed = feed_view("quant-ph.ja", FeedStatus.UPDATED, three_days())
    site = SiteView(feed.base_url, (feed.summary(),))
    for writer, view in ((IndexWriter(), site), (StylesheetWriter(), site), (PagesWriter(), feed)):
        for path, data in writer.render(view).items():
            (tmp_path / path).parent.mkdir(exist_ok=True)
            (tmp_path / path).write_bytes(data)
    server = make_server(tmp_path, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        browser.get(base + "quant-ph.ja/2025-04-28.html")
        assert browser.execute_script("return document.styleSheets[0].cssRules.length") > 0  # ../style.css
        hrefs = browser.execute_script("return Array.from(document.querySelectorAll('header a, nav a'), a => a.href)")
    finally:
        server.shutdown()
        server.server_close()
    local = {href.removeprefix(base) for href in hrefs if href.startswith(base)}
    assert local == {"index.html", "quant-ph.ja.html", "quant-ph.ja/2025-04-25.html"}
    assert all((tmp_path / path).is_file() for path in local)
