"""Translation spread over a matrix of jobs: `cache fill` shards as separate processes, `cache
merge`, then `build --memory-only`, give the site one `build` gives, with every sentence
translated once, by one shard, and no model call at the end."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from support.builds import build
from support.config import write_config
from support.feeds import TOPIC, day_document, items
from support.paths import REPO

NOW = "2025-04-28T14:00:00Z"
SHARDS = 3


def saved(folder: Path) -> Path:
    folder.mkdir()
    (folder / "quant-ph.xml").write_bytes(day_document(date(2025, 4, 28), items()["new"][:12]))
    return folder


def feedbridge(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "feedbridge.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def site(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def sources(memory: Path) -> list[str]:
    with sqlite3.connect(memory) as db:
        return [row[0] for row in db.execute("SELECT source FROM memory")]


def test_shards_merged_build_the_site_one_build_does(tmp_path, toy_model, monkeypatch):
    feeds = saved(tmp_path / "saved")
    config = write_config(tmp_path, feeds=["quant-ph"], topics=[TOPIC], translation={"model": toy_model})

    # One build, with its own memory.
    monkeypatch.setenv("FEEDBRIDGE_CACHE_DIR", str(tmp_path / "single-cache"))
    single = build("--config", config, "--from-dir", feeds, "--offline", "--now", NOW, "--json")
    assert single.exit_code == 0, single.output
    counts = json.loads(single.stdout)["sentences"]
    translated = counts["translated"]
    assert translated > 50
    shutil.move(tmp_path / "out", tmp_path / "single")

    # The matrix: each shard a process of its own, on an empty memory.
    cache = tmp_path / "matrix-cache"
    monkeypatch.setenv("FEEDBRIDGE_CACHE_DIR", str(cache))
    shard_files = []
    for shard in range(1, SHARDS + 1):
        out = tmp_path / f"shard{shard}.sqlite3"
        done = feedbridge("cache", "fill", "--config", str(config), "--from-dir", str(feeds), "--shard",
                          f"{shard}/{SHARDS}", "--out", str(out), "--now", NOW, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        shard_files.append(out)
    per_shard = [sources(f) for f in shard_files]
    assert all(per_shard), "a shard got nothing: the split is not spread"
    every = [source for shard in per_shard for source in shard]
    assert len(every) == len(set(every)) == translated  # each sentence once, all of them

    # Nothing is merged into a memory that disagrees, and a build without the shards refuses.
    refused = build("--config", config, "--from-dir", feeds, "--offline", "--now", NOW, "--memory-only")
    assert refused.exit_code == 1 and f"--memory-only: {translated} sentences" in refused.output
    merged = feedbridge("cache", "merge", "--config", str(config), *map(str, shard_files), cwd=tmp_path)
    assert merged.returncode == 0, merged.stderr
    matrix = build("--config", config, "--from-dir", feeds, "--offline", "--now", NOW, "--memory-only", "--json")
    assert matrix.exit_code == 0, matrix.output
    # every sentence from the memory (a sentence two feeds share counts in each)
    assert json.loads(matrix.stdout)["sentences"] == {"translated": 0, "cached": translated + counts["cached"]}
    # Byte for byte: the toy model translates a sentence alike in any batch (CTranslate2's
    # batches could make one differ; then this names it).
    single_site, matrix_site = site(tmp_path / "single"), site(tmp_path / "out")
    assert sorted(single_site) == sorted(matrix_site)
    assert [name for name in single_site if single_site[name] != matrix_site[name]] == []


def test_merge_refuses_a_shard_that_disagrees_naming_the_sentence(tmp_path, toy_model):
    from feedbridge.errors import FeedbridgeError
    from feedbridge.translate.memory import TranslationMemory

    with TranslationMemory(tmp_path / "main.sqlite3") as main, TranslationMemory(tmp_path / "shard.sqlite3") as shard:
        main.store("toy 1", "beam=1", {"A sentence.": "一つの文。"})
        shard.store("toy 1", "beam=1", {"A sentence.": "別の文。", "Another.": "もう一つ。"})
        shard.close()
        with pytest.raises(FeedbridgeError, match="'A sentence.' is '別の文。' .* and '一つの文。'"):
            main.merge(tmp_path / "shard.sqlite3")
        assert main.lookup("toy 1", "beam=1", ["Another."]) == {}  # nothing of it was merged
