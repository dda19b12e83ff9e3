"""Write files so a reader never sees a half-written or missing one (feeds, state, caches)."""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from feedbridge.errors import OutputError


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path``, flush it to disk, then rename over it."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as err:
        raise OutputError(f"{path}: cannot write: {err.strerror or err}")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as err:  # Ctrl-C too: no temporary file is left behind
        Path(tmp).unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise OutputError(f"{path}: cannot write: {err.strerror or err}") from None
        raise


def real_folder(out_dir: Path) -> Path:
    """The output folder's real path, with every symlink, '.' and '..' resolved: what sits
    beside it (the build lock, the staging folder, the swap's folders) is then the same for
    every spelling of one folder (a symlink to it, ``--out .``, ``sub/..``) and never inside
    it, and the swap replaces the folder, never a symlink to it."""
    real = Path(os.path.realpath(out_dir))
    if real.parent == real:
        raise OutputError(f"{out_dir}: the output folder cannot be a file system's root: its build lock sits beside it")
    return real


def lock_path(out_dir: Path) -> Path:
    """Where the build lock of ``out_dir`` lives: beside its real folder, outside it (inside,
    it would be published, and the swap would carry it away)."""
    real = real_folder(out_dir)
    return real.parent / f".{real.name}.feedbridge-lock"


@contextmanager
def output_lock(out_dir: Path) -> Iterator[None]:
    """Hold the output folder for one build: a second build on it fails at once instead of
    interleaving its writes. The lock file sits beside the folder (``lock_path``), and the
    kernel drops the lock when the process ends, even killed."""
    out_dir = Path(out_dir)
    lock = lock_path(out_dir)
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock, "a+b")
    except OSError as err:
        raise OutputError(f"{lock}: cannot create the build lock: {err.strerror or err}")
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputError(
                f"{out_dir}: another feedbridge build is writing this folder (lock {lock}); "
                "run again when it has finished"
            ) from None
        yield
