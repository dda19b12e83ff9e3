"""Sentence splitting of scientific English, checked on the fixtures' real abstracts."""

import html
import re

import pytest

from feedbridge.translate.segment import join_lines, split_long, split_sentences
from support.paths import QUANT_PH


@pytest.mark.parametrize("text, expected", [
    ("We use e.g. Fig. 3 and Eq. (2) of Smith et al. 2020. Then we stop.",
     ["We use e.g. Fig. 3 and Eq. (2) of Smith et al. 2020.", "Then we stop."]),
    ("The value is 3.14 and $a. B$ holds. Next.", ["The value is 3.14 and $a. B$ holds.", "Next."]),
    ("See https://x.org/a.b. Next one? Yes! Done.", ["See https://x.org/a.b.", "Next one?", "Yes!", "Done."]),
    ("Work by A. B. Smith, cf. Sec. 2, vs. i.e. the rest. Fine.",
     ["Work by A. B. Smith, cf. Sec. 2, vs. i.e. the rest.", "Fine."]),
    ("Display \\[x. Y\\] math. Inline \\(a. B\\) too.", ["Display \\[x. Y\\] math.", "Inline \\(a. B\\) too."]),
    ("Hard-\nwrapped\n  lines. Are joined.", ["Hard- wrapped lines.", "Are joined."]),
    ("As shown before.[3] We go on. Also in [4, 5]. Then (Smith et al., 2020). End.",
     ["As shown before.[3]", "We go on.", "Also in [4, 5].", "Then (Smith et al., 2020).", "End."]),
    ("Apples, pears, etc. are fruit. We eat them, etc. Then we rest.",
     ["Apples, pears, etc. are fruit.", "We eat them, etc.", "Then we rest."]),
    ("See Thm. 2 and Alg. 1, approx. 5 runs, w.r.t. the U.S. baseline. Code: arXiv:2504.17830. Done.",
     ["See Thm. 2 and Alg. 1, approx. 5 runs, w.r.t. the U.S. baseline.", "Code: arXiv:2504.17830.", "Done."]),
    ("", []),
])
def test_split(text, expected):
    assert split_sentences(text) == expected


def test_fixture_abstracts_split_without_losing_text():
    abstracts = [html.unescape(a) for a in re.findall(
        r"<description>arXiv:.*?Abstract: (.*?)</description>", QUANT_PH.read_text(), re.S)]
    assert len(abstracts) == 81
    total = 0
    for abstract in abstracts:
        sentences = split_sentences(abstract)
        assert " ".join(sentences) == join_lines(abstract)
        total += len(sentences)
    assert total > 2 * len(abstracts)  # abstracts are several sentences, not one blob


def words(text):
    return len(text.split())


def test_short_sentence_is_not_cut():
    assert split_long("We study qubits; they decohere.", 10, words) == ["We study qubits; they decohere."]


def test_long_sentence_is_cut_at_the_best_point_near_the_middle():
    sentence = ("We study one two three four five six, seven eight nine ten eleven twelve; "
                "thirteen fourteen fifteen sixteen, seventeen eighteen nineteen twenty.")
    pieces = split_long(sentence, 20, words)
    assert pieces == ["We study one two three four five six, seven eight nine ten eleven twelve;",
                      "thirteen fourteen fifteen sixteen, seventeen eighteen nineteen twenty."]


def test_long_sentence_is_cut_until_every_piece_fits_and_joins_back():
    sentence = " ".join(f"w{i}," if i % 5 == 4 else f"w{i}" for i in range(100)) + "."
    pieces = split_long(sentence, 12, words)
    assert " ".join(pieces) == sentence
    assert all(words(p) <= 12 for p in pieces) and len(pieces) >= 9


def test_math_and_urls_are_never_cut():
    sentence = "A $a b c d e f g h i j k l m n o p q r s t$ and https://x.org/a,b then end."
    pieces = split_long(sentence, 4, words)
    assert " ".join(pieces) == sentence
    assert all(p.count("$") in (0, 2) for p in pieces)
    assert any("https://x.org/a,b" in p for p in pieces)


def test_sentence_without_a_cut_point_stays_whole():
    assert split_long("$" + "x " * 50 + "$", 10, words) == ["$" + "x " * 50 + "$"]
