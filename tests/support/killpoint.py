"""Run the feedbridge CLI and SIGKILL it at a chosen point of the build.

The crash tests need to stop a build exactly at its Nth fetch, translation batch or file
write, with no chance to clean up, as a power cut or an OOM killer would:

    python tests/support/killpoint.py POINT N COUNTS_FILE -- FEEDBRIDGE_ARGS...

POINT is one of ``fetch`` (a response's headers are in, its body not yet read),
``batch`` (a translation batch has come back from the model), ``written`` (a new
file's bytes are flushed to its temporary file in the staging folder, not yet renamed),
``replaced`` (it has just been renamed into place there), ``verify`` (verification is
about to check a feed of the staged site), ``swap`` (the swap is about to take its next
step: each rename, and the removal of the old site), ``after`` (N milliseconds after
start) or ``none``.
Every point reached is counted into COUNTS_FILE (JSON) when the run ends by itself,
so an uninterrupted run tells the tests how many kill points a build has.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import threading
from collections import Counter

TEMPORARY = re.compile(r"^\..+\.tmp$")  # write_atomic's temporary files
POINTS = ("fetch", "batch", "written", "replaced", "verify", "swap")


def main(argv: list[str]) -> None:
    point, n, counts_path = argv[0], int(argv[1]), argv[2]
    args = argv[argv.index("--") + 1:]
    counts: Counter[str] = Counter()

    def reached(name: str) -> None:
        counts[name] += 1
        if name == point and counts[name] == n:
            os.kill(os.getpid(), signal.SIGKILL)

    _hook_points(reached)
    if point == "after":
        threading.Timer(n / 1000, os.kill, (os.getpid(), signal.SIGKILL)).start()

    from feedbridge.cli import cli

    try:
        cli.main(args, prog_name="feedbridge")
    finally:
        with open(counts_path, "w") as handle:
            json.dump(counts, handle)


def _hook_points(reached) -> None:
    """Wrap the calls where each kind of kill point lies."""
    from feedbridge import fetch, publish, verify
    from feedbridge.translate.ct2 import BatchRunner

    read_body = fetch._read_body

    def reading(*args, **kwargs):
        reached("fetch")
        return read_body(*args, **kwargs)

    fetch._read_body = reading

    run = BatchRunner.run

    def running(self, tokenized, *, retry=False, progress=None, **options):
        def advanced(count):
            if progress is not None:
                progress(count)
            reached("batch")

        return run(self, tokenized, retry=retry, progress=advanced, **options)

    BatchRunner.run = running

    fsync, replace = os.fsync, os.replace

    def syncing(fd):
        fsync(fd)
        if TEMPORARY.match(os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))):
            reached("written")

    def replacing(source, target, **kwargs):
        replace(source, target, **kwargs)
        if TEMPORARY.match(os.path.basename(source)):
            reached("replaced")

    os.fsync, os.replace = syncing, replacing

    def before(point, function):
        def reaching(*args, **kwargs):
            reached(point)
            return function(*args, **kwargs)

        return reaching

    verify.check_feed = before("verify", verify.check_feed)
    publish._rename = before("swap", publish._rename)
    publish._remove = before("swap", publish._remove)


if __name__ == "__main__":
    main(sys.argv[1:])
