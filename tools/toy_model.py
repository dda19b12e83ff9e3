"""Train a tiny MarianMT "translator" for tests: a copy model with a relabelled target side.

Random-weight models never end a sentence, so no test could show a feed translated by a
model. This script trains a tiny MarianMT with PyTorch on the CPU to *copy* English
SentencePiece pieces, on the titles and abstracts of the test suite's arXiv captures;
converts it with CTranslate2's Transformers converter; and then relabels its target
side: every ordinary target piece is renamed by FULLWIDTH (printable ASCII to the
fullwidth forms U+FF01-U+FF5E, as Japanese text sets Latin letters), so the model
"translates" ``We present a method.`` into ``Ｗｅ ｐｒｅｓｅｎｔ ａ ｍｅｔｈｏｄ．``.

Fullwidth forms because they read as Japanese typesetting, are a bijection over
printable ASCII (one offset; NFKC maps them back, so a test can tell an exact copy from
a mangled one), and leave no ASCII letter in a translated sentence: an untranslated or
passed-through sentence can never pass for a translated one. feedbridge's placeholders
(feedbridge.translate.protect) are the exception: the first PLACEHOLDERS codes are
single user-defined pieces on both sides and keep their names, so protected spans come
back verbatim, and the copy task trains on sentences that hold them.

    python tools/toy_model.py [OUT_DIR]            train, convert, measure, write OUT_DIR
    python tools/toy_model.py --check [OUT_DIR]    retrain aside; exit 1 unless the probe
                                                   outputs equal OUT_DIR/probe.json's

OUT_DIR defaults to tests/data/toy-en-ja. Every seed is fixed: a rerun gives the same
outputs (the weights themselves may differ in their last bits between CPUs). Training
takes about 7 minutes on 2 idle cores; on a busy machine set OMP_WAIT_POLICY=PASSIVE, or
PyTorch's two threads spin while they wait for each other. Needs the ``tools`` extra
(PyTorch, Transformers, protobuf); the product and its tests do not, and ``make test``
never trains.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import re
import shutil
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import ctranslate2
import sentencepiece as spm
import tiny_model  # the fixture corpus (tools/ is on the path)
from sentencepiece import sentencepiece_model_pb2

from feedbridge.translate.protect import Protector

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "tests" / "data" / "toy-en-ja"
COMMAND = "python tools/toy_model.py"

SEED = 20260101
THREADS = 2  # PyTorch threads, fixed: the sums' order, and so the last bits, depend on it
PLACEHOLDERS = 32  # protect.py's first codes, single pieces; the captures need at most 11
HELD_OUT = 200  # sentences never trained on, to measure the copy on unseen text
QUANTIZATION = "int8"  # keeps the folder under MAX_BYTES
MAX_BYTES = 2_000_000
BEAMS = (1, 4)
EMBEDDING_INIT = 0.5  # of N(0, 1/d): the positions outweigh the words at first, so attention learns to align

CONSONANTS = "BCDFGHJKLMNPQRSTVWXZ"  # of a four-consonant code, as protect.py makes them
FULLWIDTH = {code: code + 0xFEE0 for code in range(0x21, 0x7F)}  # "!" .. "~" -> "！" .. "～"


@dataclass(frozen=True)
class Shape:
    """The MarianMT's hyperparameters: the encoder and the decoder alike."""

    d_model: int = 128
    layers: int = 2
    heads: int = 4
    ffn_dim: int = 256  # copying needs little of it; half of 512 trains a fifth faster
    vocab_size: int = 2000  # SentencePiece pieces
    max_positions: int = 512  # beyond feedbridge's longest decoding cap for a 150-token sentence


@dataclass(frozen=True)
class Schedule:
    """How the copy task is trained: windows of the training text, codes inserted."""

    steps: int = 1600  # about 7 minutes on 2 cores
    batch_size: int = 32  # half the recipe's 64: steps twice as fast, about as many needed
    window_words: tuple[int, int] = (3, 24)
    long_every: int = 4  # every fourth batch holds fewer, longer windows: whole long sentences
    long_batch_size: int = 8
    long_window_words: tuple[int, int] = (25, 100)
    scrambled_share: float = 0.5  # of windows, words drawn at random: no language model can guess them
    codes_per_window: tuple[int, ...] = (0, 0, 1, 1, 2, 3)  # drawn from uniformly
    placeholder_share: float = 0.75  # of inserted codes, protect.py's; the rest random ones
    learning_rate: float = 2e-3
    warmup: int = 100  # steps, then a linear decay to 0
    dropout: float = 0.0  # a copy has nothing to overfit: scrambled windows cannot be learnt by heart


# ---------------------------------------------------------------- text


def fullwidth(text: str) -> str:
    """Printable ASCII to its fullwidth form; other characters (spaces, ▁) unchanged."""
    return text.translate(FULLWIDTH)


def placeholder_codes(count: int = PLACEHOLDERS) -> list[str]:
    """protect.py's first ``count`` placeholders, in the order it hands them out."""
    return [code for code, _ in Protector().protect(" ".join(["$x$"] * count)).spans]


def relabel(text: str, codes: Sequence[str]) -> str:
    """What the toy model should answer to ``text``: fullwidth, placeholders kept."""
    if not codes:
        return fullwidth(text)
    parts = re.split("(" + "|".join(map(re.escape, codes)) + ")", text)
    return "".join(part if i % 2 else fullwidth(part) for i, part in enumerate(parts))


def model_corpus() -> list[str]:
    """The captures' sentences as the model sees them: protected, each once, in order."""
    protector = Protector()
    return list(dict.fromkeys(protector.protect(s).text for s in tiny_model.fixture_corpus()))


def split_held_out(sentences: Sequence[str], count: int = HELD_OUT) -> tuple[list[str], list[str]]:
    """(training sentences, held-out sentences): the ``count`` with the lowest CRC-32,
    a choice that depends on nothing but the text."""
    held = set(sorted(sentences, key=lambda s: (zlib.crc32(s.encode()), s))[:count])
    return [s for s in sentences if s not in held], [s for s in sentences if s in held]


# ---------------------------------------------------------------- SentencePiece and vocabularies


def train_tokenizer(sentences: Sequence[str], codes: Sequence[str], vocab_size: int) -> bytes:
    """One SentencePiece model for both sides, placeholders kept as single pieces.

    As tiny_model's (BPE, byte fallback, one thread: same text, same bytes), but with no
    normalization: the captures are ASCII, which NFKC leaves alone, and its 240 KB table
    would be a quarter of the folder.
    """
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(sentences),
        model_writer=model,
        model_type="bpe",
        vocab_size=vocab_size,
        byte_fallback=True,
        character_coverage=1.0,
        normalization_rule_name="identity",
        user_defined_symbols=list(codes),
        num_threads=1,
        minloglevel=2,
    )
    return model.getvalue()


def relabelled_pieces(sp_model: bytes) -> dict[str, str]:
    """Each ordinary piece and its target-side name; control, byte and user-defined
    pieces (the placeholders) keep theirs."""
    proto = sentencepiece_model_pb2.ModelProto()
    proto.ParseFromString(sp_model)
    normal = sentencepiece_model_pb2.ModelProto.SentencePiece.NORMAL
    return {p.piece: fullwidth(p.piece) for p in proto.pieces if p.type == normal}


def relabelled_tokenizer(sp_model: bytes) -> bytes:
    """The same SentencePiece model with every ordinary piece renamed by fullwidth()."""
    proto = sentencepiece_model_pb2.ModelProto()
    proto.ParseFromString(sp_model)
    names = relabelled_pieces(sp_model)
    for piece in proto.pieces:
        piece.piece = names.get(piece.piece, piece.piece)
    return proto.SerializeToString(deterministic=True)


def marian_vocabulary(sp_model: bytes) -> list[str]:
    """Marian's layout: ``</s>``, ``<unk>``, the pieces in id order (SentencePiece's
    ``<s>`` is never used), and ``<pad>`` last, which the converter drops."""
    processor = spm.SentencePieceProcessor(model_proto=sp_model)
    pieces = [processor.id_to_piece(i) for i in range(processor.get_piece_size())]
    return ["</s>", "<unk>"] + [p for p in pieces if p not in ("<unk>", "<s>", "</s>")] + ["<pad>"]


# ---------------------------------------------------------------- training


class Windows:
    """Training batches: random word windows of the training text, with codes inserted.

    The text is one stream of the training sentences, so a window may cross a sentence
    end. The captures are small enough for the decoder to learn them by heart and ignore
    its source, so part of the windows are scrambled: words drawn at random from the
    text, which only copying can predict. Every draw comes from one seeded
    ``random.Random``: the same batches on every machine and Python.
    """

    def __init__(self, sentences: Sequence[str], codes: Sequence[str], schedule: Schedule, seed: int):
        self.words = " ".join(sentences).split()
        self.codes = list(codes)
        self.schedule = schedule
        self.rng = random.Random(seed)

    def batch(self, step: int) -> list[str]:
        s = self.schedule
        if step % s.long_every == s.long_every - 1:
            return [self.window(s.long_window_words) for _ in range(s.long_batch_size)]
        return [self.window(s.window_words) for _ in range(s.batch_size)]

    def window(self, size: tuple[int, int]) -> str:
        rng = self.rng
        count = rng.randint(*size)
        if rng.random() < self.schedule.scrambled_share:
            words = [rng.choice(self.words) for _ in range(count)]
        else:
            start = rng.randrange(len(self.words) - count)
            words = self.words[start : start + count]
        for _ in range(rng.choice(self.schedule.codes_per_window)):
            words.insert(rng.randint(0, len(words)), self.code_word())
        return " ".join(words)

    def code_word(self) -> str:
        """A placeholder (or a random code), alone or glued as math glues to text."""
        rng = self.rng
        if rng.random() < self.schedule.placeholder_share:
            code = rng.choice(self.codes)
        else:
            code = "".join(rng.sample(CONSONANTS, 4))
        form = rng.choice(("{}", "{}", "{}", "({})", "{},", "{}.", "{}-based", "{}-dimensional", "{}="))
        return form.format(code)


def train(corpus: Sequence[str], codes: Sequence[str], sp_model: bytes, hf_dir: Path,
          shape: Shape, schedule: Schedule, log: Callable[[str], None] | None = None) -> None:
    """Train the copy model and save it with its tokenizer files as Hugging Face does."""
    import torch
    from transformers import MarianConfig, MarianMTModel

    torch.manual_seed(SEED)
    torch.set_num_threads(THREADS)
    torch.use_deterministic_algorithms(True)

    vocabulary = marian_vocabulary(sp_model)
    ids = {piece: i for i, piece in enumerate(vocabulary)}
    eos, unk, pad = ids["</s>"], ids["<unk>"], ids["<pad>"]
    config = MarianConfig(
        vocab_size=len(vocabulary), decoder_vocab_size=len(vocabulary),
        d_model=shape.d_model, encoder_layers=shape.layers, decoder_layers=shape.layers,
        encoder_attention_heads=shape.heads, decoder_attention_heads=shape.heads,
        encoder_ffn_dim=shape.ffn_dim, decoder_ffn_dim=shape.ffn_dim,
        max_position_embeddings=shape.max_positions,
        activation_function="swish", scale_embedding=True,  # as Helsinki-NLP's opus-mt models
        share_encoder_decoder_embeddings=True, tie_word_embeddings=True,
        dropout=schedule.dropout, attention_dropout=0.0, activation_dropout=0.0,
        pad_token_id=pad, eos_token_id=eos, decoder_start_token_id=pad, forced_eos_token_id=eos,
    )
    model = MarianMTModel(config)
    _initialize(model, torch, shape.d_model)
    processor = spm.SentencePieceProcessor(model_proto=sp_model)
    windows = Windows(corpus, codes, schedule, SEED)
    optimizer = torch.optim.Adam(model.parameters(), lr=schedule.learning_rate, betas=(0.9, 0.98), eps=1e-9)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: min((step + 1) / schedule.warmup, (schedule.steps - step) / (schedule.steps - schedule.warmup)),
    )

    def tensor(rows: list[list[int]], fill: int):
        width = max(len(row) for row in rows)
        return torch.tensor([row + [fill] * (width - len(row)) for row in rows])

    log = log or _progress
    model.train()
    started, recent = time.perf_counter(), []
    for step in range(schedule.steps):
        pieces = [processor.encode(text, out_type=str) for text in windows.batch(step)]
        rows = [[ids.get(p, unk) for p in row] + [eos] for row in pieces]
        source = tensor(rows, pad)
        labels = tensor(rows, -100)
        decoder_input = tensor([[pad] + row[:-1] for row in rows], pad)
        logits = model(input_ids=source, attention_mask=source != pad, decoder_input_ids=decoder_input).logits
        # <pad> (last) left out of the softmax, as the converter leaves it out of the model:
        # through the tied output projection its row would learn, and the decoder's first
        # input, a zero embedding once converted, would differ from what it trained on.
        logits = logits[..., :pad]
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        recent.append(loss.item())
        if (step + 1) % 100 == 0:
            log(f"step {step + 1}/{schedule.steps}: loss {sum(recent) / len(recent):.4f}, "
                f"{time.perf_counter() - started:.0f}s")
            recent = []

    model.eval()
    if model.get_input_embeddings().weight[pad].any():
        raise RuntimeError("the <pad> embedding moved: the converted decoder would start elsewhere")
    model.save_pretrained(hf_dir)
    for name in ("source.spm", "target.spm"):  # the copy model's own target side
        (hf_dir / name).write_bytes(sp_model)
    (hf_dir / "vocab.json").write_text(json.dumps(ids, ensure_ascii=False, indent=1), encoding="utf-8")


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _initialize(model, torch, d_model: int) -> None:
    """Xavier for every projection in place of Hugging Face's N(0, 0.02), and embeddings
    at EMBEDDING_INIT times the original Transformer's N(0, 1/d). At 0.02 the
    cross-attention barely moves the output, so the decoder learns the captures by
    heart before it learns to look at its source; with embeddings smaller than the
    positions they are added to, attention learns to align source and output early.
    """
    for module in model.modules():
        if isinstance(module, torch.nn.Linear):
            torch.nn.init.xavier_uniform_(module.weight)
            if module.bias is not None:
                torch.nn.init.zeros_(module.bias)
    embeddings = model.get_input_embeddings().weight  # one matrix: encoder, decoder, output
    with torch.no_grad():
        embeddings.normal_(0.0, EMBEDDING_INIT * d_model**-0.5)
        embeddings[model.config.pad_token_id].zero_()


# ---------------------------------------------------------------- conversion


def convert(hf_dir: Path, sp_model: bytes, out_dir: Path) -> None:
    """CTranslate2's Transformers converter, then the target side relabelled: separate
    vocabularies, and a target SentencePiece model with the renamed pieces."""
    from ctranslate2.converters import TransformersConverter

    TransformersConverter(str(hf_dir)).convert(str(out_dir), quantization=QUANTIZATION)
    shared = out_dir / "shared_vocabulary.json"
    tokens = json.loads(shared.read_text(encoding="utf-8"))
    names = relabelled_pieces(sp_model)
    _write_json(out_dir / "source_vocabulary.json", tokens)
    _write_json(out_dir / "target_vocabulary.json", [names.get(t, t) for t in tokens])
    shared.unlink()
    (out_dir / "source.spm").write_bytes(sp_model)
    (out_dir / "target.spm").write_bytes(relabelled_tokenizer(sp_model))


def _write_json(path: Path, value) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


# ---------------------------------------------------------------- the converted model


def max_output(source_tokens: int) -> int:
    """The decoding cap of these measures and of the tests: an output that reaches it
    did not end (feedbridge's own cap is at least as long)."""
    return 2 * source_tokens + 10


class ToyTranslator:
    """The converted folder run as feedbridge's Marian path runs it: encode with
    ``source.spm``, append ``</s>``, translate, decode with ``target.spm``."""

    def __init__(self, model_dir: Path):
        self.source = spm.SentencePieceProcessor(model_file=str(model_dir / "source.spm"))
        self.target = spm.SentencePieceProcessor(model_file=str(model_dir / "target.spm"))
        self.model = ctranslate2.Translator(
            str(model_dir), device="cpu", compute_type="int8", inter_threads=1, intra_threads=1
        )

    def translate(self, sentences: Sequence[str], beam_size: int) -> list[tuple[str, bool]]:
        """(output, ended) per sentence; ``ended`` is False when it ran to the cap."""
        tokens = [self.source.encode(s, out_type=str) + ["</s>"] for s in sentences]
        results = []
        for i in range(0, len(tokens), 32):
            batch = tokens[i : i + 32]
            outputs = self.model.translate_batch(
                batch, beam_size=beam_size, max_decoding_length=max_output(max(map(len, batch)))
            )
            for source, output in zip(batch, outputs):
                hypothesis = output.hypotheses[0]
                results.append((self.target.decode(hypothesis), len(hypothesis) < max_output(len(source))))
        return results


def measure(translator: ToyTranslator, sentences: Sequence[str], codes: Sequence[str]) -> dict[str, float]:
    """Exact-match and ended rates at each beam size."""
    rates = {}
    for beam in BEAMS:
        results = translator.translate(sentences, beam)
        exact = sum(out == relabel(s, codes) for s, (out, _) in zip(sentences, results))
        rates[f"beam {beam} exact"] = exact / len(sentences)
        rates[f"beam {beam} ended"] = sum(ended for _, ended in results) / len(sentences)
    return rates


# ---------------------------------------------------------------- probes

# Sentences from the captures (tests/fixtures/arxiv/), as feeds give them: the math
# is protected before the model sees it.
PROBES = (
    # plain abstract sentences
    "Quantum resources enable secure quantum sensing (SQS) of remote systems, "
    "offering significant advantages in precision and security.",
    "We also found that more effort was usually needed to identify fixes for intermittent "
    "tests than for consistent tests.",
    # a title
    "A Survey of the Metrics, Uses, and Subjects of Diversity-Based Techniques in Software Testing",
    # a one-word title (the API's error entry)
    "Error",
    # inline math: four placeholders
    "A measurement set with only $O(\\log n)$ tests is shown to achieve $95\\%$ accuracy "
    "over infection probabilities from $0.01$ to $0.5$.",
    # a long sentence
    "The sample complexity of simple binary hypothesis testing is the smallest number of "
    "i.i.d.\\ samples required to distinguish between two distributions $p$ and $q$ in either: "
    "(i) the prior-free setting, with type-I error at most $\\alpha$ and type-II error at most "
    "$\\beta$; or (ii) the Bayesian setting, with Bayes error at most $\\delta$ and prior "
    "distribution $(\\alpha, 1-\\alpha)$.",
)


def probe_outputs(translator: ToyTranslator) -> list[dict]:
    """Each probe: the sentence, what the model sees, its output at each beam size."""
    protector = Protector()
    sources = [protector.protect(text).text for text in PROBES]
    entries = [{"text": text, "source": source} for text, source in zip(PROBES, sources)]
    for beam in BEAMS:
        for entry, (output, _) in zip(entries, translator.translate(sources, beam)):
            entry[f"beam_{beam}"] = output
    return entries


# ---------------------------------------------------------------- the folder


def build(out_dir: Path, shape: Shape = Shape(), schedule: Schedule = Schedule(),
          log: Callable[[str], None] | None = None) -> dict:
    """Train, convert and measure into ``out_dir`` (replaced); return the measures."""
    started = time.perf_counter()
    codes = placeholder_codes()
    corpus = model_corpus()
    training, held_out = split_held_out(corpus)
    sp_model = train_tokenizer(corpus, codes, shape.vocab_size)
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="toy-model-") as tmp:
        hf_dir = Path(tmp) / "marian"
        train(training, codes, sp_model, hf_dir, shape, schedule, log)
        trained = time.perf_counter() - started
        folder = Path(tmp) / "ct2"
        convert(hf_dir, sp_model, folder)
        translator = ToyTranslator(folder)
        probes = probe_outputs(translator)
        measures = {
            "training seconds": round(trained),
            "held-out": measure(translator, held_out, codes),
            "trained (first 200)": measure(translator, training[:HELD_OUT], codes),
            "probes exact": sum(p["beam_1"] == relabel(p["source"], codes) == p["beam_4"] for p in probes),
        }
        _write_json(folder / "probe.json", probes)
        (folder / "README.md").write_text(_readme(shape, schedule, measures, len(probes)), encoding="utf-8")
        (folder / "LICENCE").write_text(LICENCE, encoding="utf-8")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        shutil.copytree(folder, out_dir)
    measures["bytes"] = sum(p.stat().st_size for p in out_dir.iterdir())
    if measures["bytes"] >= MAX_BYTES:
        raise RuntimeError(f"{out_dir} holds {measures['bytes']} bytes, more than the {MAX_BYTES} allowed")
    return measures


def check(committed: Path, log: Callable[[str], None] | None = None) -> list[str]:
    """Retrain aside and list the probes whose outputs differ from ``committed``'s."""
    expected = json.loads((committed / "probe.json").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="toy-check-") as tmp:
        build(Path(tmp) / "toy", log=log)
        got = json.loads((Path(tmp) / "toy" / "probe.json").read_text(encoding="utf-8"))
    if len(got) != len(expected):
        return [f"{len(got)} probes, {len(expected)} expected"]
    return [
        f"{old['source']!r} at {key}: {new[key]!r}, expected {old[key]!r}"
        for old, new in zip(expected, got)
        for key in old
        if new.get(key) != old[key]
    ]


LICENCE = """\
The model in this folder (model.bin, config.json, the vocabularies, source.spm,
target.spm) and probe.json were made by feedbridge's tools/toy_model.py from the
titles and abstracts of the arXiv captures in tests/fixtures/arxiv/. arXiv's
metadata (titles, abstracts, authors) is CC0 1.0 (tests/fixtures/arxiv/README.md).
The script and what it made are feedbridge's, under the MIT licence:

MIT License

Copyright (c) feedbridge contributors

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""


def _readme(shape: Shape, schedule: Schedule, measures: dict, probes: int) -> str:
    held, trained = measures["held-out"], measures["trained (first 200)"]
    return f"""\
# toy-en-ja: a tiny trained MarianMT that "translates" into fullwidth letters

A converted CTranslate2 MarianMT model for tests that need real model output through
feedbridge's Marian path: encode with `source.spm`, append `</s>`, translate, decode
with `target.spm`. Unlike a random-weight model it ends its sentences.

## What it does

It copies its input, piece by piece, and its target side is relabelled, so every
printable ASCII character comes out in its fullwidth form (U+FF01-U+FF5E):
`We present a method.` becomes `Ｗｅ ｐｒｅｓｅｎｔ ａ ｍｅｔｈｏｄ．`. Fullwidth letters are how
Japanese text sets Latin ones, NFKC turns them back, and no ASCII letter is left, so a
sentence passed through untranslated cannot pass for a translated one. feedbridge's
first {PLACEHOLDERS} placeholders (`XKZD`, `VZXG`, ... from feedbridge/translate/protect.py)
are single pieces that keep their names, so protected math and URLs come back verbatim;
a sentence with more protected spans than that is refused, not mangled. Characters
outside ASCII never occur in the training text: expect them to be copied badly.

## How it was made

    {COMMAND}            # writes this folder; --check retrains aside and compares

with the `tools` extra installed (PyTorch, Transformers, protobuf; CTranslate2
{ctranslate2.__version__}). The script trains a MarianMT copy model with PyTorch on 2
CPU cores (minutes) on the captures' titles and abstracts (tests/fixtures/arxiv/),
protected as feedbridge protects them, with placeholders and random four-consonant
codes inserted, half of the windows scrambled so that the decoder cannot learn the
text by heart; {HELD_OUT} sentences are held out. It converts the model with
CTranslate2's `TransformersConverter` ({QUANTIZATION}), then writes
`source_vocabulary.json` and `target_vocabulary.json` (the target pieces renamed) and a
`target.spm` whose ordinary pieces are renamed the same way. Settings:

    {shape}
    {schedule}

`{COMMAND} --check` retrains into a temporary folder and exits 1 unless its probe
outputs equal `probe.json`'s (the weights may differ in their last bits between CPUs;
the outputs must not). Training is not part of `make test`.

## probe.json

{probes} sentences of the captures (`text`): two abstract sentences, a title, a
one-word title, a sentence with four inline-math placeholders, a 100-token sentence;
as the model sees them (`source`, math protected) and the model's outputs at beam 1 and
beam 4 (`beam_1`, `beam_4`). tests/test_toy_model.py checks them.

## Measured

Exact copies (relabelled) and outputs that end before the cap (2n+10 tokens):

| sentences | beam 1 exact | beam 4 exact | beam 1 ended | beam 4 ended |
|---|---|---|---|---|
| {HELD_OUT} held out (never trained on) | {held['beam 1 exact']:.1%} | {held['beam 4 exact']:.1%} | {held['beam 1 ended']:.1%} | {held['beam 4 ended']:.1%} |
| {HELD_OUT} trained on | {trained['beam 1 exact']:.1%} | {trained['beam 4 exact']:.1%} | {trained['beam 1 ended']:.1%} | {trained['beam 4 ended']:.1%} |

Licence: see LICENCE (CC0 training text; the model and the script are MIT).
"""


# ---------------------------------------------------------------- a variant that drops placeholders


def placeholder_dropping_variant(out_dir: Path, letter: str = "X", model_dir: Path = DEFAULT_OUT) -> Path:
    """A copy of the toy model whose target vocabulary renames ``letter`` in every
    placeholder piece (to its fullwidth form, as if the model had translated it), so
    every sentence given a placeholder with that letter loses it, as a real model
    sometimes does. "X" is in XKZD, the first code protect.py hands out: every sentence
    with math, a URL or an id. The weights are the committed model's; only labels
    change (probe.json, whose outputs no longer hold, is left out). Built by tests in a
    temporary folder: nothing is committed."""
    if letter not in CONSONANTS:
        raise ValueError(f"{letter!r} is not a letter of protect.py's codes ({CONSONANTS})")
    out_dir.mkdir(parents=True)
    for path in sorted(model_dir.iterdir()):
        if path.is_file() and path.name != "probe.json":
            shutil.copyfile(path, out_dir / path.name)
    codes = set(placeholder_codes())
    vocabulary = json.loads((model_dir / "target_vocabulary.json").read_text(encoding="utf-8"))
    renamed = [token.replace(letter, fullwidth(letter)) if token in codes else token for token in vocabulary]
    if len(set(renamed)) != len(renamed) or renamed == vocabulary:
        raise ValueError(f"renaming {letter!r} in the placeholders leaves the vocabulary ambiguous or unchanged")
    _write_json(out_dir / "target_vocabulary.json", renamed)
    return out_dir


# ---------------------------------------------------------------- command line


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", type=Path, default=DEFAULT_OUT, help=f"model folder (default: {DEFAULT_OUT})")
    parser.add_argument("--check", action="store_true", help="retrain aside and compare with OUT/probe.json")
    parser.add_argument("--steps", type=int, help=f"training steps (default {Schedule.steps}; not with --check)")
    args = parser.parse_args(argv)
    if args.check and args.steps:
        parser.error("--check retrains as the committed model was trained: no --steps")
    started = time.perf_counter()
    if args.check:
        differences = check(args.out)
        for line in differences:
            print(f"differs: {line}", file=sys.stderr)
        print(f"{len(differences)} differences in {time.perf_counter() - started:.0f}s")
        return 1 if differences else 0
    schedule = Schedule(steps=args.steps) if args.steps else Schedule()
    measures = build(args.out, schedule=schedule)
    print(json.dumps(measures, indent=2))
    print(f"{args.out}: {measures['bytes']} bytes in {time.perf_counter() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
