"""Split scientific English into sentences without downloading a model.

argos's own splitter fetches a model at run time; abstracts need rules that know
"e.g.", "et al.", "Fig. 3", decimals, citations and TeX math, which a general model
often breaks. Sentences longer than a model was trained on are cut again at safe
points, so each piece stays a unit the model can translate.
"""

from __future__ import annotations

import re
from typing import Callable

# Abbreviations after which a period does not end a sentence (compared lower-case).
# "etc." is not one: it ends sentences as often as not, and a lower-case next word
# already keeps "etc. are" together.
ABBREVIATIONS = frozenset(
    """e.g i.e et al cf vs approx fig figs eq eqs eqn eqns sec secs ref refs tab tabs
    thm lem prop def cor alg no nos vol pp ch app apps resp dr prof mr mrs ms st jr sr
    inc ltd co corp dept univ ca viz""".split()
)

# Spans inside which nothing is a sentence boundary: TeX math, URLs, initialisms.
_PROTECTED = re.compile(
    r"\$\$.+?\$\$|\$[^$]+\$|\\\(.+?\\\)|\\\[.+?\\\]|https?://\S*[^\s.,;:!?)\]]|\b(?:[A-Za-z]\.){2,}",
    re.S,
)
# A candidate boundary: terminal punctuation, an optional numeric citation ("[3]"),
# optional closing quotes/brackets, then a space.
_BOUNDARY = re.compile(r"[.!?](?:\[[\d,;\s–-]+\])?[\"')\]]*\s+")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)\.?$")

# Where an over-long sentence may be cut, best first: after a semicolon, a colon or a
# comma, before a conjunction, at any space. Each pattern matches the space cut at.
_CUT_POINTS = (
    re.compile(r"(?<=;) "),
    re.compile(r"(?<=:) "),
    re.compile(r"(?<=,) "),
    re.compile(r" (?=(?:and|but|which|while|whereas|where|although|because|thereby|whose) )"),
    re.compile(r" "),
)
_CUT_WINDOW = (0.25, 0.75)  # cut points outside the middle half give lopsided pieces


def join_lines(text: str) -> str:
    """Join hard-wrapped lines and runs of whitespace into single spaces."""
    return " ".join(text.split())


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` in order; joining them with spaces gives the joined text back."""
    text = join_lines(text)
    if not text:
        return []
    protected = _protected_spans(text)
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        if end >= len(text) or _inside(match.start(), protected):
            continue
        if _is_boundary(text[start : match.start() + 1], text[end:]):
            sentences.append(text[start:end].rstrip())
            start = end
    sentences.append(text[start:].rstrip())
    return [s for s in sentences if s]


def split_long(sentence: str, max_tokens: int, count_tokens: Callable[[str], int]) -> list[str]:
    """Cut a sentence longer than ``max_tokens`` into pieces a model can translate.

    argos's models were trained on sentences of at most about 150 tokens; longer input
    gets dropped or repeated text. Pieces are cut at a single space, never inside math
    or a URL, so joining them with spaces gives the sentence back. A sentence with no
    safe cut point is returned whole (the decoding cap still bounds its output).
    """
    if count_tokens(sentence) <= max_tokens:
        return [sentence]
    cut = _cut_point(sentence)
    if cut is None:
        return [sentence]
    return split_long(sentence[:cut], max_tokens, count_tokens) + split_long(
        sentence[cut + 1 :], max_tokens, count_tokens
    )


def _cut_point(sentence: str) -> int | None:
    """The index of the space to cut at: the best kind of point, nearest the middle."""
    protected = _protected_spans(sentence)
    low, high = (int(len(sentence) * edge) for edge in _CUT_WINDOW)
    middle = len(sentence) / 2
    for pattern in _CUT_POINTS:
        candidates = [
            m.start() for m in pattern.finditer(sentence)
            if low <= m.start() <= high and not _inside(m.start(), protected)
        ]
        if candidates:
            return min(candidates, key=lambda i: abs(i - middle))
    return None


def _protected_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _PROTECTED.finditer(text)]


def _inside(position: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= position < b for a, b in spans)


def _is_boundary(before: str, after: str) -> bool:
    """Decide whether the punctuation ending ``before`` ends a sentence."""
    if before.endswith("."):
        word = _WORD_BEFORE.search(before[:-1] + ".")
        token = word.group(1).rstrip(".").lower() if word else ""
        if token in ABBREVIATIONS or token.endswith(tuple(f".{a}" for a in ("e.g", "i.e"))):
            return False
        if len(token) == 1 and token.isalpha():  # an initial: "J. Smith", "A. B. Cole"
            return False
    first = after[:1]
    # A new sentence starts with a capital, a digit, math, or an opening bracket/quote.
    return bool(first) and (first.isupper() or first.isdigit() or first in "$\\([\"'")
