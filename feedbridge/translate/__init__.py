"""The translate stage: argos packages in, sentence-aligned translations out.

This module holds the stage's data types only, so importing it stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass

from feedbridge.arxiv import Paper


@dataclass(frozen=True)
class SentencePair:
    source: str
    target: str
    translated: bool = True  # False: the engine fell back to the source text


@dataclass(frozen=True)
class Translation:
    """A text split into sentences, each with its translation, in order."""

    sentences: tuple[SentencePair, ...]


@dataclass(frozen=True)
class TranslatedPaper:
    paper: Paper
    source_lang: str
    target_lang: str
    title: Translation
    abstract: Translation
    translator: str  # provenance, e.g. "translate-en_ja 1.1"
