"""A build in passes (pipeline.passes): feeds taken in config order until their sources hold
PASS_PAPERS papers, the feeds that share a source together, each pass planned, translated,
written and let go, so that a run holds one pass at a time. Splitting a run into passes
must change nothing a reader or the next run sees."""

from __future__ import annotations

import io
import json
import re
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


def test_each_pass_of_a_build_draws_its_bar_under_the_pairs_name(tmp_path, toy_model, monkeypatch):
    """A later pass of the build is not the model asked again: only the engine's own retry
    passes are labelled so."""
    from datetime import datetime

    from feedbridge.cli import _ProgressBars
    from feedbridge.config import load_config
    from feedbridge.pipeline import BuildOptions

    saved = tmp_path / "saved"
    saved.mkdir()
    names = write_feeds(saved, papers=24, feeds=3)
    config = load_config(write_config(tmp_path, feeds=names, translation={"model": toy_model}, enrich=False))
    monkeypatch.setenv("FEEDBRIDGE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(pipeline, "PASS_PAPERS", 1)

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    bars = _ProgressBars(file=terminal)
    report = pipeline.build(config, BuildOptions(from_dir=saved, offline=True,
                                                 now=datetime.fromisoformat(NOW.replace("Z", "+00:00"))),
                            progress=bars)
    bars.close()
    assert report.published
    lines = [line for line in re.split(r"[\r\n]", re.sub(r"\x1b\[\?25[lh]", "", terminal.getvalue())) if line.strip()]
    opened = [line.split("[")[0].strip() for line in lines if re.search(r"\]\s+0/\d+", line)]
    assert opened.count("en->ja") == 3, opened  # one bar per pass, each under the pair's name
    assert set(opened) <= {"en->ja", "en->ja, retrying refused sentences"}


def test_an_api_that_failed_in_one_pass_is_not_asked_again_in_the_next(tmp_path, toy_model, monkeypatch):
    """Every pass enriches its own feeds; once the arXiv API has failed, the passes after
    it build without asking it, and the run warns once."""
    from support.server import LoopbackServer

    saved = tmp_path / "saved"
    saved.mkdir()
    names = write_feeds(saved, papers=24, feeds=3)
    monkeypatch.setattr(pipeline, "PASS_PAPERS", 1)
    monkeypatch.setenv("FEEDBRIDGE_CACHE_DIR", str(tmp_path / "cache"))
    with LoopbackServer() as server:
        for name in names:
            server.serve(f"/rss/{name}", (saved / f"{name}.xml").read_bytes())
        # the API is down; the site was never published (404)
        server.script(lambda handler: handler.reply(503 if handler.path.startswith("/api/") else 404, {}, b"down"),
                      repeat_last=True)
        config = write_config(tmp_path, feeds=names, translation={"model": toy_model}, base_url=server.url + "/site/",
                              feed_url=server.url + "/rss/{category}", api_url=server.url + "/api/query")
        built = build("--config", config, "--now", NOW, "--json")
        asked = [path for path in server.paths if path.startswith("/api/")]
    assert built.exit_code == 0, built.output
    assert len(asked) == 1, asked
    warnings = json.loads(built.stdout)["warnings"]
    assert len([w for w in warnings if "without the arXiv API's comments" in w]) == 1, warnings
