"""The render stage: writers turn the published-feed view into files.

A writer is an object with two methods: ``render(view) -> {relative path: bytes}``, and
``files(...)``, the paths ``render`` returns, known without rendering, so that a build can
carry a failed feed's previous files over and the verifier knows the exact set of files a
site holds. Feed writers render one feed's own files (its Atom document, its JSON Feed)
and run only for a feed whose window is published this run: a feed that failed keeps
the files it had. Page writers render a feed's pages from its view on every run, whatever
became of the feed, as soon as the feed is done, so that a run never holds every feed's
window at once; which pages there are depends on the announcement days of the window's
entries (``site.page_days``), so their ``files`` takes those days too. Site writers render what stands around every feed (the index, the OPML
list, the stylesheet, the status feed) from summaries of every feed (``FeedView.summary``),
on every run. A new output format is a new module with a writer and one line in one of
the lists below.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Protocol

from feedbridge.render.atom import AtomWriter
from feedbridge.render.jsonfeed import JsonFeedWriter
from feedbridge.render.opml import OpmlWriter
from feedbridge.render.site import IndexWriter, PagesWriter, StylesheetWriter
from feedbridge.render.status import StatusFeedWriter
from feedbridge.render.view import FeedView, SiteView


class FeedWriter(Protocol):
    def render(self, feed: FeedView) -> dict[str, bytes]:
        """The feed's files; raises OutputError when the result must not be published."""

    def files(self, name: str) -> tuple[str, ...]:
        """The paths ``render`` returns for the feed called ``name``, relative to the site root."""


class PageWriter(Protocol):
    def render(self, feed: FeedView) -> dict[str, bytes]:
        """The feed's pages, for every feed on every run."""

    def files(self, name: str, days: Iterable[date] = ()) -> tuple[str, ...]:
        """The paths ``render`` returns for the feed called ``name`` whose window's entries
        were announced on ``days`` (``site.page_days(entries)``), relative to the site root."""


class SiteWriter(Protocol):
    def render(self, site: SiteView) -> dict[str, bytes]: ...

    def files(self, names: Sequence[str]) -> tuple[str, ...]:
        """The paths ``render`` returns for a site of the feeds called ``names``."""


FEED_WRITERS: tuple[FeedWriter, ...] = (AtomWriter(), JsonFeedWriter())
PAGE_WRITERS: tuple[PageWriter, ...] = (PagesWriter(),)
SITE_WRITERS: tuple[SiteWriter, ...] = (StylesheetWriter(), IndexWriter(), OpmlWriter(), StatusFeedWriter())
