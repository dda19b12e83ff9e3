"""Translate papers with an argos package's CTranslate2 model: every sentence of a run in one pass.

argos's ``translate()`` handles one text at a time: about one sentence per CTranslate2
call, beam 4, no length cap. Here every title and abstract sentence of the run is
segmented, protected and de-duplicated, looked up in the translation memory, and the
rest goes through one model, loaded once, in length-sorted batches. Each output is
checked (every placeholder back exactly once, no runaway decoding); a sentence that
fails is retried once with n-best search and repetition penalties, then kept in the
source language and marked untranslated: never mangled, never silently English.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Protocol, Sequence

from feedbridge.arxiv import Paper
from feedbridge.errors import ModelError
from feedbridge.translate import SentencePair, TranslatedPaper, Translation, TranslationStats
from feedbridge.translate.memory import TranslationMemory
from feedbridge.translate.packages import InstalledPackage
from feedbridge.translate.protect import Protected, Protector, restore
from feedbridge.translate.segment import join_lines, split_long, split_sentences

MAX_SOURCE_TOKENS = 150  # argos's en->ja model was trained on sentences of at most 150 tokens

# The decoding cap: CAP_FACTOR * bucketed source length + CAP_EXTRA, at most CAP_LIMIT.
LENGTH_BUCKET = 8  # source lengths are rounded up to this, so similar sentences share a cap
CAP_FACTOR, CAP_EXTRA, CAP_LIMIT = 2, 10, 512

# The most tokens one CTranslate2 batch may hold: hypotheses (sentences x beams) x
# (padded source length + decoding cap). A batch's memory grows with exactly this, so
# the budget bounds it whatever the beam size and sentence lengths; see
# README, Performance for the measurements behind the default.
DEFAULT_BATCH_TOKENS = 6144

# The runaway guard, on output tokens: a loop is a stretch of at least LOOP_MIN_TOKENS
# made of one n-gram (n <= LOOP_MAX_PERIOD) repeated at least LOOP_MIN_REPEATS times;
# an output shorter than SHORT_RATIO of a source of SHORT_MIN_SOURCE+ tokens lost text.
LOOP_MIN_TOKENS, LOOP_MIN_REPEATS, LOOP_MAX_PERIOD = 12, 3, 6
SHORT_RATIO, SHORT_MIN_SOURCE = 0.25, 12
GUARD_REVISION = 1  # bump when the guard's rules change, so stored results are redone

RETRY_REPETITION_PENALTY = 1.2
RETRY_NO_REPEAT_NGRAM = 4

ProgressCallback = Callable[[int, int], None]  # (sentences done, sentences in total)


@dataclass(frozen=True)
class Decoding:
    """How sentences are decoded. Everything here can change a translation, so it is
    part of the translation memory's key."""

    beam_size: int = 4
    retry: bool = True  # retry a failed sentence once, with n-best search and repetition penalties
    fixed_length: bool = False  # decode exactly up to the cap: only to time random-weight models

    def cap(self, source_tokens: int) -> int:
        """The most output tokens for a source of this length, so a runaway decode stops.

        It depends only on the sentence's own (bucketed) length, so which other
        sentences share its batch cannot change its translation.
        """
        bucket = -(-source_tokens // LENGTH_BUCKET) * LENGTH_BUCKET
        return min(CAP_FACTOR * bucket + CAP_EXTRA, CAP_LIMIT)

    def beams(self, retry: bool) -> int:
        return max(2 * self.beam_size, 4) if retry else self.beam_size

    def options(self, max_length: int, *, retry: bool) -> dict:
        """CTranslate2 ``translate_batch`` arguments for one batch."""
        beams = self.beams(retry)
        options = {"beam_size": beams, "max_decoding_length": max_length, "replace_unknowns": True}
        if self.fixed_length:
            options["min_decoding_length"] = max_length
        if retry:
            options.update(
                num_hypotheses=beams,
                repetition_penalty=RETRY_REPETITION_PENALTY,
                no_repeat_ngram_size=RETRY_NO_REPEAT_NGRAM,
            )
        return options

    @property
    def key(self) -> str:
        retry = f"{RETRY_REPETITION_PENALTY}/{RETRY_NO_REPEAT_NGRAM}" if self.retry else "off"
        return (
            f"beam={self.beam_size};cap={CAP_FACTOR}n+{CAP_EXTRA}/{LENGTH_BUCKET}<={CAP_LIMIT};"
            f"fixed={int(self.fixed_length)};retry={retry};guard={GUARD_REVISION}"
        )


class Translator(Protocol):
    """The seam between the pipeline and a model: one batch method, and what keys its results."""

    provenance: str  # package code and version, e.g. "translate-en_ja 1.1"
    decoding: Decoding

    def count_tokens(self, text: str) -> int: ...

    def translate_batch(
        self, sentences: Sequence[str], *, retry: bool = False, progress: Callable[[int], None] | None = None
    ) -> list[list[str]]:
        """Each sentence's acceptable translations, best first (none if all ran away);
        ``progress`` is told how many sentences each finished batch held."""
        ...


class BatchRunner:
    """CTranslate2 batches over pre-tokenized input that never change a sentence's result.

    Sentences are sorted by length, grouped by decoding cap, and cut into batches of at
    most ``batch_tokens`` (see DEFAULT_BATCH_TOKENS). Every batch is submitted before
    any is awaited, so all of the model's workers run at once; results come back in
    input order.
    """

    def __init__(self, model, decoding: Decoding, *, batch_tokens: int = DEFAULT_BATCH_TOKENS, target_prefix: str = ""):
        self.model = model  # a ctranslate2.Translator
        self.decoding = decoding
        self.batch_tokens = batch_tokens
        self.prefix = [target_prefix] if target_prefix else []

    def run(
        self, tokenized: Sequence[Sequence[str]], *, retry: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> list[list[list[str]]]:
        """Each input's hypotheses as tokens, best first, without the target prefix."""
        results: list[list[list[str]]] = [[] for _ in tokenized]
        pending = [
            (batch, self.model.translate_batch(
                [list(tokenized[i]) for i in batch],
                target_prefix=[self.prefix] * len(batch) if self.prefix else None,
                asynchronous=True,
                # The cap counts output tokens; CTranslate2's length includes the prefix.
                **self.decoding.options(cap + len(self.prefix), retry=retry),
            ))
            for cap, batch in self.batches([len(t) for t in tokenized], retry=retry)
        ]
        for batch, outputs in pending:
            for i, output in zip(batch, outputs):
                results[i] = [h[len(self.prefix):] for h in output.result().hypotheses]
            if progress is not None:
                progress(len(batch))
        return results

    def batches(self, lengths: Sequence[int], *, retry: bool = False) -> list[tuple[int, list[int]]]:
        """(decoding cap, input indices) per batch, the longest sentences first: the
        workers take batches in order, and short ones last keep them busy to the end."""
        beams = self.decoding.beams(retry)
        groups: dict[int, list[int]] = {}
        for i in sorted(range(len(lengths)), key=lengths.__getitem__):
            groups.setdefault(self.decoding.cap(lengths[i]), []).append(i)
        batches = []
        for cap, group in groups.items():
            batch: list[int] = []
            for i in group:  # ascending: the newest sentence sets the padded length
                if batch and (len(batch) + 1) * beams * (lengths[i] + cap) > self.batch_tokens:
                    batches.append((cap, batch))
                    batch = []
                batch.append(i)
            batches.append((cap, batch))
        return batches[::-1]


def runaway(source_tokens: int, output: Sequence[str], decoding: Decoding) -> bool:
    """Whether a hypothesis is decoding gone wrong: no end within the cap, a repetition
    loop, or far too short for its source."""
    if len(output) >= decoding.cap(source_tokens) and not decoding.fixed_length:
        return True
    if source_tokens >= SHORT_MIN_SOURCE and len(output) < SHORT_RATIO * source_tokens:
        return True
    return has_loop(output)


def has_loop(tokens: Sequence[str]) -> bool:
    """Whether some n-gram repeats back to back long enough to be a decoding loop."""
    for period in range(1, LOOP_MAX_PERIOD + 1):
        needed = (max(LOOP_MIN_REPEATS, -(-LOOP_MIN_TOKENS // period)) - 1) * period
        streak = 0
        for i in range(period, len(tokens)):
            streak = streak + 1 if tokens[i] == tokens[i - period] else 0
            if streak >= needed:
                return True
    return False


def available_cores() -> int:
    """CPU cores this process may use (a container's limit, not the host's count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class ArgosTranslator:
    """An installed argos package's tokenizer and CTranslate2 model, each loaded on first use.

    On CPU: int8, one single-threaded model worker per core taking whole batches
    (throughput over latency: on 2 cores this beats one worker using both cores for
    every matrix product, README, Performance). On a GPU: one worker.
    """

    def __init__(
        self,
        package: InstalledPackage,
        *,
        beam_size: int = 4,
        device: str = "auto",
        workers: int | None = None,  # default: one per core on CPU, one on GPU
        threads: int = 1,  # per worker
        batch_tokens: int = DEFAULT_BATCH_TOKENS,
        retry: bool = True,
        fixed_length: bool = False,
    ):
        self.package = package
        self.provenance = package.provenance
        self.decoding = Decoding(beam_size, retry, fixed_length)
        self.device = device
        self.workers = workers
        self.threads = threads
        self.batch_tokens = batch_tokens
        self._runner: BatchRunner | None = None
        self._tokenizer: _Tokenizer | None = None

    @property
    def loaded(self) -> bool:
        """Whether the model has been loaded (a fully cached run never loads it)."""
        return self._runner is not None

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer_loaded().encode(text))

    def translate_batch(
        self, sentences: Sequence[str], *, retry: bool = False, progress: Callable[[int], None] | None = None
    ) -> list[list[str]]:
        if not sentences:
            return []
        tokenizer = self._tokenizer_loaded()
        tokenized = [tokenizer.encode(s) for s in sentences]
        outputs = self._model_loaded().run(tokenized, retry=retry, progress=progress)
        return [
            [tokenizer.decode(h) for h in hypotheses if not runaway(len(source), h, self.decoding)]
            for source, hypotheses in zip(tokenized, outputs)
        ]

    def _tokenizer_loaded(self) -> _Tokenizer:
        if self._tokenizer is None:
            self._tokenizer = _Tokenizer(self.package)
        return self._tokenizer

    def _model_loaded(self) -> BatchRunner:
        if self._runner is None:
            import ctranslate2

            device = self.device
            if device == "auto":
                device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
            workers = self.workers or (available_cores() if device == "cpu" else 1)
            try:
                model = ctranslate2.Translator(
                    str(self.package.model_dir), device=device,
                    compute_type="int8" if device == "cpu" else "int8_float16",
                    inter_threads=workers, intra_threads=self.threads,
                )
            except (RuntimeError, ValueError, OSError) as err:
                raise ModelError(f"{self.package.model_dir}: cannot load the CTranslate2 model ({err})")
            self._runner = BatchRunner(
                model, self.decoding, batch_tokens=self.batch_tokens, target_prefix=self.package.target_prefix
            )
        return self._runner


class _Tokenizer:
    """SentencePiece or BPE, whichever the package ships, without argos's '_'-to-space bug."""

    def __init__(self, package: InstalledPackage):
        model = package.sentencepiece_model
        if model is not None:
            import sentencepiece

            self._sp = sentencepiece.SentencePieceProcessor(model_file=str(model))
            self._bpe = None
        else:
            from argostranslate.tokenizer import BPETokenizer

            bpe_model = package.path / "bpe.model"
            if not bpe_model.exists():
                raise ModelError(f"{package.path}: no sentencepiece.model or bpe.model")
            self._sp = None
            self._bpe = BPETokenizer(bpe_model, package.source_lang, package.target_lang)

    def encode(self, text: str) -> list[str]:
        if self._sp is not None:
            return self._sp.encode(text, out_type=str)
        return self._bpe.encode(text)

    def decode(self, tokens: list[str]) -> str:
        if self._sp is not None:
            return self._sp.decode_pieces(tokens).strip()
        return self._bpe.decode(tokens).strip()


def translate_papers(
    papers: Sequence[Paper],
    translator: Translator,
    source_lang: str,
    target_lang: str,
    *,
    memory: TranslationMemory | None = None,  # None: translate everything
    glossary: Iterable[str] = (),
    stats: TranslationStats | None = None,
    progress: ProgressCallback | None = None,
) -> list[TranslatedPaper]:
    """Translate every title and abstract sentence once, however many papers and feeds share it.

    Returns one TranslatedPaper per paper, in order. ``stats``, when given, is filled in;
    ``progress`` is called as model batches finish (its total grows once if failed
    sentences are retried).
    """
    started = time.monotonic()
    stats = TranslationStats() if stats is None else stats
    protector = Protector(glossary)
    segment = _Segmenter(translator, protector)
    unique = {paper_identity(p): p for p in papers}
    texts = {key: (segment(p.title, title=True), segment(p.abstract)) for key, p in unique.items()}
    per_paper = [texts[paper_identity(p)] for p in papers]
    protected = {s: protector.protect(s) for title, abstract in texts.values() for s in (*title, *abstract)}
    to_translate = {p.text: p for p in protected.values() if p.has_words()}
    targets, by_model = _translate_texts(to_translate, translator, memory, stats, progress)
    stats.model_sentences.update(source for source, p in protected.items() if p.text in by_model)
    pairs = {source: _pair(source, p, targets) for source, p in protected.items()}

    def aligned(sentences: list[str]) -> Translation:
        return Translation(tuple(pairs[s] for s in sentences))

    stats.papers += len(papers)
    stats.unique_papers += len(unique)
    stats.sentences += sum(len(title) + len(abstract) for title, abstract in per_paper)
    stats.unique_sentences += len(to_translate)
    stats.untranslated += sum(not pair.translated for pair in pairs.values())
    stats.seconds += time.monotonic() - started
    return [
        TranslatedPaper(
            paper=paper,
            source_lang=source_lang,
            target_lang=target_lang,
            title=aligned(title),
            abstract=aligned(abstract),
            translator=translator.provenance,
        )
        for paper, (title, abstract) in zip(papers, per_paper)
    ]


def paper_identity(paper: Paper) -> tuple[str, int]:
    """A paper in several feeds of a run (a cross-list) is the same announcement."""
    return paper.arxiv_id, paper.version


class _Segmenter:
    """Text -> the sentences the model gets: split, and over-long ones cut at safe points."""

    def __init__(self, translator: Translator, protector: Protector):
        self._translator = translator
        self._protector = protector

    def __call__(self, text: str, *, title: bool = False) -> list[str]:
        sentences = [join_lines(text)] if title else split_sentences(text)
        return [piece for s in sentences if s for piece in split_long(s, MAX_SOURCE_TOKENS, self._length)]

    def _length(self, sentence: str) -> int:
        """Tokens the model will see: math and URLs count as their placeholders."""
        return self._translator.count_tokens(self._protector.protect(sentence).text)


def _translate_texts(
    texts: dict[str, Protected], translator: Translator, memory: TranslationMemory | None, stats: TranslationStats,
    progress: ProgressCallback | None,
) -> tuple[dict[str, str | None], set[str]]:
    """Each protected text's translation (with placeholders), or None to keep the source;
    and the texts that went to the model rather than coming from the memory."""
    key = (translator.provenance, translator.decoding.key)
    known = memory.lookup(*key, texts) if memory is not None else {}
    missing = {text: p for text, p in texts.items() if text not in known}
    stats.from_memory += len(known)
    stats.by_model += len(missing)
    tracker = _Progress(progress, len(missing))
    found = _attempt(missing, translator, stats, tracker, retry=False)
    failed = {text: missing[text] for text, target in found.items() if target is None}
    if failed and translator.decoding.retry:
        stats.retried += len(failed)
        tracker.total += len(failed)
        found.update(_attempt(failed, translator, stats, tracker, retry=True))
    if memory is not None and found:
        memory.store(*key, found)
    return {**known, **found}, set(missing)


def _attempt(
    texts: dict[str, Protected], translator: Translator, stats: TranslationStats,
    tracker: _Progress, *, retry: bool,
) -> dict[str, str | None]:
    """One model pass: per text, the best candidate that gives every placeholder back once."""
    if not texts:
        return {}
    stats.model_calls += 1
    candidates = translator.translate_batch(list(texts), retry=retry, progress=tracker.advance)
    return {
        text: next((c for c in options if c.strip() and restore(c, protected) is not None), None)
        for (text, protected), options in zip(texts.items(), candidates)
    }


def _pair(source: str, protected: Protected, targets: dict[str, str | None]) -> SentencePair:
    if not protected.has_words():  # math, numbers, a URL: nothing to translate
        return SentencePair(source, source)
    target = targets.get(protected.text)
    restored = restore(target, protected) if target is not None else None
    if restored is None:
        return SentencePair(source, source, translated=False)
    return SentencePair(source, restored)


class _Progress:
    """Turns per-batch counts into (done, total) calls."""

    def __init__(self, callback: ProgressCallback | None, total: int):
        self.callback = callback
        self.total = total
        self.done = 0

    def advance(self, count: int) -> None:
        self.done += count
        if self.callback is not None:
            self.callback(self.done, self.total)
