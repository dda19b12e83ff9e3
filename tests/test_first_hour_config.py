"""A newcomer's first hour (issue 19): the shipped config's contact, the replacements a
first run leaves out, and a dry run's estimate from the speed this machine measured."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from feedbridge.cli import cli
from feedbridge.config import CACHE_DIR_ENV, load_config
from feedbridge.doctor import run_checks
from feedbridge.sources.arxiv_rss import parse_feed
from feedbridge.starter import starter_config
from feedbridge.translate.memory import FILE_NAME as MEMORY_FILE
from support.config import write_config
from support.paths import QUANT_PH, REPO

SHIPPED = REPO / "feeds.yaml"


@pytest.fixture
def saved(tmp_path) -> Path:
    folder = tmp_path / "saved"
    folder.mkdir()
    shutil.copy(QUANT_PH, folder / "quant-ph.xml")
    return folder


def shipped_contact() -> str:
    return yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))["arxiv"]["contact"]


def run_json(*args) -> tuple[dict, str]:
    result = CliRunner().invoke(cli, ["build", *map(str, args), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), result.stderr


def by_type() -> dict[str, int]:
    papers = parse_feed(QUANT_PH.read_bytes(), str(QUANT_PH)).papers
    return {kind: sum(p.announce_type == kind for p in papers) for kind in ("new", "cross", "replace", "replace-cross")}


# --- 1. the shipped config's contact ---------------------------------------------------


def test_the_shipped_config_names_no_one_and_doctor_points_at_its_key_and_file(tmp_path, installed_model):
    config = tmp_path / "feeds.yaml"
    shutil.copy(SHIPPED, config)
    [check] = [c for c in run_checks(config, offline=True) if c.name == "arXiv contact"]
    assert not check.ok
    assert f"arxiv.contact in {config}" in check.detail and shipped_contact() in check.detail
    assert "arxiv.contact" in check.fix


@pytest.mark.parametrize("contact", [
    shipped_contact(),  # the repository's feeds.yaml
    yaml.safe_load(starter_config(["cs.AI"]))["arxiv"]["contact"],  # what `feedbridge init` writes
    "https://github.com/feedbridge/feedbridge",  # what the repository's feeds.yaml shipped before
], ids=["shipped", "init", "upstream"])
def test_build_warns_once_about_a_placeholder_contact_and_still_publishes(tmp_path, saved, installed_model, contact):
    config = write_config(tmp_path, feeds=["quant-ph"], contact=contact)
    summary, stderr = run_json("--config", config, "--from-dir", saved, "--offline")
    assert summary["published"] and summary["feeds"][0]["new"] > 0
    said = [line for line in stderr.splitlines() if "arxiv.contact" in line]
    assert len(said) == 1 and said[0].startswith("Warning: ") and str(config) in said[0] and contact in said[0]
    status = json.loads((tmp_path / "out" / "status.json").read_text(encoding="utf-8"))
    for warnings in (summary["warnings"], status["warnings"]):
        assert [w for w in warnings if "arxiv.contact" in w] == [said[0].removeprefix("Warning: ")]


def test_a_real_contact_is_not_warned_about(tmp_path, saved, installed_model):
    config = write_config(tmp_path, feeds=["quant-ph"], contact="mailto:alice@uni.edu")
    summary, stderr = run_json("--config", config, "--from-dir", saved, "--offline")
    assert "arxiv.contact" not in stderr and not any("arxiv.contact" in w for w in summary["warnings"])


def test_the_shipped_cache_dir_comment_says_what_the_config_does(tmp_path, monkeypatch):
    lines = SHIPPED.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("cache_dir:"))
    comment = " ".join(lines[i].lstrip("# ") for i in range(at - 6, at + 1) if lines[i].startswith("#") or i == at)
    assert "relative to this file" in comment and f"{CACHE_DIR_ENV}, when set, replaces this folder" in comment
    assert MEMORY_FILE in comment and "--offline" in comment
    monkeypatch.delenv(CACHE_DIR_ENV)
    assert load_config(SHIPPED).cache_dir == REPO / ".cache" / "feedbridge"  # relative to the file, not the cwd
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "elsewhere"))
    assert load_config(SHIPPED).cache_dir == tmp_path / "elsewhere"


# --- 2. the replacements a first run leaves out -------------------------------------------


def test_a_first_run_counts_and_says_the_replacements_it_left_out(tmp_path, saved, installed_model):
    counts = by_type()
    listed, left_out = counts["new"] + counts["cross"], counts["replace"] + counts["replace-cross"]
    assert (listed, left_out) == (50, 31)
    config = write_config(tmp_path, feeds=["quant-ph"])

    planned, _ = run_json("--config", config, "--from-dir", saved, "--offline", "--dry-run")
    assert [(f["new"], f["replacements_left_out"]) for f in planned["feeds"]] == [(listed, left_out)]
    lines = CliRunner().invoke(cli, ["build", "--config", str(config), "--from-dir", str(saved), "--offline",
                                     "--dry-run"]).stdout.splitlines()
    assert f"quant-ph.ja: {left_out} replacements of papers not in the feed left out" in lines

    markdown = tmp_path / "summary.md"
    summary, stderr = run_json("--config", config, "--from-dir", saved, "--offline", "--summary", markdown)
    assert [(f["new"], f["replacements_left_out"]) for f in summary["feeds"]] == [(listed, left_out)]
    assert markdown.read_text().splitlines()[2].startswith(
        f"| quant-ph.ja | updated | {listed} | {listed} | 0 | {left_out} replacements of papers not in the feed left out |")
    [line] = [line for line in stderr.splitlines() if line.startswith("quant-ph.ja: new ")]
    assert line.endswith(f"; {left_out} replacements of papers not in the feed left out")
    status = json.loads((tmp_path / "out" / "status.json").read_text(encoding="utf-8"))
    assert status["feeds"][0]["replacements_left_out"] == left_out

    again, stderr = run_json("--config", config, "--from-dir", saved, "--offline")  # the same batch: stale
    assert again["feeds"][0]["replacements_left_out"] == 0 and "left out" not in stderr


def test_a_feed_that_includes_replacements_leaves_none_out(tmp_path, saved, installed_model):
    config = write_config(tmp_path, feeds=[{"category": "quant-ph", "replace": "include", "replace-cross": "include"}])
    summary, stderr = run_json("--config", config, "--from-dir", saved, "--offline")
    assert [(f["new"], f["replacements_left_out"]) for f in summary["feeds"]] == [(81, 0)]
    assert "left out" not in stderr


def test_excluded_replacements_are_the_config_s_choice_not_counted(tmp_path, saved, installed_model):
    config = write_config(tmp_path, feeds=[{"category": "quant-ph", "replace": "exclude", "replace-cross": "exclude"}])
    summary, _ = run_json("--config", config, "--from-dir", saved, "--offline", "--dry-run")
    assert [(f["new"], f["replacements_left_out"]) for f in summary["feeds"]] == [(50, 0)]


# --- 3. a dry run's estimate from the measured speed -------------------------------------------


def estimate_line(config: Path, saved: Path) -> str:
    result = CliRunner().invoke(cli, ["build", "--config", str(config), "--from-dir", str(saved), "--offline",
                                      "--dry-run"])
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()[-1]


def test_dry_run_estimates_with_the_speed_the_last_build_measured(tmp_path, saved, installed_model):
    config = write_config(tmp_path, feeds=["quant-ph"])  # beam 1
    cache = tmp_path / "cache"  # FEEDBRIDGE_CACHE_DIR (conftest)

    before, _ = run_json("--config", config, "--from-dir", saved, "--offline", "--dry-run")
    sentences = before["sentences"]["model"]
    [speed] = before["throughput"]
    assert (speed["pair"], speed["sentences"], speed["source"], speed["measured"]) == ("en->ja", sentences, "default",
                                                                                        None)
    assert speed["sentences_per_second"] == 34.6  # docs/performance.md: beam 1, 2 cores
    assert before["estimate_seconds"] == round(sentences / 34.6, 1)
    assert estimate_line(config, saved).endswith(
        f"en->ja: {sentences} sentences at 34.6 sentences/s (no build has measured this model yet:"
        " the default for beam 1 on 2 CPU cores))")

    run_json("--config", config, "--from-dir", saved, "--offline", "--now", "2026-06-08T05:00:00Z")
    [(key, measured)] = json.loads((cache / "throughput.json").read_text(encoding="utf-8"))["models"].items()
    assert "beam=1;" in key and measured["sentences"] == sentences and measured["measured"] == "2026-06-08T05:00:00+00:00"
    assert measured["sentences_per_second"] == pytest.approx(sentences / measured["seconds"], rel=0.01)

    # The same work again, the memory and the published site gone: the model would translate it all.
    (cache / MEMORY_FILE).unlink()
    shutil.rmtree(tmp_path / "out")
    after, _ = run_json("--config", config, "--from-dir", saved, "--offline", "--dry-run")
    assert after["sentences"]["model"] == sentences
    [speed] = after["throughput"]
    assert (speed["source"], speed["measured"], speed["measured_sentences"]) == ("measured", measured["measured"],
                                                                                 sentences)
    assert speed["sentences_per_second"] == round(measured["sentences_per_second"], 1)
    assert after["estimate_seconds"] == round(sentences / measured["sentences_per_second"], 1)
    assert estimate_line(config, saved).endswith(
        f"en->ja: {sentences} sentences at {measured['sentences_per_second']:.1f} sentences/s"
        f" (measured by the build of 2026-06-08T05:00:00+00:00, {sentences} sentences))")

    # Another beam is other work: the measurement of beam 1 does not stand for it.
    other = write_config(tmp_path, feeds=["quant-ph"], translation={"beam_size": 2})
    [speed] = run_json("--config", other, "--from-dir", saved, "--offline", "--dry-run")[0]["throughput"]
    assert (speed["source"], speed["sentences_per_second"]) == ("default", 18.2)


def test_an_unreadable_measurement_falls_back_to_the_default(tmp_path, saved, installed_model):
    config = write_config(tmp_path, feeds=["quant-ph"])
    (tmp_path / "cache").mkdir(parents=True, exist_ok=True)
    (tmp_path / "cache" / "throughput.json").write_text("{not json")
    [speed] = run_json("--config", config, "--from-dir", saved, "--offline", "--dry-run")[0]["throughput"]
    assert (speed["source"], speed["sentences_per_second"]) == ("default", 34.6)
    run_json("--config", config, "--from-dir", saved, "--offline")  # the build writes a good one over it
    assert json.loads((tmp_path / "cache" / "throughput.json").read_text())["format"] == 1
