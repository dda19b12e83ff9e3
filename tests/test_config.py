"""The config loader: defaults, path resolution, and one clear error per mistake."""

from contextlib import contextmanager
from datetime import date
from pathlib import Path
from unittest.mock import patch

import pytest

from feedbridge.config import DEFAULT_HOLIDAYS, key_error, load_config, parse_config
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


# --- names that would overwrite the site's own files, or another feed's ----------------------

@pytest.mark.parametrize("feeds, key, shown", [
    ("feeds: [{category: cs.AI, name: index}]", "feeds[0].name", "index.html"),
    ("feeds: [cs.AI]\ntopics: [{name: index, categories: [cs.CL]}]", "topics[0].name", "index.html"),
    # one file on a case-insensitive file system (macOS's and Windows' by default)
    ("feeds: [{category: cs.AI, name: Index}]", "feeds[0].name", "Index.html"),
    ("feeds: [cs.AI]\ntopics: [{name: INDEX, categories: [cs.CL]}]", "topics[0].name", "INDEX.html"),
])
def test_a_feed_name_that_would_overwrite_the_sites_own_file_is_refused(feeds, key, shown):
    message = error_of(MINIMAL.replace("feeds: [cs.AI]", feeds))
    assert f"{key}: expected a name whose files are not the site's own" in message
    assert "the site's index.html" in message and shown in message


@pytest.mark.parametrize("feeds, key, other", [
    ("feeds: [cs.AI, {category: cs.CL, name: cs.ai.ja}]", "feeds[1].name", "feeds[0]"),
    ("feeds: [cs.AI]\ntopics: [{name: CS.AI.JA, categories: [cs.CL]}]", "topics[0].name", "feeds[0]"),
    ("feeds: [cs.AI]\ntopics: [{name: llm, categories: [cs.CL]}, {name: LLM, categories: [cs.LG]}]",
     "topics[1].name", "topics[0]"),
])
def test_feed_names_that_differ_only_in_case_are_refused(feeds, key, other):
    message = error_of(MINIMAL.replace("feeds: [cs.AI]", feeds))
    assert f"{key}: expected a name not used by another feed" in message
    assert f"{other}'s" in message and "only in case" in message


def test_names_near_the_sites_files_are_free():
    """Only a name whose own files are the site's is refused: 'style' writes style.xml and
    style.html, not style.css; 'archive' writes archive.xml, not into the archive folder."""
    feeds = "feeds: [{category: cs.AI, name: style}, {category: cs.CL, name: archive}, {category: cs.LG, name: feeds}]"
    config = parse(MINIMAL.replace("feeds: [cs.AI]", feeds + "\ntopics: [{name: status, categories: [cs.AI]}]"))
    assert [f.name for f in config.feeds] == ["style", "archive", "feeds", "status"]


def test_the_reserved_names_are_the_files_a_site_holds():
    """config.py names what a site holds (SITE_FILES, feed_paths) so that it can refuse a
    clash on load; the writers, the archive and status.json write those (the site's own
    names are config's constants; a feed's files are each writer's own), and what else
    they write cannot clash."""
    from feedbridge import config
    from feedbridge.render import SITE_WRITERS
    from feedbridge.verify import feed_files, page_files

    names = ["cs.AI.ja", "llm"]
    written = {path for writer in SITE_WRITERS for path in writer.files(names)} | {config.STATUS_FILE}
    written |= {path for name in names for path in (*feed_files(name), *page_files(name))}
    expected = {path for name in names for path in config.feed_paths(name)}
    expected |= set(config.SITE_FILES) - {config.ARCHIVE_DIR}
    assert expected <= written
    # A feed writer's file config does not name must be one no feed name can make clash with
    # the site's own files or with another feed's (a suffix none of them has: the JSON
    # Feed's .feed.json), so config can refuse every clash without knowing it.
    assert written - expected == {name + ".feed.json" for name in names}
    unnamed = {path.removeprefix("x") for path in feed_files("x")} - {p.removeprefix("x") for p in config.feed_paths("x")}
    stems = {path.split(".")[0] for path in config.SITE_FILES} | {"x", "x.feed", "status", "index"}
    for suffix in unnamed:
        for name in stems:
            assert name + suffix not in config.SITE_FILES
            assert all(name + suffix not in config.feed_paths(other) for other in stems)


# --- YAML that loads silently wrong, or not at all -------------------------------------------

def test_a_key_given_twice_is_refused_with_both_lines():
    """YAML keeps the last of two keys: the first feeds list would vanish without a word."""
    message = error_of(MINIMAL + "feeds: [cs.CL]\n")
    assert message == ("/srv/conf/feeds.yaml: line 5: invalid YAML: duplicate key feeds (first on line 4);"
                       " give each key once")


def test_a_nested_key_given_twice_names_its_key_path():
    text = MINIMAL.replace("feeds: [cs.AI]", "feeds:\n  - category: cs.AI\n    to: ja\n    to: de\n")
    message = error_of(text)
    assert "line 7" in message and "duplicate key feeds[0].to (first on line 6)" in message


def test_a_merge_key_may_override_what_it_merges():
    text = MINIMAL.replace("feeds: [cs.AI]", "feeds:\n  - &base {category: cs.AI, to: ja}\n"
                                             "  - {<<: *base, to: de}\n")
    assert [(f.category, f.target_lang) for f in parse(text, {("en", "de")}).feeds] == [("cs.AI", "ja"), ("cs.AI", "de")]


def _alias_bomb() -> str:
    """Nine lists of nine aliases to the list before: 372 bytes standing for 9**9 values."""
    lists, before = ["&a [" + ",".join(["lol"] * 9) + "]"], "a"
    for name in "bcdefghi":
        lists.append(f"&{name} [" + ",".join([f"*{before}"] * 9) + "]")
        before = name
    return MINIMAL.replace("feeds: [cs.AI]", "feeds:\n  - [" + ", ".join(lists) + "]\n")


def test_an_alias_bomb_is_refused_at_once(tmp_path):
    import subprocess
    import sys
    import time

    path = tmp_path / "feeds.yaml"
    path.write_text(_alias_bomb(), encoding="utf-8")
    assert len(path.read_bytes()) < 525
    # In a child first: the old loader never returned, and a hung test would not say why.
    script = "import sys; from feedbridge.config import load_config\ntry: load_config(sys.argv[1])\n" \
             "except Exception as err: print(type(err).__name__, err)"
    try:
        child = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail("loading an alias bomb did not finish")
    assert child.stdout.startswith("ConfigError"), child.stdout + child.stderr
    started = time.monotonic()
    message = error_of(_alias_bomb())
    assert time.monotonic() - started < 1
    assert message == ("/srv/conf/feeds.yaml: line 5: invalid YAML: aliases stand for more than 10000 values"
                       " (write the values out, or share fewer)")


def test_aliases_may_share_a_list_between_topics():
    text = MINIMAL + ("topics:\n  - {name: agents, categories: &ml [cs.AI, cs.CL, cs.LG], include: [agent]}\n"
                      "  - {name: robots, categories: *ml, include: [robot]}\n")
    config = parse(text)
    assert [f.sources for f in config.feeds[1:]] == [("cs.AI", "cs.CL", "cs.LG")] * 2


def test_a_recursive_alias_is_refused():
    message = error_of(MINIMAL.replace("feeds: [cs.AI]", "feeds: &x [cs.AI, *x]"))
    assert message == "/srv/conf/feeds.yaml: line 4: invalid YAML: an alias inside the value it names (a recursive alias)"


class _NeverShown:
    def __repr__(self):
        raise AssertionError("a value's description read past its first items")


@pytest.mark.parametrize("value", [
    ["cs.AI"] * 5 + [_NeverShown()],  # a long list: only its first items are read
    [[[[[_NeverShown()]]]]],  # deep nesting: only the first levels
    {f"k{i}": i for i in range(5)} | {"z": _NeverShown()},
])
def test_a_value_in_a_message_is_described_from_its_first_items_only(value):
    message = str(key_error(Path("/srv/conf/feeds.yaml"), "feeds[0]", "a mapping", value))
    assert "\n" not in message and len(message.partition(", got ")[2]) <= 80


# --- the feed URL template ----------------------------------------------------------------

@pytest.mark.parametrize("template, shown", [
    ("https://rss.arxiv.org/rss/{category}?day={day}", "'{day}'"),
    ("https://rss.arxiv.org/rss/{category}/{}", "'{}'"),
    ("https://rss.arxiv.org/rss/{0}", "'{0}'"),
    ("https://rss.arxiv.org/rss/{category.upper}", "'{category.upper}'"),
    ("https://rss.arxiv.org/rss/{category!r}", "'{category!r}'"),
    ("https://rss.arxiv.org/rss/{category:>40}", "'{category:>40}'"),
    ("https://rss.arxiv.org/rss/{category}{", "Single '{'"),
    ("https://rss.arxiv.org/rss/{category}}", "Single '}'"),
])
def test_a_feed_url_placeholder_other_than_category_is_refused_on_load(template, shown):
    message = error_of(MINIMAL.replace('arxiv: {', f'arxiv: {{feed_url: "{template}", '))
    assert "arxiv.feed_url: expected a URL template whose only placeholder is {category}" in message
    assert shown in message


def test_a_feed_url_with_doubled_braces_is_a_literal_brace():
    config = parse(MINIMAL.replace('arxiv: {', 'arxiv: {feed_url: "https://x.org/{category}?q={{all}}", '))
    assert config.feed_url_for(config.feeds[0]) == "https://x.org/cs.AI?q={all}"


# --- arXiv's holidays ---------------------------------------------------------------------

def test_holidays_default_to_arxivs_published_lists():
    config = parse(MINIMAL)
    assert config.holidays == DEFAULT_HOLIDAYS
    assert list(config.holidays) == sorted(config.holidays)
    assert {d.year for d in config.holidays} == {2025, 2026}
    assert date(2025, 12, 30) in config.holidays  # why the physics capture of 2025-12-31 is empty


def test_holidays_are_replaced_bare_or_quoted_sorted_and_each_once():
    config = parse(MINIMAL.replace(
        "arxiv: {", "arxiv: {holidays: [2027-01-18, '2026-12-31', 2027-01-18, \"2027-01-01\"], "))
    assert config.holidays == (date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 18))


def test_an_empty_holiday_list_means_every_weekday():
    assert parse(MINIMAL.replace("arxiv: {", "arxiv: {holidays: [], ")).holidays == ()


@pytest.mark.parametrize("value, key, shown", [
    ("2026-01-19", "arxiv.holidays", "got '2026-01-19'"),  # one date, not a list
    ("'2026-01-19, 2026-06-19'", "arxiv.holidays", "'2026-01-19, 2026-06-19'"),
    ("[2026-01-19, next monday]", "arxiv.holidays[1]", "'next monday'"),
    ("[20260119]", "arxiv.holidays[0]", "20260119"),
    ("['20260119']", "arxiv.holidays[0]", "'20260119'"),  # fromisoformat alone would take it
    ("['2026-02-30']", "arxiv.holidays[0]", "'2026-02-30'"),
    ("['2026-1-19']", "arxiv.holidays[0]", "'2026-1-19'"),
    ("[2026-01-19 20:00:00]", "arxiv.holidays[0]", "'2026-01-19T20:00:00'"),  # a time is not a day
    ("[null]", "arxiv.holidays[0]", None),
])
def test_a_holiday_that_is_not_a_date_is_one_line_naming_its_key(value, key, shown):
    message = error_of(MINIMAL.replace("arxiv: {", f"arxiv: {{holidays: {value}, "))
    assert f"{key}: expected " in message
    if shown is not None:
        assert shown in message


def test_a_misspelt_holidays_key_is_refused():
    message = error_of(MINIMAL.replace("arxiv: {", "arxiv: {holiday: [2026-01-19], "))
    assert "arxiv.holiday: expected one of the known keys" in message and "holidays" in message
