"""What a run did, and every form it is told in: log lines, ``--json``, the Markdown
summary, ``status.json`` and the dry run's account.

The pipeline fills a BuildReport (or, for ``--dry-run``, a RunPlan); this module only
turns them into words and documents, so each form says the same thing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from feedbridge import __version__
from feedbridge.config import FeedConfig
from feedbridge.errors import ExitCode, OutputError
from feedbridge.model import FeedStatus

if TYPE_CHECKING:
    from feedbridge.pipeline import RunPlan

SUMMARY_SCHEMA = 2  # the --json run summary's layout; bumped when a key changes meaning or goes
# (2: a feed's "failed", papers with an untranslated sentence, became "untranslated", sentences)
DRY_RUN_SCHEMA = 1  # likewise for build --dry-run --json

# Model time per sentence, for the dry run's estimate. Measured with tools/bench.py
# (--papers 16: 123 fixture sentences, argos's en->ja shape, int8, beam 4) on 2 CPU
# cores: the engine's cold path ran 4.9 sentences/s. Its random weights decode every
# sentence to the length cap, so a trained model is faster: this is an upper bound
# for 2 cores; more cores or a GPU take proportionally less.
SECONDS_PER_SENTENCE = 0.2


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

    def troubled(self, strict: bool) -> bool:
        """Whether the feed makes the run exit 4: it failed or was partly updated; with
        --strict, also stale, or read from a feed that lost a field every item carries."""
        bad = {FeedStatus.FAILED, FeedStatus.PARTIAL} | ({FeedStatus.STALE} if strict else set())
        return self.status in bad or (strict and bool(self.degraded))

    def problem(self) -> str:
        """What is wrong with the feed, in one line: its message, and what arXiv's feed lacked."""
        lacked = f"arXiv's feed had no {' and no '.join(self.degraded)} in any item" if self.degraded else ""
        return "; ".join(part for part in (self.message, lacked) if part)

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


def status_line(outcome: FeedOutcome) -> str:
    """A feed's line in --verbose output, as soon as it is written."""
    counts = f"{outcome.entries} entries (+{outcome.added} new, {outcome.renewed} updated)"
    return f"{outcome.feed.name}: {outcome.status}, {counts}{': ' + outcome.message if outcome.message else ''}"


def feed_summary_line(outcome: FeedOutcome) -> str:
    """The run's last word on a feed; a feed not updated says why in parentheses."""
    line = (
        f"{outcome.feed.name}: new {outcome.added} / updated {outcome.renewed} / kept {outcome.kept}"
        f", sentences translated {outcome.sentences_translated} vs cached {outcome.sentences_cached}"
        f" ({outcome.untranslated} untranslated), {outcome.seconds:.1f} s"
    )
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
                "untranslated": o.untranslated,
                "in_fragments": o.in_fragments,
                "entries": o.entries,
                "sentences": {"translated": o.sentences_translated, "cached": o.sentences_cached},
                "seconds": round(o.seconds, 3),
                "message": o.message,
                "degraded": list(o.degraded),
            }
            for o in report.outcomes
        ],
    }


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
            "untranslated": o.untranslated,
            "history": o.history,
            "degraded": list(o.degraded),
        }
        for o in report.outcomes
    ]
    document = {"generator": f"feedbridge {__version__}", "previous": report.previous, "feeds": feeds,
                "warnings": report.warnings}
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8") + b"\n"


def summary_markdown(report: BuildReport, strict: bool) -> str:
    """The run summary as a Markdown table, for a CI job summary."""
    lines = ["| feed | status | entries | new | updated | note |", "|---|---|---|---|---|---|"]
    for o in report.outcomes:
        note = o.message.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {o.feed.name} | {o.status} | {o.entries} | {o.added} | {o.renewed} | {note} |")
    code = report.exit_code(strict)
    lines.append("")
    lines += [f"Warning: {warning}" for warning in report.warnings] + ([""] if report.warnings else [])
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


def estimate(plan: RunPlan) -> float:
    """Seconds the build would take, roughly: arXiv's pauses plus model time."""
    return plan.requests * plan.config.min_interval + plan.sentences_model * SECONDS_PER_SENTENCE


def dry_run_json(plan: RunPlan) -> dict:
    """``build --dry-run --json``: what the build would do; keys fixed by DRY_RUN_SCHEMA."""
    return {
        "schema": DRY_RUN_SCHEMA,
        "dry_run": True,
        "previous": plan.previous.description if plan.previous else "",
        "sources": plan.locations,
        "feeds": [{"name": f.feed.name, "status": str(f.status), "new": f.new, "updated": f.updated,
                   "message": f.message} for f in plan.feeds.values()],
        "missing_packages": plan.missing_models,
        "papers": {"to_translate": plan.papers_to_translate, "reused": plan.papers_reused},
        "sentences": {"model": plan.sentences_model, "cached": plan.sentences_cached},
        "api": {"papers": plan.api_papers, "requests": plan.api_requests},
        "estimate_seconds": round(estimate(plan), 1),
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
    for pair in plan.missing_models:
        lines.append(f"translation package {pair} is not installed: the build would "
                     + ("stop (--offline)" if plan.options.offline else "install it from the Argos index"))
    lines.append(
        f"translation: {plan.papers_to_translate} papers ({plan.papers_reused} keep their published translation),"
        f" {plan.sentences_model} sentences for the model, {plan.sentences_cached} from the translation memory"
    )
    if plan.api_requests:
        lines.append(f"arXiv API: {plan.api_papers} papers to ask in {plan.api_requests} requests")
    lines.append(
        f"estimate: about {estimate(plan):.0f} s ({plan.requests} requests to arXiv, {plan.config.min_interval:g} s apart;"
        f" {plan.sentences_model} sentences at {SECONDS_PER_SENTENCE:g} s each on CPU)"
    )
    return lines
