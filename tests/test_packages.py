"""Argos packages: install from a file and from an index on 127.0.0.1, list, refuse broken ones."""

import json
import zipfile

import pytest
from click.testing import CliRunner

from feedbridge.cli import cli
from feedbridge.errors import ExitCode, ModelError
from feedbridge.translate import packages


def run(*args):
    return CliRunner().invoke(cli, list(args))


def test_install_file_then_list(tiny_argosmodel, tmp_path):
    result = run("models", "install", "--file", str(tiny_argosmodel))
    assert result.exit_code == 0, result.output
    assert "translate-en_ja" in result.output
    installed = packages.find_package("en", "ja")
    assert installed.path.parent == tmp_path / "argos-packages"
    assert (installed.model_dir / "model.bin").is_file()
    listing = run("models", "list")
    assert listing.exit_code == 0
    assert listing.output.startswith("en->ja  translate-en_ja 1.0")


def test_install_from_index_on_loopback(tiny_argosmodel, http_server, monkeypatch):
    from tiny_model import index_entry

    with zipfile.ZipFile(tiny_argosmodel) as zf:
        top = zf.namelist()[0].split("/")[0]
        metadata = json.loads(zf.read(f"{top}/metadata.json"))
    http_server.serve("/pkgs/en_ja.argosmodel", tiny_argosmodel.read_bytes(), content_type="application/zip")
    index = [index_entry(metadata, f"{http_server.url}/pkgs/en_ja.argosmodel")]
    http_server.serve("/index/index.json", json.dumps(index).encode(), content_type="application/json")
    monkeypatch.setenv("ARGOS_PACKAGE_INDEX", f"{http_server.url}/index/")

    result = run("models", "install", "en", "ja")

    assert result.exit_code == 0, result.output
    assert http_server.paths == ["/index/index.json", "/pkgs/en_ja.argosmodel"]
    assert packages.find_package("en", "ja").version == "1.0"


def test_index_without_the_pair(http_server, monkeypatch):
    http_server.serve("/index.json", b"[]", content_type="application/json")
    monkeypatch.setenv("ARGOS_PACKAGE_INDEX", http_server.url)
    result = run("models", "install", "en", "ja")
    assert result.exit_code == ExitCode.MODEL
    assert result.output.strip().endswith("the index has no package for en->ja")


def test_unreachable_index_is_one_line():
    result = run("models", "install", "en", "ja")  # conftest points the index at a closed port
    assert result.exit_code == ExitCode.MODEL
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: cannot reach the Argos package index at http://127.0.0.1:9/")


@pytest.mark.parametrize("damage", ["not a zip", "truncated", "no model"])
def test_broken_archive_refused_and_nothing_installed(tiny_argosmodel, tmp_path, damage):
    bad = tmp_path / "bad.argosmodel"
    data = tiny_argosmodel.read_bytes()
    if damage == "not a zip":
        bad.write_bytes(b"hello")
    elif damage == "truncated":
        bad.write_bytes(data[: len(data) // 2])
    else:
        with zipfile.ZipFile(tiny_argosmodel) as src, zipfile.ZipFile(bad, "w") as dst:
            for item in src.infolist():
                if "/model/" not in item.filename:
                    dst.writestr(item, src.read(item))
    with pytest.raises(ModelError) as caught:
        packages.install_from_file(bad)
    assert str(bad) in str(caught.value)
    assert packages.installed_packages() == []


def test_missing_pair_names_the_fixing_command():
    with pytest.raises(ModelError) as caught:
        packages.require_package("en", "ja")
    assert "feedbridge models install en ja" in str(caught.value)


def test_models_install_needs_a_pair_or_file():
    assert run("models", "install", "en").exit_code == 2


def _repack(source, dest, change):
    """Copy an .argosmodel, letting ``change(name, data)`` rewrite (or drop, with None) members."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(dest, "w") as dst:
        for item in src.infolist():
            data = change(item.filename, src.read(item))
            if data is not None:
                dst.writestr(item, data)
    return dest


def test_corrupt_model_is_refused_and_the_installed_package_survives(tiny_argosmodel, tmp_path):
    good = packages.install_from_file(tiny_argosmodel)
    before = sorted(p.relative_to(good.path) for p in good.path.rglob("*"))
    bad = _repack(tiny_argosmodel, tmp_path / "bad.argosmodel",
                  lambda name, data: b"\0garbage" if name.endswith("model/model.bin") else data)
    with pytest.raises(ModelError, match="does not load"):
        packages.install_from_file(bad)
    assert sorted(p.relative_to(good.path) for p in good.path.rglob("*")) == before
    assert [p.name for p in (tmp_path / "argos-packages").iterdir()] == [good.path.name]


def test_reinstall_replaces_the_same_pair(tiny_argosmodel, tmp_path):
    packages.install_from_file(tiny_argosmodel)

    def bump(name, data):
        if name.endswith("metadata.json"):
            return json.dumps({**json.loads(data), "package_version": "1.1"}).encode()
        return data

    newer = packages.install_from_file(_repack(tiny_argosmodel, tmp_path / "new.argosmodel", bump))
    assert newer.version == "1.1"
    assert [(p.source_lang, p.target_lang, p.version) for p in packages.installed_packages()] == [("en", "ja", "1.1")]


def test_index_serving_the_wrong_pair_is_refused(tiny_argosmodel, http_server, monkeypatch, tmp_path):
    from tiny_model import index_entry

    metadata = {"from_code": "en", "to_code": "de", "package_version": "1.0", "type": "translate"}
    http_server.serve("/p.argosmodel", tiny_argosmodel.read_bytes())  # really en->ja
    http_server.serve("/index.json", json.dumps([index_entry(metadata, f"{http_server.url}/p.argosmodel")]).encode())
    monkeypatch.setenv("ARGOS_PACKAGE_INDEX", http_server.url)
    with pytest.raises(ModelError, match="a package for en->ja, expected en->de"):
        packages.install_from_index("en", "de")
    assert packages.installed_packages() == []


def test_a_killed_install_leaves_nothing_listed(tiny_argosmodel, tmp_path):
    root = tmp_path / "argos-packages"
    (root / ".installing-abandoned" / "translate-en_ja-1_0").mkdir(parents=True)
    assert packages.installed_packages() == []
    assert packages.install_from_file(tiny_argosmodel).path.parent == root


def _build_from_saved_quant_ph(tmp_path, day):
    from support.config import write_config
    from support.scenes import documents

    saved = tmp_path / "saved"
    saved.mkdir(exist_ok=True)
    (saved / "quant-ph.xml").write_bytes(documents()[day])
    # These tests delete the argos package under a build: the tiny random one, whose
    # share of untranslated sentences is not the point, so no pass is judged by it.
    config = write_config(tmp_path, feeds=["quant-ph"], translation={"max_untranslated": 1.0})
    return run("build", "--config", str(config), "--from-dir", str(saved), "--offline")


@pytest.mark.parametrize("moment", ["before the tokenizer loads", "before the model loads"])
def test_a_model_folder_deleted_mid_run_is_one_error_and_the_feed_stays(installed_model, tmp_path, monkeypatch, moment):
    """The package vanishes after the build found it (another process removed it, a
    cache restore went wrong): the run stops on one line naming what is missing, with
    the model's exit code, and the published feed is left as it was."""
    import shutil

    from feedbridge import pipeline
    from feedbridge.translate.argos import ArgosBackend

    assert _build_from_saved_quant_ph(tmp_path, 0).exit_code == 0
    published = (tmp_path / "out/quant-ph.ja.xml").read_bytes()

    def deleting(original):
        def call(*args, **kwargs):
            shutil.rmtree(installed_model.path, ignore_errors=True)
            return original(*args, **kwargs)
        return call

    if moment == "before the tokenizer loads":
        monkeypatch.setattr(pipeline, "plan_feed", deleting(pipeline.plan_feed))
    else:
        monkeypatch.setattr(ArgosBackend, "_model_loaded", deleting(ArgosBackend._model_loaded))
    result = _build_from_saved_quant_ph(tmp_path, 1)
    assert result.exit_code == ExitCode.MODEL, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and str(installed_model.path) in errors[0], result.output
    assert "Traceback" not in result.output
    assert (tmp_path / "out/quant-ph.ja.xml").read_bytes() == published


def test_a_model_folder_deleted_once_loaded_does_not_stop_the_run(installed_model, tmp_path, monkeypatch):
    """Tokenizer and model are in memory by then: the run has all it needs and finishes."""
    import shutil

    from feedbridge.translate.argos import ArgosBackend

    assert _build_from_saved_quant_ph(tmp_path, 0).exit_code == 0
    published = (tmp_path / "out/quant-ph.ja.xml").read_bytes()
    translate_batch = ArgosBackend.translate_batch

    def translating_then_deleting(self, *args, **kwargs):
        result = translate_batch(self, *args, **kwargs)
        shutil.rmtree(installed_model.path, ignore_errors=True)
        return result

    monkeypatch.setattr(ArgosBackend, "translate_batch", translating_then_deleting)
    result = _build_from_saved_quant_ph(tmp_path, 1)
    assert result.exit_code == 0, result.output
    assert not installed_model.path.exists()
    assert (tmp_path / "out/quant-ph.ja.xml").read_bytes() != published


MEMBERS = ["metadata.json", "sentencepiece.model", "model/config.json", "model/model.bin",
           "model/shared_vocabulary.json", "README.md"]
DAMAGES = {
    "dropped": lambda data: None,
    "truncated": lambda data: data[: len(data) // 3],
    "garbage": lambda data: bytes(range(256)) * 4,
}


@pytest.mark.parametrize("damage", DAMAGES)
@pytest.mark.parametrize("member", MEMBERS)
def test_every_member_damaged_is_refused_whole_or_installs_a_working_package(tiny_argosmodel, tmp_path, member, damage):
    """Each file of the package dropped, cut short or replaced: either the install is
    refused naming the archive and nothing is left installed, or (a file the package
    does not need) what is installed really translates."""
    from feedbridge.translate.argos import ArgosBackend

    bad = _repack(tiny_argosmodel, tmp_path / "bad.argosmodel",
                  lambda name, data: DAMAGES[damage](data) if name.endswith("/" + member) else data)
    try:
        installed = packages.install_from_file(bad)
    except ModelError as err:
        assert str(bad) in str(err) and "\n" not in str(err)
        assert packages.installed_packages() == []
        assert list((tmp_path / "argos-packages").iterdir()) == []  # no staging folder left either
        return
    assert member == "README.md", f"a package with {member} {damage} was installed"
    translated = ArgosBackend(installed, beam_size=1).translate_batch(["Quantum states are fragile."])
    assert len(translated) == 1  # the tokenizer and the model loaded and ran
