"""Feeds saved earlier (`--from-dir`): `<folder>/<category>.xml`, read as arXiv sent them.

For builds without the network (a replay, a test, a feed fetched by other means); the
file is parsed exactly as a fetched one, so a saved day builds the feed that day built.
"""

from __future__ import annotations

from pathlib import Path

from feedbridge.errors import FeedbridgeError
from feedbridge.model import SourceFeed
from feedbridge.sources.arxiv_rss import Clock, parse_feed, utc_now


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
