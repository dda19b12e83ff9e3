"""CTranslate2 underneath every backend: decoding settings, batches that never change a
result, the runaway guard, and the model loaded the same way whatever package holds it.

An Argos package and a converted MarianMT folder are both CTranslate2 models with a
SentencePiece (or BPE) tokenizer; what differs is how a backend finds and tokenizes
them. Everything here is about the model alone.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from feedbridge.config import DEFAULT_BATCH_TOKENS
from feedbridge.errors import ModelError

# The decoding cap: CAP_FACTOR * bucketed source length + CAP_EXTRA, at most CAP_LIMIT.
LENGTH_BUCKET = 8  # source lengths are rounded up to this, so similar sentences share a cap
CAP_FACTOR, CAP_EXTRA, CAP_LIMIT = 2, 10, 512


# The runaway guard, on output tokens: a loop is a stretch of at least LOOP_MIN_TOKENS
# made of one n-gram (n <= LOOP_MAX_PERIOD) repeated at least LOOP_MIN_REPEATS times;
# an output shorter than SHORT_RATIO of a source of SHORT_MIN_SOURCE+ tokens lost text.
LOOP_MIN_TOKENS, LOOP_MIN_REPEATS, LOOP_MAX_PERIOD = 12, 3, 6
SHORT_RATIO, SHORT_MIN_SOURCE = 0.25, 12
GUARD_REVISION = 1  # bump when the guard's rules change, so stored results are redone

RETRY_REPETITION_PENALTY = 1.2
RETRY_NO_REPEAT_NGRAM = 4

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


class Tokenizer(Protocol):
    def encode(self, text: str) -> list[str]: ...

    def decode(self, tokens: list[str]) -> str: ...


class CT2Backend:
    """What every CTranslate2 backend does alike: its decoding settings, its tokenizer
    and model each loaded on first use (a fully cached run never loads the model), and
    batches through BatchRunner with the runaway guard. A backend says how it tokenizes
    (``load_tokenizer``), where its model is (``model_dir``) and what prefix, if any,
    its outputs start with."""

    target_prefix = ""

    def __init__(
        self,
        *,
        beam_size: int = 4,
        device: str = "auto",
        workers: int | None = None,  # default: one per core on CPU, one on GPU
        threads: int = 1,  # per worker
        batch_tokens: int = DEFAULT_BATCH_TOKENS,
        retry: bool = True,
        fixed_length: bool = False,
    ):
        self.decoding = Decoding(beam_size, retry, fixed_length)
        self.device = device
        self.workers = workers
        self.threads = threads
        self.batch_tokens = batch_tokens
        self._runner: BatchRunner | None = None
        self._tokenizer: Tokenizer | None = None

    @property
    def loaded(self) -> bool:
        """Whether the model has been loaded."""
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

    def load_tokenizer(self) -> Tokenizer:
        raise NotImplementedError

    def model_dir(self) -> Path:
        raise NotImplementedError

    def _tokenizer_loaded(self) -> Tokenizer:
        if self._tokenizer is None:
            self._tokenizer = self.load_tokenizer()
        return self._tokenizer

    def _model_loaded(self) -> BatchRunner:
        if self._runner is None:
            model = load_model(self.model_dir(), self.device, self.workers, self.threads)
            self._runner = BatchRunner(model, self.decoding, batch_tokens=self.batch_tokens,
                                       target_prefix=self.target_prefix)
        return self._runner


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




def load_model(model_dir: Path, device: str = "auto", workers: int | None = None, threads: int = 1):
    """A ``ctranslate2.Translator`` for the folder: int8 on CPU with one single-threaded
    worker per core (throughput over latency: on 2 cores this beats one worker using both
    cores for every matrix product, docs/performance.md); one worker on a GPU."""
    import ctranslate2

    if device == "auto":
        device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    workers = workers or (available_cores() if device == "cpu" else 1)
    try:
        return ctranslate2.Translator(
            str(model_dir), device=device, compute_type="int8" if device == "cpu" else "int8_float16",
            inter_threads=workers, intra_threads=threads,
        )
    except (RuntimeError, ValueError, OSError) as err:
        raise ModelError(f"{model_dir}: cannot load the CTranslate2 model ({err})")
