"""A tiny random-weight MarianMT in Hugging Face's layout, built at test time: what
``models add`` converts, and what a catalog entry of the Hugging Face form downloads.

Needs PyTorch and Transformers (the ``convert`` extra, which the ``test`` extra includes).
The folder holds what a published Marian model holds: ``config.json`` (``model_type:
marian``), ``model.safetensors``, ``generation_config.json``, ``source.spm``,
``target.spm`` and ``vocab.json`` in Marian's layout (``</s>``, ``<unk>``, the pieces,
``<pad>`` last, which the converter drops), and a README whose front matter gives the
licence, as a model card does. Same seed, same bytes.
"""

from __future__ import annotations

import json
from pathlib import Path

VOCAB_SIZE = 1000  # SentencePiece pieces, as tools/tiny_model.py's tiny preset
README = "---\nlicense: cc-by-sa-4.0\nlanguage: [en, ja]\n---\n# A random MarianMT: test data\n"


def marian_vocabulary(sp_model: bytes) -> list[str]:
    """Marian's Hugging Face vocabulary over a SentencePiece model's pieces."""
    import sentencepiece as spm

    processor = spm.SentencePieceProcessor(model_proto=sp_model)
    pieces = [processor.id_to_piece(i) for i in range(processor.get_piece_size())]
    return ["</s>", "<unk>"] + [p for p in pieces if p not in ("<unk>", "<s>", "</s>")] + ["<pad>"]


def build_hf_marian_folder(out_dir: Path, *, seed: int = 0, model_type: str = "marian") -> Path:
    """Write the folder to ``out_dir`` (which must not exist) and return it.
    ``model_type`` other than marian only relabels config.json, for refusal tests."""
    import torch
    from tiny_model import fixture_corpus, train_sentencepiece
    from transformers import MarianConfig, MarianMTModel
    from transformers.utils import logging as hf_logging

    out_dir = Path(out_dir)
    if out_dir.exists():
        raise FileExistsError(f"{out_dir} already exists")
    sp_model = train_sentencepiece(fixture_corpus(), VOCAB_SIZE, seed=seed)
    vocabulary = marian_vocabulary(sp_model)
    ids = {piece: i for i, piece in enumerate(vocabulary)}
    pad = ids["<pad>"]
    config = MarianConfig(
        vocab_size=len(vocabulary), decoder_vocab_size=len(vocabulary), d_model=32,
        encoder_layers=1, decoder_layers=1, encoder_attention_heads=2, decoder_attention_heads=2,
        encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=128, activation_function="swish",
        share_encoder_decoder_embeddings=True, tie_word_embeddings=True,
        pad_token_id=pad, eos_token_id=ids["</s>"], decoder_start_token_id=pad, forced_eos_token_id=ids["</s>"],
    )
    torch.manual_seed(seed)
    progress = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # "Writing model shards" would clutter the tests' output
    try:
        MarianMTModel(config).save_pretrained(out_dir)
    finally:
        if progress:
            hf_logging.enable_progress_bar()
    for name in ("source.spm", "target.spm"):
        (out_dir / name).write_bytes(sp_model)
    (out_dir / "vocab.json").write_text(json.dumps(ids, ensure_ascii=False), encoding="utf-8")
    (out_dir / "README.md").write_text(README, encoding="utf-8")
    if model_type != "marian":
        path = out_dir / "config.json"
        path.write_text(json.dumps({**json.loads(path.read_text()), "model_type": model_type}), encoding="utf-8")
    return out_dir
