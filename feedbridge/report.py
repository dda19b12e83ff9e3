"""What a run did, and every form it is told in: log lines, ``--json``, the Markdown
summary, ``status.json`` and the dry run's account.

The pipeline fills a BuildReport (or, for ``--dry-run``, a RunPlan); this module only
turns them into words and documents, so each form says the same thing.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from feedbridge import __version__
from feedbridge.archive import Gap
from feedbridge.config import FeedConfig
from feedbridge.errors import ExitCode, OutputError
from feedbridge.model import FeedStatus, StatusEvent
from feedbridge.translate.throughput import Rate, rate

if TYPE_CHECKING:
    from feedbridge.pipeline import PairPlan, RunPlan

SUMMARY_SCHEMA = 2  # the --json run summary's layout; bumped when a key changes meaning or goes
# (2: a feed's "failed", papers with an untranslated sentence, became "untranslated", sentences)
DRY_RUN_SCHEMA = 1  # likewise for build --dry-run --json

EVENT_LIMIT = 100  # the status feed's entries, newest first; older ones leave status.json


@dataclass
class FeedOutcome:
    feed: FeedConfig
    status: FeedStatus
    feed_url: str  # where the feed is published
    entries: int = 0  # in the published window
    added: int = 0  # papers new to the window this run
    renewed: int = 0  # entries updated to a new version this run
    message: str = ""
    history: str = ""  # where the feed's history came from, or why there was none
    last_day: date | None = None  # the newest announcement day in the window
    untranslated: int = 0  # sentences of the papers added or updated, kept in the source language
    in_fragments: int = 0  # sentences of the papers added or updated, translated in fragments
    sentences_translated: int = 0  # sentences the model translated for this feed
    sentences_cached: int = 0  # sentences found in the translation memory
    seconds: float = 0.0  # spent translating and writing this feed
    degraded: tuple[str, ...] = ()  # what arXiv's feed lacked in every item: "authors", "arxiv-fields"
    gaps: tuple[Gap, ...] = ()  # announcement days missed within the window, open or closed
    replacements_left_out: int = 0  # replacements of papers not in the feed, left out (archive.Selection)

    def troubled(self, strict: bool) -> bool:
        """Whether the feed makes the run exit 4: it failed or was partly updated; with
        --strict, also stale, read from a feed that lost a field every item carries, or
        missing an announcement that may still be recovered (an open gap)."""
        bad = {FeedStatus.FAILED, FeedStatus.PARTIAL} | ({FeedStatus.STALE} if strict else set())
        return self.status in bad or (strict and (bool(self.degraded) or any(g.open for g in self.gaps)))

    def problem(self) -> str:
        """What is wrong with the feed, in one line: its message, what arXiv's feed lacked,
        the announcements it still misses."""
        lacked = f"arXiv's feed had no {' and no '.join(self.degraded)} in any item" if self.degraded else ""
        missing = "; ".join(g.describe() for g in self.gaps if g.open)
        return "; ".join(part for part in (self.message, lacked, missing) if part)

    @property
    def kept(self) -> int:
        """Entries carried over from the history unchanged."""
        return max(self.entries - self.added - self.renewed, 0)


@dataclass
class BuildReport:
    outcomes: list[FeedOutcome] = field(default_factory=list)
    translated: int = 0  # papers sent to the engine
    reused: int = 0  # papers whose published translation was kept (text unchanged)
    warnings: list[str] = field(default_factory=list)  # problems that did not stop a feed
    enrichment: str | None = None  # the arXiv API step's summary line; None when it did not run
    seconds: float = 0.0
    previous: str = ""  # where the previous state was read
    published: bool = False  # the new site replaced the output folder
    withheld: str | None = None  # why no new site was published
    now: datetime | None = None  # the run's clock
    horizon: date | None = None  # the oldest day a gap is kept for (archive.gap_horizon)
    last_success: datetime | None = None  # this run, if no feed failed, else the previous site's
    events: tuple[StatusEvent, ...] = ()  # the status feed's entries after this run, newest first

    @property
    def sentences_translated(self) -> int:
        return sum(o.sentences_translated for o in self.outcomes)

    @property
    def sentences_cached(self) -> int:
        return sum(o.sentences_cached for o in self.outcomes)

    def exit_code(self, strict: bool = False) -> ExitCode:
        """FAILED when no new site was published (nothing to deploy); PARTIAL when one was
        but a feed failed, or only partly updated (or, with --strict, was stale or degraded)."""
        if not self.published:
            return ExitCode.FAILED
        return ExitCode.PARTIAL if any(o.troubled(strict) for o in self.outcomes) else ExitCode.OK


# --- a finished run ------------------------------------------------------------------


def left_out_words(count: int) -> str:
    """The replacements a feed left out, in the words every form uses; nothing for none."""
    return f"{count} replacements of papers not in the feed left out" if count else ""


def status_line(outcome: FeedOutcome) -> str:
    """A feed's line in --verbose output, as soon as it is written."""
    left_out = left_out_words(outcome.replacements_left_out)
    counts = (f"{outcome.entries} entries (+{outcome.added} new, {outcome.renewed} updated"
              f"{', ' + left_out if left_out else ''})")
    return f"{outcome.feed.name}: {outcome.status}, {counts}{': ' + outcome.message if outcome.message else ''}"


# The run's last line counts the feeds by what happened to them, in the statuses' own words
# (render/words.py says the same on the site): the first count names the feeds.
_RUN_COUNTS = (
    (FeedStatus.UPDATED, "{n}{feeds} updated"),
    (FeedStatus.PARTIAL, "{n}{feeds} partly updated (a category could not be read)"),
    (FeedStatus.FAILED, "{n}{feeds} not updated (an error; the last published papers stay)"),
    (FeedStatus.CURRENT, "{n}{feeds} already up to date"),
    (FeedStatus.STALE, "{n}{feeds} with nothing new from arXiv since the last run (it sent the previous batch again)"),
    (FeedStatus.EMPTY, "{n}{feeds} with nothing new from arXiv (it announced nothing)"),
    (FeedStatus.SKIPPED, "{n}{feeds} not rebuilt (--only)"),
)


def feeds_counted(n: int) -> str:
    """"1 feed", "2 feeds": every line that counts feeds says it alike."""
    return f"{n} feed" if n == 1 else f"{n} feeds"


def run_line(report: BuildReport, target: Path) -> str:
    """The run's last line: where the site was published and what happened to its feeds,
    or that nothing was published."""
    if not report.published:
        return f"nothing published: {target} is unchanged"
    counts = []
    for status, words in _RUN_COUNTS:
        n = sum(outcome.status == status for outcome in report.outcomes)
        if n:
            counts.append(words.format(n=n, feeds="") if counts else words.format(n="", feeds=feeds_counted(n)))
    return f"published in {target}: {', '.join(counts) or 'no feeds'}"


def feed_summary_line(outcome: FeedOutcome) -> str:
    """The run's last word on a feed; a feed not updated says why in parentheses."""
    line = (
        f"{outcome.feed.name}: new {outcome.added} / updated {outcome.renewed} / kept {outcome.kept}"
        f", sentences translated {outcome.sentences_translated} vs cached {outcome.sentences_cached}"
        f" ({outcome.untranslated} untranslated), {outcome.seconds:.1f} s"
    )
    if outcome.replacements_left_out:
        line += f"; {left_out_words(outcome.replacements_left_out)}"
    if outcome.status != FeedStatus.UPDATED:
        line += f" ({outcome.status}{': ' + outcome.message if outcome.message else ''})"
    return line


def summary_json(report: BuildReport, strict: bool = False) -> dict:
    """The machine-readable run summary (``build --json``); its keys are fixed by SUMMARY_SCHEMA."""
    code = report.exit_code(strict)
    return {
        "schema": SUMMARY_SCHEMA,
        "exit_code": int(code),
        "result": code.name.lower(),
        "published": report.published,
        "withheld": report.withheld,
        "previous": report.previous,
        "seconds": round(report.seconds, 3),
        "papers": {"translated": report.translated, "reused": report.reused},
        "sentences": {"translated": report.sentences_translated, "cached": report.sentences_cached},
        "enrichment": report.enrichment,
        "warnings": list(report.warnings),
        "feeds": [
            {
                "name": o.feed.name,
                "status": str(o.status),
                "new": o.added,
                "updated": o.renewed,
                "kept": o.kept,
                "replacements_left_out": o.replacements_left_out,
                "untranslated": o.untranslated,
                "in_fragments": o.in_fragments,
                "entries": o.entries,
                "sentences": {"translated": o.sentences_translated, "cached": o.sentences_cached},
                "seconds": round(o.seconds, 3),
                "message": o.message,
                "degraded": list(o.degraded),
                "gaps": gaps_json(o.gaps),
            }
            for o in report.outcomes
        ],
    }


def gaps_json(gaps: tuple[Gap, ...]) -> list[dict]:
    """A feed's gaps as ``--json`` and ``status.json`` list them."""
    return [{"source": g.source, "day": g.day.isoformat(), "state": g.state, "papers": g.papers, "note": g.note}
            for g in gaps]


def gap_lines(report: BuildReport) -> list[str]:
    """One line per announcement day a feed missed within its window: the run's output
    names every gap, open or closed this run or before."""
    return [f"{o.feed.name}: announcement {g.describe()}" for o in report.outcomes for g in o.gaps]


def status_document(report: BuildReport) -> bytes:
    """``status.json``: each feed's state after the run, for people and monitoring."""
    feeds = [
        {
            "name": o.feed.name,
            "feed": o.feed_url,
            "status": str(o.status),
            "last_announcement": o.last_day.isoformat() if o.last_day else None,
            "message": o.message,
            "entries": o.entries,
            "added": o.added,
            "updated": o.renewed,
            "replacements_left_out": o.replacements_left_out,
            "untranslated": o.untranslated,
            "history": o.history,
            "degraded": list(o.degraded),
            "gaps": gaps_json(o.gaps),
        }
        for o in report.outcomes
    ]
    document = {
        "generator": f"feedbridge {__version__}",
        "generated": _time(report.now),
        "last_success": _time(report.last_success),
        "previous": report.previous,
        "feeds": feeds,
        "warnings": report.warnings,
        "events": [{"id": e.id, "time": e.time.isoformat(), "kind": e.kind, "feed": e.feed, "title": e.title}
                   for e in report.events],
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8") + b"\n"


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def last_success(report: BuildReport, previous: dict) -> datetime | None:
    """The run's time when it published and no feed failed, else the previous status's."""
    if report.now is not None and not any(o.troubled(strict=False) for o in report.outcomes):
        return report.now
    try:
        return datetime.fromisoformat(previous["last_success"])
    except (KeyError, TypeError, ValueError):
        return None


def status_events(report: BuildReport, previous: dict) -> tuple[StatusEvent, ...]:
    """The status feed's entries: what this run noticed that the previous status did not
    say (a gap opened or closed, a feed failed, a feed went stale), before the previous
    status's own, newest first. ``previous`` is the previous site's status.json; what in
    it is not a feedbridge status only costs the older entries."""
    before = {f.get("name"): f for f in _listed(previous, "feeds")}
    now = report.now
    noticed = []
    for outcome in report.outcomes:
        name, was = outcome.feed.name, before.get(outcome.feed.name, {})
        known = {(g.get("source"), g.get("day")): g.get("state") for g in _listed(was, "gaps")}
        for gap in outcome.gaps:
            state = known.pop((gap.source, gap.day.isoformat()), None)
            key, what = f"{gap.source}/{gap.day}", f"the {gap.source} announcement of {gap.day}"
            if state is None:  # opened this run (and maybe closed too: two entries)
                noticed.append(("gap-opened", name, key, f"{name}: missed {what}"))
            if gap.state == state or gap.open:
                continue
            if gap.state == "recovered":
                title = f"{name}: recovered {what} ({gap.papers} papers from the arXiv API); {gap.note}"
            else:
                title = f"{name}: {what} is not recoverable: {gap.note}"
            noticed.append(("gap-closed", name, key, title))
        for (source, day), state in known.items():  # an open gap no longer listed: closed without recovery
            if state == "open" and outcome.status != FeedStatus.FAILED:
                gone = report.horizon is not None and isinstance(day, str) and day < report.horizon.isoformat()
                how = "left the window without being recovered" if gone else "was served by arXiv's feed after all"
                noticed.append(("gap-closed", name, f"{source}/{day}", f"{name}: the {source} announcement of {day} {how}"))
        if outcome.status in (FeedStatus.FAILED, FeedStatus.PARTIAL):
            noticed.append(("failed", name, "", f"{name}: {outcome.status}: {outcome.problem()}"))
        elif outcome.status == FeedStatus.STALE and was.get("status") != str(FeedStatus.STALE):
            noticed.append(("stale", name, "", f"{name}: stale: {outcome.message}"))
    # An entry's id: what happened, to which feed and day, and when; never the words.
    fresh = tuple(
        StatusEvent(f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'feedbridge:{kind}:{name}:{key}:{now}')}", now, kind,
                    name, title)
        for kind, name, key, title in noticed
    ) if now is not None else ()
    return (fresh + _events(previous))[:EVENT_LIMIT]


def _listed(document: object, key: str) -> list[dict]:
    values = document.get(key) if isinstance(document, dict) else None
    return [value for value in values if isinstance(value, dict)] if isinstance(values, list) else []


def _events(previous: dict) -> tuple[StatusEvent, ...]:
    """The previous status's events, each kept as it was; one that is not whole is left out."""
    events = []
    for data in _listed(previous, "events"):
        try:
            time = datetime.fromisoformat(data["time"])
            fields = (data["id"], data["kind"], data["feed"], data["title"])
        except (KeyError, TypeError, ValueError):
            continue
        if time.utcoffset() is not None and all(isinstance(value, str) for value in fields):
            events.append(StatusEvent(fields[0], time, fields[1], fields[2], fields[3]))
    return tuple(events)


def summary_markdown(report: BuildReport, strict: bool) -> str:
    """The run summary as a Markdown table, for a CI job summary."""
    lines = ["| feed | status | entries | new | updated | note |", "|---|---|---|---|---|---|"]
    for o in report.outcomes:
        note = "; ".join(part for part in (o.message, left_out_words(o.replacements_left_out)) if part)
        note = note.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {o.feed.name} | {o.status} | {o.entries} | {o.added} | {o.renewed} | {note} |")
    code = report.exit_code(strict)
    lines.append("")
    lines += [f"Warning: {warning}" for warning in report.warnings] + ([""] if report.warnings else [])
    gaps = gap_lines(report)
    lines += ["Missed announcements:", ""] + [f"- {line}" for line in gaps] + [""] if gaps else []
    lines.append(f"Previous state: {report.previous}.")
    if report.withheld:
        lines.append(f"**No new site was published**: {report.withheld}; the output folder is unchanged.")
    lines.append(
        f"{report.translated} papers translated, {report.reused} kept their published translation;"
        f" exit {int(code)} ({code.name}{', strict' if strict else ''})."
    )
    return "\n".join(lines) + "\n"


def append_summary(path: Path, text: str) -> None:
    """Add the summary to a file others write too (a CI job summary), never replacing it."""
    try:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as err:
        raise OutputError(f"{path}: cannot write the summary: {err.strerror or err}") from None


# --- a dry run -----------------------------------------------------------------------


def pair_rates(plan: RunPlan) -> list[tuple[PairPlan, Rate]]:
    """Each language pair's model speed for the estimate: the last build's measurement of
    its model under these decoding settings (translate/throughput.py), else the default."""
    rates = []
    for pair in plan.pairs:
        provenance, decoding = pair.job.memory_key if pair.backend is not None else (None, None)
        rates.append((pair, rate(plan.config.cache_dir, provenance, decoding, plan.config.beam_size)))
    return rates


def estimate(plan: RunPlan) -> float:
    """Seconds the build would take, roughly: arXiv's pauses plus each pair's model time."""
    model = sum(pair.stats.by_model / speed.sentences_per_second for pair, speed in pair_rates(plan))
    return plan.requests * plan.config.min_interval + model


def dry_run_json(plan: RunPlan) -> dict:
    """``build --dry-run --json``: what the build would do; keys fixed by DRY_RUN_SCHEMA."""
    return {
        "schema": DRY_RUN_SCHEMA,
        "dry_run": True,
        "previous": plan.previous.description if plan.previous else "",
        "sources": plan.locations,
        "feeds": [{"name": f.feed.name, "status": str(f.status), "new": f.new, "updated": f.updated,
                   "replacements_left_out": f.replacements_left_out, "message": f.message,
                   "gaps": gaps_json(f.gaps)} for f in plan.feeds.values()],
        "missing_packages": plan.missing_models,
        "papers": {"to_translate": plan.papers_to_translate, "reused": plan.papers_reused},
        "sentences": {"model": plan.sentences_model, "cached": plan.sentences_cached},
        "api": {"papers": plan.api_papers, "requests": plan.api_requests},
        "estimate_seconds": round(estimate(plan), 1),
        "throughput": [{"pair": f"{pair.source_lang}->{pair.target_lang}", "sentences": pair.stats.by_model,
                        **speed.json()} for pair, speed in pair_rates(plan)],
    }


def dry_run_lines(plan: RunPlan) -> list[str]:
    """``build --dry-run``: the same account, for a person."""
    lines = ["dry run: nothing is written"]
    lines += [f"would read {source}" for source in plan.locations]
    if plan.previous is not None:
        lines.append(f"previous state: {plan.previous.description}")
    for feed in plan.feeds.values():
        note = f" ({feed.status}: {feed.message})" if feed.message else ""
        lines.append(f"{feed.feed.name}: {feed.new} new, {feed.updated} updated{note}")
        if feed.replacements_left_out:
            lines.append(f"{feed.feed.name}: {left_out_words(feed.replacements_left_out)}")
        lines += [f"{feed.feed.name}: announcement {gap.describe()}" for gap in feed.gaps]
    for pair in plan.missing_models:
        lines.append(f"translation package {pair} is not installed: the build would "
                     + ("stop (--offline)" if plan.options.offline else "install it from the Argos index"))
    lines.append(
        f"translation: {plan.papers_to_translate} papers ({plan.papers_reused} keep their published translation),"
        f" {plan.sentences_model} sentences for the model, {plan.sentences_cached} from the translation memory"
    )
    if plan.api_requests:
        lines.append(f"arXiv API: {plan.api_papers} papers to ask in {plan.api_requests} requests")
    model = "".join(f"; {pair.source_lang}->{pair.target_lang}: {pair.stats.by_model} sentences at {speed.describe()}"
                    for pair, speed in pair_rates(plan))
    lines.append(
        f"estimate: about {estimate(plan):.0f} s ({plan.requests} requests to arXiv, {plan.config.min_interval:g} s apart"
        f"{model})"
    )
    return lines
