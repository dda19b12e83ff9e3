"""Builds killed with SIGKILL at every point: the output folder is then the old site or
the new one, whole (once ``verify`` has finished an interrupted swap), and the next run
finishes with exactly what an uninterrupted run would have published.

Day 2 is built from a copy of day 1's output and cache (tests/support/scenes.py) by a separate
process killed (tests/support/killpoint.py) at each fetch, each translation batch, each file's
write into the staging folder before and after its rename, each feed's verification, each
step of the swap, and at times spread over a whole run.
"""

from __future__ import annotations

import shutil
import time

from support.killpoint import POINTS
from support.scenes import published, resume_and_compare


def test_killed_at_every_fetch_batch_and_write_the_next_run_heals(tmp_path, feed_server, days):
    start, old, new = days
    counted = start.copy(tmp_path / "counted", feed_server.url)
    code, points = counted.build_killed("none", 0)
    assert code == 0
    assert published(counted.out).keys() == new.keys()
    assert points["fetch"] == 2  # the live site's status.json (to compare with the output folder), and the feed
    assert points["batch"] >= 3 and points["written"] == points["replaced"] >= 12
    assert points["verify"] == 2  # quant-ph.ja and entanglement.ja
    assert points["swap"] == 4  # marked verified, old aside, new in place, old removed
    # Every fetch, write, feed verified and step of the swap; the first, middle and last
    # translation batches.
    kills = [(point, n) for point in POINTS if point != "batch" for n in range(1, points[point] + 1)]
    kills += [("batch", n) for n in sorted({1, points["batch"] // 2, points["batch"]})]
    for point, n in kills:
        scene = start.copy(tmp_path / f"{point}-{n}", feed_server.url)
        code, _ = scene.build_killed(point, n)
        assert code == -9, f"{point} {n}: the run was not killed"
        resume_and_compare(scene, old, new)
        shutil.rmtree(scene.root)


def test_killed_at_times_spread_over_a_run_the_next_run_heals(tmp_path, feed_server, days):
    start, old, new = days
    timed = start.copy(tmp_path / "timed", feed_server.url)
    began = time.monotonic()
    assert timed.build_killed("none", 0)[0] == 0
    whole = time.monotonic() - began
    killed = 0
    for step in range(1, 9):
        scene = start.copy(tmp_path / f"after-{step}", feed_server.url)
        code, _ = scene.build_killed("after", int(whole * 1000 * step / 9))
        killed += code == -9
        resume_and_compare(scene, old, new)
        shutil.rmtree(scene.root)
    assert killed >= 4  # the late ones may finish first on a fast machine
