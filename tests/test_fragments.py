"""Math is never the reason a sentence stays untranslated.

A sentence whose translation loses or repeats a placeholder, even after the retry, is
translated in fragments: the text between its protected spans, each piece on its own,
the spans spliced back verbatim. Only a sentence whose fragments fail too keeps its
source text. A stand-in model shows the rules; a variant of the trained toy model whose
target vocabulary renames the letter X (so every placeholder with an X comes back
mangled, as a real model sometimes does) shows them through the real Marian path and a
whole build. Refusals a schema-1 translation memory stored, before fragments existed,
are asked again exactly once.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner

from feedbridge.cli import cli
from feedbridge.model import Author, Paper
from feedbridge.sources.arxiv_links import arxiv_links
from feedbridge.sources.arxiv_rss import parse_feed
from feedbridge.translate import TranslationStats
from feedbridge.translate.ct2 import Decoding
from feedbridge.translate.engine import MIN_JUDGED_SENTENCES, translate_papers
from feedbridge.translate.memory import FILE_NAME, TranslationMemory
from feedbridge.translate.protect import Protector
from support.config import write_config
from support.paths import QUANT_PH

PLACEHOLDER = re.compile(r"[B-DF-HJ-NP-TV-XZ]{4}")  # what protect.py's codes look like


def paper(arxiv_id: str, abstract: str, title: str = "Fragments of sentences") -> Paper:
    return Paper(arxiv_id=arxiv_id, version=1, title=title, abstract=abstract, authors=(Author("A. Author"),),
                 categories=("cs.CL",), announce_type="new", announced=datetime(2025, 4, 28, 4, tzinfo=timezone.utc),
                 links=arxiv_links(arxiv_id, 1))


class Model:
    """Stands in for a model that drops every placeholder: a text without one comes back
    as ``fragment(text, retry)`` gives it (a string, or None for no acceptable output)."""

    provenance = "dropping 1"

    def __init__(self, fragment=lambda text, retry: f"«{text}»", decoding=Decoding()):
        self.fragment = fragment
        self.decoding = decoding
        self.calls: list[tuple[list[str], bool]] = []

    def count_tokens(self, text):
        return len(text.split())

    def translate_batch(self, sentences, *, retry=False, progress=None):
        self.calls.append((list(sentences), retry))
        if progress is not None:
            progress(len(sentences))
        answers = [f"«{PLACEHOLDER.sub('', s)}»" if PLACEHOLDER.search(s) else self.fragment(s, retry) for s in sentences]
        return [[] if answer is None else [answer] for answer in answers]

    @property
    def sent(self) -> list[str]:
        return [s for sentences, _ in self.calls for s in sentences]


def only_sentence(model, abstract: str, **options):
    [done] = translate_papers([paper("1", abstract)], model, "en", "ja", **options)
    return done.abstract.sentences[0]


# ---------------------------------------------------------------- the rules


def test_the_text_between_the_spans_is_translated_and_the_spans_spliced_back_verbatim():
    stats = TranslationStats()
    pair = only_sentence(Model(), "For $n > 2$ the bound (see https://x.org/b, arXiv:2504.00001) holds.", stats=stats)
    assert pair.translated and pair.in_fragments
    assert pair.target == "«For» $n > 2$ «the bound (see» https://x.org/b, arXiv:2504.00001«) holds.»"
    assert (stats.whole, stats.in_fragments, stats.untranslated) == (1, 1, 0)  # the title, the sentence


def test_a_fragment_that_is_no_sentence_loses_the_full_stop_the_model_gave_it():
    pair = only_sentence(Model(lambda text, retry: f"{text}。"), "We prove that $x = 1$ holds.")
    assert pair.target == "We prove that $x = 1$ holds.。"  # "holds." is a sentence: its stop is the model's


def test_fragments_without_words_are_kept_as_they_are_and_never_sent():
    model = Model()
    pair = only_sentence(model, "Let $a$, $b$ and $c$ be given ($d$).")
    assert pair.target == "«Let» $a$, $b$ «and» $c$ «be given (»$d$)."
    assert not any(s in (",", "(", ").") for s in model.sent)


def test_a_fragment_is_retried_once_then_the_sentence_is_kept():
    model = Model(lambda text, retry: f"«{text}»" if retry or text != "holds" else None)
    assert only_sentence(model, "Then $x$ holds").target == "«Then» $x$ «holds»"
    assert [retry for _, retry in model.calls] == [False, True, False, True]  # whole, retry; fragments, retry
    assert model.calls[-1][0] == ["holds"]

    stats = TranslationStats()
    refusing = Model(lambda text, retry: None if text == "holds" else f"«{text}»")
    pair = only_sentence(refusing, "Then $x$ holds", stats=stats)
    assert (pair.target, pair.translated, pair.in_fragments) == ("Then $x$ holds", False, False)
    assert (stats.whole, stats.in_fragments, stats.untranslated) == (1, 0, 1)


def test_a_fragment_translation_holding_a_placeholder_is_refused():
    """Spliced, it would put a span where the model invented one."""
    code = Protector().protect("Then $x$ holds").spans[0][0]
    pair = only_sentence(Model(lambda text, retry: f"{text} {code}"), "Then $x$ holds")
    assert not pair.translated and pair.target == "Then $x$ holds"


def test_with_retry_off_a_failure_gets_no_fragments():
    model = Model(decoding=Decoding(retry=False))
    assert not only_sentence(model, "Then $x$ holds.").translated
    assert len(model.calls) == 1


def test_fragments_count_as_translated_when_a_pass_is_judged():
    """A model that loses every placeholder is no broken model when its fragments translate."""
    papers = [paper(f"2504.{i:05d}", f"Paper {i} bounds $x_{i}$ by $y$.", title=f"Title {i}")
              for i in range(MIN_JUDGED_SENTENCES)]
    stats = TranslationStats()
    done = translate_papers(papers, Model(), "en", "ja", stats=stats, max_untranslated=0.0)
    assert sum(t.in_fragments for t in done) == len(papers) and stats.untranslated == 0


# ---------------------------------------------------------------- the translation memory


def test_the_memory_remembers_a_sentence_translated_in_fragments_as_such(tmp_path):
    with TranslationMemory(tmp_path / FILE_NAME) as memory:
        first = only_sentence(Model(), "For $n$ it holds.", memory=memory)
        again, stats = Model(), TranslationStats()
        second = only_sentence(again, "For $m^2$ it holds.", memory=memory, stats=stats)
    assert again.calls == []
    assert first.in_fragments and second.in_fragments and second.target == "«For» $m^2$ «it holds.»"
    assert (stats.from_memory, stats.in_fragments) == (2, 1)


def test_a_sentence_kept_after_its_fragments_failed_is_not_asked_again(tmp_path):
    with TranslationMemory(tmp_path / FILE_NAME) as memory:
        only_sentence(Model(lambda text, retry: None), "Then $x$ holds.", memory=memory)
        again = Model()
        assert not only_sentence(again, "Then $x$ holds.", memory=memory).translated
    assert again.calls == []


SCHEMA_1 = """
CREATE TABLE memory (package TEXT NOT NULL, settings TEXT NOT NULL, source TEXT NOT NULL, target TEXT,
                     used INTEGER NOT NULL, PRIMARY KEY (package, settings, source)) WITHOUT ROWID;
PRAGMA user_version = 1;
"""


def test_refusals_stored_before_fragments_existed_are_asked_again_once(tmp_path):
    """An upgrade: a schema-1 store's refusal goes to the model once more and comes back
    in fragments; what it translated before stays, unasked; the run after asks nothing."""
    path = tmp_path / FILE_NAME
    model = Model()
    protect = Protector().protect
    refused, translated = protect("Then $x$ holds.").text, protect("We study $y$ here.").text
    with sqlite3.connect(path) as db:
        db.executescript(SCHEMA_1)
        db.executemany("INSERT INTO memory VALUES (?, ?, ?, ?, 20000)", [
            (model.provenance, model.decoding.key, refused, None),
            (model.provenance, model.decoding.key, translated, translated.replace("We study", "研究:")),
            (model.provenance, model.decoding.key, "Fragments of sentences", "文の断片"),
        ])
    db.close()
    papers = [paper("1", "Then $x$ holds."), paper("2", "We study $y$ here.")]
    with TranslationMemory(path) as memory:
        first = translate_papers(papers, model, "en", "ja", memory=memory)
        assert set(model.sent) == {refused, "Then", "holds."}  # whole, retried, then in fragments
        assert first[0].abstract.sentences[0].target == "«Then» $x$ «holds.»"
        assert first[1].abstract.sentences[0].target == "研究: $y$ here."
        again = Model()
        second = translate_papers(papers, again, "en", "ja", memory=memory)
    assert again.calls == [] and second == first


def test_a_refusal_stored_before_fragments_existed_that_fails_again_is_kept_for_good(tmp_path):
    path = tmp_path / FILE_NAME
    refusing = Model(lambda text, retry: None)
    refused = Protector().protect("Then $x$ holds.").text
    with sqlite3.connect(path) as db:
        db.executescript(SCHEMA_1)
        db.execute("INSERT INTO memory VALUES (?, ?, ?, NULL, 20000)", (refusing.provenance, refusing.decoding.key, refused))
    db.close()
    with TranslationMemory(path) as memory:
        assert not only_sentence(refusing, "Then $x$ holds.", memory=memory).translated
        assert refused in refusing.sent
        again = Model()
        assert not only_sentence(again, "Then $x$ holds.", memory=memory).translated
    assert refused not in again.sent


# ---------------------------------------------------------------- a real model that drops a placeholder


@pytest.fixture
def dropping_model(tmp_path, installed_model) -> str:
    """The toy model with X renamed in its target vocabulary (tools/toy_model.py), added
    through feedbridge's own add path, its probe translation included; its name."""
    from toy_model import placeholder_dropping_variant

    from feedbridge.translate.marian import add_model

    folder = placeholder_dropping_variant(tmp_path / "toy-drops-x")
    return add_model(folder, name="toy-drops-x", source="en", target="ja").name


def ascii_letters_outside(spans, text: str) -> str:
    for original in spans:
        text = text.replace(original, " ")
    return "".join(re.findall("[A-Za-z]", text))


def test_a_real_model_that_drops_a_placeholder_translates_every_such_sentence_in_fragments(dropping_model):
    from feedbridge.translate.marian import find_model

    backend = find_model(dropping_model).installed("en", "ja", beam_size=1, device="cpu")
    [[whole]] = backend.translate_batch(["We study XKZD here."])
    assert "XKZD" not in whole and "ＸKZD" in whole  # the placeholder comes back mangled

    papers = parse_feed(QUANT_PH.read_bytes(), str(QUANT_PH)).papers
    stats = TranslationStats()
    done = translate_papers(papers, backend, "en", "ja", stats=stats, max_untranslated=0.0)
    protector = Protector()
    pairs = [pair for t in done for pair in (*t.title.sentences, *t.abstract.sentences)]
    with_spans = [pair for pair in pairs if protector.protect(pair.source).spans]
    assert len(with_spans) > 20
    for pair in pairs:
        spans = [original for _, original in protector.protect(pair.source).spans]
        assert pair.translated and pair.in_fragments == bool(spans), pair
        for original in spans:
            assert pair.target.count(original) >= pair.source.count(original), (original, pair.target)
        assert not ascii_letters_outside(spans, pair.target), pair.target  # every fragment translated
    assert stats.in_fragments == len({pair.source for pair in with_spans})
    assert stats.untranslated == 0


def test_a_build_with_that_model_reports_the_sentences_translated_in_fragments(tmp_path, dropping_model):
    saved = tmp_path / "saved"
    saved.mkdir()
    (saved / "quant-ph.xml").write_bytes(QUANT_PH.read_bytes())
    config = write_config(tmp_path, feeds=["quant-ph"], translation={"model": dropping_model})
    result = CliRunner().invoke(cli, ["build", "--config", str(config), "--from-dir", str(saved), "--offline", "--json"])
    assert result.exit_code == 0, result.stderr
    [feed] = json.loads(result.stdout)["feeds"]
    assert feed["untranslated"] == 0 and feed["in_fragments"] > 20
    [line] = [line for line in result.stderr.splitlines() if line.startswith("translation en->ja: ")]
    counts = re.search(r"; (\d+) translated whole, (\d+) in fragments, 0 left untranslated,", line)
    assert counts and int(counts.group(1)) > 300 and int(counts.group(2)) > 20, line

    archive = json.loads((tmp_path / "out/archive/quant-ph.ja.json").read_bytes())
    math = re.compile(r"\$[^$]+\$|\\\(.+?\\\)")
    for entry in archive["entries"]:
        for source, target, translated in (*entry["title"], *entry["abstract"]):
            assert translated and unicodedata.normalize("NFKC", target) != target
            assert all(span in target for span in math.findall(source)), (source, target)
