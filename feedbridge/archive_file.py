"""The archive file, ``archive/<feed>.json``: its JSON layout, schema and format number.

The archive is read back at the start of every run from wherever it was published, so it
is untrusted: a site can answer with a maintenance page, a copy can be cut short, a
newer feedbridge can have written it. ``load`` decodes and parses it, checks its format
number, then validates every field against ARCHIVE_SCHEMA before it builds anything: an
archive is read whole or not at all, and any problem is one FeedbridgeError naming the
source and, for a field, its path.
"""

from __future__ import annotations

import json
import re
import reprlib
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

import fastjsonschema
from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators

from feedbridge import __version__
from feedbridge.archive import Accounted, Batch, DayRecord, Entry, FeedArchive
from feedbridge.errors import FeedbridgeError
from feedbridge.model import SentencePair, TranslatedPaper, Translation
from feedbridge.sources.paper_json import paper_from_json, paper_json
from feedbridge.sources.arxiv_xml import ARXIV_ID

FORMAT = 1  # bumped when the JSON layout changes incompatibly

# An arXiv id as the sources read one; in a batch, with its version.
_ARXIV_ID = re.compile(ARXIV_ID)
_VERSIONED_ARXIV_ID = re.compile(rf"(?:{ARXIV_ID})v[0-9]+")
# Dates and timezone-aware datetimes as dump writes them (isoformat()), with an offset
# to the second at most (Python reads a fraction of a second in one wrongly).
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{6})?"
    r"[+-][0-9]{2}:[0-9]{2}(?::[0-9]{2})?"
)

_TEXT = {"type": "string"}
_OPTIONAL_TEXT = {"type": ["string", "null"]}  # dump writes None as null
_TEXTS = {"type": "array", "items": _TEXT}
_DATE = {"type": "string", "format": "date"}
_DATETIME = {"type": "string", "format": "date-time"}
# A Translation: [source, target, translated] for each sentence, in order.
_SENTENCES = {
    "type": "array",
    "items": {
        "type": "array",
        "prefixItems": [_TEXT, _TEXT, {"type": "boolean"}],
        "minItems": 3,
        "maxItems": 3,
    },
}
# A Paper less its links, which load derives from the id, the version and the comment.
# Fields the model gives a default may be absent; unknown keys (a field a newer
# release added) are allowed and ignored.
_PAPER = {
    "type": "object",
    "required": ["arxiv_id", "version", "title", "abstract", "authors", "categories", "announce_type", "announced"],
    "properties": {
        "arxiv_id": {"type": "string", "format": "arxiv-id"},
        "version": {"type": "integer", "minimum": 0},  # the sources read "v0" too
        "title": _TEXT,
        "abstract": _TEXT,
        "authors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name"],
                "properties": {"name": _TEXT, "affiliations": _TEXTS},
            },
        },
        "categories": _TEXTS,
        "announce_type": _TEXT,
        "announced": _DATETIME,
        "doi": _OPTIONAL_TEXT,
        "journal_ref": _OPTIONAL_TEXT,
        "license": _OPTIONAL_TEXT,
        "comment": _OPTIONAL_TEXT,
        "recovered": {"type": "boolean"},
        "submitted": _DATETIME,
        "first_submitted": _DATETIME,
    },
}
# A source's day as the gap check accounts for it (archive.DayRecord).
_DAY_RECORD = {
    "type": "object",
    "required": ["state"],
    "properties": {
        "state": {"enum": ["rss", "recovered", "not recoverable"]},
        "papers": {"type": "integer", "minimum": 0},
        "note": _TEXT,
    },
}
# Everything dump writes, for the current FORMAT.
ARCHIVE_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": f"feedbridge archive, format {FORMAT}",
    "type": "object",
    "required": ["format", "feed", "generator", "days", "batches", "entries"],
    "properties": {
        "format": {"const": FORMAT},
        "feed": _TEXT,  # the feed's name
        "generator": _TEXT,  # "feedbridge 0.1.0"
        "days": {"type": "array", "items": _DATE},
        "batches": {
            "type": "object",
            "additionalProperties": {  # by arXiv source
                "type": "object",
                "required": ["announced", "ids"],
                "properties": {
                    "announced": _DATETIME,
                    "ids": {"type": "array", "items": {"type": "string", "format": "versioned-arxiv-id"}},
                },
            },
        },
        # Written since 0.2; an archive without it is read as having accounted for its
        # window's days (load).
        "accounted": {
            "type": "object",
            "additionalProperties": {  # by arXiv source, then by day
                "type": "object",
                "propertyNames": {"format": "date"},
                "additionalProperties": _DAY_RECORD,
            },
        },
        "entries": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["paper", "published", "source_lang", "target_lang", "translator", "title", "abstract"],
                "properties": {
                    "paper": _PAPER,
                    "published": _DATETIME,
                    "source_lang": _TEXT,
                    "target_lang": _TEXT,
                    "translator": _TEXT,
                    "title": _SENTENCES,
                    "abstract": _SENTENCES,
                },
            },
        },
    },
}
# Checked before the rest, which a newer format may have changed.
_FORMAT_SCHEMA = {
    "type": "object",
    "required": ["format"],
    "properties": {"format": {"type": "integer", "minimum": 1}},
}


def _text_format(pattern: re.Pattern[str], read: Callable[[str], object] | None = None) -> Callable[[object], bool]:
    """A format: the string matches ``pattern`` in full, and ``read``, the call load then
    makes, takes it (a 13th month, a 30 February, an hour 25 or an offset of a day match
    the patterns but not the calendar), so that a value the schema passes converts."""

    def check(value: object) -> bool:
        if not isinstance(value, str):
            return True  # the type is checked apart
        try:
            return pattern.fullmatch(value) is not None and (read is None or read(value) is not None)
        except ValueError:
            return False

    return check


# Formats that are no standard's; each is checked by both validators below.
_FORMATS = {
    "date": _text_format(_ISO_DATE, date.fromisoformat),
    "date-time": _text_format(_ISO_DATETIME, datetime.fromisoformat),
    "arxiv-id": _text_format(_ARXIV_ID),
    "versioned-arxiv-id": _text_format(_VERSIONED_ARXIV_ID),
}


def _is_integer(_checker: object, value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _draft4(schema: Any) -> Any:
    """A 2020-12 schema as fastjsonschema reads it, in draft 4: there an integer is what
    Python calls one (from draft 6 on, 1.0 is one too), and a list in ``items`` does what
    ``prefixItems`` does now. Draft 4 has no ``const``: the format number is checked
    before, apart."""
    if isinstance(schema, list):
        return [_draft4(value) for value in schema]
    if not isinstance(schema, dict):
        return schema
    converted = {("items" if key == "prefixItems" else key): _draft4(value) for key, value in schema.items()}
    if "$schema" in converted:
        converted["$schema"] = "http://json-schema.org/draft-04/schema#"
    return converted


# Two validators of the one schema. fastjsonschema compiles it to Python and checks a
# big archive some 25 times faster, so every archive goes through it; jsonschema lists
# every problem with its path, so an archive the first refuses goes through jsonschema
# to name the first problem. Both count only an int as an integer: a version read as a
# float would be written back as "1.0" and linked as "v1.0".
_Validator = validators.extend(
    Draft202012Validator, type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer)
)
_FORMAT_CHECKER = FormatChecker(formats=())
for _name, _check in _FORMATS.items():
    _FORMAT_CHECKER.checks(_name)(_check)
_FORMAT_VALIDATOR = _Validator(_FORMAT_SCHEMA)
_ARCHIVE_VALIDATOR = _Validator(ARCHIVE_SCHEMA, format_checker=_FORMAT_CHECKER)
_FAST_CHECK = fastjsonschema.compile(_draft4(ARCHIVE_SCHEMA), formats=_FORMATS)

# A JSON escape of a UTF-16 surrogate: its lone half is text no UTF-8 file holds.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 60
_SHORT.maxlong = 20


def dump(archive: FeedArchive, name: str) -> bytes:
    """The archive as compact, sorted JSON: the same archive gives the same bytes."""
    document = {
        "format": FORMAT,
        "feed": name,
        "generator": f"feedbridge {__version__}",
        "days": [d.isoformat() for d in archive.days],
        "batches": {
            source: {"announced": b.announced.isoformat(), "ids": sorted(b.ids)}
            for source, b in sorted(archive.batches.items())
        },
        "accounted": {
            source: {day.isoformat(): _record_json(record) for day, record in days.items()}
            for source, days in archive.accounted.items()
        },
        "entries": [_entry_json(e) for e in archive.entries],
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def load(data: bytes, source: str) -> FeedArchive:
    """Read an archive back; anything unexpected is one FeedbridgeError naming ``source``."""
    document = _parse(data, source)
    problem = _first_problem(_FORMAT_VALIDATOR, document)
    if problem is not None:
        raise _not_an_archive(source, problem)
    if document["format"] > FORMAT:
        raise FeedbridgeError(
            f"{source}: archive format {_SHORT.repr(document['format'])} is newer than this feedbridge"
            f" reads ({FORMAT}); upgrade feedbridge"
        )
    # Every format from 1 to FORMAT is read from here on: an older one, once there is
    # one, is migrated to FORMAT here, before it is validated.
    try:
        _FAST_CHECK(document)
    except fastjsonschema.JsonSchemaValueException as err:
        raise _not_an_archive(source, _first_problem(_ARCHIVE_VALIDATOR, document) or err.message) from None
    days = tuple(date.fromisoformat(d) for d in document["days"])
    batches = {
        source_name: Batch(datetime.fromisoformat(b["announced"]), frozenset(b["ids"]))
        for source_name, b in document["batches"].items()
    }
    if "accounted" in document:
        accounted = {}
        for source_name, records in document["accounted"].items():
            for day in records:  # fastjsonschema reads draft 4, which has no propertyNames
                if not _FORMATS["date"](day):
                    raise _not_an_archive(source, f"{_json_path(['accounted', source_name])}: {day!r} is not a date")
            accounted[source_name] = {date.fromisoformat(day): _record_from(r) for day, r in records.items()}
    else:
        accounted = _accounted_by_window(days, batches)
    return FeedArchive(tuple(_entry_from(e) for e in document["entries"]), days, batches, accounted)


def _accounted_by_window(days: tuple[date, ...], batches: dict[str, Batch]) -> dict[str, Accounted]:
    """An archive written before days were accounted for (0.1): each source is taken to have
    given every window day up to its last batch. The window only holds days some source
    gave, so a multi-source feed may hide a day one source missed; nothing better is known."""
    return {
        source: {day: DayRecord("rss") for day in (*days, batch.announced.date()) if day <= batch.announced.date()}
        for source, batch in batches.items()
    }


def _record_json(record: DayRecord) -> dict[str, Any]:
    if record.state == "rss":
        return {"state": record.state}
    return {"state": record.state, "papers": record.papers, "note": record.note}


def _record_from(data: dict[str, Any]) -> DayRecord:
    return DayRecord(data["state"], data.get("papers", 0), data.get("note", ""))


def _not_an_archive(source: str, problem: str) -> FeedbridgeError:
    return FeedbridgeError(f"{source}: not a feedbridge archive: {problem}")


def _parse(data: bytes, source: str) -> dict[str, Any]:
    """The JSON object in ``data``, which must be UTF-8 text with no lone surrogate."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.reason == "unexpected end of data":
            raise _not_an_archive(source, f"it ends early, inside a character at byte {err.start} (cut short?)") from None
        raise _not_an_archive(source, f"not UTF-8 text (byte 0x{data[err.start]:02x} at offset {err.start})") from None
    start = text.lstrip("\ufeff \t\r\n")
    if not start:
        raise _not_an_archive(source, "it is empty")
    if start.startswith("<"):
        raise _not_an_archive(source, "an HTML or XML page, not JSON")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        where = f"line {err.lineno} column {err.colno}"
        if _cut_short(err):
            raise _not_an_archive(source, f"it ends early, at {where} (cut short?)") from None
        raise _not_an_archive(source, f"not JSON: {err.msg} at {where}") from None
    except RecursionError:
        raise _not_an_archive(source, "not JSON this feedbridge reads: nested too deeply") from None
    except ValueError as err:  # an integer of more digits than Python converts
        raise _not_an_archive(source, f"not JSON this feedbridge reads: {err}") from None
    if not isinstance(document, dict):
        raise _not_an_archive(source, f"a JSON {_json_type(document)}, not an object")
    if _SURROGATE_ESCAPE.search(text):  # rare: look for a lone one only then
        path = _lone_surrogate(document)
        if path is not None:
            raise _not_an_archive(source, f"{_json_path(path)}: holds half a surrogate pair, which is not text")
    return document


def _cut_short(err: json.JSONDecodeError) -> bool:
    """Whether the JSON ends where more was due: anywhere in a value, a string, an
    escape or a literal."""
    rest = err.doc[err.pos:].rstrip()
    return (
        not rest
        or err.msg.startswith("Unterminated string")
        or (err.msg.startswith("Invalid \\uXXXX escape") and len(rest) < len("uXXXX"))
        or (err.msg == "Expecting value" and any(word.startswith(rest) for word in ("true", "false", "null")))
    )


def _json_type(value: object) -> str:
    kinds = {list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else kinds[type(value)]


def _lone_surrogate(document: dict[str, Any]) -> tuple[str | int, ...] | None:
    """The path of the first key or string that holds a lone surrogate, if any."""
    pending: list[tuple[tuple[str | int, ...], Any]] = [((), document)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str) and _SURROGATE.search(value):
            return path
        if isinstance(value, dict):
            for key in sorted(value, reverse=True):
                if _SURROGATE.search(key):
                    return (*path, key)
                pending.append(((*path, key), value[key]))
        elif isinstance(value, list):
            pending.extend(((*path, i), item) for i, item in reversed(list(enumerate(value))))
    return None


def _first_problem(validator: Draft202012Validator, document: dict[str, Any]) -> str | None:
    """The first problem in the document's order (keys sorted, as dump writes them)."""
    try:
        first = min(validator.iter_errors(document), key=_position, default=None)
        return None if first is None else _describe(first)
    except RecursionError:  # a value nested too deeply to print in a message
        return "a value is nested too deeply"


def _position(error: ValidationError) -> tuple[Any, ...]:
    return tuple((0, part) if isinstance(part, int) else (1, part) for part in error.absolute_path), error.message


def _describe(error: ValidationError) -> str:
    """``entries[3].paper.title: 5 is not of type 'string'``, on one line of a readable length."""
    message = error.message
    if len(message) > 200:
        message = message.replace(repr(error.instance), _SHORT.repr(error.instance))
        message = message if len(message) <= 200 else message[:199] + "…"
    path = _json_path(error.absolute_path)
    return f"{path}: {message}" if path else message


def _json_path(parts: Iterable[str | int]) -> str:
    """``entries[3].paper.authors[0].name``; a key that is no name is quoted: ``batches["cs.AI"]``."""
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _NAME.fullmatch(part):
            path += f".{part}" if path else part
        else:
            path += f"[{json.dumps(part if len(part) <= 40 else part[:40] + '…')}]"
    return path


def _entry_json(entry: Entry) -> dict[str, Any]:
    translated = entry.translated
    return {
        "paper": paper_json(translated.paper),
        "published": entry.published.isoformat(),
        "source_lang": translated.source_lang,
        "target_lang": translated.target_lang,
        "translator": translated.translator,
        "title": _sentences_json(translated.title),
        "abstract": _sentences_json(translated.abstract),
    }


def _sentences_json(translation: Translation) -> list[list[Any]]:
    return [[p.source, p.target, p.translated] for p in translation.sentences]


# What follows reads a document ARCHIVE_SCHEMA passed: every key it reads is there,
# with its type.


def _entry_from(data: dict[str, Any]) -> Entry:
    translated = TranslatedPaper(
        paper=paper_from_json(data["paper"]),
        source_lang=data["source_lang"],
        target_lang=data["target_lang"],
        title=_sentences_from(data["title"]),
        abstract=_sentences_from(data["abstract"]),
        translator=data["translator"],
    )
    return Entry(translated, datetime.fromisoformat(data["published"]))


def _sentences_from(data: list[list[Any]]) -> Translation:
    return Translation(tuple(SentencePair(source, target, translated) for source, target, translated in data))
