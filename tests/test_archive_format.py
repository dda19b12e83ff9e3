"""The archive file: what dump writes, load reads back, field by field, and nothing else.

An archive is read back from the published site at the start of every run, so load
treats it as hostile: a cut-off copy, a maintenance page served with 200, a newer
format, a field of the wrong type. Each is one FeedbridgeError whose one line names the
source and, for a field, its path (``entries[3].paper.authors[0].name``); anything
else that escapes would crash a run, and a partly read archive would publish a
mangled feed.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import MISSING, fields, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import fastjsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from feedbridge import archive, archive_file
from feedbridge.archive import Batch, Entry, FeedArchive, Window
from feedbridge.archive_file import ARCHIVE_SCHEMA, FORMAT
from feedbridge.errors import FeedbridgeError
from feedbridge.model import Author, Paper, SentencePair, TranslatedPaper, Translation
from feedbridge.sources.arxiv_api import parse_answer
from feedbridge.sources.arxiv_links import arxiv_links
from feedbridge.sources.arxiv_rss import parse_feed
from feedbridge.sources.arxiv_xml import ID_WITH_VERSION
from feedbridge.translate.segment import split_sentences
from support.paths import API_SEARCH, LEGACY_HEP_EX, QUANT_PH

PUBLISHED = sorted((Path(__file__).with_name("fixtures") / "site-0.1.0" / "archive").glob("*.json"))
QUANT_PH_JA = next(p for p in PUBLISHED if p.name == "quant-ph.ja.json")
SOURCE = "https://x.org/archive/cs.AI.ja.json"
NOT_AN_ARCHIVE = f"{SOURCE}: not a feedbridge archive: "


def refusal(data: bytes) -> str:
    """The one-line message load gives for ``data``."""
    with pytest.raises(FeedbridgeError) as caught:
        archive_file.load(data, SOURCE)
    message = str(caught.value)
    assert "\n" not in message and "\r" not in message and len(message) < 400, message
    return message


def encoded(document: object) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode()


def published(path: Path = QUANT_PH_JA) -> dict:
    return json.loads(path.read_bytes())


# --- what dump writes, load reads ----------------------------------------------------


def translate(text: str) -> Translation:
    """A text as an engine might give it: sentence by sentence, one of them refused."""
    return Translation(tuple(
        SentencePair(sentence, sentence if i == 1 else f"訳: {sentence.upper()}", i != 1)
        for i, sentence in enumerate(split_sentences(text))
    ))


def archive_of(path: Path, parse) -> FeedArchive:
    """Every paper of a real feed, translated, as the window would hold them."""
    feed = parse(path.read_bytes(), str(path))
    translated = [TranslatedPaper(p, "en", "ja", translate(p.title), translate(p.abstract), "translate-en_ja 1.1")
                  for p in feed.papers]
    return FeedArchive(
        entries=tuple(Entry(t, t.paper.announced - timedelta(days=1)) for t in translated),
        days=tuple(sorted({t.paper.announced.date() for t in translated})),
        batches={"quant-ph": archive.batch_of(feed), "cs.AI": Batch(feed.announced, frozenset())},
    )


@pytest.mark.parametrize("path, parse", [(QUANT_PH, parse_feed), (LEGACY_HEP_EX, parse_feed), (API_SEARCH, parse_answer)])
def test_an_archive_of_real_papers_reads_back_as_it_was_written(path, parse):
    state = archive_of(path, parse)
    assert state.entries
    data = archive_file.dump(state, "quant-ph.ja")
    loaded = archive_file.load(data, SOURCE)
    assert loaded == state
    assert archive_file.dump(loaded, "quant-ph.ja") == data


@pytest.mark.parametrize("path", PUBLISHED, ids=lambda p: p.name)
def test_every_archive_feedbridge_0_1_0_published_reads_and_writes_back_the_same(path):
    """Byte for byte, but for the accounted days 0.1.0 did not keep: its window's days,
    up to each source's last batch."""
    loaded = archive_file.load(path.read_bytes(), str(path))
    original = published(path)
    assert len(loaded.entries) == len(original["entries"])
    written = json.loads(archive_file.dump(loaded, original["feed"]))
    accounted = written.pop("accounted")
    assert json.dumps(written, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode() == path.read_bytes()
    assert set(accounted) == set(original["batches"])
    for source, batch in original["batches"].items():
        last = batch["announced"][:10]
        assert accounted[source] == {day: {"state": "rss"} for day in original["days"] if day <= last}
        assert last in accounted[source]


def _optional_text():
    return st.none() | st.text(max_size=20)


# Any offset of whole seconds (Python reads a fraction of a second in an offset wrongly).
aware_datetimes = st.builds(
    lambda moment, seconds: moment.replace(tzinfo=timezone(timedelta(seconds=seconds))),
    st.datetimes(), st.integers(-86_399, 86_399),
)
arxiv_ids = st.builds("{:04d}.{:05d}".format, st.integers(0, 9999), st.integers(0, 99999)) | st.builds(
    "{}/{:07d}".format, st.sampled_from(["hep-th", "math.AG", "cond-mat"]), st.integers(0, 9_999_999))


@st.composite
def papers(draw) -> Paper:
    arxiv_id, version = draw(arxiv_ids), draw(st.integers(0, 999_999))
    comment = draw(_optional_text() | st.just("Code: https://github.com/a/b"))
    return Paper(
        arxiv_id=arxiv_id,
        version=version,
        title=draw(st.text(max_size=30)),
        abstract=draw(st.text(max_size=60)),
        authors=tuple(draw(st.lists(st.builds(Author, st.text(max_size=10), st.lists(st.text(max_size=10)).map(tuple)),
                                    max_size=3))),
        categories=tuple(draw(st.lists(st.text(max_size=8), max_size=3))),
        announce_type=draw(st.sampled_from(["new", "cross", "replace", "replace-cross"]) | st.text(max_size=8)),
        announced=draw(aware_datetimes),
        links=arxiv_links(arxiv_id, version, comment),
        doi=draw(_optional_text()),
        journal_ref=draw(_optional_text()),
        license=draw(_optional_text()),
        comment=comment,
    )


translations = st.lists(st.builds(SentencePair, st.text(max_size=20), st.text(max_size=20), st.booleans()),
                        max_size=3).map(lambda pairs: Translation(tuple(pairs)))
entries = st.builds(
    Entry,
    st.builds(TranslatedPaper, papers(), st.text(max_size=3), st.text(max_size=3), translations, translations,
              st.text(max_size=12)),
    aware_datetimes,
)
versioned_ids = st.builds("{}v{}".format, arxiv_ids, st.integers(0, 999_999))
archives = st.builds(
    FeedArchive,
    st.lists(entries, max_size=4).map(tuple),
    st.lists(st.dates(), max_size=4).map(tuple),
    st.dictionaries(st.text(max_size=10), st.builds(Batch, aware_datetimes, st.frozensets(versioned_ids, max_size=3)),
                    max_size=2),
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(archives, st.text(max_size=10))
def test_any_archive_reads_back_as_it_was_written(state, name):
    data = archive_file.dump(state, name)
    loaded = archive_file.load(data, SOURCE)
    assert loaded == state
    assert archive_file.dump(loaded, name) == data


@settings(max_examples=100, deadline=None)
@given(st.from_regex(ID_WITH_VERSION, fullmatch=True))
def test_every_id_the_sources_read_is_one_an_archive_holds(versioned):
    arxiv_id, version = re.fullmatch(ID_WITH_VERSION, versioned).groups()
    document = copy.deepcopy(SMALL)
    document["batches"]["hep-ex"]["ids"] = [versioned]
    document["entries"][0]["paper"].update(arxiv_id=arxiv_id, version=int(version))
    loaded = archive_file.load(encoded(document), SOURCE)
    assert loaded.batches["hep-ex"].ids == {versioned}
    assert loaded.entries[0].paper.arxiv_id == arxiv_id


def test_fields_the_model_gives_a_default_may_be_absent_and_unknown_keys_are_ignored():
    document = published()
    expected = archive_file.load(encoded(document), SOURCE)
    document["from_a_newer_release"] = {"anything": [1, 2]}
    document["entries"][0]["rating"] = 5
    document["entries"][0]["paper"]["funding"] = "ERC"
    document["batches"]["quant-ph"]["etag"] = "x"
    assert archive_file.load(encoded(document), SOURCE) == expected
    paper = document["entries"][0]["paper"]
    for key in ("doi", "journal_ref", "license", "comment"):
        del paper[key]
    del paper["authors"][0]["affiliations"]
    entry = archive_file.load(encoded(document), SOURCE).entries[0]
    assert (entry.paper.doi, entry.paper.journal_ref, entry.paper.license, entry.paper.comment) == (None,) * 4
    assert entry.paper.authors[0].affiliations == ()


# --- the schema is what dump writes ----------------------------------------------------


def test_the_schema_is_valid_draft_2020_12():
    Draft202012Validator.check_schema(ARCHIVE_SCHEMA)


def _described(schema: dict, name: str) -> dict:
    return schema["properties"][name]


@pytest.mark.parametrize("model, schema", [
    (Paper, _described(_described(ARCHIVE_SCHEMA, "entries")["items"], "paper")),
    (Author, _described(_described(_described(ARCHIVE_SCHEMA, "entries")["items"], "paper"), "authors")["items"]),
])
def test_the_schema_holds_every_field_of_the_model_and_requires_those_without_a_default(model, schema):
    stored = [f for f in fields(model) if f.name != "links"]  # load derives a paper's links
    assert set(schema["properties"]) == {f.name for f in stored}
    assert set(schema["required"]) == {f.name for f in stored if f.default is MISSING and f.default_factory is MISSING}


def _undescribed(value: object, schema: dict, path: str = ""):
    """Every place in a document that the schema says nothing about."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in schema.get("properties", {}):
                yield from _undescribed(item, schema["properties"][key], f"{path}.{key}")
            elif "additionalProperties" in schema:
                yield from _undescribed(item, schema["additionalProperties"], f"{path}[{key}]")
            else:
                yield f"{path}.{key}"
    elif isinstance(value, list):
        for i, item in enumerate(value):
            prefix = schema.get("prefixItems", [])
            item_schema = prefix[i] if i < len(prefix) else schema.get("items")
            if item_schema is None:
                yield f"{path}[{i}]"
            else:
                yield from _undescribed(item, item_schema, f"{path}[{i}]")
    elif "type" not in schema and "const" not in schema:
        yield path


def test_the_schema_describes_every_field_dump_writes():
    state = archive_of(API_SEARCH, parse_answer)
    document = json.loads(archive_file.dump(state, "x"))
    assert list(_undescribed(document, ARCHIVE_SCHEMA)) == []
    assert Draft202012Validator(ARCHIVE_SCHEMA).is_valid(document)


# --- the format number -----------------------------------------------------------------


@pytest.mark.parametrize("number", [FORMAT + 1, 7, 10**30])
def test_a_newer_format_says_to_upgrade_whatever_its_shape(number):
    newer = f"archive format {number if number < 10**20 else '.*'} is newer than this feedbridge reads \\(1\\); upgrade feedbridge$"
    assert re.match(f"^{re.escape(SOURCE)}: {newer}", refusal(encoded({**published(), "format": number})))
    assert re.match(f"^{re.escape(SOURCE)}: {newer}", refusal(encoded({"format": number, "entries": "a new layout"})))


@pytest.mark.parametrize("format_field, problem", [
    (None, "'format' is a required property"),
    ({"format": "1"}, "format: '1' is not of type 'integer'"),
    ({"format": 1.0}, "format: 1.0 is not of type 'integer'"),
    ({"format": True}, "format: True is not of type 'integer'"),
    ({"format": None}, "format: None is not of type 'integer'"),
    ({"format": 0}, "format: 0 is less than the minimum of 1"),
    ({"format": -3}, "format: -3 is less than the minimum of 1"),
])
def test_a_missing_or_impossible_format_is_not_an_archive(format_field, problem):
    document = published()
    del document["format"]
    assert refusal(encoded({**document, **(format_field or {})})) == NOT_AN_ARCHIVE + problem


# --- bytes that are no archive ---------------------------------------------------------


MAINTENANCE_PAGE = b"""<!DOCTYPE html>
<html><head><title>Site under maintenance</title></head>
<body><h1>We'll be back soon</h1></body></html>"""


@pytest.mark.parametrize("data, problem", [
    (b"", "it is empty"),
    (b" \n\t\r\n", "it is empty"),
    (MAINTENANCE_PAGE, "an HTML or XML page, not JSON"),
    (b"\xef\xbb\xbf\n" + MAINTENANCE_PAGE, "an HTML or XML page, not JSON"),
    (b"<?xml version='1.0'?><Error><Code>NoSuchKey</Code></Error>", "an HTML or XML page, not JSON"),
    ('{"feed": "caf\u00e9"}'.encode("latin-1"), "not UTF-8 text (byte 0xe9 at offset 13)"),
    (QUANT_PH_JA.read_text(encoding="utf-8").encode("utf-16"), "not UTF-8 text (byte 0xff at offset 0)"),
    (b"[]", "a JSON array, not an object"),
    (b'"archive"', "a JSON string, not an object"),
    (b"1", "a JSON number, not an object"),
    (b"null", "a JSON null, not an object"),
    (b"{'format': 1}", "not JSON: Expecting property name enclosed in double quotes at line 1 column 2"),
    (b'{"format": 1} {"format": 1}', "not JSON: Extra data at line 1 column 15"),
    (b'{"format": 1, "feed": ' + b"[" * 5000 + b"]" * 5000 + b"}", "not JSON this feedbridge reads: nested too deeply"),
])
def test_bytes_that_are_no_archive_say_what_they_are(data, problem):
    assert refusal(data) == NOT_AN_ARCHIVE + problem


def test_an_integer_too_long_to_read_is_not_json_feedbridge_reads():
    assert refusal(b'{"format": ' + b"1" * 5000 + b"}").startswith(NOT_AN_ARCHIVE + "not JSON this feedbridge reads: ")


def test_a_value_nested_deeper_than_a_message_can_show_is_refused_not_raised():
    document = published()
    document["feed"] = json.loads("[" * 900 + "]" * 900)
    assert refusal(encoded(document)).startswith(NOT_AN_ARCHIVE)


def test_half_a_surrogate_pair_is_no_text_and_a_whole_pair_is():
    document = published()
    document["entries"][2]["paper"]["title"] = "x"
    data = encoded(document).replace(b'"title": "x"', b'"title": "\\udc80 x"', 1)
    assert refusal(data) == NOT_AN_ARCHIVE + "entries[2].paper.title: holds half a surrogate pair, which is not text"
    paired = encoded(document).replace(b'"title": "x"', b'"title": "\\ud83d\\ude00 x"', 1)
    assert archive_file.load(paired, SOURCE).entries[2].paper.title == "\U0001F600 x"


@pytest.mark.parametrize("path", PUBLISHED, ids=lambda p: p.name)
def test_an_archive_cut_short_anywhere_says_so(path):
    data = path.read_bytes()
    assert refusal(data[:0]) == NOT_AN_ARCHIVE + "it is empty"
    for end in range(1, len(data), 1 + len(data) // 5000):  # every byte of a small one
        message = refusal(data[:end])
        assert message.startswith(NOT_AN_ARCHIVE + "it ends early, ") and message.endswith("(cut short?)"), (end, message)


def test_an_archive_cut_inside_a_character_says_so():
    data = QUANT_PH_JA.read_bytes()
    inside = next(i for i, byte in enumerate(data) if byte >= 0xC0) + 1  # after a lead byte
    assert refusal(data[:inside]) == NOT_AN_ARCHIVE + f"it ends early, inside a character at byte {inside - 1} (cut short?)"


# --- fields of the wrong type or shape -------------------------------------------------


DELETE = object()


def mutated(document: dict, path: tuple, value: object) -> dict:
    """A copy of ``document`` with the value at ``path`` replaced (or deleted)."""
    document = copy.deepcopy(document)
    *parents, last = path
    container = document
    for part in parents:
        container = container[part]
    if value is DELETE:
        del container[last]
    else:
        container[last] = value
    return document


@pytest.mark.parametrize("path, value, problem", [
    (("feed",), 1, "feed: 1 is not of type 'string'"),
    (("generator",), DELETE, "'generator' is a required property"),
    (("days",), "2025-05-02", "days: '2025-05-02' is not of type 'array'"),
    (("days", 1), "2025-13-01", "days[1]: '2025-13-01' is not a 'date'"),
    (("days", 1), "2025-02-30", "days[1]: '2025-02-30' is not a 'date'"),
    (("days", 1), "2 May 2025", "days[1]: '2 May 2025' is not a 'date'"),
    (("days", 0), "2025-05-02T00:00:00-04:00", "days[0]: '2025-05-02T00:00:00-04:00' is not a 'date'"),
    (("days", 0), 20250502, "days[0]: 20250502 is not of type 'string'"),
    (("batches",), [], "batches: [] is not of type 'object'"),
    (("batches", "quant-ph"), "2025-05-02", "batches[\"quant-ph\"]: '2025-05-02' is not of type 'object'"),
    (("batches", "quant-ph", "ids"), DELETE, "batches[\"quant-ph\"]: 'ids' is a required property"),
    (("batches", "quant-ph", "ids"), "2403.13790v1", "batches[\"quant-ph\"].ids: '2403.13790v1' is not of type 'array'"),
    (("batches", "quant-ph", "ids", 0), "2403.13790",
     "batches[\"quant-ph\"].ids[0]: '2403.13790' is not a 'versioned-arxiv-id'"),
    (("batches", "quant-ph", "announced"), "2025-05-02T00:00:00",
     "batches[\"quant-ph\"].announced: '2025-05-02T00:00:00' is not a 'date-time'"),  # no offset
    (("batches", "quant-ph", "announced"), "2025-05-02T25:00:00-04:00",
     "batches[\"quant-ph\"].announced: '2025-05-02T25:00:00-04:00' is not a 'date-time'"),
    (("batches", "quant-ph", "announced"), "2025-05-02T00:00:00+24:00",
     "batches[\"quant-ph\"].announced: '2025-05-02T00:00:00+24:00' is not a 'date-time'"),
    (("batches", "quant-ph", "announced"), "2025-05-02",
     "batches[\"quant-ph\"].announced: '2025-05-02' is not a 'date-time'"),
    (("entries",), {}, "entries: {} is not of type 'array'"),
    (("entries",), DELETE, "'entries' is a required property"),
    (("entries", 0), "2403.13790", "entries[0]: '2403.13790' is not of type 'object'"),
    (("entries", 4, "published"), DELETE, "entries[4]: 'published' is a required property"),
    (("entries", 4, "published"), "yesterday", "entries[4].published: 'yesterday' is not a 'date-time'"),
    (("entries", 4, "source_lang"), None, "entries[4].source_lang: None is not of type 'string'"),
    (("entries", 4, "paper"), DELETE, "entries[4]: 'paper' is a required property"),
    (("entries", 3, "paper", "title"), 5, "entries[3].paper.title: 5 is not of type 'string'"),
    (("entries", 3, "paper", "title"), None, "entries[3].paper.title: None is not of type 'string'"),
    (("entries", 3, "paper", "authors"), "Ada Lovelace", "entries[3].paper.authors: 'Ada Lovelace' is not of type 'array'"),
    (("entries", 3, "paper", "authors", 0, "name"), 5, "entries[3].paper.authors[0].name: 5 is not of type 'string'"),
    (("entries", 3, "paper", "authors", 0, "name"), DELETE, "entries[3].paper.authors[0]: 'name' is a required property"),
    (("entries", 3, "paper", "authors", 0, "affiliations"), "CERN",
     "entries[3].paper.authors[0].affiliations: 'CERN' is not of type 'array'"),
    (("entries", 3, "paper", "categories"), ["quant-ph", 7], "entries[3].paper.categories[1]: 7 is not of type 'string'"),
    (("entries", 3, "paper", "version"), "2", "entries[3].paper.version: '2' is not of type 'integer'"),
    (("entries", 3, "paper", "version"), 2.0, "entries[3].paper.version: 2.0 is not of type 'integer'"),
    (("entries", 3, "paper", "version"), True, "entries[3].paper.version: True is not of type 'integer'"),
    (("entries", 3, "paper", "version"), -1, "entries[3].paper.version: -1 is less than the minimum of 0"),
    (("entries", 3, "paper", "arxiv_id"), "../../etc/passwd",
     "entries[3].paper.arxiv_id: '../../etc/passwd' is not a 'arxiv-id'"),
    (("entries", 3, "paper", "arxiv_id"), "2403.13790v1", "entries[3].paper.arxiv_id: '2403.13790v1' is not a 'arxiv-id'"),
    (("entries", 3, "paper", "doi"), 10, "entries[3].paper.doi: 10 is not of type 'string', 'null'"),
    (("entries", 3, "paper", "announced"), "2025-05-02T00:00:00",
     "entries[3].paper.announced: '2025-05-02T00:00:00' is not a 'date-time'"),
    (("entries", 3, "paper", "announced"), DELETE, "entries[3].paper: 'announced' is a required property"),
    (("entries", 3, "title"), "A title", "entries[3].title: 'A title' is not of type 'array'"),
    (("entries", 3, "title", 0), ["A title", "タイトル"], "entries[3].title[0]: ['A title', 'タイトル'] is too short"),
    (("entries", 3, "title", 0), ["A title", "タイトル", True, 1], "entries[3].title[0]: ['A title', 'タイトル', True, 1] is too long"),
    (("entries", 3, "title", 0), {"source": "A title"}, "entries[3].title[0]: {'source': 'A title'} is not of type 'array'"),
    (("entries", 3, "abstract", 1, 2), "true", "entries[3].abstract[1][2]: 'true' is not of type 'boolean'"),
    (("entries", 3, "abstract", 1, 2), 1, "entries[3].abstract[1][2]: 1 is not of type 'boolean'"),
    (("entries", 3, "abstract", 1, 1), None, "entries[3].abstract[1][1]: None is not of type 'string'"),
])
def test_a_field_of_the_wrong_type_or_shape_is_named_by_its_path(path, value, problem):
    assert refusal(encoded(mutated(published(), path, value))) == NOT_AN_ARCHIVE + problem


def test_a_value_too_long_to_show_is_shortened():
    document = mutated(published(), ("entries", 3, "abstract", 1), ["x" * 10_000, "y" * 10_000, True, "z"])
    message = refusal(encoded(document))
    assert message.startswith(NOT_AN_ARCHIVE + "entries[3].abstract[1]: ['xxx") and message.endswith("] is too long")


def test_a_key_that_is_no_name_is_quoted_in_the_path():
    document = published()
    document["batches"]["cs.AI\n" + "x" * 100] = {"announced": "now", "ids": []}
    assert refusal(encoded(document)) == (
        NOT_AN_ARCHIVE + 'batches["cs.AI\\n' + "x" * 34 + '\\u2026"].announced: '
        "'now' is not a 'date-time'"
    )


def test_the_first_problem_in_the_document_is_the_one_named():
    document = mutated(published(), ("entries", 7, "paper", "title"), 1)
    document = mutated(document, ("entries", 2, "translator"), 1)
    assert refusal(encoded(document)) == NOT_AN_ARCHIVE + "entries[2].translator: 1 is not of type 'string'"
    document = mutated(document, ("days", 0), "0")  # days come before entries, as dump sorts them
    assert refusal(encoded(document)) == NOT_AN_ARCHIVE + "days[0]: '0' is not a 'date'"


# --- random damage: a FeedbridgeError or an archive, never anything else -----------------


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
    | st.sampled_from(["2025-05-02", "2025-05-02T00:00:00-04:00", "2025-05-02T00:00:00", "2403.13790",
                       "2403.13790v1", "hep-th/9901001", "true"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=6,
)


def _places(value: object, path: tuple = ()):
    """Every path in a document, the document itself included."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _places(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _places(item, (*path, i))


SMALL = published(next(p for p in PUBLISHED if p.name == "hep-ex.ja.json"))
SMALL_PLACES = [p for p in _places(SMALL) if p]


@st.composite
def damaged_documents(draw) -> dict:
    document = SMALL
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(SMALL_PLACES))
        try:
            document = mutated(document, path, draw(st.just(DELETE) | json_values))
        except (KeyError, IndexError, TypeError):  # an earlier change moved this place
            continue
    return document


def _reads_or_refuses(data: bytes) -> FeedArchive | None:
    """load's only two outcomes; what it reads must be usable: written again, compared."""
    try:
        loaded = archive_file.load(data, SOURCE)
    except FeedbridgeError as err:
        assert str(err).startswith(f"{SOURCE}: ") and "\n" not in str(err)
        return None
    archive_file.dump(loaded, "x")
    assert loaded.newest is None or loaded.newest.tzinfo is not None
    return loaded


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged_documents())
def test_a_damaged_document_is_read_or_refused_never_anything_else(document):
    _reads_or_refuses(encoded(document))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged_documents())
def test_both_validators_of_the_schema_agree(document):
    """load checks every archive with fastjsonschema and names a refused one's problem with
    jsonschema: the two must pass and refuse the same documents."""
    document = {**document, "format": FORMAT}
    try:
        archive_file._FAST_CHECK(document)
        fast = True
    except fastjsonschema.JsonSchemaValueException:
        fast = False
    assert fast == archive_file._ARCHIVE_VALIDATOR.is_valid(document)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_damaged_bytes_are_read_or_refused(data):
    raw = bytearray(QUANT_PH_JA.read_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    _reads_or_refuses(bytes(raw))


def test_an_archive_read_is_one_the_window_can_use():
    """What load gives merges with a new batch like any archive: dates are aware."""
    loaded = archive_file.load(QUANT_PH_JA.read_bytes(), SOURCE)
    later = replace(loaded.entries[0].paper, announced=loaded.entries[0].paper.announced + timedelta(days=1))
    new = TranslatedPaper(later, "en", "ja", translate(later.title), translate(later.abstract), "x 1")
    merged = archive.merge(loaded, [new], {}, Window())
    assert merged.entries[0].paper == later
    assert merged.newest == datetime(2025, 5, 3, tzinfo=timezone(timedelta(hours=-4)))
    assert loaded.days[-1] == date(2025, 5, 2)
