"""The config loader: defaults, path resolution, and one clear error per mistake."""

from contextlib import contextmanager
from pathlib import Path
from unittest.mock import patch

import pytest

from feedbridge.config import load_config, parse_config
from feedbridge.translate import packages
from feedbridge.translate.backend import check_models
from feedbridge.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]

MINIMAL = """
site: {base_url: "https://example.org/fb"}
arxiv: {contact: "me@example.org"}
feeds: [cs.AI]
"""


def parse(text, installed=frozenset()):
    """The config as the CLI loads it: parsed, then every feed's model checked, with
    ``installed`` as the pairs of the Argos packages installed."""
    config = parse_config(text, Path("/srv/conf/feeds.yaml"))
    with installed_packages(installed):
        check_models(config)
    return config


@contextmanager
def installed_packages(pairs):
    with patch.object(packages, "installed_pairs", lambda: frozenset(pairs)), \
            patch.object(packages, "packages_dir", lambda: Path("/")):
        yield


def error_of(text, installed=frozenset()):
    with pytest.raises(ConfigError) as caught:
        parse(text, installed)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("/srv/conf/feeds.yaml")
    return message


def test_default_config_ships_cs_ai_cl_lg_in_japanese():
    config = load_config(REPO / "feeds.yaml")
    assert [f.category for f in config.feeds] == ["cs.AI", "cs.CL", "cs.LG"]
    assert {(f.source_lang, f.target_lang) for f in config.feeds} == {("en", "ja")}
    assert config.min_interval >= 3
    assert config.output_dir == REPO / "site"
    assert "{category}" in config.feed_url


def test_defaults_merged_and_paths_resolved_against_config_folder(monkeypatch):
    monkeypatch.delenv("FEEDBRIDGE_CACHE_DIR", raising=False)
    config = parse(MINIMAL)
    assert config.base_url == "https://example.org/fb/"
    assert config.output_dir == Path("/srv/conf/site")
    assert config.cache_dir == Path("/srv/conf/.cache/feedbridge")
    assert config.feed_url == "https://rss.arxiv.org/rss/{category}"
    assert config.feeds[0].name == "cs.AI.ja"
    assert (config.enrich, config.api_url) == (True, "https://export.arxiv.org/api/query")


def test_enrichment_can_be_turned_off_and_pointed_elsewhere():
    config = parse(MINIMAL.replace('arxiv: {', 'arxiv: {enrich: false, api_url: "http://127.0.0.1:8/api", '))
    assert (config.enrich, config.api_url) == (False, "http://127.0.0.1:8/api")


def test_cache_dir_env_overrides_config(monkeypatch, tmp_path):
    monkeypatch.setenv("FEEDBRIDGE_CACHE_DIR", str(tmp_path))
    assert parse(MINIMAL).cache_dir == tmp_path


def test_target_language_per_feed_with_global_default():
    config = parse(MINIMAL.replace("feeds: [cs.AI]", "translation: {to: zh}\nfeeds: [cs.AI, {category: cs.CL, to: ja}]"))
    assert [(f.category, f.target_lang, f.name) for f in config.feeds] == [
        ("cs.AI", "zh", "cs.AI.zh"), ("cs.CL", "ja", "cs.CL.ja")]


@pytest.mark.parametrize("category", ["cs.AI", "math.AP", "astro-ph.GA", "hep-th", "cond-mat.mes-hall",
                                      "cs.AI+cs.CL", "quant-ph", "physics"])
def test_arxiv_category_forms_accepted(category):
    assert parse(MINIMAL.replace("[cs.AI]", f"['{category}']")).feeds[0].category == category


@pytest.mark.parametrize("category", ["cs", "CS.AI", "cs.AI/../x", "cs..AI", "cs.AI+", "../etc", "cs AI", "cs.AI\0"])
def test_malformed_category_names_the_key(category):
    text = MINIMAL.replace("[cs.AI]", f"[{{category: {category!r}}}]".replace("'", '"').replace("\0", "\\0"))
    if category == "cs":  # a whole archive is a valid feed
        assert parse(text).feeds[0].category == "cs"
        return
    message = error_of(text)
    assert "feeds[0].category" in message and "arXiv category" in message


@pytest.mark.parametrize("text, key, expected", [
    (MINIMAL + "colour: blue\n", "colour", "known keys"),
    (MINIMAL.replace("arxiv: {", "arxiv: {mirror: x, "), "arxiv.mirror", "known keys"),
    (MINIMAL.replace("feeds: [cs.AI]", "feeds: [{category: cs.AI, lang: ja}]"), "feeds[0].lang", "known keys"),
    (MINIMAL.replace("feeds: [cs.AI]", "feeds: [{category: cs.AI, to: xx}]"), "feeds[0].to", "Argos Translate package"),
    (MINIMAL.replace("feeds: [cs.AI]", "feeds: []"), "feeds", "non-empty list"),
    (MINIMAL.replace('arxiv: {contact: "me@example.org"}', "arxiv: {}"), "arxiv.contact", "required"),
    (MINIMAL.replace("https://example.org/fb", "ftp://example.org/"), "site.base_url", "http"),
    (MINIMAL.replace("https://example.org/fb", "javascript:alert(1)"), "site.base_url", "http"),
    (MINIMAL.replace("arxiv: {", "arxiv: {enrich: yes please, "), "arxiv.enrich", "true or false"),
    (MINIMAL.replace("arxiv: {", "arxiv: {enrich: 1, "), "arxiv.enrich", "true or false"),
    (MINIMAL.replace("arxiv: {", "arxiv: {api_url: ftp://x.org/q, "), "arxiv.api_url", "http"),
    (MINIMAL.replace("arxiv: {", "arxiv: {api_url: '', "), "arxiv.api_url", "http"),
    (MINIMAL + "translation: {beam_size: four}\n", "translation.beam_size", "a number"),
    (MINIMAL + "translation: {beam_size: 0}\n", "translation.beam_size", ">= 1"),
    (MINIMAL.replace("feeds: [cs.AI]", "feeds: [cs.AI, {category: cs.CL, name: cs.AI.ja}]"), "feeds[1].name", "not used"),
    (MINIMAL.replace("feeds: [cs.AI]", "feeds: [{category: cs.AI, name: ../../etc/x}]"), "feeds[0].name", "file-name-safe"),
    (MINIMAL.replace("feeds: [cs.AI]", "feeds: [{category: cs.AI, name: /abs}]"), "feeds[0].name", "file-name-safe"),
    (MINIMAL.replace("feeds: [cs.AI]", 'feeds: [{category: cs.AI, name: "a\\0b"}]'), "feeds[0].name", "file-name-safe"),
    (MINIMAL + "topics: [{name: ../up, categories: [cs.AI], include: [x]}]\n", "topics[0].name", "file-name-safe"),
    (MINIMAL.replace("https://example.org/fb", "file:///etc/"), "site.base_url", "http"),
    ("", "top level", "empty"),
    ("- just\n- a list\n", "top level", "mapping"),
])
def test_each_mistake_is_one_line_naming_file_and_key(text, key, expected):
    message = error_of(text)
    assert key in message
    assert expected in message


def test_feed_url_template_needs_category_placeholder():
    message = error_of(MINIMAL.replace('arxiv: {contact: "me@example.org"}',
                                       'arxiv: {contact: me, feed_url: "http://127.0.0.1/rss"}'))
    assert "arxiv.feed_url" in message and "{category}" in message


def test_python_object_tags_are_refused_not_constructed():
    message = error_of(MINIMAL + "x: !!python/object/apply:os.system ['echo pwned']\n")
    assert "invalid YAML" in message


def test_broken_yaml_names_the_line():
    assert "line 2" in error_of("site: {}\nfeeds: a: b\n")


def test_installed_package_widens_known_pairs():
    text = MINIMAL.replace("feeds: [cs.AI]", "feeds: [{category: cs.AI, to: xx}]")
    assert parse(text, frozenset({("en", "xx")})).feeds[0].target_lang == "xx"


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")


# --- no input may crash the loader with anything but feedbridge's own error ---------------

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                     st.text(max_size=20), st.sampled_from(["cs.AI", "ja", "en", "https://x.org/", "../x"]))
_keys = st.one_of(st.sampled_from(["site", "arxiv", "translation", "feeds", "cache_dir", "base_url",
                                   "output_dir", "contact", "feed_url", "category", "to", "from", "name",
                                   "beam_size", "min_interval", "retries", "timeout", "device"]),
                  st.text(max_size=8))
_documents = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(_keys, inner, max_size=5)), max_leaves=25)


def _loads_or_config_error(text):
    try:
        parse(text)
    except ConfigError as err:
        assert "\n" not in str(err) and str(err).startswith("/srv/conf/feeds.yaml")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_documents)
def test_any_yaml_structure_gives_a_config_or_a_config_error(document):
    import yaml

    _loads_or_config_error(yaml.safe_dump(document))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_gives_a_config_or_a_config_error(text):
    _loads_or_config_error(text)


@pytest.mark.parametrize("text", [
    "a: 2001-02-30\n",  # YAML builds a date that does not exist
    "[" * 5000,  # nesting deeper than the parser's recursion
    "a: !!binary 'not base64!'\n",
    "a: &x [*x]\n",
    "a: !!python/name:os.system\n",
    "site: {base_url: 'https://x.org/'}\narxiv: {contact: me}\nfeeds: [cs.AI]\ncache_dir: \"a\\0b\"\n",
])
def test_hostile_yaml_is_a_config_error(text):
    with pytest.raises(ConfigError):
        parse(text)


def test_translation_engine_settings():
    config = parse(MINIMAL + "translation: {glossary: [GPT-4, LoRA], workers: 2, threads: 1, batch_tokens: 4096}\n")
    assert (config.glossary, config.workers, config.threads, config.batch_tokens) == (("GPT-4", "LoRA"), 2, 1, 4096)
    assert "translation.glossary[1]" in error_of(MINIMAL + "translation: {glossary: [ok, '']}\n")
    assert "translation.batch_tokens" in error_of(MINIMAL + "translation: {batch_tokens: 10}\n")
