"""A simulated fortnight (tests/support/fortnight.py): the publish workflow's build job run
as GitHub runs it, at every scheduled attempt from Monday 2026-06-08 to Wednesday
2026-06-24, against a loopback arXiv and a loopback GitHub Pages site, and what the
published site says at the end.

The scenario: quant-ph serves the previous batch at the first attempt of Tuesday 06-09;
GitHub runs nothing on Thursday 06-11, nor Wednesday 06-17 to Friday 06-19; Friday 06-19
is arXiv's holiday, so nothing is labelled Monday 06-22; weekends run nothing. Every
scheduled attempt of the other weekdays runs (36 builds). The batches of 06-11 and
06-17 to 06-19 are never served to any build: the product must find them missing and
recover them from the arXiv API.

The first tests check the harness alone (the schedule, arXiv's model, the RSS and the
API); the rest check the product through one simulation shared by the module.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone

import pytest

from support.fortnight import (
    CATEGORIES,
    FORTNIGHT,
    NEW_YORK,
    OTHER_CATEGORY,
    STATUS_FEED,
    Arxiv,
    Attempt,
    Fortnight,
    feed_entries,
    feed_name,
    load_workflow,
    scheduled_times,
    simulate,
    status_json,
    status_feed_titles,
)
from support.paths import API_SEARCH

UTC = timezone.utc
STALE_CATEGORY, STALE_DAY, _ = FORTNIGHT.stale
MISSED = {date(2026, 6, 11), date(2026, 6, 17), date(2026, 6, 18), date(2026, 6, 19)}
DAYS_RUN = [date(2026, 6, d) for d in (8, 9, 10, 12, 15, 16, 22, 23, 24)]
ATTEMPTS_A_DAY = 4
# `feedbridge build --strict`'s exit code, by attempt label; every other attempt exits 0.
EXPECTED_STATUS = {f"{STALE_DAY} #1": 4}  # a stale category fails --strict (and is deployed)
RECOVERED_TERM = "recovered"  # the <category term> of an entry recovered from the API
GAP_KEYS = {"source", "day", "state", "papers", "note"}
OPENED = re.compile(r"\bmissed the\b")  # the status feed's words for a gap that opens
CLOSED = re.compile(r"\brecovered the\b")  # ... and for one closed by recovery


# --- helpers: each returns the problems it finds, so that a test says all of them at once ---------


def story(fortnight: Fortnight) -> str:
    return "\n".join(["", *fortnight.lines()])


def attempt_problems(attempt: Attempt) -> list[str]:
    """What went wrong with one attempt: a failed step, the wrong exit code, no deploy."""
    problems = []
    failed = attempt.failed_step
    if failed is not None:
        told = (failed.stdout + failed.stderr).strip()[-1500:]
        problems.append(f"{attempt.label}: step {failed.name!r} exited {failed.exit_code}:\n{told}")
    expected = EXPECTED_STATUS.get(attempt.label, 0)
    if attempt.status != expected:
        problems.append(f"{attempt.label}: feedbridge build exited {attempt.status}, expected {expected}")
    if not attempt.deployed:
        problems.append(f"{attempt.label}: not deployed")
    return problems


def published_ids(fortnight: Fortnight, category: str) -> list[str | None]:
    return [entry.arxiv_id for entry in feed_entries(fortnight.site, feed_name(category))]


def paper_problems(fortnight: Fortnight, category: str) -> list[str]:
    """Each announcement day's papers of ``category`` missing from its published feed, and
    entries that should not be there (another category's, never announced, twice)."""
    expected = fortnight.arxiv.expected(category)
    ids = published_ids(fortnight, category)
    problems = [f"{category} {day}: missing {sorted(wanted - set(ids))} of {len(wanted)}"
                for day, wanted in sorted(expected.items()) if wanted - set(ids)]
    strangers = set(ids) - set().union(*expected.values())
    if strangers:
        problems.append(f"{category}: entries that are not its papers: {sorted(map(str, strangers))}")
    twice = sorted({i for i in ids if ids.count(i) > 1}, key=str)
    if twice:
        problems.append(f"{category}: entries published twice: {twice}")
    return problems


def recovered_ids(fortnight: Fortnight, category: str) -> set[str]:
    """The ids that only a recovery can have published: the missed days' papers."""
    expected = fortnight.arxiv.expected(category)
    return set().union(*(expected[day] for day in fortnight.missed_days(category)))


def marking_problems(fortnight: Fortnight, category: str) -> list[str]:
    """Entries of the missed days without the recovered category, and others with it."""
    should = recovered_ids(fortnight, category)
    entries = feed_entries(fortnight.site, feed_name(category))
    absent = should - {entry.arxiv_id for entry in entries}
    problems = [f"{category}: missed days' papers not published, so not marked: {sorted(absent)}"] if absent else []
    for entry in entries:
        marked = RECOVERED_TERM in entry.terms
        if entry.arxiv_id in should and not marked:
            problems.append(f"{category} {entry.arxiv_id}: recovered, not marked (terms {entry.terms})")
        elif entry.arxiv_id not in should and marked:
            problems.append(f"{category} {entry.arxiv_id}: marked recovered, came from the RSS")
    return problems


def gap_problems(fortnight: Fortnight, category: str, status: dict) -> list[str]:
    """status.json's gaps for ``category``'s feed: each missed day recovered, with papers, and
    no gap open or listed for a day that was not missed."""
    feeds = {feed.get("name"): feed for feed in status.get("feeds", [])}
    feed = feeds.get(feed_name(category))
    if feed is None:
        return [f"status.json has no feed {feed_name(category)}"]
    if "gaps" not in feed:
        return [f"{feed_name(category)}: status.json has no gaps list"]
    problems = []
    by_day = {}
    for gap in feed["gaps"]:
        if set(gap) != GAP_KEYS:
            problems.append(f"{feed_name(category)}: a gap's keys are {sorted(gap)}, expected {sorted(GAP_KEYS)}")
        by_day[gap.get("day")] = gap
        if gap.get("source") != category:
            problems.append(f"{feed_name(category)}: a gap of source {gap.get('source')!r}: {gap}")
    for day in sorted(fortnight.missed_days(category)):
        gap = by_day.pop(day.isoformat(), None)
        if gap is None:
            problems.append(f"{feed_name(category)}: no gap listed for the missed {day}")
        elif gap.get("state") != "recovered" or not isinstance(gap.get("papers"), int) or gap["papers"] <= 0:
            problems.append(f"{feed_name(category)}: the missed {day} is not recovered with papers: {gap}")
    # a gap for a day that was not missed: a false alarm, or one left open (state "open")
    problems += [f"{feed_name(category)}: a gap listed for {day}, which was not missed: {gap}"
                 for day, gap in by_day.items()]
    return problems


def status_feed_problems(fortnight: Fortnight, titles: list[str]) -> list[str]:
    """status.atom: for each missed day, an entry that opens its gap ("missed the", not
    recovered) and one that closes it (recovered)."""
    problems = []
    for day in sorted(set().union(*(fortnight.missed_days(c) for c in CATEGORIES))):
        mentions = [title for title in titles if day.isoformat() in title]
        if not any(OPENED.search(title) and not CLOSED.search(title) for title in mentions):
            problems.append(f"no status entry says {day} was missed; its entries: {mentions}")
        if not any(CLOSED.search(title) for title in mentions):
            problems.append(f"no status entry says {day} was recovered; its entries: {mentions}")
    return problems


def dangling_gaps(titles: list[str]) -> list[str]:
    """Days the status feed says were missed and never says were closed (recovered, arrived
    late or not recoverable)."""
    dangling = []
    for day in sorted({d for t in titles if OPENED.search(t) for d in re.findall(r"\d{4}-\d{2}-\d{2}", t)}):
        closing = [t for t in titles if day in t and re.search(
            r"recovered the|not recoverable|after all|left the window", t)]
        if not closing:
            dangling.append(f"{day}: {[t for t in titles if day in t]}")
    return dangling


def status_feed(fortnight: Fortnight) -> list[str]:
    """The status feed's entry titles; fails the test when the site has none."""
    titles = status_feed_titles(fortnight.site)
    files = sorted(p.name for p in fortnight.site.iterdir())
    assert titles is not None, f"the published site has no {STATUS_FEED}; its files: {files}"
    return titles


def silent_attempts(fortnight: Fortnight) -> list[str]:
    """Attempts that began with a gap open and did not name its day where a person looks
    (the build step's output or the job summary)."""
    return [f"{attempt.label} did not name the missed {day}"
            for attempt, missed in fortnight.first_attempts_after_gaps()
            for day in sorted(missed) if day.isoformat() not in attempt.told]


def unasked_ids(fortnight: Fortnight) -> list[str]:
    """The missed days' ids that no API request asked for, from the first attempt after the gap on."""
    problems = []
    for attempt, missed in fortnight.first_attempts_after_gaps():
        index = fortnight.attempts.index(attempt)
        later = {a.label for a in fortnight.attempts[index:]}
        asked = {i.split("v")[0] for r in fortnight.api_requests() if r.attempt in later for i in r.ids}
        if not fortnight.api_requests(attempt.label):
            problems.append(f"{attempt.label} (the first attempt after {sorted(map(str, missed))}) asked no API")
        for day in sorted(missed):
            wanted = {p.arxiv_id for p in fortnight.arxiv.by_day[day] if set(p.categories) & set(CATEGORIES)}
            if wanted - asked:
                problems.append(f"{day}: the API was never asked for {sorted(wanted - asked)}")
    return problems


# --- the harness alone ---------------------------------------------------------------------------


def test_the_schedule_is_the_workflows_four_weekday_crons():
    workflow = load_workflow()
    monday = scheduled_times(workflow, date(2026, 6, 8))
    assert [t.time() for t in monday] == [time(5, 23), time(8, 23), time(11, 23), time(14, 23)]
    assert monday[0].astimezone(NEW_YORK).strftime("%a %H:%M") == "Mon 01:23"
    assert scheduled_times(workflow, date(2026, 6, 13)) == scheduled_times(workflow, date(2026, 6, 14)) == []
    assert FORTNIGHT.attempts(date(2026, 6, 11), 4, []) == []


def test_arxiv_numbers_every_submission_in_order_across_categories():
    arxiv = Arxiv(FORTNIGHT)
    ids = list(arxiv.papers)
    assert ids == sorted(ids) and ids[0] == "2606.04001"
    assert [int(i.split(".")[1]) for i in ids] == list(range(4001, 4001 + len(ids)))  # consecutive
    assert date(2026, 6, 22) not in arxiv.by_day and date(2026, 6, 19) in arxiv.by_day
    assert len(arxiv.by_day) == 12
    for day, papers in arxiv.by_day.items():
        opened = arxiv.deadline(arxiv.previous_announcement_day(day))
        assert all(opened < p.submitted <= arxiv.deadline(day) for p in papers)
        assert [p.submitted for p in papers] == sorted(p.submitted for p in papers)
        assert any(p.primary == OTHER_CATEGORY for p in papers)
        for category in CATEGORIES:
            feed = arxiv.feed_papers(category, day)
            assert [p.primary == category for p in feed] == [True, True, True, False]  # 3 new, 1 cross
    # Tuesday 06-23 carries Thursday 14:00 to Monday 14:00 (no Friday deadline: the holiday)
    assert arxiv.deadline(date(2026, 6, 23)) == datetime(2026, 6, 22, 14, tzinfo=NEW_YORK)
    assert arxiv.deadline(date(2026, 6, 19)) == datetime(2026, 6, 18, 14, tzinfo=NEW_YORK)
    assert arxiv.deadline(date(2026, 6, 15)) == datetime(2026, 6, 12, 14, tzinfo=NEW_YORK)


def test_the_rss_serves_todays_label_day_and_lags_as_the_scenario_says():
    arxiv = Arxiv(FORTNIGHT)

    def at(day: int, hour: int) -> datetime:
        return datetime(2026, 6, day, hour, 27, tzinfo=UTC)

    assert arxiv.rss_day(STALE_CATEGORY, at(9, 5)) == date(2026, 6, 8)  # stale at the first attempt
    assert arxiv.rss_day("hep-ex", at(9, 5)) == date(2026, 6, 9)
    assert arxiv.rss_day(STALE_CATEGORY, at(9, 8)) == date(2026, 6, 9)
    assert arxiv.rss_day("hep-ex", at(9, 3)) == date(2026, 6, 8)  # 23:27 Monday in New York
    assert arxiv.rss_day("hep-ex", at(13, 12)) is None  # Saturday
    assert arxiv.rss_day("hep-ex", at(22, 5)) is None  # nothing labelled Monday 06-22
    day, body = arxiv.rss("quant-ph", at(10, 5))
    assert day == date(2026, 6, 10)
    assert body.count(b"<arxiv:announce_type>new<") == 3 and body.count(b"<arxiv:announce_type>cross<") == 1
    assert b"Wed, 10 Jun 2026 00:00:00 -0400" in body
    assert b"<item>" not in arxiv.rss("quant-ph", at(22, 5))[1]


def test_the_api_answers_announced_ids_as_the_2026_api_does():
    from feedbridge.sources.arxiv_api import parse_answer  # read as feedbridge reads the real API

    arxiv = Arxiv(FORTNIGHT)
    papers = arxiv.by_day[date(2026, 6, 9)]  # announced Monday 06-08 20:00 in New York
    asked = [p.arxiv_id for p in papers] + ["2606.99999"]
    query = f"id_list={','.join(asked)}&max_results={len(asked)}"
    before = datetime(2026, 6, 8, 19, 59, tzinfo=NEW_YORK)
    status, body, ids = arxiv.api_answer(query, before)
    assert (status, ids) == (200, asked) and parse_answer(body, "http://api").papers == ()
    status, body, _ = arxiv.api_answer(query.replace(",", "%2C"), before + timedelta(minutes=1))
    answered = parse_answer(body, "http://api").papers
    assert status == 200 and [p.arxiv_id for p in answered] == [p.arxiv_id for p in papers]
    assert b"<opensearch:totalResults>8</opensearch:totalResults>" in body
    first = next(p for p in papers if len(p.categories) == 2)
    (read,) = [p for p in answered if p.arxiv_id == first.arxiv_id]
    assert (read.version, read.title) == (1, first.title)
    assert f'<arxiv:primary_category term="{first.primary}"/>'.encode() in body
    assert f"<published>{first.submitted:%Y-%m-%dT%H:%M:%SZ}</published>".encode() in body
    assert len(parse_answer(API_SEARCH.read_bytes(), "http://api").papers) == 100  # the real one reads alike
    for bad in ("search_query=cat:quant-ph", "id_list=abc&max_results=1", "id_list=2606.04001&sortBy=x", ""):
        assert arxiv.api_answer(bad, before)[0] == 400


# --- the product, over one simulated fortnight ---------------------------------------------------


@pytest.fixture(scope="module")
def fortnight(tmp_path_factory) -> Fortnight:
    return simulate(tmp_path_factory.mktemp("fortnight"), FORTNIGHT, log=lambda line: None)


def test_every_scheduled_attempt_ran_except_the_dropped_ones(fortnight):
    labels = [a.label for a in fortnight.attempts]
    assert labels == [f"{day} #{n}" for day in DAYS_RUN for n in range(1, ATTEMPTS_A_DAY + 1)], story(fortnight)
    assert {c: fortnight.missed_days(c) for c in CATEGORIES} == {c: MISSED for c in CATEGORIES}, story(fortnight)


def test_every_attempt_built_verified_and_deployed(fortnight):
    problems = [p for attempt in fortnight.attempts for p in attempt_problems(attempt)]
    assert problems == [], "\n".join(problems) + story(fortnight)


def test_each_build_took_its_clock_from_source_date_epoch(fortnight):
    problems = []
    for attempt in fortnight.attempts:
        generated = (attempt.status_json or {}).get("generated")
        if generated is None or datetime.fromisoformat(generated) != attempt.when:
            problems.append(f"{attempt.label}: status.json generated {generated!r}, ran at {attempt.when.isoformat()}")
    assert problems == [], "\n".join(problems)


def test_a_stale_category_fails_strict_and_the_fresh_one_is_deployed_anyway(fortnight):
    attempts = {a.label: a for a in fortnight.attempts}
    first, second = attempts[f"{STALE_DAY} #1"], attempts[f"{STALE_DAY} #2"]
    other = next(c for c in CATEGORIES if c != STALE_CATEGORY)
    assert first.rss[STALE_CATEGORY] == fortnight.arxiv.previous_announcement_day(STALE_DAY)
    assert (first.status, first.deployed) == (4, True), story(fortnight)
    today = fortnight.arxiv.expected
    assert today(other)[STALE_DAY] <= {e.arxiv_id for e in first.feeds[feed_name(other)]}
    assert second.rss[STALE_CATEGORY] == STALE_DAY
    assert today(STALE_CATEGORY)[STALE_DAY] <= {e.arxiv_id for e in second.feeds[feed_name(STALE_CATEGORY)]}


def test_every_announced_paper_is_in_its_categorys_feed(fortnight):
    problems = [p for category in CATEGORIES for p in paper_problems(fortnight, category)]
    assert problems == [], "\n".join(problems) + story(fortnight)


def test_recovered_entries_and_only_they_are_marked_recovered(fortnight):
    problems = [p for category in CATEGORIES for p in marking_problems(fortnight, category)]
    assert problems == [], "\n".join(problems)


def test_status_json_lists_every_missed_day_recovered_and_none_open(fortnight):
    status = status_json(fortnight.site)
    last = fortnight.attempts[-1]
    problems = [p for category in CATEGORIES for p in gap_problems(fortnight, category, status)]
    generated = status.get("generated")
    if generated is None or datetime.fromisoformat(generated) != last.when:
        problems.append(f"generated is {generated!r}, the last run's clock {last.when.isoformat()}")
    if status.get("last_success") is None or datetime.fromisoformat(status["last_success"]) != last.when:
        problems.append(f"last_success is {status.get('last_success')!r}; the last run ({last.label}) succeeded")
    assert problems == [], "\n".join(problems)


def test_the_status_feed_tells_each_gap_opened_and_recovered(fortnight):
    problems = status_feed_problems(fortnight, status_feed(fortnight))
    assert problems == [], "\n".join(problems)


def test_the_status_feed_leaves_no_gap_it_opened_unclosed(fortnight):
    # Beyond the missed days: a gap opened for a batch that came late (the stale day) is closed too.
    assert dangling_gaps(status_feed(fortnight)) == []


def test_no_run_was_silent_about_a_gap(fortnight):
    assert [a.label for a, _ in fortnight.first_attempts_after_gaps()] == ["2026-06-12 #1", "2026-06-22 #1"]
    problems = silent_attempts(fortnight)
    assert problems == [], "\n".join(problems)


def test_the_recovery_asked_the_arxiv_api_and_nothing_it_refuses(fortnight):
    refused = [f"{r.attempt}: {r.path}" for r in fortnight.api_requests() if r.status != 200]
    problems = unasked_ids(fortnight) + [f"answered HTTP 400: {r}" for r in refused]
    assert problems == [], "\n".join(problems)
