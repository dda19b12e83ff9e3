"""CTranslate2 underneath every backend: decoding settings, batches that never change a
result, the runaway guard, and the model loaded the same way whatever package holds it.

An Argos package and a converted MarianMT folder are both CTranslate2 models with a
SentencePiece (or BPE) tokenizer; what differs is how a backend finds and tokenizes
them. Everything here is about the model alone, and about opening it: the tokenizer and
the model loaded, and their files checked, each failure one ModelError line.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import struct
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

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

# model.bin starts with its binary version (6 in CTranslate2 4.x): far above that, the
# file is not a model at all (importing ctranslate2.specs to ask would import PyTorch).
PLAUSIBLE_BINARY_VERSION = 1000

# Batches submitted ahead of the one awaited: at least this many, and two per worker, so that
# every worker stays busy, while the outputs waiting in CTranslate2 stay small on any run.
IN_FLIGHT = 16

RETRY_REPETITION_PENALTY = 1.2
RETRY_NO_REPEAT_NGRAM = 4

@dataclass(frozen=True)
class Decoding:
    """How sentences are decoded. Everything here can change a translation, so it is
    part of the translation memory's key."""

    beam_size: int = 4
    # Retry a failed sentence once, with n-best search and repetition penalties, then in
    # fragments between its protected spans (engine.py); off: one decode per sentence.
    retry: bool = True
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
    most ``batch_tokens`` (see DEFAULT_BATCH_TOKENS). Up to IN_FLIGHT batches (two per
    worker on a machine with more) are submitted ahead of the one awaited, so all of the model's workers stay busy, while
    the outputs waiting to be read stay a few batches' worth however long the input is;
    each output is handed to ``convert`` as it is read, so a caller keeps only what it
    needs of it. Results come back in input order.
    """

    def __init__(self, model, decoding: Decoding, *, batch_tokens: int = DEFAULT_BATCH_TOKENS, target_prefix: str = ""):
        self.model = model  # a ctranslate2.Translator
        self.decoding = decoding
        self.batch_tokens = batch_tokens
        self.prefix = [target_prefix] if target_prefix else []

    def run(
        self, tokenized: Sequence[Sequence[str]], *, retry: bool = False,
        progress: Callable[[int], None] | None = None,
        convert: Callable[[int, list[list[str]]], Any] = lambda _, hypotheses: hypotheses,
    ) -> list:
        """Each input's hypotheses as tokens, best first, without the target prefix, as
        ``convert(input index, hypotheses)`` gives them back."""
        results: list = [None] * len(tokenized)
        pending: deque = deque()
        ahead = max(IN_FLIGHT, 2 * getattr(self.model, "num_translators", 1))
        for cap, batch in self.batches([len(t) for t in tokenized], retry=retry):
            pending.append((batch, self.model.translate_batch(
                [list(tokenized[i]) for i in batch],
                target_prefix=[self.prefix] * len(batch) if self.prefix else None,
                asynchronous=True,
                # The cap counts output tokens; CTranslate2's length includes the prefix.
                **self.decoding.options(cap + len(self.prefix), retry=retry),
            )))
            if len(pending) > ahead:
                self._collect(*pending.popleft(), results, progress, convert)
        while pending:
            self._collect(*pending.popleft(), results, progress, convert)
        return results

    def _collect(self, batch: list[int], outputs, results: list, progress: Callable[[int], None] | None,
                 convert: Callable[[int, list[list[str]]], Any]) -> None:
        """Wait for one batch and convert its outputs into ``results``."""
        for i, output in zip(batch, outputs):
            results[i] = convert(i, [h[len(self.prefix):] for h in output.result().hypotheses])
        if progress is not None:
            progress(len(batch))

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
        return self._model_loaded().run(
            tokenized, retry=retry, progress=progress,
            convert=lambda i, hypotheses: [tokenizer.decode(h) for h in hypotheses
                                           if not runaway(len(tokenized[i]), h, self.decoding)],
        )

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


# ---------------------------------------------------------------- loading, and the checks before it
#
# A package is opened at three points: its tokenizer (load_sentencepiece, load_bpe), its
# model's files read cheaply (check_model_files: nothing loaded into CTranslate2) and the
# model loaded (load_model). Each turns whatever the library raises into one ModelError
# line that starts with ``named`` (the package or model folder) and says which file is
# wrong and why, so every caller, a build's lazy first load included, gets the same line.


def load_model(model_dir: Path, device: str = "auto", workers: int | None = None, threads: int = 1):
    """A ``ctranslate2.Translator`` for the folder: int8 on CPU with one single-threaded
    worker per core (throughput over latency: on 2 cores this beats one worker using both
    cores for every matrix product, docs/performance.md); one worker on a GPU.

    The folder's files are checked first (``check_model_files``): CTranslate2 loads a
    vocabulary of the wrong size without a word and fails only while translating."""
    import ctranslate2

    check_model_files(model_dir, str(model_dir))
    if device == "auto":
        device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    workers = workers or (available_cores() if device == "cpu" else 1)
    try:
        return ctranslate2.Translator(
            str(model_dir), device=device, compute_type="int8" if device == "cpu" else "int8_float16",
            inter_threads=workers, intra_threads=threads,
        )
    except (RuntimeError, ValueError, OSError) as err:
        raise ModelError(f"{model_dir}: cannot load the CTranslate2 model ({first_line(err)})")


def load_sentencepiece(path: Path, named: str):
    """A ``SentencePieceProcessor`` for the file, or a ModelError naming ``named`` and the file."""
    import sentencepiece

    try:
        return sentencepiece.SentencePieceProcessor(model_file=str(path))
    except (RuntimeError, OSError, ValueError) as err:
        if not path.exists():
            reason = "missing"
        elif not os.access(path, os.R_OK):
            reason = "unreadable (permission denied)"
        else:
            reason = f"not a SentencePiece model ({first_line(err)})"
        raise ModelError(f"{named}: {path.name} is {reason}")


def load_bpe(path: Path, source: str, target: str, named: str):
    """argos's BPE tokenizer for the file, loaded now (argos loads it at first use), or a
    ModelError naming ``named`` and the file. argos's BPE reader writes what it finds
    wrong to stderr and exits: both are kept and turned into the error's reason."""
    from argostranslate.tokenizer import BPETokenizer

    tokenizer = BPETokenizer(path, source, target)
    said = io.StringIO()
    try:
        with contextlib.redirect_stderr(said):
            tokenizer.lazy_load()
    except (OSError, ValueError, ImportError, SystemExit) as err:
        reason = first_line(said.getvalue()) if said.getvalue().strip() else first_line(err)
        raise ModelError(f"{named}: {path.name} is not a usable BPE model ({reason})")
    return tokenizer


def check_model_files(folder: Path, named: str, shown: str = "") -> tuple[tuple[str, list[str]], tuple[str, list[str]]]:
    """Refuse, with one line starting with ``named``, a CTranslate2 model folder whose files
    are missing, cut short or not what they should be: ``model.bin`` (its variables'
    headers walked, payloads skipped), ``config.json``, the vocabularies, and the
    vocabularies' sizes against the model's embeddings. Quick: nothing is loaded.
    ``shown`` is put before each file's name (an Argos package's "model/"). Gives the
    vocabularies, as ``vocabularies`` does."""
    if not (folder / "model.bin").is_file():
        raise ModelError(f"{named}: {shown}model.bin is missing")
    config = folder / "config.json"
    if config.exists():
        try:
            if not isinstance(json.loads(config.read_text(encoding="utf-8")), dict):
                raise ValueError("not a JSON object")
        except (OSError, ValueError) as err:
            raise ModelError(f"{named}: {shown}config.json is unreadable ({first_line(err)})")
    source, target = vocabularies(folder, named, shown)
    sizes = embedding_sizes(folder / "model.bin", named, shown)
    for side, (file, tokens) in (("source", source), ("target", target)):
        if sizes.get(side) is not None and sizes[side] != len(tokens):
            raise ModelError(
                f"{named}: {shown}{file} has {len(tokens)} tokens, but model.bin's {side} embeddings have"
                f" {sizes[side]}: the vocabulary is not this model's"
            )
    return source, target


def vocabularies(folder: Path, named: str, shown: str = "") -> tuple[tuple[str, list[str]], tuple[str, list[str]]]:
    """(file name, tokens) of the source and the target vocabulary, shared or not."""
    def find(stem: str) -> Path | None:
        return next((p for p in (folder / f"{stem}.json", folder / f"{stem}.txt") if p.is_file()), None)

    shared = find("shared_vocabulary")
    if shared is not None:
        vocabulary = _read_vocabulary(shared, named, shown)
        return vocabulary, vocabulary
    source, target = find("source_vocabulary"), find("target_vocabulary")
    if source is None or target is None:
        raise ModelError(
            f"{named}: missing {shown}shared_vocabulary.json (or source_vocabulary.json and target_vocabulary.json)"
        )
    return _read_vocabulary(source, named, shown), _read_vocabulary(target, named, shown)


def _read_vocabulary(path: Path, named: str, shown: str) -> tuple[str, list[str]]:
    try:
        text = path.read_text(encoding="utf-8")
        tokens = json.loads(text) if path.suffix == ".json" else text.split("\n")
        if path.suffix == ".txt" and tokens and tokens[-1] == "":
            tokens.pop()
        if not isinstance(tokens, list) or not tokens or not all(isinstance(t, str) for t in tokens):
            raise ValueError("not a non-empty list of tokens")
    except (OSError, ValueError) as err:
        raise ModelError(f"{named}: {shown}{path.name} is unreadable ({first_line(err)})")
    return path.name, tokens


def embedding_sizes(model_bin: Path, named: str, shown: str = "") -> dict[str, int | None]:
    """The source and target vocabulary sizes model.bin was built for, from its variables'
    headers (payloads are skipped, not read). A file cut short, or one whose first word
    is no binary version at all, is refused; a version this reader does not know (an
    older one, or a newer CTranslate2's) gives no sizes, and the load decides."""
    try:
        with open(model_bin, "rb") as stream:
            reader = _BinaryReader(stream)
            version = reader.unpack("I")
            if not 0 < version <= PLAUSIBLE_BINARY_VERSION:
                raise ValueError(f"its binary version would be {version}")
            if version not in (5, 6):
                return {}
            reader.string()  # the spec's name
            reader.unpack("I")  # its revision
            shapes = {}
            for _ in range(reader.unpack("I")):
                variable = reader.string()
                shapes[variable] = [reader.unpack("I") for _ in range(reader.unpack("B"))]
                reader.unpack("B")  # the type
                reader.skip(reader.unpack("I"))
            aliases = {}
            for _ in range(reader.unpack("I")):
                alias = reader.string()
                aliases[alias] = reader.string()
    except OSError as err:
        raise ModelError(f"{named}: {shown}model.bin is unreadable ({err.strerror or first_line(err)})")
    except (EOFError, ValueError, struct.error) as err:  # UnicodeDecodeError is a ValueError
        raise ModelError(f"{named}: {shown}model.bin is truncated or not a CTranslate2 model ({first_line(err)})")

    def rows(*variables: str) -> int | None:
        for variable in variables:
            shape = shapes.get(aliases.get(variable, variable))
            if shape:
                return shape[0]
        return None

    return {
        "source": rows("encoder/embeddings_0/weight", "encoder/embeddings/weight"),
        "target": rows("decoder/projection/weight", "decoder/embeddings/weight"),
    }


class _BinaryReader:
    def __init__(self, stream):
        self.stream = stream
        self.size = os.fstat(stream.fileno()).st_size

    def unpack(self, fmt: str) -> int:
        size = struct.calcsize(fmt)
        data = self.stream.read(size)
        if len(data) != size:
            raise EOFError("it ends mid-header")
        return struct.unpack(f"<{fmt}", data)[0]

    def string(self) -> str:
        length = self.unpack("H")
        data = self.stream.read(length)
        if len(data) != length:
            raise EOFError("it ends mid-name")
        return data.rstrip(b"\0").decode("utf-8")

    def skip(self, count: int) -> None:
        if self.stream.tell() + count > self.size:
            raise EOFError("it ends mid-variable")
        self.stream.seek(count, os.SEEK_CUR)


def first_line(err: object) -> str:
    """An exception's (or a text's) first line: every ModelError is one line."""
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__
