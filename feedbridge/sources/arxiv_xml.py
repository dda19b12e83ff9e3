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
- an item without an arXiv id, an item repeating an id already read (the first is
  kept), and an item whose fields are larger than any real paper's (the ``MAX_*``
  limits below) are skipped, each with a warning, and the rest of the feed is read;
  a paper is skipped rather than cut, so that nothing published is a mangled text.

Every other character is kept as arXiv wrote it, markup and bidi controls included:
the renderers keep text as text and isolate it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
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


class NoId(Skipped):
    """The item has no arXiv id to find it by."""


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
    return SourceFeed(feed.title, feed.announced, feed.papers, warnings)


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
    with neither is skipped (NoId)."""
    match = _ID_AT_END.search(identifier.strip())
    if match:
        return match["id"], int(match["version"])
    if announcement.arxiv_id is not None and announcement.version is not None:
        return announcement.arxiv_id, announcement.version
    raise NoId(f"it has no arXiv id (title {quoted(title)})")


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


def read_items(
    title: str, announced: datetime | None, items: Iterable[etree._Element],
    read: Callable[[etree._Element], Paper],
) -> SourceFeed:
    """Read every item; skip, each with a warning, an item without an id, one larger than
    any real paper, and one that repeats an id (the first of them is kept).

    A document whose items all lack an arXiv id is not an arXiv feed: publishing it as an
    empty day would hide the problem.
    """
    papers: dict[str, tuple[int, Paper]] = {}
    warnings, count, without_id = _Warnings(), 0, 0
    for number, item in enumerate(items, start=1):
        count = number
        try:
            _check_limits(item)
            paper = read(item)
        except Skipped as reason:
            without_id += isinstance(reason, NoId)
            warnings.add(f"item {number} skipped: {reason}")
            continue
        if paper.arxiv_id in papers:
            first = papers[paper.arxiv_id][0]
            warnings.add(f"item {number} skipped: it repeats {paper.arxiv_id} of item {first}, which is kept")
            continue
        papers[paper.arxiv_id] = (number, paper)
    if count and without_id == count:
        raise Unusable(f"not an arXiv feed: none of its {count} items has an arXiv id")
    return SourceFeed(
        title=joined(title), announced=announced,
        papers=tuple(paper for _, paper in papers.values()), warnings=warnings.all(),
    )


def date_of(arxiv_id: str, *candidates: datetime | None) -> datetime:
    """The first readable date: the item's own, then the feed's. Every Paper needs an
    announcement date, so an item that has none, in a feed that has none, is unusable."""
    for candidate in candidates:
        if candidate is not None:
            return candidate
    raise Unusable(f"item {arxiv_id} has no readable date, and neither has the feed")
