"""tests/data/toy-en-ja: a tiny trained MarianMT, run as feedbridge's Marian path runs it.

The model copies English and writes it in fullwidth letters (tools/toy_model.py made it;
its README says how). Here it is loaded with CTranslate2 and SentencePiece alone: encode
with source.spm, append </s>, translate, decode with target.spm.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import ctranslate2
import pytest
import sentencepiece as spm

from feedbridge.translate.protect import Protector, restore

MODEL_DIR = Path(__file__).parent / "data" / "toy-en-ja"
MODEL_FILES = (
    "model.bin", "config.json", "source_vocabulary.json", "target_vocabulary.json", "source.spm", "target.spm",
)
MAX_BYTES = 2_000_000
MAX_DECODING_LENGTH = 256  # every probe ends long before this
PROBES = json.loads((MODEL_DIR / "probe.json").read_text(encoding="utf-8"))
SOURCES = [probe["source"] for probe in PROBES]
PLACEHOLDER = re.compile("[BCDFGHJKLMNPQRSTVWXZ]{4}")  # protect.py's four consonants


class ToyModel:
    def __init__(self, folder: Path):
        self.source = spm.SentencePieceProcessor(model_file=str(folder / "source.spm"))
        self.target = spm.SentencePieceProcessor(model_file=str(folder / "target.spm"))
        self.translator = ctranslate2.Translator(
            str(folder), device="cpu", compute_type="int8", inter_threads=1, intra_threads=1
        )

    def translate(self, sentences: list[str], beam_size: int) -> list[str]:
        tokens = [self.source.encode(s, out_type=str) + ["</s>"] for s in sentences]
        results = self.translator.translate_batch(
            tokens, beam_size=beam_size, max_decoding_length=MAX_DECODING_LENGTH
        )
        return [self.target.decode(r.hypotheses[0]) for r in results]


@pytest.fixture(scope="module")
def toy() -> ToyModel:
    return ToyModel(MODEL_DIR)


@pytest.mark.parametrize("beam_size", [1, 4])
def test_probe_outputs_are_the_recorded_ones(toy, beam_size):
    assert toy.translate(SOURCES, beam_size) == [probe[f"beam_{beam_size}"] for probe in PROBES]


@pytest.mark.parametrize("beam_size", [1, 4])
def test_batch_composition_changes_no_output(toy, beam_size):
    alone = [toy.translate([source], beam_size)[0] for source in SOURCES]
    together = toy.translate(SOURCES, beam_size)
    backwards = toy.translate(SOURCES[::-1], beam_size)[::-1]
    assert together == alone
    assert backwards == alone


def test_probe_outputs_are_fullwidth_copies_with_placeholders_kept():
    """What probe.json records is a translation, not a pass-through: every probe comes back
    whole (NFKC undoes fullwidth) and no ASCII letter is left outside a placeholder."""
    for probe in PROBES:
        for beam_size in (1, 4):
            output = probe[f"beam_{beam_size}"]
            assert unicodedata.normalize("NFKC", output) == probe["source"]
            assert not re.search("[A-Za-z]", PLACEHOLDER.sub("", output)), output


def test_protected_math_comes_back_verbatim(toy):
    """The engine's contract: every placeholder back exactly once, then restored."""
    protector = Protector()
    with_math = [protector.protect(p["text"]) for p in PROBES if "$" in p["text"]]
    assert sum(len(protected.spans) for protected in with_math) >= 8
    for beam_size in (1, 4):
        outputs = toy.translate([protected.text for protected in with_math], beam_size)
        for protected, output in zip(with_math, outputs):
            restored = restore(output, protected)
            assert restored is not None, output
            assert [math for _, math in protected.spans if math not in restored] == []


def test_one_word_title_is_translated(toy):
    assert toy.translate(["Error"], 4) == ["Ｅｒｒｏｒ"]


def test_folder_is_complete_and_small():
    names = {p.name for p in MODEL_DIR.iterdir()}
    assert set(MODEL_FILES) <= names
    assert {"LICENCE", "README.md", "probe.json"} <= names
    assert "shared_vocabulary.json" not in names  # separate vocabularies: the target is relabelled
    assert sum(p.stat().st_size for p in MODEL_DIR.iterdir()) < MAX_BYTES


def test_vocabularies_differ_only_by_the_relabelling():
    source = json.loads((MODEL_DIR / "source_vocabulary.json").read_text(encoding="utf-8"))
    target = json.loads((MODEL_DIR / "target_vocabulary.json").read_text(encoding="utf-8"))
    assert len(source) == len(target)
    assert source[:2] == target[:2] == ["</s>", "<unk>"]  # Marian's layout, <pad> dropped
    assert "<pad>" not in source
    renamed = [(s, t) for s, t in zip(source, target) if s != t]
    assert len(renamed) > len(source) // 2
    assert all(unicodedata.normalize("NFKC", t) == s for s, t in renamed)
    placeholders = [s for s in source if PLACEHOLDER.fullmatch(s)]
    assert "XKZD" in placeholders and all(s in target for s in placeholders)
