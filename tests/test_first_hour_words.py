"""The first hour, in words: each line says one thing, the same way wherever it is said —
the build's last line, the memory's figures, a host that does not resolve, the command list."""

from __future__ import annotations

import json
import os
import shutil
import socket

import click
import pytest
from click.testing import CliRunner

from feedbridge.cli import cli
from feedbridge.translate.ct2 import Decoding
from feedbridge.translate.memory import FILE_NAME, TranslationMemory
from support.config import write_config
from support.paths import LEGACY_HEP_EX, QUANT_PH

DNS_FAILURE = "cannot resolve host (Name or service not known)"


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


# --- a host that does not resolve, in one wording ---------------------------------------------


@pytest.fixture
def unresolvable_index(monkeypatch):
    for name in [n for n in os.environ if n.lower().endswith("_proxy")]:
        monkeypatch.delenv(name)
    try:
        socket.getaddrinfo("nonexistent.invalid", 80)
    except socket.gaierror as error:
        if error.strerror != "Name or service not known":
            pytest.skip(f"this machine's resolver says {error.strerror!r} for .invalid")
    else:
        pytest.skip("this machine resolves nonexistent.invalid")
    monkeypatch.setenv("ARGOS_PACKAGE_INDEX", "http://nonexistent.invalid/")
    return "http://nonexistent.invalid/index.json"


def test_doctor_and_a_package_install_say_a_dns_failure_alike(tmp_path, unresolvable_index):
    doctor = invoke("doctor", "--config", tmp_path / "missing.yaml")
    [index_line] = [line for line in doctor.stdout.splitlines() if "Argos package index" in line]
    assert f"{unresolvable_index}: {DNS_FAILURE}" in index_line

    install = invoke("models", "install", "en", "ja")
    assert install.exit_code == 3
    assert install.stderr.splitlines()[-1] == (
        f"Error: cannot reach the Argos package index at {unresolvable_index}: {DNS_FAILURE}")
    assert "Errno" not in install.output and "Errno" not in doctor.output


# --- the command list -----------------------------------------------------------------------


def groups(command: click.Command, path: list[str]):
    if isinstance(command, click.Group):
        yield path, command
        for name, sub in command.commands.items():
            yield from groups(sub, path + [name])


GROUPS = list(groups(cli, []))


@pytest.mark.parametrize("path, group", GROUPS, ids=[" ".join(["feedbridge", *p]) for p, _ in GROUPS])
def test_every_command_line_of_the_help_is_whole(path, group):
    result = invoke(*path, "--help")
    assert result.exit_code == 0, result.output
    commands = result.output.partition("\nCommands:\n")[2]  # (the usage line's "[ARGS]..." is click's own)
    assert commands and not [line for line in commands.splitlines() if line.rstrip().endswith("...")]
    listed = " ".join(commands.split())
    for name, command in group.commands.items():
        assert f"{name} {' '.join(command.get_short_help_str(limit=10_000).split())}" in listed
        assert command.short_help, (path, name)  # its own line, not the help's first sentence cut short
