"""The Atom writer: one translated feed as Atom 1.0 (RFC 4287), bilingual, byte-for-byte reproducible.

feedgen builds the feed; lxml then adds what feedgen cannot express: ``type`` and
``xml:lang`` on text constructs, and the ``content``, whose HTML (``entry_html.py``) lxml
escapes as the element's text (feedgen would parse a content string as markup). Every
timestamp is set explicitly, since
feedgen fills a missing one with now(). Before the document may replace a published
one it is read back as a feed reader reads it (``check_readable``).

Identifiers (neither depends on the base URL, so moving the site keeps them):

- feed: ``urn:uuid:`` + uuid5(FEED_ID_NAMESPACE, feed name), e.g. name "cs.AI.ja";
- entry: ``urn:uuid:`` + uuid5(uuid5(NAMESPACE_URL, "https://arxiv.org/abs/<arxiv_id>"),
  target language). No version goes in, so a replacement (v2) updates the entry
  that v1 created; the target language goes in, so the ja and zh entries differ;
  the same paper in two feeds of one language keeps one id, as the same entry.
  arXiv's ``oai:`` guid is not used: it is arXiv's id for the English record.

Entry title: ``<translated title> — <original title>`` (type="text", xml:lang of
the target language); just the original, in the source language, when the engine
translated none of the title. A text construct cannot hold markup, so its bidi
controls stay as they are.

Content (``type="html"``, escaped HTML: XHTML content was scrambled or dropped by
JavaScript and Go parsers, docs/readers.md): the paper's layout (``layout.py``) top to
bottom, every part of it: the title as h2, the original title, authors (many readers
hide atom:author) and the facts line as paragraphs, the comments, the translated
abstract one sentence per paragraph (an untranslated sentence in the source language
after an ``[untranslated]`` marker; none when no sentence was translated, so the
abstract is not shown twice), the original abstract, the links (most readers show
neither atom:link rel=related nor its title), the provenance line. Each part carries
``lang``: target language for translations, source language for arXiv's text, the
words' language for feedbridge's own labels (``words.py``: the target language where
feedbridge has words for it).

Entry links: ``alternate`` to the abstract page, ``related`` to the PDF, to the HTML
version and to the code (each ``related`` link titled, so readers can tell them apart).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

import feedparser
from feedgen.entry import FeedEntry
from feedgen.feed import FeedGenerator
from lxml import etree

from feedbridge import __version__
from feedbridge.archive import Entry
from feedbridge.errors import OutputError
from feedbridge.render.entry_html import entry_html
from feedbridge.render.layout import SEPARATOR, Link, PaperLayout, clean_text, credit, paper_layout
from feedbridge.render.view import FeedView
from feedbridge.render.words import ARXIV_THANKS
from feedbridge.tex import letters

FEED_ID_NAMESPACE = uuid.UUID("bd58f80b-0b46-4a27-a671-418038d7825d")  # fixed forever
ARXIV_CATEGORY_SCHEME = "http://arxiv.org/schemas/atom"
FEEDBRIDGE_SCHEME = "tag:feedbridge.github.io,2026:entry-state"  # feedbridge's own tags: "recovered"

_ATOM = "http://www.w3.org/2005/Atom"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def atom_path(name: str) -> str:
    """The feed's Atom file, relative to the site root; a feed without one was never published."""
    return f"{name}.xml"


class AtomWriter:
    """``<name>.xml``: the feed's window, newest first."""

    def files(self, name: str) -> tuple[str, ...]:
        return (atom_path(name),)

    def render(self, feed: FeedView) -> dict[str, bytes]:
        path = atom_path(feed.name)
        document = render_atom(feed)
        check_readable(document, len(feed.entries), path)
        return {path: document}


def feed_id(name: str) -> str:
    """The feed's Atom id: stable for a feed name, wherever the feed is hosted."""
    return f"urn:uuid:{uuid.uuid5(FEED_ID_NAMESPACE, name)}"


def entry_id(arxiv_id: str, target_lang: str) -> str:
    """The entry's Atom id: one per paper and target language, the same for every version."""
    paper_uuid = uuid.uuid5(uuid.NAMESPACE_URL, f"https://arxiv.org/abs/{arxiv_id}")
    return f"urn:uuid:{uuid.uuid5(paper_uuid, target_lang)}"


def render_atom(feed: FeedView) -> bytes:
    """The feed as UTF-8 XML with a declaration, one entry per paper in the window's order."""
    layouts = [paper_layout(entry.translated, feed.engine) for entry in feed.entries]
    generator = _feed_generator(feed)
    for entry, layout in zip(feed.entries, layouts, strict=True):
        generator.add_entry(_feed_entry(entry, layout), order="append")
    root = etree.fromstring(generator.atom_str())
    for tag in ("title", "subtitle", "rights"):
        _mark_text(root.find(f"{{{_ATOM}}}{tag}"), feed.words.lang)
    for element, layout in zip(root.iterfind(f"{{{_ATOM}}}entry"), layouts, strict=True):
        _finish_entry(element, layout)
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)


class ReadBack(NamedTuple):
    """What a feed reader's parser made of a document."""

    broken: str | None  # why feedparser calls it broken (bozo), or None
    version: str  # "atom10" for Atom 1.0
    entries: int


# Read-backs by the document's SHA-256: a build reads each feed it renders back, and its
# verification of the staged site reads the same bytes again; feedparser takes seconds
# on a full feed, so the second read is the first's answer.
_READ_BACKS: dict[bytes, ReadBack] = {}


def read_back(document: bytes) -> ReadBack:
    """Parse the feed as feedparser-based readers do. Whether it is broken is decided while
    parsing; cleaning up the XHTML content, which only changes what it shows, is skipped:
    it doubles the time."""
    digest = hashlib.sha256(document).digest()
    if digest not in _READ_BACKS:
        parsed = feedparser.parse(document, sanitize_html=False, resolve_relative_uris=False)
        broken = str(parsed.get("bozo_exception")) if parsed.bozo else None
        _READ_BACKS[digest] = ReadBack(broken, parsed.version, len(parsed.entries))
    return _READ_BACKS[digest]


def check_readable(document: bytes, entries: int, name: str) -> None:
    """Read the feed back as a feed reader would before it replaces a published one."""
    result = read_back(document)
    if result.broken or result.version != "atom10" or result.entries != entries:
        reason = result.broken or f"{result.entries} of {entries} entries readable"
        raise OutputError(f"{name}: not written, the rendered feed does not read back cleanly: {reason}")


def _feed_generator(feed: FeedView) -> FeedGenerator:
    """feedgen's feed with every field set, so nothing defaults to now() or to feedgen's name."""
    generator = FeedGenerator()
    generator.id(feed_id(feed.name))
    generator.title(feed.title)
    generator.subtitle(feed.words.feed_subtitle.format(label=feed.label, language=feed.language_name,
                                                       engine=feed.engine))
    generator.rights(rights(feed))
    # A feed-level author keeps the feed valid (RFC 4287 4.1.1) even if a paper lists none;
    # it is feedbridge, whose feed this is, never arXiv, which did not make it.
    generator.author(name="feedbridge")
    generator.link(href=feed.url(".xml"), rel="self", type="application/atom+xml")
    generator.link(href=feed.url(".html"), rel="alternate", type="text/html")
    if feed.hub:  # WebSub: readers that subscribe there hear of a new batch within minutes
        generator.link(href=feed.hub, rel="hub")
    generator.updated(feed.updated)
    generator.generator("feedbridge", version=__version__)
    generator.language(feed.target_lang)
    return generator


def published_at(entry: Entry) -> datetime:
    """The entry's published: when arXiv received the first version, where the API told,
    else the announcement the feed first carried it in."""
    return entry.paper.first_submitted or entry.published


def updated_at(entry: Entry) -> datetime:
    """The entry's updated: when arXiv received the version shown, where the API told, else
    its announcement. arXiv's feeds date every entry of a day alike; the API's dates differ
    paper by paper, so readers (and the W3C validator) can tell them apart."""
    if entry.paper.first_submitted and entry.paper.submitted:
        return entry.paper.submitted
    return entry.updated


def rights(feed: FeedView) -> str:
    """Whose the texts are, arXiv's acknowledgement, that this is not arXiv's, and a
    CC BY-SA model's credit, which its licence asks for wherever its output goes."""
    words = feed.words
    parts = [words.metadata_rights, ARXIV_THANKS, words.not_affiliated]
    if feed.model_attribution:
        parts.append(credit(feed.model_attribution))
    return " ".join(parts)


def _feed_entry(entry: Entry, layout: PaperLayout) -> FeedEntry:
    """feedgen's entry: the fields feedgen writes correctly as they are."""
    paper = entry.paper
    feed_entry = FeedEntry()
    feed_entry.id(entry_id(paper.arxiv_id, layout.target_lang))
    # Translated title first so a reader's list shows it, the original after for search.
    feed_entry.title(layout.entry_title)
    feed_entry.published(published_at(entry))
    feed_entry.updated(updated_at(entry))
    feed_entry.author([{"name": clean_text(author.name)} for author in paper.authors])
    feed_entry.link([{"href": href, **attributes} for href, attributes in _entry_links(layout.links).items()])
    categories = [{"term": term, "scheme": ARXIV_CATEGORY_SCHEME} for term in layout.categories]
    if layout.recovered is not None:  # a tag readers show: the entry came from the API, not the announcement
        categories.append({"term": "recovered", "scheme": FEEDBRIDGE_SCHEME, "label": "recovered from the arXiv API"})
    feed_entry.category(categories)
    return feed_entry


def _entry_links(links: Sequence[Link]) -> dict[str, dict[str, str]]:
    """Each entry link's rel, type and title, by href: the paper's own page is the alternate."""
    attributes: dict[str, dict[str, str]] = {}
    for position, link in enumerate(links):
        described = {"rel": "related" if position else "alternate"}
        if link.media_type:
            described["type"] = link.media_type
        if position:
            described["title"] = link.text
        attributes.setdefault(link.href, described)
    return attributes


def _finish_entry(entry: etree._Element, layout: PaperLayout) -> None:
    """Add what feedgen cannot write: link rel and type, title type and language, content."""
    # feedgen 1.0.0 writes entry links with href only (a loop variable shadows the link data).
    links = _entry_links(layout.links)
    for link in entry.iterfind(f"{{{_ATOM}}}link"):
        link.attrib.update(links[link.get("href")])
    _mark_text(entry.find(f"{{{_ATOM}}}title"), layout.title_lang)
    summary = etree.SubElement(entry, f"{{{_ATOM}}}summary")
    summary.text = summary_text(layout)
    _mark_text(summary, layout.target_lang if layout.translated else layout.source_lang)
    content = etree.SubElement(entry, f"{{{_ATOM}}}content", {"type": "html", _XML_LANG: layout.target_lang})
    content.text = entry_html(layout)


def summary_text(layout: PaperLayout) -> str:
    """The entry as plain text, for readers that show only a summary (gofeed's Description,
    feed-extractor's description): the authors, the translated abstract, the original, and
    the abstract page's and the PDF's URLs written out, since some of them expose no link
    and no author."""
    parts = [", ".join(layout.authors)] if layout.authors else []
    parts += [" ".join(pair.target for pair in layout.sentences)] if layout.translated else []
    parts.append(layout.abstract)
    parts = [letters(part) for part in parts]  # accents as letters, math as TeX: a summary holds no markup
    parts.append(SEPARATOR.join(f"{link.text}: {link.href}" for link in layout.links[:2]))
    return "\n\n".join(parts)


def _mark_text(element: etree._Element, lang: str) -> None:
    """Make an Atom text construct explicitly plain text in the given language."""
    element.set("type", "text")
    element.set(_XML_LANG, lang)
