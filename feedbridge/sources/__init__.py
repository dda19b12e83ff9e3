"""Where announcements come from: a Source reads one category's announcement into a SourceFeed.

The pipeline knows only the `Source` protocol and `feed_source`, which picks the one a
run reads from. To add a source: one module here that reads a category into a
`model.SourceFeed`, and one line in `feed_source` that chooses it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Protocol

from feedbridge.fetch import Fetcher
from feedbridge.model import Paper, SourceFeed
from feedbridge.sources.arxiv_missed import ApiRanges, MissedDay, NotRecoverable, bounding_papers, known_ids
from feedbridge.sources.arxiv_rss import ArxivRss
from feedbridge.sources.saved import SavedFeeds

__all__ = ["NotRecoverable", "Source", "bounding_papers", "feed_source", "missed_day_source"]


class Source(Protocol):
    def location(self, category: str) -> str:
        """The URL or saved file the category is read from, for messages and --dry-run."""

    def read(self, category: str) -> SourceFeed:
        """The category's announcement; raises FeedbridgeError, one line, when it cannot be read."""


def feed_source(feed_url: str, fetcher: Fetcher | None, from_dir: Path | None) -> Source:
    """The feeds saved in ``from_dir`` (``--from-dir``), else arXiv's at ``feed_url`` (a
    template with "{category}") through ``fetcher``, which only then is needed."""
    if from_dir is not None:
        return SavedFeeds(from_dir)
    if fetcher is None:
        raise ValueError("reading arXiv's feeds needs a fetcher")
    return ArxivRss(feed_url, fetcher)


def missed_day_source(api_url: str, fetcher: Fetcher,
                      holidays: Iterable[date]) -> Callable[[date, Iterable[Paper]], Source]:
    """The arXiv API as the source of announcement days arXiv's feed no longer serves: a
    Source per missed day, bounded by the ids of the known papers given with it (the
    feeds' windows and this run's batches; ``bounding_papers`` keeps only those that
    count), every day of the run sharing one run's answers and request budget."""
    ranges = ApiRanges(fetcher, api_url, tuple(holidays))
    return lambda day, known: MissedDay(day, known_ids(known), ranges)
