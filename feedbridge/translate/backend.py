"""The translation seam: what the engine asks of a model, and the kinds of model there are.

A Backend is one model for one language pair. The engine segments, protects, looks
sentences up in the translation memory and aligns the results; a backend only counts
tokens and translates batches. A model kind knows which pairs its models serve and
makes the backend for one. A new kind is one module and one line in MODEL_KINDS.

``translation.model`` (or a feed's ``model``) names a model: a kind that is chosen by its
own name ("argos": the Argos package for the feed's pair), or one model of a registry
kind, chosen by the name it was added under (a converted MarianMT model, which serves
its one pair). ``MODEL_KINDS[name]`` is a ModelKind either way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Protocol

from feedbridge.config import Config, key_error
from feedbridge.translate.argos import ArgosModels
from feedbridge.translate.ct2 import Decoding
from feedbridge.translate.marian import MarianModels


class Backend(Protocol):
    engine: str  # the software's name for provenance lines: "Argos Translate"
    provenance: str  # the model and its version, kept with each translation: "translate-en_ja 1.1"
    language_name: str  # the target language's name: "Japanese"
    decoding: Decoding  # with provenance, keys the translation memory
    attribution: str | None  # the credit the model's licence asks every page and feed for, if any

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
    # A model that serves one pair only also has ``pair`` (source, target): a feed of
    # another pair is then told which of its keys disagrees with the model.

    def serves(self, source: str, target: str) -> bool: ...

    def unserved(self, source: str) -> str: ...

    def installed(self, source: str, target: str, **settings) -> Backend | None: ...

    def backend(self, source: str, target: str, *, offline: bool, log: Callable[[str], None], **settings) -> Backend: ...


class ModelRegistry(Protocol):
    """A kind whose models are chosen one by one, by the names they were added under."""

    name: str  # reserved: never a model's name
    engine: str

    def named(self) -> Mapping[str, ModelKind]: ...


class ModelKinds(Mapping[str, ModelKind]):
    """Every name translation.model may give, and the ModelKind it chooses: each plain
    kind by its own name, and each model a registry holds. Registries are read on every
    lookup, so a model added a moment ago counts."""

    def __init__(self, *kinds: ModelKind | ModelRegistry):
        self.kinds = kinds

    @property
    def kind_names(self) -> frozenset[str]:
        """The kinds' own names, which no model may take."""
        return frozenset(kind.name for kind in self.kinds)

    def _registries(self) -> list[ModelRegistry]:
        return [kind for kind in self.kinds if hasattr(kind, "named")]

    def __getitem__(self, name: str) -> ModelKind:
        for kind in self.kinds:
            if kind.name == name and not hasattr(kind, "named"):
                return kind
        for registry in self._registries():
            models = registry.named()
            if name in models:
                return models[name]
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        names = [kind.name for kind in self.kinds if not hasattr(kind, "named")]
        for registry in self._registries():
            names += sorted(registry.named())
        return iter(names)

    def __len__(self) -> int:
        return sum(1 for _ in self)


MODEL_KINDS = ModelKinds(ArgosModels(), MarianModels())


def check_models(config: Config) -> None:
    """Every feed's model is a known model that serves the feed's language pair, and
    feeds of one pair share one model (a run makes one backend per pair); the first
    feed that breaks a rule is a config error naming its key."""
    chosen: dict[tuple[str, str], tuple[str, str]] = {}  # pair -> (model, the first feed's key)
    for feed in config.feeds:
        pair = (feed.source_lang, feed.target_lang)
        if feed.model not in MODEL_KINDS:
            raise key_error(config.path, f"{feed.key}.model", f"one of the known models ({', '.join(MODEL_KINDS)})", feed.model)
        kind = MODEL_KINDS[feed.model]
        if not kind.serves(*pair):
            only = getattr(kind, "pair", None)
            if only is not None and only[0] != feed.source_lang:
                raise key_error(config.path, f"{feed.key}.from", kind.unserved(feed.source_lang), feed.source_lang)
            raise key_error(config.path, f"{feed.key}.to", kind.unserved(feed.source_lang), feed.target_lang)
        model, first = chosen.setdefault(pair, (feed.model, feed.key))
        if model != feed.model:
            raise key_error(
                config.path, f"{feed.key}.model",
                f"{model!r}, the model {first} translates {'->'.join(pair)} with (one model per language pair)",
                feed.model,
            )


def backend_settings(config: Config) -> dict:
    """The config's decoding and threading settings, as every kind's backend takes them."""
    return {
        "beam_size": config.beam_size, "device": config.device, "workers": config.workers or None,
        "threads": config.threads, "batch_tokens": config.batch_tokens,
    }
