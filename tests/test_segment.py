"""Sentence splitting of scientific English, checked on the fixtures' real abstracts."""

import html
import re
from pathlib import Path

import pytest

from feedbridge.translate.segment import join_lines, split_sentences

QUANT_PH = Path(__file__).resolve().parents[2] / "shared/fixtures/arxiv/arxiv_rss2_quant-ph_2025-04-28.xml"


@pytest.mark.parametrize("text, expected", [
    ("We use e.g. Fig. 3 and Eq. (2) of Smith et al. 2020. Then we stop.",
     ["We use e.g. Fig. 3 and Eq. (2) of Smith et al. 2020.", "Then we stop."]),
    ("The value is 3.14 and $a. B$ holds. Next.", ["The value is 3.14 and $a. B$ holds.", "Next."]),
    ("See https://x.org/a.b. Next one? Yes! Done.", ["See https://x.org/a.b.", "Next one?", "Yes!", "Done."]),
    ("Work by A. B. Smith, cf. Sec. 2, vs. i.e. the rest. Fine.",
     ["Work by A. B. Smith, cf. Sec. 2, vs. i.e. the rest.", "Fine."]),
    ("Display \\[x. Y\\] math. Inline \\(a. B\\) too.", ["Display \\[x. Y\\] math.", "Inline \\(a. B\\) too."]),
    ("Hard-\nwrapped\n  lines. Are joined.", ["Hard- wrapped lines.", "Are joined."]),
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
