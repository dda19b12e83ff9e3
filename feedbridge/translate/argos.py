"""The Argos Translate backend: an installed argos package's tokenizer and CTranslate2 model.

Packages are found, installed and listed by ``translate/packages.py`` (argos's own
install code underneath); this module turns one into a Backend the engine can drive,
and says which language pairs Argos serves, so the config stage does not need to know.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from feedbridge.config import DEFAULT_BATCH_TOKENS, DEFAULT_MODEL
from feedbridge.errors import ModelError
from feedbridge.translate import packages
from feedbridge.translate.ct2 import BatchRunner, Decoding, load_model, runaway
from feedbridge.translate.packages import InstalledPackage

# Target languages the Argos Translate index offers from English (argospm-index, 2026).
# A pair outside this list is still served when a package for it is installed.
KNOWN_TARGETS_FROM_EN = frozenset(
    "ar az bg bn ca cs da de el eo es et eu fa fi fr ga gl he hi hu id it ja ko ky lt lv "
    "ms nb nl pb pl pt ro ru sk sl sq sr sv th tl tr uk ur vi zh zt".split()
)


class ArgosBackend:
    """An installed argos package's tokenizer and CTranslate2 model, each loaded on first use."""

    engine = "Argos Translate"

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
        self.language_name = package.target_name
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
            model = load_model(self.package.model_dir, self.device, self.workers, self.threads)
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


class ArgosModels:
    """Argos packages as a kind of model: which pairs they serve, and a backend for one."""

    name = DEFAULT_MODEL
    engine = ArgosBackend.engine

    def serves(self, source: str, target: str) -> bool:
        """Whether the index offers the pair or a package for it is installed."""
        if source == "en" and target in KNOWN_TARGETS_FROM_EN:
            return True
        return packages.packages_dir().is_dir() and (source, target) in packages.installed_pairs()

    def unserved(self, source: str) -> str:
        """What the user can do about a pair Argos does not serve: the config error's words."""
        return (
            f"a language with an Argos Translate package from '{source}' "
            f"(known from en: {', '.join(sorted(KNOWN_TARGETS_FROM_EN))}; "
            f"or install one with 'feedbridge models install --file')"
        )

    def installed(self, source: str, target: str, **settings) -> ArgosBackend | None:
        """The backend of an installed package, or None; installs nothing. Listing packages
        creates their folder, so a folder that does not exist holds none."""
        if not packages.packages_dir().is_dir():
            return None
        package = packages.find_package(source, target)
        return ArgosBackend(package, **settings) if package is not None else None

    def backend(self, source: str, target: str, *, offline: bool, log: Callable[[str], None], **settings) -> ArgosBackend:
        """The pair's backend, installing its package from the index unless offline."""
        package = packages.find_package(source, target)
        if package is None and not offline:
            log(f"installing the {source}->{target} translation package from {packages.package_index_url()}")
            package = packages.install_from_index(source, target)
        if package is None:
            package = packages.require_package(source, target)
        return ArgosBackend(package, **settings)
