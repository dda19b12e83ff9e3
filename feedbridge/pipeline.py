"""The pipeline: ``survey`` finds what a run starts from, each pass is planned and done.

Only this module knows the order of the stages. A run first surveys:

1. a backend for each language pair of the selected feeds (installing a missing Argos
   package unless offline; a dry run only looks at what is installed);
2. each feed's history (its published archive) from the site or the output folder,
   checked and let go: a feed's archive is read again when its turn comes.

Then it goes through the feeds in passes (``passes``: feeds in config order until their
sources hold PASS_PAPERS papers, feeds that share a source together), so that a run holds
one pass's papers, translations and windows at a time, however much of arXiv it
publishes. Each pass is planned (``plan_pass``):

3. each source read once, however many feeds use it;
4. each source judged against the feed's last batch (the freshness guard), and the
   papers that change the feed chosen; the announcement days each feed missed (its
   gaps), and those arXiv's feed no longer serves read back from the arXiv API;
5. the window of each feed that changes enriched from the arXiv API, through the same
   Fetcher, so one pause between requests covers arXiv's feeds and its API (a dry run
   only counts what it would ask); a failing API only costs a warning;
6. the translation work of each language pair found: a paper the pass's published feeds
   hold with the same title and abstract keeps its translation, a cross-listed paper is
   translated once, and every sentence is looked up in the translation memory (which
   also holds what earlier passes translated).

``--dry-run`` (``plan``) plans every selected feed as one pass and reports it.
``execute`` translates what the memory did not know, one engine pass per language pair
and pass, merges each feed's window, writes its archive, its files (the feed writers)
and its page, keeps a summary of it, and lets the pass go; then the site around the
feeds (the site writers) and ``status.json``. A feed that fails, or whose batch is empty
or stale, is republished from its history exactly as it was; the other feeds of the run
are still built.
"""

from __future__ import annotations

import hashlib
import time
import traceback
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from pathlib import Path

from feedbridge.announcement_days import served_day
from feedbridge.archive import (
    Accounted, Batch, DayRecord, FeedArchive, Gap, Window, account, batch_of, carry_over, gap_horizon, gaps, judge,
    choose, merge, published_translations, select_papers,
)
from feedbridge.atomicfile import output_lock, real_folder, write_atomic
from feedbridge.config import STATUS_FILE, Config, FeedConfig, contact_warning
from feedbridge.errors import ConfigError, FeedbridgeError, ModelError, OutputError
from feedbridge.fetch import fetcher_for
from feedbridge.model import FeedStatus, Paper, SourceFeed, TranslatedPaper
from feedbridge.previous import (
    Found, Histories, History, PreviousSite, PublishedSite, SpooledSite, dropped_feeds, previous_site,
    previous_status, save_site, saved_site, site_fetcher,
)
from feedbridge.publish import CarryError, carry, discard, recover, stage, swap, write_feed
from feedbridge.render import PAGE_WRITERS, SITE_WRITERS
from feedbridge.render.atom import atom_path
from feedbridge.render.category_names import category_name
from feedbridge.render.view import FeedView, SiteView
from feedbridge.report import (
    BuildReport, FeedOutcome, last_success, status_document, status_events, status_line,
)
from feedbridge.sources import (
    NotRecoverable, bounding_papers, feed_source, missed_day_source, saved_missed_day_source,
)
from feedbridge.sources.arxiv_api import BATCH_SIZE as API_BATCH_SIZE
from feedbridge.sources.arxiv_api import EnrichmentResult, enrich, unanswered
from feedbridge.translate import TranslationStats, throughput
from feedbridge.translate.backend import MODEL_KINDS, Backend, backend_settings, check_models
from feedbridge.translate.engine import TranslationJob, paper_identity, prepare, run
from feedbridge.translate.memory import FILE_NAME as MEMORY_FILE
from feedbridge.translate.memory import TranslationMemory
from feedbridge.verify import feed_files, verify_site

Log = Callable[[str], None]
Progress = Callable[[str, int, int], None]  # (language pair, sentences done, sentences in total)

# Papers a pass gathers (its sources' items) before it is translated and written: enough for
# the model's batches to keep every core busy, few enough that a run of all of arXiv holds
# no more than a busy category's day at a time. A group of feeds sharing a source bigger
# than this is one pass.
PASS_PAPERS = 1000


@dataclass(frozen=True)
class BuildOptions:
    out_dir: Path | None = None  # overrides site.output_dir
    from_dir: Path | None = None  # read what feedbridge fetch saved in DIR instead of the network
    offline: bool = False  # no network connection: the feeds from the fetch cache, no package installed
    only: tuple[str, ...] = ()  # feed names or categories to build; empty: all
    base_url: str | None = None  # overrides site.base_url
    now: datetime | None = None  # the run's clock (--now, SOURCE_DATE_EPOCH); None: the real time
    memory_only: bool = False  # every sentence from the translation memory (a matrix's shards filled it), no model
    fetch_to: Path | None = None  # feedbridge fetch: read as an online build, keep all it read here, translate nothing


@dataclass
class FeedPlan:
    """What this run does to one feed, before anything is translated."""

    feed: FeedConfig
    history: History
    status: FeedStatus = FeedStatus.UPDATED
    message: str = ""
    batches: dict[str, Batch] = field(default_factory=dict)  # the fresh sources' batches
    papers: list[Paper] = field(default_factory=list)  # to translate and merge
    channel_date: datetime | None = None  # an empty first feed's date
    degraded: tuple[str, ...] = ()  # what every item of a source lacked (SourceFeed.degraded)
    accounted: dict[str, Accounted] = field(default_factory=dict)  # this run's days accounted for, by source
    recovered: set[date] = field(default_factory=set)  # missed days whose papers the API gave back
    gaps: tuple[Gap, ...] = ()  # the announcement days missed within the window, after this run
    carried: list[TranslatedPaper | None] = field(default_factory=list)  # per paper: its published translation
    stats: TranslationStats = field(default_factory=TranslationStats)  # this feed's share of its pair's pass
    seconds: float = 0.0  # spent translating
    replacements_left_out: int = 0  # replacements of papers the feed never published (archive.Selection)

    @property
    def new(self) -> int:
        """Papers new to the published window."""
        previous = {e.paper.arxiv_id for e in self.history.archive.entries}
        return sum(p.arxiv_id not in previous for p in self.papers)

    @property
    def updated(self) -> int:
        """New versions of papers the window holds."""
        return len(self.papers) - self.new

    @property
    def changes(self) -> bool:
        """Whether the feed's window changes: a fresh batch, or a missed day recovered."""
        return bool(self.batches or self.recovered)

    @property
    def window_papers(self) -> list[Paper]:
        """The papers a changing feed will hold: the chosen ones, and the kept entries'."""
        chosen = {p.arxiv_id for p in self.papers}
        return self.papers + [e.paper for e in self.history.archive.entries if e.paper.arxiv_id not in chosen]


@dataclass
class PairPlan:
    """One language pair's engine pass: its backend and the work found for it."""

    source_lang: str
    target_lang: str
    backend: Backend | None  # None only in a dry run, where the pair's model is not installed
    job: TranslationJob
    stats: TranslationStats


@dataclass
class RunPlan:
    """Everything a run will do, found without writing anything."""

    config: Config
    options: BuildOptions
    base_url: str
    out_dir: Path
    backends: dict[tuple[str, str], Backend]
    feeds: dict[str, FeedPlan]  # the feeds of the pass being planned (a dry run: every selected feed), by name
    histories: Histories | None = None  # every configured feed's, checked; each read again in its turn
    previous: PreviousSite | None = None  # where the histories were read
    previous_status: dict = field(default_factory=dict)  # its status.json (previous.previous_status)
    pairs: list[PairPlan] = field(default_factory=list)  # the pass's language pairs
    run: _Run | None = None  # what the run's passes share
    selected: list[FeedConfig] = field(default_factory=list)  # the feeds this run builds, in config order
    now: datetime = datetime.min.replace(tzinfo=timezone.utc)  # the run's clock
    due: date = date.min  # the announcement day arXiv's feed should serve at ``now``
    locations: list[str] = field(default_factory=list)  # the URLs (or saved files) read
    missing_models: list[str] = field(default_factory=list)  # "en->ja": a build would install them
    warnings: list[str] = field(default_factory=list)
    enrichment: EnrichmentResult | None = None  # the API step's counts, every pass's together
    requests: int = 0  # requests to arXiv (feeds and API), each min_interval apart
    api_papers: int = 0  # papers the arXiv API would be asked about (dry run)
    api_requests: int = 0

    @property
    def papers_to_translate(self) -> int:
        return sum(len({paper_identity(p) for p in pair.job.papers}) for pair in self.pairs)

    @property
    def papers_reused(self) -> int:
        """Papers of the run the engine is not given: published translations, and a
        cross-list's second feed."""
        return sum(len(plan.papers) for plan in self.feeds.values()) - self.papers_to_translate

    @property
    def sentences_model(self) -> int:
        return sum(pair.stats.by_model for pair in self.pairs)

    @property
    def sentences_cached(self) -> int:
        return sum(pair.stats.from_memory for pair in self.pairs)


def select_feeds(config: Config, only: Sequence[str]) -> list[FeedConfig]:
    if not only:
        return list(config.feeds)
    chosen = [f for f in config.feeds if f.name in only or f.category in only]
    unknown = set(only) - {f.name for f in chosen} - {f.category for f in chosen}
    if unknown:
        known = ", ".join(f.name for f in config.feeds)
        raise ConfigError(f"--only {sorted(unknown)[0]}: no such feed in {config.path} (feeds: {known})")
    return chosen


class _Run:
    """One run's options resolved once, what every pass shares (the fetcher, the missed
    days' source, the papers that bound the announcement days) and the run's two
    outputs: the log and the warnings."""

    def __init__(self, config: Config, options: BuildOptions, log: Log, detail: Log, warn: Log, *, dry_run: bool):
        self.config = config
        self.options = options
        self.log = log
        self.detail = detail
        self.warn = warn
        self.dry_run = dry_run
        base_url = options.base_url or config.base_url
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.now = options.now or datetime.now(timezone.utc).replace(microsecond=0)
        self.out_dir = real_folder(options.out_dir or config.output_dir)
        # One fetcher for arXiv's feeds and its API: the pause between requests covers both.
        # A dry run writes nothing, so it keeps no conditional-GET state.
        # Offline, the feeds are the copies earlier runs kept: read, never written.
        self.fetcher = (fetcher_for(config, cache=options.offline or not dry_run, offline=options.offline)
                        if options.from_dir is None else None)
        self.source = feed_source(config.feed_url, self.fetcher, options.from_dir, options.fetch_to)
        # The arXiv API online (fetch keeps what it gives), what fetch kept from saved feeds.
        self.missed_day = (missed_day_source(config.api_url, self.fetcher, config.holidays, options.fetch_to)
                           if self.online else
                           saved_missed_day_source(options.from_dir) if options.from_dir is not None else None)
        self.bounding: list[Paper] = []  # the papers seen that bound each announcement day's ids
        self.api_failed = False  # the arXiv API failed in a pass: the passes after it do not ask again
        self.timed: dict[tuple[str, str], list] = {}  # per model and settings: [sentences, seconds] it translated
        self._spool = tempfile.TemporaryDirectory(prefix="feedbridge-previous-")

    @property
    def online(self) -> bool:
        """Whether arXiv may be asked at all: not offline, not from saved feeds."""
        return not self.options.offline and self.options.from_dir is None

    @property
    def asks_api(self) -> bool:
        """Whether the arXiv API may be asked for enrichment."""
        return self.config.enrich and self.online

    def spool(self) -> Path:
        """A folder for this run's copy of the published site's files (previous.SpooledSite)."""
        return Path(self._spool.name)

    def close(self) -> None:
        self._spool.cleanup()

    def bound(self, papers: Iterable[Paper]) -> None:
        """Keep, of ``papers``, those that bound an announcement day's ids (missed days)."""
        self.bounding = bounding_papers([*self.bounding, *papers])


def plan(config: Config, options: BuildOptions, log: Log = lambda _: None, detail: Log = lambda _: None) -> RunPlan:
    """A dry run: what a build would do, stages 1 to 6 of the module's docstring, for every
    selected feed at once; nothing is installed or written, and the translation memory is
    only read."""
    run_plan = survey(config, options, log, detail, dry_run=True)
    try:
        categories = list(dict.fromkeys(c for feed in run_plan.selected for c in feed.sources))
        with TranslationMemory(config.cache_dir / MEMORY_FILE, read_only=True, warn=run_plan.run.warn) as memory:
            plan_pass(run_plan, run_plan.selected, _fetch(run_plan.run, categories), memory)
    finally:
        run_plan.run.close()
    return run_plan


def survey(config: Config, options: BuildOptions, log: Log = lambda _: None, detail: Log = lambda _: None, *,
           warnings: list[str] | None = None, dry_run: bool = False) -> RunPlan:
    """What a run knows before its first pass: the selected feeds, a backend for each of
    their language pairs (stage 1, installing a missing package unless a dry run or
    offline), every configured feed's history checked (stage 2), the run's clock and the
    announcement day due. ``warnings`` collects the problems that stop no feed (the
    build's list, which its memory warns into too). The caller closes ``run``."""
    check_models(config)
    selected = select_feeds(config, options.only)
    result = RunPlan(config, options, "", Path(), {}, {}, warnings=[] if warnings is None else warnings)
    run_ = _Run(config, options, log, detail, _warner(result.warnings, log), dry_run=dry_run)
    result.run, result.selected = run_, selected
    if (contact := contact_warning(config)) is not None:  # said once per run, and kept in status.json
        run_.warn(contact)
    result.base_url, result.out_dir = run_.base_url, run_.out_dir
    try:
        _backends(run_, result, selected)
        _previous(run_, result)
    except BaseException:
        run_.close()
        raise
    result.locations = [run_.source.location(c) for c in dict.fromkeys(c for feed in selected for c in feed.sources)]
    result.now = run_.now
    result.due = served_day(run_.now, config.holidays)
    return result


def plan_pass(run_plan: RunPlan, feeds: Sequence[FeedConfig], fetched: dict[str, SourceFeed | FeedbridgeError],
              memory: TranslationMemory) -> None:
    """Plan one pass over ``feeds``, whose sources are in ``fetched``: stages 3 to 6 of the
    module's docstring, into ``run_plan.feeds`` and ``run_plan.pairs`` (the pass before
    is let go)."""
    run_ = run_plan.run
    plan_papers(run_plan, feeds, fetched)
    pairs = dict.fromkeys((f.source_lang, f.target_lang) for f in feeds)
    run_plan.pairs = [_plan_pair(run_, run_plan, *pair, memory) for pair in pairs]


def plan_papers(run_plan: RunPlan, feeds: Sequence[FeedConfig],
                fetched: dict[str, SourceFeed | FeedbridgeError]) -> None:
    """Stages 3 to 5 of a pass: each feed judged and its papers chosen, its gaps found and
    recovered, its window enriched, into ``run_plan.feeds``; all that ``feedbridge fetch``
    plans (``fetch_inputs``)."""
    run_ = run_plan.run
    for got in fetched.values():
        if isinstance(got, SourceFeed):
            run_.bound(got.papers)
    run_plan.feeds = {feed.name: plan_feed(feed, run_plan.histories.read(feed.name), fetched, run_plan.due)
                      for feed in feeds}
    _find_gaps(run_, run_plan)
    _recover(run_, run_plan, fetched)
    run_plan.requests += 0 if run_.options.from_dir else len(fetched)
    _enrich(run_, run_plan)


def passes(run_plan: RunPlan) -> Iterator[tuple[list[FeedConfig], dict[str, SourceFeed | FeedbridgeError]]]:
    """The selected feeds in passes, in config order, each with its sources read: a pass
    takes feeds until their sources hold PASS_PAPERS papers, and the feeds that share a
    source go together, so that each source is read once and a run holds one pass's
    papers, translations and windows at a time."""
    run_ = run_plan.run
    pending: list[FeedConfig] = []
    fetched: dict[str, SourceFeed | FeedbridgeError] = {}
    for group in _sharing(run_plan.selected):
        pending += group
        fetched.update(_fetch(run_, [c for c in dict.fromkeys(c for feed in group for c in feed.sources)
                                     if c not in fetched]))
        if sum(len(got.papers) for got in fetched.values() if isinstance(got, SourceFeed)) >= PASS_PAPERS:
            yield pending, fetched
            pending, fetched = [], {}
    if pending:
        yield pending, fetched


def _sharing(feeds: Sequence[FeedConfig]) -> list[list[FeedConfig]]:
    """The feeds in groups that share no source with another group, in config order (a
    topic reading cs.AI goes with the cs.AI feed). A group is known by its first feed's
    place."""
    group_of: dict[str, int] = {}  # a source's group
    groups: dict[int, list[int]] = {}  # the places of a group's feeds
    for place, feed in enumerate(feeds):
        joined = sorted({group_of[c] for c in feed.sources if c in group_of})
        group = joined[0] if joined else place
        groups[group] = sorted([p for g in joined for p in groups.pop(g)] + [place])
        for member in groups[group]:
            group_of.update(dict.fromkeys(feeds[member].sources, group))
    return [[feeds[p] for p in groups[g]] for g in sorted(groups)]


def _backends(run_: _Run, result: RunPlan, feeds: Sequence[FeedConfig]) -> None:
    """A backend per language pair and kind of model; a dry run installs nothing, and
    fetch needs none."""
    if run_.options.fetch_to is not None:
        return
    settings = backend_settings(run_.config)
    for feed in feeds:
        pair = (feed.source_lang, feed.target_lang)
        if pair in result.backends or "->".join(pair) in result.missing_models:
            continue
        kind = MODEL_KINDS[feed.model]
        if run_.dry_run:
            backend = kind.installed(*pair, **settings)
            if backend is None:
                result.missing_models.append("->".join(pair))
                continue
        else:
            backend = kind.backend(*pair, offline=run_.options.offline, log=run_.log, **settings)
        result.backends[pair] = backend


def _previous(run_: _Run, result: RunPlan) -> None:
    """Every configured feed's history checked, from the one previous site the run chose:
    the new site must be whole even with --only. A published site is kept on disk as it
    is read, for the feeds' turns; the one feedbridge fetch saved in --from-dir's folder
    stands for it."""
    config = run_.config
    fetcher = None if run_.options.offline else site_fetcher(config)
    saved = saved_site(run_.options.from_dir) if run_.options.from_dir is not None else None
    result.previous, warning = previous_site(run_.out_dir, run_.base_url, fetcher, saved)
    if isinstance(result.previous, PublishedSite):
        result.previous = SpooledSite(result.previous, run_.spool())
    if not run_.dry_run:  # a dry run says it in its account
        run_.log(f"previous state: {result.previous.description}")
    if warning:
        run_.warn(warning)
    result.previous_status = previous_status(result.previous)
    for name in dropped_feeds(result.previous_status, config):
        run_.warn(f"{name} was published but is no longer in {config.path}: the new site leaves it out")

    def observe(name: str, history: History) -> None:
        run_.detail(f"{name}: history {history.origin}")
        run_.bound(entry.paper for entry in history.archive.entries)

    result.histories = Histories.check(result.previous, [feed.name for feed in config.feeds], observe)


def _fetch(run_: _Run, categories: Sequence[str]) -> dict[str, SourceFeed | FeedbridgeError]:
    """Each source once, in config order; a failure is kept for the feeds that need it."""
    fetched: dict[str, SourceFeed | FeedbridgeError] = {}
    for category in categories:
        run_.detail(f"reading {run_.source.location(category)}")
        try:
            fetched[category] = run_.source.read(category)
        except FeedbridgeError as err:
            fetched[category] = err
            continue
        for warning in fetched[category].warnings:  # repaired characters, skipped items
            run_.warn(warning)
    return fetched


def plan_feed(feed: FeedConfig, history: History, fetched: dict[str, SourceFeed | FeedbridgeError],
              due: date | None = None) -> FeedPlan:
    """Judge each of the feed's sources and choose the papers that change it; ``due`` is
    the announcement day arXiv's RSS should serve now (archive.judge)."""
    plan_ = FeedPlan(feed, history)
    failures, kept = [], []
    for category in feed.sources:
        got = fetched[category]
        if isinstance(got, FeedbridgeError):
            failures.append(str(got))
            continue
        plan_.degraded = tuple(dict.fromkeys((*plan_.degraded, *got.degraded)))
        verdict = judge(history.archive.batches.get(category), got, due)
        if verdict.status == "empty" and got.announced is not None:  # a quiet day, or none: nothing missed
            plan_.accounted[category] = {got.announced.date(): DayRecord("rss")}
        if verdict.status == "fresh":
            plan_.batches[category] = batch_of(got)
            plan_.accounted[category] = {plan_.batches[category].announced.date(): DayRecord("rss")}
            plan_.papers += got.papers
        else:
            kept.append((verdict, category))
            plan_.channel_date = plan_.channel_date or got.announced
    selection = choose(feed, plan_.papers, history.archive)
    plan_.papers, plan_.replacements_left_out = selection.papers, selection.replacements_left_out
    several = len(feed.sources) > 1
    plan_.message = "; ".join(failures + [f"{c}: {v.message}" if several else v.message for v, c in kept])
    if failures:
        plan_.status = FeedStatus.PARTIAL if plan_.batches else FeedStatus.FAILED
    elif not plan_.batches:
        statuses = {v.status for v, _ in kept}
        plan_.status = (FeedStatus.STALE if "stale" in statuses
                        else FeedStatus.CURRENT if "current" in statuses else FeedStatus.EMPTY)
    return plan_


def _find_gaps(run_: _Run, result: RunPlan) -> None:
    """Each feed's announcement days within its window that no batch of arXiv's feed
    came for, open or closed (the report names them all)."""
    config = run_.config
    for feed_plan in result.feeds.values():
        archive = _accounted(result, feed_plan)
        feed_plan.gaps = tuple(gaps(archive, feed_plan.feed.sources, result.due, config.holidays, config.window_days))


# What a recovered day still lacks, for status.json and the status feed.
_RECOVERY_NOTE = "replacements and cross-lists of older papers are not recoverable by id"


def _recover(run_: _Run, result: RunPlan, fetched: dict[str, SourceFeed | FeedbridgeError]) -> None:
    """Read each open gap before the due day back from the arXiv API (sources/arxiv_missed.py),
    oldest first: its papers join the feed's window under their day, marked recovered; a
    day that cannot be recovered closes as such. A failing API leaves the rest open for
    the next run. The due day itself is left to arXiv's feed, which may still serve it,
    unless that feed has moved past it (a weekend's or a holiday's empty channel).
    From saved feeds, the days are read back as feedbridge fetch saved them (it ran this
    step); a dry run, offline, or from feeds saved without them, nothing is asked: the
    gaps stay open."""
    served = {c: got.announced.date() for c, got in fetched.items() if isinstance(got, SourceFeed) and got.announced}
    missed = sorted(((gap.day, gap.source, plan_) for plan_ in result.feeds.values() for gap in plan_.gaps
                     if gap.open and (gap.day < result.due or gap.day < served.get(gap.source, gap.day))),
                    key=lambda m: (m[0], m[1]))
    if not missed or run_.dry_run or run_.missed_day is None or run_.api_failed:
        return
    for day, category, feed_plan in missed:
        try:
            got = run_.missed_day(day, run_.bounding).read(category)
        except NotRecoverable as err:
            feed_plan.accounted.setdefault(category, {})[day] = DayRecord("not recoverable", note=str(err))
            continue
        except FeedbridgeError as err:
            run_.warn(f"missed announcements not recovered this run, the next tries again: {err}")
            run_.api_failed = run_.online  # the API, not a saved day: the passes after this one do not ask it
            break
        chosen = {p.arxiv_id for p in feed_plan.papers}
        papers = [p for p in select_papers(feed_plan.feed, got.papers, feed_plan.history.archive)
                  if p.arxiv_id not in chosen]
        feed_plan.papers += papers
        feed_plan.recovered.add(day)
        feed_plan.accounted.setdefault(category, {})[day] = DayRecord("recovered", len(papers), _RECOVERY_NOTE)
        run_.detail(f"{feed_plan.feed.name}: {category} {day}: {len(papers)} papers recovered from the arXiv API")
    _find_gaps(run_, result)


def _accounted(run_plan: RunPlan, feed_plan: FeedPlan, archive: FeedArchive | None = None) -> FeedArchive:
    """The archive (the feed's published one by default) with this run's accounted days,
    those older than the gaps' horizon let go."""
    config = run_plan.config
    horizon = gap_horizon(run_plan.due, config.holidays, config.window_days)
    return account(feed_plan.history.archive if archive is None else archive, feed_plan.accounted, horizon)


def _enrich(run_: _Run, result: RunPlan) -> None:
    """Enrich the window of every feed that changes: its new papers, and the entries it
    keeps (one that went out without comments gets another chance; the cache means only
    papers not answered before are asked). A feed kept as published is left alone.
    A dry run only counts the papers and requests the API would get."""
    config = run_.config
    changing = [p for p in result.feeds.values() if p.changes]
    # A recovered paper came from the API already: asking again would only cost requests.
    papers = [paper for p in changing for paper in p.window_papers if not paper.recovered]
    if not config.enrich or not papers:
        return
    if run_.dry_run:
        if run_.asks_api:
            asked = unanswered(papers, config.cache_dir)
            requests = -(-len(asked) // API_BATCH_SIZE)
            result.api_papers += len(asked)
            result.api_requests += requests
            result.requests += requests
        return
    asks = run_.asks_api and not run_.api_failed
    answer = enrich(papers, fetcher=run_.fetcher if asks else None, cache_dir=config.cache_dir,
                    api_url=config.api_url, saved_dir=run_.options.from_dir or run_.options.fetch_to)
    run_.api_failed = run_.api_failed or (asks and answer.failed > 0)
    enriched = {(p.arxiv_id, p.version): p for p in answer.papers}
    for feed_plan in changing:
        feed_plan.papers = [enriched.get((p.arxiv_id, p.version), p) for p in feed_plan.papers]
        history = feed_plan.history
        entries = tuple(
            replace(e, translated=replace(e.translated, paper=_kept(e.paper, enriched)))
            for e in history.archive.entries
        )
        feed_plan.history = replace(history, archive=replace(history.archive, entries=entries))
    result.enrichment = answer if result.enrichment is None else result.enrichment + answer
    if not run_.asks_api:
        run_.log(f"{answer.summary}; the API was not asked (--offline or --from-dir)")
    else:
        run_.log(answer.summary if asks else f"{answer.summary}; the API was not asked again: it failed earlier in this run")
    if answer.warning:
        run_.warn(answer.warning)


def _kept(paper: Paper, enriched: dict[tuple[str, int], Paper]) -> Paper:
    """A published entry's paper with what the API added, but its dates as published: an
    entry that did not change must not be dated anew."""
    found = enriched.get((paper.arxiv_id, paper.version), paper)
    return replace(found, submitted=paper.submitted, first_submitted=paper.first_submitted)


def _plan_pair(run_: _Run, result: RunPlan, source_lang: str, target_lang: str,
               memory: TranslationMemory) -> PairPlan:
    """Every feed's papers of one language pair as one engine job: published translations
    carried over, a cross-listed paper once, every sentence looked up in the memory."""
    backend = result.backends.get((source_lang, target_lang))
    feeds = [p for p in result.feeds.values() if (p.feed.source_lang, p.feed.target_lang) == (source_lang, target_lang)]
    provenance = backend.provenance if backend is not None else "(not installed)"
    published = published_translations((p.history.archive for p in feeds), provenance)
    for feed_plan in feeds:
        feed_plan.carried = [carry_over(published, paper) for paper in feed_plan.papers]
    missing = {
        paper_identity(paper): paper
        for feed_plan in feeds
        for paper, known in zip(feed_plan.papers, feed_plan.carried) if known is None
    }
    stats = TranslationStats()
    job = prepare(list(missing.values()), backend, source_lang, target_lang,
                  memory=memory if backend is not None else None, glossary=run_.config.glossary, stats=stats)
    return PairPlan(source_lang, target_lang, backend, job, stats)


# --- execute ---------------------------------------------------------------------------


def build(config: Config, options: BuildOptions, log: Log = lambda _: None, *, detail: Log = lambda _: None,
          progress: Progress | None = None) -> BuildReport:
    """Plan and execute a build; raise only for problems that stop the whole run.

    ``log`` gets the lines a run prints by default, ``detail`` those of --verbose, and
    ``progress`` each language pair's translation progress. One build at a time per
    output folder; what a killed one left is finished or undone first.
    """
    out_dir = real_folder(options.out_dir or config.output_dir)
    with output_lock(out_dir):
        for line in recover(out_dir):
            log(line)
        started = time.monotonic()
        warnings: list[str] = []
        with TranslationMemory(config.cache_dir / MEMORY_FILE, warn=_warner(warnings, log)) as memory:
            run_plan = survey(config, options, log, detail, warnings=warnings)
            try:
                report = execute(run_plan, memory, log, detail, progress)
            finally:
                run_plan.run.close()
        report.seconds = time.monotonic() - started
        return report


def _require_memory(run_plan: RunPlan) -> None:
    """--memory-only: refuse, naming them, sentences the memory does not hold."""
    missing = [text for pair in run_plan.pairs for text in pair.job.missing]
    if missing:
        shown = "; ".join(repr(text[:60]) for text in missing[:3])
        raise FeedbridgeError(f"--memory-only: {len(missing)} sentences of this run are not in the translation memory"
                              f" ({shown}{'; …' if len(missing) > 3 else ''}): fill it first (feedbridge cache fill,"
                              " cache merge)")


def fill(config: Config, options: BuildOptions, shard: int, shards: int, out: Path,
         log: Log = lambda _: None) -> int:
    """A matrix job's share of a build's translation: plan the build as it would run (the
    same inputs and passes, the memory read but not changed), and translate into the
    memory at ``out`` the missing sentences of shard ``shard`` of ``shards`` (1-based). A
    sentence's shard is a hash of what the memory keys it by, so shards never overlap and
    together are exactly what one build would translate; a sentence an earlier pass gave
    this shard is not translated again. Returns how many sentences it translated."""
    with TranslationMemory(config.cache_dir / MEMORY_FILE, read_only=True) as known, \
            TranslationMemory(out) as memory:
        run_plan = survey(config, options, log)
        done = 0
        try:
            for feeds, fetched in passes(run_plan):
                plan_pass(run_plan, feeds, fetched, known)
                for pair in run_plan.pairs:
                    mine = {text: p for text, p in pair.job.missing.items()
                            if shard_of(pair.job.memory_key, text, shards) == shard}
                    held = memory.lookup(*pair.job.memory_key, mine) if mine else {}
                    pair.job.missing = {text: p for text, p in mine.items() if text not in held}
                    if pair.job.missing:
                        run(pair.job, memory=memory, max_untranslated=None)
                        done += len(pair.job.missing)
        finally:
            run_plan.run.close()
        return done


def shard_of(memory_key: tuple[str, str], text: str, shards: int) -> int:
    """The shard (1..shards) a sentence falls to: the same in every job, whatever else it holds."""
    digest = hashlib.sha256("\x1f".join((*memory_key, text)).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % shards + 1


@dataclass
class Fetched:
    """What ``fetch_inputs`` saved, and what it could not."""

    saved: list[str] = field(default_factory=list)  # categories whose feed is in the folder
    failed: dict[str, str] = field(default_factory=dict)  # category -> why, one line
    enrichment: str = ""  # the API step's summary


def fetch_inputs(config: Config, out: Path, options: BuildOptions = BuildOptions(),
                 log: Log = lambda _: None, detail: Log = lambda _: None) -> Fetched:
    """Everything a build reads from the network, fetched once and politely, for builds
    elsewhere to read without it (``build --from-dir OUT``, ``cache fill --from-dir OUT``):
    the run is surveyed and planned as an online build of every feed at ``options``'s
    clock, output folder and base URL would be, up to its translation, and what it read is
    kept in ``out``: the previous site it chose (previous.save_site), each category's feed
    as arXiv sent it, the missed days read back from the API (sources/saved.py) and the
    API's answers that enriched the windows (arxiv-api.json). A feed that cannot be
    fetched or read is left out, and said."""
    options = replace(options, from_dir=None, offline=False, only=(), memory_only=False, fetch_to=out)
    result = Fetched()
    run_plan = survey(config, options, log, detail)
    try:
        names = [feed.name for feed in config.feeds]
        save_site(run_plan.previous, [STATUS_FILE, *(path for name in names for path in feed_files(name))], out)
        for feeds, fetched in passes(run_plan):
            for category, got in fetched.items():
                if isinstance(got, FeedbridgeError):
                    result.failed[category] = str(got)
                else:
                    result.saved.append(category)
                    log(f"saved {run_plan.run.source.location(category)} in {out}")
            plan_papers(run_plan, feeds, fetched)
    finally:
        run_plan.run.close()
    if run_plan.enrichment is not None:
        answer = run_plan.enrichment
        result.enrichment = answer.summary if answer.warning is None else f"{answer.summary}; {answer.warning}"
    return result


def execute(run_plan: RunPlan, memory: TranslationMemory, log: Log = lambda _: None,
            detail: Log = lambda _: None, progress: Progress | None = None) -> BuildReport:
    """Build the whole new site in a staging folder, pass by pass (``passes``: each pass
    planned, translated and its feeds written, then let go), the site around the feeds
    last; verify it, and swap it in; or leave the output folder as it was and say why."""
    config, histories = run_plan.config, run_plan.histories
    report = BuildReport(warnings=run_plan.warnings,
                         previous=run_plan.previous.description if run_plan.previous else "", now=run_plan.now,
                         horizon=gap_horizon(run_plan.due, config.holidays, config.window_days))
    unknown = [name for name, found in histories.found.items() if found is Found.UNKNOWN]
    if unknown:
        report.outcomes = [_unpublished(run_plan, f, histories.origins[f.name] if f.name in unknown else None)
                           for f in config.feeds]
        report.withheld = (f"the previous state of {', '.join(unknown)} could not be read, so it cannot be carried"
                           " over")
        return report
    window = Window(config.window_days, config.max_entries)
    outcomes: dict[str, FeedOutcome] = {}
    views: dict[str, FeedView] = {}
    try:
        staging = stage(run_plan.out_dir)
        for feeds, fetched in passes(run_plan):
            plan_pass(run_plan, feeds, fetched, memory)
            if run_plan.options.memory_only:
                _require_memory(run_plan)
            translated = _translate(run_plan, report, memory, log, progress)
            for feed_plan in run_plan.feeds.values():
                name = feed_plan.feed.name
                outcomes[name], views[name] = _write(run_plan, feed_plan, translated.get(name, []), window, staging,
                                                     detail)
            run_plan.feeds, run_plan.pairs = {}, []  # the pass is let go before the next one is read
            del translated, fetched
        _record_throughput(run_plan)
        for feed in config.feeds:  # every feed, so that the new site is whole
            if feed.name not in outcomes:
                skipped = FeedPlan(feed, histories.read(feed.name), FeedStatus.SKIPPED, "not selected by --only")
                outcomes[feed.name], views[feed.name] = _write(run_plan, skipped, [], window, staging, detail)
        report.outcomes = [outcomes[feed.name] for feed in config.feeds]
        report.enrichment = run_plan.enrichment.summary if run_plan.enrichment is not None else None
        if all(o.status == FeedStatus.FAILED for o in report.outcomes if o.status != FeedStatus.SKIPPED):
            discard(run_plan.out_dir)
            report.withheld = "every feed failed"
            return report
        _write_site(run_plan, report, views, staging)
        problems = verify_site(staging, config, run_plan.base_url, histories.archives())
        if problems:
            report.withheld = (f"the new site failed verification ({len(problems)} problems, first: {problems[0]});"
                               f" it is left in {staging} to look at")
            return report
        swap(staging, run_plan.out_dir)
    except CarryError as err:
        discard(run_plan.out_dir)
        report.outcomes = [_unpublished(run_plan, f, str(err) if f.name == err.feed else None) for f in config.feeds]
        report.withheld = str(err)
        return report
    except OutputError as err:  # a file of the new site, or the swap (which undoes itself): the old site stays
        discard(run_plan.out_dir)
        report.outcomes = [_unpublished(run_plan, f, None) for f in config.feeds]
        report.withheld = str(err)
        return report
    except BaseException:  # the run stops (a package gone, --memory-only short): no half-built site is left
        discard(run_plan.out_dir)
        raise
    report.published = True
    return report


def _record_throughput(run_plan: RunPlan) -> None:
    """Each model's speed over every pass of the run, for the next dry run's estimate
    (translate/throughput.py); a record that cannot be written costs only a warning."""
    for (provenance, decoding), (sentences, seconds) in run_plan.run.timed.items():
        try:
            throughput.record(run_plan.config.cache_dir, provenance, decoding, sentences, seconds, run_plan.now)
        except OutputError as err:
            run_plan.run.warn(str(err))


def _write(run_plan: RunPlan, feed_plan: FeedPlan, translated: list[TranslatedPaper] | Exception, window: Window,
           staging: Path, detail: Log) -> tuple[FeedOutcome, FeedView]:
    """One feed into the staging folder: its own files (``_publish``) and its page; its
    outcome, and its view's summary for the files around every feed."""
    writing = time.monotonic()
    outcome, view = _publish(run_plan, feed_plan, translated, window, staging, detail)
    for writer in PAGE_WRITERS:
        for name, data in writer.render(view).items():
            write_atomic(staging / name, data)
    outcome.seconds = feed_plan.seconds + time.monotonic() - writing
    detail(status_line(outcome))
    return outcome, view.summary()


def _write_site(run_plan: RunPlan, report: BuildReport, views: dict[str, FeedView], staging: Path) -> None:
    """The files around every feed, from their summaries, and status.json."""
    report.events = status_events(report, run_plan.previous_status)
    report.last_success = last_success(report, run_plan.previous_status)
    site = SiteView(run_plan.base_url, tuple(views[feed.name] for feed in run_plan.config.feeds), run_plan.now,
                    report.last_success, report.events)
    for writer in SITE_WRITERS:
        for name, data in writer.render(site).items():
            write_atomic(staging / name, data)
    write_atomic(staging / STATUS_FILE, status_document(report))


def _unpublished(run_plan: RunPlan, feed: FeedConfig, failure: str | None) -> FeedOutcome:
    """A feed's outcome in a run that publishes no new site: the feed that stopped it, or
    one that was not built because of it."""
    histories = run_plan.histories
    status, message = FeedStatus.FAILED, failure
    if failure is None:
        status, message = FeedStatus.SKIPPED, "not built: no new site is published this run"
    return FeedOutcome(feed, status, run_plan.base_url + atom_path(feed.name), message=message,
                       history=histories.origins[feed.name], entries=histories.sizes[feed.name])


def _warner(warnings: list[str], log: Log) -> Log:
    """A problem that did not stop a feed: printed, and kept in status.json."""
    def warn(warning: str) -> None:
        warnings.append(warning)
        log(f"Warning: {warning}")

    return warn


def _translate(run_plan: RunPlan, report: BuildReport, memory: TranslationMemory, log: Log,
               progress: Progress | None) -> dict[str, list[TranslatedPaper] | Exception]:
    """Each pair's job in one engine pass; each feed is then told its share: the sentences
    the model translated for it (a sentence two feeds share counts for the first) and
    those already known. A pass that raises fails its pair's feeds, not the run, unless
    its package is gone or broken (ModelError), which stops the run."""
    result: dict[str, list[TranslatedPaper] | Exception] = {}
    for pair in run_plan.pairs:
        label = f"{pair.source_lang}->{pair.target_lang}"
        feeds = [p for p in run_plan.feeds.values()
                 if (p.feed.source_lang, p.feed.target_lang) == (pair.source_lang, pair.target_lang)]
        on_progress = _engine_progress(progress, label) if progress is not None else None
        started = time.monotonic()
        try:
            done = run(pair.job, memory=memory, stats=pair.stats, progress=on_progress,
                       max_untranslated=run_plan.config.max_untranslated)
        except ModelError:  # the package is gone or broken: the run stops with its own exit code
            raise
        except Exception as err:  # noqa: BLE001 - a model that crashes fails its feeds, not the run
            failure = FeedbridgeError(f"translation {label} failed: {_described(err)}")
            result.update({feed_plan.feed.name: failure for feed_plan in feeds})
            continue
        seconds = time.monotonic() - started
        if pair.job.backend is not None and pair.job.missing:  # the run's speed, kept when its passes are done
            timed = run_plan.run.timed.setdefault(pair.job.memory_key, [0, 0.0])
            timed[0] += len(pair.job.missing)
            timed[1] += seconds
        if pair.job.papers:
            log(f"translation {label}: {pair.stats.summary()}")
        report.translated += len(pair.job.papers)
        fresh = {paper_identity(t.paper): t for t in done}
        attributed: set[str] = set()
        for feed_plan in feeds:
            known = feed_plan.carried
            papers = [k or fresh[paper_identity(p)] for p, k in zip(feed_plan.papers, known)]
            result[feed_plan.feed.name] = papers
            new = [t for t, k in zip(papers, known) if k is None]
            sentences = {s.source for t in new for s in (*t.title.sentences, *t.abstract.sentences)}
            by_model = (sentences & pair.stats.model_sentences) - attributed
            attributed |= by_model
            feed_plan.stats.by_model = len(by_model)
            feed_plan.stats.from_memory = len(sentences) - len(by_model)
            feed_plan.seconds = seconds * len(by_model) / max(len(pair.stats.model_sentences), 1)
            report.reused += len(feed_plan.papers) - len(new)
    return result


def _engine_progress(progress: Progress, label: str) -> Callable[[int, int], None]:
    """One engine run's (done, total) calls as ``progress``'s: its first pass under the
    pair's name, the passes after it (the refused sentences asked again) under their own;
    each build pass's run starts under the pair's name again."""
    shown: list[str] = []

    def on_progress(done: int, total: int) -> None:
        if done == 0:
            shown.append(f"{label}, retrying refused sentences" if shown else label)
        progress(shown[-1], done, total)

    return on_progress


def _described(err: BaseException) -> str:
    """An unexpected exception in one line: its type and message."""
    return str(err) if isinstance(err, FeedbridgeError) else f"{type(err).__name__}: {err}"


def _publish(run_plan: RunPlan, feed_plan: FeedPlan, translated: list[TranslatedPaper] | Exception,
             window: Window, site: Path, detail: Log) -> tuple[FeedOutcome, FeedView]:
    """Write the feed into the new site: merged when a batch was fresh, rendered again from
    its archive when the source had nothing new or the feed was not selected; a feed
    that failed, for any reason, an exception included, keeps its previous files byte
    for byte."""
    feed, history = feed_plan.feed, feed_plan.history
    outcome = FeedOutcome(
        feed, feed_plan.status, run_plan.base_url + atom_path(feed.name), message=feed_plan.message,
        history=history.origin, sentences_translated=feed_plan.stats.by_model,
        sentences_cached=feed_plan.stats.from_memory, degraded=feed_plan.degraded, gaps=feed_plan.gaps,
        replacements_left_out=feed_plan.replacements_left_out,
    )
    archive = history.archive
    try:
        if isinstance(translated, Exception):
            raise translated
        if outcome.status != FeedStatus.FAILED:
            archive = _write_window(run_plan, feed_plan, translated, window, site, outcome)
    except Exception as err:  # noqa: BLE001 - one feed's failure, whatever it is, is that feed's alone
        detail("".join(traceback.format_exception(err)).rstrip())
        outcome.status, outcome.message = FeedStatus.FAILED, _described(err)
        outcome.added = outcome.renewed = outcome.untranslated = outcome.in_fragments = 0
        outcome.replacements_left_out = 0
        archive = history.archive
    if outcome.status == FeedStatus.FAILED:
        carry(run_plan.previous, feed.name, site)
    outcome.entries = len(archive.entries)
    outcome.last_day = archive.days[-1] if archive.days else None
    return outcome, _view(run_plan, feed, outcome, archive, feed_plan.channel_date, site)


def _write_window(run_plan: RunPlan, feed_plan: FeedPlan, translated: list[TranslatedPaper], window: Window,
                  site: Path, outcome: FeedOutcome) -> FeedArchive:
    """The feed's new window (or its published one, when no batch was fresh) written into
    the site; a feed with no history and nothing new writes nothing, unless it is a
    first feed on an empty day."""
    history = feed_plan.history
    archive = history.archive
    if feed_plan.changes:
        archive = merge(history.archive, translated, feed_plan.batches, window, feed_plan.recovered)
        previous = {e.paper.arxiv_id for e in history.archive.entries}
        outcome.added = sum(t.paper.arxiv_id not in previous for t in translated)
        outcome.renewed = len(translated) - outcome.added
        outcome.untranslated = sum(t.untranslated for t in translated)
        outcome.in_fragments = sum(t.in_fragments for t in translated)
    archive = _accounted(run_plan, feed_plan, archive)
    first_empty = feed_plan.status == FeedStatus.EMPTY and history.found is Found.NEW
    if history.found is Found.READ or feed_plan.changes or first_empty:
        view = _view(run_plan, feed_plan.feed, outcome, archive, feed_plan.channel_date, site)
        write_feed(site, view, archive)
    return archive


def _view(run_plan: RunPlan, feed: FeedConfig, outcome: FeedOutcome, archive: FeedArchive,
          channel_date: datetime | None, site: Path) -> FeedView:
    backend = run_plan.backends.get((feed.source_lang, feed.target_lang))
    kind = MODEL_KINDS[feed.model]
    if backend is None:  # a feed not built this run (--only): its pair's installed model, if any
        backend = kind.installed(feed.source_lang, feed.target_lang)
    return FeedView(
        name=feed.name,
        label=feed_label(feed),
        source_lang=feed.source_lang,
        target_lang=feed.target_lang,
        language_name=backend.language_name if backend is not None else feed.target_lang,
        engine=kind.engine,
        base_url=run_plan.base_url,
        status=outcome.status,
        message=outcome.message,
        degraded=outcome.degraded,
        model_attribution=backend.attribution if backend is not None else None,
        gaps=outcome.gaps,
        hub=run_plan.config.websub_hub,
        entries=archive.entries,
        last_day=archive.days[-1] if archive.days else None,
        # Only a first feed on an empty day has no date of its own.
        updated=archive.newest or channel_date or run_plan.now,
        published=(site / atom_path(feed.name)).exists(),
    )


def feed_label(feed: FeedConfig) -> str:
    """What the feed covers, in words: the category with arXiv's name for it, or a topic
    and its categories."""
    if feed.topic is None:
        name = category_name(feed.category)
        return f"{feed.category} — {name}" if name else feed.category
    return f"{feed.topic.title} in {', '.join(feed.topic.categories)}"
