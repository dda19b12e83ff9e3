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


@contextmanager
def output_lock(out_dir: Path) -> Iterator[None]:
    """Hold the output folder for one build: a second build on it fails at once instead of
    interleaving its writes. The lock file sits beside the folder (not inside, so it is
    never published), and the kernel drops the lock when the process ends, even killed."""
    out_dir = Path(out_dir)
    lock_path = out_dir.parent / f".{out_dir.name}.feedbridge-lock"
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock_path, "a+b")
    except OSError as err:
        raise OutputError(f"{lock_path}: cannot create the build lock: {err.strerror or err}")
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputError(
                f"{out_dir}: another feedbridge build is writing this folder (lock {lock_path}); "
                "run again when it has finished"
            ) from None
        yield
