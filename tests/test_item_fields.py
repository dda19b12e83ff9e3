"""Every field of an item checked: dates from one source, titles and ids that are real,
and a feed whose format changed under us said to be degraded.

Each case is the real quant-ph capture (2025-04-28, 81 items) with one thing changed.
The rules are `arxiv_xml.settle_dates`, `read_items` and `check_format`'s.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest
from lxml import etree

from feedbridge.render.words import JAPANESE
from feedbridge import archive
from feedbridge.archive import FeedArchive, Window
from feedbridge.errors import FeedError
from feedbridge.model import SentencePair, TranslatedPaper, Translation
from feedbridge.sources.arxiv_rss import parse_feed
from feedbridge.sources.saved import SavedFeeds
from support.feeds import day_document, items
from support.paths import API_SEARCH, QUANT_PH

SOURCE = "https://rss.arxiv.org/rss/quant-ph"
NEW_YORK_EDT = timezone(timedelta(hours=-4))
ANNOUNCED = datetime(2025, 4, 28, tzinfo=NEW_YORK_EDT)
FAR_FUTURE = "Fri, 01 Jan 2100 00:00:00 -0500"
DC = "{http://purl.org/dc/elements/1.1/}"
ARXIV_NS = "http://arxiv.org/schemas/atom"
# Control, format and line-breaking characters that must never reach a warning raw.
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def capture() -> etree._Element:
    return etree.parse(str(QUANT_PH)).getroot()


def document(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def item(root: etree._Element, number: int) -> etree._Element:
    """The capture's item ``number``, counted from 1 as the warnings count."""
    return root.find("channel").findall("item")[number - 1]


def read(root: etree._Element, **options):
    return parse_feed(document(root), SOURCE, **options)


def assert_safe(warnings) -> None:
    for warning in warnings:
        assert warning.startswith(f"{SOURCE}: ") and not UNSAFE.search(warning), warning


# --- dates: the announcement is one date, and a checked one ---------------------------


def test_a_far_future_item_is_given_the_announcements_date_and_pins_nothing():
    root = capture()
    item(root, 1).find("pubDate").text = FAR_FUTURE
    feed = read(root)
    assert len(feed.papers) == 81
    assert {p.announced for p in feed.papers} == {ANNOUNCED}
    assert feed.announced == ANNOUNCED
    assert feed.warnings == (
        f"{SOURCE}: 1 item dated other than the announcement (2025-04-28) given its date:"
        " item 1 (2504.17830v1, dated 2100-01-01)",)
    assert FeedArchive(tuple(archive.Entry(t, t.paper.announced) for t in translated(feed.papers))).newest == ANNOUNCED


def test_items_dated_another_day_than_the_channel_are_given_the_channels():
    root = capture()
    for number, stamp in ((2, "Sun, 27 Apr 2025 00:00:00 -0400"), (5, "Sat, 01 Mar 2025 00:00:00 -0500"),
                          (9, "Tue, 29 Apr 2025 00:00:00 -0400"), (40, "Mon, 01 Jan 1990 00:00:00 -0500")):
        item(root, number).find("pubDate").text = stamp
    feed = read(root)
    assert {p.announced for p in feed.papers} == {ANNOUNCED}
    [warning] = feed.warnings
    assert warning == (
        f"{SOURCE}: 4 items dated other than the announcement (2025-04-28) given its date:"
        " item 2 (2504.17837v1, dated 2025-04-27), item 5 (2504.17886v1, dated 2025-03-01),"
        " item 9 (2504.18045v1, dated 2025-04-29) and 1 more")


def test_an_item_on_the_announcement_day_at_another_hour_keeps_its_own_date():
    root = capture()
    item(root, 3).find("pubDate").text = "Mon, 28 Apr 2025 04:00:00 +0000"  # the same instant, in UTC
    item(root, 4).find("pubDate").text = "Mon, 28 Apr 2025 18:30:00 -0400"
    feed = read(root)
    assert feed.papers[3].announced == datetime(2025, 4, 28, 18, 30, tzinfo=NEW_YORK_EDT)
    assert feed.warnings == ()


@pytest.mark.parametrize("stamp, why", [
    (FAR_FUTURE, "the channel's date 2100-01-01, more than a day ahead of the clock"),
    ("Wed, 01 Jan 1800 00:00:00 -0500", "the channel's date 1800-01-01, before arXiv began"),
    ("Thu, 01 May 2025 00:00:00 -0400", "the channel's date 2025-05-01 disagrees with 81 of its 81 dated items,"
                                        " which say 2025-04-28"),
    ("soon", "the channel's date \"soon\" is unreadable"),
])
def test_a_wrong_channel_date_is_corrected_from_the_items(stamp, why):
    root = capture()
    root.find("channel/pubDate").text = stamp
    feed = read(root)
    assert feed.announced == ANNOUNCED
    assert {p.announced for p in feed.papers} == {ANNOUNCED}
    [warning] = feed.warnings
    assert warning.startswith(f"{SOURCE}: {why}") and warning.endswith("is used")
    assert "the items' date" in warning and "2025-04-28" in warning


def test_a_channel_date_a_minority_disagrees_with_stands():
    """Half the items against the channel is no majority: the channel's date is the announcement."""
    root = capture()
    for number in range(1, 41):
        item(root, number).find("pubDate").text = "Tue, 29 Apr 2025 00:00:00 -0400"
    feed = read(root)
    assert feed.announced == ANNOUNCED and {p.announced for p in feed.papers} == {ANNOUNCED}
    [warning] = feed.warnings
    assert warning.startswith(f"{SOURCE}: 40 items dated other than the announcement (2025-04-28) given its date:")


def test_a_wrong_channel_date_no_longer_freezes_the_feed_as_stale():
    """A batch once accepted with the channel's far-future date made every later batch
    'older than the last one', for ever."""
    groups = items()
    day_one, day_two = date(2025, 4, 28), date(2025, 4, 29)
    first = etree.fromstring(day_document(day_one, groups["new"][:20]))
    first.find("channel/pubDate").text = FAR_FUTURE
    batch = archive.batch_of(parse_feed(document(first), SOURCE))
    assert batch.announced == ANNOUNCED
    second = parse_feed(day_document(day_two, groups["new"][20:40]), SOURCE)
    assert archive.judge(batch, second).status == "fresh"


def test_a_channel_date_the_items_contradict_no_longer_publishes_the_feed_empty():
    """The window's days come from the batch's date and keep the entries dated since: with
    the channel a month ahead of its items, a new feed kept none of them."""
    root = capture()
    root.find("channel/pubDate").text = "Sun, 01 Jun 2025 00:00:00 -0400"
    feed = read(root)
    merged = archive.merge(FeedArchive(), translated(feed.papers), {"quant-ph": archive.batch_of(feed)}, Window())
    assert len(merged.entries) == 81 and merged.days == (date(2025, 4, 28),)


def test_a_feed_dated_wholly_in_the_far_future_is_refused():
    root = capture()
    for element in root.iter("pubDate"):
        element.text = FAR_FUTURE
    with pytest.raises(FeedError) as caught:
        read(root)
    assert str(caught.value).startswith(
        f"{SOURCE}: refused: it has no usable date (the first it has is 2100-01-01, more than a day ahead of the clock")


def test_an_empty_day_keeps_no_far_future_date():
    root = capture()
    for element in root.find("channel").findall("item"):
        root.find("channel").remove(element)
    root.find("channel/pubDate").text = FAR_FUTURE
    feed = read(root, now=datetime(2025, 4, 28, 9, tzinfo=timezone.utc))
    assert feed.papers == () and feed.announced is None
    assert feed.warnings == (
        f"{SOURCE}: the channel's date 2100-01-01, more than a day ahead of the clock (2025-04-28): it is ignored",)


def test_the_clock_is_the_callers():
    """arXiv goes out at 20:00 in New York dated the next midnight: four hours ahead is fine,
    a week ahead of the caller's clock is refused; the sources take the caller's clock."""
    data = QUANT_PH.read_bytes()
    evening_before = datetime(2025, 4, 27, 20, 0, tzinfo=NEW_YORK_EDT)
    assert parse_feed(data, SOURCE, now=evening_before).announced == ANNOUNCED
    with pytest.raises(FeedError, match=r"more than a day ahead of the clock \(2025-04-21\)"):
        parse_feed(data, SOURCE, now=datetime(2025, 4, 21, tzinfo=timezone.utc))


def test_saved_feeds_are_checked_against_the_clock_they_are_given(tmp_path):
    (tmp_path / "quant-ph.xml").write_bytes(QUANT_PH.read_bytes())
    assert SavedFeeds(tmp_path, clock=lambda: datetime(2025, 4, 28, 9, tzinfo=timezone.utc)).read("quant-ph").papers
    with pytest.raises(FeedError, match="ahead of the clock"):
        SavedFeeds(tmp_path, clock=lambda: datetime(2025, 1, 1, tzinfo=timezone.utc)).read("quant-ph")


@pytest.mark.parametrize("stamp", ["someday", "", "Mon, 31 Feb 2025 00:00:00 -0400", "Mon, 28 Apr 99999 00:00:00"])
def test_an_item_with_an_unreadable_date_is_given_the_announcements(stamp):
    root = capture()
    item(root, 3).find("pubDate").text = stamp
    feed = read(root)
    assert len(feed.papers) == 81 and feed.papers[2].announced == ANNOUNCED
    if stamp:
        assert feed.warnings == (
            f"{SOURCE}: 1 item with an unreadable date given the announcement's (2025-04-28):"
            f' item 3 (2504.17873v1, "{stamp}")',)
    else:  # an item that wrote no date is dated by its announcement, as every item is
        assert feed.warnings == ()


def test_without_a_channel_date_the_items_date_the_announcement_even_one_unreadable():
    """Before, one unreadable item date in a feed without a channel date refused the whole feed."""
    root = capture()
    channel = root.find("channel")
    channel.remove(channel.find("pubDate"))
    item(root, 7).find("pubDate").text = "someday"
    feed = read(root)
    assert feed.announced == ANNOUNCED and {p.announced for p in feed.papers} == {ANNOUNCED}
    assert feed.warnings == (
        f"{SOURCE}: 1 item with an unreadable date given the announcement's (2025-04-28):"
        ' item 7 (2504.17944v1, "someday")',)


def test_the_rss_services_atom_is_checked_like_the_rss():
    entry = """<entry><id>oai:arXiv.org:2508.0000{n}v1</id><title>Title {n}</title>
      <summary>arXiv:2508.0000{n}v1 Announce Type: new \nAbstract: Text.</summary>
      <published>{published}</published><arxiv:announce_type>new</arxiv:announce_type>
      <dc:creator>Ada Lovelace</dc:creator></entry>"""
    entries = "".join(entry.format(n=n, published=published) for n, published in (
        (1, "2025-08-20T00:00:00-04:00"), (2, "2100-01-01T00:00:00-05:00"), (3, "2025-08-20T00:00:00-04:00")))
    body = f"""<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="{ARXIV_NS}" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <id>http://rss.arxiv.org/atom/cs.AI</id><title>cs.AI updates on arXiv.org</title>
  <updated>2025-08-20T04:00:19.866337+00:00</updated>
  <link href="http://rss.arxiv.org/atom/cs.AI" rel="self"/>{entries}</feed>"""
    feed = parse_feed(body.encode(), SOURCE)
    assert [p.announced for p in feed.papers] == [datetime(2025, 8, 20, tzinfo=NEW_YORK_EDT),
                                                  feed.announced, datetime(2025, 8, 20, tzinfo=NEW_YORK_EDT)]
    assert feed.warnings == (
        f"{SOURCE}: 1 item dated other than the announcement (2025-08-20) given its date:"
        " item 2 (2508.00002v1, dated 2100-01-01)",)


# --- titles and ids -------------------------------------------------------------------


@pytest.mark.parametrize("title", ["", "   ", "\n\t  \n", "\u00a0\u2003", "\u200b\u200e", "<b> </b>"])
def test_an_item_without_a_usable_title_is_skipped_with_a_warning(title):
    root = capture()
    element = item(root, 2).find("title")
    if title.startswith("<"):  # markup with nothing in it
        element.text = None
        element.append(etree.fromstring(title))
    else:
        element.text = title
    feed = read(root)
    assert len(feed.papers) == 80 and "2504.17837" not in {p.arxiv_id for p in feed.papers}
    assert feed.warnings == (f"{SOURCE}: item 2 skipped: it has no title (2504.17837v1)",)


def test_a_feed_whose_items_all_lost_their_titles_is_refused():
    root = capture()
    for element in root.iter("item"):
        element.find("title").text = " "
    with pytest.raises(FeedError, match="none of its 81 items has an arXiv id, a title and a date"):
        read(root)


@pytest.mark.parametrize("bad", [
    "2513.00001v1",  # month 13
    "2500.00001v1",  # month 00
    "2504.17830v0",  # version 0
    "2504.1783v1",  # four digits after 2014
    "0703.0001v1",  # the new scheme began in April 2007
    "hep-th/9913001v1",  # month 13 in the old scheme
])
def test_an_item_whose_id_arxiv_cannot_have_issued_is_skipped(bad):
    root = capture()
    first = item(root, 1)
    first.find("guid").text = f"oai:arXiv.org:{bad}"
    description = first.find("description")
    description.text = description.text.replace("arXiv:2504.17830v1", f"arXiv:{bad}")
    feed = read(root)
    assert len(feed.papers) == 80 and feed.papers[0].arxiv_id == "2504.17837"
    assert feed.warnings == (
        f'{SOURCE}: item 1 skipped: its id {bad} is not an arXiv id'
        ' (title "Self-Adjoint Time Operator in a Weighted Energy Space")',)


def test_a_guid_arxiv_cannot_have_issued_gives_way_to_the_description_prefix():
    root = capture()
    item(root, 1).find("guid").text = "oai:arXiv.org:2513.17830v1"
    feed = read(root)
    assert (feed.papers[0].arxiv_id, feed.papers[0].version) == ("2504.17830", 1)
    assert feed.warnings == ()


def test_real_ids_of_every_scheme_are_kept():
    root = capture()
    for number, real in ((1, "0704.0001v1"), (2, "1412.9999v2"), (3, "1501.00001v1"), (4, "math.GT/0309136v2"),
                         (5, "hep-th/9108001v1")):
        element = item(root, number)
        element.find("guid").text = f"oai:arXiv.org:{real}"
    feed = read(root)
    assert [f"{p.arxiv_id}v{p.version}" for p in feed.papers[:5]] == [
        "0704.0001v1", "1412.9999v2", "1501.00001v1", "math.GT/0309136v2", "hep-th/9108001v1"]


# --- a feed that lost a field everywhere is degraded ------------------------------------


def test_a_feed_whose_items_all_lost_their_authors_is_degraded():
    root = capture()
    for creator in list(root.iter(DC + "creator")):
        creator.getparent().remove(creator)
    feed = read(root)
    assert len(feed.papers) == 81 and all(p.authors == () for p in feed.papers)
    assert feed.degraded == ("authors",)
    assert feed.warnings == (
        f"{SOURCE}: no item has authors (dc:creator) — the feed's format may have changed",)


def test_a_feed_whose_arxiv_namespace_drifted_is_degraded():
    drifted = QUANT_PH.read_bytes().replace(ARXIV_NS.encode(), b"http://arxiv.org/schemas/atom/2")
    feed = parse_feed(drifted, SOURCE)
    assert len(feed.papers) == 81 and not any(p.doi for p in feed.papers)
    assert feed.papers[0].announce_type == "new"  # the description's prefix still says it
    assert feed.degraded == ("arxiv-fields",)
    assert feed.warnings == (
        f"{SOURCE}: no item has arXiv's fields (arxiv:announce_type, arxiv:DOI, arxiv:journal_reference)"
        " — the feed's format may have changed",)


def test_both_namespaces_drifted_make_one_line():
    drifted = (QUANT_PH.read_bytes().replace(ARXIV_NS.encode(), b"urn:x-arxiv")
               .replace(b"http://purl.org/dc/elements/1.1/", b"urn:x-dc"))
    feed = parse_feed(drifted, SOURCE)
    assert feed.degraded == ("authors", "arxiv-fields")
    [warning] = feed.warnings
    assert warning.startswith(f"{SOURCE}: no item has authors (dc:creator) or arXiv's fields (")


def test_a_degraded_feed_is_named_in_the_output_status_and_index_and_fails_strict(tmp_path, installed_model):
    """Never silent: a build from a feed without authors publishes it, and says so in its
    output, status.json, --json and the index; --strict exits 4 on it."""
    import json

    from click.testing import CliRunner

    from feedbridge.cli import cli
    from feedbridge.errors import ExitCode
    from support.config import write_config

    root = capture()
    for creator in list(root.iter(DC + "creator")):
        creator.getparent().remove(creator)
    saved = tmp_path / "saved"
    saved.mkdir()
    (saved / "quant-ph.xml").write_bytes(document(root))
    config = write_config(tmp_path, feeds=["quant-ph"])
    args = ["build", "--config", str(config), "--from-dir", str(saved), "--json"]

    lenient = CliRunner().invoke(cli, args)
    strict = CliRunner().invoke(cli, [*args, "--strict"])

    assert lenient.exit_code == ExitCode.OK, lenient.stderr
    assert "no item has authors (dc:creator)" in lenient.stderr
    assert json.loads(lenient.stdout)["feeds"][0]["degraded"] == ["authors"]
    status = json.loads((tmp_path / "out" / "status.json").read_text())
    assert status["feeds"][0]["degraded"] == ["authors"]
    assert JAPANESE.lacking.format(what=JAPANESE.lacking_names["authors"]) in (tmp_path / "out" / "index.html").read_text()
    assert strict.exit_code == ExitCode.PARTIAL
    assert "Error: quant-ph.ja: arXiv sent the same batch" in strict.stderr
    assert "arXiv's feed had no authors in any item" in strict.stderr


def test_some_items_without_authors_are_no_degraded_feed():
    root = capture()
    for number in (1, 2, 3):
        element = item(root, number)
        element.remove(element.find(DC + "creator"))
    feed = read(root)
    assert feed.degraded == () and feed.warnings == ()


# --- warnings built from item content are bounded and inert -----------------------------


def test_warnings_quote_at_most_60_characters_of_an_item_and_escape_controls():
    root = capture()
    hostile = "\u202eevil\u2028" + "x" * 500
    first = item(root, 1)
    first.find("guid").text = "oai:arXiv.org:2513.00001v1"
    first.find("description").text = "Abstract: no prefix"
    first.find("title").text = hostile
    item(root, 2).find("pubDate").text = hostile
    feed = read(root)
    assert_safe(feed.warnings)
    assert len(feed.warnings) == 2
    assert all(len(w) < len(SOURCE) + 200 for w in feed.warnings), feed.warnings
    assert '"\\u202eevil\\u2028' + "x" * 50 in feed.warnings[0] and "x" * 61 not in feed.warnings[0]


# --- an answer of the API is a search, not an announcement --------------------------------


def test_an_api_answer_keeps_its_entries_own_dates():
    feed = parse_feed(API_SEARCH.read_bytes(), str(API_SEARCH), now=datetime(2026, 4, 13, tzinfo=timezone.utc))
    assert len({p.announced for p in feed.papers}) > 50 and feed.warnings == ()


# --- helpers ---------------------------------------------------------------------------


def translated(papers):
    def same(text):
        return Translation((SentencePair(text, text),))

    return [TranslatedPaper(p, "en", "ja", same(p.title), same(p.abstract), "same 1") for p in papers]
