"""The site's pages as a reader meets them: which states look like errors, feed URLs that
break only between their parts on a phone, and a feed's papers split by announcement day."""

from __future__ import annotations

import re
import threading
from datetime import datetime, timezone
from importlib import resources

import lxml.html
import pytest

from feedbridge.model import FeedStatus
from feedbridge.render.site import IndexWriter, StylesheetWriter
from feedbridge.render.view import FeedView, SiteView
from feedbridge.serve import make_server

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
