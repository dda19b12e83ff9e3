"""The published-feed view: everything a writer needs to render one feed, built once per run.

The pipeline builds one FeedView per configured feed after the feed's window is known,
and one SiteView around them; writers only read them. A view holds no paths, only
what a reader sees: URLs, words, the window's entries.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from feedbridge.archive import Entry, Gap
from feedbridge.model import FeedStatus, StatusEvent
from feedbridge.render.words import Words, words_for


@dataclass(frozen=True)
class FeedView:
    """One feed as its files and pages show it."""

    name: str  # file stem: <name>.xml, <name>.html
    label: str  # what it covers: "cs.AI", or a topic and its categories
    source_lang: str  # "en"
    target_lang: str  # "ja"
    language_name: str  # "Japanese", from the translation backend
    engine: str  # the translation engine's name, for provenance lines: "Argos Translate"
    base_url: str  # the site's URL, ends with "/"
    status: FeedStatus  # what this run did to the feed
    message: str  # why, when it was not updated
    entries: tuple[Entry, ...]  # the window, newest first
    last_day: date | None  # the newest announcement day in the window
    updated: datetime  # the feed's Atom updated: its newest announcement, or the channel's date
    published: bool  # whether the feed's file exists after this run (a first failure has none)
    degraded: tuple[str, ...] = ()  # what arXiv's feed lacked in every item this run (report.FeedOutcome)
    model_attribution: str | None = None  # the credit the translation model's licence asks for (CC BY-SA)
    gaps: tuple[Gap, ...] = ()  # announcement days missed within the window, open or closed (archive.gaps)
    hub: str | None = None  # the WebSub hub readers may subscribe at (site.websub_hub)
    entry_count: int | None = None  # the window's size, in a summary that leaves the entries out

    @property
    def size(self) -> int:
        """The entries in the feed's window."""
        return len(self.entries) if self.entry_count is None else self.entry_count

    def summary(self) -> FeedView:
        """The view without its entries, for the files around every feed (the index, the
        OPML): a run keeps one of these per feed, not every feed's window."""
        return replace(self, entries=(), entry_count=self.size)

    def url(self, suffix: str) -> str:
        """The absolute URL of one of the feed's files: ``view.url(".xml")``."""
        return f"{self.base_url}{self.name}{suffix}"

    @property
    def words(self) -> Words:
        """feedbridge's words on this feed's page and in its files: the target language's."""
        return words_for(self.target_lang)

    @property
    def title(self) -> str:
        """The category and the language, as feedbridge's feed, never as arXiv's own."""
        return self.words.feed_title.format(label=self.label, language=self.language_name)


@dataclass(frozen=True)
class SiteView:
    """Every configured feed, in config order, as summaries (``FeedView.summary``): what
    the site-wide files list."""

    base_url: str
    feeds: tuple[FeedView, ...]
    generated: datetime | None = None  # the run's clock
    last_success: datetime | None = None  # the last run that published with no feed failed
    events: tuple[StatusEvent, ...] = ()  # the status feed's entries, newest first
