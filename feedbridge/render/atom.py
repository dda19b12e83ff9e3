"""Render one translated feed as Atom 1.0 (RFC 4287), bilingual, byte-for-byte reproducible.

feedgen builds the feed; lxml then adds what feedgen cannot express: ``type`` and
``xml:lang`` on text constructs, and the XHTML ``content``, which is built as lxml
elements so that ``<``, ``&`` or ``]]>`` in a title or abstract stay text (feedgen
would parse a content string as markup). Every timestamp is set explicitly, since
feedgen fills a missing one with now(). Characters that XML 1.0 forbids (control
characters other than tab, newline and carriage return) are dropped, not fatal, and
so are DEL and the C1 controls, which XML allows but which carry no text (feedparser
reads them as Windows-1252 letters, a terminal reader may obey them).

arXiv's text is kept as it is, bidi controls included (U+202E, U+2066..U+2069 are
part of some names). So that such a control cannot reorder what stands around it,
each piece of arXiv text inside a line of other text (an author, the announce type, a
category, the DOI, journal ref, licence and comments, an untranslated sentence after
its marker) is its own ``<span dir="auto">``, a bidi isolate; titles and abstracts are
paragraphs of their own, which end any embedding. Text constructs (the entry title) cannot hold markup and
stay as they are. Only an http(s) licence becomes a link: ``javascript:`` and the like
are shown as text.

Identifiers (neither depends on the base URL, so moving the site keeps them):

- feed: ``urn:uuid:`` + uuid5(FEED_ID_NAMESPACE, feed name), e.g. name "cs.AI.ja";
- entry: ``urn:uuid:`` + uuid5(uuid5(NAMESPACE_URL, "https://arxiv.org/abs/<arxiv_id>"),
  target language). No version goes in, so a replacement (v2) updates the entry
  that v1 created; the target language goes in, so the ja and zh entries differ;
  the same paper in two feeds of one language keeps one id, as the same entry.
  arXiv's ``oai:`` guid is not used: it is arXiv's id for the English record.

Entry title: ``<translated title> — <original title>`` (type="text", xml:lang of
the target language); just the original, in the source language, when the engine
translated none of the title.

Content (``<div xmlns="http://www.w3.org/1999/xhtml">``), top to bottom:
translated title (h2) and the original beneath; authors with affiliations in
parentheses (many readers hide atom:author); a line with ``arXiv:<id>v<n>``, the
announce type, the categories and, when present, DOI, journal ref and licence;
the authors' comments when known (the arXiv API has them, the RSS does not); the
translated abstract, one sentence per paragraph, an untranslated sentence shown in
the source language after an ``[untranslated]`` marker; the original abstract; links
to the abstract page, the PDF, arXiv's HTML version and the code named in the
comments; the provenance line. Each part carries ``xml:lang`` and ``lang``: target
language for translations, source language for arXiv's text, ``UI_LANG`` for
feedbridge's own labels.

Entry links: ``alternate`` to the abstract page, ``related`` to the PDF, to the HTML
version and to the code (each ``related`` link titled, so readers can tell them apart).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlsplit

from feedgen.entry import FeedEntry
from feedgen.feed import FeedGenerator
from lxml import etree

from feedbridge import __version__
from feedbridge.arxiv import Author, Paper
from feedbridge.translate import TranslatedPaper, Translation

FEED_ID_NAMESPACE = uuid.UUID("bd58f80b-0b46-4a27-a671-418038d7825d")  # fixed forever
ARXIV_CATEGORY_SCHEME = "http://arxiv.org/schemas/atom"
UI_LANG = "en"  # the language of feedbridge's own words: labels, subtitle, provenance
UNTRANSLATED_MARKER = "[untranslated]"

_ATOM = "http://www.w3.org/2005/Atom"
_XHTML = "http://www.w3.org/1999/xhtml"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# What XML 1.0 forbids, and the controls it allows that carry no text (DEL, C1).
_NOT_TEXT = re.compile("[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
ANNOUNCE_TYPES = {
    "new": "new",
    "cross": "cross-list",
    "replace": "replacement",
    "replace-cross": "replacement (cross-list)",
}
_SEPARATOR = " · "


@dataclass(frozen=True)
class AtomFeedInfo:
    """The facts of one output feed that do not come from its entries."""

    name: str  # file stem, e.g. "cs.AI.ja" (the file is f"{name}.xml")
    category: str  # "cs.AI" or a combination "cs.AI+cs.CL"
    source_lang: str  # "en"
    target_lang: str  # "ja"
    target_lang_name: str  # "Japanese" (from the argos package)
    self_url: str  # absolute URL of this feed file
    site_url: str  # absolute URL of the site (index page)
    updated: datetime  # tz-aware; newest entry's updated, or the channel date when empty


def feed_id(name: str) -> str:
    """The feed's Atom id: stable for a feed name, wherever the feed is hosted."""
    return f"urn:uuid:{uuid.uuid5(FEED_ID_NAMESPACE, name)}"


def entry_id(arxiv_id: str, target_lang: str) -> str:
    """The entry's Atom id: one per paper and target language, the same for every version."""
    paper_uuid = uuid.uuid5(uuid.NAMESPACE_URL, f"https://arxiv.org/abs/{arxiv_id}")
    return f"urn:uuid:{uuid.uuid5(paper_uuid, target_lang)}"


def render_atom(
    feed: AtomFeedInfo,
    entries: Sequence[TranslatedPaper],
    published: Mapping[str, datetime] | None = None,
) -> bytes:
    """The feed as UTF-8 XML with a declaration, one entry per paper in the given order.

    ``published`` maps an arXiv id to the paper's first announcement (a replaced paper
    keeps it); without one, ``published`` is the version's announcement, like ``updated``.
    """
    generator = _feed_generator(feed)
    for translated in entries:
        first = (published or {}).get(translated.paper.arxiv_id, translated.paper.announced)
        generator.add_entry(_feed_entry(translated, first), order="append")
    root = etree.fromstring(generator.atom_str())
    for tag in ("title", "subtitle", "rights"):
        _mark_text(root.find(f"{{{_ATOM}}}{tag}"), UI_LANG)
    for element, translated in zip(root.iterfind(f"{{{_ATOM}}}entry"), entries, strict=True):
        _finish_entry(element, translated)
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)


def _feed_generator(feed: AtomFeedInfo) -> FeedGenerator:
    """feedgen's feed with every field set, so nothing defaults to now() or to feedgen's name."""
    generator = FeedGenerator()
    generator.id(feed_id(feed.name))
    generator.title(f"arXiv {feed.category} — {feed.target_lang_name}")
    generator.subtitle(
        f"New arXiv {feed.category} papers, titles and abstracts machine-translated offline"
        f" into {feed.target_lang_name} with Argos Translate, followed by the originals."
    )
    generator.rights("Titles, abstracts and author names: arXiv metadata, CC0 1.0.")
    # A feed-level author keeps the feed valid (RFC 4287 4.1.1) even if a paper lists none.
    generator.author(name="arXiv", uri="https://arxiv.org/")
    generator.link(href=feed.self_url, rel="self", type="application/atom+xml")
    generator.link(href=feed.site_url, rel="alternate", type="text/html")
    generator.updated(feed.updated)
    generator.generator("feedbridge", version=__version__)
    generator.language(feed.target_lang)
    return generator


def _feed_entry(translated: TranslatedPaper, published: datetime) -> FeedEntry:
    """feedgen's entry: the fields feedgen writes correctly as they are."""
    paper = translated.paper
    entry = FeedEntry()
    entry.id(entry_id(paper.arxiv_id, translated.target_lang))
    entry.title(clean_text(_entry_title(translated)))
    entry.published(published)
    entry.updated(paper.announced)
    entry.author([{"name": clean_text(author.name)} for author in paper.authors])
    entry.link([{"href": href, **attributes} for href, attributes in _entry_links(paper).items()])
    entry.category(
        [{"term": clean_text(term), "scheme": ARXIV_CATEGORY_SCHEME} for term in paper.categories]
    )
    return entry


def _entry_links(paper: Paper) -> dict[str, dict[str, str]]:
    """Each entry link's rel, type and title, by href."""
    links = {
        clean_text(paper.abs_url): {"rel": "alternate", "type": "text/html"},
        clean_text(paper.pdf_url): {"rel": "related", "type": "application/pdf", "title": "PDF"},
        clean_text(paper.html_url): {"rel": "related", "type": "text/html", "title": "HTML"},
    }
    if paper.code_url:
        links.setdefault(clean_text(paper.code_url), {"rel": "related", "title": "Code"})
    return links


def _entry_title(translated: TranslatedPaper) -> str:
    """Translated title first so a reader's list shows it, the original after for search."""
    title = _translated_text(translated.title)
    return f"{title} — {translated.paper.title}" if title else translated.paper.title


def _translated_text(translation: Translation) -> str | None:
    """The sentences' targets joined, or None if the engine translated none of them."""
    if not any(pair.translated for pair in translation.sentences):
        return None
    return " ".join(pair.target for pair in translation.sentences)


def _finish_entry(entry: etree._Element, translated: TranslatedPaper) -> None:
    """Add what feedgen cannot write: link rel and type, title type and language, content."""
    # feedgen 1.0.0 writes entry links with href only (a loop variable shadows the link data).
    links = _entry_links(translated.paper)
    for link in entry.iterfind(f"{{{_ATOM}}}link"):
        link.attrib.update(links[link.get("href")])
    title = _translated_text(translated.title)
    _mark_text(
        entry.find(f"{{{_ATOM}}}title"),
        translated.target_lang if title else translated.source_lang,
    )
    content = etree.SubElement(entry, f"{{{_ATOM}}}content", type="xhtml")
    content.append(_content_div(translated, title))


def _mark_text(element: etree._Element, lang: str) -> None:
    """Make an Atom text construct explicitly plain text in the given language."""
    element.set("type", "text")
    element.set(_XML_LANG, lang)


def _content_div(translated: TranslatedPaper, title: str | None) -> etree._Element:
    """The entry's readable body, laid out as the module docstring describes."""
    paper, source, target = translated.paper, translated.source_lang, translated.target_lang
    div = etree.Element(f"{{{_XHTML}}}div", nsmap={None: _XHTML})
    if title:
        _add(div, "h2", title, lang=target)
        _add(div, "p", paper.title, lang=source)
    else:
        _add(div, "h2", paper.title, lang=source)
    _add_isolated(_add(div, "p", lang=source), [author_text(author) for author in paper.authors], ", ")
    _add_facts(div, paper)
    if paper.comment:
        comments = _add(div, "p", "Comments: ", lang=UI_LANG)
        _add(comments, "span", paper.comment, lang=source, dir="auto")
    _add_translated_abstract(div, translated)
    _add(div, "p", paper.abstract, lang=source)
    _add_links(div, paper)
    provenance = f"Translated by Argos Translate package {translated.translator}"
    _add(_add(div, "p", lang=UI_LANG), "small", f"{provenance} (machine translation)")
    return div


def author_text(author: Author) -> str:
    """'Name (Affiliation; Other)': arXiv's own way of writing affiliations."""
    if not author.affiliations:
        return author.name
    return f"{author.name} ({'; '.join(author.affiliations)})"


def _add_facts(div: etree._Element, paper: Paper) -> None:
    """arXiv:<id>v<n> · announce type · categories, then DOI, journal ref, licence if known."""
    line = _add(div, "p", f"arXiv:{paper.arxiv_id}v{paper.version}{_SEPARATOR}", lang=UI_LANG)
    _add(line, "span", ANNOUNCE_TYPES.get(paper.announce_type, paper.announce_type), dir="auto")
    append_text(line, _SEPARATOR)
    _add_isolated(line, paper.categories, ", ")
    if paper.doi:
        append_text(line, f"{_SEPARATOR}DOI: ")
        _add(line, "a", paper.doi, href=f"https://doi.org/{quote(paper.doi, safe='/')}", dir="auto")
    if paper.journal_ref:
        append_text(line, f"{_SEPARATOR}Journal ref: ")
        _add(line, "span", paper.journal_ref, dir="auto")
    if paper.license:
        append_text(line, f"{_SEPARATOR}Licence: ")
        if is_web_url(paper.license):
            _add(line, "a", paper.license, href=paper.license, dir="auto")
        else:
            _add(line, "span", paper.license, dir="auto")


def _add_isolated(parent: etree._Element, texts: Sequence[str], separator: str) -> None:
    """Each text its own bidi isolate, so that a stray override stays inside it."""
    for position, text in enumerate(texts):
        if position:
            append_text(parent, separator)
        _add(parent, "span", text, dir="auto")


def is_web_url(url: str) -> bool:
    """Whether a URL from arXiv may be a link: http(s) with a host, nothing a browser runs."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc) and url == url.strip()


def _add_translated_abstract(div: etree._Element, translated: TranslatedPaper) -> None:
    """One paragraph per sentence, so a reader can match each to the original."""
    section = _add(div, "div", lang=translated.target_lang)
    for pair in translated.abstract.sentences:
        if pair.translated:
            _add(section, "p", pair.target)
        else:
            paragraph = _add(section, "p", lang=translated.source_lang)
            _add(paragraph, "span", UNTRANSLATED_MARKER, lang=UI_LANG)
            append_text(paragraph, " ")
            _add(paragraph, "span", pair.source, dir="auto")


def _add_links(div: etree._Element, paper: Paper) -> None:
    """Links in the body too: most readers show neither atom:link rel=related nor its title."""
    line = _add(div, "p", lang=UI_LANG)
    _add(line, "a", "arXiv abstract page", href=paper.abs_url)
    for label, href in (("PDF", paper.pdf_url), ("HTML", paper.html_url), ("Code", paper.code_url)):
        if href:
            append_text(line, _SEPARATOR)
            _add(line, "a", label, href=href)


def _add(
    parent: etree._Element,
    tag: str,
    text: str | None = None,
    *,
    lang: str | None = None,
    **attrib: str,
) -> etree._Element:
    """Append an XHTML element; its text and attributes are cleaned, so never markup."""
    element = etree.SubElement(
        parent, f"{{{_XHTML}}}{tag}", {name: clean_text(value) for name, value in attrib.items()}
    )
    if text is not None:
        element.text = clean_text(text)
    if lang:
        element.set(_XML_LANG, lang)
        element.set("lang", lang)
    return element


def append_text(parent: etree._Element, text: str) -> None:
    """Append text after the last child (or inside, if none): lxml's mixed-content model."""
    text = clean_text(text)
    if len(parent):
        parent[-1].tail = (parent[-1].tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def clean_text(text: str) -> str:
    """Text without the control characters XML forbids (one stray control character must
    not sink a feed) or that carry no text (DEL, C1)."""
    return _NOT_TEXT.sub("", text)
