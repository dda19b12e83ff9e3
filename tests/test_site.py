"""The site next to the feeds: index, one page per feed, OPML, status.json, and `serve`.

The site is built from real captures, with one quant-ph item made hostile: markup in
its title, abstract and authors must come out as text on every page and feed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import urllib.request
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
import pytest
from click.testing import CliRunner
from lxml import etree

from feedbridge.archive import Entry
from feedbridge.model import Author, FeedStatus
from feedbridge.sources.arxiv_rss import parse_feed
from feedbridge.cli import cli
from feedbridge.render.site import PagesWriter
from feedbridge.render.view import FeedView
from feedbridge.render.words import JAPANESE
from feedbridge.serve import make_server
from feedbridge.model import SentencePair, TranslatedPaper, Translation
from support.builds import build, tiny_model_installed
from support.checks import ATOM, assert_valid_atom, require_tool
from support.config import BASE_URL, write_config
from support.paths import QUANT_PH
from support.site import FEEDS, HOSTILE_SENTENCE, HOSTILE_TITLE, build_site


@pytest.fixture(scope="module")
def site(tmp_path_factory, tiny_argosmodel):
    folder = tmp_path_factory.mktemp("site")
    with tiny_model_installed(folder, tiny_argosmodel):
        return build_site(folder, BASE_URL)


def page(path: Path) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(path.read_bytes())


def test_every_output_is_there_and_every_feed_is_valid_atom(site):
    expected = {"index.html", "feeds.opml", "status.json", "status.atom", "style.css"}
    assert_valid_atom(site / "status.atom")
    for name in FEEDS:
        expected |= {f"{name}.xml", f"{name}.feed.json", f"{name}.html", f"archive/{name}.json"}
        assert_valid_atom(site / f"{name}.xml")
    assert {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()} == expected


def test_index_lists_every_feed_with_its_page_subscribe_link_and_status(site):
    index = page(site / "index.html")
    cards = index.cssselect("li.feed")
    assert len(cards) == len(FEEDS)
    for card, name in zip(cards, FEEDS):
        links = {a.get("href") for a in card.cssselect("a")}
        assert {f"{name}.html", f"{BASE_URL}{name}.xml"} <= links
        assert card.cssselect(".status")
    assert "status-empty" in cards[1].get("class")  # the holiday
    assert JAPANESE.statuses[FeedStatus.EMPTY] in cards[1].text_content()
    assert index.cssselect("a[href='feeds.opml']")
    # every feed is Japanese, so the index speaks it; arXiv's acknowledgement stays verbatim
    assert index.cssselect("h1")[0].text == JAPANESE.site_title
    footer = index.cssselect("footer")[0].text_content()
    assert "Thank you to arXiv for use of its open access interoperability." in footer
    assert JAPANESE.not_affiliated in footer


def test_pages_are_mobile_friendly_self_contained_and_labelled_by_language(site):
    for path in [site / "index.html", *(site / f"{name}.html" for name in FEEDS)]:
        document = page(path)
        assert document.get("lang") == "ja"  # the feeds' language: feedbridge has words for it
        assert document.cssselect("meta[name=viewport]")[0].get("content") == "width=device-width, initial-scale=1"
        csp = document.cssselect("meta[http-equiv=Content-Security-Policy]")[0].get("content")
        assert "default-src 'none'" in csp
        assert not document.cssselect("script, iframe, object, embed, img")
        for element in document.iter("link"):
            href = element.get("href")
            assert element.get("rel") == "alternate" or href == "style.css" or href == "data:,", href


def test_feed_page_labels_every_part_with_its_language(site):
    document = page(site / "quant-ph.ja.html")
    papers = document.cssselect("article.paper")
    assert len(papers) == 50
    for paper in papers:
        translated_title = bool(paper.cssselect(".original-title"))
        assert paper.cssselect("h2")[0].get("lang") == ("ja" if translated_title else "en")
        assert paper.cssselect(".authors")[0].get("lang") == "en"
        for sentence in paper.cssselect("ol.abstract li"):
            translation, original = sentence.cssselect("p")
            assert (translation.get("lang"), original.get("lang")) in {("ja", "en"), (None, "en")}
    links = {a.get("href") for a in papers[0].cssselect("a")}
    assert {"https://arxiv.org/abs/2504.17830", "https://arxiv.org/pdf/2504.17830v1"} <= links


def site_feed(entries) -> FeedView:
    return FeedView(
        name="quant-ph.ja", label="quant-ph", source_lang="en", target_lang="ja", language_name="Japanese",
        engine="Argos Translate", base_url="https://example.org/", status=FeedStatus.UPDATED, message="",
        entries=tuple(entries), last_day=None, updated=max(entry.updated for entry in entries), published=True,
    )


def render_feed_page(feed: FeedView) -> bytes:
    """The feed's page, as the site writer renders it."""
    pages = PagesWriter().render(feed)
    assert list(pages) == [f"{feed.name}.html"]
    return pages[f"{feed.name}.html"]


def test_each_translated_sentence_stands_above_its_original():
    paper = parse_feed(QUANT_PH.read_bytes(), "q").papers[0]
    pairs = (SentencePair("First <b>one</b>.", "最初の<b>文</b>。"), SentencePair("Second.", "Second.", translated=False))
    entry = Entry(
        TranslatedPaper(paper, "en", "ja", Translation((SentencePair(paper.title, "<script>時間</script>"),)),
                        Translation(pairs), "translate-en_ja 1.0"),
        published=paper.announced,
    )
    article = lxml.html.fromstring(render_feed_page(site_feed([entry]))).cssselect("article.paper")[0]
    title = article.cssselect("h2")[0]
    assert (title.get("lang"), title.text_content()) == ("ja", "<script>時間</script>")
    assert article.cssselect(".original-title")[0].text_content() == paper.title
    first, second = article.cssselect("ol.abstract li")
    assert [(p.get("lang"), p.text_content()) for p in first.cssselect("p")] == [
        ("ja", "最初の<b>文</b>。"), ("en", "First <b>one</b>.")]
    assert second.cssselect(".marker")[0].text_content() == JAPANESE.untranslated
    assert second.cssselect("p.original")[0].text_content() == "Second."
    assert not article.cssselect("script, b")


def test_markup_in_arxiv_text_is_shown_as_text_everywhere(site):
    for name in ("quant-ph.ja.html", "entanglement.ja.html"):
        raw = (site / name).read_text(encoding="utf-8")
        assert "<script>" not in raw and "<img" not in raw and "<i>Evil" not in raw
    document = page(site / "quant-ph.ja.html")
    text = document.text_content()
    assert HOSTILE_TITLE in text and HOSTILE_SENTENCE in text and "Mallory <i>Evil</i>" in text
    assert not document.cssselect("script, img, b, i, u")


def test_opml_lists_every_feed_with_absolute_urls(site):
    root = etree.parse(str(site / "feeds.opml")).getroot()
    assert root.tag == "opml" and root.get("version") == "2.0"
    outlines = root.findall("body/outline")
    assert [o.get("xmlUrl") for o in outlines] == [f"{BASE_URL}{name}.xml" for name in FEEDS]
    for outline in outlines:
        for attribute in ("xmlUrl", "htmlUrl"):
            url = urlsplit(outline.get(attribute))
            assert url.scheme == "http" and url.netloc == urlsplit(BASE_URL).netloc and url.path.startswith("/fb/")
        assert outline.get("type") == "rss" and outline.get("text")


def test_status_json_reports_each_feed(site):
    status = json.loads((site / "status.json").read_text())
    by_name = {feed["name"]: feed for feed in status["feeds"]}
    assert list(by_name) == FEEDS
    assert by_name["physics.ja"]["status"] == "empty" and by_name["physics.ja"]["entries"] == 0
    assert by_name["quant-ph.ja"]["status"] == "updated" and by_name["quant-ph.ja"]["last_announcement"] == "2025-04-28"
    assert all(feed["history"].startswith("new: ") for feed in status["feeds"])
    assert status["previous"].startswith("none (--offline")


def test_summary_file_gets_a_markdown_table(tmp_path, installed_model):
    out = build_site(tmp_path, BASE_URL)
    summary = tmp_path / "summary.md"
    result = build("--config", tmp_path / "feeds.yaml", "--from-dir", tmp_path / "saved", "--offline",
                   "--summary", summary, "--out", out)
    assert result.exit_code == 0
    lines = summary.read_text().splitlines()
    assert lines[0].startswith("| feed | status |")
    assert any(line.startswith("| quant-ph.ja | stale |") for line in lines)


def test_serve_binds_loopback_and_gives_feed_media_types(served):
    base_url, _ = served
    assert urlsplit(base_url).hostname == "127.0.0.1"
    for name, media_type in (("index.html", "text/html"), ("quant-ph.ja.xml", "application/atom+xml"),
                             ("feeds.opml", "text/x-opml"), ("style.css", "text/css")):
        with urllib.request.urlopen(base_url + name) as response:
            assert response.headers["Content-Type"].startswith(media_type)


def test_serve_refuses_a_missing_folder(tmp_path):
    result = CliRunner().invoke(cli, ["serve", "--out", str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_newsboat_imports_the_opml_and_reads_every_feed(served, tmp_path):
    """A real reader: newsboat imports the OPML, then fetches each feed from the loopback site."""
    require_tool("newsboat")
    base_url, out = served
    home = tmp_path / "newsboat"
    home.mkdir()
    options = ["-u", str(home / "urls"), "-c", str(home / "cache.db"), "-C", os.devnull]
    run = lambda *args: subprocess.run(  # noqa: E731
        ["newsboat", *options, *args], env={**os.environ, "HOME": str(home)},
        capture_output=True, text=True, timeout=120, check=True,
    )
    run("-i", str(out / "feeds.opml"))
    assert (home / "urls").read_text().split() == [f"{base_url}{name}.xml" for name in FEEDS]
    unread = run("-x", "reload", "print-unread").stdout
    expected = sum(len(etree.parse(str(out / f"{name}.xml")).getroot().findall("{http://www.w3.org/2005/Atom}entry"))
                   for name in FEEDS if name != "entanglement.ja")  # the topic's papers are quant-ph's too
    assert unread.split()[0] == str(expected), unread


def test_no_feed_written_means_no_subscribe_link(tmp_path, installed_model):
    """A feed that failed its first run has no file: the site does not point at one."""
    saved = tmp_path / "saved"
    saved.mkdir()
    shutil.copy(QUANT_PH, saved / "quant-ph.xml")
    config = write_config(tmp_path, feeds=["quant-ph", "cs.AI"])
    result = build("--config", config, "--from-dir", saved, "--offline")
    assert result.exit_code == 4
    cards = page(tmp_path / "out/index.html").cssselect("li.feed")
    assert "status-failed" in cards[1].get("class")
    assert f"{BASE_URL}cs.AI.ja.xml" not in {a.get("href") for a in cards[1].cssselect("a")}
    outlines = etree.parse(str(tmp_path / "out/feeds.opml")).getroot().findall("body/outline")
    assert [o.get("xmlUrl") for o in outlines] == [f"{BASE_URL}quant-ph.ja.xml"]


def test_serve_says_in_one_line_when_the_port_is_taken(tmp_path):
    taken = make_server(tmp_path, 0)
    try:
        result = CliRunner().invoke(cli, ["serve", "--out", str(tmp_path), "--port", str(taken.server_address[1])])
    finally:
        taken.server_close()
    assert result.exit_code == 1
    assert result.output.startswith("Error: 127.0.0.1:") and "cannot listen" in result.output


def test_control_characters_from_a_history_cannot_break_a_page():
    """A paper read back from a published archive may hold what the parser never lets in."""
    paper = replace(parse_feed(QUANT_PH.read_bytes(), "q").papers[0], title="Broken\x01 \x85title",
                    authors=(Author("Ada\x0b Lovelace"),), journal_ref="J.\x1b Ref")
    entry = Entry(
        TranslatedPaper(paper, "en", "ja", Translation((SentencePair(paper.title, "訳\x0c"),)),
                        Translation((SentencePair("One\x08.", "一\x9b。"),)), "translate-en_ja 1.0"),
        published=paper.announced,
    )
    page = render_feed_page(site_feed([entry]))
    assert not re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]|\xc2[\x80-\x9f]", page)
    article = lxml.html.fromstring(page).cssselect("article.paper")[0]
    assert article.cssselect(".original-title")[0].text_content() == "Broken title"
    assert [b.text_content() for b in article.cssselect(".authors bdi")] == ["Ada Lovelace"]
    assert [p.text_content() for p in article.cssselect("ol.abstract p")] == ["一。", "One."]


def test_a_title_partly_translated_reads_the_same_on_the_page_as_in_the_feed():
    """The page once joined only the translated parts of a title while the Atom joined
    every part: one sentence refused, and the page lost it."""
    from feedbridge.render.atom import render_atom

    paper = parse_feed(QUANT_PH.read_bytes(), "q").papers[0]
    title = Translation((SentencePair("Part one.", "第一部。"), SentencePair("Part two.", "Part two.", translated=False)))
    entry = Entry(TranslatedPaper(paper, "en", "ja", title, Translation(()), "translate-en_ja 1.0"), paper.announced)
    feed = site_feed([entry])
    heading = lxml.html.fromstring(render_feed_page(feed)).cssselect("article.paper h2")[0].text_content()
    atom_title = etree.fromstring(render_atom(feed)).find(f"{ATOM}entry/{ATOM}title").text
    assert heading == "第一部。 Part two."
    assert atom_title.startswith(heading + " — ")
