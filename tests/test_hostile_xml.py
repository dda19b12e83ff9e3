"""Hostile and broken XML at the parse stage: each case ends in bounded time and memory,
with either a one-line FeedError naming the source and the place, or the feed read
with the bad item skipped (or the bad characters dropped) and a warning that says so.

Billion laughs and external entities in a DTD are refused in test_arxiv.py
(test_billion_laughs_is_refused_without_expanding, test_external_entities_are_never_read);
here the loopback server checks that nothing the document points at is ever fetched.
"""

from __future__ import annotations

import resource
import tracemalloc

import pytest

from feedbridge.model import SourceFeed
from feedbridge.sources.arxiv_rss import parse_feed
from feedbridge.sources.arxiv_xml import MAX_AUTHORS, MAX_CATEGORIES, MAX_ITEM_WARNINGS, MAX_TITLE_CHARS
from feedbridge.errors import FeedError
from support.feeds import rss2, rss2_item

SOURCE = "https://rss.arxiv.org/rss/quant-ph"
MiB = 2**20


def feed_error(data: bytes) -> str:
    """The FeedError's message, checked to be one line naming the source."""
    with pytest.raises(FeedError) as caught:
        parse_feed(data, SOURCE)
    message = str(caught.value)
    assert message.startswith(f"{SOURCE}: ") and "\n" not in message
    return message


def peak_python_memory(call) -> tuple[object, int]:
    """What call() returned and the most memory Python held meanwhile (lxml's own is not counted)."""
    tracemalloc.start()
    try:
        result = call()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def max_rss() -> int:
    """The process's peak resident memory so far, in bytes (lxml's memory included)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def ids(feed: SourceFeed) -> list[str]:
    return [f"{p.arxiv_id}v{p.version}" for p in feed.papers]


# --- nothing the document points at is read -------------------------------------


def test_nothing_a_document_points_at_is_fetched(http_server, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    dtd, entity, xinclude, stylesheet = (f"{http_server.url}/{name}" for name in ("d.dtd", "e", "x", "s.xsl"))
    for path in ("/d.dtd", "/e", "/x", "/s.xsl"):
        http_server.serve(path, b'<!ENTITY leak "LEAKED">')
    includes = "".join(f'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="{href}" parse="text"/>'
                       for href in (xinclude, secret.as_uri()))
    body = rss2(rss2_item("2504.00001v1", abstract=f"Before {includes} after."))
    with_stylesheet = body.replace(b"?>", f'?>\n<?xml-stylesheet type="text/xsl" href="{stylesheet}"?>'.encode(), 1)
    feed = parse_feed(with_stylesheet, SOURCE)  # no DOCTYPE: read, and nothing included
    assert feed.papers[0].abstract == "Before after." and feed.warnings == ()
    uses_entity = rss2(rss2_item("2504.00001v1", abstract="&x;"))
    for doctype in (f'<!DOCTYPE rss SYSTEM "{dtd}">', f'<!DOCTYPE rss [<!ENTITY x SYSTEM "{entity}">]>',
                    f'<!DOCTYPE rss [<!ENTITY % p SYSTEM "{dtd}"> %p;]>'):
        hostile = uses_entity.replace(b"<rss ", f"{doctype}\n<rss ".encode(), 1)
        assert feed_error(hostile) == f"{SOURCE}: refused: the document has a DOCTYPE, which arXiv feeds never have"
    assert http_server.requests == []


# --- deep nesting -------------------------------------------------------------------

DEEP = 100_000


@pytest.mark.parametrize("where", ["item", "channel", "title"])
def test_elements_nested_100000_deep_are_refused_at_once(where):
    nest = "<x>" * DEEP + "</x>" * DEEP
    item = rss2_item("2504.00001v1", title=nest if where == "title" else "A title",
                     extra=nest if where == "item" else "")
    body = rss2((nest if where == "channel" else "") + item)
    rss_before = max_rss()
    message, peak = peak_python_memory(lambda: feed_error(body))
    assert message.startswith(f"{SOURCE}: refused: elements nested more than 256 deep (line ")
    assert "XML_PARSE_HUGE" not in message  # libxml2's hint to lift its limit is not the user's fix
    assert peak < 16 * MiB and max_rss() - rss_before < 256 * MiB


def test_nesting_that_arxiv_could_send_is_read():
    """The limit is libxml2's 256 levels; a title with a few levels of markup is text."""
    feed = parse_feed(rss2(rss2_item("2504.00001v1", title="<b><i><sub>Deep</sub></i></b> title")), SOURCE)
    assert feed.papers[0].title == "Deep title"


# --- characters XML 1.0 forbids ------------------------------------------------------


@pytest.mark.parametrize("bad", [
    b"\x01", b"\x0b", b"\x1b", "\ufffe".encode(), "\uffff".encode(),
    b"&#x1;", b"&#11;", b"&#x0001;", b"&#xFFFE;", b"&#xD800;", b"&#xDFFF;", b"&#0;", b"&#x110000;",
])
def test_a_character_xml_forbids_is_dropped_and_the_feed_read(bad):
    body = rss2(rss2_item("2504.00001v1", title="Time T_BAD operator") + rss2_item("2504.00002v1"))
    feed = parse_feed(body.replace(b"T_BAD", b"T" + bad + b"w"), SOURCE)
    assert ids(feed) == ["2504.00001v1", "2504.00002v1"]
    assert feed.papers[0].title == "Time Tw operator"
    [warning] = feed.warnings
    assert warning.startswith(f"{SOURCE}: repaired: dropped 1 characters that XML 1.0 forbids"
                              " (the first at line 9, column ")


def test_bytes_that_are_not_utf8_become_replacement_characters():
    body = rss2(rss2_item("2504.00001v1", title="a T_BAD b", abstract="Lone surrogate S_BAD here."))
    body = body.replace(b"T_BAD", b"x\xffy\xc3(z").replace(b"S_BAD", b"\xed\xa0\x80")
    feed = parse_feed(body, SOURCE)
    assert feed.papers[0].title == "a x\ufffdy\ufffd(z b"
    assert feed.papers[0].abstract == "Lone surrogate \ufffd\ufffd\ufffd here."
    [warning] = feed.warnings
    assert warning.startswith(f"{SOURCE}: repaired: replaced 5 byte sequences that are not UTF-8 with U+FFFD"
                              " (the first at line 9, column ")


def test_controls_and_bad_bytes_together_make_one_warning():
    body = rss2(rss2_item("2504.00001v1", title="a\x01b")).replace(b"An abstract.", b"An &#x1b;abs\xfftract.")
    feed = parse_feed(body, SOURCE)
    assert (feed.papers[0].title, feed.papers[0].abstract) == ("ab", "An abs\ufffdtract.")
    [warning] = feed.warnings
    assert "repaired: dropped 2 characters that XML 1.0 forbids and replaced 1 byte sequences" in warning


def test_del_and_c1_controls_are_dropped_from_every_field_without_a_warning():
    """XML allows them; they carry no text, and feedparser would read \\x85 as '…'."""
    item = rss2_item("2504.00001v1", title="Quote\x93d\x94 \x7ftitle", abstract="An \x85abstract\x9b.")
    feed = parse_feed(rss2(item.replace("Ada Lovelace", "Ada\x80 Lovelace")), SOURCE)
    paper = feed.papers[0]
    assert (paper.title, paper.abstract, paper.authors[0].name) == ("Quoted title", "An abstract.", "Ada Lovelace")
    assert feed.warnings == ()


def test_a_document_broken_beyond_its_characters_is_still_a_feed_error():
    body = rss2(rss2_item("2504.00001v1", title="a\x01b"))
    message = feed_error(body[:-40])
    assert message.startswith(f"{SOURCE}: not well-formed XML (")


def test_a_document_in_another_encoding_is_not_mended():
    body = rss2(rss2_item("2504.00001v1", title="a\x01b")).replace(b"UTF-8", b"ISO-8859-1")
    assert "invalid Char value 1" in feed_error(body)


# --- ids ------------------------------------------------------------------------------

ATOM_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">
  <id>http://arxiv.org/api/x</id><title>arXiv Query</title><updated>2026-01-05T00:00:00-05:00</updated>
  <link href="http://arxiv.org/api/query" rel="self"/>{entries}
</feed>"""


def atom_entry(entry_id: str, title: str = "A title") -> str:
    return (f"<entry><id>{entry_id}</id><title>{title}</title><summary>An abstract.</summary>"
            "<published>2026-01-02T00:00:00Z</published><author><name>Ada Lovelace</name></author></entry>")


def test_an_item_without_an_id_is_skipped_with_a_warning_naming_it():
    no_id = rss2_item("x", guid=False, title="Nameless").replace("arXiv:x Announce Type: new \nAbstract: ", "")
    feed = parse_feed(rss2(rss2_item("2504.00001v1") + no_id + rss2_item("2504.00003v1")), SOURCE)
    assert ids(feed) == ["2504.00001v1", "2504.00003v1"]
    assert feed.warnings == (f'{SOURCE}: item 2 skipped: it has no arXiv id (title "Nameless")',)


def test_an_atom_entry_without_an_arxiv_id_is_skipped_with_a_warning():
    entries = atom_entry("http://arxiv.org/abs/2601.00001v2") + atom_entry("urn:uuid:1234", "Not a paper")
    feed = parse_feed(ATOM_FEED.format(entries=entries).encode(), SOURCE)
    assert ids(feed) == ["2601.00001v2"]
    assert feed.warnings == (f'{SOURCE}: item 2 skipped: it has no arXiv id (title "Not a paper")',)


def test_a_repeated_id_keeps_the_first_item_and_warns():
    items = [rss2_item("2504.00001v1", title="First"), rss2_item("2504.00002v1"),
             rss2_item("2504.00001v2", title="Second copy"), rss2_item("2504.00001v1", title="Third copy")]
    feed = parse_feed(rss2("".join(items)), SOURCE)
    assert [(p.arxiv_id, p.version, p.title) for p in feed.papers] == [
        ("2504.00001", 1, "First"), ("2504.00002", 1, "A title")]
    assert feed.warnings == (
        f"{SOURCE}: item 3 skipped: it repeats 2504.00001 of item 1, which is kept",
        f"{SOURCE}: item 4 skipped: it repeats 2504.00001 of item 1, which is kept",
    )


def test_warnings_are_one_line_and_cannot_reorder_the_message():
    no_id = rss2_item("x", guid=False, title="\u202eevil\u2067 title").replace(
        "arXiv:x Announce Type: new \nAbstract: ", "")
    feed = parse_feed(rss2(rss2_item("2504.00001v1") + no_id), SOURCE)
    [warning] = feed.warnings
    assert warning.endswith('(title "\\u202eevil\\u2067 title")')
    assert not any(c in warning for c in "\u202e\u2067\n")


def test_many_skipped_items_give_a_bounded_list_of_warnings():
    duplicates = rss2_item("2504.00001v1") * 5_000
    feed = parse_feed(rss2(duplicates), SOURCE)
    assert ids(feed) == ["2504.00001v1"]
    assert len(feed.warnings) == MAX_ITEM_WARNINGS + 1
    assert feed.warnings[-1] == f"{SOURCE}: {4_999 - MAX_ITEM_WARNINGS} more items skipped"


# --- absurdly long fields -------------------------------------------------------------


@pytest.mark.parametrize("field", ["title", "abstract"])
def test_a_50_mb_field_is_refused_by_the_parser_with_bounded_memory(field):
    """libxml2 stops at one text of 10,000,000 bytes, long before the document is in memory twice."""
    huge = "x" * (50 * MiB)
    body = rss2(rss2_item("2504.00001v1", **{field: huge}))
    del huge
    rss_before = max_rss()
    message, peak = peak_python_memory(lambda: feed_error(body))
    assert message.startswith(f"{SOURCE}: refused: a text of more than 10,000,000 bytes (line ")
    assert peak < 16 * MiB  # the document is never decoded into a Python string
    assert max_rss() - rss_before < 512 * MiB


def test_a_title_under_the_parsers_limit_but_past_any_papers_skips_the_item():
    long_title = "word " * (9 * MiB // 5)
    body = rss2(rss2_item("2504.00001v1", title=long_title) + rss2_item("2504.00002v1"))
    feed, peak = peak_python_memory(lambda: parse_feed(body, SOURCE))
    assert ids(feed) == ["2504.00002v1"]
    assert feed.warnings == (
        f"{SOURCE}: item 1 skipped: its <title> has {len(long_title):,} characters, more than the limit of 2,000",)
    assert peak < 64 * MiB  # the title is measured, never joined, split or kept


def test_a_long_but_real_title_and_abstract_are_kept_whole():
    title, abstract = "T" * MAX_TITLE_CHARS, "word " * 1_000
    feed = parse_feed(rss2(rss2_item("2504.00001v1", title=title, abstract=abstract)), SOURCE)
    assert (feed.papers[0].title, feed.papers[0].abstract) == (title, abstract.strip())


def test_a_million_authors_in_one_creator_skip_the_item_before_splitting():
    authors = ", ".join(f"A{i}" for i in range(1_000_000))  # 8.9 MB: under libxml2's text limit
    body = rss2(rss2_item("2504.00001v1").replace("Ada Lovelace", authors) + rss2_item("2504.00002v1"))
    feed, peak = peak_python_memory(lambda: parse_feed(body, SOURCE))
    assert ids(feed) == ["2504.00002v1"]
    assert feed.warnings == (
        f"{SOURCE}: item 1 skipped: its author list has {len(authors):,} characters, more than the limit of 1,000,000",)
    assert peak < 64 * MiB  # a million Author records would need several times this


def test_a_million_creator_elements_skip_the_item():
    body = rss2(rss2_item("2504.00001v1", extra="<dc:creator>B</dc:creator>" * 1_000_000) + rss2_item("2504.00002v1"))
    feed = parse_feed(body, SOURCE)
    assert ids(feed) == ["2504.00002v1"]
    [warning] = feed.warnings
    assert warning.startswith(f"{SOURCE}: item 1 skipped: its content has 1,000,0")
    assert warning.endswith(" elements, more than the limit of 10,200")


def test_more_authors_than_any_paper_has_skip_the_item_and_the_largest_real_lists_stay():
    too_many = ", ".join(f"A{i}" for i in range(MAX_AUTHORS + 1))
    most = ", ".join(f"A{i} (Lab {i % 7}, City)" for i in range(MAX_AUTHORS))
    body = rss2(rss2_item("2504.00001v1").replace("Ada Lovelace", too_many)
                + rss2_item("2504.00002v1").replace("Ada Lovelace", most))
    feed = parse_feed(body, SOURCE)
    assert ids(feed) == ["2504.00002v1"]
    assert len(feed.papers[0].authors) == MAX_AUTHORS
    assert feed.papers[0].authors[-1].affiliations == (f"Lab {(MAX_AUTHORS - 1) % 7}, City",)
    assert feed.warnings == (
        f"{SOURCE}: item 1 skipped: its author list has {MAX_AUTHORS + 1:,} authors, more than the limit of 10,000",)


def test_an_atom_entry_with_too_many_authors_or_categories_is_skipped():
    many_authors = "<author><name>A</name></author>" * (MAX_AUTHORS + 1)
    many_categories = '<category term="quant-ph"/>' * (MAX_CATEGORIES + 1)
    entries = "".join(
        atom_entry(f"http://arxiv.org/abs/2601.0000{n}v1").replace("</entry>", f"{extra}</entry>")
        for n, extra in ((1, many_authors), (2, many_categories), (3, ""))
    )
    feed = parse_feed(ATOM_FEED.format(entries=entries).encode(), SOURCE)
    assert ids(feed) == ["2601.00003v1"]
    assert feed.warnings == (
        f"{SOURCE}: item 1 skipped: its author list has {MAX_AUTHORS + 2:,} authors, more than the limit of 10,000",
        f"{SOURCE}: item 2 skipped: its category list has {MAX_CATEGORIES + 1:,} categories, more than the limit of 100",
    )
