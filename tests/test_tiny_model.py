"""tools/tiny_model.py builds packages that argostranslate and CTranslate2 accept as real."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import ctranslate2
import pytest
import tiny_model  # tools/ is on pytest's pythonpath (setup.cfg)

PLACEHOLDER = "\ue000"
SOURCE = f"Quantum entanglement of two qubits {PLACEHOLDER} is measured."


@pytest.fixture(scope="module")
def corpus() -> list[str]:
    return tiny_model.fixture_corpus()


@pytest.fixture(scope="module")
def package(tmp_path_factory, corpus) -> Path:
    path = tmp_path_factory.mktemp("build") / "translate-en_ja-1_0.argosmodel"
    tiny_model.build_argosmodel(path, corpus, user_defined_symbols=[PLACEHOLDER])
    return path


@pytest.fixture
def argos(tmp_path, monkeypatch):
    """argostranslate with its packages and index in tmp_path. It reads its settings
    once, at import (conftest points that at a scratch home), so patch the module."""
    import argostranslate.package
    import argostranslate.settings

    packages = tmp_path / "packages"
    packages.mkdir()
    monkeypatch.setattr(argostranslate.settings, "package_data_dir", packages)
    monkeypatch.setattr(argostranslate.settings, "package_dirs", [packages])
    monkeypatch.setattr(argostranslate.settings, "local_package_index", tmp_path / "index.json")
    return argostranslate.package


def test_zip_holds_one_package_folder(package):
    names = zipfile.ZipFile(package).namelist()
    assert {name.split("/")[0] for name in names} == {"translate-en_ja-1_0"}
    files = {name.split("/", 1)[1] for name in names}
    assert {"metadata.json", "README.md", "sentencepiece.model", "model/model.bin"} <= files
    with zipfile.ZipFile(package) as archive:
        metadata = json.loads(archive.read("translate-en_ja-1_0/metadata.json"))
        assert "random" in archive.read("translate-en_ja-1_0/README.md").decode()
    assert metadata["from_code"] == "en" and metadata["to_code"] == "ja"
    assert metadata["type"] == "translate"


def test_argos_installs_it_and_ctranslate2_translates(argos, package):
    argos.install_from_path(package)

    [pkg] = argos.get_installed_packages()
    assert (pkg.from_code, pkg.to_code) == ("en", "ja")
    assert (pkg.from_name, pkg.to_name) == ("English", "Japanese")

    tokens = pkg.tokenizer.encode(SOURCE)
    assert PLACEHOLDER in tokens  # a user-defined symbol stays one piece
    assert pkg.tokenizer.decode(tokens) == SOURCE

    vocabulary = json.loads((pkg.package_path / "model" / "shared_vocabulary.json").read_text())
    translator = ctranslate2.Translator(str(pkg.package_path / "model"), device="cpu")
    first = translator.translate_batch([tokens], max_decoding_length=20)[0].hypotheses[0]
    again = translator.translate_batch([tokens], max_decoding_length=20)[0].hypotheses[0]

    assert first == again
    assert 0 < len(first) <= 20
    assert set(first) <= set(vocabulary) - {"<unk>", "<s>"}
    assert isinstance(pkg.tokenizer.decode(first), str)


def test_same_inputs_give_same_bytes(package, corpus, tmp_path):
    again = tmp_path / package.name
    tiny_model.build_argosmodel(again, corpus, user_defined_symbols=[PLACEHOLDER])
    assert again.read_bytes() == package.read_bytes()


def test_seed_changes_weights_not_vocabulary(package, corpus, tmp_path):
    other = tmp_path / package.name
    tiny_model.build_argosmodel(other, corpus, user_defined_symbols=[PLACEHOLDER], seed=1)
    with zipfile.ZipFile(package) as a, zipfile.ZipFile(other) as b:
        member = "translate-en_ja-1_0/{}".format
        assert a.read(member("sentencepiece.model")) == b.read(member("sentencepiece.model"))
        assert a.read(member("model/model.bin")) != b.read(member("model/model.bin"))


def test_small_corpus_is_topped_up_to_the_vocabulary_size(corpus):
    model = tiny_model.train_sentencepiece(corpus[:20], 1000)
    assert len(tiny_model._pieces(model)) == 1000


def test_corpus_too_poor_for_the_vocabulary_is_refused():
    with pytest.raises(ValueError, match="pieces"):
        tiny_model.train_sentencepiece(["one two"], 1000)


def test_index_lists_the_package_for_argos(argos, package, tmp_path):
    with zipfile.ZipFile(package) as archive:
        metadata = json.loads(archive.read("translate-en_ja-1_0/metadata.json"))
    url = "http://127.0.0.1:8000/translate-en_ja-1_0.argosmodel"
    tiny_model.write_index(tmp_path / "index.json", [tiny_model.index_entry(metadata, url)])

    [available] = argos.get_available_packages()
    assert (available.from_code, available.to_code) == ("en", "ja")
    assert available.links == [url]


def test_command_line_builds_from_a_text_file(tmp_path, corpus, capsys):
    text = tmp_path / "corpus.txt"
    text.write_text("\n".join(corpus), encoding="utf-8")
    out = tmp_path / "de_fr.argosmodel"

    assert tiny_model.main([str(out), "--from", "de", "--to", "fr", "--corpus", str(text)]) == 0

    assert zipfile.ZipFile(out).namelist()[0].startswith("translate-de_fr-1_0/")
    assert str(out) in capsys.readouterr().out
