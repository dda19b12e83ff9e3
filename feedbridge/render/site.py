"""The site next to the feeds: an index to subscribe from and one readable page per feed.

Every page is built as lxml elements, so a title such as ``<script>`` is text, never
markup. A paper's article shows its layout (``layout.py``) as a page has room for it:
the title and the original title, the authors, the facts (with the announcement dates,
without the licence, so a ``javascript:`` licence cannot become a link), each abstract
sentence above its original, the abstract page and the PDF, the provenance. Inline arXiv
text is isolated in ``<bdi>``. Pages stand alone (browsers are dropping XSLT, so no feed
stylesheet is relied on) and make no request outside the site: one local stylesheet, no
fonts, no scripts, and a Content-Security-Policy that would block anything else. The
favicon is an empty ``data:`` URL so that browsers do not ask for ``/favicon.ico``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from importlib import resources

from lxml import etree
from lxml.html import builder as E
from lxml.html import tostring

from feedbridge import __version__
from feedbridge.archive import Entry
from feedbridge.config import INDEX, STATUS_FEED, STYLESHEET
from feedbridge.model import FeedStatus, SentencePair
from feedbridge.render.layout import (
    SEPARATOR, UI_LANG, UNTRANSLATED_MARKER, PaperLayout, append_text, clean_text, credit, isolate, paper_layout,
)
from feedbridge.render.opml import OPML
from feedbridge.render.view import FeedView, SiteView

_CSP = "default-src 'none'; style-src 'self'; img-src data:; base-uri 'none'; form-action 'none'"
# What a degraded feed lacked, in a reader's words (SourceFeed.degraded).
_LACKING = {"authors": "authors", "arxiv-fields": "arXiv's own fields (announce type, DOI, journal reference)"}
# What a run's status means to a reader of the index.
_STATUS_WORDS = {
    FeedStatus.UPDATED: "Updated",
    FeedStatus.EMPTY: "No new papers this run (arXiv announced nothing); the last papers stay",
    FeedStatus.STALE: "arXiv sent the previous batch again; the last papers stay",
    FeedStatus.CURRENT: "Up to date: arXiv's latest announcement is published",
    FeedStatus.FAILED: "Not updated this run (an error); the last published papers stay",
    FeedStatus.PARTIAL: "Updated from some of its categories; another could not be read",
    FeedStatus.SKIPPED: "Not rebuilt this run",
}


def page_path(name: str) -> str:
    """The feed's page, relative to the site root (and so its link from the index)."""
    return f"{name}.html"


class StylesheetWriter:
    """``style.css``, the one stylesheet every page links."""

    def files(self, names: Sequence[str]) -> tuple[str, ...]:
        return (STYLESHEET,)

    def render(self, site: SiteView) -> dict[str, bytes]:
        return {STYLESHEET: resources.files("feedbridge.render").joinpath("site.css").read_bytes()}


class IndexWriter:
    """``index.html``: every feed with its state, a link to its page and its subscribe URL."""

    def files(self, names: Sequence[str]) -> tuple[str, ...]:
        return (INDEX,)

    def render(self, site: SiteView) -> dict[str, bytes]:
        intro = (
            f"New arXiv papers, titles and abstracts machine-translated offline with {_engines(site.feeds)},"
            " each sentence next to its original. Subscribe to a feed in any feed reader, or to all"
            " of them at once with the OPML file."
        )
        body = E.BODY(
            E.HEADER(
                E.H1("arXiv, translated"),
                E.P(intro),
                E.P(E.A("Subscribe to every feed (OPML)", E.CLASS("button"), href=OPML, type="text/x-opml")),
            ),
            E.MAIN(E.UL(E.CLASS("feeds"), *[_feed_card(feed) for feed in site.feeds])),
            _run_line(site),
            _footer(site.feeds),
        )
        return {INDEX: _document("arXiv, translated — feedbridge", body, site.feeds)}


class PagesWriter:
    """``<name>.html`` for every feed: its entries, each translated sentence above its original."""

    def files(self, names: Sequence[str]) -> tuple[str, ...]:
        return tuple(page_path(name) for name in names)

    def render(self, site: SiteView) -> dict[str, bytes]:
        return {page_path(feed.name): _feed_page(feed) for feed in site.feeds}


def _run_line(site: SiteView) -> etree._Element:
    """When the site was last built without a failed feed, and the maintainer's status feed."""
    success = f"{site.last_success.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC" if site.last_success else "none yet"
    return E.P(
        E.CLASS("status"), f"Last successful run: {success}{SEPARATOR}",
        E.A("Status feed (missed announcements, failures)", href=STATUS_FEED, type="application/atom+xml"),
    )


def _feed_card(feed: FeedView) -> etree._Element:
    card = E.LI(
        E.CLASS(f"feed status-{feed.status}"),
        E.H2(E.A(feed.label, href=page_path(feed.name)), f" ({feed.language_name})"),
        _status_line(feed),
    )
    if feed.status in (FeedStatus.FAILED, FeedStatus.PARTIAL):  # the others' messages say what _STATUS_WORDS says
        card.append(E.P(E.CLASS("status"), clean_text(feed.message)))
    if feed.gaps:
        card.append(_gap_list(feed))
    if feed.published:
        card.append(E.P(_subscribe_link(feed), E.BR(), E.SPAN(E.CLASS("url"), feed.url(".xml"))))
    return card


def _gap_list(feed: FeedView) -> etree._Element:
    """Each announcement day the feed missed within its window: open, recovered or lost."""
    return E.UL(E.CLASS("gaps"), *[E.LI(E.CLASS(f"gap gap-{gap.state.replace(' ', '-')}"), gap.describe())
                                   for gap in feed.gaps])


def _status_line(feed: FeedView) -> etree._Element:
    parts = [_STATUS_WORDS[feed.status], f"{len(feed.entries)} papers"]
    if feed.last_day:
        parts.append(f"last announcement {feed.last_day.isoformat()}")
    if feed.degraded:
        parts.append(f"arXiv's feed came without {' or '.join(_LACKING[d] for d in feed.degraded)}: its format may have changed")
    return E.P(E.CLASS("status"), SEPARATOR.join(parts))


def _subscribe_link(feed: FeedView) -> etree._Element:
    return E.A("Subscribe (Atom)", E.CLASS("button"), href=feed.url(".xml"), type="application/atom+xml")


def _feed_page(feed: FeedView) -> bytes:
    header = E.HEADER(
        E.P(E.A("← All feeds", href=INDEX)),
        E.H1(feed.title),
        _status_line(feed),
    )
    if feed.gaps:
        header.append(_gap_list(feed))
    if feed.published:
        header.append(E.P(_subscribe_link(feed)))
    papers = [_paper(entry, feed.engine) for entry in feed.entries] or [E.P("No papers yet.")]
    body = E.BODY(header, E.MAIN(*papers), _footer([feed]))
    return _document(feed.title, body, [feed])


def _paper(entry: Entry, engine: str) -> etree._Element:
    layout = paper_layout(entry.translated, engine)
    article = E.ARTICLE(E.CLASS("paper"), id=f"arxiv-{entry.paper.arxiv_id.replace('/', '-')}")
    article.append(E.H2(layout.title, lang=layout.title_lang))
    if layout.original_title is not None:
        article.append(E.P(E.CLASS("original-title"), layout.original_title, lang=layout.source_lang))
    article.append(isolate(E.P(E.CLASS("authors"), lang=layout.source_lang), layout.authors, E.BDI))
    article.append(_facts(entry, layout))
    article.append(E.OL(E.CLASS("abstract"), *[_sentence(pair, layout) for pair in layout.sentences]))
    abstract_page, pdf = layout.links[:2]  # every paper has both; a page leaves out the rest to stay short
    article.append(
        E.P(
            E.A(abstract_page.text, href=abstract_page.href), SEPARATOR, E.A(pdf.text, href=pdf.href),
            E.BR(), E.SPAN(E.CLASS("marker"), f"Machine translation: {layout.engine} {layout.translator}"),
        )
    )
    return article


def _facts(entry: Entry, layout: PaperLayout) -> etree._Element:
    """arXiv:<id>v<n> · announce type · categories · dates, then DOI and journal reference."""
    dates = f"announced {_day(entry.published)}"
    if _day(entry.updated) != _day(entry.published):
        dates += f", updated {_day(entry.updated)}"
    line = E.P(E.CLASS("facts"), f"{layout.reference}{SEPARATOR}", E.BDI(layout.announce_type))
    append_text(line, SEPARATOR)
    isolate(line, layout.categories, E.BDI)
    append_text(line, SEPARATOR + dates)
    if layout.doi is not None:
        line.append(E.SPAN(f"{SEPARATOR}DOI: ", E.A(E.BDI(layout.doi.text), href=layout.doi.href)))
    if layout.journal_ref is not None:
        line.append(E.SPAN(SEPARATOR, E.BDI(layout.journal_ref)))
    if layout.recovered is not None:
        line.append(E.SPAN(SEPARATOR, E.SPAN(E.CLASS("marker"), layout.recovered)))
    return line


def _sentence(pair: SentencePair, layout: PaperLayout) -> etree._Element:
    """One abstract sentence: the translation, the original beneath it."""
    original = E.P(E.CLASS("original"), pair.source, lang=layout.source_lang)
    if not pair.translated:
        return E.LI(E.P(E.SPAN(E.CLASS("marker"), UNTRANSLATED_MARKER, lang=UI_LANG)), original)
    return E.LI(E.P(pair.target, lang=layout.target_lang), original)


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


def _engines(feeds: Sequence[FeedView]) -> str:
    """The translation engines the feeds name, each once: "Argos Translate"."""
    return " and ".join(dict.fromkeys(feed.engine for feed in feeds))


def _footer(feeds: Sequence[FeedView]) -> etree._Element:
    credits = [f" {credit(a)}" for a in dict.fromkeys(f.model_attribution for f in feeds) if a]
    return E.FOOTER(
        E.P(
            f"Machine translations made offline with {_engines(feeds)}; they can be wrong — the"
            " original is always beside them. Titles, abstracts and author names: arXiv metadata"
            f" (CC0 1.0).{''.join(credits)} Made with feedbridge {__version__}."
        )
    )


def _document(title: str, body: etree._Element, feeds: Sequence[FeedView]) -> bytes:
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
            E.LINK(rel="alternate", type="application/atom+xml", title=feed.title, href=feed.url(".xml"))
            for feed in feeds
            if feed.published
        ],
    )
    page = E.HTML(head, body, lang=UI_LANG)
    return tostring(page, doctype="<!DOCTYPE html>", encoding="utf-8", pretty_print=True)
