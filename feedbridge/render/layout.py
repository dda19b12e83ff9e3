"""What a paper's entry says, and in which order: one layout for the Atom content and the page.

A paper shows the same parts wherever it is read, built here once from the translated
paper: the title (the translation, else the original) and the original beneath it, the
authors, the facts (``arXiv:<id>v<n>``, the announce type, the categories, DOI, journal
ref, licence), the authors' comments, the abstract sentence by sentence with each
original, the whole original abstract, the links, the provenance. Each writer keeps its
own markup and shows the parts its form has room for, in this order.

Every piece of arXiv text is kept as it is, bidi controls included, less the control
characters (``clean_text``): XML 1.0 forbids most of them, and one stray control must not
sink a feed; DEL and the C1 controls, which XML allows, carry no text either (feedparser
reads them as Windows-1252 letters, a terminal reader may obey them). So that a bidi
control cannot reorder what stands around it, each piece of arXiv text inside a line of
other text is its own bidi isolate (``isolate``); titles and sentences are blocks of their
own, which end any embedding. Only an http(s) licence becomes a link: ``javascript:`` and
the like stay text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from lxml import etree

from feedbridge.model import Author, SentencePair, TranslatedPaper
from feedbridge.render.words import Words, words_for
from feedbridge.tex import letters

SEPARATOR = " · "  # between the parts of a line: the facts, the links
# What XML 1.0 forbids, and the controls it allows that carry no text (DEL, C1).
_NOT_TEXT = re.compile("[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Link:
    """A link as the entry shows it."""

    text: str  # feedbridge's words ("PDF"), or arXiv's text (a DOI, a licence)
    href: str | None  # None: shown as text, never a link
    media_type: str | None = None  # what it leads to, where a feed can say so


@dataclass(frozen=True)
class PaperLayout:
    """A paper's parts in reading order, every text clean; languages say which words are whose."""

    source_lang: str  # arXiv's text
    target_lang: str  # the translations
    title: str  # the translated title, else the original: what a reader's list shows
    title_lang: str
    original_title: str | None  # beneath a translated title; None when ``title`` is the original
    authors: tuple[str, ...]  # each as ``author_text`` writes it
    reference: str  # "arXiv:2504.17830v2"
    announce_type: str  # in words: "cross-list"
    categories: tuple[str, ...]  # primary first
    doi: Link | None  # to doi.org, made of the clean DOI so that it leads where its text says
    journal_ref: str | None
    licence: Link | None  # a link only when it is a web URL
    comment: str | None
    sentences: tuple[SentencePair, ...]  # the abstract: each translation with its original
    abstract: str  # the original abstract, whole
    links: tuple[Link, ...]  # the abstract page (the paper's own page), the PDF, then HTML and code where known
    engine: str  # the translation engine's name: "Argos Translate"
    translator: str  # its model: "translate-en_ja 1.1"
    words: Words  # feedbridge's own words, in the target language where it has them
    recovered: str | None = None  # the words' note for a paper recovered from the API

    @property
    def entry_title(self) -> str:
        """The plain-text title a feed reader lists: the translation, " — ", the original
        (just the original when nothing of it was translated); TeX accents as letters,
        math as TeX, since a title holds no markup."""
        title = self.title if self.original_title is None else f"{self.title} — {self.original_title}"
        return letters(title)

    @property
    def translated(self) -> bool:
        """Whether any sentence of the abstract was translated: else the abstract is shown once."""
        return any(pair.translated for pair in self.sentences)


def paper_layout(translated: TranslatedPaper, engine: str) -> PaperLayout:
    """The paper's parts; its title shows the translation by ``Translation.translated_text``'s rule."""
    paper, source = translated.paper, translated.source_lang
    words = words_for(translated.target_lang)
    title = translated.title.translated_text
    doi = _clean(paper.doi)
    links = (
        (words.abstract_page, paper.links.abstract, "text/html"),
        (words.pdf, paper.links.pdf, "application/pdf"),
        (words.html_version, paper.links.html, "text/html"),
        (words.code, paper.links.code, None),
    )
    return PaperLayout(
        source_lang=source,
        target_lang=translated.target_lang,
        title=clean_text(title or paper.title),
        title_lang=translated.target_lang if title else source,
        original_title=clean_text(paper.title) if title else None,
        authors=tuple(clean_text(author_text(author)) for author in paper.authors),
        reference=clean_text(f"arXiv:{paper.arxiv_id}v{paper.version}"),
        announce_type=clean_text(words.announce_types.get(paper.announce_type, paper.announce_type)),
        categories=tuple(clean_text(category) for category in paper.categories),
        doi=Link(doi, f"https://doi.org/{quote(doi, safe='/')}") if doi is not None else None,
        journal_ref=_clean(paper.journal_ref),
        licence=_licence(paper.license),
        comment=_clean(paper.comment),
        sentences=tuple(
            SentencePair(clean_text(pair.source), clean_text(pair.target), pair.translated)
            for pair in translated.abstract.sentences
        ),
        abstract=clean_text(paper.abstract),
        links=tuple(Link(text, clean_text(href), media_type) for text, href, media_type in links if href),
        engine=engine,
        translator=clean_text(translated.translator),
        words=words,
        recovered=words.recovered if paper.recovered else None,
    )


def author_text(author: Author) -> str:
    """'Name (Affiliation; Other)': arXiv's own way of writing affiliations."""
    if not author.affiliations:
        return author.name
    return f"{author.name} ({'; '.join(author.affiliations)})"


def _licence(licence: str | None) -> Link | None:
    """Judged as arXiv sent it, before its controls are dropped, so that dropping them
    never makes a link of what was not one."""
    if not licence:
        return None
    text = clean_text(licence)
    return Link(text, text if is_web_url(licence) else None)


def _clean(text: str | None) -> str | None:
    """An optional text, clean; None when the source gave none (or an empty one)."""
    return clean_text(text) if text else None


def is_web_url(url: str) -> bool:
    """Whether a URL from arXiv may be a link: http(s) with a host, nothing a browser runs."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc) and url == url.strip()


def clean_text(text: str) -> str:
    """Text without the control characters XML forbids or that carry no text (DEL, C1)."""
    return _NOT_TEXT.sub("", text)


# --- markup both writers share ------------------------------------------------------


def isolate(
    parent: etree._Element,
    texts: Iterable[str],
    element: Callable[[str], etree._Element],
    separator: str = ", ",
) -> etree._Element:
    """Each text in an isolating element of its own, so that a stray override stays inside it.

    ``element`` makes the isolate: ``<bdi>`` on a page, ``<span dir="auto">`` in a feed's
    XHTML, since readers' sanitisers (feedparser's among them) keep a span and its ``dir``
    but drop a bdi.
    """
    for position, text in enumerate(texts):
        if position:
            append_text(parent, separator)
        parent.append(element(text))
    return parent


def append_text(parent: etree._Element, text: str) -> None:
    """Append clean text after the last child (or inside, if none): lxml's mixed-content model."""
    if len(parent):
        parent[-1].tail = (parent[-1].tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def credit(attribution: str) -> str:
    """The sentence crediting a translation model, as its licence (CC BY-SA) asks of
    every page and feed its output reaches."""
    return f"Translations: {attribution.rstrip('.')}."
