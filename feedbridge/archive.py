"""The rolling window: what a feed published before, merged with arXiv's new batch.

arXiv's feed holds only the latest announcement and is empty on weekends and
holidays, so each published feed keeps the papers of its last ``window.days``
announcement days (at most ``window.max_entries``), newest first.

The history must survive a CI runner that starts empty every day, so it is
published with the site: ``archive/<feed name>.json`` holds the window's papers with
their sentence-aligned translations (a new version whose title and abstract did not
change keeps its translation), and the freshness guard's memory: per arXiv source,
the date and versioned ids of the last batch accepted. At the start of a run it is read back
from the site's base URL and from the local output folder, whichever is newer; a
first run, or one whose history cannot be read, starts clean and says so.

The guard: an empty batch (weekend, holiday), the same batch as last time, or an
older one leaves the feed exactly as published. Nothing here reads a clock: the
window counts announcement days as arXiv dates them, so the same inputs give the
same feed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from feedbridge import __version__
from feedbridge.config import DEFAULT_MAX_ENTRIES, DEFAULT_WINDOW_DAYS, FeedConfig
from feedbridge.errors import FeedbridgeError
from feedbridge.fetch import Fetcher
from feedbridge.model import Author, Paper, SentencePair, SourceFeed, TranslatedPaper, Translation
from feedbridge.sources.arxiv_links import arxiv_links

ARCHIVE_DIR = "archive"  # under the output folder and the base URL
FORMAT = 1  # bumped when the JSON layout changes incompatibly


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
class Window:
    days: int = DEFAULT_WINDOW_DAYS
    max_entries: int = DEFAULT_MAX_ENTRIES


@dataclass(frozen=True)
class FeedArchive:
    """A feed's published state: its window of entries and the guard's memory."""

    entries: tuple[Entry, ...] = ()  # newest first
    days: tuple[date, ...] = ()  # the window's announcement days, oldest first
    batches: dict[str, Batch] = field(default_factory=dict)  # by arXiv source (category)

    @property
    def newest(self) -> datetime | None:
        """The latest announcement the feed holds: its Atom ``updated``."""
        dates = [e.updated for e in self.entries] + [b.announced for b in self.batches.values()]
        return max(dates, default=None)


# --- the guard --------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """What to do with one source's fetch: merge it ("fresh") or keep the feed as it is."""

    status: str  # "fresh", "empty" or "stale"
    message: str = ""


def batch_of(feed: SourceFeed) -> Batch:
    """The batch's announcement: the channel's date, else its newest item's."""
    announced = feed.announced or max(p.announced for p in feed.papers)
    return Batch(announced, frozenset(f"{p.arxiv_id}v{p.version}" for p in feed.papers))


def judge(previous: Batch | None, fetched: SourceFeed) -> Verdict:
    """arXiv can lag and serve yesterday's batch again: compare ids, not timestamps."""
    if not fetched.papers:
        return Verdict("empty", "arXiv sent no papers (weekend or holiday); the published feed is kept")
    batch = batch_of(fetched)
    if previous is not None and batch.ids == previous.ids:
        day = previous.announced.date().isoformat()
        return Verdict("stale", f"arXiv sent the same batch as last time (announced {day}); the published feed is kept")
    if previous is not None and batch.announced < previous.announced:
        return Verdict(
            "stale",
            f"arXiv sent a batch announced {batch.announced.date()}, older than the last one"
            f" ({previous.announced.date()}); the published feed is kept",
        )
    return Verdict("fresh")


# --- choosing and merging ---------------------------------------------------------


def select_papers(feed: FeedConfig, papers: Iterable[Paper], archive: FeedArchive) -> list[Paper]:
    """The papers of new batches that change this feed, in arXiv's order.

    A paper already in the window comes back only as a newer version; one that is
    not comes in if its announce type's policy is ``include`` (and, for a topic feed,
    its title or abstract matches).
    """
    versions = {e.paper.arxiv_id: e.paper.version for e in archive.entries}
    chosen: dict[str, Paper] = {}
    for paper in papers:
        policy = feed.announce.for_type(paper.announce_type)
        if policy == "exclude":
            continue
        known = versions.get(paper.arxiv_id)
        if known is None and (policy != "include" or not _on_topic(feed, paper)):
            continue
        seen = chosen.get(paper.arxiv_id)
        if paper.version > max(known or 0, seen.version if seen else 0):
            chosen[paper.arxiv_id] = paper
    return list(chosen.values())


def _on_topic(feed: FeedConfig, paper: Paper) -> bool:
    return feed.topic is None or feed.topic.matches(f"{paper.title}\n{paper.abstract}")


def merge(
    archive: FeedArchive,
    translated: Sequence[TranslatedPaper],
    batches: dict[str, Batch],
    window: Window,
) -> FeedArchive:
    """Add new papers and new versions, then keep the window's days and size.

    An updated paper keeps its first announcement as ``published`` and moves up with
    its new ``updated``; within a day arXiv's order (new, cross-lists, replacements)
    is kept, since the sort is stable.
    """
    previous = {e.paper.arxiv_id: e for e in archive.entries}
    fresh = [Entry(t, _first_published(previous.get(t.paper.arxiv_id), t)) for t in translated]
    renewed = {e.paper.arxiv_id for e in fresh}
    entries = fresh + [e for e in archive.entries if e.paper.arxiv_id not in renewed]
    entries.sort(key=lambda e: e.updated, reverse=True)
    new_days = {b.announced.date() for b in batches.values()}
    days = tuple(sorted(set(archive.days) | new_days)[-window.days:])
    if days:
        entries = [e for e in entries if e.updated.date() >= days[0]]
    return FeedArchive(tuple(entries[: window.max_entries]), days, {**archive.batches, **batches})


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


# --- the archive file -------------------------------------------------------------


def dump(archive: FeedArchive, name: str) -> bytes:
    """The archive as compact, sorted JSON: the same archive gives the same bytes."""
    document = {
        "format": FORMAT,
        "feed": name,
        "generator": f"feedbridge {__version__}",
        "days": [d.isoformat() for d in archive.days],
        "batches": {
            source: {"announced": b.announced.isoformat(), "ids": sorted(b.ids)}
            for source, b in sorted(archive.batches.items())
        },
        "entries": [_entry_json(e) for e in archive.entries],
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def load(data: bytes, source: str) -> FeedArchive:
    """Read an archive back; anything unexpected is one FeedbridgeError naming ``source``."""
    try:
        document = json.loads(data)
        if document.get("format") != FORMAT:
            raise ValueError(f"format {document.get('format')!r}, this feedbridge reads {FORMAT}")
        return FeedArchive(
            entries=tuple(_entry_from(e) for e in document["entries"]),
            days=tuple(date.fromisoformat(d) for d in document["days"]),
            batches={
                source_name: Batch(datetime.fromisoformat(b["announced"]), frozenset(b["ids"]))
                for source_name, b in document["batches"].items()
            },
        )
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise FeedbridgeError(f"{source}: not a feedbridge archive ({type(err).__name__}: {err})") from None


def _entry_json(entry: Entry) -> dict[str, Any]:
    translated = entry.translated
    paper = asdict(translated.paper)
    del paper["links"]  # derived from the id and the comment on load
    paper["announced"] = translated.paper.announced.isoformat()
    return {
        "paper": paper,
        "published": entry.published.isoformat(),
        "source_lang": translated.source_lang,
        "target_lang": translated.target_lang,
        "translator": translated.translator,
        "title": _sentences_json(translated.title),
        "abstract": _sentences_json(translated.abstract),
    }


def _sentences_json(translation: Translation) -> list[list[Any]]:
    return [[p.source, p.target, p.translated] for p in translation.sentences]


def _entry_from(data: dict[str, Any]) -> Entry:
    translated = TranslatedPaper(
        paper=_paper_from(data["paper"]),
        source_lang=data["source_lang"],
        target_lang=data["target_lang"],
        title=_sentences_from(data["title"]),
        abstract=_sentences_from(data["abstract"]),
        translator=data["translator"],
    )
    return Entry(translated, datetime.fromisoformat(data["published"]))


def _paper_from(data: dict[str, Any]) -> Paper:
    """Fields this version knows are read; a field a newer version added is ignored."""
    values = {f.name: data[f.name] for f in fields(Paper) if f.name in data and f.name != "links"}
    values["links"] = arxiv_links(values["arxiv_id"], values["version"], values.get("comment"))
    values["authors"] = tuple(Author(a["name"], tuple(a["affiliations"])) for a in values["authors"])
    values["categories"] = tuple(values["categories"])
    values["announced"] = datetime.fromisoformat(values["announced"])
    return Paper(**values)


def _sentences_from(data: list[list[Any]]) -> Translation:
    return Translation(tuple(SentencePair(str(s), str(t), bool(ok)) for s, t, ok in data))


# --- reading the history back -----------------------------------------------------


@dataclass(frozen=True)
class History:
    """A feed's archive as found at the start of a run, and where it came from."""

    archive: FeedArchive
    origin: str  # for the run summary: where the history was read, or why there is none
    found: bool = True  # False: a clean start


class HistoryReader:
    """Reads each feed's archive from the published site and from the local output folder.

    The site is the truth on a fresh CI runner; the local folder is the truth for a
    user who builds without deploying. Both are read and the one with the later
    announcement day wins (the site on a tie).
    """

    def __init__(self, base_url: str, out_dir: Path, fetcher: Fetcher):
        self.base_url = base_url
        self.out_dir = out_dir
        self.fetcher = fetcher

    def read(self, name: str) -> History:
        remote, remote_note = self._remote(name)
        local, local_note = self._local(name)
        if remote is None and local is None:
            return History(FeedArchive(), f"none, starting clean ({remote_note}; {local_note})", found=False)
        if local is None or (remote is not None and _last_day(remote[0]) >= _last_day(local[0])):
            return History(*remote)
        return History(*local)

    def _remote(self, name: str) -> tuple[tuple[FeedArchive, str] | None, str]:
        url = self.base_url + archive_path(name)
        try:
            return (load(self.fetcher.fetch(url).body, url), f"read from {url}"), ""
        except FeedbridgeError as err:
            return None, f"site: {err}"

    def _local(self, name: str) -> tuple[tuple[FeedArchive, str] | None, str]:
        path = self.out_dir / archive_path(name)
        if not path.exists():
            return None, f"no {path}"
        try:
            return (load(path.read_bytes(), str(path)), f"read from {path}"), ""
        except OSError as err:
            return None, f"{path}: {err.strerror or err}"
        except FeedbridgeError as err:
            return None, str(err)


def _last_day(archive: FeedArchive) -> date:
    return archive.days[-1] if archive.days else date.min
