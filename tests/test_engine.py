"""The translation engine: one pass, de-duplicated, math-safe, guarded, cached.

A stand-in translator shows what the engine does with a model's answers; the tiny
real argos package shows the CTranslate2 path itself.
"""

import re
from dataclasses import replace
from datetime import datetime, timezone

import ctranslate2
import sentencepiece

from feedbridge.model import Author, Paper
from feedbridge.sources.arxiv_links import arxiv_links
from feedbridge.sources.arxiv_rss import parse_feed
from feedbridge.translate import TranslationStats, ct2
from feedbridge.translate.argos import ArgosBackend
from feedbridge.translate.ct2 import BatchRunner, Decoding, has_loop, runaway
from feedbridge.translate.engine import MAX_SOURCE_TOKENS, translate_papers
from feedbridge.translate.memory import TranslationMemory
from feedbridge.translate.protect import Protector
from feedbridge.translate.segment import split_sentences
from support.paths import FIXTURES, LEGACY_HEP_EX, QUANT_PH

ABSTRACT = ("We study transformers for translation with $O(n^2)$ cost. Results improve by 3.5 points, "
            "e.g. on WMT. Code is at https://example.org/x.")
GLOSSARY = ["QAOA", "NISQ", "VQE", "GHZ", "LLM"]
PLACEHOLDER = re.compile(r"[B-DF-HJ-NP-TV-XZ]{4}")  # what protect.py's codes look like


def paper(arxiv_id, title="Neural machine translation of abstracts", abstract=ABSTRACT):
    return Paper(arxiv_id=arxiv_id, version=1, title=title, abstract=abstract,
                 authors=(Author("A. Author"),), categories=("cs.CL",), announce_type="new",
                 announced=datetime(2025, 4, 28, 4, tzinfo=timezone.utc), links=arxiv_links(arxiv_id, 1))


API_SEARCH = FIXTURES / "arxiv_api_atom_2026_search_all_testing_100entries.xml"


def fixture_papers():
    return [p for path in (QUANT_PH, LEGACY_HEP_EX, API_SEARCH) for p in parse_feed(path.read_bytes(), str(path)).papers]


def wrap(text, retry):
    """A 'translation' that keeps every placeholder, as a good model does."""
    return f"«{text}»"


def lose_placeholders(text, retry):
    return wrap(PLACEHOLDER.sub("", text), retry)


class FakeTranslator:
    """Stands in for the model: answers with ``answer(sentence, retry)`` (a string or a
    list of candidates, best first) and records every call."""

    provenance = "translate-en_ja 1.0"

    def __init__(self, answer=wrap, decoding=Decoding()):
        self.answer = answer
        self.decoding = decoding
        self.calls = []

    def count_tokens(self, text):
        return len(text.split())

    def translate_batch(self, sentences, *, retry=False, progress=None):
        self.calls.append((list(sentences), retry))
        if progress is not None:
            progress(len(sentences))
        answers = [self.answer(s, retry) for s in sentences]
        return [a if isinstance(a, list) else [a] for a in answers]

    @property
    def sent(self):
        return [s for sentences, _ in self.calls for s in sentences]


# ---------------------------------------------------------------- one pass, de-duplicated


def test_cross_listed_paper_is_translated_once_and_counted():
    translator = FakeTranslator()
    stats = TranslationStats()
    papers = [paper("2504.00001"), paper("2504.00002", title="Another title"), paper("2504.00001")]
    result = translate_papers(papers, translator, "en", "ja", stats=stats)

    assert len(translator.calls) == 1 and stats.model_calls == 1
    assert len(translator.sent) == len(set(translator.sent)) == 2 + len(split_sentences(ABSTRACT))
    assert (stats.papers, stats.unique_papers) == (3, 2)
    assert (stats.sentences, stats.unique_sentences) == (3 * 4, 5)
    assert [done.paper for done in result] == papers
    assert result[0].abstract == result[2].abstract
    for done, source in zip(result, papers):
        assert [p.source for p in done.abstract.sentences] == split_sentences(source.abstract)
        assert done.title.sentences[0].source == source.title
        assert all(p.translated and p.target.startswith("«") for p in done.abstract.sentences)
        assert done.translator == "translate-en_ja 1.0"


def test_sentences_differing_only_in_math_share_one_model_call():
    translator = FakeTranslator()
    papers = [paper("1", abstract="We compute $x$ exactly."), paper("2", abstract="We compute $y^2$ exactly.")]
    result = translate_papers(papers, translator, "en", "ja")
    assert len([s for s in translator.sent if s.startswith("We compute")]) == 1
    assert result[0].abstract.sentences[0].target == "«We compute $x$ exactly.»"
    assert result[1].abstract.sentences[0].target == "«We compute $y^2$ exactly.»"


def test_sentence_with_nothing_to_translate_skips_the_model():
    translator = FakeTranslator()
    [done] = translate_papers([paper("1", abstract="We prove it. $E = mc^2$. (2) https://x.org/a")],
                              translator, "en", "ja")
    assert all("We prove" in s or "Neural" in s for s in translator.sent)
    assert [(p.target, p.translated) for p in done.abstract.sentences[1:]] == [
        ("$E = mc^2$.", True), ("(2) https://x.org/a", True)]


def test_over_long_sentence_is_translated_in_pieces_that_join_back():
    clauses = ", ".join(f"the {i}th clause holds for every qubit in the register" for i in range(40))
    long_abstract = f"We show that {clauses}. Short end."
    translator = FakeTranslator()
    [done] = translate_papers([paper("1", abstract=long_abstract)], translator, "en", "ja")
    sources = [p.source for p in done.abstract.sentences]
    assert " ".join(sources) == long_abstract
    assert len(sources) > 3
    assert all(translator.count_tokens(s) <= MAX_SOURCE_TOKENS for s in translator.sent)


# ---------------------------------------------------------------- protected spans


def test_every_math_span_url_and_glossary_term_of_the_fixtures_comes_back_verbatim():
    papers = fixture_papers()
    translator = FakeTranslator()
    result = translate_papers(papers, translator, "en", "ja", glossary=GLOSSARY)

    protector = Protector(GLOSSARY)
    spans = 0
    for done in result:
        for pair in (*done.title.sentences, *done.abstract.sentences):
            assert pair.translated
            for code, original in protector.protect(pair.source).spans:
                assert code not in pair.target
                assert pair.target.count(original) >= pair.source.count(original) > 0
                spans += 1
    assert spans > 300
    kinds = {kind: sum(kind in s for s in translator.sent) for kind in ("$", "://", "QAOA", "\\(")}
    assert kinds == {"$": 0, "://": 0, "QAOA": 0, "\\(": 0}  # the model never saw them


def test_every_span_survives_the_tiny_real_model_translated_in_fragments_or_marked(installed_model):
    papers = fixture_papers()[:20]
    translator = ArgosBackend(installed_model, beam_size=1, device="cpu")
    result = translate_papers(papers, translator, "en", "ja", glossary=GLOSSARY)
    protector = Protector(GLOSSARY)
    kinds = set()
    for done in result:
        for pair in done.abstract.sentences:
            spans = protector.protect(pair.source).spans
            assert pair.translated or pair.target == pair.source
            assert pair.in_fragments == (pair.translated and bool(spans))  # random weights never give placeholders back
            for _, original in spans:
                assert original in pair.target
            kinds.add((pair.translated, bool(spans)))
    # (False, False) and (False, True): long sources or fragments, ~22-token outputs
    assert {(True, False), (True, True)} <= kinds


def test_forced_placeholder_loss_is_retried_then_translated_in_fragments():
    """(tests/test_fragments.py has the fragments' own cases, and a real model that drops one.)"""
    translator = FakeTranslator(lose_placeholders)
    stats = TranslationStats()
    [done] = translate_papers([paper("1")], translator, "en", "ja", stats=stats)

    pairs = {p.source: p for p in done.abstract.sentences}
    with_math = pairs["We study transformers for translation with $O(n^2)$ cost."]
    assert (with_math.target, with_math.translated, with_math.in_fragments) == (
        "«We study transformers for translation with» $O(n^2)$ «cost.»", True, True)
    with_url = pairs["Code is at https://example.org/x."]
    assert (with_url.target, with_url.in_fragments) == ("«Code is at» https://example.org/x.", True)
    plain = pairs["Results improve by 3.5 points, e.g. on WMT."]
    assert plain.translated and not plain.in_fragments and plain.target == f"«{plain.source}»"

    (first, first_retry), (retried, retry), (fragments, fragments_retry) = translator.calls
    assert (first_retry, retry, fragments_retry) == (False, True, False)
    assert len(retried) == 2 and all(PLACEHOLDER.search(s) for s in retried)
    assert sorted(fragments) == ["Code is at", "We study transformers for translation with", "cost."]
    assert (stats.retried, stats.whole, stats.in_fragments, stats.untranslated) == (2, 2, 2, 0)
    assert done.in_fragments == 2 and done.untranslated == 0


def test_a_retry_that_keeps_the_placeholders_is_accepted():
    translator = FakeTranslator(lambda text, retry: wrap(text, retry) if retry else lose_placeholders(text, retry))
    stats = TranslationStats()
    [done] = translate_papers([paper("1")], translator, "en", "ja", stats=stats)
    assert all(p.translated for p in done.abstract.sentences)
    assert "$O(n^2)$" in done.abstract.sentences[0].target
    assert (stats.retried, stats.untranslated) == (2, 0)


def test_without_retry_a_failure_is_kept_in_english_at_once():
    translator = FakeTranslator(lose_placeholders, Decoding(retry=False))
    [done] = translate_papers([paper("1")], translator, "en", "ja")
    assert len(translator.calls) == 1
    assert not done.abstract.sentences[0].translated


def test_the_first_candidate_that_restores_every_placeholder_is_chosen():
    translator = FakeTranslator(lambda text, retry: [lose_placeholders(text, retry), "", wrap(text, retry)])
    [done] = translate_papers([paper("1")], translator, "en", "ja")
    assert len(translator.calls) == 1
    assert done.abstract.sentences[0].target == "«We study transformers for translation with $O(n^2)$ cost.»"


def test_a_sentence_whose_hypotheses_all_ran_away_is_marked():
    translator = FakeTranslator(lambda text, retry: [])
    [done] = translate_papers([paper("1")], translator, "en", "ja")
    assert not any(p.translated for p in done.abstract.sentences)


# ---------------------------------------------------------------- translation memory


def test_a_second_run_makes_no_model_call_and_does_not_load_the_model(installed_model, tmp_path):
    papers = fixture_papers()[:10]
    with TranslationMemory(tmp_path / "tm.sqlite3") as memory:
        first_stats = TranslationStats()
        first = translate_papers(papers, ArgosBackend(installed_model, beam_size=1, device="cpu"),
                                 "en", "ja", memory=memory, stats=first_stats)
        assert first_stats.by_model == first_stats.unique_sentences > 0

        again = ArgosBackend(installed_model, beam_size=1, device="cpu")
        stats = TranslationStats()
        second = translate_papers(papers, again, "en", "ja", memory=memory, stats=stats)

    assert (stats.model_calls, stats.by_model) == (0, 0)
    assert stats.from_memory == first_stats.unique_sentences
    assert not again.loaded
    assert second == first


def test_memory_entries_are_per_package_version_and_decoding_settings(tmp_path):
    with TranslationMemory(tmp_path / "tm.sqlite3") as memory:
        translate_papers([paper("1")], FakeTranslator(), "en", "ja", memory=memory)
        same = FakeTranslator()
        translate_papers([paper("1")], same, "en", "ja", memory=memory)
        assert same.calls == []
        other_beam = FakeTranslator(decoding=Decoding(beam_size=2))
        translate_papers([paper("1")], other_beam, "en", "ja", memory=memory)
        assert other_beam.calls
        other_version = FakeTranslator()
        other_version.provenance = "translate-en_ja 1.1"
        translate_papers([paper("1")], other_version, "en", "ja", memory=memory)
        assert other_version.calls


def test_a_remembered_failure_stays_marked_without_a_model_call(tmp_path):
    with TranslationMemory(tmp_path / "tm.sqlite3") as memory:
        translate_papers([paper("1")], FakeTranslator(lambda text, retry: []), "en", "ja", memory=memory)
        again = FakeTranslator()
        [done] = translate_papers([paper("1")], again, "en", "ja", memory=memory)
    assert again.calls == []
    assert not done.abstract.sentences[0].translated


# ---------------------------------------------------------------- progress


def test_progress_counts_each_pass_against_a_total_fixed_at_its_start():
    calls = []
    translate_papers([paper("1")], FakeTranslator(lose_placeholders), "en", "ja",
                     progress=lambda done, total: calls.append((done, total)))
    # title and 3 sentences, the 2 that lost a placeholder again, then their 3 fragments with words:
    # each pass opened with (0, its total), which never grows while it runs
    assert calls == [(0, 4), (4, 4), (0, 2), (2, 2), (0, 3), (3, 3)]


# ---------------------------------------------------------------- the CTranslate2 path


def tokenized_fixture_sentences(package, count=80):
    sp = sentencepiece.SentencePieceProcessor(model_file=str(package.sentencepiece_model))
    sentences = [s for p in fixture_papers() for s in split_sentences(p.abstract)][:count]
    return [sp.encode(s, out_type=str) for s in sentences]


def test_batching_does_not_change_results(installed_model):
    model = ctranslate2.Translator(str(installed_model.model_dir), device="cpu", compute_type="int8",
                                   inter_threads=2, intra_threads=1)
    tokenized = tokenized_fixture_sentences(installed_model)
    lengths = [len(t) for t in tokenized]
    # Decoded to the cap: long outputs, which differ from sentence to sentence.
    decoding = Decoding(beam_size=2, fixed_length=True)
    one_batch = BatchRunner(model, decoding, batch_tokens=10**9)
    small_batches = BatchRunner(model, decoding, batch_tokens=120)
    assert len(one_batch.batches(lengths)) < len(small_batches.batches(lengths))

    together = one_batch.run(tokenized)
    assert together == small_batches.run(tokenized)
    assert together == [one_batch.run([t])[0] for t in tokenized]
    assert len({tuple(h[0]) for h in together}) > len(together) // 2  # not one answer for all


def test_batches_are_length_sorted_grouped_by_cap_and_within_budget():
    decoding = Decoding(beam_size=2)
    runner = BatchRunner(model=None, decoding=decoding, batch_tokens=400)
    lengths = [30, 5, 17, 300, 9, 31, 6, 18, 18, 30, 7, 8, 5, 5]
    batches = runner.batches(lengths)
    assert sorted(i for _, batch in batches for i in batch) == list(range(len(lengths)))
    longest = [max(lengths[i] for i in batch) for _, batch in batches]
    assert longest == sorted(longest, reverse=True)  # the longest first
    shortest = [min(lengths[i] for i in batch) for _, batch in batches]
    assert all(a >= b for a, b in zip(shortest, longest[1:]))  # sorted: batches do not overlap
    assert len(batches) > len({cap for cap, _ in batches})  # some caps need several batches
    for cap, batch in batches:
        assert {decoding.cap(lengths[i]) for i in batch} == {cap}
        padded = max(lengths[i] for i in batch)
        assert len(batch) == 1 or len(batch) * 2 * (padded + cap) <= 400
    assert len(runner.batches(lengths, retry=True)) > len(batches)  # more beams, smaller batches


def test_real_model_translates_and_refuses_output_cut_by_the_cap(installed_model, monkeypatch):
    # The tiny model ends every output after about 22 tokens, within any cap.
    translator = ArgosBackend(installed_model, beam_size=1, device="cpu")
    [[translated], [also]] = translator.translate_batch(["Quantum computing is hard.", "We propose a method."])
    assert translated and also and translator.loaded
    monkeypatch.setattr(ct2, "CAP_EXTRA", -4)  # caps below 22 tokens: every output is cut
    assert translator.translate_batch(["Quantum computing is hard.", "We propose a method."]) == [[], []]


def test_real_model_output_at_fixed_length_is_decoded_target_vocabulary(installed_model):
    translator = ArgosBackend(installed_model, beam_size=2, device="cpu", fixed_length=True)
    outputs = [best for best, *_ in translator.translate_batch(["Quantum computing is hard.", "We propose a method."])]
    sp = sentencepiece.SentencePieceProcessor(model_file=str(installed_model.sentencepiece_model))
    for output in outputs:  # what came back is detokenized model output, not the source echoed
        assert output and "▁" not in output
        assert sp.decode(sp.encode(output)) == output
    assert outputs[0] != "Quantum computing is hard."


def test_loops_and_short_outputs_are_runaways_and_normal_output_is_not():
    decoding = Decoding()
    assert has_loop(["a"] * 12) and not has_loop(["a"] * 11)
    assert has_loop(["x", "y"] + ["a", "b", "c"] * 4)
    assert not has_loop(list("abcdefghijklmnopqrstuvwxyz"))
    at_cap = [f"t{i}" for i in range(decoding.cap(20))]
    assert runaway(20, at_cap, decoding)  # no end within the cap
    assert not runaway(20, at_cap, replace(decoding, fixed_length=True))
    assert not runaway(20, at_cap[:-1], decoding)
    assert runaway(40, list("abcdefg"), decoding)  # far too short: text was dropped
    assert not runaway(20, list("abcdefghijklmnopqrstuv"), decoding)


def test_decoding_key_names_every_setting_that_changes_output():
    keys = {Decoding().key, Decoding(beam_size=2).key, Decoding(retry=False).key, Decoding(fixed_length=True).key}
    assert len(keys) == 4
