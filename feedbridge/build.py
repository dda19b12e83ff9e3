"""The pipeline: history -> fetched batches -> guard -> translations -> window -> feeds and site.

Only this module knows the order of the stages:

1. read each feed's history (its published archive) from the site or the output folder;
2. fetch each arXiv source once, however many feeds use it;
3. judge each source against the feed's last batch (the freshness guard) and choose
   the papers that change the feed;
4. enrich the window of each feed that changes (its new papers and those it keeps)
   from the arXiv API, through the same Fetcher, so one pause between requests covers
   arXiv's feeds and its API; a failing API only costs a warning;
5. translate the chosen papers of all feeds of a language pair in one engine pass,
   through the translation memory; a paper the published feeds hold with the same
   title and abstract keeps its translation, a cross-listed paper is translated once;
6. merge them into each feed's window, write the Atom feed and its archive;
7. write the site (index, one page per feed, OPML) and ``status.json``.

A feed that fails, or whose batch is empty or stale, is republished from its history
exactly as it was; the other feeds of the run are still built.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from pathlib import Path

from feedbridge import __version__
from feedbridge.archive import (
    Batch,
    FeedArchive,
    History,
    HistoryReader,
    Window,
    archive_path,
    batch_of,
    carry_over,
    dump,
    judge,
    merge,
    published_translations,
    select_papers,
)
from feedbridge.arxiv import ArxivFeed, Paper, parse_feed
from feedbridge.atomicfile import output_lock, remove_temporaries, write_atomic
from feedbridge.config import Config, FeedConfig
from feedbridge.enrich import BATCH_SIZE as API_BATCH_SIZE
from feedbridge.enrich import enrich, unanswered
from feedbridge.errors import ConfigError, ExitCode, FeedbridgeError, OutputError
from feedbridge.fetch import Fetcher, FetchSettings, user_agent
from feedbridge.render.atom import AtomFeedInfo, render_atom
from feedbridge.render.site import SiteFeed, write_site
from feedbridge.translate import TranslatedPaper, TranslationStats
from feedbridge.translate import packages as argos_packages
from feedbridge.translate.engine import ArgosTranslator, Decoding, paper_identity, translate_papers
from feedbridge.translate.memory import FILE_NAME as MEMORY_FILE
from feedbridge.translate.memory import TranslationMemory

SITE_MAX_BYTES = 256 * 2**20  # a feed's archive holds its whole window; arXiv's 8 MiB cap is too small
STATUS_FILE = "status.json"
SUMMARY_SCHEMA = 1  # the --json run summary's layout; bumped when a key changes meaning or goes
# What a run did to a feed, as status.json, the summary and the site say it.
UPDATED, EMPTY, STALE, FAILED, SKIPPED = "updated", "empty", "stale", "failed", "skipped"


@dataclass
class FeedOutcome:
    feed: FeedConfig
    status: str  # UPDATED, EMPTY, STALE (the published feed is kept), FAILED, SKIPPED (not in --only)
    entries: int = 0  # in the published window
    added: int = 0  # papers new to the window this run
    renewed: int = 0  # entries updated to a new version this run
    message: str = ""
    history: str = ""  # where the feed's history came from, or why there was none
    last_day: date | None = None  # the newest announcement day in the window
    untranslated: int = 0  # papers added or updated with a sentence kept in the source language
    sentences_translated: int = 0  # sentences the model translated for this feed
    sentences_cached: int = 0  # sentences found in the translation memory
    seconds: float = 0.0  # spent translating and writing this feed

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

    @property
    def sentences_translated(self) -> int:
        return sum(o.sentences_translated for o in self.outcomes)

    @property
    def sentences_cached(self) -> int:
        return sum(o.sentences_cached for o in self.outcomes)

    def exit_code(self, strict: bool = False) -> ExitCode:
        """FAILED when no feed was built, PARTIAL when some were; --strict counts stale as failed."""
        built = [o for o in self.outcomes if o.status != SKIPPED]
        bad = {FAILED, STALE} if strict else {FAILED}
        failed = sum(o.status in bad for o in built)
        if failed == 0:
            return ExitCode.OK
        return ExitCode.FAILED if failed == len(built) else ExitCode.PARTIAL


@dataclass(frozen=True)
class BuildOptions:
    out_dir: Path | None = None  # overrides site.output_dir
    from_dir: Path | None = None  # read DIR/<category>.xml instead of the network
    offline: bool = False  # never install a missing package from the index
    only: tuple[str, ...] = ()  # feed names or categories to build; empty: all
    base_url: str | None = None  # overrides site.base_url


def feed_file_name(feed: FeedConfig) -> str:
    """The published file's name; feed names are validated to be file-name safe."""
    return f"{feed.name}.xml"


def select_feeds(config: Config, only: Sequence[str]) -> list[FeedConfig]:
    if not only:
        return list(config.feeds)
    chosen = [f for f in config.feeds if f.name in only or f.category in only]
    unknown = set(only) - {f.name for f in chosen} - {f.category for f in chosen}
    if unknown:
        known = ", ".join(f.name for f in config.feeds)
        raise ConfigError(f"--only {sorted(unknown)[0]}: no such feed in {config.path} (feeds: {known})")
    return chosen


def prepare_translators(
    feeds: Sequence[FeedConfig], config: Config, offline: bool, log: Callable[[str], None]
) -> dict[tuple[str, str], ArgosTranslator]:
    """One translator per language pair, installing a missing package unless offline."""
    translators = {}
    for source, target in dict.fromkeys((f.source_lang, f.target_lang) for f in feeds):
        package = argos_packages.find_package(source, target)
        if package is None and not offline:
            log(f"installing the {source}->{target} translation package from {argos_packages.package_index_url()}")
            package = argos_packages.install_from_index(source, target)
        if package is None:
            package = argos_packages.require_package(source, target)
        translators[(source, target)] = translator_for(package, config)
    return translators


def translator_for(package: argos_packages.InstalledPackage, config: Config) -> ArgosTranslator:
    """The engine with the config's decoding and threading settings."""
    return ArgosTranslator(
        package, beam_size=config.beam_size, device=config.device,
        workers=config.workers or None, threads=config.threads, batch_tokens=config.batch_tokens,
    )


def fetcher_for(config: Config, cache: bool = True, **overrides) -> Fetcher:
    """A fetcher with the config's politeness; ``overrides`` change FetchSettings fields;
    ``cache=False`` keeps no conditional-GET state (a dry run writes nothing)."""
    settings = FetchSettings(
        user_agent=user_agent(config.contact),
        timeout=config.timeout,
        retries=config.retries,
        backoff=config.backoff,
        min_interval=config.min_interval,
        max_bytes=config.max_bytes,
    )
    return Fetcher(replace(settings, **overrides), config.cache_dir if cache else None)


class _Sources:
    """Where arXiv documents come from: saved files (--from-dir) or arXiv over HTTP."""

    def __init__(self, config: Config, from_dir: Path | None, cache: bool = True):
        self.config = config
        self.from_dir = from_dir
        self.fetcher = fetcher_for(config, cache) if from_dir is None else None

    def location(self, category: str) -> str:
        """The URL (or saved file) a category is read from."""
        if self.from_dir is not None:
            return str(self.from_dir / f"{category}.xml")
        return self.config.feed_url.format(category=category)

    def read(self, category: str) -> ArxivFeed:
        where = self.location(category)
        if self.from_dir is not None:
            try:
                data = Path(where).read_bytes()
            except OSError as err:
                raise FeedbridgeError(f"{where}: cannot read saved feed: {err.strerror or err}") from None
            return parse_feed(data, where)
        return parse_feed(self.fetcher.fetch(where).body, where)


@dataclass
class _Plan:
    """What this run does to one feed, before anything is translated."""

    feed: FeedConfig
    history: History
    status: str = UPDATED
    message: str = ""
    batches: dict[str, Batch] = field(default_factory=dict)  # the fresh sources' batches
    papers: list[Paper] = field(default_factory=list)  # to translate and merge
    channel_date: datetime | None = None  # an empty first feed's date
    stats: TranslationStats = field(default_factory=TranslationStats)
    seconds: float = 0.0  # spent translating


Progress = Callable[[str, int, int], None]  # (feed name, sentences done, sentences in total)


class _Run:
    """One build: the options resolved once, shared by the stages below."""

    def __init__(
        self, config: Config, options: BuildOptions, log: Callable[[str], None],
        detail: Callable[[str], None] = lambda _: None, *, cache: bool = True,
    ):
        self.config = config
        self.options = options
        self.log = log
        self.detail = detail
        base_url = options.base_url or config.base_url
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.out_dir = options.out_dir or config.output_dir
        self.window = Window(config.window_days, config.max_entries)
        self.report = BuildReport()
        self.cache = cache
        # One fetcher for arXiv's feeds and its API: the pause between requests covers both.
        self.sources = _Sources(config, options.from_dir, cache)

    def histories(self) -> dict[str, History]:
        """Every configured feed's history: the site must be whole even with --only."""
        # The site is ours, not arXiv's: no politeness pause, and short retries so an
        # unpublished or unreachable site costs seconds per feed, not minutes.
        site = fetcher_for(self.config, self.cache, min_interval=0, max_bytes=SITE_MAX_BYTES,
                        retries=min(self.config.retries, 2), backoff=min(self.config.backoff, 1.0))
        reader = HistoryReader(self.base_url, self.out_dir, site)
        histories = {}
        for feed in self.config.feeds:
            histories[feed.name] = reader.read(feed.name)
            self.detail(f"{feed.name}: history {histories[feed.name].origin}")
        return histories

    def fetch(self, feeds: Sequence[FeedConfig]) -> dict[str, ArxivFeed | FeedbridgeError]:
        """Each arXiv source once, in config order; a failure is kept for the feeds that need it."""
        fetched: dict[str, ArxivFeed | FeedbridgeError] = {}
        for category in dict.fromkeys(c for feed in feeds for c in feed.sources):
            self.detail(f"reading {self.sources.location(category)}")
            try:
                fetched[category] = self.sources.read(category)
            except FeedbridgeError as err:
                fetched[category] = err
                continue
            for warning in fetched[category].warnings:  # repaired characters, skipped items
                self.warn(warning)
        return fetched

    def warn(self, warning: str) -> None:
        """A problem that did not stop a feed: printed, and kept in status.json."""
        self.report.warnings.append(warning)
        self.log(f"Warning: {warning}")

    @property
    def asks_api(self) -> bool:
        """Whether the arXiv API may be asked: not offline, not from saved feeds."""
        return self.config.enrich and not self.options.offline and self.options.from_dir is None

    def enrich(self, plans: Iterable[_Plan]) -> None:
        """Enrich the window of every feed that changes: its new papers, and the entries it
        keeps (one that went out without comments gets another chance; the cache means
        only papers not answered before are asked). A feed kept as published is left alone."""
        changing = [plan for plan in plans if plan.batches]
        papers = [paper for plan in changing for paper in _window_papers(plan)]
        if not self.config.enrich or not papers:
            return
        result = enrich(
            papers,
            fetcher=self.sources.fetcher if self.asks_api else None,
            cache_dir=self.config.cache_dir,
            api_url=self.config.api_url,
        )
        enriched = {(p.arxiv_id, p.version): p for p in result.papers}
        for plan in changing:
            plan.papers = [enriched[(p.arxiv_id, p.version)] for p in plan.papers]
            entries = tuple(
                replace(e, translated=replace(e.translated, paper=enriched.get((e.paper.arxiv_id, e.paper.version), e.paper)))
                for e in plan.history.archive.entries
            )
            plan.history = replace(plan.history, archive=replace(plan.history.archive, entries=entries))
        self.report.enrichment = result.summary
        self.log(result.summary if self.asks_api else f"{result.summary}; the API was not asked (--offline or --from-dir)")
        if result.warning:
            self.warn(result.warning)

    def translate(
        self, plans: Sequence[_Plan], translators: dict[tuple[str, str], ArgosTranslator],
        memory: TranslationMemory | None, progress: Progress | None = None,
    ) -> dict[str, list[TranslatedPaper]]:
        """Every feed's papers of one language pair in one engine pass.

        A paper published before with the same title and abstract keeps that
        translation; a paper in several feeds of the run (a cross-list) is translated
        once. Each feed is then told its share: the sentences the model translated for
        it (a sentence two feeds share counts for the first) and those already known.
        """
        result: dict[str, list[TranslatedPaper]] = {}
        for pair, engine in translators.items():
            pair_plans = [p for p in plans if (p.feed.source_lang, p.feed.target_lang) == pair]
            published = published_translations((p.history.archive for p in pair_plans), engine.provenance)
            carried = {p.feed.name: [carry_over(published, paper) for paper in p.papers] for p in pair_plans}
            missing = {
                paper_identity(paper): paper
                for plan in pair_plans
                for paper, known in zip(plan.papers, carried[plan.feed.name]) if known is None
            }
            stats = TranslationStats()
            label = f"{pair[0]}->{pair[1]}"
            on_progress = None
            if progress is not None:
                on_progress = lambda done, total: progress(label, done, total)  # noqa: E731
            started = time.monotonic()
            done = translate_papers(
                list(missing.values()), engine, *pair, memory=memory, glossary=self.config.glossary,
                stats=stats, progress=on_progress,
            )
            seconds = time.monotonic() - started
            if missing:
                self.log(f"translation {label}: {stats.summary()}")
            self.report.translated += len(missing)
            fresh = {paper_identity(t.paper): t for t in done}
            attributed: set[str] = set()
            for plan in pair_plans:
                known = carried[plan.feed.name]
                result[plan.feed.name] = [k or fresh[paper_identity(paper)] for paper, k in zip(plan.papers, known)]
                new = [t for t, k in zip(result[plan.feed.name], known) if k is None]
                sentences = {s.source for t in new for s in (*t.title.sentences, *t.abstract.sentences)}
                by_model = (sentences & stats.model_sentences) - attributed
                attributed |= by_model
                plan.stats.by_model = len(by_model)
                plan.stats.from_memory = len(sentences) - len(by_model)
                plan.seconds = seconds * len(by_model) / max(len(stats.model_sentences), 1)
                self.report.reused += len(plan.papers) - len(new)
        return result


def _window_papers(plan: _Plan) -> list[Paper]:
    """The papers a changing feed will hold: the chosen ones, and the kept entries'."""
    chosen = {p.arxiv_id for p in plan.papers}
    return plan.papers + [e.paper for e in plan.history.archive.entries if e.paper.arxiv_id not in chosen]


def build(
    config: Config,
    options: BuildOptions,
    log: Callable[[str], None] = lambda _: None,
    *,
    detail: Callable[[str], None] = lambda _: None,
    progress: Progress | None = None,
) -> BuildReport:
    """Build every selected feed and the site; raise only for problems that stop the whole run.

    ``log`` gets the lines a run prints by default, ``detail`` those of --verbose, and
    ``progress`` each feed's translation progress. One build at a time per output folder.
    """
    selected = select_feeds(config, options.only)
    run = _Run(config, options, log, detail)
    with output_lock(run.out_dir):
        for leftover in remove_temporaries(run.out_dir):
            run.detail(f"removed {leftover}, left by an interrupted build")
        return _build(config, run, selected, options, progress)


def _build(config: Config, run: _Run, selected: list[FeedConfig], options: BuildOptions,
           progress: Progress | None) -> BuildReport:
    """The stages in order, under the output folder's lock."""
    started = time.monotonic()
    translators = prepare_translators(selected, config, options.offline, run.log)
    histories = run.histories()
    fetched = run.fetch(selected)
    plans = {feed.name: plan_feed(feed, histories[feed.name], fetched) for feed in selected}
    run.enrich(plans.values())
    with TranslationMemory(config.cache_dir / MEMORY_FILE, warn=run.log) as memory:
        translated = run.translate(list(plans.values()), translators, memory, progress)

    site_feeds = []
    for feed in config.feeds:  # every feed, so that the output folder always holds the whole site
        plan = plans.get(feed.name) or _Plan(feed, histories[feed.name], SKIPPED, "not selected by --only")
        language = _language_name(feed, translators)
        writing = time.monotonic()
        outcome, archive = _publish(run, plan, translated.get(feed.name, []), language)
        outcome.seconds = plan.seconds + time.monotonic() - writing
        run.report.outcomes.append(outcome)
        run.detail(_status_line(outcome))
        site_feeds.append(_site_feed(run, feed, outcome, archive, language))
    write_site(run.out_dir, run.base_url, site_feeds)
    write_atomic(run.out_dir / STATUS_FILE, status_document(run.report, run.base_url))
    run.report.seconds = time.monotonic() - started
    return run.report


def plan_feed(feed: FeedConfig, history: History, fetched: dict[str, ArxivFeed | FeedbridgeError]) -> _Plan:
    """Judge each of the feed's sources and choose the papers that change it."""
    plan = _Plan(feed, history)
    failures, kept = [], []
    for category in feed.sources:
        got = fetched[category]
        if isinstance(got, FeedbridgeError):
            failures.append(str(got))
            continue
        verdict = judge(history.archive.batches.get(category), got)
        if verdict.status == "fresh":
            plan.batches[category] = batch_of(got)
            plan.papers += got.papers
        else:
            kept.append((verdict, category))
            plan.channel_date = plan.channel_date or got.announced
    plan.papers = select_papers(feed, plan.papers, history.archive)
    several = len(feed.sources) > 1
    plan.message = "; ".join(failures + [f"{c}: {v.message}" if several else v.message for v, c in kept])
    if failures:
        plan.status = FAILED
    elif not plan.batches:
        plan.status = STALE if any(v.status == STALE for v, _ in kept) else EMPTY
    return plan


def _publish(
    run: _Run, plan: _Plan, translated: list[TranslatedPaper], language_name: str
) -> tuple[FeedOutcome, FeedArchive]:
    """Write the feed and its archive: merged when a batch was fresh, else as published."""
    feed, history = plan.feed, plan.history
    outcome = FeedOutcome(
        feed, plan.status, message=plan.message, history=history.origin,
        sentences_translated=plan.stats.by_model, sentences_cached=plan.stats.from_memory,
    )
    archive = history.archive
    if plan.batches:
        archive = merge(history.archive, translated, plan.batches, run.window)
        previous = {e.paper.arxiv_id for e in history.archive.entries}
        outcome.added = sum(t.paper.arxiv_id not in previous for t in translated)
        outcome.renewed = len(translated) - outcome.added
        outcome.untranslated = sum(_has_untranslated(t) for t in translated)
    # Without a history and a fresh batch there is nothing known to publish, except a
    # first, empty feed: a file already there (from an older feedbridge) stays as it is.
    first_empty = plan.status == EMPTY and not (run.out_dir / feed_file_name(feed)).exists()
    if history.found or plan.batches or first_empty:
        try:
            _write_feed(run, feed, archive, language_name, plan.channel_date)
        except FeedbridgeError as err:
            outcome.status, outcome.message, outcome.added, outcome.renewed = FAILED, str(err), 0, 0
            outcome.untranslated = 0
            archive = history.archive
    outcome.entries = len(archive.entries)
    outcome.last_day = archive.days[-1] if archive.days else None
    return outcome, archive


def _write_feed(
    run: _Run, feed: FeedConfig, archive: FeedArchive, language_name: str, channel_date: datetime | None
) -> None:
    """The archive first: a feed behind its archive heals on the next run, the reverse loses papers."""
    path = run.out_dir / feed_file_name(feed)
    info = _atom_info(run, feed, language_name, archive.newest or channel_date)
    entries = [e.translated for e in archive.entries]
    document = render_atom(info, entries, {e.paper.arxiv_id: e.published for e in archive.entries})
    check_readable(document, len(entries), path)
    write_atomic(run.out_dir / archive_path(feed.name), dump(archive, feed.name))
    write_atomic(path, document)


def _atom_info(run: _Run, feed: FeedConfig, language_name: str, updated: datetime | None) -> AtomFeedInfo:
    return AtomFeedInfo(
        name=feed.name,
        category=feed_label(feed),
        source_lang=feed.source_lang,
        target_lang=feed.target_lang,
        target_lang_name=language_name,
        self_url=run.base_url + feed_file_name(feed),
        site_url=run.base_url + f"{feed.name}.html",
        # Only a first feed on an empty day has no date of its own.
        updated=updated or datetime.now(timezone.utc).replace(microsecond=0),
    )


def feed_label(feed: FeedConfig) -> str:
    """What the feed covers, in words: the category, or a topic and its categories."""
    if feed.topic is None:
        return feed.category
    return f"{feed.topic.title} in {', '.join(feed.topic.categories)}"


def _language_name(feed: FeedConfig, translators: dict[tuple[str, str], ArgosTranslator]) -> str:
    """The target language's name from its package; the code when none is installed."""
    translator = translators.get((feed.source_lang, feed.target_lang))
    package = translator.package if translator else argos_packages.find_package(feed.source_lang, feed.target_lang)
    return package.target_name if package else feed.target_lang


def _site_feed(run: _Run, feed: FeedConfig, outcome: FeedOutcome, archive: FeedArchive, language: str) -> SiteFeed:
    return SiteFeed(
        name=feed.name,
        label=feed_label(feed),
        target_lang=feed.target_lang,
        language_name=language,
        feed_url=run.base_url + feed_file_name(feed),
        published=(run.out_dir / feed_file_name(feed)).exists(),
        status=outcome.status,
        message=outcome.message,
        entries=archive.entries,
        last_day=outcome.last_day,
    )


def _has_untranslated(translated: TranslatedPaper) -> bool:
    return any(not pair.translated for pair in (*translated.title.sentences, *translated.abstract.sentences))


def _status_line(outcome: FeedOutcome) -> str:
    counts = f"{outcome.entries} entries (+{outcome.added} new, {outcome.renewed} updated)"
    return f"{outcome.feed.name}: {outcome.status}, {counts}{': ' + outcome.message if outcome.message else ''}"


def feed_summary_line(outcome: FeedOutcome) -> str:
    """The run's last word on a feed; a feed not updated says why in parentheses."""
    line = (
        f"{outcome.feed.name}: new {outcome.added} / updated {outcome.renewed} / kept {outcome.kept}"
        f" / failed {outcome.untranslated}, sentences translated {outcome.sentences_translated}"
        f" vs cached {outcome.sentences_cached}, {outcome.seconds:.1f} s"
    )
    if outcome.status != UPDATED:
        line += f" ({outcome.status}{': ' + outcome.message if outcome.message else ''})"
    return line


def summary_json(report: BuildReport, strict: bool = False) -> dict:
    """The machine-readable run summary (``build --json``); its keys are fixed by SUMMARY_SCHEMA."""
    code = report.exit_code(strict)
    return {
        "schema": SUMMARY_SCHEMA,
        "exit_code": int(code),
        "result": code.name.lower(),
        "seconds": round(report.seconds, 3),
        "papers": {"translated": report.translated, "reused": report.reused},
        "sentences": {"translated": report.sentences_translated, "cached": report.sentences_cached},
        "enrichment": report.enrichment,
        "warnings": list(report.warnings),
        "feeds": [
            {
                "name": o.feed.name,
                "status": o.status,
                "new": o.added,
                "updated": o.renewed,
                "kept": o.kept,
                "failed": o.untranslated,
                "entries": o.entries,
                "sentences": {"translated": o.sentences_translated, "cached": o.sentences_cached},
                "seconds": round(o.seconds, 3),
                "message": o.message,
            }
            for o in report.outcomes
        ],
    }


def status_document(report: BuildReport, base_url: str) -> bytes:
    """``status.json``: each feed's state after the run, for people and monitoring."""
    feeds = [
        {
            "name": o.feed.name,
            "feed": base_url + feed_file_name(o.feed),
            "status": o.status,
            "last_announcement": o.last_day.isoformat() if o.last_day else None,
            "message": o.message,
            "entries": o.entries,
            "added": o.added,
            "updated": o.renewed,
            "history": o.history,
        }
        for o in report.outcomes
    ]
    document = {"generator": f"feedbridge {__version__}", "feeds": feeds, "warnings": report.warnings}
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


def check_readable(document: bytes, entries: int, path: Path) -> None:
    """Read the feed back as a feed reader would before it replaces a published one."""
    import feedparser

    parsed = feedparser.parse(document)
    if parsed.bozo or parsed.version != "atom10" or len(parsed.entries) != entries:
        reason = parsed.get("bozo_exception") or f"{len(parsed.entries)} of {entries} entries readable"
        raise OutputError(f"{path}: not written, the rendered feed does not read back cleanly: {reason}")


# --- build --dry-run ----------------------------------------------------------------

# Model time per sentence, for the dry run's estimate. Measured with tools/bench.py
# (--papers 16: 123 fixture sentences, argos's en->ja shape, int8, beam 4) on 2 CPU
# cores: the engine's cold path ran 4.9 sentences/s. Its random weights decode every
# sentence to the length cap, so a trained model is faster: this is an upper bound
# for 2 cores; more cores or a GPU take proportionally less.
SECONDS_PER_SENTENCE = 0.2


@dataclass
class DryRunFeed:
    feed: FeedConfig
    status: str  # what the build would do: UPDATED, EMPTY, STALE, FAILED or SKIPPED
    message: str
    new: int = 0  # papers new to the published window
    updated: int = 0  # new versions of papers the window holds


@dataclass
class DryRun:
    """What ``build`` would do, found without writing anything."""

    sources: list[str] = field(default_factory=list)  # the URLs (or saved files) read
    feeds: list[DryRunFeed] = field(default_factory=list)
    missing_packages: list[str] = field(default_factory=list)  # "en->ja": the build would install them
    papers: int = 0  # papers the engine would get (after published translations are reused)
    reused: int = 0  # papers that would keep their published translation
    sentences_cached: int = 0  # distinct sentences the translation memory holds
    sentences_model: int = 0  # distinct sentences the model would translate
    api_papers: int = 0  # papers the arXiv API would be asked about
    api_requests: int = 0
    requests: int = 0  # requests to arXiv (feeds and API), each min_interval apart

    def estimate(self, min_interval: float) -> float:
        """Seconds the build would take, roughly: arXiv's pauses plus model time."""
        return self.requests * min_interval + self.sentences_model * SECONDS_PER_SENTENCE


def dry_run(config: Config, options: BuildOptions, log: Callable[[str], None] = lambda _: None) -> DryRun:
    """Read what ``build`` would read and count what it would do; write nothing.

    The feeds are fetched (the counts need them) without the conditional-GET cache;
    no package is installed; the translation memory and the API cache are only read.
    """
    selected = select_feeds(config, options.only)
    run = _Run(config, options, log, cache=False)
    report = DryRun()
    histories = run.histories()
    categories = list(dict.fromkeys(c for feed in selected for c in feed.sources))
    report.sources = [run.sources.location(c) for c in categories]
    fetched = run.fetch(selected)
    plans = [plan_feed(feed, histories[feed.name], fetched) for feed in selected]
    for plan in plans:
        previous = {e.paper.arxiv_id for e in plan.history.archive.entries}
        new = sum(p.arxiv_id not in previous for p in plan.papers)
        report.feeds.append(DryRunFeed(plan.feed, plan.status, plan.message, new, len(plan.papers) - new))
    report.requests = 0 if options.from_dir else len(categories)
    if run.asks_api:
        asked = unanswered([p for plan in plans if plan.batches for p in _window_papers(plan)], config.cache_dir)
        report.api_papers = len(asked)
        report.api_requests = math.ceil(len(asked) / API_BATCH_SIZE)
        report.requests += report.api_requests
    for pair in dict.fromkeys((f.source_lang, f.target_lang) for f in selected):
        _count_sentences(report, config, [p for p in plans if (p.feed.source_lang, p.feed.target_lang) == pair], pair)
    return report


def _count_sentences(report: DryRun, config: Config, plans: list[_Plan], pair: tuple[str, str]) -> None:
    """Run the engine's own segmentation and memory lookup with a translator that
    translates nothing, so the counts are the real build's."""
    # Listing packages creates their folder: a dry run only looks in one that exists.
    package = argos_packages.find_package(*pair) if argos_packages.packages_dir().is_dir() else None
    if package is None:
        report.missing_packages.append("->".join(pair))
    counter = _CountingTranslator(package, config.beam_size)
    published = published_translations((p.history.archive for p in plans), counter.provenance)
    papers = {}
    for plan in plans:
        for paper in plan.papers:
            if carry_over(published, paper) is None and paper.arxiv_id not in papers:
                papers[paper.arxiv_id] = paper
            else:
                report.reused += 1
    stats = TranslationStats()
    with TranslationMemory(config.cache_dir / MEMORY_FILE, read_only=True) as memory:
        translate_papers(list(papers.values()), counter, *pair, memory=memory,
                         glossary=config.glossary, stats=stats)
    report.papers += len(papers)
    report.sentences_cached += stats.from_memory
    report.sentences_model += stats.by_model


class _CountingTranslator:
    """The engine's Translator protocol, tokenizing with the package but translating
    nothing; without a package, words stand in for tokens and nothing is remembered."""

    def __init__(self, package: argos_packages.InstalledPackage | None, beam_size: int):
        self._real = ArgosTranslator(package, beam_size=beam_size) if package is not None else None
        self.provenance = package.provenance if package is not None else "(not installed)"
        self.decoding = Decoding(beam_size, retry=False)
        if self._real is not None:
            self.decoding = self._real.decoding

    def count_tokens(self, text: str) -> int:
        return self._real.count_tokens(text) if self._real is not None else len(text.split())

    def translate_batch(self, sentences, *, retry=False, progress=None) -> list[list[str]]:
        return [[] for _ in sentences]
