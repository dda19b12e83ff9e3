"""Parse arXiv feeds (RSS 2.0, legacy RSS 1.0/RDF, Atom) into Paper records.

The XML is read with lxml alone, not with feedparser. feedparser treats an RSS
`description` as HTML and sanitizes it, so `$x<y$ and $a<b>c$` comes out as
`$x<b>c$`; it also accepts broken XML (the "bozo" flag) and turns dates into UTC
`struct_time`, dropping the offset arXiv wrote. Reading every field from one lxml
tree keeps each character of the text, rejects what is not well-formed, and avoids
lining up two parsers' views of the same items. Dates come from the standard
library, which keeps the offset.

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

import html
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from functools import partial
from urllib.parse import unquote, urlsplit

from lxml import etree

from feedbridge.errors import FeedError


@dataclass(frozen=True)
class Author:
    """One author; affiliations come from parentheses in dc:creator or from arxiv:affiliation."""

    name: str
    affiliations: tuple[str, ...] = ()


@dataclass(frozen=True)
class Paper:
    """One announced paper, as arXiv's feed describes it."""

    arxiv_id: str  # without version: "2504.17830", "hep-th/9901001"
    version: int  # 1 for "v1"
    title: str  # whitespace-joined, every character kept
    abstract: str  # announce prefix removed, hard wraps joined, every character kept
    authors: tuple[Author, ...]
    categories: tuple[str, ...]  # primary first
    announce_type: str  # "new", "cross", "replace", "replace-cross"
    announced: datetime  # timezone-aware announcement time
    doi: str | None = None
    journal_ref: str | None = None
    license: str | None = None  # a URL, as in dc:rights
    comment: str | None = None  # the authors' comments (pages, venue, code): only the API has them

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}"

    @property
    def pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self.arxiv_id}v{self.version}"

    @property
    def html_url(self) -> str:
        """arXiv's HTML rendering of this version; not every paper has one (arXiv converts
        the LaTeX of papers submitted since December 2023, where conversion succeeds)."""
        return f"https://arxiv.org/html/{self.arxiv_id}v{self.version}"

    @property
    def code_url(self) -> str | None:
        """The code the authors point to in their comments, if they do."""
        return code_link(self.comment or "")


@dataclass(frozen=True)
class ArxivFeed:
    """What one fetch of one category gave: the channel's facts and its papers in arXiv's order."""

    title: str
    announced: datetime | None  # the channel's pubDate (Atom: updated, RDF: dc:date); None if absent
    papers: tuple[Paper, ...]
    # One line each, starting with the source: what was repaired or skipped to read the feed.
    warnings: tuple[str, ...] = ()


_DC = "{http://purl.org/dc/elements/1.1/}"
_ARXIV = "{http://arxiv.org/schemas/atom}"
_ATOM = "{http://www.w3.org/2005/Atom}"
_RSS1 = "{http://purl.org/rss/1.0/}"
_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"

# "2504.17830v1" (since 2007) or "hep-th/9901001v2", "math.GT/0309136v1" (before).
_ID_WITH_VERSION = (
    r"(?P<id>[0-9]{4}\.[0-9]{4,5}|[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/[0-9]{7})"
    r"v(?P<version>[0-9]{1,6})"
)
# An id at the end of a guid or Atom id: "oai:arXiv.org:2504.17830v1",
# "http://arxiv.org/abs/hep-ph/0301050v2".
_ID_AT_END = re.compile(r"(?:^|[:/])" + _ID_WITH_VERSION + r"$")
# arXiv writes "arXiv:<id>v<n> Announce Type: <type> \nAbstract: <abstract>".
_ANNOUNCE_PREFIX = re.compile(
    r"[ \t\r\n]*arXiv:" + _ID_WITH_VERSION
    + r"(?:[ \t\r\n]+Announce Type:[ \t]*(?P<type>[\w-]+))?[ \t\r\n]+Abstract:[ \t]?"
)
# The legacy RDF title: "Title. (arXiv:1805.06430v2 [nucl-th] UPDATED)".
_LEGACY_TITLE = re.compile(
    r"(?P<title>.*?)\.?[ \t\r\n]*\(arXiv:" + _ID_WITH_VERSION
    + r" \[(?P<category>[^\]]+)\](?: (?P<marker>CROSS LISTED|UPDATED))?\)[ \t\r\n]*",
    re.DOTALL,
)
_LEGACY_ANNOUNCE_TYPES = {None: "new", "CROSS LISTED": "cross", "UPDATED": "replace"}

# Only XML's own whitespace: NBSP, thin spaces and the like are text and are kept.
_XML_WHITESPACE = re.compile(r"[ \t\r\n]+")
# An HTML page (an error page, a login wall), with or without an XML declaration first.
_HTML_PAGE = re.compile(
    rb"[ \t\r\n]*(?:<\?xml[^>]*\?>[ \t\r\n]*)?<(?:!doctype[ \t\r\n]+html|html)[ \t\r\n>]",
    re.IGNORECASE,
)
_HTML_TAG = re.compile(r"</?(?P<name>[A-Za-z][A-Za-z0-9]*)\b[^>]*>")
_HTML_BLOCK_TAGS = {"p", "br", "div", "li", "ul", "ol", "blockquote", "table", "tr", "td"}
_ERROR_CHANNEL_TITLE = "Feed error for query"
# Where code lives: a URL on one of these hosts is a code link wherever it stands.
_CODE_HOSTS = ("github.com", "gitlab.com", "huggingface.co", "bitbucket.org", "codeberg.org")
# A URL, or a code host's address written without its scheme ("github.com/a/b").
_URL_IN_TEXT = re.compile(
    r"https?://[^\s<>\"]+|\b(?:www\.)?(?:"
    + "|".join(re.escape(host) for host in _CODE_HOSTS) + r")/[^\s<>\"]+",
    re.IGNORECASE,
)
# Words that make any URL after them, in the same clause, a code link: "Code: …",
# "code available at …", "implementation at …".
_CODE_CUE = re.compile(r"\b(?:code|implementation|repository)\b", re.IGNORECASE)
_CLAUSE_END = re.compile(r"[,;]|\.\s")
_DOI_URL = re.compile(r"https?://(?:dx\.)?doi\.org/", re.IGNORECASE)
_QUOTE_LIMIT = 200

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


class _Unusable(Exception):
    """What is wrong with a document; parse_feed adds the source and raises FeedError."""


class _Skipped(Exception):
    """Why one item is left out; the rest of the feed is read, and a warning says why."""


class _NoId(_Skipped):
    """The item has no arXiv id to find it by."""


def parse_feed(data: bytes, source: str) -> ArxivFeed:
    """Read one arXiv feed document; `source` (URL or path) names it in error messages.

    Raises FeedError, and nothing else, for anything that is not a usable arXiv feed.
    """
    try:
        root, repairs = _parse_xml(data)
        if root.tag == "rss":
            feed = _parse_rss2(root)
        elif root.tag == _RDF + "RDF":
            feed = _parse_rdf(root)
        elif root.tag == _ATOM + "feed":
            feed = _parse_atom(root)
        else:
            raise _Unusable(f"not a feed: the root element is <{root.tag}>")
    except _Unusable as problem:
        raise FeedError(f"{source}: {problem}") from None
    warnings = tuple(f"{source}: {warning}" for warning in (*repairs, *feed.warnings))
    return ArxivFeed(feed.title, feed.announced, feed.papers, warnings)


def code_link(text: str) -> str | None:
    """The first URL in `text` that points at code, as authors write it in their comments:
    any URL on a code host ("github.com/a/b", with or without https://), or a URL that
    follows "code", "implementation" or "repository" in the same clause ("Code: …")."""
    clause_start = 0
    for match in _URL_IN_TEXT.finditer(text):
        url = _trim_url(match[0])
        if "://" not in url:
            url = f"https://{url}"
        clause = _CLAUSE_END.split(text[clause_start:match.start()])[-1]
        if _on_code_host(url) or _CODE_CUE.search(clause):
            return url
        clause_start = match.end()
    return None


def _trim_url(url: str) -> str:
    """Drop what ends the sentence around a URL: a final period, comma, or the closing
    bracket of "(https://…)", while a bracket that belongs to the URL stays."""
    while True:
        trimmed = url.rstrip(".,;:!?'")
        for opening, closing in ("()", "[]"):
            if trimmed.endswith(closing) and trimmed.count(opening) < trimmed.count(closing):
                trimmed = trimmed[:-1]
        if trimmed == url:
            return url
        url = trimmed


def _on_code_host(url: str) -> bool:
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return False
    return any(host == code_host or host.endswith("." + code_host) for code_host in _CODE_HOSTS)


# --- XML and text -----------------------------------------------------------


def _parse_xml(data: bytes) -> tuple[etree._Element, list[str]]:
    """Parse with a hardened parser, so that hostile XML can neither expand nor read files.

    A document that is ill-formed only through characters XML 1.0 forbids, or bytes that
    are not UTF-8, is mended and read again; the list says what was mended.
    """
    if not data.strip():
        raise _Unusable("the document is empty")
    if _HTML_PAGE.match(data.removeprefix(b"\xef\xbb\xbf")):
        raise _Unusable("an HTML page, not a feed")
    repairs = []
    try:
        root = _strict_parse(data)
    except etree.XMLSyntaxError as error:
        mended = _mended(data) if error.code in _MENDABLE else None
        if mended is None:
            raise _Unusable(_syntax_problem(error)) from None
        try:
            root = _strict_parse(mended[0])
        except etree.XMLSyntaxError as still:  # broken beyond its characters: say where
            raise _Unusable(_syntax_problem(still)) from None
        line, column = error.position
        repairs.append(f"{mended[1]} (the first at line {line}, column {column})")
    if root.getroottree().docinfo.doctype:
        raise _Unusable("refused: the document has a DOCTYPE, which arXiv feeds never have")
    return root, repairs


def _strict_parse(data: bytes) -> etree._Element:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    return etree.fromstring(data, parser)


def _syntax_problem(error: etree.XMLSyntaxError) -> str:
    """libxml2's message in the user's terms: its limits are refusals, not a hint to lift them."""
    message = _LOCATION_IN_MESSAGE.sub("", _joined(error.msg or str(error)))
    line, column = error.position
    if "depth" in message.lower():
        return f"refused: elements nested more than 256 deep (line {line}, column {column})"
    if "text node too long" in message.lower() or "huge text node" in message.lower():
        return f"refused: a text of more than 10,000,000 bytes (line {line}, column {column})"
    return f"not well-formed XML ({_joined(str(error))})"


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


def _text(element: etree._Element | None) -> str:
    """All character data under an element as the XML encodes it, less DEL and C1 controls."""
    return "" if element is None else _CONTROL.sub("", "".join(element.itertext()))


def _joined(text: str) -> str:
    """Join runs of XML whitespace (hard wraps, indentation) into one space."""
    return _XML_WHITESPACE.sub(" ", text).strip(" ")


def _optional(element: etree._Element | None) -> str | None:
    """A field's joined text, or None when it is absent or empty."""
    return _joined(_text(element)) or None


def _quoted(text: str) -> str:
    """A one-line, bounded quotation of text found in the document, for error messages.

    Control and format characters (a bidi override, a line separator) are written as
    escapes, so that a quoted title can neither reorder nor break the message around it.
    """
    line = _joined(text)
    if len(line) > _QUOTE_LIMIT:
        line = line[:_QUOTE_LIMIT] + "…"
    return '"' + "".join(_visible(character) for character in line) + '"'


def _visible(character: str) -> str:
    if unicodedata.category(character) in ("Cc", "Cf", "Zl", "Zp"):
        return f"\\u{ord(character):04x}"
    return character


def _html_to_text(markup: str) -> str:
    """The text of an HTML fragment: tags dropped, entities decoded, every text character kept.

    Block tags become a space so that paragraphs do not run together. A `<` that does
    not start a tag is text and stays.
    """
    without_tags = _HTML_TAG.sub(
        lambda tag: " " if tag["name"].lower() in _HTML_BLOCK_TAGS else "", markup
    )
    return html.unescape(without_tags)


def _require_arxiv_address(addresses: list[str]) -> None:
    """A feed is arXiv's when its own link or id is on arxiv.org; anything else is refused
    rather than read as an empty day."""
    if not any(_is_arxiv_url(address) for address in addresses):
        shown = ", ".join(_quoted(a) for a in addresses if a.strip()) or "none"
        raise _Unusable(f"not an arXiv feed: its links are not on arxiv.org (found: {shown})")


def _is_arxiv_url(url: str) -> bool:
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return False
    return host == "arxiv.org" or host.endswith(".arxiv.org")


# --- dates ------------------------------------------------------------------


def _rfc822_date(text: str) -> datetime | None:
    """An RSS date with its own offset kept; None when absent or unreadable."""
    try:
        value = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return _aware(value)


def _iso_date(text: str) -> datetime | None:
    """An Atom or Dublin Core date; None when absent or unreadable."""
    try:
        return _aware(datetime.fromisoformat(text.strip()))
    except ValueError:
        return None


def _aware(value: datetime) -> datetime:
    """A date without an offset is read as UTC, so that every date can be compared."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


# --- authors ----------------------------------------------------------------

# Accent commands and the combining mark each one puts on its letter.
_ACCENT_MARKS = {
    '"': "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303",
    "=": "\u0304", ".": "\u0307", "c": "\u0327", "v": "\u030c", "u": "\u0306",
    "H": "\u030b", "k": "\u0328", "r": "\u030a", "d": "\u0323", "b": "\u0331",
}
# Letters that TeX writes as commands.
_TEX_LETTERS = {
    "o": "ø", "O": "Ø", "aa": "å", "AA": "Å", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ",
    "ss": "ß", "l": "ł", "L": "Ł", "i": "ı", "j": "ȷ", "dh": "ð", "DH": "Ð",
    "dj": "đ", "DJ": "Đ", "th": "þ", "TH": "Þ", "ng": "ŋ", "NG": "Ŋ",
}
# `\"u`, `\"{u}`, `\' e`, `\c{c}`, `\c c`, `\'{\i}`; a letter accent such as `\c` must
# end its command name (`\cc` is another command).
_TEX_ACCENT = re.compile(
    r"\\(?:(?P<mark>[\"'`^~=.])|(?P<word>[cvuHkrdb])(?![A-Za-z]))[ \t]*"
    r"(?:\{[ \t]*(?P<braced>\\[A-Za-z]+|[^\W\d_])[ \t]*\}|(?P<bare>\\[A-Za-z]+|[^\W\d_]))"
)
# `\o`, `{\o}`, `\o{}`; like TeX (and arXiv's own tex2utf), one space after a bare
# command is its terminator: `S\o ren` is "Søren", while `Pawe\l\ Caban` keeps its space.
_TEX_LETTER = re.compile(
    r"\\(?P<name>" + "|".join(sorted(_TEX_LETTERS, key=len, reverse=True)) + r")"
    r"(?![A-Za-z])(?:\{\}|\\(?= )| )?"
)


def _tex_to_unicode(text: str) -> str:
    """Turn the TeX accents arXiv keeps in author names into Unicode; unknown TeX stays."""
    text = _TEX_ACCENT.sub(_accented, text)
    text = _TEX_LETTER.sub(lambda command: _TEX_LETTERS[command["name"]], text)
    return text.replace("{", "").replace("}", "")


def _accented(match: re.Match[str]) -> str:
    base = match["braced"] or match["bare"]
    if base.startswith("\\"):
        if base[1:] in ("i", "j"):  # an accent sits on a dotless i or j: the result is í, ĵ
            base = base[1:]
        elif base[1:] in _TEX_LETTERS:
            base = _TEX_LETTERS[base[1:]]
        else:
            return match[0]
    return base + _ACCENT_MARKS[match["mark"] or match["word"]]


def _clean_name(text: str) -> str:
    return unicodedata.normalize("NFC", _joined(_tex_to_unicode(text)))


def _split_authors(creator: str) -> tuple[Author, ...]:
    """Split arXiv's one-string author list at commas outside parentheses.

    Parenthesized text is the author's affiliation: each group is kept whole, since the
    commas inside a group cannot tell affiliations from parts of an address. When the
    parentheses do not balance, they cannot be trusted: split at every comma and keep
    the text as names.
    """
    if not _parentheses_balance(creator):
        parts = creator.split(",")
        _limit("author list", len(parts), MAX_AUTHORS, "authors")
        return tuple(Author(name) for part in parts if (name := _clean_name(part)))
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
    affiliations = tuple(a for g in groups if (a := _clean_name(g)))
    author_name = _clean_name("".join(name))
    if not author_name:  # only parentheses: keep the text as the name rather than lose it
        return Author(_clean_name(part))
    return Author(author_name, affiliations)


# --- shared item logic ------------------------------------------------------


@dataclass(frozen=True)
class _Announcement:
    """What the `arXiv:<id>v<n> Announce Type: <type> \\nAbstract:` prefix says."""

    arxiv_id: str | None
    version: int | None
    announce_type: str | None
    abstract: str


def _read_announcement(description: str) -> _Announcement:
    """Split arXiv's announce prefix from the abstract; text without the prefix is all abstract."""
    match = _ANNOUNCE_PREFIX.match(description)
    if match is None:
        return _Announcement(None, None, None, _joined(description))
    return _Announcement(
        match["id"], int(match["version"]), match["type"], _joined(description[match.end():])
    )


def _id_and_version(identifier: str, announcement: _Announcement, title: str) -> tuple[str, int]:
    """The versioned id from a guid or Atom id, else from the announce prefix; an item
    with neither is skipped (_NoId)."""
    match = _ID_AT_END.search(identifier.strip())
    if match:
        return match["id"], int(match["version"])
    if announcement.arxiv_id is not None and announcement.version is not None:
        return announcement.arxiv_id, announcement.version
    raise _NoId(f"it has no arXiv id (title {_quoted(title)})")


def _unique(values: list[str]) -> tuple[str, ...]:
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
        raise _Skipped(f"its {field} has {size:,} {unit}, more than the limit of {limit:,}")


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


def _feed(
    title: str, announced: datetime | None, items: Iterable[etree._Element],
    read: Callable[[etree._Element], Paper],
) -> ArxivFeed:
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
        except _Skipped as reason:
            without_id += isinstance(reason, _NoId)
            warnings.add(f"item {number} skipped: {reason}")
            continue
        if paper.arxiv_id in papers:
            first = papers[paper.arxiv_id][0]
            warnings.add(f"item {number} skipped: it repeats {paper.arxiv_id} of item {first}, which is kept")
            continue
        papers[paper.arxiv_id] = (number, paper)
    if count and without_id == count:
        raise _Unusable(f"not an arXiv feed: none of its {count} items has an arXiv id")
    return ArxivFeed(
        title=_joined(title), announced=announced,
        papers=tuple(paper for _, paper in papers.values()), warnings=warnings.all(),
    )


def _date_of(arxiv_id: str, *candidates: datetime | None) -> datetime:
    """The first readable date: the item's own, then the feed's. Every Paper needs an
    announcement date, so an item that has none, in a feed that has none, is unusable."""
    for candidate in candidates:
        if candidate is not None:
            return candidate
    raise _Unusable(f"item {arxiv_id} has no readable date, and neither has the feed")


# --- RSS 2.0 (rss.arxiv.org/rss/<cat>) ----------------------------------------


def _parse_rss2(root: etree._Element) -> ArxivFeed:
    channel = root.find("channel")
    if channel is None:
        raise _Unusable("not an arXiv feed: RSS without a <channel>")
    title = _text(channel.find("title"))
    if _joined(title).startswith(_ERROR_CHANNEL_TITLE):
        raise _Unusable(f"arXiv answered with an error: {_quoted(title)}")
    addresses = [_text(channel.find("link"))]
    addresses += [link.get("href", "") for link in channel.iterfind(_ATOM + "link")]
    _require_arxiv_address(addresses)
    announced = _rfc822_date(_text(channel.find("pubDate")))
    return _feed(title, announced, channel.iterfind("item"), partial(_rss2_paper, channel_date=announced))


def _rss2_paper(item: etree._Element, channel_date: datetime | None) -> Paper:
    announcement = _read_announcement(_text(item.find("description")))
    title = _text(item.find("title"))
    arxiv_id, version = _id_and_version(_text(item.find("guid")), announcement, title)
    creators = ", ".join(_text(c) for c in item.iterfind(_DC + "creator"))
    return Paper(
        arxiv_id=arxiv_id,
        version=version,
        title=_joined(title),
        abstract=announcement.abstract,
        authors=_split_authors(creators),
        categories=_unique([_joined(_text(c)) for c in item.iterfind("category")]),
        announce_type=_announce_type(item, announcement),
        announced=_date_of(arxiv_id, _rfc822_date(_text(item.find("pubDate"))), channel_date),
        doi=_optional(item.find(_ARXIV + "DOI")),
        journal_ref=_optional(item.find(_ARXIV + "journal_reference")),
        license=_optional(item.find(_DC + "rights")),
    )


def _announce_type(item: etree._Element, announcement: _Announcement) -> str:
    """arxiv:announce_type, else the description prefix, else "new" (the API has neither)."""
    return _optional(item.find(_ARXIV + "announce_type")) or announcement.announce_type or "new"


# --- RSS 1.0/RDF (arXiv before 2024) ----------------------------------------


def _parse_rdf(root: etree._Element) -> ArxivFeed:
    """The legacy feed: markers in titles, HTML abstracts and authors, one date per channel."""
    channel = root.find(_RSS1 + "channel")
    if channel is None:
        raise _Unusable("not an arXiv feed: RSS 1.0 without a <channel>")
    _require_arxiv_address([_text(channel.find(_RSS1 + "link")), channel.get(_RDF + "about", "")])
    announced = _iso_date(_text(channel.find(_DC + "date")))
    return _feed(
        _text(channel.find(_RSS1 + "title")), announced, root.iterfind(_RSS1 + "item"),
        partial(_rdf_paper, channel_date=announced),
    )


def _rdf_paper(item: etree._Element, channel_date: datetime | None) -> Paper:
    """The id, version, primary category and announce type all come from the title's marker.

    The legacy feed names only the primary category, and has no DOI, journal reference
    or licence: those stay None.
    """
    title = _text(item.find(_RSS1 + "title"))
    marker = _LEGACY_TITLE.fullmatch(title)
    if marker is None:
        raise _NoId(f"it has no arXiv id (title {_quoted(title)})")
    creators = _html_to_text(", ".join(_text(c) for c in item.iterfind(_DC + "creator")))
    return Paper(
        arxiv_id=marker["id"],
        version=int(marker["version"]),
        title=_joined(marker["title"]),
        abstract=_joined(_html_to_text(_text(item.find(_RSS1 + "description")))),
        authors=_split_authors(creators),
        categories=(_joined(marker["category"]),),
        announce_type=_LEGACY_ANNOUNCE_TYPES[marker["marker"]],
        announced=_date_of(marker["id"], channel_date),
    )


# --- Atom (rss.arxiv.org/atom/<cat> and the arXiv API) -------------------------


def _parse_atom(root: etree._Element) -> ArxivFeed:
    title = _text(root.find(_ATOM + "title"))
    if _joined(title).startswith(_ERROR_CHANNEL_TITLE):
        raise _Unusable(f"arXiv answered with an error: {_quoted(title)}")
    entries = list(root.iterfind(_ATOM + "entry"))
    for entry in entries:
        if "arxiv.org/api/errors" in _text(entry.find(_ATOM + "id")):
            message = _text(entry.find(_ATOM + "summary")) or _text(entry.find(_ATOM + "title"))
            raise _Unusable(f"the arXiv API answered with an error: {_quoted(message)}")
    addresses = [_text(root.find(_ATOM + "id"))]
    addresses += [link.get("href", "") for link in root.iterfind(_ATOM + "link")]
    _require_arxiv_address(addresses)
    announced = _iso_date(_text(root.find(_ATOM + "updated")))
    return _feed(title, announced, entries, partial(_atom_paper, feed_date=announced))


def _atom_paper(entry: etree._Element, feed_date: datetime | None) -> Paper:
    """An entry of either Atom shape: the RSS service's (announce prefix, dc:creator) or
    the API's (plain summary, <author> with arxiv:affiliation, arxiv:primary_category)."""
    announcement = _read_announcement(_atom_text(entry.find(_ATOM + "summary")))
    title = _atom_text(entry.find(_ATOM + "title"))
    arxiv_id, version = _id_and_version(_text(entry.find(_ATOM + "id")), announcement, title)
    published = _iso_date(_text(entry.find(_ATOM + "published")))
    updated = _iso_date(_text(entry.find(_ATOM + "updated")))
    return Paper(
        arxiv_id=arxiv_id,
        version=version,
        title=_joined(title),
        abstract=announcement.abstract,
        authors=_atom_authors(entry),
        categories=_atom_categories(entry),
        announce_type=_announce_type(entry, announcement),
        announced=_date_of(arxiv_id, published, updated, feed_date),
        doi=(
            _optional(entry.find(_ARXIV + "doi"))
            or _optional(entry.find(_ARXIV + "DOI"))
            or _doi_from_link(entry)
        ),
        journal_ref=(
            _optional(entry.find(_ARXIV + "journal_ref"))
            or _optional(entry.find(_ARXIV + "journal_reference"))
        ),
        license=_optional(entry.find(_DC + "rights")) or _optional(entry.find(_ATOM + "rights")),
        comment=_optional(entry.find(_ARXIV + "comment")),
    )


def _doi_from_link(entry: etree._Element) -> str | None:
    """The API also gives the DOI as `<link title="doi" href="https://doi.org/…">`."""
    for link in entry.iterfind(_ATOM + "link"):
        href = link.get("href", "")
        if link.get("title") == "doi" and _DOI_URL.match(href):
            return unquote(_DOI_URL.sub("", href, count=1)) or None
    return None


def _atom_text(element: etree._Element | None) -> str:
    """An Atom text construct: type="html" is markup to read as text; text and xhtml are text."""
    if element is not None and element.get("type") == "html":
        return _html_to_text(_text(element))
    return _text(element)


def _atom_authors(entry: etree._Element) -> tuple[Author, ...]:
    creators = [_text(c) for c in entry.iterfind(_DC + "creator")]
    if creators:
        return _split_authors(", ".join(creators))
    authors = []
    for author in entry.iterfind(_ATOM + "author"):
        name = _clean_name(_text(author.find(_ATOM + "name")))
        affiliations = _unique(
            [_clean_name(_text(a)) for a in author.iterfind(_ARXIV + "affiliation")]
        )
        if name:
            authors.append(Author(name, affiliations))
    return tuple(authors)


def _atom_categories(entry: etree._Element) -> tuple[str, ...]:
    """arxiv:primary_category first when the API gives one, then the categories in order."""
    primary = entry.find(_ARXIV + "primary_category")
    terms = [] if primary is None else [primary.get("term", "")]
    terms += [category.get("term", "") for category in entry.iterfind(_ATOM + "category")]
    return _unique([_joined(term) for term in terms])
