"""A build in passes (pipeline.passes): feeds taken in config order until their sources hold
PASS_PAPERS papers, the feeds that share a source together, each pass planned, translated,
written and let go, so that a run holds one pass at a time. Splitting a run into passes
must change nothing a reader or the next run sees."""

from __future__ import annotations

import json
from pathlib import Path

import feedbridge.pipeline as pipeline
from feedbridge.sources.saved import SavedFeeds
from load import write_feeds
from support.builds import build
from support.config import write_config

NOW = "2026-01-02T14:00:00Z"


def site(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_build_in_passes_publishes_the_site_one_pass_does(tmp_path, toy_model, monkeypatch):
    saved = tmp_path / "saved"
    saved.mkdir()
    first, second, third = write_feeds(saved, papers=36, feeds=3)
    topic = {"name": "topic.ja", "title": "A topic", "categories": [first]}  # shares a source with the first feed
    config = write_config(tmp_path, feeds=[first, second, third], topics=[topic],
                          translation={"model": toy_model}, enrich=False)
    arguments = ("--config", config, "--from-dir", saved, "--offline", "--now", NOW, "--json")

    monkeypatch.setenv("FEEDBRIDGE_CACHE_DIR", str(tmp_path / "one-pass-cache"))
    one_pass = build(*arguments)
    assert one_pass.exit_code == 0, one_pass.output
    (tmp_path / "out").rename(tmp_path / "one-pass")

    # Every group of feeds a pass of its own; record what each pass planned and read.
    monkeypatch.setattr(pipeline, "PASS_PAPERS", 1)
    planned, reads = [], []
    plan_pass, read = pipeline.plan_pass, SavedFeeds.read

    def planning(run_plan, feeds, fetched, memory):
        planned.append(([feed.name for feed in feeds], sorted(fetched)))
        return plan_pass(run_plan, feeds, fetched, memory)

    def reading(self, category):
        reads.append(category)
        return read(self, category)

    monkeypatch.setattr(pipeline, "plan_pass", planning)
    monkeypatch.setattr(SavedFeeds, "read", reading)
    monkeypatch.setenv("FEEDBRIDGE_CACHE_DIR", str(tmp_path / "passes-cache"))
    in_passes = build(*arguments)
    assert in_passes.exit_code == 0, in_passes.output

    names = {first: f"{first}.ja", second: f"{second}.ja", third: f"{third}.ja"}
    assert planned == [([names[first], "topic.ja"], [first]), ([names[second]], [second]), ([names[third]], [third])]
    assert sorted(reads) == sorted([first, second, third])  # each source read once
    # The same sentences went to the model, each once (a sentence an earlier pass
    # translated comes from the memory), and the site is the same, byte for byte.
    assert json.loads(in_passes.stdout)["sentences"] == json.loads(one_pass.stdout)["sentences"]
    one, passes = site(tmp_path / "one-pass"), site(tmp_path / "out")
    assert sorted(one) == sorted(passes)
    assert [name for name in one if one[name] != passes[name]] == []
