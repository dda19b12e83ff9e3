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

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timezone
from importlib import resources
from pathlib import PurePosixPath

from lxml import etree
from lxml.html import builder as E
from lxml.html import tostring

from feedbridge import __version__
from feedbridge.archive import Entry
from feedbridge.config import INDEX, STATUS_FEED, STYLESHEET
from feedbridge.model import FeedStatus, SentencePair
from feedbridge.render.jsonfeed import MEDIA_TYPE as JSON_FEED_TYPE
from feedbridge.render.layout import SEPARATOR, PaperLayout, append_text, clean_text, credit, isolate, paper_layout
from feedbridge.render.math import append_with_math
from feedbridge.render.opml import OPML
from feedbridge.render.view import FeedView, SiteView
from feedbridge.render.words import ARXIV_THANKS, Words, site_words

_CSP = "default-src 'none'; style-src 'self'; img-src data:; base-uri 'none'; form-action 'none'"


def page_path(name: str) -> str:
    """The feed's page, relative to the site root (and so its link from the index)."""
    return f"{name}.html"


def day_page_path(name: str, day: date) -> str:
    """The page of one earlier announcement day of the feed, relative to the site root."""
    return f"{name}/{day.isoformat()}.html"


def entry_day(entry: Entry) -> date:
    """The announcement day an entry belongs to: its latest version's, as the window counts
    its days (``archive.merge``)."""
    return entry.updated.date()


def page_days(entries: Iterable[Entry]) -> tuple[date, ...]:
    """The announcement days of a window's entries, newest first: one page each."""
    return tuple(sorted({entry_day(entry) for entry in entries}, reverse=True))


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
        words = site_words([feed.target_lang for feed in site.feeds])
        body = E.BODY(
            E.HEADER(
                E.H1(words.site_title),
                E.P(words.site_intro.format(engines=_engines(site.feeds))),
                E.P(E.A(words.subscribe_all, E.CLASS("button"), href=OPML, type="text/x-opml")),
            ),
            E.MAIN(E.UL(E.CLASS("feeds"), *[_feed_card(feed, words) for feed in site.feeds])),
            _run_line(site, words),
            _footer(site.feeds, words),
        )
        return {INDEX: _document(words.site_title, body, site.feeds, words)}


class PagesWriter:
    """A feed's pages, one per announcement day of its window, each translated sentence
    above its original: ``<name>.html`` holds the newest day's papers, and
    ``<name>/<YYYY-MM-DD>.html`` each earlier day's; every page lists every day."""

    def files(self, name: str, days: Iterable[date] = ()) -> tuple[str, ...]:
        """The pages of the feed whose entries were announced on ``days`` (``page_days``)."""
        earlier = sorted(set(days), reverse=True)[1:]  # the newest day is the main page
        return (page_path(name), *(day_page_path(name, day) for day in earlier))

    def render(self, feed: FeedView) -> dict[str, bytes]:
        days = page_days(feed.entries)
        if not days:
            return {page_path(feed.name): _feed_page(feed, None, days)}
        return {
            page_path(feed.name) if position == 0 else day_page_path(feed.name, day): _feed_page(feed, day, days)
            for position, day in enumerate(days)
        }


def _run_line(site: SiteView, words: Words) -> etree._Element:
    """When the site was last built without a failed feed, and the maintainer's status feed."""
    success = words.never
    if site.last_success:
        success = f"{site.last_success.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC"
    return E.P(
        E.CLASS("status"), E.SPAN(E.CLASS("date"), words.last_success.format(time=success)), SEPARATOR,
        E.A(words.status_feed, href=STATUS_FEED, type="application/atom+xml"),
    )


def _feed_card(feed: FeedView, words: Words) -> etree._Element:
    card = E.LI(
        E.CLASS(f"feed status-{feed.status}"),
        E.H2(E.A(feed.label, href=page_path(feed.name)), f" ({feed.language_name})"),
        _status_line(feed, words),
    )
    if feed.status in (FeedStatus.FAILED, FeedStatus.PARTIAL):  # the others' messages say what the status words say
        card.append(E.P(E.CLASS("status"), clean_text(feed.message)))
    if feed.gaps:
        card.append(_gap_list(feed, words))
    if feed.published:
        card.append(E.P(_subscribe_link(feed, words), E.BR(), _url(feed.url(".xml"))))
    return card


# Where a URL may break: after a '/' or a '.' that a letter or digit follows ("https://" stays whole).
_URL_BREAK = re.compile(r"(?<=[/.])(?=[^/.])")


def _url(url: str) -> etree._Element:
    """A URL that breaks across lines only after a '/' or a '.', never inside a word (not at
    its hyphens either): each piece is kept whole (``site.css``) and a ``<wbr>`` stands
    between pieces. Copied, it is still the URL, since neither adds any text."""
    first, *rest = _URL_BREAK.split(url)
    span = E.SPAN(E.CLASS("url"), E.SPAN(first))
    for piece in rest:
        span.extend([E.WBR(), E.SPAN(piece)])
    return span


def _gap_list(feed: FeedView, words: Words) -> etree._Element:
    """Each announcement day the feed missed within its window: open, recovered or lost."""
    return E.UL(E.CLASS("gaps"), *[
        E.LI(E.CLASS(f"gap gap-{gap.state.replace(' ', '-')}"),
             words.gaps[gap.state].format(source=gap.source, day=gap.day.isoformat(), papers=gap.papers))
        for gap in feed.gaps
    ])


def _status_line(feed: FeedView, words: Words) -> etree._Element:
    parts = [words.statuses[feed.status], words.papers.format(count=feed.size)]
    line = E.P(E.CLASS("status"), SEPARATOR.join(parts))
    if feed.last_day:
        append_text(line, SEPARATOR)
        line.append(E.SPAN(E.CLASS("date"), words.last_announcement.format(day=feed.last_day.isoformat())))
    if feed.degraded:
        lacking = words.lacking.format(what=" / ".join(words.lacking_names[d] for d in feed.degraded))
        append_text(line, SEPARATOR + lacking)
    return line


def _subscribe_link(feed: FeedView, words: Words) -> etree._Element:
    """Subscribe: the Atom feed, and the JSON Feed beside it."""
    return E.SPAN(
        E.A(words.subscribe_atom, E.CLASS("button"), href=feed.url(".xml"), type="application/atom+xml"), " ",
        E.A(words.subscribe_json, E.CLASS("button"), href=feed.url(".feed.json"), type=JSON_FEED_TYPE),
    )


def _feed_page(feed: FeedView, day: date | None, days: Sequence[date]) -> bytes:
    """The page of one announcement ``day`` of the feed (the newest: its main page), with
    the feed's header, the list of its ``days`` when there are several, and the day's papers."""
    words = feed.words
    newest = not days or day == days[0]
    root = "" if newest else "../"  # a day page lies in the <name>/ folder
    back = E.P(E.A(words.all_feeds, href=root + INDEX))
    if not newest:
        back.extend([E.BR(), E.A(words.latest_day, href=root + page_path(feed.name))])
    header = E.HEADER(back, E.H1(feed.title), _status_line(feed, words))
    if feed.gaps:
        header.append(_gap_list(feed, words))
    if feed.published:
        header.append(E.P(_subscribe_link(feed, words)))
    if len(days) > 1:
        header.append(_day_list(feed, day, days, root, words))
    main = E.MAIN()
    if day is not None and len(days) > 1:
        main.append(E.H2(E.CLASS("day"), words.day_papers.format(day=day.isoformat())))
    main.extend([_paper(entry, feed.engine) for entry in feed.entries if day is None or entry_day(entry) == day]
                or [E.P(words.no_papers)])
    if len(days) > 1:
        main.append(_neighbours(feed, day, days, root, words))
    body = E.BODY(header, main, _footer([feed], words))
    title = feed.title if newest else f"{feed.title}: {day.isoformat()}"
    return _document(title, body, [feed], words, root)


def _day_href(feed: FeedView, day: date, days: Sequence[date], root: str) -> str:
    """The link to a day's page from a page at ``root`` ("../" from a day page, whose
    neighbours lie beside it): the newest day is the main page."""
    if day == days[0]:
        return root + page_path(feed.name)
    return PurePosixPath(day_page_path(feed.name, day)).name if root else day_page_path(feed.name, day)


def _day_list(feed: FeedView, current: date, days: Sequence[date], root: str, words: Words) -> etree._Element:
    """Every announcement day of the window, newest first, each a link but the page's own."""
    items = []
    for day in days:
        papers = words.papers.format(count=sum(entry_day(entry) == day for entry in feed.entries))
        if day == current:
            items.append(E.LI(E.STRONG(E.CLASS("date"), day.isoformat(), **{"aria-current": "page"}), f" ({papers})"))
        else:
            items.append(E.LI(E.A(E.CLASS("date"), day.isoformat(), href=_day_href(feed, day, days, root)),
                              f" ({papers})"))
    return E.NAV(E.CLASS("days"), E.P(words.announcement_days), E.UL(*items))


def _neighbours(feed: FeedView, current: date, days: Sequence[date], root: str, words: Words) -> etree._Element:
    """Links to the newer and the older announcement day, where there is one."""
    at = days.index(current)
    links = []
    if at > 0:
        links.append(E.A(words.newer_day.format(day=days[at - 1].isoformat()), rel="prev",
                         href=_day_href(feed, days[at - 1], days, root)))
    if at + 1 < len(days):
        if links:
            links.append(SEPARATOR)
        links.append(E.A(words.older_day.format(day=days[at + 1].isoformat()), rel="next",
                         href=_day_href(feed, days[at + 1], days, root)))
    return E.NAV(E.CLASS("neighbours"), E.P(*links))


def _paper(entry: Entry, engine: str) -> etree._Element:
    layout = paper_layout(entry.translated, engine)
    words = layout.words
    article = E.ARTICLE(E.CLASS("paper"), id=f"arxiv-{entry.paper.arxiv_id.replace('/', '-')}")
    article.append(append_with_math(E.H2(lang=layout.title_lang), layout.title))
    if layout.original_title is not None:
        article.append(append_with_math(E.P(E.CLASS("original-title"), lang=layout.source_lang), layout.original_title))
    article.append(isolate(E.P(E.CLASS("authors"), lang=layout.source_lang), layout.authors, E.BDI))
    article.append(_facts(entry, layout))
    article.append(E.OL(E.CLASS("abstract"), *[_sentence(pair, layout) for pair in layout.sentences]))
    links = E.P(lang=words.lang)
    for position, link in enumerate(layout.links):  # the abstract page, the PDF, the HTML version, the code
        if position:
            append_text(links, SEPARATOR)
        links.append(E.A(link.text, href=link.href))
    links.append(E.BR())
    links.append(E.SPAN(E.CLASS("marker"), f"{words.machine_translation}{layout.engine} {layout.translator}"))
    article.append(links)
    return article


def _facts(entry: Entry, layout: PaperLayout) -> etree._Element:
    """arXiv:<id>v<n> · announce type · categories · dates, then DOI, journal reference and
    licence (a link only when it is a web URL, so a ``javascript:`` licence stays text)."""
    words = layout.words
    line = E.P(E.CLASS("facts"), f"{layout.reference}{SEPARATOR}", E.BDI(layout.announce_type), lang=words.lang)
    append_text(line, SEPARATOR)
    isolate(line, layout.categories, E.BDI)
    append_text(line, SEPARATOR)
    line.append(_date(words.announced, entry.published))
    if _day(entry.updated) != _day(entry.published):
        append_text(line, ", ")
        line.append(_date(words.updated, entry.updated))
    if layout.doi is not None:
        line.append(E.SPAN(f"{SEPARATOR}{words.doi}", E.A(E.BDI(layout.doi.text), href=layout.doi.href)))
    if layout.journal_ref is not None:
        line.append(E.SPAN(f"{SEPARATOR}{words.journal_ref}", E.BDI(layout.journal_ref)))
    if layout.licence is not None:
        licence = E.A(E.BDI(layout.licence.text), href=layout.licence.href) if layout.licence.href else \
            E.BDI(layout.licence.text)
        line.append(E.SPAN(f"{SEPARATOR}{words.licence}", licence))
    if layout.recovered is not None:
        line.append(E.SPAN(SEPARATOR, E.SPAN(E.CLASS("marker"), layout.recovered)))
    return line


def _date(template: str, moment: datetime) -> etree._Element:
    """A date that never breaks across lines (at its hyphens, on a phone)."""
    return E.TIME(E.CLASS("date"), template.format(day=_day(moment)), datetime=_day(moment))


def _sentence(pair: SentencePair, layout: PaperLayout) -> etree._Element:
    """One abstract sentence: the translation, the original beneath it."""
    original = append_with_math(E.P(E.CLASS("original"), lang=layout.source_lang), pair.source)
    if not pair.translated:
        return E.LI(E.P(E.SPAN(E.CLASS("marker"), layout.words.untranslated, lang=layout.words.lang)), original)
    return E.LI(append_with_math(E.P(lang=layout.target_lang), pair.target), original)


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


def _engines(feeds: Sequence[FeedView]) -> str:
    """The translation engines the feeds name, each once: "Argos Translate"."""
    return " and ".join(dict.fromkeys(feed.engine for feed in feeds))


def _footer(feeds: Sequence[FeedView], words: Words) -> etree._Element:
    credits = [credit(a) for a in dict.fromkeys(f.model_attribution for f in feeds) if a]
    return E.FOOTER(
        E.P(" ".join([words.footer.format(engines=_engines(feeds)), words.metadata_rights, *credits])),
        E.P(E.SPAN(ARXIV_THANKS, lang="en"), " ", words.not_affiliated, " ", words.made_with.format(version=__version__)),
    )


def _document(title: str, body: etree._Element, feeds: Sequence[FeedView], words: Words, root: str = "") -> bytes:
    """A complete page: UTF-8, mobile viewport, local stylesheet, a policy that allows nothing
    else. ``root`` leads from the page's folder to the site's root ("../" from a day page)."""
    head = E.HEAD(
        E.META(charset="utf-8"),
        E.META(**{"http-equiv": "Content-Security-Policy", "content": _CSP}),
        E.META(name="viewport", content="width=device-width, initial-scale=1"),
        E.META(name="referrer", content="no-referrer"),
        E.TITLE(title),
        E.LINK(rel="icon", href="data:,"),
        E.LINK(rel="stylesheet", href=root + STYLESHEET),
        *[
            E.LINK(rel="alternate", type=media_type, title=feed.title, href=feed.url(suffix))
            for feed in feeds
            if feed.published
            for media_type, suffix in (("application/atom+xml", ".xml"), (JSON_FEED_TYPE, ".feed.json"))
        ],
    )
    page = E.HTML(head, body, lang=words.lang)
    # libxml2 knows no <wbr> (HTML 4) and closes it; HTML has no end tag for it. arXiv's
    # text is escaped, so only our own elements can read "<wbr></wbr>".
    return tostring(page, doctype="<!DOCTYPE html>", encoding="utf-8", pretty_print=True).replace(
        b"<wbr></wbr>", b"<wbr>")
