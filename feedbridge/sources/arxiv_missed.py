"""A missed announcement day, read back from the arXiv API: a Source for a day arXiv's
feed no longer serves.

arXiv's RSS holds only the current announcement, so a day no run fetched in time is gone
from it by the next. The API answers any paper by id, and arXiv numbers new submissions
in the order they arrive (``2606.01234``, ``2606.01235`` …), across all categories. An
announcement carries the submissions made between two deadlines
(``announcement_days.submission_deadline``), so the new papers of a missed day have ids
between the newest new paper of an announcement before it and the oldest of one after
it. ``MissedDay.read`` asks the API for that range, ``BATCH_SIZE`` ids a request
(``id_list``), through the run's Fetcher, so the pause between requests covers it too,
and keeps the papers that:

- were submitted (their first version's ``published``) after the deadline of the
  announcement day before the missed one, and by the missed day's own; and
- list the category: as their primary, they were announced in it as ``new``; else as a
  ``cross`` list.

They are dated the missed day (midnight New York time, as arXiv's feed dates them) and
marked ``recovered``. A range with no announcement known after it (the missed days are
the latest) is read until the ids run out: the API knows only announced papers.

What this cannot find, and docs/reliability.md says: replacements (a new version of an
older paper keeps its old id), cross-lists added to an older paper, and a paper arXiv
held past its deadline (its id lies in an earlier day's range). The API answers a
paper's newest version: a paper replaced since the missed day comes with that version's
text. A day with no known announcement before it, or none within MAX_DAYS_BACK
announcement days, cannot be bounded within a run's budget, and is not recoverable
(``NotRecoverable``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time

from feedbridge.announcement_days import NEW_YORK, announcement_days, submission_deadline
from feedbridge.errors import FeedbridgeError
from feedbridge.fetch import Fetcher
from feedbridge.model import Paper, SourceFeed
from feedbridge.sources.arxiv_api import BATCH_SIZE, parse_answer, query_url

# Requests one run may make to recover missed days: arXiv numbers some 1,200 new
# submissions a weekday, so 150 requests of 100 ids reach over ten days of them, at arXiv's
# 3 s pace in under eight minutes. A longer outage is recovered over the next runs.
MAX_REQUESTS = 150
# Announcement days the nearest known one before a missed day may lie back: the ids
# between are read, and more than this many days of them is more than a run's budget.
MAX_DAYS_BACK = 10
_NEW_STYLE_ID = re.compile(r"([0-9]{4})\.([0-9]{4,5})")


class NotRecoverable(FeedbridgeError):
    """The day's papers cannot be found through the API: its gap closes as such."""


@dataclass(frozen=True, order=True)
class _Number:
    """A new-style arXiv id as a number: its month and its place in the month."""

    month: str  # "2606"
    serial: int

    @classmethod
    def of(cls, arxiv_id: str) -> _Number | None:
        match = _NEW_STYLE_ID.fullmatch(arxiv_id)
        return cls(match[1], int(match[2])) if match else None

    def id(self) -> str:
        return f"{self.month}.{self.serial:05d}"

    def next_month(self) -> _Number:
        year, month = int(self.month[:2]), int(self.month[2:])
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return _Number(f"{year:02d}{month:02d}", 1)


def known_ids(papers: Iterable[Paper]) -> dict[date, tuple[_Number, _Number]]:
    """The lowest and highest id of the new submissions each announcement day is known to
    carry (from the feeds' windows and this run's batches): the bounds of missed days."""
    return {day: (lowest[0], highest[0]) for day, (lowest, highest) in _bounds(papers).items()}


def bounding_papers(papers: Iterable[Paper]) -> list[Paper]:
    """The papers that set ``known_ids``: the lowest and highest new submission of each
    day. ``known_ids`` of them is ``known_ids`` of all, so a run keeps these few instead of
    every paper it has seen."""
    return [paper for lowest, highest in _bounds(papers).values()
            for paper in ((lowest[1],) if lowest[1] is highest[1] else (lowest[1], highest[1]))]


def _bounds(papers: Iterable[Paper]) -> dict[date, tuple[tuple[_Number, Paper], tuple[_Number, Paper]]]:
    """Per announcement day, its lowest and highest numbered new submission (not a
    recovered one: its day is what is being found)."""
    by_day: dict[date, list[tuple[_Number, Paper]]] = {}
    for paper in papers:
        number = _Number.of(paper.arxiv_id)
        if paper.announce_type == "new" and not paper.recovered and number is not None:
            by_day.setdefault(paper.announced.astimezone(NEW_YORK).date(), []).append((number, paper))
    first = lambda numbered: numbered[0]  # noqa: E731
    return {day: (min(numbered, key=first), max(numbered, key=first)) for day, numbered in by_day.items()}


@dataclass
class ApiRanges:
    """The API's answers for ranges of ids, asked once a run however many feeds and days
    need them, with the run's request budget."""

    fetcher: Fetcher
    api_url: str
    holidays: tuple[date, ...]
    requests: int = 0
    _answers: dict[tuple[_Number, _Number | None], list[Paper]] = field(default_factory=dict)

    def papers(self, after: _Number, before: _Number | None) -> list[Paper]:
        """Every paper with an id after ``after`` and before ``before`` (without it, until
        the ids run out)."""
        key = (after, before)
        if key not in self._answers:
            self._answers[key] = list(self._read(after, before))
        return self._answers[key]

    def _read(self, after: _Number, before: _Number | None) -> Iterator[Paper]:
        start = replace(after, serial=after.serial + 1)
        turned = False  # the range was carried into the next month once
        while before is None or start < before:
            end = start.serial + BATCH_SIZE
            if before is not None and before.month == start.month:
                end = min(end, before.serial)
            batch = [_Number(start.month, serial).id() for serial in range(start.serial, end)]
            found = self._ask(batch)
            yield from found
            if not found:  # past the month's last id: on into the next month, once without a bound
                if (before is None and turned) or (before is not None and start.month >= before.month):
                    return
                start, turned = start.next_month(), True
                continue
            start = replace(start, serial=end)

    def _ask(self, ids: list[str]) -> list[Paper]:
        if self.requests >= MAX_REQUESTS:
            raise FeedbridgeError(f"arXiv API: {MAX_REQUESTS} requests made to recover missed days this run;"
                                  " the rest is recovered by the next")
        self.requests += 1
        url = query_url(self.api_url, ids)
        return list(parse_answer(self.fetcher.fetch(url).body, url).papers)


@dataclass(frozen=True)
class MissedDay:
    """A Source of one missed announcement day's papers, category by category."""

    day: date
    known: dict[date, tuple[_Number, _Number]]  # known_ids
    ranges: ApiRanges

    def location(self, category: str) -> str:
        return f"{self.ranges.api_url} (the {category} announcement of {self.day.isoformat()}, by id)"

    def read(self, category: str) -> SourceFeed:
        """The day's new papers and cross-lists of ``category``; NotRecoverable when the
        day's ids have no lower bound, another FeedbridgeError when the API fails."""
        earlier = [day for day in self.known if day < self.day]
        if not earlier:
            raise NotRecoverable("no announcement before it is known, so its arXiv ids cannot be bounded")
        holidays = self.ranges.holidays
        between = announcement_days(max(earlier), self.day, holidays)
        if len(between) - 1 > MAX_DAYS_BACK:
            raise NotRecoverable(f"the nearest announcement known before it ({max(earlier)}) is {len(between) - 1}"
                                 f" announcement days back, more than the {MAX_DAYS_BACK} whose ids a run reads")
        later = [day for day in self.known if day > self.day]
        after = self.known[max(earlier)][1]
        before = self.known[min(later)][0] if later else None
        previous = between[-2]  # the announcement day before this one
        since, until = submission_deadline(previous), submission_deadline(self.day)
        announced = datetime.combine(self.day, time(), NEW_YORK)
        papers = tuple(
            replace(paper, announced=announced, recovered=True,
                    announce_type="new" if paper.categories[0] == category else "cross")
            for paper in self.ranges.papers(after, before)
            if since < (paper.first_submitted or paper.announced) <= until and category in paper.categories
        )
        return SourceFeed(f"arXiv API: {category} {self.day.isoformat()}", announced, papers)
