"""Gaps: an announcement day no batch of arXiv's feed came for is noticed on every run,
named wherever the run tells its outcome, and fails --strict while it may be recovered.

The clock is injected (--now, SOURCE_DATE_EPOCH): the run's day decides what is due,
and the same inputs at the same time give the same bytes."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path

import lxml.html
from lxml import etree

from feedbridge.archive import DayRecord, FeedArchive, Gap, account, gap_horizon, gaps
from feedbridge.config import DEFAULT_HOLIDAYS
from feedbridge.errors import ExitCode
from feedbridge.render.words import JAPANESE
from support.builds import build
from support.checks import ATOM, assert_valid_atom
from support.config import write_config
from support.feeds import day_document, items

D = date.fromisoformat
MONDAY, TUESDAY, WEDNESDAY = D("2025-04-28"), D("2025-04-29"), D("2025-04-30")


def rss(*days: date) -> dict[date, DayRecord]:
    return {day: DayRecord("rss") for day in days}


# --- the rule ------------------------------------------------------------------------------


def test_a_day_between_two_accepted_ones_is_an_open_gap():
    archive = FeedArchive(accounted={"quant-ph": rss(MONDAY, WEDNESDAY)})
    assert gaps(archive, ["quant-ph"], WEDNESDAY, (), 5) == [Gap("quant-ph", TUESDAY, "open")]


def test_every_announcement_day_up_to_the_due_one_counts_and_weekends_never_do():
    archive = FeedArchive(accounted={"quant-ph": rss(D("2025-04-24"))})  # a Thursday
    found = gaps(archive, ["quant-ph"], D("2025-04-29"), (), 10)
    assert [g.day for g in found] == [D("2025-04-25"), MONDAY, TUESDAY]


def test_a_new_feed_has_no_gaps_before_its_first_batch():
    assert gaps(FeedArchive(), ["quant-ph"], WEDNESDAY, (), 5) == []
    archive = FeedArchive(accounted={"quant-ph": rss(WEDNESDAY)})
    assert gaps(archive, ["quant-ph", "hep-ex"], WEDNESDAY, (), 5) == []


def test_arxivs_holidays_are_no_gaps():
    # Friday 2026-06-19 is arXiv's holiday: no announcement is labelled Monday the 22nd.
    archive = FeedArchive(accounted={"quant-ph": rss(D("2026-06-19"))})
    assert gaps(archive, ["quant-ph"], D("2026-06-23"), DEFAULT_HOLIDAYS, 5) == [Gap("quant-ph", D("2026-06-23"), "open")]
    assert gaps(archive, ["quant-ph"], D("2026-06-22"), DEFAULT_HOLIDAYS, 5) == []


def test_closed_gaps_are_listed_with_how_they_closed():
    archive = FeedArchive(accounted={"quant-ph": {
        **rss(MONDAY, WEDNESDAY),
        TUESDAY: DayRecord("recovered", 12, "replacements are not recoverable"),
    }})
    (gap,) = gaps(archive, ["quant-ph"], WEDNESDAY, (), 5)
    assert (gap.state, gap.papers, gap.open) == ("recovered", 12, False)
    assert gap.describe() == "quant-ph 2025-04-29: missed, recovered (12 papers); replacements are not recoverable"


def test_a_gap_lives_as_long_as_the_window_that_would_hold_its_papers():
    archive = FeedArchive(accounted={"quant-ph": rss(MONDAY, WEDNESDAY, D("2025-05-01"), D("2025-05-02"))})
    assert [g.day for g in gaps(archive, ["quant-ph"], D("2025-05-02"), (), 4)] == [TUESDAY]
    assert gaps(archive, ["quant-ph"], D("2025-05-02"), (), 3) == []  # the window is Wed to Fri
    assert gap_horizon(D("2025-05-02"), (), 3) == WEDNESDAY


def test_accounting_lets_old_days_go_but_the_newest_before_the_horizon():
    archive = FeedArchive(accounted={"quant-ph": rss(D("2025-04-01"), D("2025-04-02")), "hep-ex": rss(D("2025-04-25"))})
    kept = account(archive, {"hep-ex": rss(WEDNESDAY)}, horizon=TUESDAY)
    assert kept.accounted == {"quant-ph": rss(D("2025-04-02")), "hep-ex": rss(D("2025-04-25"), WEDNESDAY)}
    # The day kept before the horizon still counts every day from the horizon as due.
    assert [g.day for g in gaps(kept, ["hep-ex"], D("2025-05-01"), (), 3)] == [TUESDAY, D("2025-05-01")]


# --- a run -----------------------------------------------------------------------------------


def saved(folder: Path, day: date, batch) -> Path:
    folder.mkdir(parents=True)
    (folder / "quant-ph.xml").write_bytes(day_document(day, batch))
    return folder


def at(day: date, hour: int = 14) -> str:
    return datetime(day.year, day.month, day.day, hour, tzinfo=timezone.utc).isoformat()


def test_a_missed_day_is_named_everywhere_and_fails_strict(tmp_path, installed_model):
    config = write_config(tmp_path, feeds=["quant-ph"], window_days=5)
    new = items()["new"]
    monday = build("--config", config, "--from-dir", saved(tmp_path / "mon", MONDAY, new[:3]), "--now", at(MONDAY))
    assert monday.exit_code == 0, monday.output
    # No run on Tuesday; Wednesday's run finds Tuesday gone from arXiv's feed.
    wednesday = saved(tmp_path / "wed", WEDNESDAY, new[3:6])
    result = build("--config", config, "--from-dir", wednesday, "--now", at(WEDNESDAY), "--strict", "--json")
    assert result.exit_code == ExitCode.PARTIAL, result.output
    line = "quant-ph 2025-04-29: missed, not recovered yet"
    assert f"Error: quant-ph.ja: {line}" in result.output
    assert f"quant-ph.ja: announcement {line}" in result.output
    summary = json.loads(result.stdout)
    expected = [{"source": "quant-ph", "day": "2025-04-29", "state": "open", "papers": 0, "note": ""}]
    assert summary["feeds"][0]["gaps"] == expected
    out = tmp_path / "out"
    status = json.loads((out / "status.json").read_bytes())
    assert status["feeds"][0]["gaps"] == expected
    assert status["generated"] == at(WEDNESDAY) and status["last_success"] == at(WEDNESDAY)
    for page in ("index.html", "quant-ph.ja.html"):  # in the feed's language
        (gap,) = lxml.html.fromstring((out / page).read_bytes()).find_class("gap-open")
        assert gap.text_content() == JAPANESE.gaps["open"].format(source="quant-ph", day="2025-04-29", papers=0)
    # The maintainer's feed: one entry for the gap, kept as it was by the next run.
    assert_valid_atom(out / "status.atom")
    entries = etree.parse(str(out / "status.atom")).getroot().findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["quant-ph.ja: missed the quant-ph announcement of 2025-04-29"]
    assert entries[0].find(f"{ATOM}category").get("term") == "gap-opened"
    again = build("--config", config, "--from-dir", wednesday, "--now", at(WEDNESDAY, 17), "--strict")
    assert again.exit_code == ExitCode.PARTIAL and line in again.output  # still open, still said
    assert etree.parse(str(out / "status.atom")).getroot().findall(f"{ATOM}entry")[0].findtext(f"{ATOM}id") \
        == entries[0].findtext(f"{ATOM}id")
    assert len(etree.parse(str(out / "status.atom")).getroot().findall(f"{ATOM}entry")) == 1
    assert json.loads((out / "status.json").read_bytes())["last_success"] == at(WEDNESDAY, 17)


def test_a_quiet_day_read_empty_from_arxivs_feed_is_no_gap(tmp_path, installed_model):
    config = write_config(tmp_path, feeds=["quant-ph"], window_days=5)
    new = items()["new"]
    build("--config", config, "--from-dir", saved(tmp_path / "mon", MONDAY, new[:3]), "--now", at(MONDAY))
    quiet = build("--config", config, "--from-dir", saved(tmp_path / "tue", TUESDAY, []), "--now", at(TUESDAY), "--strict")
    assert quiet.exit_code == 0, quiet.output
    result = build("--config", config, "--from-dir", saved(tmp_path / "wed", WEDNESDAY, new[3:6]), "--now",
                   at(WEDNESDAY), "--strict")
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "out" / "status.json").read_bytes())["feeds"][0]["gaps"] == []


def test_a_stale_feed_on_its_due_day_is_a_gap_until_arxiv_serves_it(tmp_path, installed_model):
    config = write_config(tmp_path, feeds=["quant-ph"], window_days=5)
    monday = saved(tmp_path / "mon", MONDAY, items()["new"][:3])
    build("--config", config, "--from-dir", monday, "--now", at(MONDAY))
    stale = build("--config", config, "--from-dir", monday, "--now", at(TUESDAY, 5), "--json")
    assert stale.exit_code == 0, stale.output  # not --strict: a stale feed is said, not failed
    feed = json.loads(stale.stdout)["feeds"][0]
    assert feed["status"] == "stale" and [g["day"] for g in feed["gaps"]] == ["2025-04-29"]
    # The next attempt gets Tuesday's batch: the gap closes, and the status feed says how.
    fresh = build("--config", config, "--from-dir", saved(tmp_path / "tue", TUESDAY, items()["new"][3:6]),
                  "--now", at(TUESDAY, 8), "--strict")
    assert fresh.exit_code == 0, fresh.output
    titles = [e.findtext(f"{ATOM}title") for e in etree.parse(str(tmp_path / "out" / "status.atom")).getroot()
              .iterfind(f"{ATOM}entry")]
    assert titles == ["quant-ph.ja: the quant-ph announcement of 2025-04-29 was served by arXiv's feed after all",
                      "quant-ph.ja: missed the quant-ph announcement of 2025-04-29",
                      "quant-ph.ja: stale: arXiv sent the same batch as last time (announced 2025-04-28);"
                      " the published feed is kept"]


def test_the_same_inputs_at_the_same_time_give_the_same_bytes(tmp_path, installed_model, monkeypatch):
    """--now and SOURCE_DATE_EPOCH are the same clock; the wall clock is never read."""
    sites = []
    folder = tmp_path / "site"  # the same folder each time: status.json names it
    for number, clock in enumerate((["--now", at(WEDNESDAY)], [])):
        if not clock:
            monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(datetime.fromisoformat(at(WEDNESDAY)).timestamp())))
        config = write_config(folder, feeds=["quant-ph"], window_days=5)
        build("--config", config, "--from-dir", saved(folder / "mon", MONDAY, items()["new"][:3]), "--now", at(MONDAY))
        result = build("--config", config, "--from-dir", saved(folder / "wed", WEDNESDAY, items()["new"][3:6]), *clock)
        assert result.exit_code == 0, result.output
        sites.append({p.relative_to(folder / "out"): p.read_bytes() for p in (folder / "out").rglob("*") if p.is_file()})
        folder.rename(tmp_path / f"run{number}")
    assert sites[0] == sites[1]
    assert b"2025-04-30T14:00:00+00:00" in sites[0][Path("status.json")]


def test_a_time_that_is_not_one_is_refused_in_one_line(tmp_path):
    config = write_config(tmp_path, feeds=["quant-ph"])
    for value, words in (("yesterday", "neither an ISO 8601 time"), ("2025-04-28T10:00", "has no offset")):
        result = build("--config", config, "--now", value)
        assert result.exit_code == 2 and words in result.output, result.output


def test_the_status_feed_says_a_gap_closed_as_not_recoverable_and_status_json_lists_it(tmp_path):
    """The maintainer hears how each gap ended: here, a day nothing bounded."""
    from feedbridge.config import parse_config
    from feedbridge.model import FeedStatus
    from feedbridge.report import BuildReport, FeedOutcome, status_document, status_events

    config = parse_config(write_config(tmp_path, feeds=["quant-ph"]).read_text(), tmp_path / "feeds.yaml")
    lost = Gap("quant-ph", TUESDAY, "not recoverable", note="no announcement before it is known")
    outcome = FeedOutcome(config.feeds[0], FeedStatus.UPDATED, "https://a.org/quant-ph.ja.xml", gaps=(lost,))
    report = BuildReport(outcomes=[outcome], now=datetime(2025, 4, 30, 14, tzinfo=timezone.utc), published=True)
    before = {"feeds": [{"name": "quant-ph.ja", "status": "stale",
                         "gaps": [{"source": "quant-ph", "day": "2025-04-29", "state": "open"}]}]}
    (event,) = status_events(report, before)
    assert (event.kind, event.title) == ("gap-closed", "quant-ph.ja: the quant-ph announcement of 2025-04-29 is not"
                                         " recoverable: no announcement before it is known")
    report.events = (event,)
    status = json.loads(status_document(report))
    assert status["feeds"][0]["gaps"] == [{"source": "quant-ph", "day": "2025-04-29", "state": "not recoverable",
                                           "papers": 0, "note": "no announcement before it is known"}]
    assert status["events"][0]["title"] == event.title
    assert not outcome.troubled(strict=True)  # a closed gap does not fail --strict
