"""The translate stage: papers in, sentence-aligned translations out (model.TranslatedPaper).

``backend.py`` is the seam to the models, ``engine.py`` the pass over a run's sentences,
``memory.py`` what earlier runs translated. This module holds the stage's account of
one pass only, so importing it stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TranslationStats:
    """What one translate_papers call did: filled in as it runs, read by the caller."""

    papers: int = 0
    unique_papers: int = 0  # a paper in several feeds (a cross-list) counts once
    sentences: int = 0
    unique_sentences: int = 0  # after protection: "$x$ holds." and "$y$ holds." are one
    from_memory: int = 0
    by_model: int = 0  # sent to the model
    model_calls: int = 0  # translate_batch calls made to the translator
    retried: int = 0
    # How each source sentence with words to translate ended: translated whole, in
    # fragments (the text between its protected spans, those spliced back), or kept in
    # the source language and marked. The model's and the memory's answers alike.
    whole: int = 0
    in_fragments: int = 0
    untranslated: int = 0
    seconds: float = 0.0
    # Source sentences whose translation came from the model in this call (not from
    # the memory): lets a caller that translated several feeds in one pass tell each
    # feed its own share.
    model_sentences: set[str] = field(default_factory=set)

    def summary(self) -> str:
        """One line for logs, e.g. CI's, where no progress bar is drawn."""
        return (
            f"{self.papers} papers ({self.unique_papers} unique), {self.sentences} sentences "
            f"({self.unique_sentences} unique): {self.from_memory} from memory, {self.by_model} "
            f"by the model, {self.retried} retried; {self.whole} translated whole, {self.in_fragments} in "
            f"fragments, {self.untranslated} left untranslated, in {self.seconds:.1f} s"
        )
