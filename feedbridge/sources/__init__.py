"""Where announcements come from: a Source reads one category's announcement into a SourceFeed.

The pipeline knows only the `Source` protocol and `feed_source`, which picks the one a
run reads from. To add a source: one module here that reads a category into a
`model.SourceFeed`, and one line in `feed_source` that chooses it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from feedbridge.fetch import Fetcher
from feedbridge.model import SourceFeed
from feedbridge.sources.arxiv_rss import ArxivRss
from feedbridge.sources.saved import SavedFeeds


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
