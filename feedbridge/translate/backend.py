"""The translation seam: what the engine asks of a model, and the kinds of model there are.

A Backend is one model for one language pair. The engine segments, protects, looks
sentences up in the translation memory and aligns the results; a backend only counts
tokens and translates batches. A model kind (Argos packages today) knows which pairs
its models serve and makes the backend for one. A new kind is one module and one line
in MODEL_KINDS; ``translation.model`` (or a feed's ``model``) names the kind to use.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from feedbridge.config import Config, key_error
from feedbridge.translate.argos import ArgosModels
from feedbridge.translate.ct2 import Decoding


class Backend(Protocol):
    engine: str  # the software's name for provenance lines: "Argos Translate"
    provenance: str  # the model and its version, kept with each translation: "translate-en_ja 1.1"
    language_name: str  # the target language's name: "Japanese"
    decoding: Decoding  # with provenance, keys the translation memory

    def count_tokens(self, text: str) -> int: ...

    def translate_batch(
        self, sentences: Sequence[str], *, retry: bool = False, progress: Callable[[int], None] | None = None
    ) -> list[list[str]]:
        """Each sentence's acceptable translations, best first (none if all ran away);
        ``progress`` is told how many sentences each finished batch held."""
        ...


class ModelKind(Protocol):
    name: str  # the value of translation.model (or a feed's model) that chooses it
    engine: str  # the software's name, as its backends give it

    def serves(self, source: str, target: str) -> bool: ...

    def unserved(self, source: str) -> str: ...

    def installed(self, source: str, target: str, **settings) -> Backend | None: ...

    def backend(self, source: str, target: str, *, offline: bool, log: Callable[[str], None], **settings) -> Backend: ...


MODEL_KINDS: dict[str, ModelKind] = {kind.name: kind for kind in (ArgosModels(),)}


def check_models(config: Config) -> None:
    """Every feed's model is a known kind that serves the feed's language pair; the
    first that is not is a config error naming the feed's key."""
    for feed in config.feeds:
        if feed.model not in MODEL_KINDS:
            raise key_error(config.path, f"{feed.key}.model", f"one of the known models ({', '.join(MODEL_KINDS)})", feed.model)
        kind = MODEL_KINDS[feed.model]
        if not kind.serves(feed.source_lang, feed.target_lang):
            raise key_error(config.path, f"{feed.key}.to", kind.unserved(feed.source_lang), feed.target_lang)


def backend_settings(config: Config) -> dict:
    """The config's decoding and threading settings, as every kind's backend takes them."""
    return {
        "beam_size": config.beam_size, "device": config.device, "workers": config.workers or None,
        "threads": config.threads, "batch_tokens": config.batch_tokens,
    }
