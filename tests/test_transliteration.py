"""The engine's batching on a small *trained* model: every input gets its own, correct output.

The aren-transliteration model (from CTranslate2's test data) turns Arabic-script names
into Latin letters, one character per token, so its outputs can be checked by eye.
"""

import random

import ctranslate2
import pytest

from feedbridge.translate.ct2 import BatchRunner, Decoding
from support.paths import TRANSLITERATION_MODEL

KNOWN = {"آتزمون": "atzmon", "آرثر": "arther", "ساره": "sare", "محمد": "mahmad", "لندن": "lenden"}


@pytest.fixture(scope="module")
def model():
    return ctranslate2.Translator(str(TRANSLITERATION_MODEL), device="cpu", inter_threads=2, intra_threads=1)


def letters():
    vocabulary = (TRANSLITERATION_MODEL / "source_vocabulary.txt").read_text(encoding="utf-8").split("\n")
    return [t for t in vocabulary[3:] if len(t) == 1 and "\u0621" <= t <= "\u064a"]


def test_spaced_letters_are_transliterated(model):
    [hypotheses] = BatchRunner(model, Decoding(beam_size=4)).run(["آ ت ز م و ن".split()])
    assert " ".join(hypotheses[0]) == "a t z m o n"


def test_each_name_gets_its_own_output_among_many_in_sorted_batches(model):
    rng = random.Random(0)
    alphabet = letters()
    inputs = [[rng.choice(alphabet) for _ in range(rng.randint(2, 14))] for _ in range(120)]
    positions = {name: 7 + 23 * i for i, name in enumerate(KNOWN)}
    for name, position in positions.items():
        inputs.insert(position, list(name))
    runner = BatchRunner(model, Decoding(beam_size=4), batch_tokens=96)
    batches = runner.batches([len(i) for i in inputs])
    assert len(batches) > 10  # many batches, each a mix of inputs from all over the list

    together = runner.run(inputs)

    for name, position in positions.items():
        assert "".join(together[position][0]) == KNOWN[name]
    assert together == [runner.run([i])[0] for i in inputs]  # alone, each gives the same
