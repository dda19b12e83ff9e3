"""`feedbridge init`'s starter config: commented, accepted by the loader as written."""

from __future__ import annotations

from pathlib import Path
from unittest.mock import patch

import pytest
import yaml

from feedbridge.config import load_config, parse_config
from feedbridge.translate import packages
from feedbridge.errors import ConfigError, ExitCode
from feedbridge.starter import (
    PLACEHOLDER_BASE_URL,
    PLACEHOLDER_CONTACT,
    starter_config,
    write_starter,
)


def test_default_starter_is_a_config_the_loader_accepts():
    config = parse_config(starter_config(), Path("feeds.yaml"))
    assert [(f.name, f.category, f.source_lang, f.target_lang) for f in config.feeds] == [
        ("cs.AI.ja", "cs.AI", "en", "ja")
    ]
    assert (config.base_url, config.contact) == (PLACEHOLDER_BASE_URL, PLACEHOLDER_CONTACT)
    assert config.min_interval == 3
    assert (config.enrich, config.api_url) == (True, "https://export.arxiv.org/api/query")


def test_categories_and_target_language_are_the_ones_asked_for():
    text = starter_config(["cs.AI", " cs.CL ", "astro-ph.GA", "cs.AI+cs.CL", "cs.AI"], "zh")
    config = parse_config(text, Path("feeds.yaml"))
    assert [f.name for f in config.feeds] == ["cs.AI.zh", "cs.CL.zh", "astro-ph.GA.zh", "cs.AI+cs.CL.zh"]
    assert {f.target_lang for f in config.feeds} == {"zh"}


def test_the_starter_explains_itself():
    lines = starter_config().splitlines()
    assert lines[0].startswith("# feedbridge")
    for key in ("base_url:", "output_dir:", "contact:", "min_interval:", "enrich:", "api_url:", "to:", "cache_dir:", "feeds:"):
        [index] = [i for i, line in enumerate(lines) if line.strip().startswith(key)]
        assert lines[index - 1].lstrip().startswith("#"), f"{key} has no comment above it"
    placeholders = [i for i, line in enumerate(lines) if PLACEHOLDER_BASE_URL in line or PLACEHOLDER_CONTACT in line]
    assert len(placeholders) == 2
    assert all("Replace the placeholder" in lines[i - 1] for i in placeholders)


def test_every_value_is_plain_yaml_data():
    data = yaml.safe_load(starter_config(["cs.CL"], "de"))
    assert data == {
        "site": {"base_url": PLACEHOLDER_BASE_URL, "output_dir": "site"},
        "arxiv": {
            "contact": PLACEHOLDER_CONTACT, "min_interval": 3,
            "enrich": True, "api_url": "https://export.arxiv.org/api/query",
        },
        "translation": {"from": "en", "to": "de"},
        "cache_dir": ".cache/feedbridge",
        "feeds": [{"category": "cs.CL"}],
    }


def test_a_language_code_yaml_would_read_as_a_boolean_stays_a_string():
    with patch.object(packages, "installed_pairs", lambda: frozenset({("en", "no")})), \
            patch.object(packages, "packages_dir", lambda: Path("/")):
        text = starter_config(["cs.AI"], "no")
    config = parse_config(text, Path("feeds.yaml"))
    assert config.feeds[0].target_lang == "no"


@pytest.mark.parametrize(
    "categories, target, message",
    [
        (["cs-AI"], "ja", "category 'cs-AI': expected an arXiv category like 'cs.AI'"),
        (["cs.AI", "cs.AI/../x"], "ja", "category 'cs.AI/../x': expected an arXiv category"),
        ([], "ja", "categories: expected at least one arXiv category"),
        ([" "], "ja", "categories: expected at least one arXiv category"),
        (["cs.AI"], "Japanese", "language 'Japanese': expected a language code like 'ja'"),
        (["cs.AI"], "xx", "feedbridge models install --file"),  # no package for en->xx
    ],
)
def test_wrong_categories_or_language_are_config_errors(categories, target, message):
    with pytest.raises(ConfigError) as caught:
        starter_config(categories, target)
    assert message in str(caught.value)
    assert caught.value.exit_code == ExitCode.CONFIG


def test_write_starter_writes_a_file_load_config_reads(tmp_path):
    path = tmp_path / "feeds.yaml"
    write_starter(path, starter_config(["cs.CL"]))
    assert [f.name for f in load_config(path).feeds] == ["cs.CL.ja"]


def test_write_starter_refuses_to_overwrite_without_force(tmp_path):
    path = tmp_path / "feeds.yaml"
    path.write_text("my own config\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        write_starter(path, starter_config())
    assert str(caught.value) == f"{path}: already exists; keep it, or overwrite it with --force"
    assert path.read_text(encoding="utf-8") == "my own config\n"
    write_starter(path, starter_config(), force=True)
    assert path.read_text(encoding="utf-8") == starter_config()
