"""The pipeline: config -> fetched feeds -> papers -> translations -> Atom files.

Only this module knows the order of the stages. A feed that fails is reported and
left as it was published; the other feeds of the run are still built.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Sequence

from feedbridge.arxiv import ArxivFeed, parse_feed
from feedbridge.atomicfile import write_atomic
from feedbridge.config import Config, FeedConfig
from feedbridge.errors import ConfigError, ExitCode, FeedbridgeError, OutputError
from feedbridge.fetch import Fetcher, FetchSettings, user_agent
from feedbridge.render.atom import AtomFeedInfo, render_atom
from feedbridge.translate import TranslatedPaper
from feedbridge.translate import packages as argos_packages
from feedbridge.translate.engine import ArgosTranslator, Translator, translate_papers


@dataclass
class FeedOutcome:
    feed: FeedConfig
    status: str  # "written", "kept" (arXiv sent no papers; the published file stays), "failed"
    papers: int = 0
    message: str = ""


@dataclass
class BuildReport:
    outcomes: list[FeedOutcome] = field(default_factory=list)

    @property
    def exit_code(self) -> ExitCode:
        failed = sum(o.status == "failed" for o in self.outcomes)
        if failed == 0:
            return ExitCode.OK
        return ExitCode.FAILED if failed == len(self.outcomes) else ExitCode.PARTIAL


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
        translators[(source, target)] = ArgosTranslator(
            package, beam_size=config.beam_size, device=config.device
        )
    return translators


class _Sources:
    """Where feed documents come from: saved files (--from-dir) or arXiv over HTTP."""

    def __init__(self, config: Config, from_dir: Path | None):
        self.config = config
        self.from_dir = from_dir
        self.fetcher = None
        if from_dir is None:
            settings = FetchSettings(
                user_agent=user_agent(config.contact),
                timeout=config.timeout,
                retries=config.retries,
                min_interval=config.min_interval,
            )
            self.fetcher = Fetcher(settings, config.cache_dir)

    def read(self, feed: FeedConfig) -> ArxivFeed:
        if self.from_dir is not None:
            path = self.from_dir / f"{feed.category}.xml"
            try:
                data = path.read_bytes()
            except OSError as err:
                raise FeedbridgeError(f"{path}: cannot read saved feed: {err.strerror or err}")
            return parse_feed(data, str(path))
        url = self.config.feed_url_for(feed)
        return parse_feed(self.fetcher.fetch(url).body, url)


def build(config: Config, options: BuildOptions, log: Callable[[str], None] = lambda _: None) -> BuildReport:
    """Build every selected feed; raise only for problems that stop the whole run."""
    feeds = select_feeds(config, options.only)
    base_url = options.base_url or config.base_url
    if not base_url.endswith("/"):
        base_url += "/"
    out_dir = options.out_dir or config.output_dir
    translators = prepare_translators(feeds, config, options.offline, log)

    report = BuildReport()
    fetched: dict[str, ArxivFeed] = {}
    sources = _Sources(config, options.from_dir)
    for feed in feeds:
        try:
            fetched[feed.name] = sources.read(feed)
        except FeedbridgeError as err:
            report.outcomes.append(FeedOutcome(feed, "failed", message=str(err)))
            log(f"{feed.name}: failed: {err}")

    translated = _translate(feeds, fetched, translators, log)
    for feed in feeds:
        if feed.name not in fetched:
            continue
        outcome = _write_feed(feed, fetched[feed.name], translated[feed.name], translators, out_dir, base_url)
        report.outcomes.append(outcome)
        log(f"{feed.name}: {outcome.status}, {outcome.papers} papers{': ' + outcome.message if outcome.message else ''}")
    report.outcomes.sort(key=lambda o: feeds.index(o.feed))
    return report


def _translate(
    feeds: Sequence[FeedConfig],
    fetched: dict[str, ArxivFeed],
    translators: dict[tuple[str, str], Translator],
    log: Callable[[str], None],
) -> dict[str, list[TranslatedPaper]]:
    """Translate each language pair's papers of all feeds in one pass."""
    result: dict[str, list[TranslatedPaper]] = {}
    for (source, target), translator in translators.items():
        pair_feeds = [f for f in feeds if (f.source_lang, f.target_lang) == (source, target) and f.name in fetched]
        papers = [p for f in pair_feeds for p in fetched[f.name].papers]
        started = time.monotonic()
        done = translate_papers(papers, translator, source, target)
        if papers:
            log(f"translated {len(papers)} papers {source}->{target} in {time.monotonic() - started:.1f} s")
        for feed in pair_feeds:
            count = len(fetched[feed.name].papers)
            result[feed.name], done = done[:count], done[count:]
    return result


def _write_feed(
    feed: FeedConfig,
    arxiv_feed: ArxivFeed,
    entries: list[TranslatedPaper],
    translators: dict[tuple[str, str], ArgosTranslator],
    out_dir: Path,
    base_url: str,
) -> FeedOutcome:
    path = out_dir / feed_file_name(feed)
    if not entries and path.exists():
        # arXiv is empty on weekends and holidays: never replace a good feed with an empty one.
        return FeedOutcome(feed, "kept", message="arXiv sent no papers; the published feed is kept")
    package = translators[(feed.source_lang, feed.target_lang)].package
    info = AtomFeedInfo(
        name=feed.name,
        category=feed.category,
        source_lang=feed.source_lang,
        target_lang=feed.target_lang,
        target_lang_name=package.target_name,
        self_url=base_url + feed_file_name(feed),
        site_url=base_url,
        updated=_feed_updated(arxiv_feed),
    )
    try:
        document = render_atom(info, entries)
        check_readable(document, len(entries), path)
        write_atomic(path, document)
    except FeedbridgeError as err:
        return FeedOutcome(feed, "failed", len(entries), str(err))
    return FeedOutcome(feed, "written", len(entries))


def check_readable(document: bytes, entries: int, path: Path) -> None:
    """Read the feed back as a feed reader would before it replaces a published one."""
    import feedparser

    parsed = feedparser.parse(document)
    if parsed.bozo or parsed.version != "atom10" or len(parsed.entries) != entries:
        reason = parsed.get("bozo_exception") or f"{len(parsed.entries)} of {entries} entries readable"
        raise OutputError(f"{path}: not written, the rendered feed does not read back cleanly: {reason}")


def _feed_updated(arxiv_feed: ArxivFeed) -> datetime:
    """The newest announcement, so the same input gives the same bytes."""
    dates = [p.announced for p in arxiv_feed.papers]
    if arxiv_feed.announced is not None:
        dates.append(arxiv_feed.announced)
    return max(dates) if dates else datetime.now(timezone.utc).replace(microsecond=0)
