"""arXiv's calendar: label days, holidays as arXiv lists them, and the 20:00 New York
announcement across daylight-saving changes and year boundaries."""

from datetime import date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from lxml import etree

from feedbridge.announcement_days import (
    NEW_YORK, announced_at, announcement_days, is_announcement_day, label_day,
    latest_announcement_day, served_day, skipped_label_day, submission_deadline, unlisted_years,
)
from feedbridge.config import DEFAULT_HOLIDAYS

HOLIDAY_CAPTURE = (Path(__file__).parent / "fixtures" / "arxiv"
                   / "arxiv_rss2_physics_2025-12-31_EMPTY_holiday_index-excerpt.xml")
UTC = timezone.utc
D = date.fromisoformat

# arXiv's 2026 list (info.arxiv.org/help/availability.html) and the label day each empties.
HOLIDAYS_2026 = {
    "2026-01-01": "2026-01-02",  # Thursday: no announcement that evening, nothing on Friday
    "2026-01-19": "2026-01-20",  # Monday (MLK): nothing on Tuesday
    "2026-06-19": "2026-06-22",  # Friday: no Sunday announcement, nothing on Monday
    "2026-07-03": "2026-07-06",  # Friday
    "2026-09-07": "2026-09-08",  # Monday (Labor Day)
    "2026-11-26": "2026-11-27",  # Thursday (Thanksgiving)
    "2026-12-25": "2026-12-28",  # Friday
    "2026-12-29": "2026-12-30",  # Tuesday
    "2026-12-31": "2027-01-01",  # Thursday: the label day is in the next year
}


def ny(*args):
    return datetime(*args, tzinfo=NEW_YORK)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


# --- weekends and label days ---------------------------------------------------------------

def test_a_plain_week_is_monday_to_friday():
    assert announcement_days(D("2026-02-07"), D("2026-02-15"), DEFAULT_HOLIDAYS) == [
        D("2026-02-09"), D("2026-02-10"), D("2026-02-11"), D("2026-02-12"), D("2026-02-13")]


def test_weekends_are_never_announcement_days_whatever_the_holidays():
    for day in (D("2026-02-07"), D("2026-02-08"), D("2025-12-27"), D("2027-01-02")):
        assert not is_announcement_day(day, ())
        assert not is_announcement_day(day, DEFAULT_HOLIDAYS)
    assert announcement_days(D("2026-02-07"), D("2026-02-08"), ()) == []


def test_a_range_ending_before_it_starts_is_empty_and_one_day_is_itself():
    assert announcement_days(D("2026-02-13"), D("2026-02-09"), ()) == []
    assert announcement_days(D("2026-02-10"), D("2026-02-10"), ()) == [D("2026-02-10")]


# --- holidays ------------------------------------------------------------------------------

def test_the_empty_physics_capture_is_labelled_with_the_day_after_arxivs_holiday():
    channel = etree.parse(str(HOLIDAY_CAPTURE)).find("channel")
    assert channel.find("item") is None  # the capture: a complete channel, no items
    published = parsedate_to_datetime(channel.findtext("pubDate"))
    built = parsedate_to_datetime(channel.findtext("lastBuildDate"))
    assert label_day(published) == label_day(built) == D("2025-12-31")
    assert not is_announcement_day(D("2025-12-31"), DEFAULT_HOLIDAYS)
    # arXiv listed Tuesday 2025-12-30, not the 31st: the 31st is empty because no
    # announcement was made on the evening of the 30th.
    assert D("2025-12-30") in DEFAULT_HOLIDAYS and D("2025-12-31") not in DEFAULT_HOLIDAYS
    assert skipped_label_day(D("2025-12-30")) == D("2025-12-31")
    assert is_announcement_day(D("2025-12-31"), ())  # without the list it would be a weekday like any other


def test_the_default_holds_arxivs_2026_list_as_published():
    assert {d.isoformat() for d in DEFAULT_HOLIDAYS if d.year == 2026} == set(HOLIDAYS_2026)


@pytest.mark.parametrize("holiday, empty", sorted(HOLIDAYS_2026.items()))
def test_each_2026_holiday_empties_the_next_label_day(holiday, empty):
    assert skipped_label_day(D(holiday)) == D(empty)
    assert not is_announcement_day(D(empty), DEFAULT_HOLIDAYS)
    assert is_announcement_day(D(empty), ())


def test_the_listed_days_themselves_still_carry_an_announcement():
    # A Friday holiday is not an empty Friday: Thursday evening's announcement is made;
    # Tuesday 29 December was announced on the Monday, Thursday the 31st on the Wednesday.
    for holiday in HOLIDAYS_2026:
        assert is_announcement_day(D(holiday), DEFAULT_HOLIDAYS), holiday


def test_2026_has_every_weekday_but_the_eight_its_holidays_empty():
    days = announcement_days(D("2026-01-01"), D("2026-12-31"), DEFAULT_HOLIDAYS)
    weekdays = announcement_days(D("2026-01-01"), D("2026-12-31"), ())
    assert len(weekdays) == 261
    assert sorted(set(weekdays) - set(days)) == sorted(
        D(empty) for empty in HOLIDAYS_2026.values() if empty.startswith("2026"))
    assert len(days) == 253


def test_a_friday_and_the_sunday_after_it_empty_the_same_monday():
    # arXiv's 2025 page listed Sunday 6 July; its holiday table also has Friday 4 July.
    assert skipped_label_day(D("2025-07-04")) == skipped_label_day(D("2025-07-06")) == D("2025-07-07")
    assert announcement_days(D("2025-07-03"), D("2025-07-08"), DEFAULT_HOLIDAYS) == [
        D("2025-07-03"), D("2025-07-04"), D("2025-07-08")]


def test_a_saturday_holiday_takes_nothing_away():
    assert skipped_label_day(D("2026-07-04")) is None
    assert announcement_days(D("2026-07-06"), D("2026-07-10"), [D("2026-07-04")]) == [
        D("2026-07-06"), D("2026-07-07"), D("2026-07-08"), D("2026-07-09"), D("2026-07-10")]


def test_thanksgiving_week():
    assert announcement_days(D("2026-11-21"), D("2026-11-29"), DEFAULT_HOLIDAYS) == [
        D("2026-11-23"), D("2026-11-24"), D("2026-11-25"), D("2026-11-26")]


def test_the_winter_break_of_2026_into_2027():
    assert announcement_days(D("2026-12-19"), D("2027-01-08"), DEFAULT_HOLIDAYS) == [
        D("2026-12-21"), D("2026-12-22"), D("2026-12-23"), D("2026-12-24"), D("2026-12-25"),
        D("2026-12-29"), D("2026-12-31"),
        D("2027-01-04"), D("2027-01-05"), D("2027-01-06"), D("2027-01-07"), D("2027-01-08")]


def test_the_turn_of_2025_to_2026():
    assert announcement_days(D("2025-12-22"), D("2026-01-09"), DEFAULT_HOLIDAYS) == [
        D("2025-12-22"), D("2025-12-23"), D("2025-12-24"), D("2025-12-25"),
        D("2025-12-29"), D("2025-12-30"),
        D("2026-01-01"),
        D("2026-01-05"), D("2026-01-06"), D("2026-01-07"), D("2026-01-08"), D("2026-01-09")]


def test_a_year_without_a_list_counts_every_weekday_and_is_named():
    assert unlisted_years(D("2025-06-01"), D("2027-03-01"), DEFAULT_HOLIDAYS) == [2027]
    assert unlisted_years(D("2026-01-01"), D("2026-12-31"), DEFAULT_HOLIDAYS) == []
    assert unlisted_years(D("2026-01-01"), D("2026-12-31"), ()) == [2026]
    # Martin Luther King Day 2027 (Monday 18 January) is on no list yet: Tuesday 19 counts.
    assert is_announcement_day(D("2027-01-19"), DEFAULT_HOLIDAYS)
    assert not is_announcement_day(D("2027-01-19"), DEFAULT_HOLIDAYS + (D("2027-01-18"),))


def test_holidays_may_be_any_iterable_of_dates():
    holidays = iter([D("2026-01-19")])
    assert announcement_days(D("2026-01-19"), D("2026-01-21"), holidays) == [D("2026-01-19"), D("2026-01-21")]


# --- announcement times and daylight saving ----------------------------------------------

def test_an_announcement_is_made_at_20_new_york_the_evening_before():
    assert announced_at(D("2026-02-10")) == ny(2026, 2, 9, 20)  # Tuesday's, on Monday
    assert announced_at(D("2026-02-09")) == ny(2026, 2, 8, 20)  # Monday's, on Sunday
    assert announced_at(D("2026-07-01")) == utc(2026, 7, 1, 0)  # summer: 20:00 EDT is midnight UTC
    assert announced_at(D("2026-02-10")) == utc(2026, 2, 10, 1)  # winter: 20:00 EST is 01:00 UTC


def test_a_days_submissions_end_at_14_new_york_on_the_day_it_is_announced():
    assert submission_deadline(D("2026-02-10")) == ny(2026, 2, 9, 14)  # Tuesday's: Monday 14:00
    assert submission_deadline(D("2026-02-09")) == ny(2026, 2, 6, 14)  # Monday's: Friday 14:00
    assert submission_deadline(D("2026-03-09")) == utc(2026, 3, 6, 19)  # Friday before the change: EST
    assert submission_deadline(D("2026-03-10")) == utc(2026, 3, 9, 18)  # Monday after it: EDT
    assert submission_deadline(D("2026-11-03")) == utc(2026, 11, 2, 19)  # back to EST
    # After the Friday holiday of 2026-06-19 the next announcement, Tuesday's, carries
    # everything since the deadline of Friday's (Thursday 14:00).
    days = announcement_days(D("2026-06-18"), D("2026-06-24"), DEFAULT_HOLIDAYS)
    assert days == [D("2026-06-18"), D("2026-06-19"), D("2026-06-23"), D("2026-06-24")]
    assert submission_deadline(D("2026-06-19")) == ny(2026, 6, 18, 14)
    assert submission_deadline(D("2026-06-23")) == ny(2026, 6, 22, 14)
    with pytest.raises(ValueError, match="Sunday"):
        submission_deadline(D("2026-06-21"))


def test_a_weekend_has_no_announcement_time():
    with pytest.raises(ValueError, match="Saturday"):
        announced_at(D("2026-02-07"))


def test_march_2026_the_sunday_the_clocks_go_forward():
    # Sunday 8 March 2026 02:00 EST becomes 03:00 EDT; that evening announces Monday the 9th.
    assert announced_at(D("2026-03-06")) == utc(2026, 3, 6, 1)  # Thursday 5th, 20:00 EST
    assert announced_at(D("2026-03-09")) == utc(2026, 3, 9, 0)  # Sunday 8th, 20:00 EDT
    assert announced_at(D("2026-03-09")).utcoffset() == timedelta(hours=-4)
    assert latest_announcement_day(utc(2026, 3, 8, 23, 59, 59), ()) == D("2026-03-06")
    assert latest_announcement_day(utc(2026, 3, 9, 0, 0), ()) == D("2026-03-09")
    # A fixed UTC-5 would read 00:30 UTC as 19:30 and still say Friday.
    assert latest_announcement_day(utc(2026, 3, 9, 0, 30), ()) == D("2026-03-09")


def test_november_2026_the_sunday_the_clocks_go_back():
    # Sunday 1 November 2026 02:00 EDT becomes 01:00 EST; that evening announces Monday the 2nd.
    assert announced_at(D("2026-10-30")) == utc(2026, 10, 30, 0)  # Thursday 29th, 20:00 EDT
    assert announced_at(D("2026-11-02")) == utc(2026, 11, 2, 1)  # Sunday 1st, 20:00 EST
    assert announced_at(D("2026-11-02")).utcoffset() == timedelta(hours=-5)
    # A fixed UTC-4 would read 00:30 UTC as 20:30 and say Monday already.
    assert latest_announcement_day(utc(2026, 11, 2, 0, 30), ()) == D("2026-10-30")
    assert latest_announcement_day(utc(2026, 11, 2, 1, 0), ()) == D("2026-11-02")


def test_the_rss_changes_at_new_york_midnight_in_winter_and_in_summer():
    assert label_day(utc(2026, 3, 8, 4, 59)) == D("2026-03-07")
    assert label_day(utc(2026, 3, 8, 5, 0)) == D("2026-03-08")  # EST midnight
    assert label_day(utc(2026, 3, 9, 3, 59)) == D("2026-03-08")
    assert label_day(utc(2026, 3, 9, 4, 0)) == D("2026-03-09")  # EDT midnight
    assert label_day(utc(2026, 11, 2, 4, 59)) == D("2026-11-01")
    assert label_day(utc(2026, 11, 2, 5, 0)) == D("2026-11-02")  # EST again
    # lastBuildDate of a feed seen on 12 August 2026 (ZJU-REAL/Polaris #414)
    assert label_day(parsedate_to_datetime("Wed, 12 Aug 2026 04:00:02 +0000")) == D("2026-08-12")


def test_every_announcement_of_2026_is_at_20_new_york_and_found_from_its_instant():
    days = announcement_days(D("2026-01-01"), D("2027-01-08"), DEFAULT_HOLIDAYS)
    for previous, day in zip(days, days[1:]):
        made = announced_at(day)
        assert (made.astimezone(NEW_YORK).hour, made.astimezone(UTC).hour) in ((20, 0), (20, 1))
        assert latest_announcement_day(made, DEFAULT_HOLIDAYS) == day
        assert latest_announcement_day(made - timedelta(seconds=1), DEFAULT_HOLIDAYS) == previous


def test_the_latest_announcement_steps_back_over_weekends_and_holidays():
    holidays = DEFAULT_HOLIDAYS
    assert latest_announcement_day(ny(2025, 12, 31, 12), holidays) == D("2025-12-30")  # the capture's day
    assert latest_announcement_day(ny(2025, 12, 31, 20), holidays) == D("2026-01-01")
    assert latest_announcement_day(ny(2026, 1, 2, 10), holidays) == D("2026-01-01")  # the 2nd is empty
    assert latest_announcement_day(ny(2026, 1, 4, 19, 59), holidays) == D("2026-01-01")
    assert latest_announcement_day(ny(2026, 1, 4, 20), holidays) == D("2026-01-05")
    assert latest_announcement_day(ny(2027, 1, 1, 9), holidays) == D("2026-12-31")


def test_a_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="time zone"):
        latest_announcement_day(datetime(2026, 3, 9, 12), ())
    with pytest.raises(ValueError, match="time zone"):
        label_day(datetime(2026, 3, 9, 12))


@pytest.mark.parametrize("moment, served", [
    ("2026-03-10T00:30:00-04:00", date(2026, 3, 10)),  # just after the RSS switched: Tuesday's
    ("2026-03-09T21:00:00-04:00", date(2026, 3, 9)),  # announced at 20:00, but the RSS switches at midnight
    ("2026-03-14T12:00:00-04:00", date(2026, 3, 13)),  # Saturday: Friday's batch
    ("2026-03-16T03:00:00-04:00", date(2026, 3, 16)),  # Monday morning: Sunday evening's announcement
    ("2026-01-20T09:00:00-05:00", date(2026, 1, 19)),  # the label day the 01-19 holiday empties: Monday's
    ("2026-11-02T05:30:00+00:00", date(2026, 11, 2)),  # 00:30 EST, the day after the clocks changed
])
def test_the_rss_serves_the_latest_announcement_on_or_before_its_label_day(moment, served):
    assert served_day(datetime.fromisoformat(moment), DEFAULT_HOLIDAYS) == served
