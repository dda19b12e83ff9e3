"""Build a real .argosmodel package with random weights, for tests and benchmarks.

The tests need a translation package that argostranslate installs and CTranslate2
runs exactly like a downloaded one, without a network and without PyTorch. This
script trains a real SentencePiece model on a caller-given corpus, fills a
CTranslate2 Transformer with seeded random weights over the same vocabulary and
zips both in the argos package layout. The output is nonsense but well-formed;
the same inputs give the same bytes.

``build_marian_folder`` writes the other layout feedbridge runs: a MarianMT model as
``ct2-transformers-converter`` leaves it (``model.bin``, ``config.json``,
``shared_vocabulary.json``, ``source.spm``, ``target.spm``), built the same way;
``build_separate_marian_folder`` one trained with two vocabularies, as ``make bench``
times it (``source_vocabulary.json``, ``target_vocabulary.json``, two SentencePiece models).

    python tools/tiny_model.py OUT.argosmodel [--preset tiny|base] [--from en --to ja]
                               [--corpus FILE_OR_DIR ...]
    python tools/tiny_model.py OUT_DIR --marian [--preset tiny|base] [--corpus ...]
"""

from __future__ import annotations

import argparse
import html
import io
import json
import os
import re
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import ctranslate2
import numpy as np
import sentencepiece as spm
from ctranslate2.converters.converter import Converter
from ctranslate2.specs import common_spec, transformer_spec

FIXTURES_DIR = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "arxiv"  # the real arXiv captures

ARGOS_VERSION = "1.9.0"  # what LibreTranslate's Locomotive writes into the packages it trains
WEIGHT_STD = 0.02  # small enough that activations stay finite through every layer
NEVER_BIAS = -100.0  # output bias for <unk> and <s>: a random model must not emit text-less tokens
# Random weights have no reason to end a sentence, so every output would run to the
# decoding cap, which a translation engine must treat as a runaway. Instead </s> is made
# to win at one output position: the decoder's state is dominated by its position
# encoding, so an output row matching the encoding of step END_STEP (scaled by
# END_GAIN, less END_THRESHOLD) outscores every other token there and only there.
END_STEP = 24  # outputs end after about this many tokens (22 with the tiny preset)
END_GAIN, END_THRESHOLD = 20.0, 19.0
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can hold: no build time leaks in
LANGUAGE_NAMES = {"en": "English", "ja": "Japanese"}  # other codes name themselves


@dataclass(frozen=True)
class ModelShape:
    """The hyperparameters that decide a model's size and speed."""

    encoder_layers: int
    decoder_layers: int
    d_model: int
    num_heads: int
    ffn_dim: int
    vocab_size: int  # shared source/target vocabulary, = SentencePiece pieces
    quantization: str | None  # CTranslate2 weight type; None keeps float32


PRESETS = {
    # Builds in well under a second and translates in milliseconds: for the test suite.
    "tiny": ModelShape(2, 2, 64, 4, 128, 1000, None),
    # The shape of argos' en->ja package: for timing the pipeline realistically.
    "base": ModelShape(6, 6, 512, 8, 2048, 32000, "int8"),
}


# ---------------------------------------------------------------- corpus

_TEXT_ELEMENT = re.compile(
    r"<((?:\w+:)?(?:title|summary|description))\b[^>]*>(.*?)</\1>", re.DOTALL
)
_TAG = re.compile(r"<[^>]+>")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def xml_text(xml: str) -> list[str]:
    """Title, summary and description texts of a feed, tags stripped, one per sentence.

    Crude on purpose: this only feeds SentencePiece training.
    """
    sentences = []
    for match in _TEXT_ELEMENT.finditer(xml):
        text = match.group(2).replace("<![CDATA[", "").replace("]]>", "")
        text = html.unescape(_TAG.sub(" ", html.unescape(text)))
        sentences += [" ".join(s.split()) for s in _SENTENCE_END.split(text)]
    return [s for s in sentences if s]


def read_corpus(paths: Iterable[Path]) -> list[str]:
    """Training text from files or folders: feed text of .xml files, lines of others."""
    lines = []
    for path in paths:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            text = file.read_text(encoding="utf-8")
            if file.suffix == ".xml":
                lines += xml_text(text)
            else:
                lines += [line.strip() for line in text.splitlines() if line.strip()]
    return lines


def fixture_corpus() -> list[str]:
    """The default training text: titles and abstracts of the test suite's arXiv fixtures."""
    return read_corpus(sorted(FIXTURES_DIR.glob("*.xml")))


# ---------------------------------------------------------------- SentencePiece


def _train_bpe(sentences: list[str], vocab_size: int, symbols: Sequence[str]) -> bytes:
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(sentences),
        model_writer=model,
        model_type="bpe",  # unlike unigram, it reaches a large vocabulary from little text
        vocab_size=vocab_size,
        hard_vocab_limit=False,
        byte_fallback=True,  # every character stays encodable
        character_coverage=1.0,
        user_defined_symbols=list(symbols),
        num_threads=1,  # one thread: the same corpus gives the same model bytes
        minloglevel=2,
    )
    return model.getvalue()


def _compound_sentences(sentences: list[str], count: int, seed: int) -> list[str]:
    """Made-up sentences of glued corpus words, so that BPE has more merges to learn."""
    words = sorted({word for sentence in sentences for word in sentence.split()})
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(words), size=(count, 4, 3))
    return [" ".join("".join(words[i] for i in glued) for glued in row) for row in picks]


def train_sentencepiece(
    sentences: Sequence[str],
    vocab_size: int,
    *,
    user_defined_symbols: Sequence[str] = (),
    seed: int = 0,
) -> bytes:
    """A serialized SentencePiece model of exactly ``vocab_size`` pieces.

    Ids 0, 1, 2 are ``<unk>``, ``<s>``, ``</s>`` as in argos packages, then the
    user-defined symbols (always kept as single pieces), then 256 byte pieces.
    When the corpus is too small for the vocabulary, it is topped up with
    compounds of its own words: argos' 32k vocabulary needs far more text than
    the fixtures hold.
    """
    sentences = [s for s in sentences if s.strip()]
    if not sentences:
        raise ValueError("the corpus has no text to train SentencePiece on")
    model = _train_bpe(sentences, vocab_size, user_defined_symbols)
    if _piece_count(model) < vocab_size:
        extra = _compound_sentences(sentences, vocab_size, seed)
        model = _train_bpe(sentences + extra, vocab_size, user_defined_symbols)
    reached = _piece_count(model)
    if reached != vocab_size:
        raise ValueError(
            f"the corpus yields only {reached} SentencePiece pieces, {vocab_size} wanted: "
            "give more text or a smaller vocab_size"
        )
    return model


def _piece_count(model: bytes) -> int:
    return spm.SentencePieceProcessor(model_proto=model).get_piece_size()


def _pieces(model: bytes) -> list[str]:
    processor = spm.SentencePieceProcessor(model_proto=model)
    return [processor.id_to_piece(i) for i in range(processor.get_piece_size())]


# ---------------------------------------------------------------- CTranslate2


class RandomTransformerConverter(Converter):
    """A CTranslate2 converter whose source is a seeded random generator, not a checkpoint.

    Pre-norm Transformer with ReLU and sinusoidal positions, the OpenNMT-py
    architecture argos packages use. As in Locomotive's training config, the
    encoder and decoder embeddings and the output projection are one matrix.
    """

    def __init__(self, shape: ModelShape, vocabulary: list[str], seed: int):
        self._shape = shape
        self._vocabulary = vocabulary
        self._rng = np.random.default_rng(seed)

    def _load(self) -> transformer_spec.TransformerSpec:
        shape = self._shape
        spec = transformer_spec.TransformerSpec.from_config(
            (shape.encoder_layers, shape.decoder_layers), shape.num_heads
        )
        d = shape.d_model
        # Tiny embeddings: scaled by sqrt(d) they must not outweigh the position
        # encodings, or the tied projection makes the decoder repeat its input token.
        embeddings = self._normal((len(self._vocabulary), d), 0.5 / d)

        spec.encoder.embeddings[0].weight = embeddings
        self._layer_norm(spec.encoder.layer_norm)
        for layer in spec.encoder.layer:
            self._attention(layer.self_attention, [3 * d, d])
            self._ffn(layer.ffn)

        spec.decoder.embeddings.weight = embeddings
        self._layer_norm(spec.decoder.layer_norm)
        for layer in spec.decoder.layer:
            self._attention(layer.self_attention, [3 * d, d])
            self._attention(layer.attention, [d, 2 * d, d])
            self._ffn(layer.ffn)
        spec.decoder.projection.weight = embeddings
        bias = np.zeros(len(self._vocabulary), np.float32)
        bias[[self._vocabulary.index("<unk>"), self._vocabulary.index("<s>")]] = NEVER_BIAS
        end = self._vocabulary.index("</s>")
        embeddings[end] = END_GAIN * _standardized(_position_encoding(END_STEP, d)) / d
        bias[end] = -END_THRESHOLD
        spec.decoder.projection.bias = bias

        spec.register_source_vocabulary(self._vocabulary)
        spec.register_target_vocabulary(self._vocabulary)
        return spec

    def _normal(self, size: tuple[int, int], std: float) -> np.ndarray:
        return self._rng.standard_normal(size, dtype=np.float32) * np.float32(std)

    def _linear(self, spec: common_spec.LinearSpec, out_dim: int, in_dim: int) -> None:
        spec.weight = self._normal((out_dim, in_dim), WEIGHT_STD)
        spec.bias = np.zeros(out_dim, np.float32)

    def _layer_norm(self, spec: common_spec.LayerNormSpec) -> None:
        spec.gamma = np.ones(self._shape.d_model, np.float32)
        spec.beta = np.zeros(self._shape.d_model, np.float32)

    def _attention(self, spec, out_dims: list[int]) -> None:
        """Self-attention: fused QKV + output; cross-attention: Q, fused KV, output."""
        self._layer_norm(spec.layer_norm)
        for linear, out_dim in zip(spec.linear, out_dims):
            self._linear(linear, out_dim, self._shape.d_model)

    def _ffn(self, spec: transformer_spec.FeedForwardSpec) -> None:
        self._layer_norm(spec.layer_norm)
        self._linear(spec.linear_0, self._shape.ffn_dim, self._shape.d_model)
        self._linear(spec.linear_1, self._shape.d_model, self._shape.ffn_dim)


def _position_encoding(step: int, dim: int) -> np.ndarray:
    """CTranslate2's sinusoidal position encoding: sines, then cosines, of one step."""
    timescales = np.exp(-np.log(10000.0) * np.arange(dim // 2) / (dim // 2 - 1))
    angles = step * timescales
    return np.concatenate([np.sin(angles), np.cos(angles)]).astype(np.float32)


def _standardized(vector: np.ndarray) -> np.ndarray:
    return (vector - vector.mean()) / vector.std()


class RandomMarianConverter(RandomTransformerConverter):
    """The same random weights in MarianMT's shape, as CTranslate2's Transformers
    converter writes a Marian model: post-norm layers, SiLU ("swish") feed-forward
    activations, sinusoidal positions stored in the model in Hugging Face's layout
    (sines, then cosines), one matrix for both embeddings and the output projection,
    and a decoder that starts from a zero embedding. The vocabulary is Marian's:
    ``</s>`` and ``<unk>`` first, no ``<s>``, and no trailing ``<pad>`` (the converter
    drops it). ``</s>`` ends outputs at END_STEP as in the argos layout.
    """

    def __init__(self, shape: ModelShape, vocabulary: list[str], seed: int, max_positions: int, ends: bool = True):
        super().__init__(shape, vocabulary, seed)
        self._max_positions = max_positions
        self._ends = ends

    def _load(self) -> transformer_spec.TransformerSpec:
        shape = self._shape
        d = shape.d_model
        spec = transformer_spec.TransformerSpec.from_config(
            (shape.encoder_layers, shape.decoder_layers), shape.num_heads,
            pre_norm=False, activation=common_spec.Activation.SWISH,
        )
        positions = _marian_position_encodings(self._max_positions, d)
        embeddings = self._normal((len(self._vocabulary), d), 0.5 / d)

        spec.encoder.embeddings[0].weight = embeddings
        spec.encoder.position_encodings.encodings = positions
        for layer in spec.encoder.layer:
            self._attention(layer.self_attention, [3 * d, d])
            self._ffn(layer.ffn)

        spec.decoder.embeddings.weight = embeddings
        spec.decoder.position_encodings.encodings = positions
        spec.decoder.start_from_zero_embedding = True
        for layer in spec.decoder.layer:
            self._attention(layer.self_attention, [3 * d, d])
            self._attention(layer.attention, [d, 2 * d, d])
            self._ffn(layer.ffn)
        spec.decoder.projection.weight = embeddings
        bias = np.zeros(len(self._vocabulary), np.float32)
        bias[self._vocabulary.index("<unk>")] = NEVER_BIAS
        end = self._vocabulary.index("</s>")
        if self._ends:
            embeddings[end] = END_GAIN * _standardized(positions[END_STEP]) / d
            bias[end] = -END_THRESHOLD
        else:
            bias[end] = NEVER_BIAS
        spec.decoder.projection.bias = bias

        spec.config.eos_token = "</s>"
        spec.config.unk_token = "<unk>"
        spec.config.decoder_start_token = "</s>"  # any token: the decoder starts from zeros
        spec.register_source_vocabulary(self._vocabulary)
        spec.register_target_vocabulary(self._vocabulary)
        return spec


def _marian_position_encodings(count: int, dim: int) -> np.ndarray:
    """MarianMT's sinusoidal table as Transformers builds it: row p holds
    sin(p / 10000^(2i/dim)) for i < dim/2, then the cosines of the same angles."""
    angles = np.arange(count)[:, None] / np.power(10000.0, 2 * np.arange(dim // 2) / dim)[None, :]
    return np.concatenate([np.sin(angles), np.cos(angles)], axis=1).astype(np.float32)


class RandomSeparateMarianConverter(RandomMarianConverter):
    """RandomMarianConverter for a Marian model trained with two vocabularies: the encoder
    has an embedding matrix of its own over the source vocabulary; the decoder's, over
    the target vocabulary, is still the output projection, as CTranslate2's Transformers
    converter writes such a model."""

    def __init__(self, shape: ModelShape, source_vocabulary: list[str], target_vocabulary: list[str], seed: int,
                 max_positions: int, ends: bool = True):
        super().__init__(shape, target_vocabulary, seed, max_positions, ends)
        self._source_vocabulary = source_vocabulary

    def _load(self) -> transformer_spec.TransformerSpec:
        spec = super()._load()  # every weight over the target vocabulary, registered on both sides
        d = self._shape.d_model
        spec.encoder.embeddings[0].weight = self._normal((len(self._source_vocabulary), d), 0.5 / d)
        # register_source_vocabulary appends (a model may have several source
        # vocabularies): the one registered above is replaced, not added to.
        spec._vocabularies["source"] = [self._source_vocabulary]
        return spec


def marian_vocabulary(sp_model: bytes) -> list[str]:
    """A Marian vocabulary over a SentencePiece model's pieces: ``</s>``, ``<unk>``, then
    every piece but SentencePiece's own control pieces, in id order."""
    return ["</s>", "<unk>"] + [p for p in _pieces(sp_model) if p not in ("<unk>", "<s>", "</s>")]


# ---------------------------------------------------------------- package


def package_name(from_code: str, to_code: str, package_version: str) -> str:
    """argos' own naming, e.g. ``translate-en_ja-1_0``: the folder inside the zip."""
    return f"translate-{from_code}_{to_code}-{package_version.replace('.', '_')}"


def _readme(metadata: dict, shape: ModelShape, seed: int) -> str:
    return (
        f"# {metadata['from_name']} -> {metadata['to_name']}: random-weight test data\n\n"
        "Built by feedbridge's tools/tiny_model.py. The weights are random, so the\n"
        "translations are nonsense: use this package only to test and time code that\n"
        "installs and runs argos packages.\n\n"
        f"Shape: {shape}, seed {seed}, CTranslate2 {ctranslate2.__version__}.\n"
    )


def _zip_folder(folder: Path, out_path: Path) -> None:
    """Zip ``folder`` as the single top-level entry, with sorted names and fixed times,
    written to a temporary file then renamed so a reader never sees half a package.

    Stored, not deflated, as Locomotive does: random int8 weights hardly compress,
    and stored bytes cannot vary with the zlib build.
    """
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    fd, tmp = tempfile.mkstemp(dir=out_path.parent, prefix=out_path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w") as archive:
            for file in files:
                info = zipfile.ZipInfo(file.relative_to(folder.parent).as_posix(), ZIP_TIMESTAMP)
                info.external_attr = 0o100644 << 16  # a regular file, rw-r--r--
                archive.writestr(info, file.read_bytes())
        os.replace(tmp, out_path)
    except BaseException:
        os.unlink(tmp)
        raise


def build_argosmodel(
    out_path: Path,
    corpus: Iterable[str],
    *,
    from_code: str = "en",
    to_code: str = "ja",
    from_name: str | None = None,
    to_name: str | None = None,
    preset: str | ModelShape = "tiny",
    package_version: str = "1.0",
    seed: int = 0,
    user_defined_symbols: Sequence[str] = (),
    quantization: str | None = None,
) -> dict:
    """Write a random-weight .argosmodel to ``out_path`` and return its metadata.

    ``preset`` names a PRESETS shape or is a ModelShape; ``quantization``
    overrides the shape's weight type. Language names default from
    LANGUAGE_NAMES. ``user_defined_symbols`` become single SentencePiece
    pieces, so placeholders survive tokenization intact.
    """
    shape = PRESETS[preset] if isinstance(preset, str) else preset
    sp_model = train_sentencepiece(
        list(corpus), shape.vocab_size, user_defined_symbols=user_defined_symbols, seed=seed
    )
    metadata = {
        "package_version": package_version,
        "argos_version": ARGOS_VERSION,
        "from_code": from_code,
        "from_name": from_name or LANGUAGE_NAMES.get(from_code, from_code),
        "to_code": to_code,
        "to_name": to_name or LANGUAGE_NAMES.get(to_code, to_code),
        "type": "translate",
    }
    out_path = Path(out_path)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / package_name(from_code, to_code, package_version)
        folder.mkdir()
        metadata_json = json.dumps(metadata, indent=2) + "\n"
        (folder / "metadata.json").write_text(metadata_json, encoding="utf-8")
        (folder / "README.md").write_text(_readme(metadata, shape, seed), encoding="utf-8")
        (folder / "sentencepiece.model").write_bytes(sp_model)
        RandomTransformerConverter(shape, _pieces(sp_model), seed).convert(
            str(folder / "model"), quantization=quantization or shape.quantization
        )
        _zip_folder(folder, out_path)
    return metadata


def build_marian_folder(
    out_dir: Path,
    corpus: Iterable[str],
    *,
    preset: str | ModelShape = "tiny",
    seed: int = 0,
    separate_vocabularies: bool = False,
    quantization: str | None = None,
    max_positions: int = 512,
    ends: bool = True,
) -> Path:
    """Write a random-weight converted MarianMT folder to ``out_dir`` (which must not
    exist) and return it: what ``ct2-transformers-converter --copy_files source.spm
    target.spm`` writes for a Marian model, same inputs, same bytes.

    With ``ends`` false, ``</s>`` is never emitted, as from random weights left alone:
    every output runs to the decoding cap, a model that fails as a whole.

    One SentencePiece model, trained on ``corpus``, is both ``source.spm`` and
    ``target.spm``. ``separate_vocabularies`` writes ``source_vocabulary.json`` and
    ``target_vocabulary.json`` (equal) instead of ``shared_vocabulary.json``, as for a
    model trained with two vocabularies. The folder is built beside ``out_dir`` and
    renamed into place, so it is never seen half-written.
    """
    shape = PRESETS[preset] if isinstance(preset, str) else preset
    sp_model = train_sentencepiece(list(corpus), shape.vocab_size, seed=seed)
    out_dir = Path(out_dir)
    if out_dir.exists():
        raise FileExistsError(f"{out_dir} already exists")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir.parent, prefix=f".{out_dir.name}.") as tmp:
        folder = Path(tmp) / "model"
        RandomMarianConverter(shape, marian_vocabulary(sp_model), seed, max_positions, ends).convert(
            str(folder), quantization=quantization or shape.quantization
        )
        for name in ("source.spm", "target.spm"):
            (folder / name).write_bytes(sp_model)
        (folder / "README.md").write_text(_marian_readme(shape, seed), encoding="utf-8")
        if separate_vocabularies:
            shared = folder / "shared_vocabulary.json"
            (folder / "source_vocabulary.json").write_bytes(shared.read_bytes())
            shared.rename(folder / "target_vocabulary.json")
        os.replace(folder, out_dir)
    return out_dir


_KANA = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "あいうえおかきくけこさしすせそたちつてとなにぬねのはアイウエオカキクケコサシスセソタチツテトナニヌネノハ",
)


def kana_corpus(sentences: Iterable[str]) -> list[str]:
    """The sentences with each Latin letter replaced by a kana of its own: text for a
    target SentencePiece model that shares no word with a source one trained on the
    sentences, yet, being the same text letter for letter, reaches as large a vocabulary."""
    return [sentence.translate(_KANA) for sentence in sentences]


def build_separate_marian_folder(
    out_dir: Path,
    source_corpus: Iterable[str],
    target_corpus: Iterable[str],
    *,
    preset: str | ModelShape = "tiny",
    seed: int = 0,
    quantization: str | None = None,
    max_positions: int = 512,
    ends: bool = True,
) -> Path:
    """Write a random-weight converted MarianMT folder trained with two vocabularies to
    ``out_dir`` (which must not exist) and return it: ``source.spm`` trained on
    ``source_corpus``, ``target.spm`` on ``target_corpus``, each of the preset's
    ``vocab_size`` pieces, and ``source_vocabulary.json`` and ``target_vocabulary.json``
    over their pieces, as ``ct2-transformers-converter`` writes such a model. Built
    beside ``out_dir`` and renamed into place; same inputs, same bytes."""
    shape = PRESETS[preset] if isinstance(preset, str) else preset
    source_spm = train_sentencepiece(list(source_corpus), shape.vocab_size, seed=seed)
    target_spm = train_sentencepiece(list(target_corpus), shape.vocab_size, seed=seed)
    out_dir = Path(out_dir)
    if out_dir.exists():
        raise FileExistsError(f"{out_dir} already exists")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir.parent, prefix=f".{out_dir.name}.") as tmp:
        folder = Path(tmp) / "model"
        RandomSeparateMarianConverter(
            shape, marian_vocabulary(source_spm), marian_vocabulary(target_spm), seed, max_positions, ends,
        ).convert(str(folder), quantization=quantization or shape.quantization)
        (folder / "source.spm").write_bytes(source_spm)
        (folder / "target.spm").write_bytes(target_spm)
        (folder / "README.md").write_text(_marian_readme(shape, seed), encoding="utf-8")
        os.replace(folder, out_dir)
    return out_dir


def _marian_readme(shape: ModelShape, seed: int) -> str:
    return (
        "# A converted MarianMT model with random weights: test data\n\n"
        "Built by feedbridge's tools/tiny_model.py in the layout ct2-transformers-converter\n"
        "writes. The weights are random, so the translations are nonsense.\n\n"
        f"Shape: {shape}, seed {seed}, CTranslate2 {ctranslate2.__version__}.\n"
    )


# ---------------------------------------------------------------- package index


def index_entry(metadata: dict, url: str) -> dict:
    """A package's entry in an argos index: its metadata plus where to download it."""
    return {**metadata, "links": [url]}


def write_index(path: Path, entries: Iterable[dict]) -> None:
    """Write ``index.json`` as argos' ``update_package_index()`` downloads it."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(list(entries), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


# ---------------------------------------------------------------- command line


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="the .argosmodel file (with --marian: the folder) to write")
    parser.add_argument(
        "--marian", action="store_true", help="write a converted MarianMT folder instead of an .argosmodel"
    )
    parser.add_argument("--preset", choices=sorted(PRESETS), default="tiny")
    parser.add_argument("--from", dest="from_code", default="en")
    parser.add_argument("--to", dest="to_code", default="ja")
    parser.add_argument("--from-name")
    parser.add_argument("--to-name")
    parser.add_argument("--package-version", default="1.0")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--quantization", help="CTranslate2 weight type (default: the preset's)"
    )
    parser.add_argument(
        "--symbol", action="append", default=[], dest="symbols",
        help="a string SentencePiece must keep as one piece (repeatable)",
    )
    parser.add_argument(
        "--corpus", action="append", type=Path, default=[],
        help=f"training text, a file or folder (repeatable; default: {FIXTURES_DIR})",
    )
    args = parser.parse_args(argv)

    corpus = read_corpus(args.corpus) if args.corpus else fixture_corpus()
    started = time.perf_counter()
    if args.marian:
        build_marian_folder(args.out, corpus, preset=args.preset, seed=args.seed, quantization=args.quantization)
        size = sum(p.stat().st_size for p in args.out.iterdir())
        print(f"{args.out}: MarianMT {args.preset}, {size} bytes in {time.perf_counter() - started:.2f}s")
        return 0
    metadata = build_argosmodel(
        args.out,
        corpus,
        from_code=args.from_code,
        to_code=args.to_code,
        from_name=args.from_name,
        to_name=args.to_name,
        preset=args.preset,
        package_version=args.package_version,
        seed=args.seed,
        user_defined_symbols=args.symbols,
        quantization=args.quantization,
    )
    print(
        f"{args.out}: {metadata['from_code']}->{metadata['to_code']} {args.preset}, "
        f"{args.out.stat().st_size} bytes in {time.perf_counter() - started:.2f}s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
