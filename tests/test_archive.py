"""The rolling window and the freshness guard, from unit rules to five days of real runs.

The five-day sequence is made from the one real weekday capture (quant-ph, 2025-04-28,
81 items) and the real empty holiday feed, because arXiv publishes one batch a day:

- day 1 (Mon 28 Apr): new items 0-19, cross-lists 0-4, replacements 0-10 (of papers
  the feed never had: by default they are left out);
- day 2 (Tue 29 Apr): new items 20-39, cross-lists 5-9, every replace-cross item, new
  item 2 again unchanged, new item 0 as v2 ``replace`` with the same text, and new
  item 1 as v2 ``replace`` with one sentence added to its abstract;
- day 3 (Wed 30 Apr): the empty physics holiday capture, verbatim;
- day 4 (Thu 1 May): day 2's document again, byte for byte (arXiv lagging);
- day 5 (Fri 2 May): replacements 11-21 rewritten as v1 ``new`` papers, fresh ones.

Items are copied from the capture with only ``pubDate``, the guid's version, the
announce type and (for item 1) the abstract rewritten. Each day builds into a fresh
folder and reads its history only from the previous day's output, served over HTTP
as the site.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from lxml import etree

from feedbridge import archive, archive_file
from feedbridge.archive import Batch, FeedArchive, Window
from feedbridge.sources.arxiv_rss import parse_feed
from feedbridge.config import AnnouncePolicy, parse_config
from feedbridge.errors import ConfigError, ExitCode, FeedbridgeError
from feedbridge.model import SentencePair, TranslatedPaper, Translation
from feedbridge.translate.segment import join_lines
from support.builds import build
from support.checks import ATOM, assert_valid_atom
from support.config import write_config
from support.feeds import ADDED_SENTENCE, TOPIC, as_version, day_document, items
from support.paths import EMPTY_PHYSICS, QUANT_PH


# --- unit rules -------------------------------------------------------------------


def fixture_papers():
    return parse_feed(QUANT_PH.read_bytes(), str(QUANT_PH))


def feed_config(text: str = "feeds: [quant-ph]"):
    config = parse_config(
        "site: {base_url: 'https://example.org/'}\narxiv: {contact: me}\n" + text, Path("/c/feeds.yaml")
    )
    return config.feeds


def translated(papers, translator="upper 1"):
    """Papers as if translated (upper-cased), without an engine: the window does not care how."""
    def upper(text):
        return Translation((SentencePair(text, text.upper()),))

    return [TranslatedPaper(p, "en", "ja", upper(p.title), upper(p.abstract), translator) for p in papers]


def of_type(kind):
    return [p for p in fixture_papers().papers if p.announce_type == kind]


def test_guard_empty_stale_older_and_fresh():
    feed = fixture_papers()
    empty = parse_feed(EMPTY_PHYSICS.read_bytes(), str(EMPTY_PHYSICS))
    batch = archive.batch_of(feed)
    assert archive.judge(None, empty).status == "empty"
    assert archive.judge(None, feed).status == "fresh"
    assert archive.judge(batch, feed).status == "stale"
    later = Batch(batch.announced + timedelta(days=1), frozenset({"2504.00001v1"}))
    assert archive.judge(later, feed).status == "stale"
    assert "older" in archive.judge(later, feed).message
    earlier = Batch(batch.announced - timedelta(days=1), frozenset({"2504.00001v1"}))
    assert archive.judge(earlier, feed).status == "fresh"


def test_the_published_batch_is_current_when_it_is_the_one_due_and_stale_when_a_newer_is():
    feed = fixture_papers()
    batch = archive.batch_of(feed)
    day = batch.announced.date()
    assert archive.judge(batch, feed, due=day).status == "current"
    assert "already published" in archive.judge(batch, feed, due=day).message
    assert archive.judge(batch, feed, due=day + timedelta(days=1)).status == "stale"
    assert archive.judge(None, feed, due=day).status == "fresh"


def test_same_ids_with_a_new_date_are_still_the_same_batch():
    feed = fixture_papers()
    moved = replace(archive.batch_of(feed), announced=feed.announced - timedelta(days=1))
    assert archive.judge(moved, feed).status == "stale"


def test_default_policy_new_and_cross_in_replacements_only_update():
    (feed,) = feed_config()
    papers = fixture_papers().papers
    chosen = archive.select_papers(feed, papers, FeedArchive())
    assert {p.announce_type for p in chosen} == {"new", "cross"}
    assert len(chosen) == 50
    replaced = of_type("replace")[0]
    known = archive.merge(FeedArchive(), translated([replace(replaced, version=1)]), {}, Window())
    assert archive.select_papers(feed, [replaced], known) == [replaced]


@pytest.mark.parametrize(
    ("options", "types"),
    [
        ("{category: quant-ph, cross: exclude}", {"new"}),
        ("{category: quant-ph, replace: include}", {"new", "cross", "replace"}),
        ("{category: quant-ph, replace-cross: include, cross: update}", {"new", "replace-cross"}),
    ],
)
def test_per_feed_announce_options(options, types):
    (feed,) = feed_config(f"feeds: [{options}]")
    chosen = archive.select_papers(feed, fixture_papers().papers, FeedArchive())
    assert {p.announce_type for p in chosen} == types


def test_excluded_replacement_does_not_update():
    (feed,) = feed_config("feeds: [{category: quant-ph, replace: exclude}]")
    replaced = of_type("replace")[0]
    known = archive.merge(FeedArchive(), translated([replace(replaced, version=1)]), {}, Window())
    assert archive.select_papers(feed, [replaced], known) == []


def test_a_paper_seen_again_is_not_chosen_and_an_older_version_never_wins():
    (feed,) = feed_config()
    paper = of_type("new")[0]
    known = archive.merge(FeedArchive(), translated([replace(paper, version=3)]), {}, Window())
    assert archive.select_papers(feed, [paper, replace(paper, version=3)], known) == []
    assert archive.select_papers(feed, [paper, paper], FeedArchive()) == [paper]


def test_topic_filter_keywords_and_regex_over_title_and_abstract():
    feeds = feed_config(
        "feeds: [quant-ph]\ntopics:\n"
        "  - {name: qrc, categories: [quant-ph], include: [reservoir  COMPUTING, '/\\bBell\\b/'], exclude: [noise]}\n"
    )
    topic = feeds[1]
    assert topic.sources == ("quant-ph",)
    chosen = archive.select_papers(topic, fixture_papers().papers, FeedArchive())
    assert chosen
    for paper in chosen:
        text = f"{paper.title} {paper.abstract}"
        assert re.search(r"reservoir\s+computing|\bBell\b", text, re.IGNORECASE) and "noise" not in text.lower()
    noisy = [p for p in fixture_papers().papers if "reservoir computing" in p.abstract.lower() and "noise" in p.abstract]
    assert noisy and not set(noisy) & set(chosen)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("feeds: [{category: quant-ph, replace: sometimes}]", "feeds[0].replace"),
        ("feeds: [quant-ph]\nwindow: {days: 0}", "window.days"),
        ("feeds: [quant-ph]\nwindow: {weeks: 1}", "window.weeks"),
        ("feeds: [quant-ph]\ntopics: [{name: quant-ph.ja, categories: [quant-ph]}]", "topics[0].name"),
        ("feeds: [quant-ph]\ntopics: [{name: t, categories: []}]", "topics[0].categories"),
        ("feeds: [quant-ph]\ntopics: [{name: t, categories: [quant-ph], include: ['/(unclosed/']}]", "topics[0].include[0]"),
        ("feeds: [quant-ph]\ntopics: [{name: t, categories: [quant-ph], colour: red}]", "topics[0].colour"),
    ],
)
def test_publishing_config_mistakes_name_their_key(text, key):
    with pytest.raises(ConfigError, match=rf"^/c/feeds.yaml: {re.escape(key)}: expected"):
        feed_config(text)


def test_window_defaults():
    config = parse_config("site: {base_url: 'https://e.org/'}\narxiv: {contact: me}\nfeeds: [cs.AI]", Path("/c/f.yaml"))
    assert (config.window_days, config.max_entries) == (7, 2000)
    assert config.feeds[0].announce == AnnouncePolicy("include", "update", "update")


def test_merge_keeps_first_published_moves_updates_up_and_keeps_arxiv_order():
    monday, tuesday = fixture_papers().papers[:3], []
    first = archive.merge(FeedArchive(), translated(monday), {}, Window())
    assert [e.paper.arxiv_id for e in first.entries] == [p.arxiv_id for p in monday]
    later = monday[2].announced + timedelta(days=1)
    tuesday = [replace(monday[2], version=2, announced=later)]
    second = archive.merge(first, translated(tuesday), {}, Window())
    assert [e.paper.arxiv_id for e in second.entries] == [monday[2].arxiv_id, monday[0].arxiv_id, monday[1].arxiv_id]
    assert second.entries[0].published == monday[2].announced and second.entries[0].updated == later


def test_window_keeps_the_last_n_announcement_days_and_at_most_m_entries():
    papers = fixture_papers().papers[:9]
    start = papers[0].announced
    state = FeedArchive()
    for day in range(3):  # three days, three papers each
        when = start + timedelta(days=day)
        batch = {"quant-ph": Batch(when, frozenset({str(day)}))}
        state = archive.merge(state, translated([replace(p, announced=when) for p in papers[3 * day: 3 * day + 3]]), batch, Window(days=2))
    assert state.days == ((start + timedelta(days=1)).date(), (start + timedelta(days=2)).date())
    assert [e.paper.arxiv_id for e in state.entries] == [p.arxiv_id for p in papers[6:9] + papers[3:6]]
    capped = archive.merge(state, [], {}, Window(days=2, max_entries=4))
    assert [e.paper.arxiv_id for e in capped.entries] == [p.arxiv_id for p in papers[6:9] + papers[3:4]]


def test_archive_round_trips_byte_for_byte():
    feed = fixture_papers()
    state = archive.merge(FeedArchive(), translated(feed.papers), {"quant-ph": archive.batch_of(feed)}, Window())
    data = archive_file.dump(state, "quant-ph.ja")
    loaded = archive_file.load(data, "x.json")
    assert loaded == state
    assert archive_file.dump(loaded, "quant-ph.ja") == data


@pytest.mark.parametrize("data", [b"", b"[]", b'{"format": 1, "entries": [{}], "days": [], "batches": {}}'])
def test_a_broken_archive_is_one_error_naming_its_source(data):
    with pytest.raises(FeedbridgeError, match="^site/x.json: not a feedbridge archive"):
        archive_file.load(data, "site/x.json")


def test_a_new_version_with_the_same_text_keeps_its_translation():
    paper = of_type("new")[0]
    state = archive.merge(FeedArchive(), translated([paper]), {}, Window())
    published = archive.published_translations([state], "upper 1")
    metadata_only = replace(paper, version=2, announce_type="replace", doi="10.1/x")
    carried = archive.carry_over(published, metadata_only)
    assert carried.paper == metadata_only and carried.title == state.entries[0].translated.title
    assert archive.carry_over(published, replace(metadata_only, abstract=paper.abstract + " More.")) is None
    assert archive.published_translations([state], "upper 2") == {}  # another model: translate again


# --- five days of runs ------------------------------------------------------------


RUN_DAYS = ("2025-04-28", "2025-04-29", "2025-04-30", "2025-05-01", "2025-05-02")  # each run's clock: its day


def five_days() -> list[bytes]:
    groups = items()
    new, cross, replaced = groups["new"], groups["cross"], groups["replace"]
    day2 = day_document(
        date(2025, 4, 29),
        new[20:40] + cross[5:10] + groups["replace-cross"]
        + [new[2], as_version(new[0], 2, "replace"), as_version(new[1], 2, "replace", ADDED_SENTENCE)],
    )
    return [
        day_document(date(2025, 4, 28), new[:20] + cross[:5] + replaced[:11]),
        day2,
        # Wed 30 Apr: arXiv's empty holiday channel (of another day, dated this one)
        EMPTY_PHYSICS.read_bytes().replace(b"Wed, 31 Dec 2025", b"Wed, 30 Apr 2025").replace(b"-0500", b"-0400"),
        day2,  # Thu 1 May: arXiv serves Tuesday's batch again
        day_document(date(2025, 5, 2), [as_version(i, 1, "new") for i in replaced[11:22]]),
    ]


class Site:
    """The previous day's output, served as the published site."""

    def __init__(self, server):
        self.server = server
        self.url = server.url + "/site/"

    def publish(self, out: Path) -> None:
        self.server.routes.clear()
        for path in out.rglob("*"):
            if path.is_file():
                self.server.serve(f"/site/{path.relative_to(out).as_posix()}", path.read_bytes())


@pytest.fixture
def engine_calls(monkeypatch):
    """Every sentence the real engine is asked to translate, per run (first attempts)."""
    from feedbridge.translate.argos import ArgosBackend

    calls: list[list[str]] = []
    original = ArgosBackend.translate_batch

    def counting(self, sentences, *args, **kwargs):
        if not kwargs.get("retry"):  # a second attempt at a sentence the model garbled is no new work
            calls[-1].extend(sentences)
        return original(self, sentences, *args, **kwargs)

    monkeypatch.setattr(ArgosBackend, "translate_batch", counting)
    return calls


def entries_of(path: Path) -> dict[str, etree._Element]:
    """Entries by the arXiv id in their alternate link, after checking the feed is valid Atom."""
    document, _ = assert_valid_atom(path)
    entries = document.getroot().findall(f"{ATOM}entry")
    by_id = {e.find(f"{ATOM}link[@rel='alternate']").get("href").rsplit("/", 1)[1]: e for e in entries}
    assert len(by_id) == len(entries), "a paper appears twice"
    return by_id


def test_five_days_of_runs_from_the_published_site_alone(tmp_path, http_server, installed_model, engine_calls):
    site = Site(http_server)
    config = write_config(tmp_path, feeds=["quant-ph"], topics=[TOPIC], base_url=site.url, window_days=2)
    groups = items()
    days = []
    for number, document in enumerate(five_days(), start=1):
        saved = tmp_path / f"saved{number}"
        saved.mkdir()
        (saved / "quant-ph.xml").write_bytes(document)
        out = tmp_path / f"day{number}"
        engine_calls.append([])
        strict = ["--strict"] if number in (3, 4) else []
        result = build("--config", config, "--from-dir", saved, "--out", out, "--now", f"{RUN_DAYS[number - 1]}T14:00:00Z",
                       *strict)
        assert (out / "status.json").exists(), result.output
        status = {f["name"]: f for f in json.loads((out / "status.json").read_text())["feeds"]}
        days.append((result, status, out, entries_of(out / "quant-ph.ja.xml"), entries_of(out / "entanglement.ja.xml")))
        site.publish(out)

    ids = lambda group, part: {i.findtext("link").rsplit("/", 1)[1] for i in groups[group][part]}  # noqa: E731
    (r1, s1, out1, feed1, topic1), (r2, s2, out2, feed2, topic2), (r3, s3, out3, _, _), (r4, s4, out4, _, _), (r5, s5, _, feed5, topic5) = days

    # Day 1: a clean start, said so; new and cross-listed papers in, unknown replacements out.
    assert r1.exit_code == 0, r1.output
    assert s1["quant-ph.ja"]["history"] == f"new: {site.url}archive/quant-ph.ja.json not found"
    assert set(feed1) == ids("new", slice(0, 20)) | ids("cross", slice(0, 5))
    assert s1["quant-ph.ja"]["status"] == "updated" and s1["quant-ph.ja"]["entries"] == 25

    # Day 2: history from the site; 25 more papers, two updated in place, none twice.
    assert r2.exit_code == 0, r2.output
    assert s2["quant-ph.ja"]["history"] == f"read from {site.url}archive/quant-ph.ja.json"
    assert set(feed2) == set(feed1) | ids("new", slice(20, 40)) | ids("cross", slice(5, 10))
    assert (s2["quant-ph.ja"]["added"], s2["quant-ph.ja"]["updated"]) == (25, 2)
    for paper in (groups["new"][0], groups["new"][1]):
        arxiv_id = paper.findtext("link").rsplit("/", 1)[1]
        before, after = feed1[arxiv_id], feed2[arxiv_id]
        assert after.findtext(f"{ATOM}id") == before.findtext(f"{ATOM}id")
        assert after.findtext(f"{ATOM}published") == before.findtext(f"{ATOM}published") == "2025-04-28T00:00:00-04:00"
        assert after.findtext(f"{ATOM}updated") == "2025-04-29T00:00:00-04:00"
        assert after.find(f"{ATOM}link[@rel='related'][@type='application/pdf']").get("href").endswith("v2")
    # Only changed text went to the engine: item 0 (same text) not at all; of item 1 (changed)
    # only the new sentence, since the translation memory still holds its unchanged title.
    same, changed = parse_feed(QUANT_PH.read_bytes(), "q").papers[:2]
    assert ADDED_SENTENCE in engine_calls[1] and join_lines(changed.title) not in engine_calls[1]
    assert join_lines(same.title) not in engine_calls[1]
    assert len(engine_calls[1]) == len(set(engine_calls[1]))  # the topic feed's papers are not translated twice

    # Day 3: the holiday feed is empty; day 4 repeats day 2. Both keep every published byte.
    assert r3.exit_code == ExitCode.OK, r3.output  # an empty day is no failure, even with --strict
    assert {s["status"] for s in s3.values()} == {"empty"} and s3["quant-ph.ja"]["entries"] == 50
    assert {s["status"] for s in s4.values()} == {"stale"}
    assert r4.exit_code == ExitCode.PARTIAL and "same batch as last time" in r4.output  # --strict: stale fails
    for out in (out3, out4):  # (the HTML pages say what happened, so they change)
        for name in ("quant-ph.ja.xml", "entanglement.ja.xml"):
            assert (out / name).read_bytes() == (out2 / name).read_bytes(), name
        for name in ("archive/quant-ph.ja.json", "archive/entanglement.ja.json"):  # the same but the days accounted for
            kept, before = json.loads((out / name).read_bytes()), json.loads((out2 / name).read_bytes())
            assert kept.pop("accounted") != before.pop("accounted") and kept == before, name
    # The empty holiday is accounted for; Thursday's stale batch is not, and is named as missed.
    assert json.loads((out3 / "archive/quant-ph.ja.json").read_bytes())["accounted"]["quant-ph"]["2025-04-30"]
    assert [(g["day"], g["state"]) for g in s4["quant-ph.ja"]["gaps"]] == [("2025-05-01", "open")]
    assert "quant-ph 2025-05-01: missed" in r4.output
    assert engine_calls[2] == engine_calls[3] == []

    # Day 5: fresh papers; with a two-day window, day 1's papers age out unless updated on day 2.
    assert r5.exit_code == 0, r5.output
    fresh = {i.findtext("link").rsplit("/", 1)[1] for i in groups["replace"][11:22]}
    aged = set(feed1) - {i.findtext("link").rsplit("/", 1)[1] for i in groups["new"][:2]}
    assert set(feed5) == (set(feed2) - aged) | fresh
    assert s5["quant-ph.ja"]["entries"] == 50 - len(aged) + len(fresh)
    updated = [e.findtext(f"{ATOM}updated") for e in feed5.values()]
    assert updated == sorted(updated, reverse=True)  # newest first

    # The topic feed: matching papers only, drawn from the same batches.
    for topic, feed in ((topic1, feed1), (topic2, feed2), (topic5, feed5)):
        assert topic and set(topic) <= set(feed)
        for entry in topic.values():
            text = "".join(entry.find(f"{ATOM}content").itertext())
            assert re.search(r"entanglement|\bBell\b", text, re.IGNORECASE)
