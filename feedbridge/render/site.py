"""The site next to the feeds: an index to subscribe from, one readable page per feed, OPML.

Every page is built as lxml elements, so a title such as ``<script>`` is text, never
markup. arXiv's text is kept as it is, bidi controls included: titles and sentences
are blocks of their own, and each author, announce type, category, DOI and journal
ref inside a line is a ``<bdi>``, so that an override (U+202E) cannot reorder the
words around it. Control characters are dropped as in the Atom feed (``clean_text``).
No licence is shown, so a ``javascript:`` licence cannot become a link. Pages stand
alone (browsers are dropping XSLT, so no feed stylesheet is relied on) and make no
request outside the site: one local stylesheet, no fonts, no scripts, and a
Content-Security-Policy that would block anything else. The favicon is an empty
``data:`` URL so that browsers do not ask for ``/favicon.ico``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from urllib.parse import quote

from lxml import etree
from lxml.html import builder as E
from lxml.html import tostring

from feedbridge import __version__
from feedbridge.archive import Entry
from feedbridge.atomicfile import write_atomic
# The feed's own words for announce types and authors, and its text rules, so page and feed agree.
from feedbridge.render.atom import (
    ANNOUNCE_TYPES, UI_LANG, UNTRANSLATED_MARKER, append_text, author_text, clean_text,
)

STYLESHEET = "style.css"
INDEX = "index.html"
OPML = "feeds.opml"
_CSP = "default-src 'none'; style-src 'self'; img-src data:; base-uri 'none'; form-action 'none'"
_SEPARATOR = " · "
# What a run's status means to a reader of the index.
_STATUS_WORDS = {
    "updated": "Updated",
    "empty": "No new papers this run (arXiv announced nothing); the last papers stay",
    "stale": "arXiv sent the previous batch again; the last papers stay",
    "failed": "Not updated this run (an error); the last published papers stay",
    "skipped": "Not rebuilt this run",
}


@dataclass(frozen=True)
class SiteFeed:
    """What the site shows of one feed."""

    name: str  # file stem: <name>.xml, <name>.html
    label: str  # "cs.AI", or a topic and its categories
    target_lang: str
    language_name: str  # "Japanese"
    feed_url: str  # absolute URL of the Atom feed
    published: bool  # whether the Atom file exists (a feed that failed its first run has none)
    status: str  # the run's status for it (see _STATUS_WORDS)
    message: str
    entries: tuple[Entry, ...]  # newest first
    last_day: date | None  # the newest announcement day in its window

    @property
    def page(self) -> str:
        return f"{self.name}.html"

    @property
    def title(self) -> str:
        return f"arXiv {self.label} — {self.language_name}"


def write_site(out_dir: Path, base_url: str, feeds: Sequence[SiteFeed]) -> None:
    """The stylesheet, the index, one page per feed and the OPML file, each written atomically."""
    write_atomic(out_dir / STYLESHEET, resources.files("feedbridge.render").joinpath("site.css").read_bytes())
    write_atomic(out_dir / INDEX, render_index(feeds))
    for feed in feeds:
        write_atomic(out_dir / feed.page, render_feed_page(feed))
    write_atomic(out_dir / OPML, render_opml(base_url, feeds))


# --- pages --------------------------------------------------------------------------


def render_index(feeds: Sequence[SiteFeed]) -> bytes:
    """Every feed with its state, a link to its page and its subscribe URL."""
    intro = (
        "New arXiv papers, titles and abstracts machine-translated offline with Argos Translate,"
        " each sentence next to its original. Subscribe to a feed in any feed reader, or to all"
        " of them at once with the OPML file."
    )
    body = E.BODY(
        E.HEADER(
            E.H1("arXiv, translated"),
            E.P(intro),
            E.P(E.A("Subscribe to every feed (OPML)", E.CLASS("button"), href=OPML, type="text/x-opml")),
        ),
        E.MAIN(E.UL(E.CLASS("feeds"), *[_feed_card(feed) for feed in feeds])),
        _footer(),
    )
    return _document("arXiv, translated — feedbridge", body, feeds)


def _feed_card(feed: SiteFeed) -> etree._Element:
    card = E.LI(
        E.CLASS(f"feed status-{feed.status}"),
        E.H2(E.A(feed.label, href=feed.page), f" ({feed.language_name})"),
        _status_line(feed),
    )
    if feed.status == "failed":  # the other statuses' messages say what _STATUS_WORDS says
        card.append(E.P(E.CLASS("status"), clean_text(feed.message)))
    if feed.published:
        card.append(E.P(_subscribe_link(feed), E.BR(), E.SPAN(E.CLASS("url"), feed.feed_url)))
    return card


def _status_line(feed: SiteFeed) -> etree._Element:
    parts = [_STATUS_WORDS.get(feed.status, feed.status), f"{len(feed.entries)} papers"]
    if feed.last_day:
        parts.append(f"last announcement {feed.last_day.isoformat()}")
    return E.P(E.CLASS("status"), _SEPARATOR.join(parts))


def _subscribe_link(feed: SiteFeed) -> etree._Element:
    return E.A("Subscribe (Atom)", E.CLASS("button"), href=feed.feed_url, type="application/atom+xml")


def render_feed_page(feed: SiteFeed) -> bytes:
    """The feed's entries as a page: each translated sentence above its original."""
    header = E.HEADER(
        E.P(E.A("← All feeds", href=INDEX)),
        E.H1(feed.title),
        _status_line(feed),
    )
    if feed.published:
        header.append(E.P(_subscribe_link(feed)))
    papers = [_paper(entry) for entry in feed.entries] or [E.P("No papers yet.")]
    body = E.BODY(header, E.MAIN(*papers), _footer())
    return _document(feed.title, body, [feed])


def _paper(entry: Entry) -> etree._Element:
    translated = entry.translated
    paper, source, target = translated.paper, translated.source_lang, translated.target_lang
    article = E.ARTICLE(E.CLASS("paper"), id=f"arxiv-{paper.arxiv_id.replace('/', '-')}")
    title = " ".join(p.target for p in translated.title.sentences if p.translated)
    if title:
        article.append(E.H2(clean_text(title), lang=target))
        article.append(E.P(E.CLASS("original-title"), clean_text(paper.title), lang=source))
    else:
        article.append(E.H2(clean_text(paper.title), lang=source))
    article.append(_isolated(E.P(E.CLASS("authors"), lang=source), [author_text(a) for a in paper.authors]))
    article.append(_facts(entry))
    article.append(E.OL(E.CLASS("abstract"), *[_sentence(p, source, target) for p in translated.abstract.sentences]))
    article.append(
        E.P(
            E.A("arXiv abstract page", href=paper.abs_url), _SEPARATOR, E.A("PDF", href=paper.pdf_url),
            E.BR(), E.SPAN(E.CLASS("marker"), f"Machine translation: Argos Translate {clean_text(translated.translator)}"),
        )
    )
    return article


def _isolated(parent: etree._Element, texts: Sequence[str], separator: str = ", ") -> etree._Element:
    """Each text a <bdi> of its own inside parent, so that no override leaves it."""
    for position, text in enumerate(texts):
        if position:
            append_text(parent, separator)
        parent.append(E.BDI(clean_text(text)))
    return parent


def _facts(entry: Entry) -> etree._Element:
    """arXiv:<id>v<n> · announce type · categories · dates, then DOI and journal reference."""
    paper = entry.paper
    announce = ANNOUNCE_TYPES.get(paper.announce_type, paper.announce_type)
    dates = f"announced {_day(entry.published)}"
    if _day(entry.updated) != _day(entry.published):
        dates += f", updated {_day(entry.updated)}"
    line = E.P(E.CLASS("facts"), f"arXiv:{paper.arxiv_id}v{paper.version}{_SEPARATOR}", E.BDI(clean_text(announce)))
    append_text(line, _SEPARATOR)
    _isolated(line, paper.categories)
    append_text(line, _SEPARATOR + dates)
    if paper.doi:
        doi = E.A(E.BDI(clean_text(paper.doi)), href=f"https://doi.org/{quote(clean_text(paper.doi), safe='/')}")
        line.append(E.SPAN(_SEPARATOR + "DOI: ", doi))
    if paper.journal_ref:
        line.append(E.SPAN(_SEPARATOR, E.BDI(clean_text(paper.journal_ref))))
    return line


def _sentence(pair, source: str, target: str) -> etree._Element:
    """One abstract sentence: the translation, the original beneath it."""
    original = E.P(E.CLASS("original"), clean_text(pair.source), lang=source)
    if not pair.translated:
        return E.LI(E.P(E.SPAN(E.CLASS("marker"), UNTRANSLATED_MARKER, lang=UI_LANG)), original)
    return E.LI(E.P(clean_text(pair.target), lang=target), original)


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


def _footer() -> etree._Element:
    return E.FOOTER(
        E.P(
            "Machine translations made offline with Argos Translate; they can be wrong — the"
            " original is always beside them. Titles, abstracts and author names: arXiv metadata"
            f" (CC0 1.0). Made with feedbridge {__version__}."
        )
    )


def _document(title: str, body: etree._Element, feeds: Sequence[SiteFeed]) -> bytes:
    """A complete page: UTF-8, mobile viewport, local stylesheet, a policy that allows nothing else."""
    head = E.HEAD(
        E.META(charset="utf-8"),
        E.META(**{"http-equiv": "Content-Security-Policy", "content": _CSP}),
        E.META(name="viewport", content="width=device-width, initial-scale=1"),
        E.META(name="referrer", content="no-referrer"),
        E.TITLE(title),
        E.LINK(rel="icon", href="data:,"),
        E.LINK(rel="stylesheet", href=STYLESHEET),
        *[
            E.LINK(rel="alternate", type="application/atom+xml", title=feed.title, href=feed.feed_url)
            for feed in feeds
            if feed.published
        ],
    )
    page = E.HTML(head, body, lang=UI_LANG)
    return tostring(page, doctype="<!DOCTYPE html>", encoding="utf-8", pretty_print=True)


# --- OPML ---------------------------------------------------------------------------


def render_opml(base_url: str, feeds: Sequence[SiteFeed]) -> bytes:
    """OPML 2.0 listing every published feed with absolute URLs, for one-click subscription."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = "arXiv, translated — feedbridge"
    body = etree.SubElement(root, "body")
    for feed in feeds:
        if feed.published:
            etree.SubElement(
                body, "outline",
                type="rss", text=feed.title, title=feed.title,
                xmlUrl=feed.feed_url, htmlUrl=base_url + quote(feed.page), language=feed.target_lang,
            )
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)
