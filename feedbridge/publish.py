"""The publish stage: a new site is built aside, verified, and only then swapped in.

The output folder is never written in place. A build writes the whole new site into a
staging folder beside it, ``.<name>.staging``; verification reads it there; the swap is a
pair of renames on the same filesystem, marked by a third:

1. ``.<name>.staging`` → ``.<name>.verified``: the site passed verification;
2. ``<name>`` → ``.<name>.previous``: the old site stepped aside;
3. ``.<name>.verified`` → ``<name>``: the new site is in place;
4. ``.<name>.previous`` is deleted.

A crash anywhere leaves a state the next build (or ``feedbridge verify``) completes with
``recover``: after step 1, the verified site is swapped in; before it, the staging
folder is thrown away and the old site stays. So after any kill the output folder is,
once recovered, either the old site or the new one, whole. Every name sits beside the
output folder, never inside it, so no half-built file is ever published or served.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from collections.abc import Callable

from feedbridge.archive import FeedArchive, archive_path
from feedbridge.archive_file import dump
from feedbridge.atomicfile import output_lock, real_folder, write_atomic
from feedbridge.config import Config
from feedbridge.errors import FeedbridgeError, NotFoundError, OutputError
from feedbridge.previous import Found, PreviousSite, read_history, site_at
from feedbridge.render import FEED_WRITERS
from feedbridge.render.view import FeedView
from feedbridge.verify import Problem, feed_files, verify_site


class CarryError(FeedbridgeError):
    """A feed kept as published could not be copied from the previous site: the new site
    would lose it, so none is published."""

    def __init__(self, feed: str, reason: FeedbridgeError):
        super().__init__(f"cannot keep {feed} as published: {reason}")
        self.feed = feed


def _beside(out_dir: Path, role: str) -> Path:
    return out_dir.parent / f".{out_dir.name}.{role}"


def staging_dir(out_dir: Path) -> Path:
    """Where a build assembles the new site."""
    return _beside(out_dir, "staging")


def stage(out_dir: Path) -> Path:
    """An empty staging folder for a new site (an unverified one a killed build left is
    thrown away)."""
    staging = staging_dir(out_dir)
    try:
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir(parents=True)
    except OSError as err:
        raise OutputError(f"{staging}: cannot create the staging folder: {err.strerror or err}") from None
    return staging


def discard(out_dir: Path) -> None:
    """Throw away a staging folder whose site will not be published."""
    _remove(staging_dir(out_dir))


def write_feed(site: Path, view: FeedView, archive: FeedArchive) -> None:
    """The feed's files and archive, into the new site. Every feed writer renders first,
    so that one failing writes nothing."""
    files = {archive_path(view.name): dump(archive, view.name)}
    for writer in FEED_WRITERS:
        files.update(writer.render(view))
    for name, data in files.items():
        write_atomic(site / name, data)


def carry(previous: PreviousSite, name: str, site: Path) -> None:
    """Copy a feed's published files into the new site byte for byte: a feed that failed
    or was not built this run stays exactly as it was. A feed never published has none."""
    for path in feed_files(name):
        try:
            data = previous.read(path)
        except NotFoundError:
            continue
        except FeedbridgeError as err:
            raise CarryError(name, err) from None
        try:
            write_atomic(site / path, data)
        except OutputError as err:
            raise CarryError(name, err) from None


def swap(staging: Path, out_dir: Path) -> None:
    """Replace the output folder with the verified staging folder (steps 1 to 4). A step
    that fails (the output folder is a mount point, say) undoes the ones before it, so
    that the old site stays and no half-done swap waits for the next run."""
    verified, previous = _beside(out_dir, "verified"), _beside(out_dir, "previous")
    _sync_tree(staging)
    _rename(staging, verified)
    try:
        if out_dir.exists():
            _rename(out_dir, previous)
        try:
            _rename(verified, out_dir)
        except OutputError:
            if previous.exists():
                _rename(previous, out_dir)
            raise
    except OutputError:
        _rename(verified, staging)
        raise
    _remove(previous)


def recover(out_dir: Path) -> list[str]:
    """Finish or undo what a killed build left beside ``out_dir``; what was done, in words.

    Call it only while holding the folder's output lock.
    """
    verified, previous, staging = _beside(out_dir, "verified"), _beside(out_dir, "previous"), staging_dir(out_dir)
    done = []
    if verified.exists():
        if out_dir.exists() and previous.exists():
            raise OutputError(
                f"{out_dir}: an interrupted swap left both {previous} and {verified}; keep the one to publish as"
                f" {out_dir} and delete the others"
            )
        if out_dir.exists():
            _rename(out_dir, previous)
        _rename(verified, out_dir)
        done.append(f"finished the swap an interrupted build began: {out_dir} is its verified site")
    elif previous.exists() and not out_dir.exists():
        _rename(previous, out_dir)  # not reached by swap's order; a hand-made state is undone
        done.append(f"put {previous} back as {out_dir}")
    if previous.exists():
        _remove(previous)
        done.append(f"removed {previous}, the site an interrupted swap replaced")
    if staging.exists():
        _remove(staging)
        done.append(f"removed {staging}, an unverified site an interrupted build left")
    return done


def _rename(source: Path, target: Path) -> None:
    try:
        os.rename(source, target)
        _sync_dir(target.parent)
    except OSError as err:
        raise OutputError(f"{target}: cannot move {source} there: {err.strerror or err}") from None


def _remove(folder: Path) -> None:
    try:
        shutil.rmtree(folder)
    except FileNotFoundError:
        pass
    except OSError as err:
        raise OutputError(f"{folder}: cannot remove: {err.strerror or err}") from None


def _sync_tree(folder: Path) -> None:
    """Flush every folder's entries to disk, so that a power cut after the swap cannot
    leave a published folder whose files were never written (each file is already
    flushed by write_atomic)."""
    for path in [folder, *(p for p in folder.rglob("*") if p.is_dir())]:
        _sync_dir(path)


def _sync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def verify_output(site: Path, config: Config, previous: str | None, base_url: str | None,
                  log: Callable[[str], None]) -> list[Problem]:
    """``feedbridge verify``: finish an interrupted swap, then check the site against the
    config and, given a folder or URL, against the site published before it."""
    site = real_folder(site)
    with output_lock(site):
        for line in recover(site):
            log(line)
    if not site.is_dir():
        return [Problem(str(site), "no such folder")]
    archives, problems = None, []
    if previous is not None:
        before = site_at(previous, config)
        archives = {}
        for feed in config.feeds:
            history = read_history(before, feed.name)
            if history.found is Found.READ:
                archives[feed.name] = history.archive
            elif history.found is Found.UNKNOWN:
                problems.append(Problem(feed.name, f"cannot compare with the previous site: {history.origin}"))
    url = base_url or config.base_url
    return problems + verify_site(site, config, url if url.endswith("/") else url + "/", archives)
