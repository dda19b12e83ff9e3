"""Two days of builds for the crash and disk tests: day 1's output and cache, and the
output of an uninterrupted day 2 built on a copy of them, to compare a damaged run with.

Day 2 brings new papers, cross-lists and a replacement with a changed abstract; its
history comes from day 1's output served as the published site.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree, html

from feedbridge.cli import cli
from support.checks import assert_valid_atom
from support.config import write_config
from support.feeds import ADDED_SENTENCE, TOPIC, as_version, day_document, items
from support.killpoint import TEMPORARY
from support.paths import REPO, TOY
from support.server import LoopbackServer

KILLPOINT = Path(__file__).with_name("killpoint.py")


CLOCK = int(datetime(2025, 4, 29, 14, tzinfo=timezone.utc).timestamp())


def documents() -> tuple[bytes, bytes]:
    groups = items()
    new, cross = groups["new"], groups["cross"]
    return (
        day_document(date(2025, 4, 28), new[:6] + cross[:2]),
        day_document(date(2025, 4, 29), new[6:12] + cross[2:4] + [as_version(new[1], 2, "replace", ADDED_SENTENCE)]),
    )


class Scene:
    """One build state (output folder and cache) in its own folder, and the config to build it."""

    def __init__(self, root: Path, server_url: str):
        self.root = root
        self.out = root / "out"
        self.cache = root / "cache"
        self.config = write_config(
            root, feeds=["quant-ph"], topics=[TOPIC], base_url=f"{server_url}/site/", window_days=2,
            translation={"batch_tokens": 512, "model": TOY}, feed_url=f"{server_url}/rss/{{category}}", enrich=False,
        )

    def copy(self, root: Path, server_url: str) -> "Scene":
        scene = Scene(root, server_url)
        for folder in ("out", "cache"):
            if (self.root / folder).exists():
                shutil.copytree(self.root / folder, root / folder)
        return scene

    @property
    def env(self) -> dict[str, str]:
        # One clock for every run, interrupted or not (day 2's morning): the same bytes are due.
        return {**os.environ, "FEEDBRIDGE_CACHE_DIR": str(self.cache), "PYTHONPATH": str(REPO),
                "SOURCE_DATE_EPOCH": str(CLOCK)}

    def build(self) -> None:
        result = CliRunner().invoke(cli, ["build", "--config", str(self.config)], env=self.env)
        assert result.exit_code == 0, result.output

    def verify(self) -> None:
        """`feedbridge verify` on the output folder: it finishes an interrupted swap first."""
        result = CliRunner().invoke(cli, ["verify", str(self.out), "--config", str(self.config)], env=self.env)
        assert result.exit_code == 0, result.output

    def build_killed(self, point: str, n: int) -> tuple[int, dict[str, int]]:
        """Run a build in its own process, killed at the ``n``th ``point``."""
        counts = self.root / "counts.json"
        process = subprocess.run(
            [sys.executable, str(KILLPOINT), point, str(n), str(counts), "--", "build", "--config", str(self.config)],
            env=self.env, capture_output=True, text=True, timeout=120,
        )
        reached = json.loads(counts.read_text()) if counts.exists() else {}
        assert process.returncode in (0, -9), process.stderr
        return process.returncode, reached


def published(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_well_formed(name: str, data: bytes) -> None:
    if name.endswith((".xml", ".opml")):
        etree.fromstring(data)
    elif name.endswith(".json"):
        json.loads(data)
    elif name.endswith(".html"):
        assert html.document_fromstring(data).find("body") is not None


def assert_old_or_new(out: Path, old: dict[str, bytes], new: dict[str, bytes]) -> None:
    """Every file is whole and holds day 1's or day 2's papers; only write_atomic's hidden
    temporaries may be left over, and the next run sweeps them away."""
    for name, data in published(out).items():
        if TEMPORARY.match(Path(name).name):
            continue
        assert_well_formed(name, data)
        versions = [content(name, v) for v in (old.get(name), new.get(name)) if v is not None]
        assert content(name, data) in versions, f"{name} is neither version"


def assert_cache_sound(cache: Path) -> None:
    """The fetch cache's files each parse, and the translation memory passes SQLite's check."""
    for path in cache.rglob("*"):
        if path.is_file() and not TEMPORARY.match(path.name):
            if path.suffix == ".json":
                json.loads(path.read_bytes())
            elif path.suffix == ".sqlite3":
                with sqlite3.connect(path) as db:
                    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


@pytest.fixture(scope="module")
def feed_server():
    """Serves the day's feed and, under /site/, the site published the day before."""
    with LoopbackServer() as server:
        yield server


def serve_feed(server, document: bytes, etag: str) -> None:
    """The feed with a validator, so that the build keeps it in its fetch cache."""
    server.routes["/rss/quant-ph"] = (200, {"Content-Type": "application/rss+xml", "ETag": f'"{etag}"'}, document)


@pytest.fixture
def days(tmp_path, feed_server, toy_model):
    """Day 1 built, and an uninterrupted day 2 built on a copy of it: the two reference trees."""
    day1, day2 = documents()
    feed_server.routes.clear()
    serve_feed(feed_server, day1, "day1")
    start = Scene(tmp_path / "day1", feed_server.url)
    start.build()
    old = published(start.out)
    for name, data in old.items():  # day 1 is the published site that day 2's history comes from
        feed_server.serve(f"/site/{name}", data)
    reference = start.copy(tmp_path / "reference", feed_server.url)
    serve_feed(feed_server, day2, "day2")
    reference.build()
    new = published(reference.out)
    for name in ("quant-ph.ja.xml", "entanglement.ja.xml"):
        assert_valid_atom(start.out / name)
        assert_valid_atom(reference.out / name)
    assert old["quant-ph.ja.xml"] != new["quant-ph.ja.xml"]
    return start, old, new


def assert_whole_site(out: Path, old: dict[str, bytes], new: dict[str, bytes]) -> None:
    """After a kill, once ``verify`` has finished any interrupted swap, the output folder is
    the old site or the new one, whole: never a mix, never a leftover beside it."""
    now = published(out)
    for site in (old, new):
        if now.keys() == site.keys() and all(content(n, now[n]) == content(n, site[n]) for n in now):
            break
    else:
        raise AssertionError(f"{out} is neither the old site nor the new one")
    assert sorted(p.name for p in out.parent.glob(f".{out.name}.*")) == [f".{out.name}.feedbridge-lock"]


def resume_and_compare(scene: Scene, old: dict[str, bytes], new: dict[str, bytes]) -> None:
    scene.verify()
    assert_whole_site(scene.out, old, new)
    assert_cache_sound(scene.cache)
    scene.build()
    after = published(scene.out)
    assert after.keys() == new.keys(), "a leftover or missing file after the resumed run"
    for name in new:
        assert content(name, after[name]) == content(name, new[name]), f"{name} differs from the uninterrupted run's"


def content(name: str, data: bytes) -> bytes:
    """What a file publishes, less the lines that describe the run rather than the papers:
    a run after an interruption truthfully reports the batch as already in the archive
    ("stale") where the uninterrupted run said "updated", or a failed write as failed."""
    if name == "status.json":
        return b""
    if not name.endswith(".html"):
        return data
    document = html.document_fromstring(data)
    for line in document.cssselect("p.status"):
        line.drop_tree()
    for card in document.cssselect("li.feed"):
        card.set("class", "feed")
    return re.sub(rb"\s+", b" ", html.tostring(document))


