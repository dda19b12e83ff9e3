"""Translate papers with an argos package's CTranslate2 model, all sentences in one pass.

argos's ``translate()`` handles one text at a time; here every sentence of the run
is collected, de-duplicated and translated in length-sorted batches.
"""

from __future__ import annotations

import os
from typing import Protocol, Sequence

from feedbridge.arxiv import Paper
from feedbridge.errors import ModelError
from feedbridge.translate import SentencePair, TranslatedPaper, Translation
from feedbridge.translate.packages import InstalledPackage
from feedbridge.translate.segment import join_lines, split_sentences

BATCH_SIZE = 32  # sentences per CTranslate2 call; each batch gets its own length cap


class Translator(Protocol):
    """The seam between the pipeline and a model: one batch method."""

    provenance: str

    def translate_batch(self, sentences: Sequence[str]) -> list[str]: ...


LENGTH_BUCKET = 8  # source lengths are rounded up to this before computing the decoding cap


def max_decoding_length(source_tokens: int) -> int:
    """Cap output length relative to the input so a runaway decode stops.

    The cap depends only on the sentence's own (bucketed) length, so which other
    sentences share its batch cannot change its translation.
    """
    bucket = -(-source_tokens // LENGTH_BUCKET) * LENGTH_BUCKET
    return min(2 * bucket + 10, 512)


class ArgosTranslator:
    """An installed argos package's tokenizer and CTranslate2 model, loaded on first use."""

    def __init__(self, package: InstalledPackage, *, beam_size: int = 4, device: str = "auto"):
        self.package = package
        self.beam_size = beam_size
        self.device = device
        # Throughput over latency: one single-threaded model replica per core, each
        # taking whole batches. On 2 cores this is ~9x faster than one replica using
        # both cores for every small matrix product (measured on the tiny model).
        self.inter_threads = os.cpu_count() or 1
        self.provenance = package.provenance
        self._model = None
        self._tokenizer = None

    def _load(self):
        if self._model is not None:
            return
        import ctranslate2

        device = self.device
        if device == "auto":
            device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
        try:
            self._model = ctranslate2.Translator(
                str(self.package.model_dir), device=device,
                inter_threads=self.inter_threads, intra_threads=1,
            )
        except (RuntimeError, ValueError, OSError) as err:
            raise ModelError(f"{self.package.model_dir}: cannot load the CTranslate2 model ({err})")
        self._tokenizer = _Tokenizer(self.package)

    def translate_batch(self, sentences: Sequence[str]) -> list[str]:
        if not sentences:
            return []
        self._load()
        tokenized = [self._tokenizer.encode(s) for s in sentences]
        results: list[str] = [""] * len(sentences)
        prefix = [self.package.target_prefix] if self.package.target_prefix else None
        chunks = _batches(tokenized)
        # Submit every batch before waiting, so all model replicas work at once.
        pending = [
            self._model.translate_batch(
                [tokenized[i] for i in chunk],
                target_prefix=[prefix] * len(chunk) if prefix else None,
                beam_size=self.beam_size,
                max_decoding_length=max_decoding_length(len(tokenized[chunk[-1]])),
                replace_unknowns=True,
                asynchronous=True,
            )
            for chunk in chunks
        ]
        for chunk, outputs in zip(chunks, pending):
            for i, output in zip(chunk, outputs):
                tokens = output.result().hypotheses[0]
                if prefix and tokens[:1] == prefix:
                    tokens = tokens[1:]
                results[i] = self._tokenizer.decode(tokens)
        return results


def _batches(tokenized: list[list[str]]) -> list[list[int]]:
    """Indices grouped by decoding cap, sorted by length, at most BATCH_SIZE per group."""
    order = sorted(range(len(tokenized)), key=lambda i: len(tokenized[i]))
    groups: dict[int, list[int]] = {}
    for i in order:
        groups.setdefault(max_decoding_length(len(tokenized[i])), []).append(i)
    return [
        group[start : start + BATCH_SIZE]
        for group in groups.values()
        for start in range(0, len(group), BATCH_SIZE)
    ]


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
    papers: Sequence[Paper], translator: Translator, source_lang: str, target_lang: str
) -> list[TranslatedPaper]:
    """Translate every title and abstract sentence once, however many papers share it."""
    titles = [[join_lines(p.title)] for p in papers]
    abstracts = [split_sentences(p.abstract) for p in papers]
    unique = list(dict.fromkeys(s for parts in (*titles, *abstracts) for s in parts))
    translated = dict(zip(unique, translator.translate_batch(unique)))

    def aligned(sentences: list[str]) -> Translation:
        return Translation(tuple(SentencePair(s, translated[s]) for s in sentences))

    return [
        TranslatedPaper(
            paper=paper,
            source_lang=source_lang,
            target_lang=target_lang,
            title=aligned(title),
            abstract=aligned(abstract),
            translator=translator.provenance,
        )
        for paper, title, abstract in zip(papers, titles, abstracts)
    ]
