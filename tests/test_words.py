"""feedbridge's own words: every language says everything English says, with the same
placeholders, and a language feedbridge has no words for reads English."""

from __future__ import annotations

import string
from dataclasses import fields

import pytest

from feedbridge.model import FeedStatus
from feedbridge.render.words import ARXIV_THANKS, ENGLISH, WORDS, site_words, words_for


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("lang", sorted(WORDS))
def test_every_language_fills_every_word_with_englishs_placeholders(lang):
    words = WORDS[lang]
    for field in fields(words):
        value, english = getattr(words, field.name), getattr(ENGLISH, field.name)
        if isinstance(value, str):
            assert value.strip(), field.name
            assert placeholders(value) <= placeholders(english), field.name
            # a language's own name may stand for {language}; every other placeholder stays
            assert placeholders(english) - placeholders(value) <= {"language"}, field.name
        else:
            assert set(value) == set(english) and all(value.values()), field.name
    assert set(words.statuses) == set(FeedStatus)


def test_the_language_of_a_tag_and_english_for_the_rest():
    assert words_for("ja").lang == words_for("ja-JP").lang == words_for("JA").lang == "ja"
    assert words_for("xx") is ENGLISH
    assert site_words(["ja", "ja-JP"]).lang == "ja"
    assert site_words(["ja", "de"]) is ENGLISH  # the index of feeds in two languages


def test_arxivs_acknowledgement_is_verbatim():
    assert ARXIV_THANKS == "Thank you to arXiv for use of its open access interoperability."
