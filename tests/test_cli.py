"""The command line as a user meets it: every command's help, init, doctor, translate,
one-line errors and --debug."""

from __future__ import annotations

import shutil

import click
import pytest
from click.testing import CliRunner

from feedbridge.sources.arxiv_rss import parse_feed
from feedbridge.cli import cli
from feedbridge.errors import ExitCode
from feedbridge.starter import PLACEHOLDER_BASE_URL
from support.paths import QUANT_PH


def invoke(*args, **kwargs):
    return CliRunner().invoke(cli, [str(a) for a in args], **kwargs)


def walk(command, path):
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from walk(sub, path + [name])


COMMANDS = list(walk(cli, []))


def test_every_command_is_walked():
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"build", "init", "doctor", "translate", "serve", "models", "models list", "models install"} <= names


@pytest.mark.parametrize("path, command", COMMANDS, ids=[" ".join(p) or "feedbridge" for p, _ in COMMANDS])
def test_every_command_and_option_has_help(path, command):
    result = invoke(*path, "--help")
    assert result.exit_code == 0, result.output
    assert command.help and command.help.strip(), path
    assert command.get_short_help_str().strip()
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help and param.help.strip(), (path, param.name)
            assert param.opts[0] in result.output


def test_the_console_script_is_named_feedbridge():
    from configparser import ConfigParser
    from pathlib import Path

    setup = ConfigParser()
    setup.read(Path(__file__).resolve().parents[1] / "setup.cfg")
    assert setup["options.entry_points"]["console_scripts"].split() == ["feedbridge", "=", "feedbridge.cli:main"]


# --- init -----------------------------------------------------------------------------


def test_init_writes_a_starter_that_build_accepts(tmp_path):
    path = tmp_path / "feeds.yaml"
    result = invoke("init", "--config", path, "--categories", "cs.AI,cs.CL", "--to", "de")
    assert result.exit_code == 0, result.output
    assert result.output == f"wrote {path}: replace its two placeholders, then run 'feedbridge doctor'\n"
    from feedbridge.config import load_config

    config = load_config(path)
    assert [f.name for f in config.feeds] == ["cs.AI.de", "cs.CL.de"]
    assert config.base_url == PLACEHOLDER_BASE_URL


def test_init_keeps_an_existing_file_unless_forced(tmp_path):
    path = tmp_path / "feeds.yaml"
    path.write_text("mine\n")
    result = invoke("init", "--config", path)
    assert result.exit_code == ExitCode.CONFIG
    assert result.output == f"Error: {path}: already exists; keep it, or overwrite it with --force\n"
    assert path.read_text() == "mine\n"
    assert invoke("init", "--config", path, "--force").exit_code == 0
    assert path.read_text().startswith("# feedbridge")


def test_init_refuses_a_malformed_category_in_one_line(tmp_path):
    result = invoke("init", "--config", tmp_path / "feeds.yaml", "--categories", "cs-AI")
    assert result.exit_code == ExitCode.CONFIG
    assert result.output.count("\n") == 1 and "category 'cs-AI'" in result.output
    assert not (tmp_path / "feeds.yaml").exists()


# --- doctor ---------------------------------------------------------------------------


def test_doctor_prints_one_line_per_check_and_exits_with_its_code(tmp_path, installed_model):
    path = tmp_path / "feeds.yaml"
    assert invoke("init", "--config", path).exit_code == 0
    result = invoke("doctor", "--config", path, "--offline")
    lines = result.output.splitlines()
    assert result.exit_code == ExitCode.OK  # placeholders are advice
    assert [line.split(":")[0] for line in lines] == [
        "✓ Python", "✓ packages", "✓ config", "✓ translation package en->ja", "✓ cache folder",
        "✓ output folder", "! base URL", "! arXiv contact",
    ]
    assert "\x1b[" not in result.output  # no colour when not on a terminal


def test_doctor_fails_without_a_package_and_says_the_fix(tmp_path):
    path = tmp_path / "feeds.yaml"
    assert invoke("init", "--config", path).exit_code == 0
    result = invoke("doctor", "--config", path, "--offline")
    assert result.exit_code == ExitCode.FAILED
    assert "✗ translation package en->ja: not installed in " in result.output
    assert result.output.splitlines()[3].endswith(" — feedbridge models install en ja")


def test_doctor_network_checks_use_the_timeout(tmp_path, http_server):
    path = tmp_path / "feeds.yaml"
    path.write_text(
        "site: {base_url: 'https://a.org/'}\n"
        f"arxiv: {{contact: 'mailto:a@a.org', feed_url: '{http_server.url}/rss/{{category}}',"
        f" api_url: '{http_server.url}/api/query'}}\nfeeds: [quant-ph]\n"
    )
    http_server.serve("/rss/quant-ph", QUANT_PH.read_bytes())
    result = invoke("doctor", "--config", path, "--timeout", "5")
    assert "✓ arXiv: " in result.output and "! arXiv API: " in result.output
    assert invoke("doctor", "--config", path, "--timeout", "0").exit_code == 2  # a usage error


# --- translate ------------------------------------------------------------------------


def test_translate_text_prints_each_sentence_and_its_translation(installed_model, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no feeds.yaml here: en->ja by default
    result = invoke("translate", "We study quantum error correction. It works for $n > 3$ qubits.")
    assert result.exit_code == 0, result.output
    lines = result.output.split("\n")
    assert lines[0] == "en: We study quantum error correction."
    assert lines[1].startswith("ja: ")
    assert lines[3] == "en: It works for $n > 3$ qubits."
    assert lines[4].startswith("ja: ") and "$n > 3$" in lines[4]  # math kept verbatim, or the sentence marked


def test_translate_arxiv_finds_the_paper_in_saved_feeds(installed_model, tmp_path):
    saved = tmp_path / "saved"
    saved.mkdir()
    shutil.copy(QUANT_PH, saved / "quant-ph.xml")
    paper = parse_feed(QUANT_PH.read_bytes(), "q").papers[3]
    result = invoke("translate", "--arxiv", f"arXiv:{paper.arxiv_id}v{paper.version}", "--from-dir", saved)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"arXiv:{paper.arxiv_id}v{paper.version}: {paper.links.abstract}\nen: {paper.title}\nja: ")
    sources = [line[4:] for line in result.output.splitlines() if line.startswith("en: ")]
    assert " ".join(sources[1:]) == " ".join(paper.abstract.split())


def test_translate_arxiv_fetches_the_configured_feeds(installed_model, tmp_path, http_server):
    http_server.serve("/rss/quant-ph", QUANT_PH.read_bytes())
    path = tmp_path / "feeds.yaml"
    path.write_text(
        "site: {base_url: 'https://a.org/'}\n"
        f"arxiv: {{contact: 'mailto:a@a.org', feed_url: '{http_server.url}/rss/{{category}}', min_interval: 0}}\n"
        "feeds: [quant-ph]\n"
    )
    paper = parse_feed(QUANT_PH.read_bytes(), "q").papers[0]
    assert invoke("translate", "--arxiv", paper.arxiv_id, "--config", path).exit_code == 0
    missing = invoke("translate", "--arxiv", "2504.99999", "--config", path)
    assert missing.exit_code == ExitCode.FAILED
    assert missing.output == (
        "Error: arXiv:2504.99999 is not in today's feeds of quant-ph; "
        "give --from-dir DIR with a saved feed that announces it\n"
    )


def test_translate_without_the_package_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("translate", "Hello.")
    assert result.exit_code == ExitCode.MODEL
    assert result.output.count("\n") == 1 and "feedbridge models install en ja" in result.output


def test_translate_needs_text_or_an_id():
    assert invoke("translate").exit_code == 2
    assert invoke("translate", "x", "--arxiv", "2504.17830").exit_code == 2


@pytest.mark.parametrize("given", ["", "   ", "2504", "not-an-id", "\x1b[31m2504.17830"])
def test_translate_arxiv_refuses_what_is_no_arxiv_id_in_one_line(given, tmp_path):
    result = invoke("translate", "--arxiv", given, "--from-dir", tmp_path)
    assert result.exit_code == ExitCode.CONFIG
    assert result.output.count("\n") == 1 and "is not an arXiv id (e.g. 2401.01234" in result.output
    assert "\x1b" not in result.output


# --- errors ---------------------------------------------------------------------------


def test_an_error_is_one_line_with_the_fix_and_debug_adds_the_traceback(tmp_path):
    missing = tmp_path / "nope.yaml"
    plain = invoke("build", "--config", missing)
    assert plain.exit_code == ExitCode.CONFIG
    assert plain.output == f"Error: {missing}: config file not found (create one, or pass --config FILE)\n"
    debug = invoke("--debug", "build", "--config", missing)
    assert debug.exit_code == ExitCode.CONFIG
    assert "Traceback (most recent call last)" in debug.output
    assert debug.output.endswith(plain.output)


def test_verbose_and_quiet_together_are_a_usage_error():
    assert invoke("-v", "-q", "models", "list").exit_code == 2


def test_colour_only_when_asked_for_by_a_terminal(tmp_path):
    missing = tmp_path / "nope.yaml"
    assert "\x1b[" not in invoke("build", "--config", missing).output
    coloured = invoke("build", "--config", missing, color=True).output  # as click sees a terminal
    assert coloured.startswith("\x1b[") and "Error:" in coloured and "config file not found" in coloured


def test_no_progress_bar_when_stderr_is_not_a_terminal(tmp_path, installed_model):
    saved = tmp_path / "saved"
    saved.mkdir()
    shutil.copy(QUANT_PH, saved / "quant-ph.xml")
    config = tmp_path / "feeds.yaml"
    config.write_text("site: {base_url: 'http://127.0.0.1:9/', output_dir: out}\n"
                      "arxiv: {contact: t@t.org, retries: 0}\ntranslation: {beam_size: 1}\nfeeds: [quant-ph]\n")
    result = invoke("build", "--config", config, "--from-dir", saved, "--offline")
    assert result.exit_code == 0, result.output
    assert "\r" not in result.output and "sentences\n" not in result.output
