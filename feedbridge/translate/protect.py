"""Keep what must not be translated out of the model's reach, and put it back verbatim.

TeX math, URLs, DOIs, arXiv ids, code-like identifiers and the glossary's terms are
replaced by placeholders before a sentence is tokenized. A placeholder is four capital
consonants ("QZRT"): no English word, no ``_`` (argos's decoder turns ``_`` into a
space), nothing SentencePiece normalizes, so a model copies it through like any
unknown acronym. After decoding, every placeholder must be found exactly once, or the
translation is refused: math is never half-translated, dropped or doubled. A code is
found wherever it stands, even glued to a word ("$N$-particle", "$\\omega$Test").
A sentence refused that way can be translated in ``fragments``: the text between its
placeholders, each piece on its own, the placeholders put back between the pieces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from feedbridge.tex import MATH

# Matched in this order at each position: math first, so a URL or an identifier
# inside math stays part of the math.
_URL = r"(?:https?://|www\.)\S*[^\s.,;:!?)\]'\"]"
_DOI = r"\b10\.\d{4,9}/\S*[^\s.,;:!?)\]'\"]"
_ARXIV_ID = r"(?:\barXiv:)?(?<![\w.])(?:\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?(?!\d)"
_TEX_CODE = r"\\(?:texttt|url|href|verb)\{[^}]*\}(?:\{[^}]*\})?|`[^`\s][^`]*`"
_SNAKE_CASE = r"\b[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+\b"
_CAMEL_CASE = r"\b[A-Za-z]*[a-z][A-Z][A-Za-z0-9]*\b"  # PyTorch, QuTiP, camelCase

_CODE_LETTERS = "BCDFGHJKLMNPQRSTVWXZ"  # consonants only: a code is never a word
_CODE_SPACE = len(_CODE_LETTERS) ** 4
_CODE_STRIDE = 7919  # a prime, coprime to _CODE_SPACE: consecutive codes look unrelated


@dataclass(frozen=True)
class Protected:
    """A sentence as the model sees it, and what each placeholder stands for."""

    text: str
    spans: tuple[tuple[str, str], ...]  # (placeholder, original text), in order

    def has_words(self) -> bool:
        """Whether anything besides placeholders, digits and punctuation is left to translate."""
        rest = self.text
        for code, _ in self.spans:
            rest = rest.replace(code, " ")
        return has_words(rest)


class Protector:
    """Finds the spans to protect; built once per run, since the glossary is compiled in.

    Results are kept: the engine protects each sentence twice (to measure its length,
    then to translate it), and matching is a third of a warm-memory run's time.
    """

    def __init__(self, glossary: Iterable[str] = ()):
        terms = sorted({t.strip() for t in glossary if t.strip()}, key=len, reverse=True)
        parts = [MATH, _URL, _DOI, _ARXIV_ID, _TEX_CODE]
        if terms:
            # Whole words only, with an optional plural "s": "LLM" protects "LLMs" too.
            alternatives = "|".join(re.escape(t) for t in terms)
            parts.append(rf"(?<![\w-])(?:{alternatives})s?(?![\w-])")
        parts += [_SNAKE_CASE, _CAMEL_CASE]
        self._pattern = re.compile("|".join(f"(?:{p})" for p in parts), re.S)
        self._done: dict[str, Protected] = {}

    def protect(self, sentence: str) -> Protected:
        """Replace every protected span with a placeholder not already in the sentence."""
        if sentence not in self._done:
            self._done[sentence] = self._protect(sentence)
        return self._done[sentence]

    def _protect(self, sentence: str) -> Protected:
        codes = _codes(sentence)
        spans: list[tuple[str, str]] = []

        def placeholder(match: re.Match) -> str:
            spans.append((next(codes), match.group(0)))
            return spans[-1][0]

        return Protected(self._pattern.sub(placeholder, sentence), tuple(spans))


def restore(translation: str, protected: Protected) -> str | None:
    """The translation with every placeholder replaced by its original text, or None
    when a placeholder is missing, doubled or altered."""
    if any(translation.count(code) != 1 for code, _ in protected.spans):
        return None
    for code, original in protected.spans:
        translation = translation.replace(code, original)
    return translation


def fragments(protected: Protected) -> list[str]:
    """The text before, between and after the placeholders, in order: one piece more
    than there are spans (an empty one where a placeholder starts or ends the text)."""
    pieces = []
    rest = protected.text
    for code, _ in protected.spans:
        before, _, rest = rest.partition(code)
        pieces.append(before)
    return pieces + [rest]


def has_words(text: str) -> bool:
    """Whether a text has a letter: anything besides digits and punctuation to translate."""
    return re.search(r"[^\W\d_]", text) is not None


def _codes(sentence: str):
    """Placeholders in a fixed order, skipping any the sentence already contains.

    The order is fixed so that two sentences differing only in their math get the same
    protected text, and so one translation-memory entry. Codes with a repeated letter
    are skipped: they tokenize into repeated pieces, which a retry's repetition
    penalty would push the model to drop.
    """
    n = 0
    while True:
        code = _code(n)
        if len(set(code)) == len(code) and code not in sentence:
            yield code
        n += 1


def _code(n: int) -> str:
    number = (n * _CODE_STRIDE + 1) % _CODE_SPACE
    letters = []
    for _ in range(4):
        number, digit = divmod(number, len(_CODE_LETTERS))
        letters.append(_CODE_LETTERS[digit])
    return "".join(letters)
