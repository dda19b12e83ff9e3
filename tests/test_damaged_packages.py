"""A translation package or model damaged after it was installed is one line and exit 3.

Each file of the installed tiny Argos package, and of the added toy MarianMT model, cut
short, replaced or removed; a packages folder that is a file or cannot be read. The
library says what is wrong in one ModelError line naming the package's folder, whether
the package is opened when it is found (a build's plan, the doctor) or when its tokenizer
and model first load (a backend made without checking); `build` exits 3 with that line
alone on stderr, `doctor` marks the package ✗, `models list` never shows a traceback.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from feedbridge.cli import cli
from feedbridge.errors import ExitCode, ModelError
from feedbridge.translate import marian, packages
from feedbridge.translate.backend import MODEL_KINDS
from support.builds import build
from support.config import write_config
from support.paths import QUANT_PH, REPO, TOY

SENTENCE = "Quantum states are fragile."
GARBAGE = bytes(range(256)) * 4  # not UTF-8, not a protobuf, not a model.bin header


def cut(relative: str):
    def damage(folder: Path) -> None:
        path = folder / relative
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    return damage


def replaced(relative: str, data: bytes = GARBAGE):
    def damage(folder: Path) -> None:
        (folder / relative).write_bytes(data)
    return damage


def removed(relative: str):
    def damage(folder: Path) -> None:
        path = folder / relative
        if path.is_dir():
            import shutil

            shutil.rmtree(path)
        else:
            path.unlink()
    return damage


def shortened(relative: str, by: int = 3):
    """The vocabulary a few tokens short: it parses, but it is not the model's."""
    def damage(folder: Path) -> None:
        path = folder / relative
        path.write_text(json.dumps(json.loads(path.read_text(encoding="utf-8"))[:-by]), encoding="utf-8")
    return damage


def bpe_instead(text: bytes):
    """sentencepiece.model gone, a broken bpe.model in its place (an older package's tokenizer)."""
    def damage(folder: Path) -> None:
        (folder / "sentencepiece.model").unlink()
        (folder / "bpe.model").write_bytes(text)
    return damage


def one_error_line(text: str) -> str:
    """The only line of ``text``, which is an error line and no traceback."""
    assert "Traceback" not in text, text
    [line] = text.splitlines()
    assert line.startswith("Error: "), text
    return line


# --- an Argos package ---------------------------------------------------------------------

# Each damage, and the words the line says it with (the file's name as the package has it).
ARGOS = {
    "sentencepiece.model cut short": (cut("sentencepiece.model"), "sentencepiece.model is not a SentencePiece model"),
    "sentencepiece.model garbage": (replaced("sentencepiece.model"), "sentencepiece.model is not a SentencePiece model"),
    "sentencepiece.model empty": (replaced("sentencepiece.model", b""), "sentencepiece.model is not a SentencePiece model"),
    "bpe.model not UTF-8": (bpe_instead(GARBAGE), "bpe.model is not a usable BPE model"),
    "bpe.model not merge rules": (bpe_instead(b"#version: 0.2\none two three\n"), "bpe.model is not a usable BPE model"),
    "vocabulary cut short": (cut("model/shared_vocabulary.json"), "shared_vocabulary.json is unreadable"),
    "vocabulary garbage": (replaced("model/shared_vocabulary.json"), "shared_vocabulary.json is unreadable"),
    "vocabulary of another size": (shortened("model/shared_vocabulary.json"),
                                   "shared_vocabulary.json has 997 tokens, but model.bin's source embeddings have 1000"),
    "model.bin cut short": (cut("model/model.bin"), "model.bin is truncated or not a CTranslate2 model"),
    "model.bin garbage": (replaced("model/model.bin"), "model.bin is truncated or not a CTranslate2 model"),
    "model.bin empty": (replaced("model/model.bin", b""), "model.bin is truncated or not a CTranslate2 model"),
    "config.json garbage": (replaced("model/config.json", b"{"), "config.json is unreadable"),
    "model folder removed": (removed("model"), "model.bin is missing"),
}


def package_path(installed_model) -> Path:
    return Path(installed_model.path)


@pytest.mark.parametrize("damage, words", ARGOS.values(), ids=ARGOS.keys())
def test_a_damaged_package_is_refused_when_found(installed_model, damage, words):
    """What the doctor and a build's plan ask: the package, its files checked."""
    folder = package_path(installed_model)
    damage(folder)

    with pytest.raises(ModelError) as caught:
        packages.find_package("en", "ja")

    message = str(caught.value)
    assert message.startswith(f"{folder}: ") and words in message and "\n" not in message
    assert packages.find_package("en", "ja", checked=False) is not None  # listed: the doctor's fix is to reinstall it


@pytest.mark.parametrize("damage, words", ARGOS.values(), ids=ARGOS.keys())
def test_a_damaged_package_is_refused_when_it_first_loads(installed_model, damage, words):
    """A backend made without the check (a dry run's, or one whose package was damaged
    after the plan) meets the damage when its tokenizer or model loads: the same line."""
    folder = package_path(installed_model)
    backend = MODEL_KINDS["argos"].installed("en", "ja", beam_size=1)
    damage(folder)

    with pytest.raises(ModelError) as caught:
        backend.translate_batch([SENTENCE])

    message = str(caught.value)
    assert message.startswith(str(folder)) and words in message and "\n" not in message


@pytest.mark.parametrize("damage, words", ARGOS.values(), ids=ARGOS.keys())
def test_build_with_a_damaged_package_exits_3_on_one_line(installed_model, tmp_path, damage, words):
    folder = package_path(installed_model)
    damage(folder)

    result = build("--config", argos_config(tmp_path), "--from-dir", saved(tmp_path), "--offline")

    assert result.exit_code == ExitCode.MODEL, result.output
    line = one_error_line(result.stderr)
    assert line.startswith(f"Error: {folder}: ") and words in line
    assert not (tmp_path / "out" / "quant-ph.ja.xml").exists()


@pytest.mark.parametrize("damage, words", [ARGOS[name] for name in (
    "sentencepiece.model garbage", "vocabulary cut short", "model.bin cut short", "bpe.model not merge rules",
)], ids=["sentencepiece.model", "vocabulary", "model.bin", "bpe.model"])
def test_doctor_marks_a_damaged_package(installed_model, tmp_path, damage, words):
    folder = package_path(installed_model)
    damage(folder)

    result = doctor(argos_config(tmp_path))

    assert result.exit_code == ExitCode.FAILED and "Traceback" not in result.output, result.output
    [line] = [line for line in result.stdout.splitlines() if "translation package en->ja" in line]
    assert line.startswith(f"✗ translation package en->ja: {folder}: ") and words in line


def test_a_damaged_package_is_replaced_by_installing_it_again(installed_model, tiny_argosmodel):
    """The doctor's fix works: an install replaces the damaged package of its pair."""
    ARGOS["sentencepiece.model garbage"][0](package_path(installed_model))

    packages.install_from_file(tiny_argosmodel)

    assert packages.find_package("en", "ja") is not None


# --- its metadata.json, and the packages folder ---------------------------------------------

METADATA = {
    "not JSON": (b"{not json", "metadata.json is not JSON"),
    "not UTF-8": (b"\xff\xfe\0garbage", "metadata.json is not JSON"),
    "a list": (b"[1, 2]", "metadata.json is not a JSON object but list"),
    "a string": (b'"translate-en_ja"', "metadata.json is not a JSON object but str"),
    "no from_code": (json.dumps({"type": "translate", "to_code": "ja"}).encode(), "metadata.json: from_code is missing"),
    "no languages": (b"{}", "metadata.json: from_code is missing"),
    "to_code a list": (json.dumps({"from_code": "en", "to_code": ["ja"]}).encode(),
                       "metadata.json: to_code is not a language code but ['ja']"),
    "from_code empty": (json.dumps({"from_code": "", "to_code": "ja"}).encode(),
                        "metadata.json: from_code is not a language code but ''"),
    "to_name a number": (json.dumps({"from_code": "en", "to_code": "ja", "to_name": 3}).encode(),
                         "metadata.json: to_name is not a string but 3"),
    "removed": (None, "it has no metadata.json"),
}


@pytest.mark.parametrize("data, words", METADATA.values(), ids=METADATA.keys())
def test_a_corrupt_metadata_json_names_the_package(installed_model, tmp_path, data, words):
    folder = package_path(installed_model)
    if data is None:
        (folder / "metadata.json").unlink()
    else:
        (folder / "metadata.json").write_bytes(data)
    expected = f"{folder}: not a readable Argos Translate package ({words}"

    for call in (packages.installed_packages, lambda: packages.find_package("en", "ja")):
        with pytest.raises(ModelError) as caught:
            call()
        assert str(caught.value).startswith(expected) and "\n" not in str(caught.value)

    listed = CliRunner().invoke(cli, ["models", "list"])
    assert listed.exit_code == ExitCode.MODEL and one_error_line(listed.stderr).startswith(f"Error: {expected}")
    built = build("--config", argos_config(tmp_path), "--from-dir", saved(tmp_path), "--offline")
    assert built.exit_code == ExitCode.MODEL and one_error_line(built.stderr).startswith(f"Error: {expected}")
    checked = doctor(argos_config(tmp_path))
    assert checked.exit_code == ExitCode.FAILED and "Traceback" not in checked.output
    assert f"✗ translation package en->ja: {expected}" in checked.stdout


def test_a_packages_folder_that_is_a_file_is_one_line(tmp_path, monkeypatch):
    folder = tmp_path / "packages-file"
    folder.write_text("not a folder")
    monkeypatch.setenv(packages.PACKAGES_DIR_ENV, str(folder))
    expected = f"{folder}: the Argos packages folder (ARGOS_PACKAGES_DIR) is a file, not a folder"

    for call in (packages.installed_packages, lambda: packages.find_package("en", "ja")):
        with pytest.raises(ModelError, match=f"^{re.escape(expected)}$"):
            call()
    listed = CliRunner().invoke(cli, ["models", "list"])
    assert listed.exit_code == ExitCode.MODEL and one_error_line(listed.stderr) == f"Error: {expected}"
    built = build("--config", argos_config(tmp_path), "--from-dir", saved(tmp_path), "--offline")
    assert built.exit_code == ExitCode.MODEL and one_error_line(built.stderr) == f"Error: {expected}"
    checked = doctor(argos_config(tmp_path))
    assert checked.exit_code == ExitCode.FAILED and "Traceback" not in checked.output
    assert f"✗ translation package en->ja: {expected}" in checked.stdout


def test_a_packages_folder_that_is_a_file_is_one_line_in_a_new_process(tmp_path):
    """argostranslate creates its packages folder when first imported: in a fresh
    process that import is where a file in the way is met."""
    folder = tmp_path / "packages-file"
    folder.write_text("not a folder")
    env = {**os.environ, packages.PACKAGES_DIR_ENV: str(folder), "PYTHONPATH": str(REPO)}
    for command in (["models", "list"], ["models", "install", "en", "ja"]):
        done = subprocess.run([sys.executable, "-m", "feedbridge.cli", *command], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == ExitCode.MODEL, done.stderr
        assert one_error_line(done.stderr) == (
            f"Error: {folder}: the Argos packages folder (ARGOS_PACKAGES_DIR) is a file, not a folder"
        )


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a folder whatever its mode")
def test_an_unreadable_packages_folder_is_one_line(installed_model, tmp_path):
    root = package_path(installed_model).parent
    root.chmod(0)
    try:
        listed = CliRunner().invoke(cli, ["models", "list"])
        assert listed.exit_code == ExitCode.MODEL
        assert one_error_line(listed.stderr).startswith(f"Error: {root}: cannot read the Argos packages folder")
        checked = doctor(argos_config(tmp_path))
        assert checked.exit_code == ExitCode.FAILED and "Traceback" not in checked.output
        assert f"✗ translation package en->ja: {root}: cannot read the Argos packages folder" in checked.stdout
    finally:
        root.chmod(0o755)


def test_a_packages_folder_the_system_refuses_to_list_is_one_line(installed_model, monkeypatch):
    """The same refusal, for a test run as root: listing the folder fails as it would
    for a user without the right to read it."""
    root = package_path(installed_model).parent
    iterdir = Path.iterdir

    def refusing(self):
        if self == root:
            raise PermissionError(13, "Permission denied", str(self))
        return iterdir(self)

    monkeypatch.setattr(Path, "iterdir", refusing)
    with pytest.raises(ModelError, match=r"cannot read the Argos packages folder \(Permission denied\)$"):
        packages.find_package("en", "ja")
    listed = CliRunner().invoke(cli, ["models", "list"])
    assert listed.exit_code == ExitCode.MODEL
    assert one_error_line(listed.stderr) == f"Error: {root}: cannot read the Argos packages folder (Permission denied)"


# --- a MarianMT model added by name ----------------------------------------------------------

MARIAN = {
    "source.spm garbage": (replaced("source.spm"), "source.spm is not a SentencePiece model"),
    "target.spm cut short": (cut("target.spm"), "target.spm is not a SentencePiece model"),
    "source vocabulary cut short": (cut("source_vocabulary.json"), "source_vocabulary.json is unreadable"),
    "target vocabulary garbage": (replaced("target_vocabulary.json"), "target_vocabulary.json is unreadable"),
    "target vocabulary of another size": (shortened("target_vocabulary.json"),
                                          "target_vocabulary.json has"),
    "model.bin cut short": (cut("model.bin"), "model.bin is truncated or not a CTranslate2 model"),
    "model.bin garbage": (replaced("model.bin"), "model.bin is truncated or not a CTranslate2 model"),
    "config.json garbage": (replaced("config.json", b"{"), "config.json is unreadable"),
    "model.bin removed": (removed("model.bin"), "has no model.bin"),
}


def model_path(toy_model) -> Path:
    return marian.find_model(toy_model).path


@pytest.mark.parametrize("damage, words", MARIAN.values(), ids=MARIAN.keys())
def test_a_damaged_model_is_refused_by_its_check_and_when_it_first_loads(toy_model, damage, words):
    folder = model_path(toy_model)
    backend = MODEL_KINDS[toy_model].installed("en", "ja", beam_size=1)  # made before the damage: unchecked
    damage(folder)

    with pytest.raises(ModelError) as checked:
        marian.find_model(toy_model).check()
    with pytest.raises(ModelError) as loading:
        backend.translate_batch([SENTENCE])

    for caught in (checked, loading):
        message = str(caught.value)
        assert message.startswith(f"{folder}: ") and words in message and "\n" not in message


@pytest.mark.parametrize("damage, words", MARIAN.values(), ids=MARIAN.keys())
def test_build_with_a_damaged_model_exits_3_on_one_line(toy_model, tmp_path, damage, words):
    folder = model_path(toy_model)
    damage(folder)
    config = write_config(tmp_path, feeds=["quant-ph"], translation={"model": toy_model, "max_untranslated": 1.0})

    result = build("--config", config, "--from-dir", saved(tmp_path), "--offline")

    assert result.exit_code == ExitCode.MODEL, result.output
    line = one_error_line(result.stderr)
    assert line.startswith(f"Error: {folder}: ") and words in line
    assert not (tmp_path / "out" / "quant-ph.ja.xml").exists()


def test_a_models_folder_that_is_a_file_is_one_line(tmp_path, monkeypatch):
    folder = tmp_path / "models-file"
    folder.write_text("not a folder")
    monkeypatch.setenv(marian.MODELS_DIR_ENV, str(folder))
    expected = f"Error: {folder}: the models folder (FEEDBRIDGE_MODELS_DIR) is a file, not a folder"

    listed = CliRunner().invoke(cli, ["models", "list"])
    assert listed.exit_code == ExitCode.MODEL and one_error_line(listed.stderr) == expected
    config = write_config(tmp_path, feeds=["quant-ph"], translation={"model": TOY})
    built = build("--config", config, "--from-dir", saved(tmp_path), "--offline")
    assert built.exit_code == ExitCode.MODEL and one_error_line(built.stderr) == expected


def test_a_models_folder_the_system_refuses_to_list_is_one_line(toy_model, monkeypatch):
    root = model_path(toy_model).parent
    iterdir = Path.iterdir

    def refusing(self):
        if self == root:
            raise PermissionError(13, "Permission denied", str(self))
        return iterdir(self)

    monkeypatch.setattr(Path, "iterdir", refusing)
    listed = CliRunner().invoke(cli, ["models", "list"])
    assert listed.exit_code == ExitCode.MODEL
    assert one_error_line(listed.stderr) == f"Error: {root}: cannot read the models folder (Permission denied)"


# --- helpers ----------------------------------------------------------------------------------


def saved(tmp_path: Path) -> Path:
    folder = tmp_path / "saved"
    folder.mkdir(exist_ok=True)
    (folder / "quant-ph.xml").write_bytes(QUANT_PH.read_bytes())
    return folder


def argos_config(tmp_path: Path) -> Path:
    # The tiny random package leaves sentences untranslated; that is not what these tests judge.
    return write_config(tmp_path, feeds=["quant-ph"], translation={"max_untranslated": 1.0})


def doctor(config: Path):
    return CliRunner().invoke(cli, ["doctor", "--config", str(config), "--offline"])
