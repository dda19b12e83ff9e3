"""The first hour, in words: each line says one thing, the same way wherever it is said —
the build's last line, the memory's figures, a host that does not resolve, the command list."""

from __future__ import annotations

import json
import shutil

from click.testing import CliRunner

from feedbridge.cli import cli
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
