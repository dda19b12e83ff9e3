"""The previous state: the site the last successful run published, which a run builds on.

A run reads it from one place, and says which:

- the **output folder**, when it holds a site. On the CI runner the workflow restores
  into it the site the last successful run deployed (from the Actions cache); for a
  person it is the last build. It is set aside when the live site at the base URL is
  newer (its ``status.json`` names a later announcement day): the cache missed a deploy.
- otherwise the **published site** at the base URL;
- ``--offline`` never touches the network: an output folder without a site means every
  feed is new.

A build from what ``feedbridge fetch`` saved (``--from-dir DIR``) finds the site that
fetch chose by these same rules kept in ``DIR/previous`` (``save_site``), and
``DIR/previous.json`` saying where it was read and which files could not be read. That
copy stands for the published site: it is taken over an output folder without a site or
with an older one, and the network is not asked.

Per feed, only "not found" (HTTP 404 or 410, a missing file) means the feed is new.
Anything else unreadable (a 5xx, a timeout, HTML or a truncated file at 200, a field of
the wrong type, a newer archive format) leaves the feed's previous state **unknown**: it
cannot be carried over, so the run publishes no new site at all. A file fetch could not
read stays unreadable in its saved copy, with the reason it gave.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Protocol

from feedbridge.archive import FeedArchive, archive_path
from feedbridge.archive_file import load
from feedbridge.atomicfile import write_atomic
from feedbridge.config import ARCHIVE_DIR, STATUS_FILE, Config
from feedbridge.errors import FeedbridgeError, NotFoundError, OutputError
from feedbridge.fetch import Fetcher, fetcher_for

SITE_MAX_BYTES = 256 * 2**20  # a feed's archive holds its whole window; arXiv's 8 MiB cap is too small
SAVED_SITE = "previous"  # feedbridge fetch's DIR/previous: the previous site's files a build reads
SAVED_SITE_RECORD = "previous.json"  # DIR/previous.json: where they were read, which could not be


def site_fetcher(config: Config) -> Fetcher:
    """Reads our own site, not arXiv: no politeness pause, no conditional-GET cache, and
    short retries, so that an unreachable site costs seconds per feed, not minutes."""
    return fetcher_for(config, cache=False, min_interval=0, max_bytes=SITE_MAX_BYTES,
                       retries=min(config.retries, 2), backoff=min(config.backoff, 1.0))


def site_at(location: str, config: Config) -> PreviousSite:
    """A previous site named on the command line: a folder, or an http(s) URL."""
    if location.startswith(("http://", "https://")):
        return PublishedSite(location if location.endswith("/") else location + "/", site_fetcher(config))
    return LocalSite(Path(location))


class Found(str, Enum):
    """What a run knows of a feed's previous state."""

    READ = "read"  # its archive was read
    NEW = "new"  # never published: the archive is not there
    UNKNOWN = "unknown"  # something is there, or may be, that could not be read

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class History:
    """A feed's archive as found at the start of a run, and where it came from."""

    archive: FeedArchive
    origin: str  # for the run summary: where the history was read, or why there is none
    found: Found = Found.READ


class PreviousSite(Protocol):
    """Where the previous state is read: one file of the site at a time."""

    description: str  # for the run's output: "the output folder site/", "the published site at …"

    def read(self, path: str) -> bytes:
        """The file at ``path`` (relative to the site's root); NotFoundError when it is not
        there, another FeedbridgeError when it cannot be read."""

    def where(self, path: str) -> str:
        """The file's path or URL, for messages."""


class LocalSite:
    def __init__(self, folder: Path):
        self.folder = folder
        self.description = f"the output folder {folder}"

    def read(self, path: str) -> bytes:
        try:
            return (self.folder / path).read_bytes()
        except FileNotFoundError:
            raise NotFoundError(f"{self.where(path)}: not found") from None
        except OSError as err:
            raise FeedbridgeError(f"{self.where(path)}: cannot read: {err.strerror or err}") from None

    def where(self, path: str) -> str:
        return str(self.folder / path)


class PublishedSite:
    def __init__(self, base_url: str, fetcher: Fetcher):
        self.base_url = base_url
        self.fetcher = fetcher
        self.description = f"the published site at {base_url}"

    def read(self, path: str) -> bytes:
        return self.fetcher.fetch(self.where(path)).body

    def where(self, path: str) -> str:
        return self.base_url + path


class SpooledSite:
    """The published site as this run first read it: each file it reads is kept in
    ``folder``, so that the run can read a feed's archive again when that feed's turn
    comes (a run holds one feed's archive at a time) without asking the site again, and
    sees the same bytes both times."""

    def __init__(self, site: PublishedSite, folder: Path):
        self.site = site
        self.folder = folder
        self.description = site.description

    def read(self, path: str) -> bytes:
        kept = self.folder / path
        if kept.is_file():
            return kept.read_bytes()
        data = self.site.read(path)
        write_atomic(kept, data)  # a copy cut short is never read back as the file
        return data

    def where(self, path: str) -> str:
        return self.site.where(path)


class SavedSite(LocalSite):
    """The previous site as ``feedbridge fetch`` read it (module docstring): its files in
    ``DIR/previous``; a file fetch could not read fails again here with fetch's reason,
    so that an unknown history stays unknown."""

    def __init__(self, from_dir: Path, read_from: str, unreadable: Mapping[str, str]):
        super().__init__(from_dir / SAVED_SITE)
        self.unreadable = dict(unreadable)
        self.description = f"the previous site saved by feedbridge fetch in {self.folder} (from {read_from})"

    def read(self, path: str) -> bytes:
        if path in self.unreadable:
            raise FeedbridgeError(f"{self.where(path)}: feedbridge fetch could not read it: {self.unreadable[path]}")
        return super().read(path)


def saved_site(from_dir: Path) -> SavedSite | None:
    """The previous site ``feedbridge fetch`` saved in ``from_dir``; None when it saved none
    (feeds saved by other means). A record that cannot be read stops the run: building
    on a guess could drop what was published."""
    record = from_dir / SAVED_SITE_RECORD
    if not record.exists():
        return None
    try:
        data = json.loads(record.read_bytes())
        read_from, unreadable = data["read_from"], data["unreadable"]
        if not isinstance(read_from, str) or not all(isinstance(v, str) for v in unreadable.values()):
            raise TypeError("a field of the wrong type")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise FeedbridgeError(f"{record}: not the record feedbridge fetch writes ({type(err).__name__}: {err})"
                              ) from None
    return SavedSite(from_dir, read_from, unreadable)


def save_site(site: PreviousSite, paths: Iterable[str], out: Path) -> SavedSite:
    """Keep what a build reads of ``site`` in ``out/previous`` (``feedbridge fetch``): each
    of ``paths`` that is there; one not found is left out (a feed never published), one
    that cannot be read is recorded with why. The record is written last, so a folder
    that lacks it is no saved site."""
    unreadable = {}
    for path in paths:
        try:
            data = site.read(path)
        except NotFoundError:
            continue
        except FeedbridgeError as err:
            unreadable[path] = str(err)
            continue
        write_atomic(out / SAVED_SITE / path, data)
    (out / SAVED_SITE).mkdir(parents=True, exist_ok=True)
    record = {"read_from": site.description, "unreadable": unreadable}
    write_atomic(out / SAVED_SITE_RECORD, json.dumps(record, ensure_ascii=False, indent=1).encode("utf-8") + b"\n")
    return SavedSite(out, site.description, unreadable)


class NoSite:
    """Offline with an empty output folder: nothing was published that this run can know."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.description = f"none (--offline, and the output folder {folder} holds no site yet): every feed is new"

    def read(self, path: str) -> bytes:
        raise NotFoundError(f"{self.where(path)}: not found")

    def where(self, path: str) -> str:
        return str(self.folder / path)


def holds_site(folder: Path) -> bool:
    """Whether ``folder`` holds a site a feedbridge build made; an empty or missing folder
    does not, and a folder with other files in it is refused rather than replaced."""
    if not folder.is_dir() or not any(folder.iterdir()):
        return False
    if (folder / STATUS_FILE).is_file() or (folder / ARCHIVE_DIR).is_dir():
        return True
    raise OutputError(
        f"{folder}: holds files but no feedbridge site (no {STATUS_FILE}, no archive/); a build replaces the"
        " whole output folder, so build into an empty folder or one a build made"
    )


def previous_site(out_dir: Path, base_url: str, fetcher: Fetcher | None,
                  saved: SavedSite | None = None) -> tuple[PreviousSite, str | None]:
    """Choose where the previous state is read (module docstring), and a warning when the
    live site could not be compared with the output folder. ``fetcher`` is None offline;
    ``saved``, what feedbridge fetch kept of the live site, stands for it."""
    local = LocalSite(out_dir)
    if saved is None and fetcher is None:
        return (local if holds_site(out_dir) else NoSite(out_dir)), None
    published = saved if saved is not None else PublishedSite(base_url, fetcher)
    if not holds_site(out_dir):
        return published, None
    try:
        live = _newest_day(published.read(STATUS_FILE))
    except NotFoundError:
        return local, None
    except FeedbridgeError as err:
        live_site = "the live site" if saved is None else saved.description
        return local, f"could not compare the output folder with {live_site} ({err}); building on the output folder"
    try:
        here = _newest_day(local.read(STATUS_FILE))
    except FeedbridgeError:
        here = None
    if live is not None and (here is None or live > here):
        published.description += f" (newer than the output folder's: {live} against {here})"
        return published, None
    return local, None


def previous_status(site: PreviousSite) -> dict:
    """The previous site's status.json; empty when there is none or it is not a JSON object.
    It only tells what the status feed said before and which feeds were published, so an
    unreadable one costs that, never the run."""
    try:
        status = json.loads(site.read(STATUS_FILE))
    except (FeedbridgeError, ValueError):
        return {}
    return status if isinstance(status, dict) else {}


def dropped_feeds(status: dict, config: Config) -> list[str]:
    """The feeds the previous site's status.json names that the config no longer has: the
    new site leaves them out, and the run says so. A status that cannot be read names none."""
    try:
        names = [feed["name"] for feed in status["feeds"]]
    except (KeyError, TypeError):
        return []
    configured = {feed.name for feed in config.feeds}
    return [name for name in names if isinstance(name, str) and name not in configured]


def _newest_day(status: bytes) -> date | None:
    """The latest announcement day a status.json names; FeedbridgeError if it is not one."""
    try:
        feeds = json.loads(status)["feeds"]
        days = [date.fromisoformat(f["last_announcement"]) for f in feeds if f.get("last_announcement")]
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise FeedbridgeError(f"{STATUS_FILE} is not a feedbridge status ({type(err).__name__}: {err})") from None
    return max(days, default=None)


def read_history(site: PreviousSite, name: str) -> History:
    """A feed's archive from the previous site: read, new (not found), or unknown."""
    path = archive_path(name)
    try:
        data = site.read(path)
    except NotFoundError:
        return History(FeedArchive(), f"new: {site.where(path)} not found", Found.NEW)
    except FeedbridgeError as err:
        return History(FeedArchive(), f"unknown: {err}", Found.UNKNOWN)
    try:
        return History(load(data, site.where(path)), f"read from {site.where(path)}")
    except FeedbridgeError as err:
        return History(FeedArchive(), f"unknown: {err}", Found.UNKNOWN)


@dataclass
class Histories:
    """Every configured feed's history as checked at the start of a run: what was found,
    where, and how many entries. A feed's archive is read again (``read``) when its turn
    comes, so a run holds one feed's archive at a time however many it publishes."""

    site: PreviousSite
    found: dict[str, Found] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)  # entries in the window

    @classmethod
    def check(cls, site: PreviousSite, names: Iterable[str],
              observe: Callable[[str, History], None] = lambda name, history: None) -> Histories:
        """Read each feed's history once; ``observe`` sees each while it is in memory."""
        histories = cls(site)
        for name in names:
            history = read_history(site, name)
            histories.found[name], histories.origins[name] = history.found, history.origin
            histories.sizes[name] = len(history.archive.entries)
            observe(name, history)
        return histories

    def read(self, name: str) -> History:
        """The feed's history again, as it was checked; an unknown one stays unknown. One
        that was read and can no longer be (its file changed under the run) stops the run:
        an empty window in its place would lose the feed's published entries."""
        if self.found[name] is not Found.READ:
            return History(FeedArchive(), self.origins[name], self.found[name])
        history = read_history(self.site, name)
        if history.found is not Found.READ:
            raise FeedbridgeError(f"{name}: its history was read at the start of the run and no longer is"
                                  f" ({history.origin})")
        return history

    def archives(self) -> Mapping[str, FeedArchive]:
        """The archives that were read, by feed name, each read when looked up."""
        return _Archives(self)


class _Archives(Mapping):
    def __init__(self, histories: Histories):
        self.histories = histories
        self.names = [name for name, found in histories.found.items() if found is Found.READ]

    def __getitem__(self, name: str) -> FeedArchive:
        if name not in self.names:
            raise KeyError(name)
        return self.histories.read(name).archive

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)
