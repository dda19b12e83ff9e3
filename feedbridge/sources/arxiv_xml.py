"""Reading an arXiv XML document safely, and what every arXiv format's items share.

The XML is read with lxml alone, not with feedparser. feedparser treats an RSS
`description` as HTML and sanitizes it, so `$x<y$ and $a<b>c$` comes out as
`$x<b>c$`; it also accepts broken XML (the "bozo" flag) and turns dates into UTC
`struct_time`, dropping the offset arXiv wrote. Reading every field from one lxml
tree keeps each character of the text, rejects what is not well-formed, and avoids
lining up two parsers' views of the same items.

The parser is hardened: no entity expansion, no network, no DTD loading, no huge
trees; and a document with a DOCTYPE is refused outright (arXiv never sends one,
and a DTD is where billion-laughs and external entities live). libxml2's own limits
stay on: elements nested more than 256 deep, or one text of more than 10,000,000
bytes, refuse the document with a FeedError naming the line.

What a hostile or broken feed gets, so that one bad paper never costs the day:

- characters XML 1.0 forbids (C0 controls but tab, newline and carriage return,
  U+FFFE, U+FFFF, a surrogate written as ``&#xD800;``) make a document ill-formed;
  in a UTF-8 document (arXiv sends nothing else) they are dropped, bytes that are not
  UTF-8 become U+FFFD (as a browser shows them), and the document is read again,
  with one warning naming the first place;
- control characters XML allows (DEL and the C1 range U+0080..U+009F) carry no text
  in arXiv metadata, and a terminal may obey them: they are dropped from every field;
- an item without an arXiv id (or with one arXiv cannot have issued: month 13, version
  0), without a title (nothing but whitespace), repeating an id already read (the first
  is kept), or with fields larger than any real paper's (the ``MAX_*`` limits below) is
  skipped, each with a warning, and the rest of the feed is read; a paper is skipped
  rather than cut, so that nothing published is a mangled text;
- dates come from one source, the announcement (see `settle_dates`): an item dated
  another day, far in the future or unreadably is given the announcement's date, with
  one warning line; a feed with no usable date at all is refused;
- a feed whose items all lack what every arXiv item carries (authors, arXiv's own
  fields) is read, with one warning that its format may have changed (see `check_format`).

Every other character is kept as arXiv wrote it, markup and bidi controls included:
the renderers keep text as text and isolate it.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from typing import NamedTuple
from urllib.parse import urlsplit

from lxml import etree

from feedbridge.errors import FeedError
from feedbridge.model import Author, Paper, SourceFeed
from feedbridge.sources.arxiv_text import clean_name, joined, quoted

DC = "{http://purl.org/dc/elements/1.1/}"
ARXIV = "{http://arxiv.org/schemas/atom}"
ATOM = "{http://www.w3.org/2005/Atom}"
RSS1 = "{http://purl.org/rss/1.0/}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"

# "2504.17830" (since 2007) or "hep-th/9901001", "math.GT/0309136" (before).
ARXIV_ID = r"[0-9]{4}\.[0-9]{4,5}|[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/[0-9]{7}"
# With its version: "2504.17830v1".
ID_WITH_VERSION = rf"(?P<id>{ARXIV_ID})v(?P<version>[0-9]{{1,6}})"
# An id at the end of a guid or Atom id: "oai:arXiv.org:2504.17830v1",
# "http://arxiv.org/abs/hep-ph/0301050v2".
_ID_AT_END = re.compile(r"(?:^|[:/])" + ID_WITH_VERSION + r"$")
# arXiv writes "arXiv:<id>v<n> Announce Type: <type> \nAbstract: <abstract>".
_ANNOUNCE_PREFIX = re.compile(
    r"[ \t\r\n]*arXiv:" + ID_WITH_VERSION
    + r"(?:[ \t\r\n]+Announce Type:[ \t]*(?P<type>[\w-]+))?[ \t\r\n]+Abstract:[ \t]?"
)
_ERROR_CHANNEL_TITLE = "Feed error for query"
# An HTML page (an error page, a login wall), with or without an XML declaration first.
_HTML_PAGE = re.compile(
    rb"[ \t\r\n]*(?:<\?xml[^>]*\?>[ \t\r\n]*)?<(?:!doctype[ \t\r\n]+html|html)[ \t\r\n>]",
    re.IGNORECASE,
)

# An item past one of these is no paper's record (arXiv caps an abstract at 1,920
# characters; the longest author lists have about 5,000 names): it is skipped with a
# warning. Characters are counted as the feed holds the field, before wraps are joined.
MAX_TITLE_CHARS = 2_000
MAX_ABSTRACT_CHARS = 20_000  # the description with its announce prefix, or the summary
MAX_AUTHOR_CHARS = 1_000_000  # all author names and affiliations of one item together
MAX_AUTHORS = 10_000
MAX_CATEGORIES = 100
MAX_FIELD_CHARS = 20_000  # any other field: id, category, DOI, journal ref, licence, comment
MAX_ITEM_ELEMENTS = MAX_AUTHORS + MAX_CATEGORIES + 100  # children of one item, counted first
_FIELD_LIMITS = {"title": MAX_TITLE_CHARS, "description": MAX_ABSTRACT_CHARS, "summary": MAX_ABSTRACT_CHARS}
# Warnings listed one by one for a feed; the rest are counted in one more line.
MAX_ITEM_WARNINGS = 10
# Items named in one warning about dates; the rest are counted.
MAX_DATE_EXAMPLES = 3
# Characters of an item's own text (a title, a date) quoted in a warning.
QUOTE_CHARS = 60

# How far ahead of the caller's clock an announcement may be dated. arXiv announces at
# 20:00 New York time and dates the batch the next midnight, four hours ahead; a day
# more covers a clock that is off. Anything later is no announcement's date.
FUTURE_TOLERANCE = timedelta(days=1)
# arXiv opened in August 1991: an earlier date is no announcement's date either.
EARLIEST_DATE = datetime(1991, 8, 1, tzinfo=timezone.utc)

# Characters XML 1.0 cannot hold, and character references to them ("&#x1;", "&#xD800;").
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_CHAR_REFERENCE = re.compile(rb"&#(?:x0*(?P<hex>[0-9A-Fa-f]{1,8})|0*(?P<decimal>[0-9]{1,10}));")
# Control characters that XML allows but that carry no text: DEL and C1.
_CONTROL = re.compile("[\x7f-\x9f]")
_ENCODING_DECLARATION = re.compile(rb"<\?xml[^>]*?encoding=[\"'](?P<name>[A-Za-z0-9._-]+)")
_UTF16_OR_32_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
_LOCATION_IN_MESSAGE = re.compile(r",? line [0-9]+, column [0-9]+$")
# libxml2's errors for a character XML forbids or a byte sequence that is not UTF-8.
_MENDABLE = {
    etree.ErrorTypes.ERR_INVALID_CHAR, etree.ErrorTypes.ERR_INVALID_CHARREF,
    etree.ErrorTypes.ERR_INVALID_ENCODING,
}

# Reads a document's root element, by format, into its feed.
Reader = Callable[[etree._Element], SourceFeed]


class Unusable(Exception):
    """What is wrong with a document; read_feed adds the source and raises FeedError."""


class Skipped(Exception):
    """Why one item is left out; the rest of the feed is read, and a warning says why."""


class Malformed(Skipped):
    """The item lacks what every arXiv item has; when every item does, the feed is unusable."""


class NoId(Malformed):
    """The item has no arXiv id to find it by."""


class NoDate(Malformed):
    """Neither the item nor its feed has a date (only for readers that date items themselves)."""


class NoTitle(Malformed):
    """The item's title is empty or only whitespace."""


def read_feed(data: bytes, source: str, readers: Mapping[str, Reader]) -> SourceFeed:
    """Read one document with the reader for its root element's tag; `source` (URL or
    path) names it in error messages and starts each of its warnings.

    Raises FeedError, and nothing else, for anything that is not a usable arXiv feed.
    """
    try:
        root, repairs = _parse_xml(data)
        reader = readers.get(root.tag)
        if reader is None:
            raise Unusable(f"not a feed: the root element is <{root.tag}>")
        feed = reader(root)
    except Unusable as problem:
        raise FeedError(f"{source}: {problem}") from None
    warnings = tuple(f"{source}: {warning}" for warning in (*repairs, *feed.warnings))
    return SourceFeed(feed.title, feed.announced, feed.papers, warnings, degraded=feed.degraded)


# --- the document -------------------------------------------------------------


def _parse_xml(data: bytes) -> tuple[etree._Element, list[str]]:
    """Parse with a hardened parser, so that hostile XML can neither expand nor read files.

    A document that is ill-formed only through characters XML 1.0 forbids, or bytes that
    are not UTF-8, is mended and read again; the list says what was mended.
    """
    if not data.strip():
        raise Unusable("the document is empty")
    if _HTML_PAGE.match(data.removeprefix(b"\xef\xbb\xbf")):
        raise Unusable("an HTML page, not a feed")
    repairs = []
    try:
        root = _strict_parse(data)
    except etree.XMLSyntaxError as error:
        mended = _mended(data) if error.code in _MENDABLE else None
        if mended is None:
            raise Unusable(_syntax_problem(error)) from None
        try:
            root = _strict_parse(mended[0])
        except etree.XMLSyntaxError as still:  # broken beyond its characters: say where
            raise Unusable(_syntax_problem(still)) from None
        line, column = error.position
        repairs.append(f"{mended[1]} (the first at line {line}, column {column})")
    if root.getroottree().docinfo.doctype:
        raise Unusable("refused: the document has a DOCTYPE, which arXiv feeds never have")
    return root, repairs


def _strict_parse(data: bytes) -> etree._Element:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    return etree.fromstring(data, parser)


def _syntax_problem(error: etree.XMLSyntaxError) -> str:
    """libxml2's message in the user's terms: its limits are refusals, not a hint to lift them."""
    message = _LOCATION_IN_MESSAGE.sub("", joined(error.msg or str(error)))
    line, column = error.position
    if "depth" in message.lower():
        return f"refused: elements nested more than 256 deep (line {line}, column {column})"
    if "text node too long" in message.lower() or "huge text node" in message.lower():
        return f"refused: a text of more than 10,000,000 bytes (line {line}, column {column})"
    return f"not well-formed XML ({joined(str(error))})"


def _mended(data: bytes) -> tuple[bytes, str] | None:
    """A UTF-8 document with the characters XML 1.0 forbids dropped and the bytes that are
    not UTF-8 replaced by U+FFFD, and what was done; None when there is nothing to mend."""
    if data.startswith(_UTF16_OR_32_BOMS):
        return None
    declared = _ENCODING_DECLARATION.match(data.removeprefix(b"\xef\xbb\xbf"))
    if declared and declared["name"].lower() not in (b"utf-8", b"utf8"):
        return None
    text = data.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd") - data.count("\ufffd".encode())
    text, forbidden = _NOT_XML_CHAR.subn("", text)
    encoded = text.encode("utf-8")
    forbidden += sum(_forbidden_reference(r) for r in _CHAR_REFERENCE.finditer(encoded))
    mended = _CHAR_REFERENCE.sub(lambda r: b"" if _forbidden_reference(r) else r[0], encoded)
    done = []
    if forbidden:
        done.append(f"dropped {forbidden} characters that XML 1.0 forbids")
    if invalid:
        done.append(f"replaced {invalid} byte sequences that are not UTF-8 with U+FFFD")
    return (mended, "repaired: " + " and ".join(done)) if done else None


def _forbidden_reference(reference: re.Match[bytes]) -> bool:
    """Whether a character reference names a character XML 1.0 forbids ("&#x1;", "&#xD800;")."""
    value = int(reference["hex"], 16) if reference["hex"] else int(reference["decimal"])
    return value > 0x10FFFF or _NOT_XML_CHAR.match(chr(value)) is not None


def text_of(element: etree._Element | None) -> str:
    """All character data under an element as the XML encodes it, less DEL and C1 controls."""
    return "" if element is None else _CONTROL.sub("", "".join(element.itertext()))


def optional_text(element: etree._Element | None) -> str | None:
    """A field's joined text, or None when it is absent or empty."""
    return joined(text_of(element)) or None


def refuse_error_channel(title: str) -> None:
    """arXiv answers a query it cannot serve (a category it does not know) with a feed of
    this title and no items: an error, not an empty day."""
    if joined(title).startswith(_ERROR_CHANNEL_TITLE):
        raise Unusable(f"arXiv answered with an error: {quoted(title)}")


def require_arxiv_address(addresses: list[str]) -> None:
    """A feed is arXiv's when its own link or id is on arxiv.org; anything else is refused
    rather than read as an empty day."""
    if not any(_is_arxiv_url(address) for address in addresses):
        shown = ", ".join(quoted(a) for a in addresses if a.strip()) or "none"
        raise Unusable(f"not an arXiv feed: its links are not on arxiv.org (found: {shown})")


def _is_arxiv_url(url: str) -> bool:
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return False
    return host == "arxiv.org" or host.endswith(".arxiv.org")


# --- authors ----------------------------------------------------------------


def split_authors(creator: str) -> tuple[Author, ...]:
    """Split arXiv's one-string author list at commas outside parentheses.

    Parenthesized text is the author's affiliation: each group is kept whole, since the
    commas inside a group cannot tell affiliations from parts of an address. When the
    parentheses do not balance, they cannot be trusted: split at every comma and keep
    the text as names.
    """
    if not _parentheses_balance(creator):
        parts = creator.split(",")
        _limit("author list", len(parts), MAX_AUTHORS, "authors")
        return tuple(Author(name) for part in parts if (name := clean_name(part)))
    parts = [part for part in _split_outside_parentheses(creator) if part.strip()]
    _limit("author list", len(parts), MAX_AUTHORS, "authors")
    return tuple(_author(part) for part in parts)


def _parentheses_balance(text: str) -> bool:
    depth = 0
    for character in text:
        depth += {"(": 1, ")": -1}.get(character, 0)
        if depth < 0:
            return False
    return depth == 0


def _split_outside_parentheses(text: str) -> list[str]:
    parts, current, depth = [], [], 0
    for character in text:
        depth += {"(": 1, ")": -1}.get(character, 0)
        if character == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(character)
    parts.append("".join(current))
    return parts


def _author(part: str) -> Author:
    """One "Name (Affiliation) (Other affiliation)" entry, with balanced parentheses."""
    name, groups, group, depth = [], [], [], 0
    for character in part:
        if character == "(":
            depth += 1
            if depth == 1:
                continue
        elif character == ")":
            depth -= 1
            if depth == 0:
                groups.append("".join(group))
                group = []
                continue
        (group if depth else name).append(character)
    affiliations = tuple(a for g in groups if (a := clean_name(g)))
    author_name = clean_name("".join(name))
    if not author_name:  # only parentheses: keep the text as the name rather than lose it
        return Author(clean_name(part))
    return Author(author_name, affiliations)


# --- shared item logic ------------------------------------------------------


@dataclass(frozen=True)
class Announcement:
    """What the `arXiv:<id>v<n> Announce Type: <type> \\nAbstract:` prefix says."""

    arxiv_id: str | None
    version: int | None
    announce_type: str | None
    abstract: str


def read_announcement(description: str) -> Announcement:
    """Split arXiv's announce prefix from the abstract; text without the prefix is all abstract."""
    match = _ANNOUNCE_PREFIX.match(description)
    if match is None:
        return Announcement(None, None, None, joined(description))
    return Announcement(
        match["id"], int(match["version"]), match["type"], joined(description[match.end():])
    )


def id_and_version(identifier: str, announcement: Announcement, title: str) -> tuple[str, int]:
    """The versioned id from a guid or Atom id, else from the announce prefix; an item
    with neither, or with only ids arXiv cannot have issued, is skipped (NoId)."""
    match = _ID_AT_END.search(identifier.strip())
    found = [(match["id"], int(match["version"]))] if match else []
    if announcement.arxiv_id is not None and announcement.version is not None:
        found.append((announcement.arxiv_id, announcement.version))
    for arxiv_id, version in found:
        if is_arxiv_id(arxiv_id, version):
            return arxiv_id, version
    if found:
        arxiv_id, version = found[0]
        raise NoId(f"its id {arxiv_id}v{version} is not an arXiv id (title {quoted(title, QUOTE_CHARS)})")
    raise NoId(f"it has no arXiv id (title {quoted(title, QUOTE_CHARS)})")


_YEAR_MONTH = re.compile(r"(?:^|/)(?P<year>[0-9]{2})(?P<month>[0-9]{2})(?:\.(?P<number>[0-9]+))?")


def is_arxiv_id(arxiv_id: str, version: int) -> bool:
    """Whether an id of ARXIV_ID's shape is one arXiv can have issued: a month 01 to 12,
    the new scheme from 0704 on with four digits until 1412 and five from 1501, and a
    version from 1."""
    parts = _YEAR_MONTH.search(arxiv_id)
    if parts is None or version < 1 or not 1 <= int(parts["month"]) <= 12:
        return False
    if parts["number"] is None:  # "hep-th/9901001": the old scheme
        return True
    year_month = parts["year"] + parts["month"]
    return "0704" <= year_month and len(parts["number"]) == (4 if year_month <= "1412" else 5)


def announce_type(item: etree._Element, announcement: Announcement) -> str:
    """arxiv:announce_type, else the description prefix, else "new" (the API has neither)."""
    return optional_text(item.find(ARXIV + "announce_type")) or announcement.announce_type or "new"


def unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def _check_limits(item: etree._Element) -> None:
    """Skip an item whose fields are larger than any real paper's (the MAX_* limits),
    before anything costly is done with them."""
    _limit("content", len(item), MAX_ITEM_ELEMENTS, "elements")
    author_chars = authors = categories = 0
    for child in item:
        if not isinstance(child.tag, str):  # a comment or processing instruction
            continue
        name = child.tag.rpartition("}")[2]
        size = sum(map(len, child.itertext())) + sum(map(len, child.attrib.values()))
        if name in ("creator", "author"):
            author_chars += size
            authors += name == "author"
            continue
        categories += name == "category"
        _limit(f"<{name}>", size, _FIELD_LIMITS.get(name, MAX_FIELD_CHARS), "characters")
    _limit("author list", author_chars, MAX_AUTHOR_CHARS, "characters")
    _limit("author list", authors, MAX_AUTHORS, "authors")
    _limit("category list", categories, MAX_CATEGORIES, "categories")


def _limit(field: str, size: int, limit: int, unit: str) -> None:
    if size > limit:
        raise Skipped(f"its {field} has {size:,} {unit}, more than the limit of {limit:,}")


def has_text(text: str) -> bool:
    """Whether a field holds a letter, digit, mark of punctuation or symbol, not only spaces
    and invisible characters (NBSP, zero-width spaces, bidi controls)."""
    return any(unicodedata.category(character)[0] in "LNPS" for character in text)


class _Warnings:
    """A feed's skipped items: one line each up to MAX_ITEM_WARNINGS, then only counted."""

    def __init__(self):
        self.lines: list[str] = []
        self.more = 0

    def add(self, line: str) -> None:
        if len(self.lines) < MAX_ITEM_WARNINGS:
            self.lines.append(line)
        else:
            self.more += 1

    def all(self) -> tuple[str, ...]:
        more = [f"{self.more} more items skipped"] if self.more else []
        return (*self.lines, *more)


@dataclass(frozen=True)
class ItemDate:
    """An item's own date as its feed wrote it: ``value`` None when it has none or it is
    unreadable, and then ``written`` is the text (empty when there was none)."""

    value: datetime | None
    written: str = ""


class Dated(NamedTuple):
    """A reader's item whose Paper is dated provisionally (`settle_dates` gives the final
    date), with the date the item itself wrote."""

    paper: Paper
    date: ItemDate


@dataclass(frozen=True)
class Items(SourceFeed):
    """What `read_items` found, with each paper's item number and own date for `settle_dates`."""

    numbers: tuple[int, ...] = ()
    dates: tuple[ItemDate, ...] = ()


def read_items(
    title: str, announced: datetime | None, items: Iterable[etree._Element],
    read: Callable[[etree._Element], Paper | Dated],
) -> Items:
    """Read every item; skip, each with a warning, an item without an id, a title or a
    date, one larger than any real paper, and one that repeats an id (the first of them is
    kept). ``read`` gives a Paper, whose date is taken as the item's own, or a `Dated`.

    A document whose items all lack an arXiv id (or a title or a date) is not an arXiv feed:
    publishing it as an empty day would hide the problem.
    """
    papers: dict[str, tuple[int, Paper, ItemDate]] = {}
    warnings, count, malformed, without_id = _Warnings(), 0, 0, 0
    for number, item in enumerate(items, start=1):
        count = number
        try:
            _check_limits(item)
            got = read(item)
            paper, own = got if isinstance(got, Dated) else (got, ItemDate(got.announced))
            if not has_text(paper.title):
                raise NoTitle(f"it has no title ({paper.arxiv_id}v{paper.version})")
        except Skipped as reason:
            malformed += isinstance(reason, Malformed)
            without_id += isinstance(reason, NoId)
            warnings.add(f"item {number} skipped: {reason}")
            continue
        if paper.arxiv_id in papers:
            first = papers[paper.arxiv_id][0]
            warnings.add(f"item {number} skipped: it repeats {paper.arxiv_id} of item {first}, which is kept")
            continue
        papers[paper.arxiv_id] = (number, paper, own)
    if count and without_id == count:
        raise Unusable(f"not an arXiv feed: none of its {count} items has an arXiv id")
    if count and malformed == count:
        raise Unusable(f"not an arXiv feed: none of its {count} items has an arXiv id, a title and a date")
    kept = list(papers.values())
    return Items(
        title=joined(title), announced=announced,
        papers=tuple(paper for _, paper, _ in kept), warnings=warnings.all(),
        numbers=tuple(number for number, _, _ in kept), dates=tuple(own for _, _, own in kept),
    )


def date_of(arxiv_id: str, *candidates: datetime | None) -> datetime:
    """The first readable date: the item's own, then the feed's. Every Paper needs a date,
    so an item that has none, in a feed that has none, is skipped (NoDate)."""
    for candidate in candidates:
        if candidate is not None:
            return candidate
    raise NoDate(f"it has no readable date, and neither has the feed ({arxiv_id})")


# --- dates: one source, checked ------------------------------------------------------


def settle_dates(feed: SourceFeed, now: datetime, channel_written: str = "") -> SourceFeed:
    """Give an announcement feed one date, checked, and every paper that date or its own.

    arXiv dates every item of an announcement with the announcement's day (midnight in
    New York), and the channel with the same. The rule:

    - a date is usable when it lies between EARLIEST_DATE and ``now`` plus FUTURE_TOLERANCE;
    - the announcement is the channel's date, unless a strict majority of the items that
      carry a usable date agree on another day: then theirs (the channel's date is one
      value, the items' are many independent ones); without a usable channel date, the
      items' most common day;
    - an item dated another day than the announcement, out of range or unreadably is given
      the announcement's date; an item that agrees keeps its own;
    - each correction is one warning line; a feed with papers and no usable date at all
      is refused (Unusable), and an empty one keeps no unusable date.

    ``channel_written`` is the channel's date as written, to say so when it is unreadable.
    """
    now = now if now.tzinfo else now.replace(tzinfo=timezone.utc)
    latest = now + FUTURE_TOLERANCE

    def usable(value: datetime | None) -> bool:
        return value is not None and EARLIEST_DATE <= value <= latest

    def unusable(value: datetime) -> str:
        if value > latest:
            return f"{_day(value)}, more than a day ahead of the clock ({now.date()})"
        return f"{_day(value)}, before arXiv began"

    own_dates = feed.dates if isinstance(feed, Items) else tuple(ItemDate(p.announced) for p in feed.papers)
    numbers = feed.numbers if isinstance(feed, Items) else tuple(range(1, len(feed.papers) + 1))
    channel = feed.announced
    dated = [own.value for own in own_dates if usable(own.value)]
    common, agreeing = _most_common_day(dated)
    notes = []
    if usable(channel) and (common is None or _same_day(channel, common) or 2 * agreeing <= len(dated)):
        announced = channel
    elif common is not None:
        announced = common
        if usable(channel):
            notes.append(f"the channel's date {_day(channel)} disagrees with {agreeing} of its {len(dated)}"
                         f" dated items, which say {_day(common)}: the items' date is used")
        elif channel is not None:
            notes.append(f"the channel's date {unusable(channel)}: the items' date {_day(common)} is used")
        elif channel_written.strip():
            notes.append(f"the channel's date {quoted(channel_written, QUOTE_CHARS)} is unreadable:"
                         f" the items' date {_day(common)} is used")
    elif feed.papers:
        found = [value for value in (channel, *(own.value for own in own_dates)) if value is not None]
        if found:
            raise Unusable(f"refused: it has no usable date (the first it has is {unusable(found[0])})")
        raise Unusable(f"none of its {len(feed.papers)} items has a readable date, and neither has the feed")
    else:
        announced = None
        if channel is not None:
            notes.append(f"the channel's date {unusable(channel)}: it is ignored")

    papers, moved, unreadable = [], [], []
    for number, paper, own in zip(numbers, feed.papers, own_dates):
        if usable(own.value) and _same_day(announced, own.value):
            papers.append(paper if paper.announced == own.value else replace(paper, announced=own.value))
            continue
        papers.append(replace(paper, announced=announced))
        which = f"item {number} ({paper.arxiv_id}v{paper.version}"
        if own.value is not None:
            moved.append(f"{which}, dated {_day(own.value)})")
        elif own.written.strip():
            unreadable.append(f"{which}, {quoted(own.written, QUOTE_CHARS)})")
    if moved:
        notes.append(f"{_items(len(moved))} dated other than the announcement ({_day(announced)})"
                     f" given its date: {_examples(moved)}")
    if unreadable:
        notes.append(f"{_items(len(unreadable))} with an unreadable date given the announcement's"
                     f" ({_day(announced)}): {_examples(unreadable)}")
    return SourceFeed(feed.title, announced, tuple(papers), (*feed.warnings, *notes), degraded=feed.degraded)


def _most_common_day(dates: Sequence[datetime]) -> tuple[datetime | None, int]:
    """The most common day among dates (each in its own offset, as arXiv writes New York's),
    as that day's most common date, and how many dates fall on it; ties go to the first."""
    days = Counter(value.date() for value in dates)
    if not days:
        return None, 0
    day, count = days.most_common(1)[0]
    return Counter(value for value in dates if value.date() == day).most_common(1)[0][0], count


def _same_day(announced: datetime, value: datetime) -> bool:
    """Whether ``announced`` falls on ``value``'s day, read in ``value``'s offset."""
    return announced.astimezone(value.tzinfo).date() == value.date()


def _day(value: datetime) -> date:
    return value.date()


def _items(count: int) -> str:
    return f"{count} item" if count == 1 else f"{count} items"


def _examples(examples: list[str]) -> str:
    shown = ", ".join(examples[:MAX_DATE_EXAMPLES])
    more = len(examples) - MAX_DATE_EXAMPLES
    return f"{shown} and {more} more" if more > 0 else shown


# --- a format that changed -----------------------------------------------------------


ARXIV_FIELDS = "arXiv's fields (arxiv:announce_type, arxiv:DOI, arxiv:journal_reference)"


def check_format(feed: SourceFeed, items: Sequence[etree._Element], *, authors: str,
                 arxiv_fields: bool) -> SourceFeed:
    """Warn, in one line, when no paper of the feed has what every arXiv item carries: the
    authors (``authors`` names where they are read from), and, where the format has them
    (``arxiv_fields``), the elements in arXiv's namespace. A namespace URI that drifts makes
    them vanish without an error; the feed is read as it is, and `SourceFeed.degraded`
    names what is missing."""
    if not feed.papers:
        return feed
    missing = {}
    if not any(paper.authors for paper in feed.papers):
        missing["authors"] = f"authors ({authors})"
    if arxiv_fields and not any(item.find(ARXIV + "*") is not None for item in items):
        missing["arxiv-fields"] = ARXIV_FIELDS
    if not missing:
        return feed
    line = f"no item has {' or '.join(missing.values())} — the feed's format may have changed"
    return replace(feed, warnings=(*feed.warnings, line), degraded=tuple(missing))
