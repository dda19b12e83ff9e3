"""Where announcements come from: a Source reads one category's announcement into a SourceFeed.

The pipeline knows only the `Source` protocol and `feed_source`, which picks the one a
run reads from (and `missed_day_source`, the one a missed day is read back from). To add
a source: one module here that reads a category into a `model.SourceFeed`, and one line
in `feed_source` that chooses it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Protocol

from feedbridge.errors import OutputError
from feedbridge.fetch import Fetcher
from feedbridge.model import Paper, SourceFeed
from feedbridge.sources.arxiv_missed import ApiRanges, MissedDay, NotRecoverable, bounding_papers, known_ids
from feedbridge.sources.arxiv_rss import ArxivRss
from feedbridge.sources.saved import MISSED_DIR, SavedFeeds, SavedMissedDay, SavingMissedDay

__all__ = ["NotRecoverable", "Source", "bounding_papers", "feed_source", "missed_day_source", "saved_missed_day_source"]


class Source(Protocol):
    def location(self, category: str) -> str:
        """The URL or saved file the category is read from, for messages and --dry-run."""

    def read(self, category: str) -> SourceFeed:
        """The category's announcement; raises FeedbridgeError, one line, when it cannot be read."""


def feed_source(feed_url: str, fetcher: Fetcher | None, from_dir: Path | None, save_to: Path | None = None) -> Source:
    """The feeds saved in ``from_dir`` (``--from-dir``), else arXiv's at ``feed_url`` (a
    template with "{category}") through ``fetcher``, which only then is needed; with
    ``save_to`` (``feedbridge fetch``), each feed read is also saved there as sent, where
    ``from_dir`` reads it."""
    if from_dir is not None:
        return SavedFeeds(from_dir)
    if fetcher is None:
        raise ValueError("reading arXiv's feeds needs a fetcher")
    return ArxivRss(feed_url, fetcher, keep=SavedFeeds(save_to).save if save_to is not None else None)


def missed_day_source(api_url: str, fetcher: Fetcher, holidays: Iterable[date],
                      save_to: Path | None = None) -> Callable[[date, Iterable[Paper]], Source]:
    """The arXiv API as the source of announcement days arXiv's feed no longer serves: a
    Source per missed day, bounded by the ids of the known papers given with it (the
    feeds' windows and this run's batches; ``bounding_papers`` keeps only those that
    count), every day of the run sharing one run's answers and request budget. With
    ``save_to`` (``feedbridge fetch``), what each day gave is also saved there, where
    ``saved_missed_day_source`` reads it."""
    ranges = ApiRanges(fetcher, api_url, tuple(holidays))
    if save_to is not None:
        try:  # there even when no day is missed: fetch looked
            (save_to / MISSED_DIR).mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise OutputError(f"{save_to / MISSED_DIR}: cannot write: {err.strerror or err}") from None
        return lambda day, known: SavingMissedDay(MissedDay(day, known_ids(known), ranges),
                                                  SavedMissedDay(save_to, day))
    return lambda day, known: MissedDay(day, known_ids(known), ranges)


def saved_missed_day_source(from_dir: Path) -> Callable[[date, Iterable[Paper]], Source] | None:
    """The missed days ``feedbridge fetch`` read back and saved in ``from_dir``, a Source per
    day as `missed_day_source` gives; None when fetch saved none (feeds saved by other
    means: their gaps stay open)."""
    if not (from_dir / MISSED_DIR).is_dir():
        return None
    return lambda day, known: SavedMissedDay(from_dir, day)
