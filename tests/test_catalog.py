"""The model catalog: `models install fugumt` from a catalog and files served on 127.0.0.1
(the trained toy model's files stand in for FuguMT's), every failure one line and nothing
half-installed; sizes and checksums recorded on the first download and checked on every
later one; the built-in catalog; the advice `init` and `doctor` give."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from feedbridge import doctor
from feedbridge.cli import cli
from feedbridge.errors import ExitCode, ModelError
from feedbridge.starter import starter_config
from feedbridge.translate import catalog, marian
from feedbridge.translate.backend import MODEL_KINDS
from support.paths import REPO, TOY, TOY_MODEL
from support.server import reply, truncated

DOWN = "http://127.0.0.1:9"  # nothing listens on port 9
TOY_FILES = ("config.json", "model.bin", "source_vocabulary.json", "target_vocabulary.json", "source.spm", "target.spm")
HOME = "https://example.org/fugumt-card"
ATTRIBUTION = "Translations by FuguMT (a test stand-in), CC BY-SA 4.0"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(autouse=True)
def quick_downloads(monkeypatch):
    """One retry, no waits; and no catalog but the one a test serves (the built-in one
    would reach huggingface.co)."""
    monkeypatch.setattr(catalog, "DOWNLOAD", replace(catalog.DOWNLOAD, retries=1, backoff=0.0, min_interval=0.0,
                                                     timeout=5.0))
    monkeypatch.setenv(catalog.CATALOG_ENV, f"{DOWN}/catalog.json")


@pytest.fixture
def models_folder(tmp_path) -> Path:
    return tmp_path / "models"  # conftest points FEEDBRIDGE_MODELS_DIR here


def leftovers(models_folder: Path) -> list[str]:
    """Everything in the models folder, hidden staging folders included."""
    return sorted(p.name for p in models_folder.iterdir()) if models_folder.exists() else []


def toy_bytes() -> dict[str, bytes]:
    return {name: (TOY_MODEL / name).read_bytes() for name in TOY_FILES}


def entry(server_url: str, files: dict[str, bytes], *, form="ctranslate2", sizes=False, checksums=False, **fields) -> dict:
    """A catalog entry whose files are served under /m/ (with their true sizes and SHA-256
    sums when asked)."""
    listed = []
    for name, body in files.items():
        item = {"name": name, "url": f"{server_url}/m/{name}"}
        if sizes:
            item["size"] = len(body)
        if checksums:
            item["sha256"] = hashlib.sha256(body).hexdigest()
        listed.append(item)
    return {
        "title": "FuguMT en-ja (test stand-in)", "from": "en", "to": "ja", "licence": "CC BY-SA 4.0",
        "licence_url": "https://creativecommons.org/licenses/by-sa/4.0/", "attribution": ATTRIBUTION,
        "home": HOME, "approx_mb": 2, "form": form, "files": listed, **fields,
    }


def serve(http_server, monkeypatch, files: dict[str, bytes] | None = None, **options) -> dict:
    """Serve the files and a catalog naming them as 'fugumt'; point feedbridge at it."""
    files = toy_bytes() if files is None else files
    for name, body in files.items():
        http_server.serve(f"/m/{name}", body, content_type="application/octet-stream")
    data = {"format": 1, "models": {"fugumt": entry(http_server.url, files, **options)}}
    publish_catalog(http_server, monkeypatch, data)
    return data


def publish_catalog(http_server, monkeypatch, data) -> None:
    http_server.serve("/catalog.json", json.dumps(data).encode(), content_type="application/json")
    monkeypatch.setenv(catalog.CATALOG_ENV, f"{http_server.url}/catalog.json")


def refused(result, models_folder: Path, *, kept: tuple[str, ...] = ()) -> str:
    """The one error line of a refused install (-q: no progress lines), nothing half-installed."""
    assert result.exit_code == ExitCode.MODEL, result.output
    [line] = result.output.splitlines()
    assert line.startswith("Error: ")
    assert leftovers(models_folder) == sorted(kept)  # no model, no staging folder, no new record
    assert marian.find_model("fugumt") is None
    return line


# ---------------------------------------------------------------- installing


def test_install_from_the_loopback_catalog(http_server, monkeypatch, models_folder):
    served = toy_bytes()
    serve(http_server, monkeypatch, served)

    result = run("models", "install", "fugumt")

    assert result.exit_code == 0, result.output
    model = marian.find_model("fugumt")
    assert (model.pair, model.licence, model.attribution, model.home) == (("en", "ja"), "CC BY-SA 4.0", ATTRIBUTION, HOME)
    assert model.added_from == HOME
    assert result.stdout == (f"installed fugumt {model.version} (en->ja, licence: CC BY-SA 4.0) in {model.path};"
                             " choose it with 'model: fugumt'\n")
    assert f"fugumt: downloading model.bin (2 of 6) from {http_server.url}/m/model.bin" in result.stderr
    assert http_server.paths == ["/catalog.json"] + [f"/m/{name}" for name in TOY_FILES]
    for name, body in served.items():
        assert (model.path / name).read_bytes() == body
    assert leftovers(models_folder) == [catalog.DOWNLOADS_FILE, "fugumt"]
    record = json.loads((models_folder / catalog.DOWNLOADS_FILE).read_text())["files"]
    assert sorted(record) == sorted(f"{http_server.url}/m/{name}" for name in TOY_FILES)
    first = record[f"{http_server.url}/m/model.bin"]
    assert (first["size"], first["sha256"]) == (len(served["model.bin"]), hashlib.sha256(served["model.bin"]).hexdigest())
    assert first["model"] == "fugumt" and first["name"] == "model.bin" and first["first_downloaded"]

    backend = MODEL_KINDS["fugumt"].backend("en", "ja", offline=True, log=print)
    [hypotheses] = backend.translate_batch(["We study the entanglement of two qubits."])
    assert hypotheses and any(ord(c) > 127 for c in hypotheses[0])  # the toy model's relabelled output
    assert (backend.licence, backend.attribution) == ("CC BY-SA 4.0", ATTRIBUTION)


def test_a_model_copied_out_of_the_models_folder_keeps_its_licence_and_attribution(
        http_server, monkeypatch, tmp_path):
    serve(http_server, monkeypatch)
    assert run("models", "install", "fugumt").exit_code == 0
    copied = tmp_path / "copied"
    shutil.copytree(marian.find_model("fugumt").path, copied)
    monkeypatch.setenv(marian.MODELS_DIR_ENV, str(tmp_path / "elsewhere"))
    model = marian.add_model(copied)
    assert (model.licence, model.attribution, model.home) == ("CC BY-SA 4.0", ATTRIBUTION, HOME)


def test_sizes_and_checksums_in_the_catalog_are_checked_and_pass(http_server, monkeypatch):
    serve(http_server, monkeypatch, sizes=True, checksums=True)
    assert run("models", "install", "fugumt").exit_code == 0


def test_a_later_download_must_be_the_file_first_downloaded(http_server, monkeypatch, models_folder):
    served = toy_bytes()
    serve(http_server, monkeypatch, served)
    assert run("models", "install", "fugumt").exit_code == 0
    assert run("models", "remove", "fugumt").exit_code == 0
    record = (models_folder / catalog.DOWNLOADS_FILE).read_bytes()

    changed = bytearray(served["model.bin"])
    changed[-1] ^= 0xFF  # the same size, another byte
    http_server.serve("/m/model.bin", bytes(changed))
    line = refused(run("-q", "models", "install", "fugumt"), models_folder, kept=(catalog.DOWNLOADS_FILE,))
    assert f"{http_server.url}/m/model.bin: fugumt's model.bin is not the file first downloaded on " in line
    assert f"remove its entry from {models_folder / catalog.DOWNLOADS_FILE}" in line
    assert (models_folder / catalog.DOWNLOADS_FILE).read_bytes() == record  # the first download still rules

    http_server.serve("/m/model.bin", served["model.bin"][:-10])  # shorter: refused at the recorded size too
    line = refused(run("-q", "models", "install", "fugumt"), models_folder, kept=(catalog.DOWNLOADS_FILE,))
    assert "is not the file first downloaded" in line

    http_server.serve("/m/model.bin", served["model.bin"])
    assert run("models", "install", "fugumt").exit_code == 0


def _flip_last_byte(body: bytes) -> bytes:
    return body[:-1] + bytes([body[-1] ^ 0xFF])


def test_a_corrupt_file_is_refused_by_the_catalog_checksum(http_server, monkeypatch, models_folder):
    serve(http_server, monkeypatch, checksums=True)
    http_server.serve("/m/model.bin", _flip_last_byte(toy_bytes()["model.bin"]))
    line = refused(run("-q", "models", "install", "fugumt"), models_folder)
    assert line.startswith(f"Error: {http_server.url}/m/model.bin: fugumt's model.bin has SHA-256 ")
    assert line.endswith(f", the catalog says {hashlib.sha256(toy_bytes()['model.bin']).hexdigest()}: refused")


def test_a_corrupt_file_nobody_has_a_checksum_for_fails_the_probe(http_server, monkeypatch, models_folder):
    files = toy_bytes()
    files["model.bin"] = b"not a model" * 1000
    serve(http_server, monkeypatch, files)
    line = refused(run("-q", "models", "install", "fugumt"), models_folder)
    assert "model.bin is truncated or not a CTranslate2 model" in line


def test_a_file_of_the_wrong_size_is_refused(http_server, monkeypatch, models_folder):
    data = serve(http_server, monkeypatch, sizes=True)
    [model_bin] = [f for f in data["models"]["fugumt"]["files"] if f["name"] == "model.bin"]
    real = model_bin["size"]

    model_bin["size"] = real + 1  # the server sends less than the catalog says
    publish_catalog(http_server, monkeypatch, data)
    line = refused(run("-q", "models", "install", "fugumt"), models_folder)
    assert line.endswith(f"fugumt's model.bin is {real} bytes, the catalog says {real + 1}: refused")

    model_bin["size"] = real - 1  # more: cut off at the size the catalog says, never read whole
    publish_catalog(http_server, monkeypatch, data)
    line = refused(run("-q", "models", "install", "fugumt"), models_folder)
    assert line == (f"Error: cannot download fugumt's model.bin: {http_server.url}/m/model.bin:"
                    f" response larger than {real - 1} bytes")


def test_a_truncated_download_is_refused(http_server, monkeypatch, models_folder):
    serve(http_server, monkeypatch)
    body = toy_bytes()["model.bin"]
    http_server.script(truncated(body[: len(body) // 2], len(body)), path="/m/model.bin", repeat_last=True)
    line = refused(run("-q", "models", "install", "fugumt"), models_folder)
    assert line == (f"Error: cannot download fugumt's model.bin: {http_server.url}/m/model.bin:"
                    " response truncated after 2 attempts")


def test_an_unreachable_file_is_refused(http_server, monkeypatch, models_folder):
    data = serve(http_server, monkeypatch)
    data["models"]["fugumt"]["files"][1]["url"] = f"{DOWN}/model.bin"
    publish_catalog(http_server, monkeypatch, data)
    line = refused(run("-q", "models", "install", "fugumt"), models_folder)
    assert line == f"Error: cannot download fugumt's model.bin: {DOWN}/model.bin: connection refused after 2 attempts"


def test_a_missing_file_is_refused(http_server, monkeypatch, models_folder):
    serve(http_server, monkeypatch)
    http_server.script(reply(404, b"gone"), path="/m/target.spm", repeat_last=True)
    line = refused(run("-q", "models", "install", "fugumt"), models_folder)
    assert line == f"Error: cannot download fugumt's target.spm: {http_server.url}/m/target.spm: HTTP 404 Not Found"


def test_a_refused_install_leaves_the_installed_models_alone(http_server, monkeypatch, models_folder):
    marian.add_model(TOY_MODEL, name=TOY)
    serve(http_server, monkeypatch, checksums=True)
    http_server.serve("/m/model.bin", _flip_last_byte(toy_bytes()["model.bin"]))
    refused(run("-q", "models", "install", "fugumt"), models_folder, kept=(TOY,))
    assert [m.name for m in marian.registered_models()] == [TOY]


KILL_SCRIPT = textwrap.dedent("""
    import os, signal, sys
    from feedbridge.translate import catalog
    from feedbridge.cli import cli

    download, done = catalog._download, []
    def killed(*args, **kwargs):
        body = download(*args, **kwargs)
        done.append(1)
        if len(done) == int(sys.argv[1]):
            os.kill(os.getpid(), signal.SIGKILL)
        return body
    catalog._download = killed
    cli.main(["models", "install", "fugumt"], prog_name="feedbridge")
""")


def test_a_killed_install_leaves_nothing_listed(http_server, monkeypatch, models_folder):
    serve(http_server, monkeypatch)
    env = {**os.environ, marian.MODELS_DIR_ENV: str(models_folder)}
    done = subprocess.run([sys.executable, "-c", KILL_SCRIPT, "3"], env=env, cwd=REPO, capture_output=True)
    assert done.returncode == -signal.SIGKILL, done.stderr

    [staging] = leftovers(models_folder)  # no model, no record of downloads
    assert staging.startswith(marian.STAGING_PREFIX)
    assert run("models", "list").output.startswith("no translation models")

    an_hour_ago = os.stat(models_folder / staging).st_mtime - marian.ABANDONED_AFTER - 1
    os.utime(models_folder / staging, (an_hour_ago, an_hour_ago))
    assert run("models", "install", "fugumt").exit_code == 0
    assert leftovers(models_folder) == [catalog.DOWNLOADS_FILE, "fugumt"]  # the abandoned one is cleared


def test_a_name_already_taken_is_refused_before_any_download(http_server, monkeypatch, models_folder):
    marian.add_model(TOY_MODEL, name="fugumt")
    serve(http_server, monkeypatch)
    result = run("-q", "models", "install", "fugumt")
    assert result.exit_code == ExitCode.CONFIG
    assert "a model named 'fugumt' is already added" in result.output and result.output.count("\n") == 1
    assert http_server.paths == ["/catalog.json"]


def test_a_name_not_in_the_catalog_is_a_usage_error(http_server, monkeypatch):
    serve(http_server, monkeypatch)
    result = run("models", "install", "nosuch")
    assert result.exit_code == 2
    assert "'nosuch' is not in the model catalog (fugumt)" in result.output
    assert http_server.paths == ["/catalog.json"]


def test_the_record_of_downloads_damaged_stops_the_install(http_server, monkeypatch, models_folder):
    models_folder.mkdir()
    (models_folder / catalog.DOWNLOADS_FILE).write_text("{", encoding="utf-8")
    serve(http_server, monkeypatch)
    result = run("-q", "models", "install", "fugumt")
    assert result.exit_code == ExitCode.MODEL and result.output.count("\n") == 1
    assert "the record of model downloads is unreadable" in result.output
    assert http_server.paths == ["/catalog.json"]


# ---------------------------------------------------------------- Hugging Face files in the catalog


@pytest.fixture(scope="module")
def hf_folder(tmp_path_factory) -> Path:
    from support.hf_marian import build_hf_marian_folder

    return build_hf_marian_folder(tmp_path_factory.mktemp("hf") / "tiny-hf-marian")


def hf_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_hugging_face_files_are_converted_at_install(hf_folder, http_server, monkeypatch, models_folder):
    serve(http_server, monkeypatch, hf_files(hf_folder), form="huggingface")

    result = run("models", "install", "fugumt")

    assert result.exit_code == 0, result.output
    assert "fugumt: converting the Hugging Face files for CTranslate2 (int8)" in result.stderr
    model = marian.find_model("fugumt")
    assert (model.path / "model.bin").is_file() and not (model.path / "model.safetensors").exists()
    assert model.licence == "CC BY-SA 4.0" and model.attribution == ATTRIBUTION
    record = json.loads((model.path / marian.RECORD_FILE).read_text())
    assert record["converted"].startswith("int8 by CTranslate2 ")
    assert leftovers(models_folder) == [catalog.DOWNLOADS_FILE, "fugumt"]


def test_hugging_face_files_without_the_converter_are_refused_before_downloading(
        hf_folder, http_server, monkeypatch, models_folder):
    serve(http_server, monkeypatch, hf_files(hf_folder), form="huggingface")
    monkeypatch.setitem(sys.modules, "torch", None)  # as if PyTorch were not installed

    line = refused(run("-q", "models", "install", "fugumt"), models_folder)

    assert "fugumt (FuguMT en-ja (test stand-in)): a Hugging Face MarianMT model" in line
    assert "torch is not installed" in line and "pip install 'feedbridge[convert]'" in line
    assert "CPU build of PyTorch first" in line
    assert http_server.paths == ["/catalog.json"]


# ---------------------------------------------------------------- the catalog itself


def test_an_unreachable_catalog_is_one_line(models_folder):
    result = run("-q", "models", "install", "fugumt")  # the autouse fixture's catalog is on a closed port
    assert result.exit_code == ExitCode.MODEL
    assert result.output == (f"Error: cannot read the model catalog ({catalog.CATALOG_ENV}): {DOWN}/catalog.json:"
                             " connection refused after 2 attempts\n")
    assert leftovers(models_folder) == []


def test_a_catalog_file_on_disk_is_read(tmp_path, http_server, monkeypatch):
    data = serve(http_server, monkeypatch)
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setenv(catalog.CATALOG_ENV, str(path))
    assert run("models", "install", "fugumt").exit_code == 0
    assert "/catalog.json" not in http_server.paths


def _break(key_path: str, value):
    def change(data: dict) -> None:
        *parents, last = key_path.split(".")
        target = data
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if value is _DELETE:
            del target[last]
        else:
            target[int(last) if isinstance(target, list) else last] = value
    return change


_DELETE = object()
BAD_CATALOGS = {
    "unknown key": (_break("models.fugumt.licnce", "MIT"), "models.fugumt.licnce: expected no such key"),
    "format": (_break("format", 2), "format: expected 1, the catalog format this feedbridge reads, got 2"),
    "no licence": (_break("models.fugumt.licence", _DELETE), "models.fugumt.licence: expected a value (it is required)"),
    "language": (_break("models.fugumt.to", "Japanese"), "models.fugumt.to: expected a language code like 'en'"),
    "form": (_break("models.fugumt.form", "onnx"), "models.fugumt.form: expected one of ctranslate2, huggingface"),
    "checksum": (_break("models.fugumt.files.1.sha256", "abc"), "models.fugumt.files[1].sha256: expected 64 lowercase hex"),
    "size": (_break("models.fugumt.files.1.size", -5), "models.fugumt.files[1].size: expected a size in bytes"),
    "file name": (_break("models.fugumt.files.1.name", "../model.bin"), "models.fugumt.files[1].name: expected a file name"),
    "url": (_break("models.fugumt.files.1.url", "ftp://x/model.bin"), "models.fugumt.files[1].url: expected an http(s) URL"),
    "no model.bin": (_break("models.fugumt.files.1.name", "weights.bin"),
                     "models.fugumt.files: expected a file named model.bin (a ctranslate2 model needs it)"),
    "model name": (lambda data: data["models"].update({"argos": data["models"]["fugumt"]}), "models.argos: expected a model name"),
}


@pytest.mark.parametrize("damage, message", BAD_CATALOGS.values(), ids=BAD_CATALOGS.keys())
def test_a_wrong_catalog_is_one_line_naming_the_key(http_server, monkeypatch, models_folder, damage, message):
    data = serve(http_server, monkeypatch)
    damage(data)
    publish_catalog(http_server, monkeypatch, data)
    result = run("-q", "models", "install", "fugumt")
    assert result.exit_code == ExitCode.MODEL
    assert result.output.startswith(f"Error: {http_server.url}/catalog.json: {message}"), result.output
    assert result.output.count("\n") == 1 and leftovers(models_folder) == []


def test_a_catalog_that_is_not_json(http_server, monkeypatch):
    publish_catalog(http_server, monkeypatch, {})
    http_server.serve("/catalog.json", b"<html>")
    with pytest.raises(ModelError, match=r"/catalog.json: the model catalog is not JSON"):
        catalog.load_catalog()


def test_models_catalog_lists_name_pair_licence_and_size(http_server, monkeypatch):
    serve(http_server, monkeypatch)
    result = run("models", "catalog")
    assert result.exit_code == 0, result.output
    assert result.output == ("fugumt  en->ja  FuguMT en-ja (test stand-in)  licence: CC BY-SA 4.0"
                             "  about 2 MB, a CTranslate2 conversion\n")


def test_the_built_in_catalog(monkeypatch):
    monkeypatch.delenv(catalog.CATALOG_ENV)
    known = catalog.load_catalog()
    assert list(known) == ["fugumt", "elanmt"]
    fugumt, elanmt = known["fugumt"], known["elanmt"]
    for model in known.values():
        assert (model.source_lang, model.target_lang) == ("en", "ja")
        assert model.licence == "CC BY-SA 4.0" and "CC BY-SA 4.0" in model.attribution
        assert model.licence_url == "https://creativecommons.org/licenses/by-sa/4.0/"
        assert all(f.url.startswith("https://huggingface.co/") for f in model.files)
        assert model.approx_mb and model.summary
    assert fugumt.form == "ctranslate2" and "/jkawamoto/fugumt-en-ja-ct2/resolve/main/" in fugumt.files[0].url
    assert "staka/fugumt-en-ja" in fugumt.attribution and fugumt.home == "https://huggingface.co/staka/fugumt-en-ja"
    assert elanmt.form == "huggingface" and "/Mitsua/elan-mt-bt-en-ja/resolve/main/" in elanmt.files[0].url
    assert "ELAN MITSUA Project" in elanmt.attribution
    assert {f.name for f in elanmt.files} >= {"config.json", "model.safetensors", "vocab.json", "source.spm", "target.spm"}


# ---------------------------------------------------------------- provenance, advice


def test_two_models_of_the_same_files_never_share_translations(http_server, monkeypatch):
    """The translation memory keys each sentence by the backend's provenance: the model's
    name and version. The same toy files under two names are two provenances."""
    marian.add_model(TOY_MODEL, name=TOY)
    serve(http_server, monkeypatch)
    assert run("models", "install", "fugumt").exit_code == 0
    toy, fugumt = (MODEL_KINDS[name].installed("en", "ja") for name in (TOY, "fugumt"))
    assert toy.model.version == fugumt.model.version  # the same bytes ...
    assert toy.provenance != fugumt.provenance  # ... kept apart all the same
    assert fugumt.provenance == f"fugumt {fugumt.model.version}"


def test_a_model_added_by_hand_is_credited_by_its_name_and_licence():
    assert marian.add_model(TOY_MODEL, name="plain", licence="unknown").attribution is None  # nothing to credit
    licensed = marian.add_model(TOY_MODEL, name="licensed", licence="CC BY-SA 4.0")
    assert licensed.attribution == f"Translation model licensed {licensed.version}, licence: CC BY-SA 4.0"
    result = run("models", "add", TOY_MODEL, "--name", "credited", "--attribution", "Toy model by the tests, CC0")
    assert result.exit_code == 0, result.output
    assert marian.find_model("credited").attribution == "Toy model by the tests, CC0"


def test_doctor_points_to_the_better_model_and_its_licence(installed_model):
    check = doctor.check_package("en", "ja")
    assert check.ok and check.detail.startswith(installed_model.provenance)
    assert "FuguMT en-ja (staka/fugumt-en-ja) (CC BY-SA 4.0) translates en->ja better" in check.detail
    assert "'feedbridge models install fugumt', then 'model: fugumt'" in check.detail
    assert "better" not in doctor.check_package("en", "de").detail  # no catalog model for en->de


def test_doctor_advice_while_the_package_is_missing():
    check = doctor.check_package("en", "ja")
    assert not check.ok and check.fix == "feedbridge models install en ja"  # the default stays the default
    assert "feedbridge models install fugumt" in check.detail


def test_init_to_ja_points_to_the_better_model():
    text = starter_config(["cs.AI"], "ja")
    hint = [line for line in text.splitlines() if "fugumt" in line or "CC BY-SA" in line]
    assert hint and all(line.lstrip().startswith("#") for line in hint)  # advice only: the default stays argos
    assert "feedbridge models install fugumt" in text and "CC BY-SA 4.0" in text
    assert "model:" not in [line.strip().split(" ")[0] for line in text.splitlines() if not line.lstrip().startswith("#")]
    assert "fugumt" not in starter_config(["cs.AI"], "de")


def test_a_cc_by_sa_models_credit_is_on_every_page_and_in_every_feeds_rights(tmp_path, installed_model):
    """CC BY-SA asks for attribution wherever the model's output goes: the feed's rights
    and the site's footer carry the credit the model was added with."""
    from lxml import etree

    from support.config import write_config
    from support.paths import QUANT_PH

    credit = "FuguMT by Satoshi Hirose (CC BY-SA 4.0)"
    marian.add_model(TOY_MODEL, name="credited", source="en", target="ja", licence="CC BY-SA 4.0", attribution=credit)
    saved = tmp_path / "saved"
    saved.mkdir()
    (saved / "quant-ph.xml").write_bytes(QUANT_PH.read_bytes())
    config = write_config(tmp_path, feeds=["quant-ph"], translation={"model": "credited"})

    result = CliRunner().invoke(cli, ["build", "--config", str(config), "--from-dir", str(saved)])

    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    rights = etree.parse(str(out / "quant-ph.ja.xml")).getroot().findtext("{http://www.w3.org/2005/Atom}rights")
    assert rights.endswith(f"Translations: {credit}.")
    for page in ("index.html", "quant-ph.ja.html"):
        assert f"Translations: {credit}." in " ".join((out / page).read_text().split())
