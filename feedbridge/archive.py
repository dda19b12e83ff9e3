"""The rolling window: what a feed published before, merged with arXiv's new batch.

arXiv's feed holds only the latest announcement and is empty on weekends and
holidays, so each published feed keeps the papers of its last ``window.days``
announcement days (at most ``window.max_entries``), newest first.

The history must survive a CI runner that starts empty every day, so it is
published with the site: ``archive/<feed name>.json`` holds the window's papers with
their sentence-aligned translations (a new version whose title and abstract did not
change keeps its translation), and the freshness guard's memory: per arXiv source,
the date and versioned ids of the last batch accepted. Its file is
``feedbridge.archive_file``'s business; where a run reads it back from,
``feedbridge.previous``'s.

The guard: an empty batch (weekend, holiday), the same batch as last time, or an
older one leaves the feed exactly as published. Nothing here reads a clock: the
window counts announcement days as arXiv dates them, so the same inputs give the
same feed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from feedbridge.announcement_days import announcement_days
from feedbridge.config import ARCHIVE_DIR, DEFAULT_MAX_ENTRIES, DEFAULT_WINDOW_DAYS, FeedConfig
from feedbridge.model import Paper, SourceFeed, TranslatedPaper


def archive_path(name: str) -> str:
    """Where a feed's archive is published, relative to the site root."""
    return f"{ARCHIVE_DIR}/{name}.json"


@dataclass(frozen=True)
class Entry:
    """One paper in a feed's window."""

    translated: TranslatedPaper  # the latest version seen, with its translation
    published: datetime  # when this feed first announced the paper

    @property
    def paper(self) -> Paper:
        return self.translated.paper

    @property
    def updated(self) -> datetime:
        """The latest version's announcement."""
        return self.translated.paper.announced


@dataclass(frozen=True)
class Batch:
    """What the guard remembers of one arXiv feed's last accepted fetch."""

    announced: datetime
    ids: frozenset[str]  # versioned ids, "2504.17830v2": a new version is a new batch


@dataclass(frozen=True)
class DayRecord:
    """How one announcement day of one source is accounted for in a feed."""

    state: str  # "rss": a batch from arXiv's feed, an empty but current one too; "recovered"; "not recoverable"
    papers: int = 0  # recovered: the papers the day gave the feed
    note: str = ""  # what could not be recovered, or why nothing could


# A source's accounted days: each announcement day a batch was accepted for, or a gap closed.
Accounted = dict[date, DayRecord]


@dataclass(frozen=True)
class Window:
    days: int = DEFAULT_WINDOW_DAYS
    max_entries: int = DEFAULT_MAX_ENTRIES


@dataclass(frozen=True)
class FeedArchive:
    """A feed's published state: its window of entries and the guard's memory."""

    entries: tuple[Entry, ...] = ()  # newest first
    days: tuple[date, ...] = ()  # the window's announcement days, oldest first
    batches: dict[str, Batch] = field(default_factory=dict)  # by arXiv source (category)
    accounted: dict[str, Accounted] = field(default_factory=dict)  # by arXiv source: the days a gap is judged by

    @property
    def newest(self) -> datetime | None:
        """The latest announcement the feed holds: its Atom ``updated``."""
        dates = [e.updated for e in self.entries] + [b.announced for b in self.batches.values()]
        return max(dates, default=None)


# --- the guard --------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """What to do with one source's fetch: merge it ("fresh") or keep the feed as it is."""

    status: str  # "fresh", "empty", "current" or "stale"
    message: str = ""


def batch_of(feed: SourceFeed) -> Batch:
    """The batch's announcement: the channel's date, else its newest item's."""
    announced = feed.announced or max(p.announced for p in feed.papers)
    return Batch(announced, frozenset(f"{p.arxiv_id}v{p.version}" for p in feed.papers))


def judge(previous: Batch | None, fetched: SourceFeed, due: date | None = None) -> Verdict:
    """arXiv can lag and serve yesterday's batch again: compare ids, not timestamps.

    ``due`` is the announcement day the RSS should serve now (announcement_days.served_day):
    the batch already published is then current, not stale, when it is that day's — as
    on every attempt of a morning after the first that published it."""
    if not fetched.papers:
        return Verdict("empty", "arXiv sent no papers (weekend or holiday); the published feed is kept")
    batch = batch_of(fetched)
    if previous is not None and batch.ids == previous.ids:
        day = previous.announced.date().isoformat()
        if due is not None and previous.announced.date() >= due:
            return Verdict("current", f"arXiv's latest batch (announced {day}) is already published")
        return Verdict("stale", f"arXiv sent the same batch as last time (announced {day}); the published feed is kept")
    if previous is not None and batch.announced < previous.announced:
        return Verdict(
            "stale",
            f"arXiv sent a batch announced {batch.announced.date()}, older than the last one"
            f" ({previous.announced.date()}); the published feed is kept",
        )
    return Verdict("fresh")


# --- gaps --------------------------------------------------------------------------


@dataclass(frozen=True)
class Gap:
    """An announcement day of a source the feed has no batch of from arXiv's feed."""

    source: str
    day: date
    state: str  # "open": nothing yet; closed: "recovered" or "not recoverable"
    papers: int = 0
    note: str = ""

    @property
    def open(self) -> bool:
        return self.state == "open"

    def describe(self) -> str:
        """``quant-ph 2026-06-09: missed, open`` and the like, for every form of the report."""
        what = {"open": "missed, not recovered yet", "recovered": f"missed, recovered ({self.papers} papers)",
                "not recoverable": "missed, not recoverable"}[self.state]
        return f"{self.source} {self.day.isoformat()}: {what}{'; ' + self.note if self.note else ''}"


def gap_horizon(due: date, holidays: Iterable[date], days: int) -> date:
    """The oldest of the last ``days`` announcement days up to ``due``: a gap before it has
    left the window that would have held its papers."""
    recent = announcement_days(due - timedelta(days=2 * days + 21), due, holidays)
    return recent[-days] if len(recent) >= days else recent[0] if recent else due


def gaps(archive: FeedArchive, sources: Sequence[str], due: date, holidays: Iterable[date], days: int) -> list[Gap]:
    """Each source's announcement days within the horizon, from the first it accounted for
    up to ``due``, that came by no batch of arXiv's feed: open, or closed by recovery.

    A source never accounted for (a new feed) has no gaps: its history starts with its
    first batch."""
    horizon = gap_horizon(due, holidays, days)
    found = []
    for source in sources:
        record = archive.accounted.get(source)
        if not record:
            continue
        for day in announcement_days(max(min(record), horizon), due, holidays):
            known = record.get(day)
            if known is None:
                found.append(Gap(source, day, "open"))
            elif known.state != "rss":
                found.append(Gap(source, day, known.state, known.papers, known.note))
    return found


def account(archive: FeedArchive, records: dict[str, Accounted], horizon: date) -> FeedArchive:
    """The archive with this run's records added, and those before ``horizon`` let go but
    the newest of them: it says the source was followed before the horizon, so every day
    from the horizon on is counted."""
    accounted = {}
    for source in sorted(set(archive.accounted) | set(records)):
        merged = {**archive.accounted.get(source, {}), **records.get(source, {})}
        anchor = max((day for day in merged if day < horizon), default=None)
        accounted[source] = {day: merged[day] for day in sorted(merged) if day >= horizon or day == anchor}
    return replace(archive, accounted=accounted)


# --- choosing and merging ---------------------------------------------------------


# The announce types that are a new version of a paper announced before (arXiv's words).
REPLACEMENTS = ("replace", "replace-cross")


@dataclass(frozen=True)
class Selection:
    """The papers of new batches that change a feed, and what the announce policies left out."""

    papers: list[Paper]  # in arXiv's order
    # Replacements (REPLACEMENTS) of papers not in the feed's window (on its topic, for a
    # topic feed), left out because their policy is "update" (the default): new versions
    # of papers this feed never published.
    replacements_left_out: int = 0


def select_papers(feed: FeedConfig, papers: Iterable[Paper], archive: FeedArchive) -> list[Paper]:
    """The papers of new batches that change this feed, in arXiv's order (``choose``)."""
    return choose(feed, papers, archive).papers


def choose(feed: FeedConfig, papers: Iterable[Paper], archive: FeedArchive) -> Selection:
    """The papers of new batches that change this feed, in arXiv's order, and how many
    replacements were left out.

    A paper already in the window comes back only as a newer version; one that is
    not comes in if its announce type's policy is ``include`` (and, for a topic feed,
    its title or abstract matches). A replacement of a paper the window lacks, under
    the default policy ``update``, is left out and counted: a first run of a category
    publishes its new papers and cross-lists, not the day's new versions of older ones.
    """
    versions = {e.paper.arxiv_id: e.paper.version for e in archive.entries}
    chosen: dict[str, Paper] = {}
    left_out: set[str] = set()
    for paper in papers:
        policy = feed.announce.for_type(paper.announce_type)
        if policy == "exclude":
            continue
        known = versions.get(paper.arxiv_id)
        if known is None and (policy != "include" or not _on_topic(feed, paper)):
            if policy == "update" and paper.announce_type in REPLACEMENTS and _on_topic(feed, paper):
                left_out.add(paper.arxiv_id)
            continue
        seen = chosen.get(paper.arxiv_id)
        if paper.version > max(known or 0, seen.version if seen else 0):
            chosen[paper.arxiv_id] = paper
    return Selection(list(chosen.values()), len(left_out - chosen.keys()))


def _on_topic(feed: FeedConfig, paper: Paper) -> bool:
    return feed.topic is None or feed.topic.matches(f"{paper.title}\n{paper.abstract}")


def merge(
    archive: FeedArchive,
    translated: Sequence[TranslatedPaper],
    batches: dict[str, Batch],
    window: Window,
    recovered: Iterable[date] = (),
) -> FeedArchive:
    """Add new papers and new versions, then keep the window's days and size.

    An updated paper keeps its first announcement as ``published`` and moves up with
    its new ``updated``; within a day arXiv's order (new, cross-lists, replacements)
    is kept, since the sort is stable. ``recovered`` days (papers of a missed day) join
    the window's days; only arXiv's feed's ``batches`` feed the guard.
    """
    previous = {e.paper.arxiv_id: e for e in archive.entries}
    fresh = [Entry(t, _first_published(previous.get(t.paper.arxiv_id), t)) for t in translated]
    renewed = {e.paper.arxiv_id for e in fresh}
    entries = fresh + [e for e in archive.entries if e.paper.arxiv_id not in renewed]
    entries.sort(key=lambda e: e.updated, reverse=True)
    new_days = {b.announced.date() for b in batches.values()} | set(recovered)
    days = tuple(sorted(set(archive.days) | new_days)[-window.days:])
    if days:
        entries = [e for e in entries if e.updated.date() >= days[0]]
    return FeedArchive(tuple(entries[: window.max_entries]), days, {**archive.batches, **batches}, archive.accounted)


def _first_published(previous: Entry | None, translated: TranslatedPaper) -> datetime:
    return previous.published if previous is not None else translated.paper.announced


def published_translations(archives: Iterable[FeedArchive], translator: str) -> dict[str, TranslatedPaper]:
    """Every paper the published feeds hold as this translator translated it, by arXiv id.

    Only the same package and version may be reused: a new model must translate again.
    """
    return {
        entry.paper.arxiv_id: entry.translated
        for archive in archives
        for entry in archive.entries
        if entry.translated.translator == translator
    }


def carry_over(published: dict[str, TranslatedPaper], paper: Paper) -> TranslatedPaper | None:
    """The published translation for a paper whose title and abstract did not change.

    A replacement that changes only metadata (a version, a DOI, a journal reference)
    keeps its translation; changed text is translated again, where the translation
    memory, when there is one, spares every sentence that stayed the same.
    """
    known = published.get(paper.arxiv_id)
    if known is None or (known.paper.title, known.paper.abstract) != (paper.title, paper.abstract):
        return None
    return replace(known, paper=paper)
