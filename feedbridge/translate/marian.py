"""The MarianMT backend: converted MarianMT models, registered by name, run with CTranslate2.

A converted MarianMT model (``ct2-transformers-converter``) is a folder: ``model.bin``,
``config.json``, ``shared_vocabulary.json`` (or ``source_vocabulary.json`` and
``target_vocabulary.json``), ``source.spm`` and ``target.spm``. ``add_model`` copies one
into the models folder under a name, once a probe translation has shown that it loads
and runs; that name is what ``translation.model`` (or a feed's ``model``) gives. Each
registered model is a model kind of its own, serving exactly its one language pair.

A Hugging Face Transformers MarianMT folder (``config.json`` with ``model_type: marian``,
``model.safetensors`` or ``pytorch_model.bin``, ``source.spm``, ``target.spm``,
``vocab.json``) is converted on the way in, with CTranslate2's ``TransformersConverter``,
when the ``convert`` extra (PyTorch and Transformers) is installed; without it, ``add_model``
says in one line what to install.

Sentences are encoded with ``source.spm`` and ``</s>`` is appended: CTranslate2 does not
add it for a Transformers-converted Marian model, and without it the model translates
worse. Outputs are decoded with ``target.spm``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from feedbridge.config import DEFAULT_MODEL, LANG_RE
from feedbridge.errors import ConfigError, ModelError
from feedbridge.translate.ct2 import CT2Backend, check_model_files, load_model, load_sentencepiece
from feedbridge.translate.ct2 import first_line as _first_line

KIND_NAME = "marian"
ENGINE = "CTranslate2 (MarianMT)"
MODELS_DIR_ENV = "FEEDBRIDGE_MODELS_DIR"
STAGING_PREFIX = ".staging-"  # folders an add is building or a remove is deleting; never listed
ABANDONED_AFTER = 3600.0  # seconds: a staging folder this old belongs to a killed command
RECORD_FILE = "feedbridge-model.json"  # what feedbridge knows of a model, beside its files
RECORD_FORMAT = 1
RECORD_OPTIONAL = ("attribution", "licence_url", "home")  # absent from records written before the catalog
EOS = "</s>"
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
RESERVED_NAMES = frozenset({DEFAULT_MODEL, KIND_NAME})  # kinds' names: never a model's
REQUIRED_FILES = ("model.bin", "config.json", "source.spm", "target.spm")
VERSIONED_FILES = (  # every file that can change a translation, hashed into the version
    "model.bin", "config.json", "shared_vocabulary.json", "shared_vocabulary.txt", "source_vocabulary.json",
    "source_vocabulary.txt", "target_vocabulary.json", "target_vocabulary.txt", "source.spm", "target.spm",
)
LICENCE_FILES = ("LICENSE", "LICENCE", "LICENSE.txt", "LICENCE.txt", "LICENSE.md", "LICENCE.md")
README_FILES = ("README.md", "README", "README.txt")
# A Hugging Face Transformers MarianMT folder, converted on the way in
HF_WEIGHTS = ("model.safetensors", "pytorch_model.bin")
HF_REQUIRED = ("config.json", "source.spm", "target.spm", "vocab.json")
HF_MODEL_TYPE = "marian"
CONVERT_QUANTIZATION = "int8"  # as Argos's packages: a quarter of float32's size, and faster on a CPU
CONVERT_MODULES = ("torch", "transformers")  # what the converter needs beyond CTranslate2
CONVERT_INSTALL = (
    "install the CPU build of PyTorch first (pip install torch --index-url https://download.pytorch.org/whl/cpu;"
    " a plain 'pip install torch' pulls a CUDA build of several GB), then pip install 'feedbridge[convert]'"
)
PROBE_SENTENCE = "This is a test."
PROBE_MAX_TOKENS = 16
MIN_PIECES_IN_VOCABULARY = 0.5  # a SentencePiece model with fewer of its pieces in the vocabulary is another model's

# English names of target languages; any other code names itself.
LANGUAGE_NAMES = {
    "ar": "Arabic", "az": "Azerbaijani", "bg": "Bulgarian", "bn": "Bengali", "ca": "Catalan", "cs": "Czech",
    "da": "Danish", "de": "German", "el": "Greek", "en": "English", "eo": "Esperanto", "es": "Spanish",
    "et": "Estonian", "eu": "Basque", "fa": "Persian", "fi": "Finnish", "fr": "French", "ga": "Irish",
    "gl": "Galician", "he": "Hebrew", "hi": "Hindi", "hu": "Hungarian", "id": "Indonesian", "it": "Italian",
    "ja": "Japanese", "ko": "Korean", "ky": "Kyrgyz", "lt": "Lithuanian", "lv": "Latvian", "ms": "Malay",
    "nb": "Norwegian Bokmål", "nl": "Dutch", "pl": "Polish", "pt": "Portuguese", "ro": "Romanian",
    "ru": "Russian", "sk": "Slovak", "sl": "Slovenian", "sq": "Albanian", "sr": "Serbian", "sv": "Swedish",
    "th": "Thai", "tl": "Tagalog", "tr": "Turkish", "uk": "Ukrainian", "ur": "Urdu", "vi": "Vietnamese",
    "zh": "Chinese",
}


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


def models_dir() -> Path:
    """Where registered models live: ``$FEEDBRIDGE_MODELS_DIR``, else ``feedbridge/models``
    under the XDG data home (``~/.local/share``), as argos finds its packages folder."""
    if os.environ.get(MODELS_DIR_ENV):
        return Path(os.environ[MODELS_DIR_ENV])
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "feedbridge" / "models"


# ---------------------------------------------------------------- the backend


class MarianBackend(CT2Backend):
    """A registered model's SentencePiece models and CTranslate2 model."""

    engine = ENGINE

    def __init__(self, model: MarianModel, **settings):
        super().__init__(**settings)
        self.model = model
        self.provenance = model.provenance
        self.language_name = language_name(model.target_lang)
        self.licence = model.licence  # "CC BY-SA 4.0", or "unknown"
        self.attribution = model.attribution  # what a page or feed must say of the model, or None

    def load_tokenizer(self) -> _Pieces:
        """Its tokens count ``</s>``, which the model is given too."""
        return _Pieces(self.model.path)

    def model_dir(self) -> Path:
        if not (self.model.path / "model.bin").is_file():
            raise ModelError(f"{self.model.path}: model '{self.model.name}' has no model.bin: add it again")
        return self.model.path


class _Pieces:
    """``source.spm`` to encode, with ``</s>`` appended; ``target.spm`` to decode."""

    def __init__(self, folder: Path, named: Path | None = None):
        self.source = load_sentencepiece(folder / "source.spm", str(named or folder))
        self.target = load_sentencepiece(folder / "target.spm", str(named or folder))

    def encode(self, text: str) -> list[str]:
        return self.source.encode(text, out_type=str) + [EOS]

    def decode(self, tokens: Sequence[str]) -> str:
        return self.target.decode_pieces([t for t in tokens if t != EOS]).strip()


# ---------------------------------------------------------------- registered models


@dataclass(frozen=True)
class MarianModel:
    """A registered model, and the model kind that chooses it: it serves its one pair."""

    path: Path
    name: str  # the value of translation.model (or a feed's model) that chooses it
    source_lang: str
    target_lang: str
    version: str  # a short hash of the files that decide its translations
    licence: str
    added_from: str
    credit: str | None = None  # the attribution its licence asks for, as the catalog or --attribution gave it
    licence_url: str | None = None
    home: str | None = None  # the model's own page (its card)

    engine = ENGINE

    @property
    def pair(self) -> tuple[str, str]:
        return self.source_lang, self.target_lang

    @property
    def provenance(self) -> str:
        return f"{self.name} {self.version}"

    @property
    def attribution(self) -> str | None:
        """What a page or feed translated with the model says of it: the credit given when
        it was added, else its name, version and licence when the licence is known (a CC BY
        or CC BY-SA model must be credited), else None."""
        if self.credit:
            return self.credit
        if self.licence == "unknown":
            return None
        return f"Translation model {self.name} {self.version}, licence: {self.licence}"

    def serves(self, source: str, target: str) -> bool:
        return (source, target) == self.pair

    def unserved(self, source: str) -> str:
        """The config error's words: the one source (if ``source`` is not it) or target
        language the model takes."""
        code = self.target_lang if source == self.source_lang else self.source_lang
        pair = f"{self.source_lang}->{self.target_lang}"
        return f"'{code}' (model '{self.name}' translates only {pair}; another pair needs another model)"

    def check(self) -> None:
        """Refuse, with one ModelError line naming the model's folder, a model whose files
        were damaged or removed since it was added: a SentencePiece model that does not
        load, model.bin, config.json or a vocabulary missing, cut short or replaced. Quick:
        the model is not loaded into CTranslate2 (a build loads it when it translates,
        and refuses the same damage there)."""
        for required in REQUIRED_FILES:
            if not (self.path / required).is_file():
                raise ModelError(f"{self.path}: model '{self.name}' has no {required}: remove it and add it again")
        _Pieces(self.path)
        check_model_files(self.path, str(self.path))

    def installed(self, source: str, target: str, **settings) -> MarianBackend | None:
        """The backend, if the model serves the pair and is still in its folder; loads nothing."""
        if not self.serves(source, target) or not (self.path / RECORD_FILE).is_file():
            return None
        return MarianBackend(self, **settings)

    def backend(self, source: str, target: str, *, offline: bool, log: Callable[[str], None], **settings) -> MarianBackend:
        """The backend, its files checked (``check``); a registered model is never
        downloaded, so ``offline`` changes nothing."""
        if not self.serves(source, target):
            raise ModelError(
                f"model '{self.name}' translates only {self.source_lang}->{self.target_lang}, not {source}->{target}"
            )
        backend = self.installed(source, target, **settings)
        if backend is None:
            raise ModelError(f"{self.path}: model '{self.name}' is gone: run 'feedbridge models add' again")
        self.check()
        return backend


class MarianModels:
    """Converted MarianMT models as a kind: a registry whose models are chosen by their names."""

    name = KIND_NAME
    engine = ENGINE

    def named(self) -> dict[str, MarianModel]:
        """Every registered model by name, read now: one added a moment ago counts."""
        return {model.name: model for model in registered_models()}


def registered_models() -> list[MarianModel]:
    """Every registered model in the models folder, sorted by name; reading creates nothing."""
    root = models_dir()
    if root.exists() and not root.is_dir():
        raise ModelError(f"{root}: the models folder ({MODELS_DIR_ENV}) is a file, not a folder")
    if not root.is_dir():
        return []
    try:
        # not staging folders, nor folders feedbridge did not add
        folders = [f for f in sorted(root.iterdir()) if not f.name.startswith(".") and (f / RECORD_FILE).is_file()]
    except OSError as err:
        raise ModelError(f"{root}: cannot read the models folder ({err.strerror or err})")
    return [_read_record(folder) for folder in folders]


def find_model(name: str) -> MarianModel | None:
    return next((m for m in registered_models() if m.name == name), None)


def _read_record(folder: Path) -> MarianModel:
    path = folder / RECORD_FILE
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        fields = {key: record[key] for key in ("from", "to", "version", "licence", "added_from")}
        optional = {key: record.get(key) for key in RECORD_OPTIONAL}
        if not all(isinstance(value, str) for value in fields.values()):
            raise ValueError("a field is not a string")
        if not all(value is None or isinstance(value, str) for value in optional.values()):
            raise ValueError("a field is not a string")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise ModelError(f"{path}: not a readable model record ({_first_line(err)}): remove {folder} and add the model again")
    return MarianModel(
        path=folder, name=folder.name, source_lang=fields["from"], target_lang=fields["to"],
        version=fields["version"], licence=fields["licence"], added_from=fields["added_from"],
        credit=optional["attribution"], licence_url=optional["licence_url"], home=optional["home"],
    )


def add_model(
    folder: Path,
    *,
    name: str | None = None,
    source: str | None = None,
    target: str | None = None,
    licence: str | None = None,
    reserved: Collection[str] = (),
    attribution: str | None = None,
    licence_url: str | None = None,
    home: str | None = None,
    added_from: str | None = None,
) -> MarianModel:
    """Copy a converted MarianMT folder into the models folder as ``name`` (default: the
    folder's name), once a probe translation has run on the copy. A Hugging Face
    MarianMT folder is converted instead of copied (``convert_folder``).

    A converted folder does not say which languages it translates, so ``source`` and
    ``target`` default to en and ja, unless the folder holds a model record (it was
    copied out of another models folder): then they default to the record's.
    ``attribution``, ``licence_url`` and ``home`` are kept in the record for the pages
    and feeds the model translates (``MarianModel.attribution``); ``added_from`` replaces
    the folder's path there (the catalog gives where it downloaded the files from).

    The copy is built in a hidden staging folder and renamed into place with its record,
    so a failure, or a kill, at any step leaves no model listed. A bad name is a
    ConfigError; a folder that does not load and run, a ModelError naming it.
    """
    folder = Path(folder)
    name = folder.resolve().name if name is None else name
    check_name(name, reserved)
    said = _record_defaults(folder)
    source = source or said.get("from", "en")
    target = target or said.get("to", "ja")
    licence = licence or said.get("licence")
    attribution, licence_url, home = (
        given or said.get(key) for given, key in ((attribution, "attribution"), (licence_url, "licence_url"), (home, "home"))
    )
    for option, code in (("--from", source), ("--to", target)):
        if not LANG_RE.fullmatch(code):
            raise ConfigError(f"{option}: expected a language code like 'en', got {code!r}")
    if not folder.is_dir():
        raise ModelError(f"{folder}: no such folder")
    hugging_face = is_hugging_face_folder(folder)
    if hugging_face:
        check_hugging_face_folder(folder)  # before any staging: a missing file or extra is one line
    root = models_dir()
    root.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_staging(root)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=root))
    try:
        copy = staging / name
        if hugging_face:
            convert_folder(folder, copy)
        else:
            _copy_files(folder, copy)
        check_folder(copy, named=folder)
        record = {
            "format": RECORD_FORMAT, "kind": KIND_NAME, "name": name, "from": source, "to": target,
            "version": folder_version(copy), "licence": licence or find_licence(copy),
            "added_from": added_from or str(folder.resolve()),
        }
        if hugging_face:
            record["converted"] = f"{CONVERT_QUANTIZATION} by CTranslate2 {_ctranslate2_version()}'s TransformersConverter"
        extra = {"attribution": attribution, "licence_url": licence_url, "home": home}
        record.update({key: value for key, value in extra.items() if value})
        (copy / RECORD_FILE).write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        check_name(name, reserved)  # another add may have taken it meanwhile
        try:
            os.rename(copy, root / name)  # refuses a folder already there and not empty
        except OSError as err:
            raise ModelError(f"{root / name}: cannot add the model there ({err.strerror or err})")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return _read_record(root / name)


def _record_defaults(folder: Path) -> dict[str, str]:
    """What a model record in the folder gives, if there is a readable one: its languages,
    licence and attribution, which a model copied out of another models folder keeps."""
    try:
        record = json.loads((folder / RECORD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(record, dict):
        return {}
    keys = ("from", "to", "licence", *RECORD_OPTIONAL)
    said = {key: record[key] for key in keys if isinstance(record.get(key), str) and record[key]}
    if said.get("licence") == "unknown":
        del said["licence"]  # the folder's own README or LICENSE may say more
    return said


def remove_model(name: str) -> MarianModel:
    """Take a registered model out of the models folder: renamed into staging first, so it
    is unlisted at once and a kill mid-way leaves no half-deleted model listed."""
    model = find_model(name)
    if model is None:
        raise ModelError(f"no model named {name!r} in {models_dir()} (see 'feedbridge models list')")
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=models_dir()))
    os.rename(model.path, staging / model.name)
    shutil.rmtree(staging, ignore_errors=True)
    return model


def check_name(name: str, reserved: Collection[str]) -> None:
    """Refuse a name that is unusable, a kind's, or already a model's (a ConfigError)."""
    if not NAME_RE.fullmatch(name):
        raise ConfigError(
            f"{name!r} is not a usable model name: letters, digits, '.', '_' and '-', at most 64,"
            " starting with a letter or digit (give one with --name)"
        )
    if name.lower() in {r.lower() for r in (*RESERVED_NAMES, *reserved)}:
        raise ConfigError(f"{name!r} names a kind of model, not a model of its own: give another with --name")
    taken = next((m for m in registered_models() if m.name.lower() == name.lower()), None)
    if taken is not None:
        raise ConfigError(f"a model named {taken.name!r} is already added ({taken.path}): remove it first, or give another --name")


def _remove_abandoned_staging(root: Path) -> None:
    """Clear what a killed add or remove left (an hour old: surely not still running)."""
    for folder in root.glob(f"{STAGING_PREFIX}*"):
        try:
            if time.time() - folder.stat().st_mtime > ABANDONED_AFTER:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            pass  # another command's cleaning got there first


def _copy_files(folder: Path, copy: Path) -> None:
    """The folder's visible files, links followed (a Hugging Face cache links its files);
    subfolders are not part of a converted model and are left behind."""
    copy.mkdir()
    try:
        for path in sorted(folder.iterdir()):
            if not path.name.startswith(".") and path.is_file():
                shutil.copyfile(path, copy / path.name)
    except OSError as err:
        raise ModelError(f"{folder}: cannot copy {getattr(err, 'filename', None) or 'its files'} ({err.strerror or err})")


# ---------------------------------------------------------------- Hugging Face folders


def is_hugging_face_folder(folder: Path) -> bool:
    """A Hugging Face Transformers model folder rather than a converted one: no model.bin,
    and a config.json that names a ``model_type`` (a converted config.json does not)."""
    if (folder / "model.bin").exists():
        return False
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(config, dict) and "model_type" in config


def check_hugging_face_folder(folder: Path, named: Path | None = None) -> None:
    """Refuse, in one line, a Hugging Face folder that cannot be converted here: another
    kind of model, a file missing, or the converter's packages not installed."""
    named = named or folder
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    if config.get("model_type") != HF_MODEL_TYPE:
        raise ModelError(
            f"{named}: a Hugging Face {config.get('model_type')!r} model, not MarianMT ('{HF_MODEL_TYPE}'):"
            " feedbridge adds MarianMT models only"
        )
    for required in HF_REQUIRED:
        if not (folder / required).is_file():
            raise ModelError(f"{named}: missing {required} (a Hugging Face MarianMT folder holds {', '.join(HF_REQUIRED)} and its weights)")
    if not any((folder / weights).is_file() for weights in HF_WEIGHTS):
        raise ModelError(f"{named}: no weights ({' or '.join(HF_WEIGHTS)})")
    require_converter(named)


def missing_for_conversion() -> list[str]:
    """The packages converting a Hugging Face folder needs that cannot be imported."""
    missing = []
    for module in CONVERT_MODULES:
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    return missing


def require_converter(named: object) -> None:
    missing = missing_for_conversion()
    if missing:
        raise ModelError(
            f"{named}: a Hugging Face MarianMT model, which must be converted for CTranslate2, and"
            f" {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not installed: {CONVERT_INSTALL}"
        )


def convert_folder(folder: Path, out: Path) -> None:
    """Convert a Hugging Face MarianMT folder into ``out`` (which must not exist) with
    CTranslate2's TransformersConverter: int8 weights, the SentencePiece models copied,
    and the README and licence files copied too (they say the model's licence). Nothing
    is downloaded: Transformers reads the folder. A failure is one ModelError line."""
    from ctranslate2.converters import TransformersConverter

    try:
        with _quiet_transformers():
            TransformersConverter(str(folder), copy_files=["source.spm", "target.spm"]).convert(
                str(out), quantization=CONVERT_QUANTIZATION
            )
    except Exception as err:  # noqa: BLE001 - Transformers, PyTorch and the converter raise anything
        raise ModelError(f"{folder}: CTranslate2's Transformers converter failed ({_first_line(err)})")
    for name in (*README_FILES, *LICENCE_FILES):
        if (folder / name).is_file():
            shutil.copyfile(folder / name, out / name)


@contextmanager
def _quiet_transformers() -> Iterator[None]:
    """Transformers' progress bars and warnings off while it loads the model: a command
    prints its one result line."""
    from transformers.utils import logging as hf_logging

    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def _ctranslate2_version() -> str:
    import ctranslate2

    return ctranslate2.__version__


# ---------------------------------------------------------------- checking a folder


def check_folder(folder: Path, *, named: Path | None = None) -> None:
    """Refuse, with one line naming ``named`` (default: the folder), a folder that is not
    a converted MarianMT model that loads and translates: files missing, a vocabulary
    that does not fit the model or its SentencePiece models, a model CTranslate2 cannot
    load or run. Quality is not judged."""
    named = named or folder
    for required in REQUIRED_FILES:
        if not (folder / required).is_file():
            raise ModelError(
                f"{named}: missing {required} (a converted MarianMT folder holds"
                f" {', '.join(REQUIRED_FILES)} and its vocabulary)"
            )
    # config.json, the vocabularies and model.bin, and their sizes against each other
    source_vocabulary, target_vocabulary = check_model_files(folder, str(named))
    for file, tokens in (source_vocabulary, target_vocabulary):
        if EOS not in tokens:
            raise ModelError(f"{named}: {file} has no '{EOS}': not a MarianMT vocabulary")
    pieces = _Pieces(folder, named)
    for spm_name, processor, (file, tokens) in (
        ("source.spm", pieces.source, source_vocabulary), ("target.spm", pieces.target, target_vocabulary),
    ):
        _check_pieces(named, spm_name, processor, file, set(tokens))
    _probe(folder, named, pieces)


def _check_pieces(named: Path, spm_name: str, processor, vocabulary_file: str, vocabulary: set[str]) -> None:
    """Most of a SentencePiece model's pieces must be in its side's vocabulary: a Marian
    vocabulary is made of them, and another model's would turn the text into <unk>."""
    pieces = [
        processor.id_to_piece(i) for i in range(processor.get_piece_size())
        if not (processor.is_control(i) or processor.is_unknown(i))
    ]
    known = sum(piece in vocabulary for piece in pieces)
    if pieces and known < MIN_PIECES_IN_VOCABULARY * len(pieces):
        raise ModelError(
            f"{named}: only {known} of {spm_name}'s {len(pieces)} pieces are in {vocabulary_file}:"
            " they are not the same model's"
        )


def _probe(folder: Path, named: Path, pieces: _Pieces) -> None:
    """Load the model as a run does and translate one short sentence, decoded."""
    try:
        translator = load_model(folder, "cpu", workers=1, threads=1)
    except ModelError as err:  # raised while handling CTranslate2's own error, which says what is wrong
        raise ModelError(f"{named}: CTranslate2 cannot load the model ({_first_line(err.__context__ or err)})")
    try:
        result = translator.translate_batch(
            [pieces.encode(PROBE_SENTENCE)], beam_size=1, max_decoding_length=PROBE_MAX_TOKENS,
        )
        pieces.decode(result[0].hypotheses[0])
    except (RuntimeError, ValueError, IndexError, OSError) as err:
        raise ModelError(f"{named}: the probe translation failed ({_first_line(err)})")


# ---------------------------------------------------------------- version and licence


def folder_version(folder: Path) -> str:
    """A short hash over every file that decides a translation, each with its name:
    model.bin alone would let a model with a changed vocabulary or target.spm pass for
    the one before, and take its translations from the memory."""
    digest = hashlib.sha256()
    for name in VERSIONED_FILES:
        path = folder / name
        if path.is_file():
            digest.update(name.encode() + b"\0")
            with open(path, "rb") as stream:
                while chunk := stream.read(1 << 20):
                    digest.update(chunk)
            digest.update(b"\0")
    return digest.hexdigest()[:8]


def find_licence(folder: Path) -> str:
    """What the folder says of its licence: a README's ``license:`` (a model card's front
    matter) or ``Licence:`` line, else a LICENSE file's first line, else "unknown"."""
    for name in README_FILES:
        for line in _lines(folder / name, 60):
            match = re.match(r"(?i)\**licen[cs]e\**\s*:\s*(.+)", line)
            if match:
                return _short(match.group(1).strip("*` "))
    for name in LICENCE_FILES:
        lines = _lines(folder / name, 1)
        if lines:
            return _short(lines[0])
    return "unknown"


def _lines(path: Path, count: int) -> list[str]:
    """The first ``count`` non-empty lines, stripped; none for a missing or binary file."""
    try:
        with open(path, encoding="utf-8") as stream:
            lines = []
            for line in stream:
                if line.strip():
                    lines.append(line.strip())
                    if len(lines) == count:
                        break
            return lines
    except (OSError, UnicodeDecodeError):
        return []


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
