"""What ``feedbridge fetch`` saved (``--from-dir``), read back as the sources a build reads
online:

- ``<folder>/<category>.xml``: each category's feed as arXiv sent it (``SavedFeeds``),
  parsed exactly as a fetched one, so a saved day builds the feed that day built;
- ``<folder>/missed/<category>/<YYYY-MM-DD>.json``: each missed announcement day fetch
  read back from the arXiv API (``SavedMissedDays``): the day's papers of the category
  as the API source gave them, or why the day is not recoverable.

A missed day is kept as its papers, not as the API's answers: the answers cover ranges
of ids of all of arXiv, which a build would have to bound again from the same papers to
read them back; the day's own papers are few, and the build closes the gap with them
whatever its own bounds. A failing API is not saved: the gap stays open for the next run.

For builds without the network (a matrix's jobs, a replay, a test, a feed fetched by
other means).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from feedbridge.atomicfile import write_atomic
from feedbridge.errors import FeedbridgeError
from feedbridge.model import SourceFeed
from feedbridge.sources.arxiv_missed import MissedDay, NotRecoverable
from feedbridge.sources.arxiv_rss import Clock, parse_feed, utc_now
from feedbridge.sources.paper_json import paper_from_json, paper_json

MISSED_DIR = "missed"  # <folder>/missed/<category>/<YYYY-MM-DD>.json


class SavedFeeds:
    """``clock``: what the feeds' dates are checked against (`arxiv_rss.parse_feed`); a
    replay of days ahead of the real clock gives its own."""

    def __init__(self, folder: Path, clock: Clock = utc_now):
        self.folder = folder
        self.clock = clock

    def location(self, category: str) -> str:
        return str(self.folder / f"{category}.xml")

    def read(self, category: str) -> SourceFeed:
        where = self.location(category)
        try:
            data = Path(where).read_bytes()
        except OSError as err:
            raise FeedbridgeError(f"{where}: cannot read saved feed: {err.strerror or err}") from None
        return parse_feed(data, where, now=self.clock())

    def save(self, category: str, data: bytes) -> None:
        """Keep a category's feed as sent, where ``read`` finds it (`arxiv_rss.ArxivRss`'s ``keep``)."""
        write_atomic(Path(self.location(category)), data)


@dataclass(frozen=True)
class SavedMissedDay:
    """One missed day as fetch read it back, category by category."""

    folder: Path
    day: date

    def location(self, category: str) -> str:
        return str(self.folder / MISSED_DIR / category / f"{self.day.isoformat()}.json")

    def read(self, category: str) -> SourceFeed:
        """The day's papers of ``category``; NotRecoverable as fetch found it; another
        FeedbridgeError when fetch did not read the day back (the API failed, its budget was
        spent, or this build's gaps are not fetch's)."""
        where = self.location(category)
        try:
            data = json.loads(Path(where).read_bytes())
        except FileNotFoundError:
            raise FeedbridgeError(f"{where}: feedbridge fetch did not read this missed day back") from None
        except (OSError, ValueError) as err:
            raise FeedbridgeError(f"{where}: cannot read the saved missed day: {err}") from None
        try:
            if "not_recoverable" in data:
                raise NotRecoverable(str(data["not_recoverable"]))
            announced = datetime.fromisoformat(data["announced"])
            return SourceFeed(data["title"], announced, tuple(paper_from_json(p) for p in data["papers"]))
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise FeedbridgeError(f"{where}: not a missed day feedbridge fetch saved ({type(err).__name__}: {err})"
                                  ) from None

    def save(self, category: str, got: SourceFeed | NotRecoverable) -> None:
        """Keep what the API source gave for the day: its papers, or why it is not recoverable."""
        if isinstance(got, NotRecoverable):
            document = {"day": self.day.isoformat(), "category": category, "not_recoverable": str(got)}
        else:
            document = {"day": self.day.isoformat(), "category": category, "title": got.title,
                        "announced": got.announced.isoformat(), "papers": [paper_json(p) for p in got.papers]}
        write_atomic(Path(self.location(category)),
                     json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8") + b"\n")


@dataclass(frozen=True)
class SavingMissedDay:
    """A missed day read from the arXiv API whose answer is also kept for a build from the
    folder (``feedbridge fetch``): its papers, or why it is not recoverable."""

    source: MissedDay
    saved: SavedMissedDay

    def location(self, category: str) -> str:
        return self.source.location(category)

    def read(self, category: str) -> SourceFeed:
        try:
            got = self.source.read(category)
        except NotRecoverable as err:
            self.saved.save(category, err)
            raise
        self.saved.save(category, got)
        return got
