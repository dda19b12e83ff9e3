"""A paper's entry as one piece of HTML: the body every feed format carries.

Atom's ``content type="html"`` and JSON Feed's ``content_html`` hold the same text, built
here from the paper's layout: the title and the original beneath it, the authors, the
facts, the comments, each translated sentence in order, the original abstract, the links,
the provenance. Readers tested with our feeds (docs/readers.md) read escaped HTML in
order where some scrambled or dropped XHTML content. Every text is an lxml text node,
so arXiv's ``<`` and ``&`` come out escaped, never as markup; languages are marked with
``lang`` (readers whose sanitisers keep it use it), and each piece of arXiv text inside a
line of other text is a ``span dir="auto"`` isolate (``layout.isolate``).
"""

from __future__ import annotations

from lxml import etree
from lxml.html import builder as E
from lxml.html import tostring

from feedbridge.render.layout import SEPARATOR, PaperLayout, append_text, isolate
from feedbridge.render.math import append_with_math


def entry_html(layout: PaperLayout) -> str:
    """The entry's readable body, as an HTML fragment."""
    words, source, ui = layout.words, layout.source_lang, layout.words.lang
    body = E.DIV(append_with_math(E.H2(lang=layout.title_lang), layout.title))
    if layout.original_title is not None:
        body.append(append_with_math(E.P(lang=source), layout.original_title))
    body.append(isolate(E.P(lang=source), layout.authors, _span))
    body.append(_facts(layout))
    if layout.comment is not None:
        body.append(E.P(words.comments, _span(layout.comment, lang=source), lang=ui))
    if layout.translated:  # an abstract nothing of which was translated is shown once, below
        body.append(E.DIV(*[_sentence(pair, layout) for pair in layout.sentences], lang=layout.target_lang))
    body.append(append_with_math(E.P(lang=source), layout.abstract))
    line = E.P(lang=ui)
    for position, link in enumerate(layout.links):
        if position:
            append_text(line, SEPARATOR)
        line.append(E.A(link.text, href=link.href))
    body.append(line)
    body.append(E.P(E.SMALL(words.provenance.format(engine=layout.engine, translator=layout.translator)), lang=ui))
    if layout.recovered is not None:
        body.append(E.P(E.SMALL(layout.recovered), lang=ui))
    return tostring(body, encoding="unicode")


def _facts(layout: PaperLayout) -> etree._Element:
    """arXiv:<id>v<n> · announce type · categories, then DOI, journal ref, licence if known."""
    words = layout.words
    line = E.P(f"{layout.reference}{SEPARATOR}", _span(layout.announce_type), lang=words.lang)
    append_text(line, SEPARATOR)
    isolate(line, layout.categories, _span)
    if layout.doi is not None:
        append_text(line, f"{SEPARATOR}{words.doi}")
        line.append(E.A(layout.doi.text, href=layout.doi.href, dir="auto"))
    if layout.journal_ref is not None:
        append_text(line, f"{SEPARATOR}{words.journal_ref}")
        line.append(_span(layout.journal_ref))
    if layout.licence is not None:
        append_text(line, f"{SEPARATOR}{words.licence}")
        if layout.licence.href:
            line.append(E.A(layout.licence.text, href=layout.licence.href, dir="auto"))
        else:
            line.append(_span(layout.licence.text))
    return line


def _sentence(pair, layout: PaperLayout) -> etree._Element:
    """One abstract sentence: its translation, or the original marked untranslated."""
    if pair.translated:
        return append_with_math(E.P(), pair.target)
    return E.P(E.SPAN(layout.words.untranslated, lang=layout.words.lang), " ",
               append_with_math(_span(""), pair.source), lang=layout.source_lang)


def _span(text: str, **attributes: str) -> etree._Element:
    """A bidi isolate: readers' sanitisers (feedparser's among them) keep a span and its
    ``dir`` but drop a ``bdi``."""
    return E.SPAN(text, dir="auto", **attributes)
