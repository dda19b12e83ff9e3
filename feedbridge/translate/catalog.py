"""Known MarianMT models, installed by name: ``feedbridge models install fugumt``.

The catalog says, for each model, where its files are published (a CTranslate2
conversion where one is, else the Hugging Face files, converted on the way in by
``marian.convert_folder``), its language pair, its licence and the attribution that
licence asks for, and its approximate size. ``$FEEDBRIDGE_MODEL_CATALOG`` replaces the
built-in catalog with a JSON file of the same shape (a path, or an http(s) URL), as
``$ARGOS_PACKAGE_INDEX`` replaces the Argos index: tests serve one on 127.0.0.1, and a
mirror can serve its own.

An install downloads every file through feedbridge's ``Fetcher`` (deadlines, retries,
a size limit) into a hidden staging folder of the models folder, checks each file's
size and SHA-256 against the catalog (when it gives them) and against what was recorded
the first time the same URL was downloaded, then hands the folder to
``marian.add_model``, which converts or copies it, runs a probe translation and renames
the model into place. The sizes and checksums of a successful install are recorded in
``<models folder>/catalog-downloads.json``; a later download of the same URL that differs
is refused. Any failure is one ModelError line, and the staging folder goes: nothing is
ever half-installed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from feedbridge import __version__
from feedbridge.atomicfile import write_atomic
from feedbridge.config import LANG_RE
from feedbridge.errors import FeedbridgeError, ModelError
from feedbridge.fetch import Fetcher, FetchSettings
from feedbridge.translate import marian
from feedbridge.translate.ct2 import first_line

CATALOG_ENV = "FEEDBRIDGE_MODEL_CATALOG"
CATALOG_FORMAT = 1
DOWNLOADS_FILE = "catalog-downloads.json"  # sizes and checksums of the first download of each URL
DOWNLOADS_FORMAT = 1
FORMS = ("ctranslate2", "huggingface")  # a converted folder, or Hugging Face files to convert
MAX_FILE_BYTES = 4 * 2**30  # a file whose size nobody has said yet is refused past this
MAX_CATALOG_BYTES = 2**20
FILE_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
SHA256_RE = re.compile(r"[0-9a-f]{64}")

# How model files are downloaded: patient (a file is hundreds of MB), still bounded.
DOWNLOAD = FetchSettings(
    user_agent=f"feedbridge/{__version__} (model download)",
    timeout=60.0,  # seconds without a byte
    retries=3,
    backoff=5.0,
    min_interval=1.0,
    max_bytes=MAX_FILE_BYTES,
    request_deadline=3600.0,  # one file: an hour
    run_deadline=None,
    accept="*/*",
)

_HF = "https://huggingface.co"
_CC_BY_SA_4 = "https://creativecommons.org/licenses/by-sa/4.0/"

# The built-in catalog. Licences and sources: ../shared/research/models.md and the models'
# cards. No size or checksum is given for a file here: none was verified against the
# published bytes, so each is recorded on its first download and checked on every later one.
BUILTIN = {
    "format": CATALOG_FORMAT,
    "models": {
        "fugumt": {
            "title": "FuguMT en-ja (staka/fugumt-en-ja)",
            "from": "en",
            "to": "ja",
            "licence": "CC BY-SA 4.0",
            "licence_url": _CC_BY_SA_4,
            "attribution": (
                f"Translations by FuguMT (staka/fugumt-en-ja, {_HF}/staka/fugumt-en-ja), CC BY-SA 4.0,"
                " in jkawamoto's CTranslate2 conversion"
            ),
            "home": f"{_HF}/staka/fugumt-en-ja",
            "approx_mb": 154,  # the Hugging Face weights; the conversion's size is recorded at its first download
            "summary": (
                "MarianMT trained on about 6.6M sentence pairs (JESC, KFTT, Tanaka, JSNLI, WikiMatrix, ...);"
                " its card reports BLEU 32.7 on 500 Tatoeba sentences"
            ),
            "form": "ctranslate2",
            "files": [
                {"name": name, "url": f"{_HF}/jkawamoto/fugumt-en-ja-ct2/resolve/main/{name}"}
                for name in ("config.json", "model.bin", "shared_vocabulary.json", "source.spm", "target.spm")
            ],
        },
        "elanmt": {
            "title": "ElanMT-BT en-ja (Mitsua/elan-mt-bt-en-ja)",
            "from": "en",
            "to": "ja",
            "licence": "CC BY-SA 4.0",
            "licence_url": _CC_BY_SA_4,
            "attribution": (
                f"Translations by ElanMT-BT-en-ja ({_HF}/Mitsua/elan-mt-bt-en-ja) by ELAN MITSUA Project /"
                " Abstract Engine, CC BY-SA 4.0"
            ),
            "home": f"{_HF}/Mitsua/elan-mt-bt-en-ja",
            "approx_mb": 240,  # float32 safetensors of about 60M parameters (6+6 layers, d_model 512, 32,001 tokens)
            "summary": (
                "MarianMT, 6 layers, trained only on openly licensed corpora (no web crawl, no machine-translated"
                " data); its card says 'comparable to available open models'"
            ),
            "form": "huggingface",
            "files": [
                {"name": name, "url": f"{_HF}/Mitsua/elan-mt-bt-en-ja/resolve/main/{name}"}
                for name in (
                    "config.json", "generation_config.json", "model.safetensors", "source.spm", "target.spm",
                    "special_tokens_map.json", "tokenizer_config.json", "vocab.json", "README.md",
                )
            ],
        },
    },
}

# What each form's files must include for marian.add_model to take them.
_FORM_NEEDS = {
    "ctranslate2": (marian.REQUIRED_FILES, ()),
    "huggingface": (marian.HF_REQUIRED, marian.HF_WEIGHTS),  # every one of the first; one of the second
}
_MODEL_KEYS = {"title", "from", "to", "licence", "licence_url", "attribution", "home", "approx_mb", "summary",
               "form", "files"}
_MODEL_REQUIRED = {"title", "from", "to", "licence", "attribution", "form", "files"}
_FILE_KEYS = {"name", "url", "size", "sha256"}


@dataclass(frozen=True)
class CatalogFile:
    name: str  # its name in the model folder
    url: str
    size: int | None = None  # bytes, when the catalog says
    sha256: str | None = None


@dataclass(frozen=True)
class CatalogModel:
    """One model the catalog knows: where it comes from, and on what terms."""

    name: str  # what 'models install' and translation.model call it
    title: str
    source_lang: str
    target_lang: str
    licence: str
    attribution: str  # what the site and the feeds say of it
    form: str  # one of FORMS
    files: tuple[CatalogFile, ...]
    licence_url: str | None = None
    home: str | None = None
    approx_mb: int | None = None  # the download's approximate size, for people
    summary: str | None = None

    @property
    def needs_conversion(self) -> bool:
        return self.form == "huggingface"

    def line(self) -> str:
        """One line for 'models catalog'."""
        size = f"about {self.approx_mb} MB" if self.approx_mb else "size unknown"
        how = "Hugging Face files, converted at install (needs feedbridge[convert])" if self.needs_conversion \
            else "a CTranslate2 conversion"
        return (f"{self.name}  {self.source_lang}->{self.target_lang}  {self.title}  licence: {self.licence}"
                f"  {size}, {how}")

    def hint(self) -> str:
        """The advice for someone on the default model of this pair."""
        return (f"{self.title} ({self.licence}) translates {self.source_lang}->{self.target_lang} better than the"
                f" Argos package: 'feedbridge models install {self.name}', then 'model: {self.name}'")


# ---------------------------------------------------------------- reading a catalog


def catalog_location() -> str | None:
    """``$FEEDBRIDGE_MODEL_CATALOG`` (a path or an http(s) URL), or None for the built-in one."""
    return os.environ.get(CATALOG_ENV) or None


def builtin_catalog() -> dict[str, CatalogModel]:
    return parse_catalog(BUILTIN, "feedbridge's built-in model catalog")


def load_catalog(settings: FetchSettings | None = None) -> dict[str, CatalogModel]:
    """The catalog's models by name: ``$FEEDBRIDGE_MODEL_CATALOG``'s (downloaded when it is
    a URL), else the built-in one. A catalog that cannot be read, or says anything it
    should not, is one ModelError naming it and, for a wrong value, its key path."""
    where = catalog_location()
    if where is None:
        return builtin_catalog()
    if where.lower().startswith(("http://", "https://")):
        fetcher = Fetcher(replace(settings or DOWNLOAD, max_bytes=MAX_CATALOG_BYTES), None)
        try:
            body = fetcher.fetch(where).body
        except FeedbridgeError as err:
            raise ModelError(f"cannot read the model catalog ({CATALOG_ENV}): {err}")
        finally:
            fetcher.close()
    else:
        try:
            body = Path(where).read_bytes()
        except OSError as err:
            raise ModelError(f"{where}: cannot read the model catalog ({CATALOG_ENV}): {err.strerror or err}")
    try:
        data = json.loads(body)
    except ValueError as err:
        raise ModelError(f"{where}: the model catalog is not JSON ({first_line(err)})")
    return parse_catalog(data, where)


def parse_catalog(data: Any, where: str) -> dict[str, CatalogModel]:
    """Strictly: unknown keys refused, every error naming ``where`` and the key path."""

    def wrong(key: str, expected: str, got: Any) -> ModelError:
        shown = json.dumps(got, ensure_ascii=False)
        shown = shown if len(shown) <= 80 else shown[:79] + "…"
        return ModelError(f"{where}: {key}: expected {expected}, got {shown}")

    if not isinstance(data, dict):
        raise wrong("the catalog", "a JSON object with 'format' and 'models'", data)
    unknown = sorted(set(data) - {"format", "models"})
    if unknown:
        raise wrong(unknown[0], "no such key (a catalog has 'format' and 'models')", data[unknown[0]])
    if data.get("format") != CATALOG_FORMAT:
        raise wrong("format", f"{CATALOG_FORMAT}, the catalog format this feedbridge reads", data.get("format"))
    models = data.get("models")
    if not isinstance(models, dict) or not models:
        raise wrong("models", "an object of models by name", models)
    return {name: _parse_model(name, entry, wrong) for name, entry in models.items()}


def _parse_model(name: str, entry: Any, wrong: Callable[..., ModelError]) -> CatalogModel:
    key = f"models.{name}"
    if not marian.NAME_RE.fullmatch(name) or name.lower() in marian.RESERVED_NAMES:
        raise wrong(key, "a model name: letters, digits, '.', '_' and '-', not 'argos' or 'marian'", name)
    if not isinstance(entry, dict):
        raise wrong(key, "an object", entry)
    for field in sorted(entry):
        if field not in _MODEL_KEYS:
            raise wrong(f"{key}.{field}", f"no such key (one of {', '.join(sorted(_MODEL_KEYS))})", entry[field])
    for field in sorted(_MODEL_REQUIRED - set(entry)):
        raise wrong(f"{key}.{field}", "a value (it is required)", None)

    def text(field: str, optional: bool = False) -> str | None:
        value = entry.get(field)
        if optional and value is None:
            return None
        if not isinstance(value, str) or not value.strip() or "\n" in value:
            raise wrong(f"{key}.{field}", "one line of text", value)
        return value

    for field in ("from", "to"):
        if not isinstance(entry[field], str) or not LANG_RE.fullmatch(entry[field]):
            raise wrong(f"{key}.{field}", "a language code like 'en'", entry[field])
    for field in ("licence_url", "home"):
        if entry.get(field) is not None and not _is_web_url(entry[field]):
            raise wrong(f"{key}.{field}", "an http(s) URL", entry[field])
    approx = entry.get("approx_mb")
    if approx is not None and (not isinstance(approx, int) or isinstance(approx, bool) or approx <= 0):
        raise wrong(f"{key}.approx_mb", "a whole number of MB above 0", approx)
    if entry["form"] not in FORMS:
        raise wrong(f"{key}.form", f"one of {', '.join(FORMS)}", entry["form"])
    files = _parse_files(key, entry["files"], entry["form"], wrong)
    return CatalogModel(
        name=name, title=text("title"), source_lang=entry["from"], target_lang=entry["to"], licence=text("licence"),
        attribution=text("attribution"), form=entry["form"], files=files, licence_url=entry.get("licence_url"),
        home=entry.get("home"), approx_mb=approx, summary=text("summary", optional=True),
    )


def _parse_files(key: str, files: Any, form: str, wrong: Callable[..., ModelError]) -> tuple[CatalogFile, ...]:
    if not isinstance(files, list) or not files:
        raise wrong(f"{key}.files", "a list of files", files)
    parsed: list[CatalogFile] = []
    for index, item in enumerate(files):
        at = f"{key}.files[{index}]"
        if not isinstance(item, dict):
            raise wrong(at, "an object with 'name' and 'url'", item)
        for field in sorted(item):
            if field not in _FILE_KEYS:
                raise wrong(f"{at}.{field}", f"no such key (one of {', '.join(sorted(_FILE_KEYS))})", item[field])
        name, url, size, sha256 = (item.get(field) for field in ("name", "url", "size", "sha256"))
        if not isinstance(name, str) or not FILE_NAME_RE.fullmatch(name) or name == marian.RECORD_FILE:
            raise wrong(f"{at}.name", "a file name (no folders)", name)
        if any(f.name == name for f in parsed):
            raise wrong(f"{at}.name", "a name no other file of the model has", name)
        if not _is_web_url(url):
            raise wrong(f"{at}.url", "an http(s) URL", url)
        if size is not None and (not isinstance(size, int) or isinstance(size, bool) or not 0 < size <= MAX_FILE_BYTES):
            raise wrong(f"{at}.size", f"a size in bytes, 1 to {MAX_FILE_BYTES}", size)
        if sha256 is not None and (not isinstance(sha256, str) or not SHA256_RE.fullmatch(sha256)):
            raise wrong(f"{at}.sha256", "64 lowercase hex digits", sha256)
        parsed.append(CatalogFile(name, url, size, sha256))
    every, one_of = _FORM_NEEDS[form]
    names = {f.name for f in parsed}
    for needed in every:
        if needed not in names:
            raise wrong(f"{key}.files", f"a file named {needed} (a {form} model needs it)", sorted(names))
    if one_of and not names & set(one_of):
        raise wrong(f"{key}.files", f"a weights file ({' or '.join(one_of)})", sorted(names))
    return tuple(parsed)


def _is_web_url(value: Any) -> bool:
    return isinstance(value, str) and value.lower().startswith(("http://", "https://")) and not any(
        c.isspace() for c in value
    )


def better_models(source: str, target: str) -> list[CatalogModel]:
    """The built-in catalog's models for a pair, in its order: advice for ``init`` and
    ``doctor``, which read no environment and make no connection."""
    return [m for m in builtin_catalog().values() if (m.source_lang, m.target_lang) == (source, target)]


# ---------------------------------------------------------------- installing


def install(
    model: CatalogModel,
    *,
    reserved: Collection[str] = (),
    settings: FetchSettings | None = None,
    log: Callable[[str], None] = lambda line: None,
) -> marian.MarianModel:
    """Download ``model``'s files, check them, and add them as a MarianMT model named after
    it (``marian.add_model``: converted if they are Hugging Face files, probed, renamed into
    place). Refused before any download: a name already taken, or Hugging Face files
    without the converter installed. Every failure is one ModelError (or ConfigError for
    the name) and leaves the models folder as it was, apart from a first install's
    checksums, which are only recorded once the model is in."""
    marian.check_name(model.name, reserved)
    if model.needs_conversion:
        marian.require_converter(f"{model.name} ({model.title})")
    root = marian.models_dir()
    record = Downloads(root / DOWNLOADS_FILE)
    known = record.read()
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=marian.STAGING_PREFIX, dir=root))
    try:
        folder = staging / model.name
        folder.mkdir()
        fetched = {}
        for number, file in enumerate(model.files, 1):
            size = file.size or known.get(file.url, {}).get("size")
            shown = f", {size / 1e6:.1f} MB" if size else ""
            log(f"{model.name}: downloading {file.name} ({number} of {len(model.files)}{shown}) from {file.url}")
            body = _download(model, file, known.get(file.url), settings or DOWNLOAD)
            (folder / file.name).write_bytes(body)
            fetched[file.url] = {"model": model.name, "name": file.name, "size": len(body),
                                 "sha256": hashlib.sha256(body).hexdigest()}
            del body  # one file in memory at a time
        os.utime(staging)  # a long download must not pass for an abandoned staging folder
        if model.needs_conversion:
            log(f"{model.name}: converting the Hugging Face files for CTranslate2 ({marian.CONVERT_QUANTIZATION})")
        added = marian.add_model(
            folder, name=model.name, source=model.source_lang, target=model.target_lang, licence=model.licence,
            reserved=reserved, attribution=model.attribution, licence_url=model.licence_url, home=model.home,
            added_from=model.home or model.files[0].url,
        )
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    record.add(fetched)
    return added


def _download(model: CatalogModel, file: CatalogFile, first: Mapping | None, settings: FetchSettings) -> bytes:
    """One file's bytes, refused unless they are the size and SHA-256 the catalog says,
    and those of the first download of the same URL. A size known beforehand is the
    fetch's limit too: a longer body is cut off, not read whole."""
    limit = file.size or (first or {}).get("size") or settings.max_bytes
    what = f"{model.name}'s {file.name}"
    fetcher = Fetcher(replace(settings, max_bytes=limit), None)  # no cache: a model is not a feed
    try:
        body = fetcher.fetch(file.url).body
    except FeedbridgeError as err:
        raise ModelError(f"cannot download {what}: {err}")
    finally:
        fetcher.close()
    digest = hashlib.sha256(body).hexdigest()
    if file.size is not None and len(body) != file.size:
        raise ModelError(f"{file.url}: {what} is {len(body)} bytes, the catalog says {file.size}: refused")
    if file.sha256 is not None and digest != file.sha256:
        raise ModelError(f"{file.url}: {what} has SHA-256 {digest}, the catalog says {file.sha256}: refused")
    if first is not None and (len(body), digest) != (first.get("size"), first.get("sha256")):
        raise ModelError(
            f"{file.url}: {what} is not the file first downloaded on {first.get('first_downloaded', '?')}"
            f" ({first.get('size')} bytes, SHA-256 {first.get('sha256')}; now {len(body)} bytes, {digest}): refused."
            f" If its publisher changed it on purpose, remove its entry from {marian.models_dir() / DOWNLOADS_FILE}"
        )
    return body


class Downloads:
    """``catalog-downloads.json``: each downloaded URL's size and SHA-256, from its first
    successful install. A damaged file is an error, never a reason to stop checking."""

    def __init__(self, path: Path):
        self.path = path

    def read(self) -> dict[str, dict]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as err:
            raise self._unreadable(first_line(err))
        files = data.get("files") if isinstance(data, dict) and data.get("format") == DOWNLOADS_FORMAT else None
        if not isinstance(files, dict) or not all(
            isinstance(entry, dict) and isinstance(entry.get("size"), int) and isinstance(entry.get("sha256"), str)
            for entry in files.values()
        ):
            raise self._unreadable("not the format this feedbridge writes")
        return files

    def add(self, fetched: Mapping[str, dict]) -> None:
        files = self.read()
        today = datetime.now(timezone.utc).date().isoformat()
        for url, entry in fetched.items():
            files.setdefault(url, {**entry, "first_downloaded": today})
        text = json.dumps({"format": DOWNLOADS_FORMAT, "files": dict(sorted(files.items()))}, indent=1)
        write_atomic(self.path, (text + "\n").encode("utf-8"))

    def _unreadable(self, why: str) -> ModelError:
        return ModelError(
            f"{self.path}: the record of model downloads is unreadable ({why}); remove it to start a new record"
            " (the checksums of earlier downloads are then forgotten)"
        )
