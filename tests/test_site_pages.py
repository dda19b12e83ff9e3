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


def test_in_a_phone_browser_only_failures_are_red(browser, served_index):
    phone = {"width": 360, "height": 740, "deviceScaleFactor": 2, "mobile": True}
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", phone)
    try:
        browser.get(served_index)
        colours = browser.execute_script(
            "return Array.from(document.querySelectorAll('li.feed > p.status:first-of-type'),"
            " p => [p.closest('li').className, getComputedStyle(p).color])")
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    red = "rgb(179, 38, 30)"
    assert [(cls, colour == red) for cls, colour in colours] == [
        ("feed status-stale", False), ("feed status-failed", True), ("feed status-partial", True)]
