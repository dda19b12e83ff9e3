"""`feedbridge doctor`: check the set-up before the first build, one line and one fix per check.

Each check is a small function returning a ``Check``; ``run_checks`` runs them in the
order a newcomer fixes things (software, config, packages, folders, URLs, network).
A check that cannot run because an earlier one failed (no config: no folders to
check) is left out rather than reported twice. ``needed=False`` marks advice: a
placeholder URL or an unreachable package index when every package is installed
does not stop a build, so it does not fail the doctor.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

from feedbridge import __version__
from feedbridge.atomicfile import lock_path
from feedbridge.announcement_days import NEW_YORK, announcement_days
from feedbridge.config import DEFAULT_MODEL, STATUS_FILE, Config, is_placeholder_contact, load_config
from feedbridge.errors import ExitCode, FeedbridgeError, ModelError, NotFoundError, OutputError
from feedbridge.fetch import Fetcher, FetchSettings, user_agent
from feedbridge.sources.arxiv_api import parse_answer, query_url
from feedbridge.sources.arxiv_rss import parse_feed
from feedbridge.report import feeds_counted
from feedbridge.starter import PLACEHOLDER_BASE_URL, PLACEHOLDER_CONTACT
from feedbridge.translate import packages
from feedbridge.translate.backend import check_models

MIN_PYTHON = (3, 11)
# Distributions feedbridge runs on; a tuple lists alternatives that provide the same module.
DISTRIBUTIONS = (("argos-translate-lt", "argostranslate"), ("ctranslate2",), ("feedparser",), ("feedgen",))
NETWORK_TIMEOUT = 10.0  # seconds: a doctor answers quickly, a slow server is a finding too
# A paper every arXiv API answers for: the first new-style id.
API_PROBE_ID = "0704.0001"
# The published site is stale once arXiv's feeds have changed this many times since its
# status.json was written: one missed day can be the schedule's bad luck, two are not.
STALE_AFTER_ANNOUNCEMENTS = 2
# Hosts that stand for "put your own here": RFC 2606 names and the starter's placeholders.
_PLACEHOLDER_HOSTS = {"example.org", "example.com", "example.net", "example", "invalid", "example.github.io"} | {
    urlsplit(PLACEHOLDER_BASE_URL).hostname,
    PLACEHOLDER_CONTACT.rpartition("@")[2],
}


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report."""

    name: str
    ok: bool
    detail: str  # what was found
    fix: str | None = None  # what to do when not ok
    needed: bool = True  # False: advice; the doctor still passes when it fails


def run_checks(
    config_path: Path,
    *,
    offline: bool = False,
    timeout: float = NETWORK_TIMEOUT,
    now: datetime | None = None,
) -> list[Check]:
    """Every check for this config; ``offline`` leaves out those that need the network,
    and ``arxiv.enrich: false`` the arXiv API. ``now`` is the clock the published site's
    age is measured on (the system clock by default)."""
    checks = [check_python(), check_distributions()]
    config, config_check = check_config(config_path)
    checks.append(config_check)
    package_checks = []
    if config is not None:
        argos_pairs = dict.fromkeys((f.source_lang, f.target_lang) for f in config.feeds if f.model == DEFAULT_MODEL)
        package_checks = [check_package(source, target) for source, target in argos_pairs]
        package_checks += [check_model(name) for name in dict.fromkeys(f.model for f in config.feeds)
                           if name != DEFAULT_MODEL]
        checks += package_checks
        checks += [
            check_writable("cache folder", config.cache_dir, "cache_dir"),
            check_output_folder(config.output_dir, "site.output_dir"),
            check_base_url(config.base_url),
            check_contact(config.contact, config.path),
        ]
    if offline:
        return checks
    fetcher = _probe_fetcher(config.contact if config else "feedbridge doctor", timeout)
    if config is not None:
        checks.append(check_arxiv(config, fetcher))
        if config.enrich:
            checks.append(check_api(config.api_url, fetcher))
        if not _is_placeholder(urlsplit(config.base_url).hostname or ""):
            checks.append(check_published(config, fetcher, now or datetime.now(timezone.utc)))
    missing_package = config is not None and not all(check.ok for check in package_checks)
    checks.append(check_index(fetcher, needed=missing_package))
    return checks


def exit_code(checks: Sequence[Check]) -> ExitCode:
    """FAILED when anything needed is missing; advice alone does not fail."""
    return ExitCode.OK if all(check.ok or not check.needed for check in checks) else ExitCode.FAILED


def format_check(check: Check) -> str:
    """`✓ name: detail`, `✗ name: detail — fix`, or `! …` for advice not followed."""
    if check.ok:
        return f"✓ {check.name}: {check.detail}"
    mark = "✗" if check.needed else "!"
    return f"{mark} {check.name}: {check.detail}" + (f" — {check.fix}" if check.fix else "")


# --- software ---------------------------------------------------------------------


def check_python(version: tuple[int, ...] = tuple(sys.version_info[:3])) -> Check:
    shown = ".".join(map(str, version))
    if version >= MIN_PYTHON:
        return Check("Python", True, shown)
    wanted = ".".join(map(str, MIN_PYTHON))
    return Check("Python", False, f"{shown}, older than {wanted}", f"install Python {wanted} or newer")


def check_distributions(required: Sequence[tuple[str, ...]] = DISTRIBUTIONS) -> Check:
    """feedbridge's own version, and each dependency's installed version."""
    found, missing = [f"feedbridge {__version__}"], []
    for alternatives in required:
        present = [f"{name} {version}" for name in alternatives if (version := _installed_version(name))]
        if present:
            found.append(present[0])
        else:
            missing.append(" or ".join(alternatives))
    if missing:
        return Check(
            "packages", False, f"missing {', '.join(missing)}",
            "install feedbridge with its dependencies: pip install -e . (or make install)",
        )
    return Check("packages", True, ", ".join(found))


def _installed_version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


# --- config and translation packages ---------------------------------------------


def check_config(path: Path) -> tuple[Config | None, Check]:
    """The config as `build` loads it, every feed's model checked to serve its pair."""
    try:
        config = load_config(path)
        check_models(config)
    except FeedbridgeError as error:
        fix = "fix what the message names" if Path(path).exists() else "create one with 'feedbridge init'"
        return None, Check("config", False, str(error), fix)
    feeds = ", ".join(feed.name for feed in config.feeds)
    return config, Check("config", True, f"{path}: {feeds_counted(len(config.feeds))} ({feeds})")


def check_package(source: str, target: str) -> Check:
    """The Argos package of a pair whose feeds use the default model; where the model
    catalog knows a better model for the pair, the line says so, with its licence (advice:
    the package stays the default, and its fix)."""
    name = f"translation package {source}->{target}"
    try:
        package = packages.find_package(source, target)
    except ModelError as error:
        return Check(name, False, str(error), "remove that folder, then install the package again")
    if package is None:
        return Check(
            name, False, f"not installed in {packages.packages_dir()}{_better_model(source, target)}",
            f"feedbridge models install {source} {target}",
        )
    return Check(name, True, f"{package.provenance} in {package.path}{_better_model(source, target)}")


def _better_model(source: str, target: str) -> str:
    """"; <the catalog's model> translates … better: …", or nothing for a pair it lacks."""
    from feedbridge.translate.catalog import better_models

    better = better_models(source, target)
    return f"; {better[0].hint()}" if better else ""


def check_model(name: str) -> Check:
    """A model added with `feedbridge models add`: present, and its files whole."""
    from feedbridge.translate import marian

    label = f"translation model {name}"
    try:
        model = marian.find_model(name)
        if model is None:
            return Check(label, False, f"not added in {marian.models_dir()}", f"feedbridge models add FOLDER --name {name}")
        model.check()
    except ModelError as error:
        return Check(label, False, str(error), f"feedbridge models remove {name}, then add it again")
    return Check(label, True, f"{model.provenance} in {model.path}")


# --- folders ----------------------------------------------------------------------


def check_writable(name: str, folder: Path, key: str) -> Check:
    """Create and remove a file where feedbridge will write; a missing folder is checked
    where it would be created, and is not created."""
    existing, problem = _write_problem(folder)
    fix = f"make {existing} writable, or set {key} to a folder you can write to"
    if problem:
        return Check(name, False, f"{folder}: {problem}", fix)
    created = "" if existing == folder else f" (will be created in {existing})"
    return Check(name, True, f"{folder} is writable{created}")


def check_output_folder(folder: Path, key: str) -> Check:
    """The output folder, and the folder where a build takes its lock: beside the folder's
    real path (``atomicfile.lock_path``), so the folder being writable is not enough."""
    check = check_writable("output folder", folder, key)
    if not check.ok:
        return check
    try:
        lock = lock_path(folder)
    except OutputError as error:
        return Check("output folder", False, str(error), f"set {key} to a folder inside another one")
    existing, problem = _write_problem(lock.parent)
    if problem:
        return Check(
            "output folder", False, f"{folder}: the build cannot create its lock {lock}: {problem}",
            f"make {existing} writable, or set {key} to a folder whose parent you can write to",
        )
    return check


def _write_problem(folder: Path) -> tuple[Path, str | None]:
    """The folder a file would be created in (``folder``, or its nearest existing parent),
    and why feedbridge cannot write there (None: it can)."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return existing, f"{existing} is not a folder"
    try:
        handle, probe = tempfile.mkstemp(dir=existing, prefix=".feedbridge-doctor-")
        os.close(handle)
        os.unlink(probe)
    except OSError as error:
        return existing, f"cannot write in {existing} ({error.strerror or error})"
    return existing, None


# --- URLs in the config -------------------------------------------------------------


def check_base_url(base_url: str) -> Check:
    """Feeds are found at the base URL: a placeholder or plain http is a mistake to point out."""
    fix = "set site.base_url to the public URL of the output folder (or pass --base-url to build)"
    parts = urlsplit(base_url)
    if _is_placeholder(parts.hostname or ""):
        return Check("base URL", False, f"{base_url} is a placeholder", fix, needed=False)
    if parts.scheme != "https":
        return Check(
            "base URL", False, f"{base_url} is not https: readers and browsers may refuse it",
            "publish over https (GitHub Pages does) and use that URL", needed=False,
        )
    return Check("base URL", True, base_url)


def check_contact(contact: str, path: Path | None = None) -> Check:
    """arXiv asks robots to say whom to reach: a placeholder reaches no one, nor does the
    project's own page (config.PLACEHOLDER_CONTACTS), which reaches its authors instead.
    ``path`` is the config file the line names."""
    host = contact.rpartition("@")[2] if "@" in contact else urlsplit(contact).hostname or ""
    if is_placeholder_contact(contact) or _is_placeholder(host.lower()):
        where = f" in {path}" if path is not None else ""
        return Check(
            "arXiv contact", False, f"arxiv.contact{where} is a placeholder ({contact})",
            f"set arxiv.contact{where} to your e-mail (mailto:…) or a URL where you can be reached",
            needed=False,
        )
    return Check("arXiv contact", True, contact)


def _is_placeholder(host: str) -> bool:
    """A placeholder host, or any name under one (RFC 2606 reserves the whole domain)."""
    return any(host == name or host.endswith(f".{name}") for name in _PLACEHOLDER_HOSTS)


# --- network ----------------------------------------------------------------------


def _probe_fetcher(contact: str, timeout: float) -> Fetcher:
    """One attempt per URL, no waiting and no cache: a doctor reports, it does not insist."""
    settings = FetchSettings(user_agent=user_agent(contact), timeout=timeout, retries=0, min_interval=0)
    return Fetcher(settings, None)


def check_arxiv(config: Config, fetcher: Fetcher) -> Check:
    """The first feed, fetched and parsed as `build` would."""
    url = config.feed_url_for(config.feeds[0])
    try:
        feed = parse_feed(fetcher.fetch(url).body, url)
    except FeedbridgeError as error:
        return Check("arXiv", False, str(error), "check the network, and arxiv.feed_url and the category")
    return Check("arXiv", True, f"{url}: {len(feed.papers)} papers announced")


def check_api(api_url: str, fetcher: Fetcher) -> Check:
    """The arXiv API: only comments depend on it, so a failure is advice."""
    url = query_url(api_url, [API_PROBE_ID])
    try:
        parse_answer(fetcher.fetch(url).body, url)
    except FeedbridgeError as error:
        return Check(
            "arXiv API", False, str(error),
            "entries will go out without the authors' comments until it answers", needed=False,
        )
    return Check("arXiv API", True, f"{api_url} answers")


def check_index(fetcher: Fetcher, *, needed: bool) -> Check:
    """The Argos package index, needed only to install a missing package."""
    url = packages.package_index_url() + "index.json"
    try:
        entries = json.loads(fetcher.fetch(url).body)
        if not isinstance(entries, list):
            raise ValueError("not a JSON list")
    except FeedbridgeError as error:
        detail = str(error)
    except ValueError as error:
        detail = f"{url}: not an Argos package index ({error})"
    else:
        return Check("Argos package index", True, f"{url}: {len(entries)} packages")
    fix = "check the network, or set ARGOS_PACKAGE_INDEX; offline, install with 'feedbridge models install --file'"
    return Check("Argos package index", False, detail, fix, needed=needed)


def check_published(config: Config, fetcher: Fetcher, now: datetime) -> Check:
    """The published site's status.json, and how many of arXiv's announcements reached its
    feeds since it was written: more than STALE_AFTER_ANNOUNCEMENTS, and the schedule has
    stopped, or fails (advice: a build still works)."""
    url = config.base_url + STATUS_FILE
    fix = "look at the publish workflow's runs: re-enable its schedule, or fix what fails it"
    try:
        status = json.loads(fetcher.fetch(url).body)
        generated = datetime.fromisoformat(status["generated"])
        if generated.utcoffset() is None:
            raise ValueError("a time without an offset")
    except NotFoundError:
        return Check("published site", False, f"{url}: not found, nothing is published yet",
                     "run the publish workflow once", needed=False)
    except FeedbridgeError as error:
        return Check("published site", False, str(error), "check site.base_url and the Pages site", needed=False)
    except (ValueError, KeyError, TypeError) as error:
        return Check("published site", False, f"{url}: says no run time ({type(error).__name__}: {error});"
                     " a site published before feedbridge 0.2 has none", "publish it once with this feedbridge",
                     needed=False)
    # Each label day from the one after the run's New York date: a feed changes at its midnight.
    since = announcement_days(generated.astimezone(NEW_YORK).date() + timedelta(days=1),
                              now.astimezone(NEW_YORK).date(), config.holidays)
    last = status.get("last_success") or "none"
    detail = f"{url}: written {generated.isoformat()}, last successful run {last}"
    if len(since) >= STALE_AFTER_ANNOUNCEMENTS:
        missed = ", ".join(day.isoformat() for day in since)
        return Check("published site", False, f"{detail}; {len(since)} announcements since ({missed})", fix,
                     needed=False)
    return Check("published site", True, detail, needed=False)
