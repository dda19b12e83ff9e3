"""The translation engine on the tiny real argos package: one pass, aligned, deduplicated."""

from datetime import datetime, timezone

import sentencepiece

from feedbridge.arxiv import Author, Paper
from feedbridge.translate.engine import ArgosTranslator, translate_papers
from feedbridge.translate.segment import split_sentences

ABSTRACT = ("We study transformers for translation. Results improve by 3.5 points, e.g. on WMT. "
            "Code is at https://example.org/x.")


def paper(arxiv_id, title="Neural machine translation of abstracts", abstract=ABSTRACT):
    return Paper(arxiv_id=arxiv_id, version=1, title=title, abstract=abstract,
                 authors=(Author("A. Author"),), categories=("cs.CL",), announce_type="new",
                 announced=datetime(2025, 4, 28, 4, tzinfo=timezone.utc))


class CountingTranslator:
    """The real translator, wrapped to count what reaches the model."""

    def __init__(self, inner):
        self.inner = inner
        self.provenance = inner.provenance
        self.calls = []

    def translate_batch(self, sentences):
        self.calls.append(list(sentences))
        return self.inner.translate_batch(sentences)


def test_real_model_output_is_decoded_target_vocabulary(installed_model):
    translator = ArgosTranslator(installed_model, beam_size=2, device="cpu")
    outputs = translator.translate_batch(["Quantum computing is hard.", "We propose a method."])
    assert len(outputs) == 2 and all(isinstance(o, str) and o for o in outputs)
    sp = sentencepiece.SentencePieceProcessor(model_file=str(installed_model.sentencepiece_model))
    for output in outputs:  # what came back is detokenized model output, not the source echoed
        assert "▁" not in output
        assert sp.decode(sp.encode(output)) == output
    assert outputs[0] != "Quantum computing is hard."
    assert translator.translate_batch(["Quantum computing is hard."]) == outputs[:1]  # batch-independent


def test_papers_translated_in_one_pass_with_shared_sentences_once(installed_model):
    translator = CountingTranslator(ArgosTranslator(installed_model, beam_size=1, device="cpu"))
    papers = [paper("2504.00001"), paper("2504.00002"), paper("2504.00003", title="Another title")]
    result = translate_papers(papers, translator, "en", "ja")

    assert len(translator.calls) == 1
    sent = translator.calls[0]
    assert len(sent) == len(set(sent)) == 2 + len(split_sentences(ABSTRACT))
    for done, source in zip(result, papers):
        assert done.paper is source
        assert [p.source for p in done.abstract.sentences] == split_sentences(source.abstract)
        assert done.title.sentences[0].source == source.title
        assert all(p.translated and p.target for p in done.abstract.sentences)
        assert done.translator == "translate-en_ja 1.0"
    assert result[0].abstract == result[1].abstract  # same sentences, same translation
