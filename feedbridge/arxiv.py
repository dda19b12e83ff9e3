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
and a DTD is where billion-laughs and external entities live).
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
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


class _Unusable(Exception):
    """What is wrong with a document; parse_feed adds the source and raises FeedError."""


def parse_feed(data: bytes, source: str) -> ArxivFeed:
    """Read one arXiv feed document; `source` (URL or path) names it in error messages.

    Raises FeedError, and nothing else, for anything that is not a usable arXiv feed.
    """
    try:
        root = _parse_xml(data)
        if root.tag == "rss":
            return _parse_rss2(root)
        if root.tag == _RDF + "RDF":
            return _parse_rdf(root)
        if root.tag == _ATOM + "feed":
            return _parse_atom(root)
        raise _Unusable(f"not a feed: the root element is <{root.tag}>")
    except _Unusable as problem:
        raise FeedError(f"{source}: {problem}") from None


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


def _parse_xml(data: bytes) -> etree._Element:
    """Parse with a hardened parser, so that hostile XML can neither expand nor read files."""
    if not data.strip():
        raise _Unusable("the document is empty")
    if _HTML_PAGE.match(data.removeprefix(b"\xef\xbb\xbf")):
        raise _Unusable("an HTML page, not a feed")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise _Unusable(f"not well-formed XML ({_joined(str(error))})") from None
    if root.getroottree().docinfo.doctype:
        raise _Unusable("refused: the document has a DOCTYPE, which arXiv feeds never have")
    return root


def _text(element: etree._Element | None) -> str:
    """All character data under an element, exactly as the XML encodes it."""
    return "" if element is None else "".join(element.itertext())


def _joined(text: str) -> str:
    """Join runs of XML whitespace (hard wraps, indentation) into one space."""
    return _XML_WHITESPACE.sub(" ", text).strip(" ")


def _optional(element: etree._Element | None) -> str | None:
    """A field's joined text, or None when it is absent or empty."""
    return _joined(_text(element)) or None


def _quoted(text: str) -> str:
    """A one-line, bounded quotation of text found in the document, for error messages."""
    line = _joined(text)
    if len(line) > _QUOTE_LIMIT:
        line = line[:_QUOTE_LIMIT] + "…"
    return f'"{line}"'


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
        return tuple(Author(name) for part in creator.split(",") if (name := _clean_name(part)))
    return tuple(_author(part) for part in _split_outside_parentheses(creator) if part.strip())


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


def _id_and_version(identifier: str, announcement: _Announcement) -> tuple[str, int] | None:
    """The versioned id from a guid or Atom id, else from the announce prefix."""
    match = _ID_AT_END.search(identifier.strip())
    if match:
        return match["id"], int(match["version"])
    if announcement.arxiv_id is not None and announcement.version is not None:
        return announcement.arxiv_id, announcement.version
    return None


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def _feed(title: str, announced: datetime | None, candidates: list[Paper | None]) -> ArxivFeed:
    """Assemble the feed: items without an id are skipped, a repeated id keeps its first item.

    A document whose items all lack an arXiv id is not an arXiv feed: publishing it as an
    empty day would hide the problem.
    """
    papers: dict[str, Paper] = {}
    for paper in candidates:
        if paper is not None:
            papers.setdefault(paper.arxiv_id, paper)
    if candidates and not papers:
        raise _Unusable(f"not an arXiv feed: none of its {len(candidates)} items has an arXiv id")
    return ArxivFeed(title=_joined(title), announced=announced, papers=tuple(papers.values()))


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
    items = [_rss2_paper(item, announced) for item in channel.iterfind("item")]
    return _feed(title, announced, items)


def _rss2_paper(item: etree._Element, channel_date: datetime | None) -> Paper | None:
    announcement = _read_announcement(_text(item.find("description")))
    identity = _id_and_version(_text(item.find("guid")), announcement)
    if identity is None:
        return None
    arxiv_id, version = identity
    creators = ", ".join(_text(c) for c in item.iterfind(_DC + "creator"))
    return Paper(
        arxiv_id=arxiv_id,
        version=version,
        title=_joined(_text(item.find("title"))),
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
    items = [_rdf_paper(item, announced) for item in root.iterfind(_RSS1 + "item")]
    return _feed(_text(channel.find(_RSS1 + "title")), announced, items)


def _rdf_paper(item: etree._Element, channel_date: datetime | None) -> Paper | None:
    """The id, version, primary category and announce type all come from the title's marker.

    The legacy feed names only the primary category, and has no DOI, journal reference
    or licence: those stay None.
    """
    marker = _LEGACY_TITLE.fullmatch(_text(item.find(_RSS1 + "title")))
    if marker is None:
        return None
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
    return _feed(title, announced, [_atom_paper(entry, announced) for entry in entries])


def _atom_paper(entry: etree._Element, feed_date: datetime | None) -> Paper | None:
    """An entry of either Atom shape: the RSS service's (announce prefix, dc:creator) or
    the API's (plain summary, <author> with arxiv:affiliation, arxiv:primary_category)."""
    announcement = _read_announcement(_atom_text(entry.find(_ATOM + "summary")))
    identity = _id_and_version(_text(entry.find(_ATOM + "id")), announcement)
    if identity is None:
        return None
    arxiv_id, version = identity
    published = _iso_date(_text(entry.find(_ATOM + "published")))
    updated = _iso_date(_text(entry.find(_ATOM + "updated")))
    return Paper(
        arxiv_id=arxiv_id,
        version=version,
        title=_joined(_atom_text(entry.find(_ATOM + "title"))),
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
