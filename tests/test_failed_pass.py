"""A model that fails as a whole is never silent.

A broken or wrong model refuses nearly every sentence. A pass of at least
MIN_JUDGED_SENTENCES sentences with more than ``translation.max_untranslated`` of them
untranslated, from the model or the memory, has failed: its feeds keep their last good
version, the run says so with the numbers and exits non-zero, and its refusals are not
remembered, so the run after it asks the model again (and fails again).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date

import pytest
from click.testing import CliRunner

from feedbridge.render.words import JAPANESE
from feedbridge.cli import cli
from feedbridge.errors import ExitCode
from feedbridge.translate.engine import MIN_JUDGED_SENTENCES, PassFailed, translate_papers
from feedbridge.translate.memory import FILE_NAME, TranslationMemory
from support.config import write_config
from support.feeds import day_document, items
from support.scenes import published

MONDAY, TUESDAY = date(2025, 4, 28), date(2025, 4, 29)


class Refusing:
    """Stands in for a model that answers only the sentences ``accepts`` allows; the rest
    run away (no acceptable hypothesis)."""

    provenance = "broken 1"

    def __init__(self, accepts):
        from feedbridge.translate.ct2 import Decoding

        self.accepts = accepts
        self.decoding = Decoding(retry=False)

    def count_tokens(self, text):
        return len(text.split())

    def translate_batch(self, sentences, *, retry=False, progress=None):
        return [[f"«{s}»"] if self.accepts(s) else [] for s in sentences]


def numbered_papers(count: int):
    """``count`` one-sentence papers: a title and a one-sentence abstract each."""
    from datetime import datetime, timezone

    from feedbridge.model import Author, Paper
    from feedbridge.sources.arxiv_links import arxiv_links

    return [Paper(arxiv_id=f"2504.{i:05d}", version=1, title=f"Title number {i} of the set",
                  abstract=f"The abstract of paper {i} says one thing.", authors=(Author("A. Author"),),
                  categories=("cs.CL",), announce_type="new", announced=datetime(2025, 4, 28, 4, tzinfo=timezone.utc),
                  links=arxiv_links(f"2504.{i:05d}", 1)) for i in range(count)]


def test_a_pass_beyond_the_share_fails_and_remembers_only_what_was_translated(tmp_path):
    model = Refusing(lambda s: s.startswith("Title number 1"))  # titles 1 and 10-14: 6 of 30 sentences
    with TranslationMemory(tmp_path / FILE_NAME) as memory:
        with pytest.raises(PassFailed, match=r"^24 of 30 sentences untranslated \(80%, more than"):
            translate_papers(numbered_papers(15), model, "en", "ja", memory=memory, max_untranslated=0.2)
        stored = memory.lookup(model.provenance, model.decoding.key, [f"Title number {i} of the set" for i in range(15)])
    assert set(stored) == {"Title number 1 of the set", *(f"Title number {i} of the set" for i in range(10, 15))}
    assert all(target is not None for target in stored.values())  # no refusal remembered


def test_the_share_is_judged_over_the_memorys_answers_too(tmp_path):
    """A refusal remembered from before counts: a model that failed stays failed."""
    sentences = [f"The abstract of paper {i} says one thing." for i in range(15)]
    with TranslationMemory(tmp_path / FILE_NAME) as memory:
        memory.store("broken 1", Refusing(bool).decoding.key, dict.fromkeys(sentences))  # refused before
        with pytest.raises(PassFailed, match=r"^15 of 30 sentences untranslated \(50%"):
            translate_papers(numbered_papers(15), Refusing(bool), "en", "ja", memory=memory, max_untranslated=0.2)


@pytest.mark.parametrize("count, share, fails", [
    (MIN_JUDGED_SENTENCES // 2 - 1, 0.0, False),  # too few sentences to judge a model by
    (MIN_JUDGED_SENTENCES // 2, 0.0, True),
    (15, 0.8, False),  # 24 of 30 untranslated is 80%: not more than 80%
    (15, 0.79, True),
])
def test_the_threshold_and_the_smallest_judged_pass(count, share, fails):
    model = Refusing(lambda s: s.startswith("Title number 1"))
    run = lambda: translate_papers(numbered_papers(count), model, "en", "ja", max_untranslated=share)  # noqa: E731
    if fails:
        with pytest.raises(PassFailed):
            run()
    else:
        run()


def test_without_a_threshold_nothing_is_judged():
    """`feedbridge translate` shows what the model makes of a text, whatever it is."""
    translated = translate_papers(numbered_papers(15), Refusing(lambda s: False), "en", "ja")
    assert sum(t.untranslated for t in translated) == 30


# --- through whole builds, with the real tiny model ------------------------------------------


def day(when: date, first: int, count: int) -> bytes:
    return day_document(when, items()["new"][first:first + count])


def test_a_failed_pass_keeps_the_feed_says_why_and_the_next_run_fails_too(tmp_path, http_server, installed_model):
    """The tiny random model leaves some sentences untranslated: with no untranslated
    sentence allowed, its pass fails."""
    feed_url = f"{http_server.url}/rss/{{category}}"
    lenient = write_config(tmp_path, feeds=["quant-ph"], feed_url=feed_url, translation={"max_untranslated": 1.0})
    http_server.serve("/rss/quant-ph", day(MONDAY, 0, 5))
    first = CliRunner().invoke(cli, ["build", "--config", str(lenient), "--json"])
    assert first.exit_code == 0, first.stderr
    assert json.loads(first.stdout)["feeds"][0]["untranslated"] > 0
    before = published(tmp_path / "out")
    memory = tmp_path / "cache" / FILE_NAME

    strict = write_config(tmp_path, feeds=["quant-ph"], feed_url=feed_url, translation={"max_untranslated": 0.0})
    http_server.serve("/rss/quant-ph", day(TUESDAY, 15, 10))
    for attempt in (1, 2):
        refusals = _refusals(memory)
        result = CliRunner().invoke(cli, ["build", "--config", str(strict), "--json"])
        assert result.exit_code == ExitCode.FAILED, (attempt, result.stderr)
        feed = json.loads(result.stdout)["feeds"][0]
        assert feed["status"] == "failed"
        assert "sentences untranslated" in feed["message"] and "may be broken" in feed["message"]
        assert "Error: quant-ph.ja: translation en->ja failed: " in result.stderr
        assert published(tmp_path / "out") == before  # the last good version
        assert _refusals(memory) == refusals  # the failed pass remembered no refusal


def _refusals(memory) -> int:
    with sqlite3.connect(memory) as db:
        return db.execute("SELECT count(*) FROM memory WHERE target IS NULL").fetchone()[0]


@pytest.mark.parametrize("value", [-0.1, 1.5, "20%", True])
def test_the_threshold_is_a_share_from_0_to_1(tmp_path, value):
    from feedbridge.config import load_config
    from feedbridge.errors import ConfigError

    config = write_config(tmp_path, feeds=["quant-ph"], translation={"max_untranslated": value})
    with pytest.raises(ConfigError, match="translation.max_untranslated"):
        load_config(config)


def test_a_random_weight_model_fails_where_the_toy_model_published(tmp_path, http_server, toy_model,
                                                                   endless_marian_folder):
    """The same build, first with the trained toy model (published, translated), then
    with a random-weight MarianMT that never ends a sentence: the pass fails, the toy
    model's feed stays, no refusal is remembered, and the run after it fails too."""
    from feedbridge.translate.marian import add_model

    feed_url = f"{http_server.url}/rss/{{category}}"
    http_server.serve("/rss/quant-ph", day(MONDAY, 0, 5))
    good = write_config(tmp_path, feeds=["quant-ph"], feed_url=feed_url, translation={"model": toy_model})
    first = CliRunner().invoke(cli, ["build", "--config", str(good), "--json"])
    assert first.exit_code == 0, first.stderr
    assert json.loads(first.stdout)["feeds"][0]["untranslated"] == 0
    before = published(tmp_path / "out")
    assert f"{toy_model} ".encode() in before["quant-ph.ja.xml"]  # the model in the entries' provenance

    random = add_model(endless_marian_folder, name="random-en-ja").name
    broken = write_config(tmp_path, feeds=["quant-ph"], feed_url=feed_url, translation={"model": random})
    http_server.serve("/rss/quant-ph", day(TUESDAY, 5, 5))
    memory = tmp_path / "cache" / FILE_NAME
    for attempt in (1, 2):
        result = CliRunner().invoke(cli, ["build", "--config", str(broken), "--json"])
        assert result.exit_code == ExitCode.FAILED, (attempt, result.stderr)
        message = json.loads(result.stdout)["feeds"][0]["message"]
        assert message.startswith("translation en->ja failed: ") and "random-en-ja" in message
        assert published(tmp_path / "out") == before
        assert _refusals(memory) == 0


def test_the_toy_model_translates_every_sentence_and_keeps_math_verbatim(tmp_path, toy_model):
    """Through the real Marian path: titles and sentences translated (fullwidth, no ASCII
    letter left outside math and URLs), every inline math span back verbatim, and the
    model named in each entry's provenance."""
    import re
    import unicodedata

    from support.paths import QUANT_PH

    saved = tmp_path / "saved"
    saved.mkdir()
    (saved / "quant-ph.xml").write_bytes(QUANT_PH.read_bytes())
    config = write_config(tmp_path, feeds=["quant-ph"], translation={"model": toy_model})
    result = CliRunner().invoke(cli, ["build", "--config", str(config), "--from-dir", str(saved), "--offline", "--json"])
    assert result.exit_code == 0, result.stderr
    archive = json.loads((tmp_path / "out/archive/quant-ph.ja.json").read_bytes())
    pairs = [pair for entry in archive["entries"] for pair in (*entry["title"], *entry["abstract"])]
    assert len(pairs) > 300 and all(translated for _, _, translated in pairs)
    math = re.compile(r"\$[^$]+\$")
    spans = 0
    for source, target, _ in pairs:
        for span in math.findall(source):
            assert span in target, (source, target)
            spans += 1
        assert unicodedata.normalize("NFKC", target) != target  # fullwidth: the model's relabelled side, no copy
    assert spans > 20
    feed = (tmp_path / "out/quant-ph.ja.xml").read_text()
    provenance = JAPANESE.provenance.split("{translator}")[0].format(engine="CTranslate2 (MarianMT)")
    assert feed.count(f"{provenance}{toy_model} ") == len(archive["entries"])
