"""Split scientific English into sentences without downloading a model.

argos's own splitter fetches a model at run time; abstracts need rules that know
"e.g.", "et al.", "Fig. 3", decimals and TeX math, which a general model often breaks.
"""

from __future__ import annotations

import re

# Abbreviations after which a period does not end a sentence (compared lower-case).
ABBREVIATIONS = frozenset(
    """e.g i.e et al etc cf vs approx fig figs eq eqs eqn sec secs ref refs tab
    no nos vol pp ch app resp dr prof mr mrs ms st jr sr inc ltd co corp dept univ
    ca viz al""".split()
)

# Spans inside which nothing is a sentence boundary: TeX math and URLs.
_PROTECTED = re.compile(
    r"\$\$.+?\$\$|\$[^$]+\$|\\\(.+?\\\)|\\\[.+?\\\]|https?://\S*[^\s.,;:!?)\]]|\b(?:[A-Za-z]\.){2,}",
    re.S,
)
# A candidate boundary: terminal punctuation, optional closing quotes/brackets, space.
_BOUNDARY = re.compile(r"[.!?][\"')\]]*\s+")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)\.?$")


def join_lines(text: str) -> str:
    """Join hard-wrapped lines and runs of whitespace into single spaces."""
    return " ".join(text.split())


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` in order; joining them with spaces gives the joined text back."""
    text = join_lines(text)
    if not text:
        return []
    protected = [m.span() for m in _PROTECTED.finditer(text)]
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
