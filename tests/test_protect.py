"""Placeholders for what must not be translated, and their verbatim return."""

import re

import pytest

from feedbridge.translate.protect import Protector, fragments, restore

PROTECTOR = Protector(["GPT-4", "LLM", "QAOA"])


@pytest.mark.parametrize("span", [
    "$E = mc^2$",
    "$$\\sum_i x_i$$",
    "\\(a < b\\)",
    "\\[x. Y\\]",
    "\\begin{equation}a_1 = b\\end{equation}",
    "$\\$5$",
    "https://github.com/org/repo_name/tree/main",
    "www.example.org/a",
    "10.1103/PhysRevA.111.042401",
    "arXiv:2504.17830v2",
    "2504.17830",
    "hep-th/9901001",
    "\\texttt{run_all}",
    "`make bench`",
    "snake_case_name",
    "PyTorch",
    "QuTiP",
    "GPT-4",
    "LLMs",
    "QAOA",
])
def test_span_is_replaced_by_one_placeholder_and_restored_verbatim(span):
    sentence = f"We use {span} in this work."
    protected = PROTECTOR.protect(sentence)
    assert protected.spans and protected.spans[0][1] == span
    assert len(protected.spans) == 1
    code = protected.spans[0][0]
    assert protected.text == f"We use {code} in this work."
    assert re.fullmatch(r"[A-Z]{4}", code) and "_" not in protected.text
    assert restore(f"本研究では {code} を使う。", protected) == f"本研究では {span} を使う。"


@pytest.mark.parametrize("sentence", [
    "The qubit decoheres in 3.5 microseconds.",
    "Large language models (LLMO) are not the glossary's LLM.",
    "We thank the U.S. National Science Foundation.",
])
def test_plain_prose_and_near_misses_stay_as_they_are(sentence):
    protected = PROTECTOR.protect(sentence)
    assert [original for _, original in protected.spans] == (["LLM"] if "glossary" in sentence else [])


def test_trailing_punctuation_is_not_part_of_a_url_or_id():
    protected = PROTECTOR.protect("See https://x.org/a, arXiv:2504.17830. And (www.y.org/b).")
    assert [original for _, original in protected.spans] == ["https://x.org/a", "arXiv:2504.17830", "www.y.org/b"]


def test_math_wins_over_what_it_contains():
    protected = PROTECTOR.protect("Let $f = \\mathrm{GPT-4}(x_train)$ hold.")
    assert [original for _, original in protected.spans] == ["$f = \\mathrm{GPT-4}(x_train)$"]


def test_placeholders_are_distinct_and_never_already_in_the_sentence():
    plain = PROTECTOR.protect("Compare $a$ with $b$.")
    first, second = (code for code, _ in plain.spans)
    assert first != second
    clash = PROTECTOR.protect(f"The code {first} meets $a$.")
    assert clash.spans[0][0] not in (first,)
    assert restore(clash.text, clash) == f"The code {first} meets $a$."


def test_same_shape_gives_same_protected_text():
    # so that the translation memory serves both from one entry
    assert PROTECTOR.protect("We compute $x$ here.").text == PROTECTOR.protect("We compute $y^2$ here.").text


@pytest.mark.parametrize("mangle", [
    lambda text, code: text.replace(code, ""),  # dropped
    lambda text, code: text.replace(code, f"{code} {code}"),  # doubled
    lambda text, code: text.replace(code, code.lower()),  # altered
    lambda text, code: text.replace(code, code[:2] + " " + code[2:]),  # split
])
def test_restore_refuses_a_placeholder_not_back_exactly_once(mangle):
    protected = PROTECTOR.protect("Both $a$ and $b$ hold.")
    code = protected.spans[1][0]
    assert restore(protected.text, protected) == "Both $a$ and $b$ hold."
    assert restore(mangle(protected.text, code), protected) is None


@pytest.mark.parametrize("sentence", ["A general $N-$particle scheme, $\\alpha$s.", "$\\omega$Test: WebView-Oriented"])
def test_math_glued_to_a_word_is_restored(sentence):
    protected = PROTECTOR.protect(sentence)
    assert restore(f"«{protected.text}»", protected) == f"«{sentence}»"


def test_placeholder_next_to_japanese_text_is_found():
    protected = PROTECTOR.protect("Both $a$ hold.")
    code = protected.spans[0][0]
    assert restore(f"両方の{code}が成り立つ。", protected) == "両方の$a$が成り立つ。"


@pytest.mark.parametrize("sentence, has_words", [
    ("$x = 1$.", False),
    ("(2) $x$, $y$; https://x.org/a", False),
    ("We show $x$.", True),
])
def test_has_words(sentence, has_words):
    assert PROTECTOR.protect(sentence).has_words() is has_words


@pytest.mark.parametrize("sentence, expected", [
    ("We study $x$ and $y$.", ["We study ", " and ", "."]),
    ("$x$ holds", ["", " holds"]),
    ("See https://x.org/a", ["See ", ""]),
    ("No math here.", ["No math here."]),
    ("$N$-particle states of $\\omega$Test", ["", "-particle states of ", "Test"]),
])
def test_fragments_are_the_text_around_the_placeholders(sentence, expected):
    """What the engine translates, piece by piece, when a model loses a placeholder; the
    spans spliced back between the pieces give the sentence back."""
    protected = PROTECTOR.protect(sentence)
    pieces = fragments(protected)
    assert pieces == expected
    spans = [original for _, original in protected.spans] + [""]
    assert "".join(piece + span for piece, span in zip(pieces, spans)) == sentence
