"""Translate papers: every sentence of a run in one pass, through the memory, then the model.

argos's ``translate()`` handles one text at a time: about one sentence per CTranslate2
call, beam 4, no length cap. Here every title and abstract sentence of the run is
segmented, protected and de-duplicated, looked up in the translation memory, and the
rest goes through one backend, loaded once, in length-sorted batches. Each output is
checked (every placeholder back exactly once; the backend drops runaway decodes); a
sentence that fails is retried once with n-best search and repetition penalties. One
that still fails, and holds protected spans, is translated in fragments: the text
between its spans, each piece a sentence of its own (with the same retry), the spans
put back between the pieces verbatim. Math is never the reason a sentence stays
untranslated; only a sentence whose fragments fail too is kept in the source language
and marked untranslated: never mangled, never silently English. (With the backend's
``decoding.retry`` off, a failure gets no second chance of either kind.)

A model can also fail as a whole (a broken or wrong package refuses nearly everything):
a pass of at least MIN_JUDGED_SENTENCES sentences in which more than ``max_untranslated``
of them, from the model and from the memory alike, end untranslated has failed
(PassFailed), and its refusals are not remembered, so the next run asks the model again.

The work is found first (``prepare``: segmentation and memory lookups, so a dry run
can count it) and done second (``run``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field

from feedbridge.errors import FeedbridgeError
from feedbridge.model import Paper, SentencePair, TranslatedPaper, Translation
from feedbridge.translate import TranslationStats
from feedbridge.translate.backend import Backend
from feedbridge.translate.memory import TranslationMemory
from feedbridge.translate.protect import Protected, Protector, fragments, has_words, restore
from feedbridge.tex import letters
from feedbridge.translate.segment import join_lines, split_long, split_sentences

MAX_SOURCE_TOKENS = 150  # argos's en->ja model was trained on sentences of at most 150 tokens
MIN_JUDGED_SENTENCES = 20  # a smaller pass can be mostly untranslated by chance (math-only sentences)
_FRAGMENT = re.compile(r"(\s*)(.*?)(\s*)", re.S)  # a fragment's leading space, its text, its trailing space
# A fragment that ends no sentence ("We prove that") loses the full stop a model may give it.
_SENTENCE_ENDS = ".!?"
_FULL_STOPS = ".!?。．！？"


class PassFailed(FeedbridgeError):
    """Too many of a pass's sentences ended untranslated: the model, not a sentence, failed."""

# (sentences done, sentences in total), per pass: (0, total) opens a pass, whose total never changes
ProgressCallback = Callable[[int, int], None]


@dataclass
class TranslationJob:
    """One language pair's work, found before anything is translated."""

    backend: Backend | None  # None: counting only (a dry run without the pair's model)
    source_lang: str
    target_lang: str
    papers: list[Paper]  # in the caller's order; a paper may come twice (a cross-list)
    segments: dict[tuple[str, int], tuple[list[str], list[str]]]  # each unique paper's title and abstract sentences
    protected: dict[str, Protected]  # each source sentence, protected
    known: dict[str, str | None]  # protected texts the memory answered
    missing: dict[str, Protected]  # protected texts for the model
    spliced: set[str] = field(default_factory=set)  # known texts the memory has translated in fragments

    @property
    def memory_key(self) -> tuple[str, str]:
        return self.backend.provenance, self.backend.decoding.key


def prepare(
    papers: Sequence[Paper],
    backend: Backend | None,
    source_lang: str,
    target_lang: str,
    *,
    memory: TranslationMemory | None = None,  # None: translate everything
    glossary: Iterable[str] = (),
    stats: TranslationStats | None = None,
) -> TranslationJob:
    """Segment and protect every title and abstract sentence once, however many papers
    and feeds share it, and look each up in the memory; ``stats`` gets the counts.

    Without a backend (a dry run whose model is not installed) words stand in for tokens
    and nothing is looked up: the counts are an estimate."""
    stats = TranslationStats() if stats is None else stats
    protector = Protector(glossary)
    segment = _Segmenter(backend.count_tokens if backend is not None else _words, protector)
    unique = {paper_identity(p): p for p in papers}
    segments = {key: (segment(p.title, title=True), segment(p.abstract)) for key, p in unique.items()}
    protected = {s: protector.protect(s) for title, abstract in segments.values() for s in (*title, *abstract)}
    texts = {p.text: p for p in protected.values() if p.has_words()}
    job = TranslationJob(backend, source_lang, target_lang, list(papers), segments, protected, {}, {})
    if memory is not None and backend is not None:
        recalled = memory.lookup(*job.memory_key, texts)
        job.known, job.spliced = dict(recalled), recalled.fragments
    job.missing = {text: p for text, p in texts.items() if text not in job.known}
    stats.papers += len(papers)
    stats.unique_papers += len(unique)
    stats.sentences += sum(len(title) + len(abstract) for title, abstract in (segments[paper_identity(p)] for p in papers))
    stats.unique_sentences += len(texts)
    stats.from_memory += len(job.known)
    stats.by_model += len(job.missing)
    return job


def run(
    job: TranslationJob,
    *,
    memory: TranslationMemory | None = None,
    stats: TranslationStats | None = None,
    progress: ProgressCallback | None = None,
    max_untranslated: float | None = None,
) -> list[TranslatedPaper]:
    """Translate what the memory did not know; one TranslatedPaper per paper, in order.

    ``progress`` is called with (0, total) as each model pass starts and with (done, total)
    as its batches finish: the first pass counts every sentence the model is asked for, and
    the passes after it (failed sentences retried, then translated in fragments) count their
    own, each from 0 against a total fixed at its start; the model's results are stored in
    ``memory``, with how each was obtained. With
    ``max_untranslated``, a pass beyond that share untranslated raises PassFailed
    (module docstring) after storing only what the model did translate.
    """
    started = time.monotonic()
    stats = TranslationStats() if stats is None else stats
    tracker = _Progress(progress, len(job.missing))
    found = _attempt(job.missing, job.backend, stats, tracker, retry=False)
    failed = {text: job.missing[text] for text, target in found.items() if target is None}
    if failed and job.backend.decoding.retry:
        stats.retried += len(failed)
        tracker.start(len(failed))
        found.update(_attempt(failed, job.backend, stats, tracker, retry=True))
        lost = {text: job.missing[text] for text in failed if found[text] is None and job.missing[text].spans}
        spliced = _in_fragments(lost, job.backend, stats, tracker)
        found.update(spliced)
    else:
        spliced = {}
    targets = {**job.known, **found}
    stats.model_sentences.update(source for source, p in job.protected.items() if p.text in job.missing)
    in_fragments = job.spliced | spliced.keys()
    pairs = {source: _pair(source, p, targets, in_fragments) for source, p in job.protected.items()}
    judged = [pairs[source] for source, p in job.protected.items() if p.has_words()]
    stats.whole += sum(pair.translated and not pair.in_fragments for pair in judged)
    stats.in_fragments += sum(pair.in_fragments for pair in judged)
    stats.untranslated += sum(not pair.translated for pair in pairs.values())
    stats.seconds += time.monotonic() - started
    failure = _failure(job, pairs, max_untranslated)
    if memory is not None and found:
        memory.store(*job.memory_key, found if failure is None else {t: o for t, o in found.items() if o is not None},
                     fragments=spliced.keys())
    if failure is not None:
        raise PassFailed(failure)

    def aligned(sentences: list[str]) -> Translation:
        return Translation(tuple(pairs[s] for s in sentences))

    return [
        TranslatedPaper(
            paper=paper,
            source_lang=job.source_lang,
            target_lang=job.target_lang,
            title=aligned(job.segments[paper_identity(paper)][0]),
            abstract=aligned(job.segments[paper_identity(paper)][1]),
            translator=job.backend.provenance,
        )
        for paper in job.papers
    ]


def translate_papers(
    papers: Sequence[Paper],
    backend: Backend,
    source_lang: str,
    target_lang: str,
    *,
    memory: TranslationMemory | None = None,
    glossary: Iterable[str] = (),
    stats: TranslationStats | None = None,
    progress: ProgressCallback | None = None,
    max_untranslated: float | None = None,
) -> list[TranslatedPaper]:
    """``prepare`` and ``run`` in one call, for callers that need no count in between."""
    stats = TranslationStats() if stats is None else stats
    job = prepare(papers, backend, source_lang, target_lang, memory=memory, glossary=glossary, stats=stats)
    return run(job, memory=memory, stats=stats, progress=progress, max_untranslated=max_untranslated)


def _failure(job: TranslationJob, pairs: dict[str, SentencePair], max_untranslated: float | None) -> str | None:
    """Why the pass failed as a whole, or None. Counted over the sentences with words to
    translate, whether the model or the memory answered them."""
    judged = [pairs[source] for source, p in job.protected.items() if p.has_words()]
    untranslated = sum(not pair.translated for pair in judged)
    if max_untranslated is None or len(judged) < MIN_JUDGED_SENTENCES or untranslated <= max_untranslated * len(judged):
        return None
    return (f"{untranslated} of {len(judged)} sentences untranslated ({untranslated / len(judged):.0%}, more than"
            f" translation.max_untranslated, {max_untranslated:.0%}): {job.backend.provenance} may be broken or"
            f" the wrong model; the feeds keep their last good version")


def paper_identity(paper: Paper) -> tuple[str, int]:
    """A paper in several feeds of a run (a cross-list) is the same announcement."""
    return paper.arxiv_id, paper.version


def _words(text: str) -> int:
    return len(text.split())


class _Segmenter:
    """Text -> the sentences the model gets: split, and over-long ones cut at safe points."""

    def __init__(self, count_tokens: Callable[[str], int], protector: Protector):
        self._count_tokens = count_tokens
        self._protector = protector

    def __call__(self, text: str, *, title: bool = False) -> list[str]:
        text = letters(text)  # the model reads Schrödinger, not Schr\"odinger
        sentences = [join_lines(text)] if title else split_sentences(text)
        return [piece for s in sentences if s for piece in split_long(s, MAX_SOURCE_TOKENS, self._length)]

    def _length(self, sentence: str) -> int:
        """Tokens the model will see: math and URLs count as their placeholders."""
        return self._count_tokens(self._protector.protect(sentence).text)


def _attempt(
    texts: dict[str, Protected], backend: Backend, stats: TranslationStats,
    tracker: _Progress, *, retry: bool,
) -> dict[str, str | None]:
    """One model pass: per text, the best candidate that gives every placeholder back once."""
    if not texts:
        return {}
    stats.model_calls += 1
    candidates = backend.translate_batch(list(texts), retry=retry, progress=tracker.advance)
    return {
        text: next((c for c in options if c.strip() and restore(c, protected) is not None), None)
        for (text, protected), options in zip(texts.items(), candidates)
    }


def _in_fragments(
    texts: dict[str, Protected], backend: Backend, stats: TranslationStats, tracker: _Progress,
) -> dict[str, str]:
    """Texts the model would not translate whole, translated in fragments: the text between
    their placeholders as sentences of their own, each placeholder put back between its
    neighbours' translations. A text comes back, placeholders in place, only if each of
    its fragments with words was translated (a retry included)."""
    pieces = {text: fragments(protected) for text, protected in texts.items()}
    wanted = {core: Protected(core, ()) for parts in pieces.values() for part in parts
              if has_words(core := _FRAGMENT.fullmatch(part).group(2))}
    if not wanted:
        return {}
    tracker.start(len(wanted))
    translated = _attempt(wanted, backend, stats, tracker, retry=False)
    failed = {core: wanted[core] for core, target in translated.items() if target is None}
    if failed:
        tracker.start(len(failed))
        translated.update(_attempt(failed, backend, stats, tracker, retry=True))
    spliced = {}
    for text, parts in pieces.items():
        targets = [_fragment_target(part, translated) for part in parts]
        if None in targets:
            continue
        codes = [code for code, _ in texts[text].spans] + [""]
        target = "".join(piece + code for piece, code in zip(targets, codes))
        if restore(target, texts[text]) is not None:  # no fragment's translation holds a placeholder
            spliced[text] = target
    return spliced


def _fragment_target(part: str, translated: dict[str, str | None]) -> str | None:
    """A fragment's translation, between the fragment's own leading and trailing space;
    a fragment without words (a comma, a bracket, nothing) as it is."""
    lead, core, trail = _FRAGMENT.fullmatch(part).groups()
    if not has_words(core):
        return part
    target = translated[core]
    if target is None:
        return None
    target = target.strip()
    if core[-1] not in _SENTENCE_ENDS:
        target = target.rstrip(_FULL_STOPS) or target
    return lead + target + trail


def _pair(source: str, protected: Protected, targets: dict[str, str | None], spliced: Collection[str]) -> SentencePair:
    if not protected.has_words():  # math, numbers, a URL: nothing to translate
        return SentencePair(source, source)
    target = targets.get(protected.text)
    restored = restore(target, protected) if target is not None else None
    if restored is None:
        return SentencePair(source, source, translated=False)
    return SentencePair(source, restored, in_fragments=protected.text in spliced)


class _Progress:
    """Turns per-batch counts into (done, total) calls, one pass at a time: ``start`` opens a
    pass with (0, total), and its total stays as it was said while its count runs."""

    def __init__(self, callback: ProgressCallback | None, total: int):
        self.callback = callback
        self.start(total)

    def start(self, total: int) -> None:
        self.total = total
        self.done = 0
        if self.callback is not None and total:
            self.callback(0, total)

    def advance(self, count: int) -> None:
        self.done += count
        if self.callback is not None:
            self.callback(self.done, self.total)
