"""Argos Translate packages: list, install from a file, install from the argos index.

argostranslate reads its folders and index URL from the environment once, at import
time. feedbridge reads ``ARGOS_PACKAGES_DIR`` and ``ARGOS_PACKAGE_INDEX`` at call
time and points argos's settings at them, so tests and CI can move both.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from feedbridge.errors import ModelError
from feedbridge.translate.ct2 import check_model_files, first_line, load_bpe, load_sentencepiece

PACKAGES_DIR_ENV = "ARGOS_PACKAGES_DIR"
PACKAGE_INDEX_ENV = "ARGOS_PACKAGE_INDEX"
STAGING_PREFIX = ".installing-"  # folders an install is building; never listed as packages
DEFAULT_PACKAGE_INDEX = "https://raw.githubusercontent.com/argosopentech/argospm-index/main/"
INDEX_TIMEOUT = 30.0


@dataclass(frozen=True)
class InstalledPackage:
    """What the translation engine needs of an installed argos package."""

    path: Path
    code: str  # argospm name, e.g. "translate-en_ja"
    version: str
    source_lang: str
    target_lang: str
    target_name: str
    target_prefix: str

    @property
    def model_dir(self) -> Path:
        return self.path / "model"

    @property
    def sentencepiece_model(self) -> Path | None:
        path = self.path / "sentencepiece.model"
        return path if path.exists() else None

    @property
    def provenance(self) -> str:
        return f"{self.code} {self.version}"


def packages_dir() -> Path:
    """Where packages live: ``ARGOS_PACKAGES_DIR``, else argos's own default."""
    if os.environ.get(PACKAGES_DIR_ENV):
        return Path(os.environ[PACKAGES_DIR_ENV])
    return _argos_settings().package_data_dir


def package_index_url() -> str:
    url = os.environ.get(PACKAGE_INDEX_ENV) or DEFAULT_PACKAGE_INDEX
    return url if url.endswith("/") else url + "/"


def _argos_settings():
    """argos's settings module. Importing it creates its folders, the packages folder
    among them: a ``ARGOS_PACKAGES_DIR`` that names a file, or a folder that cannot be
    created, is a ModelError here, not a traceback from the import."""
    if os.environ.get(PACKAGES_DIR_ENV):
        _refuse_a_file(Path(os.environ[PACKAGES_DIR_ENV]))
    try:
        from argostranslate import settings
    except OSError as err:
        raise ModelError(f"{err.filename or 'Argos Translate'}: Argos Translate cannot create its folders there"
                         f" ({err.strerror or err}); set {PACKAGES_DIR_ENV} to a folder you can write to")
    return settings


def _refuse_a_file(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise ModelError(f"{folder}: the Argos packages folder ({PACKAGES_DIR_ENV}) is a file, not a folder")


def _point_argos_at_our_folders():
    """Aim argos's module-level settings at the folders chosen now, not at import time."""
    settings = _argos_settings()
    folder = Path(os.environ[PACKAGES_DIR_ENV]) if os.environ.get(PACKAGES_DIR_ENV) else settings.package_data_dir
    _refuse_a_file(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ModelError(f"{folder}: cannot create the Argos packages folder ({err.strerror or err})")
    settings.package_data_dir = folder
    settings.package_dirs = [folder]
    settings.remote_package_index = package_index_url() + "index.json"
    from argostranslate import package

    return package


def installed_packages() -> list[InstalledPackage]:
    """Every translate package in the packages folder, sorted by language pair; a folder
    that is no readable package is a ModelError naming it (its files are not checked:
    see ``check_package``)."""
    _point_argos_at_our_folders()
    root = packages_dir()
    try:
        folders = [f for f in sorted(root.iterdir()) if not f.name.startswith(".") and f.is_dir()]
    except OSError as err:
        raise ModelError(f"{root}: cannot read the Argos packages folder ({err.strerror or err})")
    found = [package for package in map(_read_package, folders) if package is not None]
    return sorted(found, key=lambda p: (p.source_lang, p.target_lang, p.code))


def installed_pairs() -> frozenset[tuple[str, str]]:
    return frozenset((p.source_lang, p.target_lang) for p in installed_packages())


def find_package(source: str, target: str, *, checked: bool = True) -> InstalledPackage | None:
    """The installed package for a pair, or None. ``checked``: its tokenizer and model
    files are checked too (``check_package``), so a damaged one is a ModelError naming
    it rather than a failure at its first translation."""
    found = next(
        (p for p in installed_packages() if (p.source_lang, p.target_lang) == (source, target)),
        None,
    )
    if found is not None and checked:
        check_package(found)
    return found


def check_package(package: InstalledPackage) -> None:
    """Refuse, with one ModelError line naming the package's folder, a package whose
    tokenizer does not load or whose CTranslate2 model's files are missing, cut short,
    replaced or not of one model (``ct2.check_model_files``). Quick: the model is not
    loaded into CTranslate2 (a build loads it when it first translates, and turns a
    failure there into the same kind of line)."""
    named = str(package.path)
    if package.sentencepiece_model is not None:
        load_sentencepiece(package.sentencepiece_model, named)
    elif (package.path / "bpe.model").is_file():
        load_bpe(package.path / "bpe.model", package.source_lang, package.target_lang, named)
    else:
        raise ModelError(f"{named}: no sentencepiece.model or bpe.model")
    check_model_files(package.model_dir, named, "model/")


def require_package(source: str, target: str) -> InstalledPackage:
    """The installed package for a pair, or an error that says which command installs it."""
    found = find_package(source, target)
    if found is None:
        raise ModelError(
            f"no Argos Translate package for {source}->{target} in {packages_dir()}: "
            f"run 'feedbridge models install {source} {target}' "
            f"(or 'feedbridge models install --file PACKAGE.argosmodel' offline)"
        )
    return found


def install_from_file(archive: Path, expected_pair: tuple[str, str] | None = None) -> InstalledPackage:
    """Check an .argosmodel, unpack it with argos into a staging folder, prove it loads,
    then swap it in for the same pair's package.

    A failure at any step leaves the packages folder as it was: never half-installed.
    """
    archive = Path(archive)
    metadata = _check_archive(archive)
    pair = (metadata["from_code"], metadata["to_code"])
    if expected_pair is not None and pair != expected_pair:
        raise ModelError(
            f"{archive}: a package for {pair[0]}->{pair[1]}, expected {expected_pair[0]}->{expected_pair[1]}"
        )
    package = _point_argos_at_our_folders()
    root = packages_dir()
    _remove_abandoned_staging(root)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=root))
    try:
        unpacked = _unpack_with_argos(package, archive, staging)
        _check_loads(package.Package(unpacked), archive)
        target = _swap_in(unpacked, find_package(*pair, checked=False), root, staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    installed = _read_package(target)
    assert installed is not None  # _check_loads refused every other type of package
    return installed


def _remove_abandoned_staging(root: Path) -> None:
    """Clear what an install killed mid-way left (an hour old: surely not still running)."""
    for folder in root.glob(f"{STAGING_PREFIX}*"):
        if time.time() - folder.stat().st_mtime > 3600:
            shutil.rmtree(folder, ignore_errors=True)


def _unpack_with_argos(package, archive: Path, staging: Path) -> Path:
    """argos's own install, aimed at an empty staging folder instead of the live one."""
    settings = _argos_settings()
    live = settings.package_data_dir
    settings.package_data_dir = staging
    try:
        package.install_from_path(archive)
    except Exception as err:  # argos raises bare Exception; the message is all we can add
        raise ModelError(f"{archive}: install failed: {err}")
    finally:
        settings.package_data_dir = live
    return next(p for p in staging.iterdir() if p.is_dir())


def _check_loads(pkg, archive: Path) -> None:
    """Load the tokenizer and the model once, so a broken package is refused before it is live."""
    import ctranslate2

    if pkg.type != "translate":
        raise ModelError(f"{archive}: not a translation package (type {pkg.type!r})")
    try:
        pkg.tokenizer.encode("test")
        check_model_files(Path(pkg.package_path) / "model", "model")
        ctranslate2.Translator(str(Path(pkg.package_path) / "model"), device="cpu")
    except Exception as err:  # sentencepiece and ctranslate2 raise RuntimeError, OSError, ...
        raise ModelError(f"{archive}: the package's model or tokenizer does not load ({first_line(err)})")


def _swap_in(unpacked: Path, replaced: InstalledPackage | None, root: Path, staging: Path) -> Path:
    """Move the old package aside, the new one in, then drop the old; undo on failure."""
    target = root / unpacked.name
    retired = staging / "retired"
    if replaced is not None:
        os.replace(replaced.path, retired)
    try:
        if target.exists():
            raise ModelError(f"{target} already holds another language pair's package")
        os.replace(unpacked, target)
    except (OSError, ModelError):
        if replaced is not None:
            os.replace(retired, replaced.path)
        raise
    return target


def install_from_index(source: str, target: str) -> InstalledPackage:
    """Download the argos package index, then the pair's package, and install it."""
    package = _point_argos_at_our_folders()
    settings = _argos_settings()
    index_url = settings.remote_package_index
    index = _download(index_url, "the Argos package index")
    try:
        entries = json.loads(index)
        if not isinstance(entries, list):
            raise ValueError("not a JSON list")
    except ValueError as err:
        raise ModelError(f"{index_url}: not an Argos package index ({err})")
    Path(settings.local_package_index).parent.mkdir(parents=True, exist_ok=True)
    Path(settings.local_package_index).write_bytes(index)

    available = [
        p for p in package.get_available_packages()
        if (p.from_code, p.to_code) == (source, target) and getattr(p, "type", "translate") == "translate"
    ]
    if not available:
        raise ModelError(f"{index_url}: the index has no package for {source}->{target}")
    chosen = max(available, key=lambda p: _version_key(p.package_version))
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / f"translate-{source}_{target}.argosmodel"
        archive.write_bytes(_download_first(chosen.links, f"the {source}->{target} package"))
        return install_from_file(archive, expected_pair=(source, target))


def _download_first(urls: list[str], what: str) -> bytes:
    if not urls:
        raise ModelError(f"the package index lists no download link for {what}")
    errors = []
    for url in urls:
        try:
            return _download(url, what)
        except ModelError as err:
            errors.append(str(err))
    raise ModelError(errors[-1])


def _download(url: str, what: str) -> bytes:
    from feedbridge import __version__

    request = urllib.request.Request(url, headers={"User-Agent": f"feedbridge/{__version__}"})
    try:
        with urllib.request.urlopen(request, timeout=INDEX_TIMEOUT) as response:
            return response.read()
    except urllib.error.HTTPError as err:
        raise ModelError(f"cannot download {what} from {url}: HTTP {err.code} {err.reason}")
    except (urllib.error.URLError, OSError) as err:
        from feedbridge.fetch import network_reason  # the fetcher's words for the same failure

        raise ModelError(f"cannot reach {what} at {url}: {network_reason(err)}")


def _check_archive(archive: Path) -> dict:
    """Refuse an archive argos would half-install: not a zip, no metadata, no model."""
    if not archive.is_file():
        raise ModelError(f"{archive}: no such package file")
    if not zipfile.is_zipfile(archive):
        raise ModelError(f"{archive}: not an .argosmodel (not a zip archive)")
    try:
        with zipfile.ZipFile(archive) as zf:
            names = zf.namelist()
            tops = {name.split("/", 1)[0] for name in names}
            if len(tops) != 1:
                raise ModelError(f"{archive}: expected one top-level folder, found {len(tops)}")
            top = tops.pop()
            if any(name.startswith("/") or ".." in name.split("/") for name in names):
                raise ModelError(f"{archive}: refuses to install: a path leaves the package folder")
            for required in ("metadata.json", "model/model.bin"):
                if f"{top}/{required}" not in names:
                    raise ModelError(f"{archive}: missing {required}")
            if f"{top}/sentencepiece.model" not in names and f"{top}/bpe.model" not in names:
                raise ModelError(f"{archive}: missing a tokenizer (sentencepiece.model or bpe.model)")
            bad = zf.testzip()
            if bad is not None:
                raise ModelError(f"{archive}: corrupt member {bad}")
            metadata = json.loads(zf.read(f"{top}/metadata.json"))
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        raise ModelError(f"{archive}: unreadable package ({err})")
    if not isinstance(metadata, dict) or not metadata.get("from_code") or not metadata.get("to_code"):
        raise ModelError(f"{archive}: metadata.json lacks from_code/to_code")
    return metadata


# metadata.json's fields feedbridge reads: those a translate package must have, and those it may
METADATA_REQUIRED = ("from_code", "to_code")
METADATA_OPTIONAL = ("type", "code", "package_version", "to_name", "target_prefix")


def _read_package(folder: Path) -> InstalledPackage | None:
    """The package in a folder, from its metadata.json read strictly; None when it is
    not a translation package. Anything else is a ModelError naming the folder."""
    path = folder / "metadata.json"
    problem = None
    try:
        metadata = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problem = "it has no metadata.json"
    except OSError as err:
        problem = f"cannot read metadata.json: {err.strerror or err}"
    except ValueError as err:  # a UnicodeDecodeError too
        problem = f"metadata.json is not JSON: {first_line(err)}"
    else:
        problem = _metadata_problem(metadata)
    if problem is not None:
        raise ModelError(f"{folder}: not a readable Argos Translate package ({problem})")
    if metadata.get("type", "translate") != "translate":
        return None
    return InstalledPackage(
        path=folder,
        code=metadata.get("code") or f"translate-{metadata['from_code']}_{metadata['to_code']}",
        version=metadata.get("package_version") or "0",
        source_lang=metadata["from_code"],
        target_lang=metadata["to_code"],
        target_name=metadata.get("to_name") or metadata["to_code"],
        target_prefix=metadata.get("target_prefix") or "",
    )


def _metadata_problem(metadata) -> str | None:
    """What is wrong with a package's parsed metadata.json, in words; None if nothing."""
    if not isinstance(metadata, dict):
        return f"metadata.json is not a JSON object but {type(metadata).__name__}"
    for key in METADATA_OPTIONAL:
        if metadata.get(key) is not None and not isinstance(metadata[key], str):
            return f"metadata.json: {key} is not a string but {metadata[key]!r:.40}"
    if metadata.get("type", "translate") != "translate":
        return None
    for key in METADATA_REQUIRED:
        value = metadata.get(key)
        if value is None:
            return f"metadata.json: {key} is missing"
        if not isinstance(value, str) or not value.strip():
            return f"metadata.json: {key} is not a language code but {value!r:.40}"
    return None


def _version_key(version: str) -> tuple:
    from packaging.version import InvalidVersion, Version

    try:
        return (1, Version(version))
    except InvalidVersion:
        return (0, version)
