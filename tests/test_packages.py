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
    assert [path for path, _ in http_server.requests] == ["/index/index.json", "/pkgs/en_ja.argosmodel"]
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
