"""Reader compatibility: the site read by the parsers real feed readers use.

A site is built once from the fixtures with the trained toy model (two days of the golden
scenario), then every feed file is read once by each client: feedparser, gofeed (Go,
Debian's package, GOPATH mode, offline), rss-parser, @extractus/feed-extractor and feedsmith
(npm), and newsboat; feed-extractor and feedsmith read the JSON Feed next to each Atom file
too. For each client and each entry: the translated title; the translated sentences in
order, then the original abstract; every author where the client models authors (and in
the content, for every client); the abstract page and the PDF reachable, as a link the
client exposes or in the content it exposes. The Nu HTML Checker checks
every page, and the two warnings the W3C feed validator gave (it cannot be installed
offline) are checked: one alternate link per type and language here, and entries that
share no atom:updated where the API dated them in tests/test_build.py (this site is built
offline, where arXiv's feeds give every entry of a day one date). Clients are installed by `make test` (tests/support/readers.py
says where); a missing one skips, and fails in CI.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from feedbridge.render.jsonfeed import json_feed_path
from support import readers
from support.checks import require
from support.readers import (
    ATOM, CLIENTS, FEED_EXTRACTOR, FEEDPARSER, FEEDS, FEEDS_WITH_ENTRIES, GOFEED, JSON_FEED_CLIENTS, NEWSBOAT,
    Client,
)

READINGS = [(client, "xml") for client in CLIENTS] + [(client, "json") for client in JSON_FEED_CLIENTS]
READING_IDS = [f"{client.name}-{kind}" for client, kind in READINGS]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The built site's output folder, the toy model in folders of the module's own."""
    return readers.build_site_apart(tmp_path_factory.mktemp("readers-site"))


class Readings:
    """Each client's reading of each feed file, made once, when first asked for."""

    def __init__(self, site: Path, folder: Path):
        self.site = site
        self.folder = folder
        self.read: dict[tuple[str, Path], dict] = {}
        self.gofeed: Path | None = None

    def file(self, feed: str, kind: str) -> Path:
        path = self.site / (json_feed_path(feed) if kind == "json" else f"{feed}.{kind}")
        if kind == "json" and not path.exists():
            pytest.fail(f"the site has no JSON Feed {path.name} next to {feed}.xml: a JSON Feed 1.1 writer"
                        f" is expected beside the Atom one")
        return path

    def of(self, client: Client, feed: str, kind: str = "xml") -> dict:
        self.require(client)
        path = self.file(feed, kind)
        key = (client.name, path)
        if key not in self.read:
            if client is NEWSBOAT:
                self.read[key] = readers.read_with_newsboat(path, self.folder / f"newsboat-{feed}")
            elif client is FEEDPARSER:
                self.read[key] = readers.read_with_feedparser(path)
            elif client is GOFEED:
                if self.gofeed is None:
                    self.gofeed = readers.build_gofeed(self.folder / "gofeed")
                self.read[key] = readers.read_with_gofeed(self.gofeed, path)
            else:
                self.read[key] = readers.read_with_node(client, path)
        return self.read[key]

    @staticmethod
    def require(client: Client) -> None:
        if client is GOFEED:
            require(readers.have_gofeed(), "gofeed (golang-go and golang-github-mmcdole-gofeed-dev)")
        elif client is NEWSBOAT:
            require(readers.have_newsboat(), "newsboat")
        elif client is not FEEDPARSER:
            require(readers.have_node_client(client), f"{client.name} (npm, into .cache/npm)")


@pytest.fixture(scope="module")
def readings(site, tmp_path_factory) -> Readings:
    return Readings(site, tmp_path_factory.mktemp("readers"))


@pytest.fixture(scope="module")
def expected(site) -> dict[str, list[readers.Expected]]:
    return {feed: readers.expected_entries(site, feed) for feed in FEEDS}


def matched(readings: Readings, expected, client: Client, kind: str, feed: str) -> dict[str, dict]:
    items, problems = readers.match_items(readings.of(client, feed, kind), expected[feed])
    assert not problems, f"{client.name} reading {feed}.{kind}: " + "; ".join(problems)
    return items


def assert_none(problems: list[str], client: Client, feed: str, kind: str) -> None:
    assert not problems, f"{client.name} reading {feed}.{kind}, {len(problems)} problem(s):\n" + "\n".join(problems)


# --- the site under test --------------------------------------------------------------


def test_site_holds_the_feeds_translated_by_the_toy_model(site, expected):
    assert sorted(p.stem for p in site.glob("*.xml")) == sorted(FEEDS)
    assert [feed for feed in FEEDS if expected[feed]] == list(FEEDS_WITH_ENTRIES)
    for feed in FEEDS_WITH_ENTRIES:
        for entry in expected[feed]:
            assert not entry.not_translated, f"{feed}: {entry.arxiv_id} has sentences the toy model did not translate"
            # a translated sentence never reads as part of the original: the order check is sound
            assert entry.sentences and not any(s in entry.abstract for s in entry.sentences), entry.arxiv_id
    days = readers.announcement_days(expected["quant-ph.ja"])
    assert len(days) == readers.DAYS, "quant-ph.ja should hold both days' papers"


# --- every client, every entry --------------------------------------------------------


@pytest.mark.parametrize("feed", FEEDS)
@pytest.mark.parametrize(("client", "kind"), READINGS, ids=READING_IDS)
def test_client_reads_every_entry(readings, expected, client, kind, feed):
    if client is FEED_EXTRACTOR and kind == "xml" and not expected[feed]:
        # Its format check wants an <entry>: an Atom feed with none is refused, which no
        # feed can help (docs/readers.md); its JSON Feed, with "items": [], reads.
        with pytest.raises(AssertionError, match="Unrecognized feed format"):
            readings.of(client, feed, kind)
        return
    read = readings.of(client, feed, kind)
    title = etree.parse(str(readings.site / f"{feed}.xml")).getroot().findtext(f"{ATOM}title")
    assert read["title"] == title
    matched(readings, expected, client, kind, feed)


@pytest.mark.parametrize("feed", FEEDS_WITH_ENTRIES)
@pytest.mark.parametrize(("client", "kind"), READINGS, ids=READING_IDS)
def test_translated_title(readings, expected, client, kind, feed):
    items = matched(readings, expected, client, kind, feed)
    problems = [p for entry in expected[feed] for p in readers.title_problems(items[entry.arxiv_id], entry)]
    assert_none(problems, client, feed, kind)


@pytest.mark.parametrize("feed", FEEDS_WITH_ENTRIES)
@pytest.mark.parametrize(("client", "kind"), READINGS, ids=READING_IDS)
def test_translation_in_order_before_the_original(readings, expected, client, kind, feed):
    items = matched(readings, expected, client, kind, feed)
    problems = [p for entry in expected[feed]
                for p in readers.translation_problems(items[entry.arxiv_id].get("content"), client, entry, "content")]
    assert_none(problems, client, feed, kind)


@pytest.mark.parametrize("feed", FEEDS_WITH_ENTRIES)
@pytest.mark.parametrize(("client", "kind"), [r for r in READINGS if r[0].summary_checked],
                         ids=[i for r, i in zip(READINGS, READING_IDS) if r[0].summary_checked])
def test_summary_holds_the_translation_before_the_original(readings, expected, client, kind, feed):
    """gofeed's Description (the Atom summary): what Go readers show in a list or a preview."""
    items = matched(readings, expected, client, kind, feed)
    problems = [p for entry in expected[feed]
                for p in readers.translation_problems(items[entry.arxiv_id].get("summary"), client, entry, "summary")]
    assert_none(problems, client, feed, kind)


@pytest.mark.parametrize("feed", FEEDS_WITH_ENTRIES)
@pytest.mark.parametrize(("client", "kind"), READINGS, ids=READING_IDS)
def test_every_author(readings, expected, client, kind, feed):
    items = matched(readings, expected, client, kind, feed)
    problems = [p for entry in expected[feed] for p in readers.author_problems(items[entry.arxiv_id], client, entry)]
    assert_none(problems, client, feed, kind)


@pytest.mark.parametrize("feed", FEEDS_WITH_ENTRIES)
@pytest.mark.parametrize(("client", "kind"), READINGS, ids=READING_IDS)
def test_abstract_page_and_pdf_reachable(readings, expected, client, kind, feed):
    """As a link the client exposes (gofeed: Link, Links and enclosures; rss-parser: link and
    enclosure; feed-extractor: link; feedparser, feedsmith: every link; newsboat: the item's
    URL and enclosure), or in the content it exposes: an <a href>, or the URL written out
    where the client strips the tags (feed-extractor). As measured: the abstract page is a
    link everywhere; the PDF a link in feedparser and feedsmith, an <a href> in the content
    in gofeed, rss-parser and newsboat (they expose no rel="related" link)."""
    items = matched(readings, expected, client, kind, feed)
    problems = [p for entry in expected[feed] for p in readers.link_problems(items[entry.arxiv_id], client, entry)]
    assert_none(problems, client, feed, kind)


def test_clients_fail_on_a_scrambled_reading(site, expected):
    """The checks see a wrong reading: the original abstract before the translation, a
    missing author, no PDF."""
    entry = expected["quant-ph.ja"][0]
    body = f"<p>{entry.abstract}</p>" + "".join(f"<p>{s}</p>" for s in entry.sentences)
    item = {"title": entry.title, "content": body, "authors": list(entry.authors[1:]),
            "links": [f"https://arxiv.org/abs/{entry.arxiv_id}"]}
    assert readers.translation_problems(body, FEEDPARSER, entry, "content")
    assert readers.author_problems(item, FEEDPARSER, entry)
    assert [p for p in readers.link_problems(item, FEEDPARSER, entry) if "PDF" in p]
    pdf = f"https://arxiv.org/pdf/{entry.arxiv_id}v1"
    assert readers.link_problems({**item, "content": f'<a href="{pdf}">PDF</a>'}, FEED_EXTRACTOR, entry)
    assert not readers.link_problems({**item, "content": f"PDF: {pdf}"}, FEED_EXTRACTOR, entry)
    assert not readers.link_problems({**item, "content": f'<a href="{pdf}">PDF</a>'}, FEEDPARSER, entry)


# --- the Nu HTML Checker on every page -----------------------------------------------


def test_nu_html_checker_finds_no_error(site):
    require(readers.have_vnu(), "the Nu HTML Checker (npm vnu-jar, with a JRE)")
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= len(FEEDS) + 1  # a page per feed and the index
    errors = readers.vnu_errors(pages)
    assert not errors, f"{len(errors)} error(s):\n" + "\n".join(errors)


# --- the W3C feed validator's warnings -----------------------------------------------


@pytest.mark.parametrize("name", [f"{feed}.xml" for feed in FEEDS] + ["status.atom"])
def test_one_alternate_link_per_type_and_language(site, name):
    problems = readers.duplicate_alternates(etree.parse(str(site / name)).getroot())
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("feed", FEEDS_WITH_ENTRIES)
def test_entries_announced_on_different_days_differ_in_updated(site, expected, feed):
    """What the sources tell: the announcement day of each version (arXiv's feeds carry no
    version dates, only the day's batch; the API's are not in an offline build)."""
    updated = readers.entry_updates(etree.parse(str(site / f"{feed}.xml")).getroot())
    by_day: dict = {}
    for entry in expected[feed]:
        by_day.setdefault(entry.updated.date(), set()).add(updated[entry.id])
    days = sorted(by_day)
    shared = {value for n, day in enumerate(days) for other in days[n + 1:] for value in by_day[day] & by_day[other]}
    assert not shared, f"entries of different announcement days share atom:updated {shared}"
