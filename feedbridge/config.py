"""feeds.yaml -> Config: defaults merged once, unknown keys rejected, paths resolved.

Every error names the file, the key path (``feeds[2].to``) and what was expected,
so a user can fix the file without reading code.
"""

from __future__ import annotations

import functools
import os
import re
import reprlib
import string
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from feedbridge.errors import ConfigError

CACHE_DIR_ENV = "FEEDBRIDGE_CACHE_DIR"
DEFAULT_FEED_URL = "https://rss.arxiv.org/rss/{category}"
DEFAULT_API_URL = "https://export.arxiv.org/api/query"
DEFAULT_MODEL = "argos"  # Argos Translate packages
# arxiv.contact as the starter config (`feedbridge init`) and the repository's feeds.yaml
# ship it: a visible placeholder, reaching no one. `feedbridge doctor` points it out and
# `build` warns once per run until it is replaced (``contact_warning``).
PLACEHOLDER_CONTACT = "mailto:you@example.org"
# Contacts that name someone other than whoever runs the build: the placeholder, and the
# project's own page, which the repository's feeds.yaml shipped before issue 19, so that
# every copy of it told arXiv its requests came from feedbridge's authors.
PLACEHOLDER_CONTACTS = (PLACEHOLDER_CONTACT, "https://github.com/feedbridge/feedbridge")
_MODEL_NAME = "a model's name ('argos', or one added with 'feedbridge models add')"
# Defaults a stage also needs when it runs without a config (tools, tests): defined once, here.
# The most tokens one CTranslate2 batch may hold: hypotheses (sentences x beams) x (padded
# source length + decoding cap). A batch's memory grows with exactly this, so the budget
# bounds it whatever the beam size and sentence lengths (docs/performance.md).
DEFAULT_BATCH_TOKENS = 6144
# A pass whose sentences end untranslated beyond this share has failed (translation.max_untranslated).
DEFAULT_MAX_UNTRANSLATED = 0.2
DEFAULT_MAX_BYTES = 8 * 2**20  # a feed larger than this is refused
DEFAULT_MIN_INTERVAL = 3.0  # arXiv's terms: at least this many seconds between request starts
DEFAULT_TIMEOUT = 30.0  # seconds, for the connect and for each read
DEFAULT_RETRIES = 3  # extra attempts after the first, for 5xx/429, connection errors and timeouts
DEFAULT_BACKOFF = 5.0  # the first wait between attempts; doubles each retry
DEFAULT_REQUEST_DEADLINE = 120.0  # seconds for one request, its redirects and its whole body
DEFAULT_RUN_DEADLINE = 1800.0  # seconds a run may spend fetching in all, waits and retries included
DEFAULT_WINDOW_DAYS = 7  # announcement days each feed keeps
# The whole site's size a build may publish: GitHub Pages refuses a site over 1 GB, and
# a deploy near it is slow; the margin leaves room for a day's growth.
DEFAULT_MAX_SITE_BYTES = 900 * 10**6
DEFAULT_MAX_ENTRIES = 2000  # entries each feed keeps at most
# arXiv's holidays (arxiv.holidays) as arXiv lists them: working days without a submission
# deadline, each taking away the next announcement (feedbridge/announcement_days.py says
# which; docs/calendar.md has the sources). 2025: arXiv's availability page as of August
# 2025, with Friday 4 July from arXiv's own holiday table; 2026: the page since January
# 2026. No list for 2027 has been published yet: a year without one counts every weekday
# as an announcement day, until a config adds arXiv's dates.
DEFAULT_HOLIDAYS: tuple[date, ...] = tuple(map(date.fromisoformat, (
    "2025-01-01", "2025-01-20", "2025-06-19", "2025-07-04", "2025-07-06", "2025-09-01",
    "2025-11-27", "2025-12-25", "2025-12-30",
    "2026-01-01", "2026-01-19", "2026-06-19", "2026-07-03", "2026-09-07", "2026-11-26",
    "2026-12-25", "2026-12-29", "2026-12-31",
)))

# arXiv's category forms: "cs.AI", "math.AP", "astro-ph.GA", "cond-mat.mes-hall", "hep-th";
# a feed may combine several with "+" ("cs.AI+cs.CL").
_ONE_CATEGORY = r"[a-z]+(?:-[a-z]+)?(?:\.[A-Za-z]+(?:-[a-z]+)?)?"
CATEGORY_RE = re.compile(rf"{_ONE_CATEGORY}(?:\+{_ONE_CATEGORY})*")
# A feed name becomes a file name in the output folder: no separators, no leading dot.
FEED_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,99}")
LANG_RE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z]{2,4})?")
ISO_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # date.fromisoformat alone also takes 20260119
# YAML aliases may stand for at most this many values in all: a list of categories shared
# by a few topics is dozens; an alias bomb ("billion laughs") is billions from 500 bytes.
MAX_ALIAS_VALUES = 10_000

# --- the output folder's names ---------------------------------------------------------
# The site's own entries at the top of the output folder, and the files a feed adds. They
# are defined here, in the first stage, so that a feed name whose files would overwrite the
# site's is refused on load. render/site.py, render/opml.py, render/atom.py, report.py and
# archive.py should take their names from here; until they do, tests/test_config.py holds
# theirs equal to these.
INDEX = "index.html"  # the list of feeds (render/site.py)
STYLESHEET = "style.css"  # every page's stylesheet (render/site.py)
OPML = "feeds.opml"  # every feed, for a reader to subscribe at once (render/opml.py)
STATUS_FILE = "status.json"  # each feed's state after the run (report.py)
# The maintainer's Atom feed of gaps, failures and stale feeds (render/status.py); not
# .xml, which a feed called "status" would own. Pages serves .atom as application/atom+xml.
STATUS_FEED = "status.atom"
ARCHIVE_DIR = "archive"  # each feed's history, archive/<name>.json (archive.py)
SITE_FILES = (INDEX, STYLESHEET, OPML, STATUS_FILE, STATUS_FEED, ARCHIVE_DIR)
_SITE = "the site"  # who claims SITE_FILES, in _Validator.feed_name


def feed_paths(name: str) -> tuple[str, ...]:
    """The files the feed called ``name`` publishes, relative to the site root: its Atom
    document (render/atom.py), its page (render/site.py) and its history (archive.py)."""
    return (f"{name}.xml", f"{name}.html", f"{ARCHIVE_DIR}/{name}.json")


# --- announce-type policies and topic filters --------------------------------------

ANNOUNCE_POLICIES = ("include", "update", "exclude")


@dataclass(frozen=True)
class AnnouncePolicy:
    """What a feed does with each kind of announcement; new papers are always included.

    ``include``: the paper becomes an entry (or updates its entry); ``update``: it only
    updates an entry already in the feed's window (a new version); ``exclude``: ignored.
    """

    cross: str = "include"
    replace: str = "update"
    replace_cross: str = "update"

    def for_type(self, announce_type: str) -> str:
        policies = {"cross": self.cross, "replace": self.replace, "replace-cross": self.replace_cross}
        return policies.get(announce_type, "include")


@dataclass(frozen=True)
class TopicFilter:
    """A topic feed: papers of some categories whose title or abstract matches."""

    title: str  # shown in the feed's title and on the site
    categories: tuple[str, ...]  # each fetched as its own arXiv feed
    include: tuple[re.Pattern, ...]  # any match takes a paper in; empty: every paper
    exclude: tuple[re.Pattern, ...]  # any match keeps a paper out

    def matches(self, text: str) -> bool:
        if any(pattern.search(text) for pattern in self.exclude):
            return False
        return not self.include or any(pattern.search(text) for pattern in self.include)


@dataclass(frozen=True)
class FeedConfig:
    name: str  # output file stem: "<name>.xml"
    category: str  # as arXiv spells it, "cs.AI" or "cs.AI+cs.CL"; a topic's categories joined by "+"
    source_lang: str
    target_lang: str
    announce: AnnouncePolicy = AnnouncePolicy()
    topic: TopicFilter | None = None  # set for a topic feed
    model: str = DEFAULT_MODEL  # the translation model's name (translation.model, or the feed's own)
    key: str = field(default="feeds[0]", compare=False)  # where the config defines it, for messages

    @property
    def sources(self) -> tuple[str, ...]:
        """The arXiv feeds this feed is made from, each fetched once per run."""
        return self.topic.categories if self.topic else (self.category,)


@dataclass(frozen=True)
class Config:
    path: Path  # the file it came from, for messages
    base_url: str  # absolute, ends with "/"
    output_dir: Path
    cache_dir: Path
    feed_url: str  # template with "{category}"
    contact: str  # put in the User-Agent, as arXiv asks
    min_interval: float  # seconds between requests to arXiv
    timeout: float
    retries: int
    beam_size: int
    device: str
    feeds: tuple[FeedConfig, ...]  # category feeds, then topic feeds
    window_days: int = DEFAULT_WINDOW_DAYS
    backoff: float = DEFAULT_BACKOFF
    max_bytes: int = DEFAULT_MAX_BYTES
    request_deadline: float = DEFAULT_REQUEST_DEADLINE
    run_deadline: float = DEFAULT_RUN_DEADLINE
    max_entries: int = DEFAULT_MAX_ENTRIES
    enrich: bool = True  # ask the arXiv API for comments, journal refs, DOIs, affiliations
    api_url: str = DEFAULT_API_URL  # the arXiv API's query endpoint
    holidays: tuple[date, ...] = DEFAULT_HOLIDAYS  # arXiv's holidays, sorted (announcement_days.py)
    glossary: tuple[str, ...] = ()  # terms never translated (model names, acronyms)
    workers: int = 0  # CTranslate2 workers; 0: one per core (one on a GPU)
    threads: int = 1  # threads per worker
    batch_tokens: int = DEFAULT_BATCH_TOKENS
    max_untranslated: float = DEFAULT_MAX_UNTRANSLATED  # a pass beyond this share untranslated has failed
    websub_hub: str | None = None  # a WebSub hub the feeds name and the workflow pings (websub.py)
    max_site_bytes: int = DEFAULT_MAX_SITE_BYTES  # verify refuses a bigger site

    def feed_url_for(self, feed: FeedConfig) -> str:
        return self.feed_url.format(category=feed.category)

    def language_pairs(self) -> list[tuple[str, str]]:
        """The distinct (source, target) pairs the feeds need, in config order."""
        return list(dict.fromkeys((f.source_lang, f.target_lang) for f in self.feeds))


# The schema: for each section, its keys and their defaults (None: required).
_DEFAULTS: dict[str, dict[str, Any]] = {
    "site": {"base_url": None, "output_dir": "site", "websub_hub": "",  # "": no hub
             "max_bytes": DEFAULT_MAX_SITE_BYTES},
    "arxiv": {
        "feed_url": DEFAULT_FEED_URL,
        "contact": None,
        "min_interval": DEFAULT_MIN_INTERVAL,
        "timeout": DEFAULT_TIMEOUT,
        "retries": DEFAULT_RETRIES,
        "backoff": DEFAULT_BACKOFF,
        "max_bytes": DEFAULT_MAX_BYTES,
        "request_deadline": DEFAULT_REQUEST_DEADLINE,
        "run_deadline": DEFAULT_RUN_DEADLINE,
        "enrich": True,
        "api_url": DEFAULT_API_URL,
        "holidays": DEFAULT_HOLIDAYS,
    },
    "translation": {
        "from": "en", "to": "ja", "beam_size": 4, "device": "auto",
        "glossary": [], "workers": 0, "threads": 1, "batch_tokens": DEFAULT_BATCH_TOKENS,
        "max_untranslated": DEFAULT_MAX_UNTRANSLATED,
        "model": DEFAULT_MODEL,
    },
    "cache_dir": ".cache/feedbridge",
    "feeds": None,
    "window": {"days": DEFAULT_WINDOW_DAYS, "max_entries": DEFAULT_MAX_ENTRIES},
    "topics": [],
}
_ANNOUNCE_KEYS = {"cross", "replace", "replace-cross"}
_FEED_KEYS = {"category", "name", "from", "to", "model"} | _ANNOUNCE_KEYS
_TOPIC_KEYS = {"name", "title", "categories", "include", "exclude", "from", "to", "model"} | _ANNOUNCE_KEYS


def load_config(path: Path) -> Config:
    """Read and validate a config file. Whether a model serves each feed's language pair
    is the translate stage's question (``translate.backend.check_models``)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found (create one, or pass --config FILE)")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read config: {err}")
    return parse_config(text, path)


def parse_config(text: str, path: Path) -> Config:
    import yaml  # only the config stage needs it

    try:
        raw = yaml.load(text, Loader=_strict_loader())
    except yaml.YAMLError as err:
        where = getattr(err, "problem_mark", None)
        line = f" line {where.line + 1}" if where is not None else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ConfigError(f"{path}:{line}: invalid YAML: {problem}")
    except (ValueError, TypeError, RecursionError) as err:
        # A scalar YAML types but Python cannot build (2001-02-30, bad !!binary), or
        # nesting deeper than the parser's recursion.
        raise ConfigError(f"{path}: invalid YAML value: {_describe(str(err) or type(err).__name__)}")
    return _Validator(path).config(raw)


@functools.cache
def _strict_loader() -> type:
    """yaml's SafeLoader, refusing what it accepts silently: a key given twice in one
    mapping (it keeps the last), and aliases that stand for more than MAX_ALIAS_VALUES
    values, or for a value that holds them. Built on first use: only this stage needs yaml."""
    import yaml
    from yaml.composer import ComposerError

    class StrictLoader(yaml.SafeLoader):
        def __init__(self, stream: str):
            super().__init__(stream)
            self.indices: list[Any] = []  # how compose_node reached the node being composed
            self.aliases: list[tuple[yaml.Node, Any]] = []  # each alias's value and where it stands

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                mark = self.peek_event().start_mark
                node = super().compose_node(parent, index)
                self.aliases.append((node, mark))
                return node
            self.indices.append(index)
            try:
                return super().compose_node(parent, index)
            finally:
                self.indices.pop()

        def compose_mapping_node(self, anchor: Any) -> Any:
            node = super().compose_mapping_node(anchor)
            first: dict[tuple[str, str], Any] = {}
            for key, _ in node.value:
                if not isinstance(key, yaml.ScalarNode) or key.tag == "tag:yaml.org,2002:merge":
                    continue
                seen = first.setdefault((key.tag, key.value), key)
                if seen is not key:
                    where = _key_path(_yaml_path(self.indices), key.value)
                    raise ComposerError(None, None, f"duplicate key {where} (first on line"
                                        f" {seen.start_mark.line + 1}); give each key once", key.start_mark)
            return node

        def compose_document(self) -> Any:
            node = super().compose_document()
            sizes: dict[int, int] = {}
            _expanded_size(node, sizes, set(), ComposerError)
            total = 0
            for value, mark in self.aliases:
                total += sizes[id(value)]
                if total > MAX_ALIAS_VALUES:
                    raise ComposerError(None, None, f"aliases stand for more than {MAX_ALIAS_VALUES} values"
                                        " (write the values out, or share fewer)", mark)
            return node

    return StrictLoader


def _yaml_path(indices: list[Any]) -> str:
    """The key path of a node from the indices that led to it: a key's node, or a
    position in a list."""
    path = ""
    for index in indices:
        if isinstance(index, int):
            path += f"[{index}]"
        elif index is not None:  # a mapping's key: a scalar's text, or a list or mapping used as a key
            path = _key_path(path, index.value if isinstance(index.value, str) else "?")
    return path


def _expanded_size(node: Any, sizes: dict[int, int], open_nodes: set[int], error: type) -> int:
    """How many values ``node`` stands for with every alias in it expanded, each node's
    count kept in ``sizes``; an alias inside the value it names is an error."""
    known = sizes.get(id(node))
    if known is not None:
        return known
    if id(node) in open_nodes:
        raise error(None, None, "an alias inside the value it names (a recursive alias)", node.start_mark)
    open_nodes.add(id(node))
    if isinstance(node.value, list):
        children = [child for item in node.value for child in (item if isinstance(item, tuple) else (item,))]
    else:
        children = []
    size = 1 + sum(_expanded_size(child, sizes, open_nodes, error) for child in children)
    open_nodes.discard(id(node))
    sizes[id(node)] = size
    return size


class _Validator:
    """Turns the parsed YAML into a Config, naming the key path of the first problem."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, key: str, expected: str, got: Any = None) -> ConfigError:
        return key_error(self.path, key, expected, got)

    def mapping(self, value: Any, key: str, allowed: set[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key or "top level", "a mapping of keys", value)
        for name in value:
            if name not in allowed:
                raise self.fail(
                    _key_path(key, name), f"one of the known keys ({', '.join(sorted(allowed))})"
                )
        return value

    def section(self, raw: dict[str, Any], name: str) -> dict[str, Any]:
        defaults = _DEFAULTS[name]
        given = self.mapping(raw.get(name, {}), name, set(defaults))
        merged = {**defaults, **given}
        for key, value in merged.items():
            if value is None:
                raise self.fail(f"{name}.{key}", "a value (this key is required)")
        return merged

    def string(self, value: Any, key: str, pattern: re.Pattern | None = None, what: str = "") -> str:
        if not isinstance(value, str) or not value.strip() or "\0" in value:
            raise self.fail(key, what or "a non-empty string", value)
        if pattern is not None and not pattern.fullmatch(value):
            raise self.fail(key, what, value)
        return value

    def number(self, value: Any, key: str, kind: type, minimum: float) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float) if kind is float else int):
            raise self.fail(key, f"a number >= {minimum}", value)
        if value < minimum:
            raise self.fail(key, f"a number >= {minimum}", value)
        return kind(value)

    def share(self, value: Any, key: str) -> float:
        """A fraction from 0 to 1."""
        share = self.number(value, key, float, 0)
        if share > 1:
            raise self.fail(key, "a share from 0 to 1 (0.2 is 20%)", value)
        return share

    def boolean(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key, "true or false", value)
        return value

    def http_url(self, value: Any, key: str) -> str:
        value = self.string(value, key, what="an http(s) URL")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise self.fail(key, "an absolute http:// or https:// URL", value)
        return value

    def config(self, raw: Any) -> Config:
        if raw is None:
            raise self.fail("top level", "a mapping with at least 'site', 'arxiv' and 'feeds' (the file is empty)")
        raw = self.mapping(raw, "", set(_DEFAULTS))
        site = self.section(raw, "site")
        arxiv = self.section(raw, "arxiv")
        translation = self.section(raw, "translation")
        window = self.section(raw, "window")

        base_url = self.http_url(site["base_url"], "site.base_url")
        if not base_url.endswith("/"):
            base_url += "/"
        feed_url = self.feed_url(arxiv["feed_url"], "arxiv.feed_url")
        source = self.string(translation["from"], "translation.from", LANG_RE, "a language code like 'en'")
        target = self.string(translation["to"], "translation.to", LANG_RE, "a language code like 'ja'")
        device = self.string(translation["device"], "translation.device")
        if device not in ("auto", "cpu", "cuda"):
            raise self.fail("translation.device", "one of auto, cpu, cuda", device)
        model = self.string(translation["model"], "translation.model", what=_MODEL_NAME)
        taken = {path.lower(): (_SITE, path) for path in SITE_FILES}
        feeds = self.feeds(raw.get("feeds"), source, target, model, taken)

        return Config(
            path=self.path,
            base_url=base_url,
            output_dir=self.folder(site["output_dir"], "site.output_dir"),
            cache_dir=self.cache_dir(raw.get("cache_dir", _DEFAULTS["cache_dir"])),
            feed_url=feed_url,
            contact=self.string(arxiv["contact"], "arxiv.contact", what="an e-mail address or URL for the User-Agent"),
            min_interval=self.number(arxiv["min_interval"], "arxiv.min_interval", float, 0),
            timeout=self.number(arxiv["timeout"], "arxiv.timeout", float, 0.1),
            retries=self.number(arxiv["retries"], "arxiv.retries", int, 0),
            backoff=self.number(arxiv["backoff"], "arxiv.backoff", float, 0),
            max_bytes=self.number(arxiv["max_bytes"], "arxiv.max_bytes", int, 1024),
            request_deadline=self.number(arxiv["request_deadline"], "arxiv.request_deadline", float, 0.1),
            run_deadline=self.number(arxiv["run_deadline"], "arxiv.run_deadline", float, 0.1),
            beam_size=self.number(translation["beam_size"], "translation.beam_size", int, 1),
            glossary=self.glossary(translation["glossary"]),
            workers=self.number(translation["workers"], "translation.workers", int, 0),
            threads=self.number(translation["threads"], "translation.threads", int, 1),
            batch_tokens=self.number(translation["batch_tokens"], "translation.batch_tokens", int, 256),
            max_untranslated=self.share(translation["max_untranslated"], "translation.max_untranslated"),
            device=device,
            feeds=feeds + self.topics(raw.get("topics", []), source, target, model, taken),
            window_days=self.number(window["days"], "window.days", int, 1),
            max_entries=self.number(window["max_entries"], "window.max_entries", int, 1),
            enrich=self.boolean(arxiv["enrich"], "arxiv.enrich"),
            api_url=self.http_url(arxiv["api_url"], "arxiv.api_url"),
            holidays=self.holidays(arxiv["holidays"], "arxiv.holidays"),
            websub_hub=self.http_url(site["websub_hub"], "site.websub_hub") if site["websub_hub"] != "" else None,
            max_site_bytes=self.number(site["max_bytes"], "site.max_bytes", int, 1024),
        )

    def feed_url(self, value: Any, key: str) -> str:
        """A URL template whose one placeholder is {category}: str.format would fail on
        any other at the first fetch."""
        value = self.http_url(value, key)
        try:
            fields = [(name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(value)
                      if name is not None]
        except ValueError as err:  # a lone "{" or "}"
            raise self.fail(key, f"a URL template whose only placeholder is {{category}} ({err};"
                            " write a literal brace twice)", value)
        for name, spec, conversion in fields:
            if (name, spec, conversion) != ("category", "", None):
                shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
                raise self.fail(key, f"a URL template whose only placeholder is {{category}}, not {_describe(shown)}")
        if not fields:
            raise self.fail(key, "a URL template containing {category}", value)
        return value

    def holidays(self, value: Any, key: str) -> tuple[date, ...]:
        """ISO dates, written bare (YAML reads them as dates) or quoted; kept sorted, each once.
        An empty list means no holidays: every weekday is an announcement day."""
        if not isinstance(value, (list, tuple)):
            shown = value.isoformat() if isinstance(value, date) else value
            raise self.fail(key, "a list of arXiv's holidays as ISO dates, like [2026-01-19, 2026-06-19]", shown)
        return tuple(sorted({self.iso_date(item, f"{key}[{i}]") for i, item in enumerate(value)}))

    def iso_date(self, value: Any, key: str) -> date:
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str) and ISO_DATE_RE.fullmatch(value):
            try:
                return date.fromisoformat(value)
            except ValueError:  # 2026-02-30
                pass
        shown = value.isoformat() if isinstance(value, datetime) else value
        raise self.fail(key, "a date like 2026-01-19 (year-month-day, no time)", shown)

    def glossary(self, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail("translation.glossary", "a list of terms never to translate", value)
        return tuple(self.string(term, f"translation.glossary[{i}]", what="a non-empty term")
                     for i, term in enumerate(value))

    def folder(self, value: Any, key: str) -> Path:
        """A folder relative to the config file's folder, as pelican resolves paths."""
        folder = Path(self.string(value, key, what="a folder path"))
        return folder if folder.is_absolute() else self.path.parent / folder

    def cache_dir(self, value: Any) -> Path:
        """The config's cache folder (always checked), unless the environment moves it."""
        folder = self.folder(value, "cache_dir")
        return Path(os.environ[CACHE_DIR_ENV]) if os.environ.get(CACHE_DIR_ENV) else folder

    def feed_name(self, value: Any, key: str, taken: dict[str, tuple[str, str]]) -> str:
        """A feed's name, whose files (``feed_paths``) are neither the site's own nor another
        feed's, compared regardless of case: on a case-insensitive file system (macOS's and
        Windows' by default) 'Index.html' is 'index.html'. ``taken`` maps each lower-cased
        path already claimed to who claims it ("the site", or a feed's key) and the name
        that claims it (a feed's, or the path); it grows."""
        name = self.string(
            value, key, FEED_NAME_RE, "a file-name-safe feed name (letters, digits, '.', '_', '+', '-'; no '/')",
        )
        paths = feed_paths(name)
        for path in paths:
            if path.lower() not in taken:
                continue
            owner, claimed = taken[path.lower()]
            if owner == _SITE:
                case = "" if path == claimed else f" ({path} on a case-insensitive file system)"
                raise self.fail(key, f"a name whose files are not the site's own ('{name}' would write over"
                                     f" the site's {claimed}{case})")
            if claimed != name:
                raise self.fail(key, f"a name not used by another feed ('{name}' differs from {owner}'s"
                                     f" '{claimed}' only in case: one file on a case-insensitive file system)")
            raise self.fail(key, f"a name not used by another feed ('{name}' is {owner}'s)")
        taken.update((path.lower(), (key.rpartition(".")[0], name)) for path in paths)
        return name

    def feeds(self, value: Any, source: str, target: str, model: str,
              taken: dict[str, tuple[str, str]]) -> tuple[FeedConfig, ...]:
        """Category feeds; ``taken`` holds the paths claimed so far (``feed_name``), and grows."""
        if not isinstance(value, list) or not value:
            raise self.fail("feeds", "a non-empty list of feeds (each with a 'category')", value)
        feeds: list[FeedConfig] = []
        for index, item in enumerate(value):
            key = f"feeds[{index}]"
            if isinstance(item, str):
                item = {"category": item}
            item = self.mapping(item, key, _FEED_KEYS)
            category = self.string(
                item.get("category"), f"{key}.category", CATEGORY_RE,
                "an arXiv category like 'cs.AI', 'math.AP', 'astro-ph.GA', 'hep-th' or 'cs.AI+cs.CL'",
            )
            feed_source = self.string(item.get("from", source), f"{key}.from", LANG_RE, "a language code like 'en'")
            feed_target = self.string(item.get("to", target), f"{key}.to", LANG_RE, "a language code like 'ja'")
            name = self.feed_name(item.get("name", f"{category}.{feed_target}"), f"{key}.name", taken)
            feed_model = self.string(item.get("model", model), f"{key}.model", what=_MODEL_NAME)
            feeds.append(FeedConfig(name, category, feed_source, feed_target, self.announce(item, key), model=feed_model, key=key))
        return tuple(feeds)

    def announce(self, item: dict[str, Any], key: str) -> AnnouncePolicy:
        values = {}
        for name in sorted(_ANNOUNCE_KEYS & set(item)):
            value = item[name]
            if value not in ANNOUNCE_POLICIES:
                raise self.fail(f"{key}.{name}", f"one of {', '.join(ANNOUNCE_POLICIES)}", value)
            values[name.replace("-", "_")] = value
        return AnnouncePolicy(**values)

    def topics(self, value: Any, source: str, target: str, model: str,
               taken: dict[str, tuple[str, str]]) -> tuple[FeedConfig, ...]:
        """Topic feeds; ``taken`` holds the paths claimed so far (``feed_name``), and grows."""
        if not isinstance(value, list):
            raise self.fail("topics", "a list of topic feeds (each with a 'name' and 'categories')", value)
        return tuple(
            self.topic(item, f"topics[{index}]", source, target, model, taken) for index, item in enumerate(value)
        )

    def topic(self, item: Any, key: str, source: str, target: str, model: str,
              taken: dict[str, tuple[str, str]]) -> FeedConfig:
        item = self.mapping(item, key, _TOPIC_KEYS)
        name = self.feed_name(item.get("name"), f"{key}.name", taken)
        categories = item.get("categories")
        if not isinstance(categories, list) or not categories:
            raise self.fail(f"{key}.categories", "a non-empty list of arXiv categories", categories)
        categories = tuple(
            self.string(c, f"{key}.categories[{i}]", CATEGORY_RE, "an arXiv category like 'cs.AI'")
            for i, c in enumerate(categories)
        )
        feed_source = self.string(item.get("from", source), f"{key}.from", LANG_RE, "a language code like 'en'")
        feed_target = self.string(item.get("to", target), f"{key}.to", LANG_RE, "a language code like 'ja'")
        topic = TopicFilter(
            title=self.string(item.get("title", name), f"{key}.title"),
            categories=tuple(dict.fromkeys(categories)),
            include=self.patterns(item.get("include", []), f"{key}.include"),
            exclude=self.patterns(item.get("exclude", []), f"{key}.exclude"),
        )
        feed_model = self.string(item.get("model", model), f"{key}.model", what=_MODEL_NAME)
        return FeedConfig(
            name, "+".join(topic.categories), feed_source, feed_target, self.announce(item, key), topic, feed_model, key
        )

    def patterns(self, value: Any, key: str) -> tuple[re.Pattern, ...]:
        """Keywords match case-insensitively, any whitespace between words; '/…/' is a regex."""
        if not isinstance(value, list):
            raise self.fail(key, "a list of keywords or /regular expressions/", value)
        patterns = []
        for index, text in enumerate(value):
            text = self.string(text, f"{key}[{index}]", what="a keyword or a /regular expression/")
            if len(text) > 2 and text.startswith("/") and text.endswith("/"):
                try:
                    patterns.append(re.compile(text[1:-1]))
                except re.error as err:
                    raise self.fail(f"{key}[{index}]", f"a valid regular expression ({err})", text)
            else:
                patterns.append(re.compile(r"\s+".join(map(re.escape, text.split())), re.IGNORECASE))
        return tuple(patterns)


def is_placeholder_contact(contact: str) -> bool:
    """Whether arxiv.contact is one of PLACEHOLDER_CONTACTS, written with or without
    'mailto:', a trailing '/', or in another case."""
    def plain(value: str) -> str:
        value = value.strip().lower()
        return value.removeprefix("mailto:").rstrip("/")

    return plain(contact) in {plain(known) for known in PLACEHOLDER_CONTACTS}


def contact_warning(config: Config) -> str | None:
    """What a run says, once, when arxiv.contact is a placeholder: the key and the file to
    change. The run goes on; its requests just name no one arXiv could reach."""
    if not is_placeholder_contact(config.contact):
        return None
    return (f"{config.path}: arxiv.contact is the placeholder {config.contact!r}, so arXiv cannot reach whoever"
            " runs this build: set it to your e-mail (mailto:...) or a URL where you can be reached")


def key_error(path: Path, key: str, expected: str, got: Any = None) -> ConfigError:
    """The one shape of a config error: the file, the key path, what was expected, what was found."""
    found = f", got {_describe(got)}" if got is not None else ""
    return ConfigError(f"{path}: {key}: expected {expected}{found}")


def _key_path(parent: str, name: Any) -> str:
    """'arxiv.mirror'; a key that is not a plain word is quoted so the message stays one line."""
    plain = isinstance(name, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", name)
    shown = name if plain else _describe(name)
    return f"{parent}.{shown}" if parent else shown


# Reads only the first items of a list or mapping and the first levels of nesting: a value's
# description costs the same whatever the value's size.
_SHORT_REPR = reprlib.Repr()
_SHORT_REPR.maxlevel = 3
_SHORT_REPR.maxlist = _SHORT_REPR.maxtuple = _SHORT_REPR.maxset = _SHORT_REPR.maxdict = 4
_SHORT_REPR.maxstring = _SHORT_REPR.maxother = _SHORT_REPR.maxlong = 160


def _describe(value: Any, limit: int = 60) -> str:
    """A value as a message shows it: its repr, cut to ``limit`` characters."""
    text = _SHORT_REPR.repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."
