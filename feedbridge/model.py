"""The records every stage shares: a paper, its translation, a fetched feed, a feed's status.

They hold data only, with no knowledge of where a paper came from: a source fills in
its links, the translate stage pairs its sentences, the writers read both. Importing
this module costs nothing, so any stage may.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum


@dataclass(frozen=True)
class Author:
    """One author; affiliations as the source gives them (parentheses, or the API's fields)."""

    name: str
    affiliations: tuple[str, ...] = ()


@dataclass(frozen=True)
class PaperLinks:
    """Where a reader finds the paper: set by the source, rendered as they are."""

    abstract: str  # the paper's landing page
    pdf: str
    html: str | None = None  # an HTML rendering of this version, where the source offers one
    code: str | None = None  # the code the authors point to


@dataclass(frozen=True)
class Paper:
    """One announced paper."""

    arxiv_id: str  # without version: "2504.17830", "hep-th/9901001"
    version: int  # 1 for "v1"
    title: str  # whitespace-joined, every character kept
    abstract: str  # announce prefix removed, hard wraps joined, every character kept
    authors: tuple[Author, ...]
    categories: tuple[str, ...]  # primary first
    announce_type: str  # "new", "cross", "replace", "replace-cross"
    announced: datetime  # timezone-aware announcement time
    links: PaperLinks
    doi: str | None = None
    journal_ref: str | None = None
    license: str | None = None  # a URL, as in dc:rights
    comment: str | None = None  # the authors' comments (pages, venue, code)
    # True: read from the arXiv API for an announcement day arXiv's feed no longer served
    recovered: bool = False
    # When arXiv received this version, and the first one: the API tells (its updated and
    # published); arXiv's feeds tell only the announcement day. None where unknown.
    submitted: datetime | None = None
    first_submitted: datetime | None = None


@dataclass(frozen=True)
class SourceFeed:
    """What one read of one source gave: the channel's facts and its papers in the source's order."""

    title: str
    announced: datetime | None  # the channel's date; None if it has none
    papers: tuple[Paper, ...]
    # One line each, starting with the source: what was repaired or skipped to read the feed.
    warnings: tuple[str, ...] = ()
    # What no item had that every arXiv item carries ("authors", "arxiv-fields"): the
    # source's format may have changed; the papers are read as they are, and a warning says so.
    degraded: tuple[str, ...] = ()


@dataclass(frozen=True)
class SentencePair:
    source: str
    target: str
    translated: bool = True  # False: the engine fell back to the source text
    # True: translated in fragments, the text between its math, URLs and ids sentence by
    # sentence, those spans spliced back verbatim (the model lost them translating it whole)
    in_fragments: bool = False


@dataclass(frozen=True)
class Translation:
    """A text split into sentences, each with its translation, in order."""

    sentences: tuple[SentencePair, ...]

    @property
    def translated_text(self) -> str | None:
        """The translated sentences joined; None when the engine translated none of them.

        One rule for every writer: a text shows a translation once any sentence of it was
        translated, and then every sentence in the target text (a refused one as its source).
        """
        if not any(pair.translated for pair in self.sentences):
            return None
        return " ".join(pair.target for pair in self.sentences)


@dataclass(frozen=True)
class TranslatedPaper:
    paper: Paper
    source_lang: str
    target_lang: str
    title: Translation
    abstract: Translation
    translator: str  # provenance, e.g. "translate-en_ja 1.1"

    @property
    def untranslated(self) -> int:
        """Sentences kept in the source language."""
        return sum(not pair.translated for pair in (*self.title.sentences, *self.abstract.sentences))

    @property
    def in_fragments(self) -> int:
        """Sentences translated in fragments (SentencePair.in_fragments)."""
        return sum(pair.in_fragments for pair in (*self.title.sentences, *self.abstract.sentences))


@dataclass(frozen=True)
class StatusEvent:
    """Something the maintainer must hear of: a gap opened or closed, a failed feed, a stale one."""

    id: str  # a urn:uuid, kept from run to run
    time: datetime  # the run's clock when it was noticed
    kind: str  # "gap-opened", "gap-closed", "failed", "stale"
    feed: str  # the feed's name
    title: str  # one line, in words


class FeedStatus(str, Enum):
    """What a run did to a feed, as status.json, the summaries and the site say it."""

    UPDATED = "updated"  # a fresh batch was merged
    EMPTY = "empty"  # the source announced nothing (weekend, holiday): the feed is kept
    STALE = "stale"  # the source sent the last batch again, or an older one, though a newer is due: the feed is kept
    CURRENT = "current"  # the source sent the batch the feed already holds, and no newer one is due
    FAILED = "failed"  # reading or writing it failed: the feed is kept
    PARTIAL = "partial"  # a topic feed updated from some of its sources; another failed
    SKIPPED = "skipped"  # not selected by --only: the feed is kept

    def __str__(self) -> str:
        return self.value
