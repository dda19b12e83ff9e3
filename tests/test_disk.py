"""A disk that refuses writes: a file-size limit, a full filesystem, a read-only folder.
The run says which file on one line and exits non-zero; the output folder is the old
site, or a verified new one in which a feed that could not be written keeps its
previous bytes; the translation memory is left alone; and the next run on a healthy
disk heals.

The full and read-only filesystems are real mounts (tmpfs, a read-only bind) made in a
private mount namespace with ``unshare``, so nothing outside the test sees them.
"""

from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from support.scenes import Scene, assert_cache_sound, assert_old_or_new, published, resume_and_compare

RUN_BUILD = "from feedbridge.cli import main; main()"
# unshare -m needs root's CAP_SYS_ADMIN; anyone else maps to root in a user namespace.
UNSHARE = ["unshare", "--mount"] if os.geteuid() == 0 else ["unshare", "--map-root-user", "--mount"]


def build_process(scene: Scene, **kwargs) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", RUN_BUILD, "build", "--config", str(scene.config)]
    return subprocess.run(command, env=scene.env, capture_output=True, text=True, timeout=120, **kwargs)


def assert_reported(process: subprocess.CompletedProcess, reason: str) -> None:
    """Non-zero, no traceback, and the reason on a line that names a file of the run."""
    assert process.returncode in (1, 4), process.stderr
    assert "Traceback" not in process.stderr
    lines = [line for line in process.stderr.splitlines() if reason in line]
    assert lines and all(re.search(r"/\.?out[/.]", line) for line in lines), process.stderr


def assert_no_memory_moved_aside(scene: Scene) -> None:
    assert not list(scene.cache.glob("*.corrupt-*")), "a healthy translation memory was moved aside"
    assert_cache_sound(scene.cache)


@pytest.mark.parametrize("limit", [3_000, 12_000, 30_000])
def test_a_file_size_limit_fails_the_writes_it_must_and_keeps_the_rest_whole(tmp_path, feed_server, days, limit):
    """RLIMIT_FSIZE: the kernel refuses any write past ``limit`` bytes (EFBIG), here the
    big feeds and pages first, and the translation memory's growth."""
    start, old, new = days
    scene = start.copy(tmp_path / "limited", feed_server.url)

    def limited():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an error from write(), not a killed process
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    process = build_process(scene, preexec_fn=limited)
    assert_reported(process, "File too large")
    assert "translation memory unavailable" in process.stderr
    assert_no_memory_moved_aside(scene)
    if process.returncode == 1:  # nothing published: the old site, byte for byte
        assert published(scene.out) == old
    else:  # published, with the feeds that could not be written as they were
        scene.verify()
        assert_old_or_new(scene.out, old, new)
    resume_and_compare(scene, old, new)


def confined(scene: Scene, mount: str) -> tuple[subprocess.CompletedProcess, Path]:
    """The build with ``mount`` applied over the scene's folder (its config, cache, output
    folder and what the build puts beside it) in a private namespace; what the output
    folder holds then is copied out, since the mount ends with the namespace."""
    seen = scene.root.with_name(f"{scene.root.name}-seen")
    script = f'{mount} && "$@"; code=$?; cp -a "$OUT"/. "$SEEN"/; exit $code'
    env = {**scene.env, "ROOT": str(scene.root), "OUT": str(scene.out), "SEEN": str(seen)}
    seen.mkdir()
    build = [sys.executable, "-c", RUN_BUILD, "build", "--config", str(scene.config)]
    command = [*UNSHARE, "sh", "-c", script, "sh", *build]
    process = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert "mount:" not in process.stderr, process.stderr
    return process, seen


PAGE = os.sysconf("SC_PAGE_SIZE")


def test_a_full_filesystem_keeps_every_published_file_whole(tmp_path, feed_server, days):
    start, old, new = days
    scene = start.copy(tmp_path / "full", feed_server.url)
    # tmpfs gives each file whole pages: count day 1 as it will take them
    used = sum(-(-p.stat().st_size // PAGE) * PAGE for p in scene.root.rglob("*") if p.is_file())
    room = used + 40_000  # day 1, and not enough for day 2 beside it
    copy = f'cp -a "$ROOT" "$ROOT.copy" && mount -t tmpfs -o size={room} tmpfs "$ROOT" && cp -a "$ROOT.copy"/. "$ROOT"/'
    process, seen = confined(scene, copy)
    assert_reported(process, "No space left on device")
    assert process.returncode == 1
    assert published(seen) == old  # nothing published: the old site, byte for byte
    assert published(scene.out) == old  # the real folder under the mount was never touched
    assert_no_memory_moved_aside(scene)
    resume_and_compare(scene, old, new)


def test_a_read_only_folder_fails_the_run_and_changes_nothing(tmp_path, feed_server, days):
    start, old, new = days
    scene = start.copy(tmp_path / "read-only", feed_server.url)
    process, seen = confined(scene, 'mount --bind "$ROOT" "$ROOT" && mount -o remount,bind,ro "$ROOT"')
    assert process.returncode == 1
    assert_reported(process, "Read-only file system")
    assert published(seen) == old
    resume_and_compare(scene, old, new)
