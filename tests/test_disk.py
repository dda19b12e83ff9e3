"""A disk that refuses writes: a file-size limit, a full filesystem, a read-only output
folder. The run says which file on one line and exits non-zero; every published file
stays whole (a feed that could not be written keeps its previous bytes); the
translation memory is left alone; and the next run on a healthy disk heals.

The full and read-only filesystems are real mounts (tmpfs, a read-only bind) made in a
private mount namespace with ``unshare``, so nothing outside the test sees them.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from support.killpoint import TEMPORARY
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
    assert lines and all("/out/" in line for line in lines), process.stderr


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
    after = published(scene.out)
    assert not [name for name in after if TEMPORARY.match(Path(name).name)]
    assert after["quant-ph.ja.xml"] == old["quant-ph.ja.xml"]  # too big to write: kept as it was
    resume_and_compare(scene, old, new)


def confined(scene: Scene, mount: str) -> subprocess.CompletedProcess:
    """The build with ``mount`` applied over its output folder in a private namespace;
    what it leaves there is copied back, since the mount ends with the namespace."""
    hidden = scene.root / "seen"
    script = f'{mount} && "$@"; code=$?; cp -a "$OUT"/. "$SEEN"/; exit $code'
    env = {**scene.env, "OUT": str(scene.out), "SEEN": str(hidden)}
    hidden.mkdir()
    build = [sys.executable, "-c", RUN_BUILD, "build", "--config", str(scene.config)]
    command = [*UNSHARE, "sh", "-c", script, "sh", *build]
    process = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert "mount:" not in process.stderr, process.stderr
    return process


def test_a_full_filesystem_keeps_every_published_file_whole(tmp_path, feed_server, days):
    start, old, new = days
    scene = start.copy(tmp_path / "full", feed_server.url)
    room = sum(map(len, old.values())) + 40_000  # day 1, and not enough for day 2 as well
    process = confined(scene, f'mount -t tmpfs -o size={room} tmpfs "$OUT" && cp -a "{start.out}"/. "$OUT"/')
    assert_reported(process, "No space left on device")
    seen = scene.root / "seen"
    assert not [name for name in published(seen) if TEMPORARY.match(Path(name).name)]
    assert_old_or_new(seen, old, new)
    assert published(scene.out) == old  # the real folder under the mount was never touched
    assert_no_memory_moved_aside(scene)
    resume_and_compare(scene, old, new)


def test_a_read_only_output_folder_fails_the_run_and_changes_nothing(tmp_path, feed_server, days):
    start, old, new = days
    scene = start.copy(tmp_path / "read-only", feed_server.url)
    process = confined(scene, 'mount --bind "$OUT" "$OUT" && mount -o remount,bind,ro "$OUT"')
    assert process.returncode == 1
    assert_reported(process, "Read-only file system")
    assert published(scene.root / "seen") == old
    resume_and_compare(scene, old, new)
