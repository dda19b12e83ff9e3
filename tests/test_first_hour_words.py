"""The first hour, in words: each line says one thing, the same way wherever it is said —
the build's last line, the memory's figures, a host that does not resolve, the command list."""

from __future__ import annotations

import json
import shutil

from click.testing import CliRunner

from feedbridge.cli import cli
from feedbridge.translate.ct2 import Decoding
from feedbridge.translate.memory import FILE_NAME, TranslationMemory
from support.config import write_config
from support.paths import LEGACY_HEP_EX, QUANT_PH


def invoke(*args, **env):
    return CliRunner().invoke(cli, [str(arg) for arg in args], env=env or None)


# --- the build's last line ------------------------------------------------------------------


def test_a_rerun_with_nothing_new_says_so_and_not_that_no_feed_is_up_to_date(tmp_path, installed_model):
    saved = tmp_path / "saved"
    saved.mkdir()
    shutil.copy(QUANT_PH, saved / "quant-ph.xml")
    shutil.copy(LEGACY_HEP_EX, saved / "hep-ex.xml")
    config = write_config(tmp_path, feeds=["quant-ph", "hep-ex"])
    out = tmp_path / "out"

    first = invoke("build", "--config", config, "--from-dir", saved, "--offline")
    assert first.exit_code == 0, first.output
    assert first.stdout == f"published in {out}: 2 feeds updated\n"

    again = invoke("build", "--config", config, "--from-dir", saved, "--offline", "--json")
    assert again.exit_code == 0, again.output
    statuses = {feed["status"] for feed in json.loads(again.stdout)["feeds"]}
    assert statuses == {"stale"}  # the same batch again, though a newer one is due by the clock
    last = again.stderr.splitlines()[-1]
    assert last == (f"published in {out}: 2 feeds with nothing new from arXiv since the last run"
                    " (it sent the previous batch again)")
    assert "up to date" not in again.stderr


# --- cache stats ----------------------------------------------------------------------------


def test_cache_stats_names_the_model_and_its_settings_in_words(tmp_path):
    config = tmp_path / "feeds.yaml"
    config.write_text("site: {base_url: 'https://x.org/'}\narxiv: {contact: me}\nfeeds: [cs.AI]\n")
    key = Decoding(beam_size=4).key
    with TranslationMemory(tmp_path / "cache" / FILE_NAME) as memory:  # conftest moves the cache here
        memory.store("translate-en_ja 1.1", key, {"A sentence.": "文", "Kept.": None})
        memory.store("translate-en_ja 1.1", Decoding(beam_size=1, retry=False).key, {"One.": "一"})

    stats = invoke("cache", "stats", "--config", config)
    assert stats.exit_code == 0, stats.output
    lines = stats.stdout.splitlines()[1:]
    assert [line.rpartition(", last used")[0] for line in lines] == [
        "model translate-en_ja 1.1 (beam size 1, no retries): 1 sentences (0 kept in the source language)",
        "model translate-en_ja 1.1 (beam size 4, failed sentences retried): 2 sentences"
        " (1 kept in the source language)",
    ]
    assert "beam=" not in stats.output and "cap=" not in stats.output

    figures = json.loads(invoke("cache", "stats", "--config", config, "--json").stdout)
    assert [(g["model"], g["key"], g["sentences"]) for g in figures["groups"]] == [
        ("translate-en_ja 1.1", Decoding(beam_size=1, retry=False).key, 1), ("translate-en_ja 1.1", key, 2),
    ]


def test_cache_stats_says_settings_an_earlier_version_wrote(tmp_path):
    config = tmp_path / "feeds.yaml"
    config.write_text("site: {base_url: 'https://x.org/'}\narxiv: {contact: me}\nfeeds: [cs.AI]\n")
    older = Decoding(beam_size=4).key.replace("guard=", "guard=0") + "0"  # a guard revision never written
    with TranslationMemory(tmp_path / "cache" / FILE_NAME) as memory:
        memory.store("translate-en_ja 1.1", older, {"A sentence.": "文"})
    line = invoke("cache", "stats", "--config", config).stdout.splitlines()[1]
    assert line.startswith("model translate-en_ja 1.1 (beam size 4, failed sentences retried,"
                           " from an earlier feedbridge, no longer looked up): 1 sentences")
