"""arXiv's calendar: which days carry an announcement, and when each one is made.

arXiv dates an announcement by its *label day*: the date of the RSS ``pubDate`` (midnight
New York time), Monday to Friday. The announcement itself is made the evening before, at
20:00 New York time, Sunday to Thursday, and the RSS follows at midnight.

A holiday, as arXiv lists them, is a working day without a submission deadline, and so
without the announcement that deadline would have fed; the label day that goes empty is
the one after it (docs/calendar.md has the sources):

- Monday to Thursday: no announcement that evening, so nothing is labelled the next day.
  arXiv's Tuesday 2025-12-30 is why the ``physics`` feed of Wednesday 2025-12-31 is empty
  (``tests/fixtures/arxiv``);
- Friday: no Sunday announcement, so nothing is labelled the next Monday;
- Sunday (arXiv listed 2025-07-06): no announcement that evening, nothing on Monday;
- Saturday: nothing to take away.

Why a module of its own: a feed must notice an announcement it never received (issue 17),
and that needs the days arXiv announced, not calendar days. Nothing in the pipeline calls
it yet; gap detection will. It is pure -- no clock, no I/O, no config: the holidays come
in as an argument (``Config.holidays``, by default arXiv's published lists), so the same
inputs give the same days. A year with no holidays listed counts every weekday;
``unlisted_years`` names such years so that a caller can warn.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

NEW_YORK = ZoneInfo("America/New_York")  # arXiv's clock; zoneinfo follows its daylight-saving changes
ANNOUNCE_HOUR = 20  # New York time, the evening before the label day
DEADLINE_HOUR = 14  # New York time: submissions until then go out in that evening's announcement
_DAY = timedelta(days=1)


def skipped_label_day(holiday: date) -> date | None:
    """The label day a holiday leaves without an announcement; None for a Saturday."""
    weekday = holiday.weekday()  # Monday 0 .. Sunday 6
    if weekday == 5:
        return None
    if weekday == 4:  # no Friday deadline: the Sunday announcement, labelled Monday, is not made
        return holiday + 3 * _DAY
    return holiday + _DAY  # Monday to Thursday, or Sunday: that evening's announcement


def skipped_label_days(holidays: Iterable[date]) -> frozenset[date]:
    """Every label day the holidays leave without an announcement."""
    return frozenset(day for day in map(skipped_label_day, holidays) if day is not None)


def is_announcement_day(day: date, holidays: Iterable[date]) -> bool:
    """Whether arXiv labels an announcement with ``day``: a weekday no holiday took away."""
    return day.weekday() < 5 and day not in skipped_label_days(holidays)


def announcement_days(start: date, end: date, holidays: Iterable[date]) -> list[date]:
    """The announcement days from ``start`` to ``end``, both included, oldest first
    (none when ``end`` is before ``start``)."""
    skipped = skipped_label_days(holidays)
    days = []
    day = start
    while day <= end:
        if day.weekday() < 5 and day not in skipped:
            days.append(day)
        day += _DAY
    return days


def announced_at(day: date) -> datetime:
    """When the announcement labelled ``day`` is made: 20:00 New York time the evening
    before (Sunday for a Monday), as an aware datetime in New York time."""
    if day.weekday() >= 5:
        raise ValueError(f"{day} is a {day:%A}: arXiv labels announcements Monday to Friday")
    evening = day - _DAY
    return datetime(evening.year, evening.month, evening.day, ANNOUNCE_HOUR, tzinfo=NEW_YORK)


def submission_deadline(day: date) -> datetime:
    """The end of the submissions the announcement labelled ``day`` carries: 14:00 New York
    time on the day it is made (Friday for a Monday's, made on Sunday). It begins at the
    deadline of the announcement day before, whichever day that was: a holiday moves its
    submissions to the next announcement."""
    if day.weekday() >= 5:
        raise ValueError(f"{day} is a {day:%A}: arXiv labels announcements Monday to Friday")
    made = day - (3 if day.weekday() == 0 else 1) * _DAY
    return datetime(made.year, made.month, made.day, DEADLINE_HOUR, tzinfo=NEW_YORK)


def label_day(moment: datetime) -> date:
    """The date the RSS carries at ``moment``: its New York date, as feeds change at
    midnight New York time. On a weekend or a holiday the feed carries it with no items."""
    return _in_new_york(moment).date()


def latest_announcement_day(moment: datetime, holidays: Iterable[date]) -> date:
    """The latest announcement day whose announcement was made at or before ``moment``.

    Its papers are on arXiv's listing pages and in the API from then, and in the RSS
    from the next midnight New York time."""
    local = _in_new_york(moment)
    day = local.date() + _DAY if local.hour >= ANNOUNCE_HOUR else local.date()
    skipped = skipped_label_days(holidays)
    while day.weekday() >= 5 or day in skipped:
        day -= _DAY
    return day


def served_day(moment: datetime, holidays: Iterable[date]) -> date:
    """The announcement day whose batch arXiv's RSS should serve at ``moment``: the latest
    on or before its label day. A feed still serving an older batch then is stale (arXiv
    lags, category by category); one serving this batch, already published, is current."""
    day = label_day(moment)
    skipped = skipped_label_days(holidays)
    while day.weekday() >= 5 or day in skipped:
        day -= _DAY
    return day


def unlisted_years(start: date, end: date, holidays: Iterable[date]) -> list[int]:
    """The years from ``start`` to ``end`` with no holiday listed: for them every weekday
    counts as an announcement day, which is right only until arXiv publishes its list."""
    listed = {holiday.year for holiday in holidays}
    return [year for year in range(start.year, end.year + 1) if year not in listed]


def _in_new_york(moment: datetime) -> datetime:
    if moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no time zone: give an aware datetime")
    return moment.astimezone(NEW_YORK)
