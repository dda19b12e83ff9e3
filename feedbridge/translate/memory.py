"""The translation memory: every sentence the model has translated, in one SQLite file.

A re-run, a paper cross-listed in another feed or re-announced without text changes
costs no model call: the engine looks each protected sentence up here first. A row is
keyed by the package (code and version), the decoding settings that change output and
the sentence after protection (placeholders, not the math itself); its value is the
model's translation with its placeholders, or NULL where the engine kept the source
text, so a sentence the model cannot translate is not retried on every run. Its state
says how the engine came by it: translated whole, translated in fragments (the text
between its placeholders, sentence by sentence, the placeholders spliced back), or kept.

Schema 2 added the state. A store of schema 1 is upgraded in place: its translations
stay (whole, as they were), and its refusals, stored before a sentence could be
translated in fragments, get no state, which lookups treat as not stored: the model is
asked once more, and what it then gives, a refusal included, is stored with a state.

Every write is one transaction, so a crash leaves the previous state. A file SQLite
cannot read (not a database, failing its integrity check, a schema from another
version) is moved aside with a warning and a new store is started. A disk that refuses
the store (full, read-only, failing) leaves it as it is: the run goes on without it
after one warning, translating what it would have looked up.
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Collection, Iterable, Mapping

from feedbridge.errors import FeedbridgeError, OutputError

FILE_NAME = "translations.sqlite3"  # inside the config's cache_dir
SCHEMA_VERSION = 2  # 2: the state column; a store of 1 is upgraded in place
_SECONDS_PER_DAY = 86400
_CHUNK = 500  # sentences per query: below SQLite's limit on bound parameters
# How a result was obtained (the state column); NULL: a schema-1 refusal, asked again once.
WHOLE, FRAGMENTS, KEPT = "whole", "fragments", "kept"
# SQLite's verdicts on a file that is no usable store. Any other error (disk full, I/O,
# read-only, locked) is the disk's or another process's, and the file must stay.
_UNREADABLE = {"SQLITE_CORRUPT", "SQLITE_NOTADB"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS memory (
    package  TEXT NOT NULL,     -- "translate-en_ja 1.1"
    settings TEXT NOT NULL,     -- decoding settings that change output
    source   TEXT NOT NULL,     -- the sentence after protection
    target   TEXT,              -- its translation with placeholders; NULL: kept in the source language
    used     INTEGER NOT NULL,  -- the day (days since 1970) it was last looked up or stored
    state    TEXT,              -- 'whole', 'fragments' or 'kept' (NULL target); NULL: stored by schema 1
    PRIMARY KEY (package, settings, source)
) WITHOUT ROWID;
"""


@dataclass(frozen=True)
class MemoryStats:
    """What one package under one group of settings has stored."""

    package: str
    settings: str
    entries: int
    untranslated: int  # entries where the engine kept the source text
    last_used_day: int  # days since 1970
    in_fragments: int = 0  # entries translated in fragments, between their placeholders


def settings_in_words(settings: str) -> str:
    """A group's decoding settings (the memory's key, ``Decoding.key``) as a user reads them:
    "beam size 4, failed sentences retried"; settings this version no longer writes, and so
    never looks up, say so; a key it cannot read is shown as it is."""
    from feedbridge.translate.ct2 import Decoding

    fields = dict(part.partition("=")[::2] for part in settings.split(";"))
    try:
        decoding = Decoding(beam_size=int(fields["beam"]), retry=fields["retry"] != "off",
                            fixed_length=fields.get("fixed") == "1")
    except (KeyError, ValueError):
        return settings
    words = [f"beam size {decoding.beam_size}", "failed sentences retried" if decoding.retry else "no retries"]
    if decoding.fixed_length:
        words.append("decoded to full length (for timing only)")
    if decoding.key != settings:
        words.append("from an earlier feedbridge, no longer looked up")
    return ", ".join(words)


class Recalled(dict):
    """What a lookup found: each source's stored target (None: kept in the source
    language), and which of the targets were translated in fragments."""

    def __init__(self):
        super().__init__()
        self.fragments: set[str] = set()


class TranslationMemory:
    """An open translation memory; use as a context manager, or call close().

    ``read_only`` (a dry run) creates, repairs and changes nothing: a missing or
    unreadable store answers every lookup with nothing, and lookups leave the entries'
    last-use day alone.
    """

    def __init__(
        self,
        path: Path,
        *,
        read_only: bool = False,
        warn: Callable[[str], None] = lambda _: None,
        clock: Callable[[], float] = time.time,
    ):
        self.path = Path(path)
        self.read_only = read_only
        self._clock = clock
        self._warn = warn
        self._db: sqlite3.Connection | None = None
        if read_only:
            self._db, problem = _connect_read_only(self.path)
            if problem is not None:
                warn(f"{self.path}: unreadable translation memory ({problem}); a build moves it aside and starts a new one")
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = _connect(self.path)
        except sqlite3.DatabaseError as err:
            if not _unreadable(err):
                self._give_up(err)
                return
            aside = _move_aside(self.path)
            warn(f"{self.path}: unreadable translation memory ({err}); moved to {aside.name}, starting a new one")
            try:
                self._db = _connect(self.path)
            except sqlite3.DatabaseError as err:
                self._give_up(err)
        except OSError as err:
            self._give_up(err)

    def __enter__(self) -> TranslationMemory:
        return self

    def __exit__(self, *_) -> None:
        self.close()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def lookup(self, package: str, settings: str, sources: Iterable[str]) -> Recalled:
        """The stored results among ``sources``, and their last-use day set to today. A
        refusal stored by schema 1 is not among them (the module docstring)."""
        if self._db is None:
            return Recalled()
        sources = list(dict.fromkeys(sources))
        found = Recalled()
        # A schema-1 store opened read-only (a dry run) has no state column, and no state.
        state = "state" if _has_state(self._db) else "NULL"
        try:
            for start in range(0, len(sources), _CHUNK):
                chunk = sources[start : start + _CHUNK]
                rows = self._db.execute(
                    f"SELECT source, target, {state} FROM memory WHERE package = ? AND settings = ? "
                    f"AND source IN ({','.join('?' * len(chunk))}) AND (target IS NOT NULL OR {state} IS NOT NULL)",
                    (package, settings, *chunk),
                )
                for source, target, how in rows:
                    found[source] = target
                    if how == FRAGMENTS:
                        found.fragments.add(source)
        except sqlite3.OperationalError as err:
            self._give_up(err)
            return Recalled()
        if not self.read_only:
            today = self._today()
            self._write(
                "UPDATE memory SET used = ? WHERE package = ? AND settings = ? AND source = ? AND used < ?",
                ((today, package, settings, source, today) for source in found),
            )
        return found

    def store(self, package: str, settings: str, results: Mapping[str, str | None], *,
              fragments: Collection[str] = ()) -> None:
        """Add or replace results (None: the source text was kept; sources in ``fragments``
        were translated in fragments), in one transaction; a read-only memory (a dry run)
        keeps nothing."""
        if self.read_only:
            return
        today = self._today()

        def state(source: str, target: str | None) -> str:
            return KEPT if target is None else FRAGMENTS if source in fragments else WHOLE

        self._write(
            "INSERT OR REPLACE INTO memory (package, settings, source, target, used, state) VALUES (?, ?, ?, ?, ?, ?)",
            ((package, settings, source, target, today, state(source, target)) for source, target in results.items()),
        )

    def merge(self, other: Path) -> int:
        """Fold another memory (a matrix job's shard) into this one, checking that the two
        agree: a sentence both hold with another translation or state is a FeedbridgeError
        naming it, and nothing is merged. Returns how many entries were new here."""
        if self._db is None or self.read_only:
            raise FeedbridgeError(f"{self.path}: the translation memory cannot be written")
        try:
            shard = sqlite3.connect(f"file:{other}?mode=ro", uri=True)
            try:
                rows = shard.execute("SELECT package, settings, source, target, state FROM memory").fetchall()
            finally:
                shard.close()
        except sqlite3.DatabaseError as err:
            raise FeedbridgeError(f"{other}: not a translation memory ({err})") from None
        new = []
        for package, settings, source, target, state in rows:
            mine = self._db.execute("SELECT target, state FROM memory WHERE package = ? AND settings = ? AND source = ?",
                                    (package, settings, source)).fetchone()
            if mine is None:
                new.append((package, settings, source, target, self._today(), state))
            elif tuple(mine) != (target, state):
                raise FeedbridgeError(f"{other}: [{package}; {settings}] {source[:80]!r} is {target!r} ({state}) there"
                                      f" and {mine[0]!r} ({mine[1]}) in {self.path}; nothing was merged")
        self._write("INSERT INTO memory (package, settings, source, target, used, state) VALUES (?, ?, ?, ?, ?, ?)", new)
        return len(new)

    def _write(self, sql: str, rows: Iterable[tuple]) -> None:
        """One write transaction; if the disk refuses it, the memory is off for the run."""
        if self._db is None:
            return
        try:
            with self._db:
                self._db.executemany(sql, rows)
        except sqlite3.OperationalError as err:
            self._give_up(err)

    def _give_up(self, err: Exception) -> None:
        """Stop using the store for this run, leaving its file as it is."""
        self.close()
        reason = err.strerror if isinstance(err, OSError) and err.strerror else err
        self._warn(f"{self.path}: translation memory unavailable ({reason}); translating without it this run")

    def stats(self) -> list[MemoryStats]:
        if self._db is None:
            return []
        fragments = f"SUM(state IS '{FRAGMENTS}')" if _has_state(self._db) else "0"
        rows = self._db.execute(
            f"SELECT package, settings, COUNT(*), COUNT(*) - COUNT(target), MAX(used), {fragments} "
            "FROM memory GROUP BY package, settings ORDER BY package, settings"
        )
        return [MemoryStats(*row) for row in rows]

    @property
    def size_bytes(self) -> int:
        """The store's size on disk, its write-ahead log included."""
        files = (self.path, self.path.with_name(self.path.name + "-wal"))
        return sum(f.stat().st_size for f in files if f.exists())

    def prune(self, *, unused_days: int | None = None, keep_packages: Collection[str] | None = None) -> int:
        """Delete entries not used for ``unused_days`` days, and entries of packages not in
        ``keep_packages`` (e.g. versions no longer installed); return how many went."""
        if self._db is None:
            raise OutputError(f"{self.path}: the translation memory cannot be opened for writing")
        removed = 0
        try:
            with self._db:
                if unused_days is not None:
                    cursor = self._db.execute("DELETE FROM memory WHERE used < ?", (self._today() - unused_days,))
                    removed += cursor.rowcount
                if keep_packages is not None:
                    keep = list(keep_packages)
                    cursor = self._db.execute(
                        f"DELETE FROM memory WHERE package NOT IN ({','.join('?' * len(keep))})", keep
                    )
                    removed += cursor.rowcount
            self._db.execute("VACUUM")
        except sqlite3.OperationalError as err:
            raise OutputError(f"{self.path}: cannot prune the translation memory: {err}")
        return removed

    def _today(self) -> int:
        return int(self._clock() // _SECONDS_PER_DAY)


def _unreadable(err: sqlite3.DatabaseError) -> bool:
    """Whether the error says the file is no usable store (our own checks carry no code)."""
    code = getattr(err, "sqlite_errorname", None)
    return code is None or code in _UNREADABLE


def _has_state(db: sqlite3.Connection) -> bool:
    """Whether the store has schema 2's state column (one of schema 1 opened read-only has not)."""
    return any(column[1] == "state" for column in db.execute("PRAGMA table_info(memory)"))


def _connect(path: Path) -> sqlite3.Connection:
    """Open the store and check it whole; raise sqlite3.DatabaseError if it is unusable."""
    db = sqlite3.connect(path, timeout=30)
    try:
        db.execute("PRAGMA journal_mode = WAL")  # readers never block the writer; crash-safe
        db.execute("PRAGMA synchronous = NORMAL")  # WAL keeps the file consistent; a crash may lose the last run's rows
        check = db.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise sqlite3.DatabaseError(f"integrity check: {check}")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, 1, SCHEMA_VERSION):
            raise sqlite3.DatabaseError(f"schema version {version}, this feedbridge writes {SCHEMA_VERSION}")
        with db:
            db.executescript(_SCHEMA)
            if not _has_state(db):
                db.execute("ALTER TABLE memory ADD COLUMN state TEXT")  # schema 1: every row's state NULL
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except sqlite3.DatabaseError:
        db.close()
        raise
    return db


def _connect_read_only(path: Path) -> tuple[sqlite3.Connection | None, str | None]:
    """The store opened read-only; None and why not where it is unreadable (a missing
    store is no problem: nothing is stored yet)."""
    if not path.exists():
        return None, None
    # immutable: SQLite creates no -wal or -shm file; a memory closed cleanly has none,
    # so nothing a finished build wrote is missed.
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    except sqlite3.Error as err:
        return None, str(err)
    try:
        db.execute("SELECT 1 FROM memory LIMIT 1")
    except sqlite3.DatabaseError as err:
        db.close()
        return None, str(err)
    return db, None


def _move_aside(path: Path) -> Path:
    """Rename the unreadable store (and its WAL files) out of the way, keeping it for inspection."""
    aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}")
    os.replace(path, aside)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.unlink()
    return aside
