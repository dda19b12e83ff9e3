"""The Argos Translate backend: an installed argos package's tokenizer and CTranslate2 model.

Packages are found, installed and listed by ``translate/packages.py`` (argos's own
install code underneath); this module turns one into a Backend the engine can drive,
and says which language pairs Argos serves, so the config stage does not need to know.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from feedbridge.config import DEFAULT_MODEL
from feedbridge.errors import ModelError
from feedbridge.translate import packages
from feedbridge.translate.ct2 import CT2Backend, load_bpe, load_sentencepiece
from feedbridge.translate.packages import InstalledPackage

# Target languages the Argos Translate index offers from English (argospm-index, 2026).
# A pair outside this list is still served when a package for it is installed.
KNOWN_TARGETS_FROM_EN = frozenset(
    "ar az bg bn ca cs da de el eo es et eu fa fi fr ga gl he hi hu id it ja ko ky lt lv "
    "ms nb nl pb pl pt ro ru sk sl sq sr sv th tl tr uk ur vi zh zt".split()
)


class ArgosBackend(CT2Backend):
    """An installed argos package's tokenizer and CTranslate2 model."""

    engine = "Argos Translate"
    attribution = None  # Argos packages' licences ask for no credit on what they translate

    def __init__(self, package: InstalledPackage, **settings):
        super().__init__(**settings)
        self.package = package
        self.provenance = package.provenance
        self.language_name = package.target_name
        self.target_prefix = package.target_prefix

    def load_tokenizer(self) -> _Tokenizer:
        return _Tokenizer(self.package)

    def model_dir(self) -> Path:
        return self.package.model_dir


class _Tokenizer:
    """SentencePiece or BPE, whichever the package ships, without argos's '_'-to-space bug.
    Loaded now, so a damaged one is a ModelError naming the package, not a traceback."""

    def __init__(self, package: InstalledPackage):
        model = package.sentencepiece_model
        if model is not None:
            self._sp = load_sentencepiece(model, str(package.path))
            self._bpe = None
        else:
            bpe_model = package.path / "bpe.model"
            if not bpe_model.exists():
                raise ModelError(f"{package.path}: no sentencepiece.model or bpe.model")
            self._sp = None
            self._bpe = load_bpe(bpe_model, package.source_lang, package.target_lang, str(package.path))

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
        package = packages.find_package(source, target, checked=False)
        return ArgosBackend(package, **settings) if package is not None else None

    def backend(self, source: str, target: str, *, offline: bool, log: Callable[[str], None], **settings) -> ArgosBackend:
        """The pair's backend, installing its package from the index unless offline. The
        package's files are checked now (a damaged one stops the run before any feed is
        fetched); its tokenizer and model load when first used."""
        package = packages.find_package(source, target)
        if package is None and not offline:
            log(f"installing the {source}->{target} translation package from {packages.package_index_url()}")
            package = packages.install_from_index(source, target)
        if package is None:
            package = packages.require_package(source, target)
        return ArgosBackend(package, **settings)
