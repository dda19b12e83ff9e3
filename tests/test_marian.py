"""Converted MarianMT models: added under a name after a probe translation, listed beside
Argos packages, removed; refused whole when broken; chosen by name in the config; run
by a backend that ends every source with </s>."""

from __future__ import annotations

import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sentencepiece
from click.testing import CliRunner

from feedbridge.cli import cli
from feedbridge.config import parse_config
from feedbridge.errors import ConfigError, ExitCode
from feedbridge.translate import ct2, marian
from feedbridge.translate.backend import MODEL_KINDS, check_models
from support.config import write_config
from support.scenes import documents

REPO = Path(__file__).resolve().parents[1]
TOY = REPO / "tests" / "data" / "toy-en-ja"  # a trained toy model, where it has been made
NAME = "tiny-en-ja"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def models_folder(tmp_path) -> Path:
    """This test's own models folder (conftest points FEEDBRIDGE_MODELS_DIR there)."""
    return tmp_path / "models"


@pytest.fixture
def added(marian_folder) -> marian.MarianModel:
    return marian.add_model(marian_folder, reserved=MODEL_KINDS.kind_names)


def copy_of(folder: Path, where: Path) -> Path:
    shutil.copytree(folder, where)
    return where


def leftovers(models_folder: Path) -> list[str]:
    """Everything in the models folder, hidden staging folders included."""
    return sorted(p.name for p in models_folder.iterdir()) if models_folder.exists() else []


# ---------------------------------------------------------------- add, list, remove


def test_add_list_remove(marian_folder, models_folder):
    result = run("models", "add", marian_folder)

    assert result.exit_code == 0, result.output
    [model] = marian.registered_models()
    assert (model.name, model.pair, model.licence) == (NAME, ("en", "ja"), "unknown")
    assert model.path == models_folder / NAME
    assert model.added_from == str(marian_folder)
    assert len(model.version) == 8 and model.version == marian.folder_version(marian_folder)
    assert f"added {NAME} {model.version} (en->ja" in result.output
    for name in ("model.bin", "config.json", "shared_vocabulary.json", "source.spm", "target.spm"):
        assert (model.path / name).read_bytes() == (marian_folder / name).read_bytes()
    record = json.loads((model.path / marian.RECORD_FILE).read_text())
    assert record["from"] == "en" and record["to"] == "ja" and record["version"] == model.version

    listing = run("models", "list")
    assert listing.exit_code == 0
    assert listing.output == f"en->ja  {NAME} {model.version}  marian  licence: unknown  {model.path}\n"

    removed = run("models", "remove", NAME)
    assert removed.exit_code == 0, removed.output
    assert removed.output == f"removed {NAME} {model.version} (en->ja) from {model.path}\n"
    assert marian.registered_models() == [] and leftovers(models_folder) == []
    assert run("models", "list").output.startswith("no translation models in ")


def test_list_shows_both_kinds_with_version_and_licence(installed_model, marian_folder):
    result = run("models", "add", marian_folder, "--from", "en", "--to", "ja", "--name", "fugu", "--licence", "CC BY-SA 4.0")
    assert result.exit_code == 0, result.output

    lines = run("models", "list").output.splitlines()

    assert len(lines) == 2
    assert lines[0].startswith("en->ja  translate-en_ja 1.0  argos  licence: ")
    assert lines[0].endswith(str(installed_model.path))
    version = marian.find_model("fugu").version
    assert lines[1].startswith(f"en->ja  fugu {version}  marian  licence: CC BY-SA 4.0  ")


def test_pair_is_given_on_the_command_line(marian_folder):
    assert run("models", "add", marian_folder, "--from", "ja", "--to", "en").exit_code == 0
    assert marian.find_model(NAME).pair == ("ja", "en")
    result = run("models", "add", marian_folder, "--name", "other", "--to", "Japanese")
    assert result.exit_code == ExitCode.CONFIG and "--to" in result.output


def test_pair_defaults_to_what_a_copied_model_says(marian_folder, tmp_path, monkeypatch):
    """A model copied out of another models folder keeps its pair; a bare folder is en->ja."""
    assert run("models", "add", marian_folder, "--from", "de", "--to", "fr").exit_code == 0
    copied = copy_of(marian.find_model(NAME).path, tmp_path / "copied")
    monkeypatch.setenv(marian.MODELS_DIR_ENV, str(tmp_path / "elsewhere"))
    assert marian.add_model(copied).pair == ("de", "fr")
    assert marian.add_model(marian_folder).pair == ("en", "ja")


@pytest.mark.parametrize("file, text, licence", [
    ("LICENSE", "\n   MIT License\n\nCopyright (c) 2026\n", "MIT License"),
    ("README.md", "---\nlanguage: [en, ja]\nlicense: cc-by-sa-4.0\n---\n# A model\n", "cc-by-sa-4.0"),
    ("README.md", "# A model\n\nIt translates.\n", "unknown"),  # a title is not a licence
])
def test_licence_found_in_the_folder(marian_folder, tmp_path, file, text, licence):
    folder = copy_of(marian_folder, tmp_path / "with-licence")
    (folder / file).write_text(text, encoding="utf-8")
    assert marian.add_model(folder).licence == licence


def test_unknown_name_is_not_removed(added):
    result = run("models", "remove", "nothing-here")
    assert result.exit_code == ExitCode.MODEL
    assert result.output.count("\n") == 1 and "no model named 'nothing-here'" in result.output
    assert run("models", "remove", "argos").exit_code == ExitCode.MODEL  # Argos packages are not removed here
    assert marian.registered_models() == [added]


def test_separate_vocabularies_are_accepted(tmp_path):
    from tiny_model import build_marian_folder, fixture_corpus

    folder = build_marian_folder(tmp_path / "separate", fixture_corpus(), separate_vocabularies=True)
    assert not (folder / "shared_vocabulary.json").exists()
    assert marian.add_model(folder).name == "separate"


# ---------------------------------------------------------------- names


@pytest.mark.parametrize("name", ["a b", "../up", ".hidden", "-dash", "x" * 65, "toy/ja", "é"])
def test_unsafe_names_are_refused(marian_folder, models_folder, name):
    result = run("models", "add", marian_folder, "--name", name)
    assert result.exit_code == ExitCode.CONFIG
    assert result.output.count("\n") == 1 and "not a usable model name" in result.output
    assert leftovers(models_folder) == []


@pytest.mark.parametrize("name", ["argos", "marian", "ARGOS"])
def test_a_kind_s_name_is_refused(marian_folder, name):
    result = run("models", "add", marian_folder, "--name", name)
    assert result.exit_code == ExitCode.CONFIG
    assert "names a kind of model" in result.output and result.output.count("\n") == 1


@pytest.mark.parametrize("name", [NAME, NAME.upper()])
def test_a_taken_name_is_refused(added, marian_folder, name):
    result = run("models", "add", marian_folder, "--name", name)
    assert result.exit_code == ExitCode.CONFIG
    assert "already added" in result.output and result.output.count("\n") == 1
    assert marian.registered_models() == [added]


def test_a_folder_whose_name_is_unusable_needs_a_name(marian_folder, tmp_path):
    folder = copy_of(marian_folder, tmp_path / "my model")
    result = run("models", "add", folder)
    assert result.exit_code == ExitCode.CONFIG and "--name" in result.output
    assert run("models", "add", folder, "--name", "mine").exit_code == 0


# ---------------------------------------------------------------- broken folders


def _truncate(folder: Path, name: str) -> None:
    data = (folder / name).read_bytes()
    (folder / name).write_bytes(data[: len(data) // 2])


def _drop_vocabulary_tail(folder: Path) -> None:
    path = folder / "shared_vocabulary.json"
    path.write_text(json.dumps(json.loads(path.read_text())[:-3]))


def _rename_vocabulary(folder: Path) -> None:
    """Same size, other tokens: another model's vocabulary."""
    path = folder / "shared_vocabulary.json"
    tokens = json.loads(path.read_text())
    path.write_text(json.dumps(tokens[:2] + [f"{t}#" for t in tokens[2:]]))


BROKEN = {
    "truncated model.bin": (lambda f: _truncate(f, "model.bin"), "model.bin is truncated"),
    "garbage model.bin": (lambda f: (f / "model.bin").write_bytes(b"not a model" * 100), "model.bin is truncated or not a CTranslate2 model"),
    "model.bin of a newer CTranslate2": (lambda f: (f / "model.bin").write_bytes(struct.pack("<I", 7) + b"not a model" * 100),
                                         "cannot load the model (Unsupported model binary version"),
    "no model.bin": (lambda f: (f / "model.bin").unlink(), "missing model.bin"),
    "no target.spm": (lambda f: (f / "target.spm").unlink(), "missing target.spm"),
    "no vocabulary": (lambda f: (f / "shared_vocabulary.json").unlink(), "missing shared_vocabulary.json"),
    "vocabulary size": (_drop_vocabulary_tail, "shared_vocabulary.json has 996 tokens, but model.bin's source embeddings have 999"),
    "vocabulary of another model": (_rename_vocabulary, "pieces are in shared_vocabulary.json"),
    "vocabulary not JSON": (lambda f: (f / "shared_vocabulary.json").write_text("[\"</s>\", "), "shared_vocabulary.json is unreadable"),
    "garbage source.spm": (lambda f: (f / "source.spm").write_bytes(b"\x00garbage" * 50), "source.spm is not a SentencePiece model"),
    "truncated target.spm": (lambda f: _truncate(f, "target.spm"), "target.spm is not a SentencePiece model"),
    "config.json garbage": (lambda f: (f / "config.json").write_text("{"), "config.json is unreadable"),
}


@pytest.mark.parametrize("damage, message", BROKEN.values(), ids=BROKEN.keys())
def test_broken_folder_is_refused_whole(marian_folder, models_folder, tmp_path, damage, message):
    folder = copy_of(marian_folder, tmp_path / "broken")
    damage(folder)

    result = run("models", "add", folder)

    assert result.exit_code == ExitCode.MODEL, result.output
    [line] = result.output.splitlines()
    assert line.startswith(f"Error: {folder}: ") and message in line
    assert leftovers(models_folder) == []  # nothing listed, no staging folder left
    assert marian.registered_models() == [] and "broken" not in MODEL_KINDS


def test_a_refused_folder_leaves_the_added_ones_alone(added, marian_folder, models_folder, tmp_path):
    folder = copy_of(marian_folder, tmp_path / "broken")
    _truncate(folder, "model.bin")
    assert run("models", "add", folder).exit_code == ExitCode.MODEL
    assert leftovers(models_folder) == [NAME]
    assert marian.registered_models() == [added]


def test_a_missing_folder_is_one_line(models_folder, tmp_path):
    result = run("models", "add", tmp_path / "nowhere")
    assert result.exit_code == ExitCode.MODEL
    assert result.output == f"Error: {tmp_path / 'nowhere'}: no such folder\n"


KILL_SCRIPT = textwrap.dedent("""
    import os, signal, sys
    from feedbridge.translate import marian
    from feedbridge.cli import cli

    step = getattr(marian, sys.argv[1])
    def killed(*args, **kwargs):
        step(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)
    setattr(marian, sys.argv[1], killed)
    cli.main(["models", "add", sys.argv[2]], prog_name="feedbridge")
""")


@pytest.mark.parametrize("step", ["_copy_files", "_probe", "folder_version"])
def test_a_killed_add_leaves_nothing_listed(marian_folder, models_folder, step):
    env = {**os.environ, marian.MODELS_DIR_ENV: str(models_folder)}
    done = subprocess.run([sys.executable, "-c", KILL_SCRIPT, step, str(marian_folder)], env=env, cwd=REPO)
    assert done.returncode == -signal.SIGKILL

    [staging] = leftovers(models_folder)
    assert staging.startswith(marian.STAGING_PREFIX)
    assert marian.registered_models() == [] and NAME not in MODEL_KINDS
    assert run("models", "list").output.startswith("no translation models")

    an_hour_ago = os.stat(models_folder / staging).st_mtime - marian.ABANDONED_AFTER - 1
    os.utime(models_folder / staging, (an_hour_ago, an_hour_ago))
    assert run("models", "add", marian_folder).exit_code == 0
    assert leftovers(models_folder) == [NAME]  # the abandoned staging folder is cleared


# ---------------------------------------------------------------- the config names a model


CONFIG = """
site: {{base_url: "https://example.org/fb"}}
arxiv: {{contact: "me@example.org"}}
translation: {{model: {model}, from: {source}, to: {target}}}
feeds: [cs.AI]
"""


def config_of(model, source="en", target="ja", text=CONFIG):
    return parse_config(text.format(model=model, source=source, target=target), Path("/srv/conf/feeds.yaml"))


def config_error(config) -> str:
    with pytest.raises(ConfigError) as caught:
        check_models(config)
    message = str(caught.value)
    assert "\n" not in message and message.startswith("/srv/conf/feeds.yaml: ")
    return message


def test_config_chooses_a_model_by_its_name(added):
    check_models(config_of(NAME))

    kind = MODEL_KINDS[NAME]
    assert kind is not None and kind.engine == "CTranslate2 (MarianMT)"
    assert list(MODEL_KINDS) == ["argos", NAME] and len(MODEL_KINDS) == 2
    backend = kind.installed("en", "ja")
    assert backend.provenance == f"{NAME} {added.version}"
    assert backend.language_name == "Japanese" and backend.engine == kind.engine
    assert kind.installed("en", "de") is None


def test_config_naming_a_model_for_another_pair_is_refused(added):
    message = config_error(config_of(NAME, target="de"))
    assert message.startswith("/srv/conf/feeds.yaml: feeds[0].to: expected 'ja' (model 'tiny-en-ja' translates only en->ja")
    assert message.endswith("got 'de'")
    message = config_error(config_of(NAME, source="fr"))
    assert message.startswith("/srv/conf/feeds.yaml: feeds[0].from: expected 'en' (model 'tiny-en-ja'")


def test_config_naming_an_unknown_model_is_refused(added):
    message = config_error(config_of("fugu"))
    assert message == (
        "/srv/conf/feeds.yaml: feeds[0].model: expected one of the known models (argos, tiny-en-ja), got 'fugu'"
    )


def test_config_after_the_model_is_removed_is_refused(added):
    marian.remove_model(NAME)
    assert "feeds[0].model: expected one of the known models (argos)" in config_error(config_of(NAME))


def test_one_model_per_language_pair(added):
    text = CONFIG.replace("feeds: [cs.AI]", "feeds: [cs.AI, {{category: cs.CL, model: argos}}]")
    message = config_error(config_of(NAME, text=text))
    assert message.startswith("/srv/conf/feeds.yaml: feeds[1].model: expected 'tiny-en-ja', the model feeds[0]")
    check_models(config_of(NAME, text=text.replace("model: argos", f"model: {NAME}")))


# ---------------------------------------------------------------- the backend


class Recording:
    """A CTranslate2 translator that keeps every batch of tokens it is given."""

    def __init__(self, translator):
        self.translator = translator
        self.batches: list[list[list[str]]] = []

    def translate_batch(self, tokens, **options):
        self.batches.append(tokens)
        return self.translator.translate_batch(tokens, **options)


def test_backend_ends_every_source_with_eos(added, monkeypatch):
    recorders, load = [], ct2.load_model

    def load_recording(*args, **kwargs):
        recorders.append(Recording(load(*args, **kwargs)))
        return recorders[-1]

    monkeypatch.setattr(ct2, "load_model", load_recording)
    backend = MODEL_KINDS[NAME].backend("en", "ja", offline=True, log=print, beam_size=1)
    sentences = ["We study quantum entanglement.", "The bound is tight."]
    source = sentencepiece.SentencePieceProcessor(model_file=str(added.path / "source.spm"))

    results = backend.translate_batch(sentences)

    sent = sorted(tokens for batch in recorders[0].batches for tokens in batch)
    assert sent == sorted(source.encode(s, out_type=str) + ["</s>"] for s in sentences)
    assert all(tokens.count("</s>") == 1 for tokens in sent)
    assert [backend.count_tokens(s) for s in sentences] == [len(source.encode(s)) + 1 for s in sentences]
    assert len(results) == 2 and all(isinstance(h, str) for hypotheses in results for h in hypotheses)
    assert results == backend.translate_batch(sentences)  # deterministic
    assert backend.loaded


def test_backend_loads_nothing_until_it_translates(added):
    backend = MODEL_KINDS[NAME].installed("en", "ja")
    assert backend.count_tokens("One sentence.") > 1
    assert not backend.loaded and backend.translate_batch([]) == []


def test_translate_through_the_config(added):
    """`feedbridge translate` and the pipeline find the backend as MODEL_KINDS[feed.model]."""
    from feedbridge.preview import translate_text

    [pair] = translate_text("We study quantum entanglement.", "en", "ja", config_of(NAME))
    assert pair.source == "We study quantum entanglement."
    assert isinstance(pair.target, str) and pair.target


def saved_quant_ph(tmp_path: Path) -> Path:
    saved = tmp_path / "saved"
    saved.mkdir()
    (saved / "quant-ph.xml").write_bytes(documents()[0])
    return saved


def test_dry_run_finds_the_model_by_name(added, tmp_path):
    """The pipeline's plan gets its backend as MODEL_KINDS[feed.model].installed(...)."""
    config = write_config(tmp_path, feeds=["quant-ph"], translation={"model": NAME})
    result = run("build", "--config", config, "--from-dir", saved_quant_ph(tmp_path), "--offline", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output[result.output.index("{"):])
    assert plan["missing_packages"] == [] and plan["sentences"]["model"] > 0


def test_version_covers_the_target_side(marian_folder, tmp_path):
    """A renamed target.spm changes every translation: the version, and so the memory's key, changes."""
    folder = copy_of(marian_folder, tmp_path / "renamed")
    assert marian.folder_version(folder) == marian.folder_version(marian_folder)
    (folder / "target.spm").write_bytes((folder / "target.spm").read_bytes() + b"\n")
    assert marian.folder_version(folder) != marian.folder_version(marian_folder)


def test_builder_gives_the_same_bytes(marian_folder, tmp_path):
    from tiny_model import build_marian_folder, fixture_corpus

    again = build_marian_folder(tmp_path / NAME, fixture_corpus())
    assert sorted(p.name for p in again.iterdir()) == sorted(p.name for p in marian_folder.iterdir())
    for path in again.iterdir():
        assert path.read_bytes() == (marian_folder / path.name).read_bytes(), path.name
    config = json.loads((again / "config.json").read_text())
    assert config["decoder_start_token"] == "</s>" and not config["add_source_eos"]
    vocabulary = json.loads((again / "shared_vocabulary.json").read_text())
    assert vocabulary[:2] == ["</s>", "<unk>"] and "<s>" not in vocabulary and "<pad>" not in vocabulary


# ---------------------------------------------------------------- the trained toy model


@pytest.mark.skipif(not (TOY / "model.bin").exists(), reason="tests/data/toy-en-ja has not been made")
def test_trained_toy_model_is_added_and_translates(models_folder):
    result = run("models", "add", TOY)
    assert result.exit_code == 0, result.output

    backend = MODEL_KINDS["toy-en-ja"].backend("en", "ja", offline=True, log=print)
    [hypotheses] = backend.translate_batch(["We study the entanglement of two qubits."])

    assert hypotheses, "the trained model's output was refused"
    assert any(ord(c) > 127 for c in hypotheses[0]), hypotheses[0]  # not English


@pytest.mark.skipif(not (TOY / "model.bin").exists(), reason="tests/data/toy-en-ja has not been made")
def test_trained_toy_model_builds_a_feed(tmp_path):
    assert run("models", "add", TOY).exit_code == 0
    version = marian.find_model("toy-en-ja").version
    config = write_config(tmp_path, feeds=["quant-ph"], translation={"model": "toy-en-ja"})

    result = run("build", "--config", config, "--from-dir", saved_quant_ph(tmp_path), "--offline")

    assert result.exit_code == 0, result.output
    feed = (tmp_path / "out" / "quant-ph.ja.xml").read_text(encoding="utf-8")
    assert f"toy-en-ja {version}" in feed and "CTranslate2 (MarianMT)" in feed


# ---------------------------------------------------------------- Hugging Face folders, converted


@pytest.fixture(scope="module")
def hf_folder(tmp_path_factory) -> Path:
    """A tiny random MarianMT in Hugging Face's layout (tests/support/hf_marian.py), built once."""
    from support.hf_marian import build_hf_marian_folder

    return build_hf_marian_folder(tmp_path_factory.mktemp("hf") / "tiny-hf-marian")


def test_a_hugging_face_folder_is_converted_and_added(hf_folder, models_folder):
    result = run("models", "add", hf_folder, "--name", "hf-tiny")

    assert result.exit_code == 0, result.output
    assert result.output.startswith("added hf-tiny ") and result.output.count("\n") == 1  # no progress bars
    model = marian.find_model("hf-tiny")
    assert sorted(p.name for p in model.path.iterdir()) == [
        "README.md", "config.json", marian.RECORD_FILE, "model.bin", "shared_vocabulary.json", "source.spm", "target.spm",
    ]
    assert model.licence == "cc-by-sa-4.0"  # the model card's front matter, copied with the model
    assert (model.path / "source.spm").read_bytes() == (hf_folder / "source.spm").read_bytes()
    vocabulary = json.loads((model.path / "shared_vocabulary.json").read_text())
    hf_vocabulary = json.loads((hf_folder / "vocab.json").read_text())
    assert vocabulary == sorted(hf_vocabulary, key=hf_vocabulary.get)[:-1]  # Marian's <pad> dropped
    record = json.loads((model.path / marian.RECORD_FILE).read_text())
    assert record["converted"].startswith("int8 by CTranslate2 ") and record["added_from"] == str(hf_folder)
    backend = MODEL_KINDS["hf-tiny"].backend("en", "ja", offline=True, log=print, beam_size=1)
    assert len(backend.translate_batch(["We study quantum entanglement."])) == 1  # it loads and runs

    again = marian.add_model(hf_folder, name="hf-again")
    assert again.version == model.version  # the same folder converts to the same bytes
    assert leftovers(models_folder) == ["hf-again", "hf-tiny"]


def test_a_hugging_face_folder_without_the_converter_is_one_line(hf_folder, models_folder, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # as if PyTorch were not installed
    monkeypatch.setitem(sys.modules, "transformers", None)

    result = run("models", "add", hf_folder)

    assert result.exit_code == ExitCode.MODEL
    [line] = result.output.splitlines()
    assert line.startswith(f"Error: {hf_folder}: a Hugging Face MarianMT model, which must be converted for"
                           " CTranslate2, and torch and transformers are not installed: install the CPU build of"
                           " PyTorch first (pip install torch --index-url https://download.pytorch.org/whl/cpu;")
    assert line.endswith("then pip install 'feedbridge[convert]'")
    assert leftovers(models_folder) == []


@pytest.mark.parametrize("missing, message", [
    ("vocab.json", "missing vocab.json (a Hugging Face MarianMT folder holds config.json, source.spm, target.spm, vocab.json"),
    ("target.spm", "missing target.spm"),
    ("model.safetensors", "no weights (model.safetensors or pytorch_model.bin)"),
])
def test_a_hugging_face_folder_missing_a_file_is_one_line(hf_folder, models_folder, tmp_path, missing, message):
    folder = copy_of(hf_folder, tmp_path / "incomplete")
    (folder / missing).unlink()
    result = run("models", "add", folder)
    assert result.exit_code == ExitCode.MODEL
    assert result.output.startswith(f"Error: {folder}: {message}")
    assert result.output.count("\n") == 1 and leftovers(models_folder) == []


def test_another_kind_of_hugging_face_model_is_refused(hf_folder, models_folder, tmp_path):
    folder = copy_of(hf_folder, tmp_path / "m2m")
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "model_type": "m2m_100"}))
    result = run("models", "add", folder)
    assert result.exit_code == ExitCode.MODEL
    assert result.output == (f"Error: {folder}: a Hugging Face 'm2m_100' model, not MarianMT ('marian'):"
                             " feedbridge adds MarianMT models only\n")
    assert leftovers(models_folder) == []


@pytest.mark.parametrize("damage", [
    lambda f: (f / "model.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}garbage"),
    lambda f: (f / "vocab.json").write_text(json.dumps(dict(list(json.loads((f / "vocab.json").read_text()).items())[:-5]))),
], ids=["weights garbage", "vocabulary of another size"])
def test_a_conversion_that_fails_is_one_line_and_leaves_nothing(hf_folder, models_folder, tmp_path, damage):
    folder = copy_of(hf_folder, tmp_path / "damaged")
    damage(folder)
    result = run("models", "add", folder)
    assert result.exit_code == ExitCode.MODEL, result.output
    [line] = result.output.splitlines()
    assert line.startswith(f"Error: {folder}: CTranslate2's Transformers converter failed (")
    assert leftovers(models_folder) == [] and marian.registered_models() == []
