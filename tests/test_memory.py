"""The SQLite translation memory: round trips, last use, pruning, crashes and corrupt files."""

import sqlite3

import pytest

from feedbridge.translate.memory import SCHEMA_VERSION, TranslationMemory

PACKAGE, SETTINGS = "translate-en_ja 1.1", "beam=4"
DAY = 86400


class Clock:
    def __init__(self, day=20000):
        self.now = day * DAY

    def __call__(self):
        return self.now


@pytest.fixture
def path(tmp_path):
    return tmp_path / "cache" / "translations.sqlite3"


def test_stored_results_come_back_only_under_the_same_package_and_settings(path):
    with TranslationMemory(path) as memory:
        memory.store(PACKAGE, SETTINGS, {"We study XKZD.": "XKZD を研究する。", "Lost.": None})
        assert memory.lookup(PACKAGE, SETTINGS, ["We study XKZD.", "Lost.", "New."]) == {
            "We study XKZD.": "XKZD を研究する。", "Lost.": None,
        }
        assert memory.lookup("translate-en_ja 1.2", SETTINGS, ["We study XKZD."]) == {}
        assert memory.lookup(PACKAGE, "beam=2", ["We study XKZD."]) == {}
    with TranslationMemory(path) as reopened:  # persisted
        assert reopened.lookup(PACKAGE, SETTINGS, ["Lost."]) == {"Lost.": None}


def test_a_result_translated_in_fragments_comes_back_as_such(path):
    with TranslationMemory(path) as memory:
        memory.store(PACKAGE, SETTINGS, {"We study XKZD.": "«We study» XKZD.", "A.": "あ。", "Lost.": None},
                     fragments={"We study XKZD."})
        found = memory.lookup(PACKAGE, SETTINGS, ["We study XKZD.", "A.", "Lost."])
        assert found == {"We study XKZD.": "«We study» XKZD.", "A.": "あ。", "Lost.": None}
        assert found.fragments == {"We study XKZD."}
        [stats] = memory.stats()
        assert (stats.entries, stats.untranslated, stats.in_fragments) == (3, 1, 1)


SCHEMA_1 = """
CREATE TABLE memory (package TEXT NOT NULL, settings TEXT NOT NULL, source TEXT NOT NULL, target TEXT,
                     used INTEGER NOT NULL, PRIMARY KEY (package, settings, source)) WITHOUT ROWID;
INSERT INTO memory VALUES ('translate-en_ja 1.1', 'beam=4', 'Translated.', '訳した。', 20000);
INSERT INTO memory VALUES ('translate-en_ja 1.1', 'beam=4', 'Refused.', NULL, 20000);
PRAGMA user_version = 1;
"""


def test_a_schema_1_store_is_upgraded_in_place_and_its_refusals_are_no_answer(path):
    """Its translations stay; its refusals, stored before a sentence could be translated
    in fragments, are asked again: once, since what is stored then has a state."""
    path.parent.mkdir()
    with sqlite3.connect(path) as db:
        db.executescript(SCHEMA_1)
    db.close()
    with TranslationMemory(path, read_only=True) as reader:  # a dry run: no state column yet
        assert reader.lookup(PACKAGE, SETTINGS, ["Translated.", "Refused."]) == {"Translated.": "訳した。"}
        assert [s.in_fragments for s in reader.stats()] == [0]
    warnings = []
    with TranslationMemory(path, warn=warnings.append) as memory:
        assert memory.lookup(PACKAGE, SETTINGS, ["Translated.", "Refused."]) == {"Translated.": "訳した。"}
        memory.store(PACKAGE, SETTINGS, {"Refused.": None})
        assert memory.lookup(PACKAGE, SETTINGS, ["Translated.", "Refused."]) == {"Translated.": "訳した。", "Refused.": None}
    assert warnings == [] and not list(path.parent.glob("*.corrupt-*"))
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
        assert sorted(db.execute("SELECT source, state FROM memory")) == [("Refused.", "kept"), ("Translated.", None)]
    db.close()


def test_lookup_of_many_sentences_crosses_query_chunks(path):
    sentences = {f"Sentence {i}.": f"文 {i}。" for i in range(1234)}
    with TranslationMemory(path) as memory:
        memory.store(PACKAGE, SETTINGS, sentences)
        assert memory.lookup(PACKAGE, SETTINGS, list(sentences) + ["Other."]) == sentences


def test_stats_count_entries_and_untranslated(path):
    with TranslationMemory(path, clock=Clock(20000)) as memory:
        memory.store(PACKAGE, SETTINGS, {"A.": "あ。", "B.": None})
        memory.store("translate-en_zh 1.0", SETTINGS, {"A.": "甲。"})
        stats = {(s.package, s.settings): s for s in memory.stats()}
        assert stats[(PACKAGE, SETTINGS)].entries == 2
        assert stats[(PACKAGE, SETTINGS)].untranslated == 1
        assert stats[(PACKAGE, SETTINGS)].last_used_day == 20000
        assert stats[("translate-en_zh 1.0", SETTINGS)].entries == 1
        assert memory.size_bytes > 0


def test_prune_removes_entries_unused_for_days_and_packages_not_kept(path):
    clock = Clock(20000)
    with TranslationMemory(path, clock=clock) as memory:
        memory.store(PACKAGE, SETTINGS, {"Old.": "古い。", "Used again.": "再び。"})
        memory.store("translate-en_ja 1.0", SETTINGS, {"Other version.": "別版。"})
        clock.now += 40 * DAY
        memory.lookup(PACKAGE, SETTINGS, ["Used again."])  # a lookup counts as a use
        assert memory.prune(unused_days=30) == 2
        assert memory.lookup(PACKAGE, SETTINGS, ["Old.", "Used again."]) == {"Used again.": "再び。"}
        memory.store("translate-en_ja 1.0", SETTINGS, {"Other version.": "別版。"})
        assert memory.prune(keep_packages=[PACKAGE]) == 1
        assert [s.package for s in memory.stats()] == [PACKAGE]


class FailingResults(dict):
    """A mapping whose iteration breaks halfway, as a crash during a write would."""

    def items(self):
        yield from list(super().items())[:1]
        raise KeyboardInterrupt


def test_a_write_interrupted_halfway_leaves_the_previous_state(path):
    with TranslationMemory(path) as memory:
        memory.store(PACKAGE, SETTINGS, {"Kept.": "保持。"})
        with pytest.raises(KeyboardInterrupt):
            memory.store(PACKAGE, SETTINGS, FailingResults({"New 1.": "新1。", "New 2.": "新2。"}))
        assert memory.lookup(PACKAGE, SETTINGS, ["Kept.", "New 1.", "New 2."]) == {"Kept.": "保持。"}


@pytest.mark.parametrize("damage", [
    lambda path: path.write_bytes(b"this is not a database at all" * 100),
    lambda path: _overwrite_middle(path),
    lambda path: _set_user_version(path, SCHEMA_VERSION + 1),
])
def test_unreadable_store_is_moved_aside_with_a_warning_and_rebuilt(path, damage):
    with TranslationMemory(path) as memory:
        memory.store(PACKAGE, SETTINGS, {"A.": "あ。", **{f"Filler {i}.": "埋め。" * 20 for i in range(500)}})
    damage(path)
    warnings = []
    with TranslationMemory(path, warn=warnings.append) as memory:
        assert memory.lookup(PACKAGE, SETTINGS, ["A."]) == {}
        memory.store(PACKAGE, SETTINGS, {"B.": "い。"})
        assert memory.lookup(PACKAGE, SETTINGS, ["B."]) == {"B.": "い。"}
    [warning] = warnings
    assert str(path) in warning and "moved to" in warning
    [aside] = path.parent.glob("translations.sqlite3.corrupt-*")
    assert aside.name in warning


def _set_user_version(path, version):
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {version}")
    db.commit()
    db.close()


def _overwrite_middle(path):
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 4096] = b"\xff" * 4096
    path.write_bytes(bytes(data))


def test_read_only_memory_reads_without_creating_or_touching_anything(path):
    with TranslationMemory(path, read_only=True) as missing:
        assert missing.lookup(PACKAGE, SETTINGS, ["A."]) == {}
    assert not path.parent.exists()
    clock = Clock(20000)
    with TranslationMemory(path, clock=clock) as memory:
        memory.store(PACKAGE, SETTINGS, {"A.": "あ。"})
    before = path.read_bytes()
    clock.now += 40 * DAY
    with TranslationMemory(path, read_only=True, clock=clock) as reader:
        assert reader.lookup(PACKAGE, SETTINGS, ["A.", "B."]) == {"A.": "あ。"}
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]
    path.write_bytes(b"not a database" * 100)
    with TranslationMemory(path, read_only=True) as broken:
        assert broken.lookup(PACKAGE, SETTINGS, ["A."]) == {}


REFUSING_DISK = """
import resource, signal, sys
from pathlib import Path
from feedbridge.translate.memory import TranslationMemory

path = Path(sys.argv[1])
memory = TranslationMemory(path, warn=lambda line: print("warning:", line))
files = [path, path.with_name(path.name + "-wal")]
limit = max(f.stat().st_size for f in files if f.exists()) + 8192
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failing write(), not a killed process
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
memory.store("p", "s", {f"sentence {i} " + "x" * 1000: "t" for i in range(1000)})
print("after:", memory.lookup("p", "s", ["Kept."]))
memory.close()
"""


def test_a_disk_that_refuses_a_write_turns_the_memory_off_and_keeps_its_file(path):
    """The kernel refuses the store's growth (RLIMIT_FSIZE): one warning, the run goes on
    without the memory, and the file, with what it held, is neither lost nor moved aside."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    with TranslationMemory(path) as memory:
        memory.store("p", "s", {"Kept.": "保存。"})
    root = Path(__file__).resolve().parents[1]
    process = subprocess.run([sys.executable, "-c", REFUSING_DISK, str(path)], capture_output=True, text=True,
                             env={**os.environ, "PYTHONPATH": str(root)}, timeout=60)
    assert process.returncode == 0, process.stderr
    warnings = [line for line in process.stdout.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "translation memory unavailable" in warnings[0], process.stdout
    assert "after: {}" in process.stdout  # off for the rest of the run
    assert [p.name for p in path.parent.iterdir() if "corrupt" in p.name] == []
    with TranslationMemory(path) as memory:
        assert memory.lookup("p", "s", ["Kept."]) == {"Kept.": "保存。"}
