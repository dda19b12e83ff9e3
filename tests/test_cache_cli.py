"""`feedbridge cache stats|prune` over a real translation memory."""

from click.testing import CliRunner

from feedbridge.cli import cli
from feedbridge.translate.memory import FILE_NAME, TranslationMemory

CONFIG = "site: {base_url: 'https://x.org/'}\narxiv: {contact: me}\nfeeds: [cs.AI]\n"


def run(*args):
    return CliRunner().invoke(cli, list(args))


def test_stats_and_prune(tmp_path, monkeypatch):
    config = tmp_path / "feeds.yaml"
    config.write_text(CONFIG)
    assert "no translation memory yet" in run("cache", "stats", "--config", str(config)).output

    path = tmp_path / "cache" / FILE_NAME  # conftest moves the cache here
    with TranslationMemory(path, clock=lambda: 100 * 86400) as memory:
        memory.store("translate-en_ja 1.0", "beam4", {"Old sentence.": "古い", "Kept.": None})
    with TranslationMemory(path, clock=lambda: 200 * 86400) as memory:
        memory.store("translate-en_ja 1.0", "beam4", {"New sentence.": "新しい"})

    stats = run("cache", "stats", "--config", str(config))
    assert stats.exit_code == 0, stats.output
    assert "model translate-en_ja 1.0 (beam4): 3 sentences (1 kept in the source language)" in stats.output

    pruned = run("cache", "prune", "--config", str(config), "--unused-days", "0", "--uninstalled")
    assert pruned.exit_code == 0, pruned.output
    assert "removed 3 sentences" in pruned.output  # unused today, and no package installed
    with TranslationMemory(path) as memory:
        assert memory.stats() == []


def test_stats_on_a_file_that_is_not_a_memory_fails_in_one_line(tmp_path):
    config = tmp_path / "feeds.yaml"
    config.write_text(CONFIG)
    path = tmp_path / "cache" / FILE_NAME
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not SQLite\n" * 10)

    stats = run("cache", "stats", "--config", str(config))

    assert stats.exit_code == 1
    assert stats.output.strip().splitlines() == [
        f"Error: {path}: unreadable translation memory (file is not a database); "
        "a build moves it aside and starts a new one"
    ]
    assert path.read_bytes() == b"this is not SQLite\n" * 10  # stats only looks
