"""End to end: real arXiv captures through `feedbridge build` with the tiny real model."""

import shutil
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner
from lxml import etree

from conftest import ATOM_RNG, EMPTY_PHYSICS, LEGACY_HEP_EX, QUANT_PH
from feedbridge import __version__
from feedbridge.arxiv import parse_feed
from feedbridge.cli import cli
from feedbridge.errors import ExitCode

ATOM = "{http://www.w3.org/2005/Atom}"
XHTML = "{http://www.w3.org/1999/xhtml}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
SOURCES = {"quant-ph": QUANT_PH, "physics": EMPTY_PHYSICS, "hep-ex": LEGACY_HEP_EX}
ERROR_CHANNEL = b"""<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:atom="http://www.w3.org/2005/Atom" version="2.0"><channel>
<title>Feed error for query: cs.XX</title><link>http://rss.arxiv.org/rss/cs.XX</link>
<description>Feed error for query: cs.XX</description></channel></rss>"""


def write_config(tmp_path, feed_url="http://127.0.0.1:9/rss/{category}", categories=tuple(SOURCES)):
    feeds = "".join(f"  - {c}\n" for c in categories)
    path = tmp_path / "feeds.yaml"
    path.write_text(
        "site: {base_url: 'https://example.org/fb', output_dir: out}\n"
        f"arxiv: {{contact: 'tests@example.org', feed_url: '{feed_url}', min_interval: 0, retries: 0, timeout: 5}}\n"
        "translation: {beam_size: 1}\n"
        f"feeds:\n{feeds}"
    )
    return path


@pytest.fixture
def saved_feeds(tmp_path):
    folder = tmp_path / "saved"
    folder.mkdir()
    for category, fixture in SOURCES.items():
        shutil.copy(fixture, folder / f"{category}.xml")
    return folder


def build(*args):
    return CliRunner().invoke(cli, ["build", *map(str, args)])


def assert_valid_atom(path: Path):
    document = etree.parse(str(path))
    schema = etree.RelaxNG(etree.parse(str(ATOM_RNG)))
    assert schema.validate(document), schema.error_log
    parsed = feedparser.parse(path.read_bytes())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return document, parsed


def text_of(element) -> str:
    return " ".join("".join(element.itertext()).split())


def test_build_from_saved_feeds_offline(tmp_path, saved_feeds, installed_model):
    result = build("--config", write_config(tmp_path), "--from-dir", saved_feeds, "--offline")
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == ["hep-ex.ja.xml", "physics.ja.xml", "quant-ph.ja.xml"]

    for category, fixture in SOURCES.items():
        document, parsed = assert_valid_atom(out / f"{category}.ja.xml")
        papers = parse_feed(fixture.read_bytes(), str(fixture)).papers
        feed = document.getroot()
        assert feed.get(XML_LANG) == "ja"
        assert category in feed.findtext(f"{ATOM}title")
        assert feed.find(f"{ATOM}link[@rel='self']").get("href") == f"https://example.org/fb/{category}.ja.xml"
        entries = feed.findall(f"{ATOM}entry")
        assert len(entries) == len(papers) == len(parsed.entries)
        for entry, paper in zip(entries, papers):
            check_entry(entry, paper)


def check_entry(entry, paper):
    entry_id = entry.findtext(f"{ATOM}id")
    assert entry_id.startswith("urn:uuid:") and "oai:" not in entry_id
    assert paper.title in entry.findtext(f"{ATOM}title")
    assert [a.findtext(f"{ATOM}name") for a in entry.findall(f"{ATOM}author")] == [a.name for a in paper.authors]
    assert entry.find(f"{ATOM}link[@rel='alternate']").get("href") == f"https://arxiv.org/abs/{paper.arxiv_id}"
    pdf = entry.find(f"{ATOM}link[@rel='related']")
    assert pdf.get("type") == "application/pdf" and pdf.get("href") == paper.pdf_url
    assert [c.get("term") for c in entry.findall(f"{ATOM}category")] == list(paper.categories)
    assert entry.findtext(f"{ATOM}published").startswith(paper.announced.strftime("%Y-%m-%dT"))
    assert entry.findtext(f"{ATOM}updated")
    content = entry.find(f"{ATOM}content/{XHTML}div")
    whole = text_of(content)
    assert f"{paper.arxiv_id}v{paper.version}" in whole
    assert paper.announce_type.split("-")[0] in whole.lower()
    for author in paper.authors:
        assert author.name in whole
    for optional in (paper.doi, paper.journal_ref):
        if optional:
            assert optional in whole
    languages = {e.get(XML_LANG) for e in content.iter() if e.get(XML_LANG)}
    assert {"en", "ja"} <= languages


def test_every_quant_ph_title_and_abstract_survives_in_the_original_part(tmp_path, saved_feeds, installed_model):
    assert build("--config", write_config(tmp_path), "--from-dir", saved_feeds, "--offline").exit_code == 0
    raw = etree.parse(str(QUANT_PH))
    items = raw.findall("channel/item")
    entries = etree.parse(str(tmp_path / "out/quant-ph.ja.xml")).getroot().findall(f"{ATOM}entry")
    assert len(items) == len(entries) == 81
    for item, entry in zip(items, entries):
        guid = item.findtext("guid").removeprefix("oai:arXiv.org:")
        content = text_of(entry.find(f"{ATOM}content"))
        assert f"arXiv:{guid}" in content  # id and version as arXiv wrote them
        assert entry.find(f"{ATOM}link[@rel='alternate']").get("href") == item.findtext("link")
        assert [c.get("term") for c in entry.findall(f"{ATOM}category")] == [c.text for c in item.findall("category")]
        assert entry.findtext(f"{ATOM}published") == "2025-04-28T00:00:00-04:00"  # pubDate, zone kept
        title = " ".join(item.findtext("title").split())
        abstract = " ".join(item.findtext("description").split("Abstract:", 1)[1].split())
        english = [text_of(e) for e in entry.find(f"{ATOM}content").iter() if e.get(XML_LANG) == "en"]
        assert title in english
        assert abstract in english


def test_same_input_same_bytes(tmp_path, saved_feeds, installed_model):
    config = write_config(tmp_path)
    assert build("--config", config, "--from-dir", saved_feeds, "--offline").exit_code == 0
    first = (tmp_path / "out/quant-ph.ja.xml").read_bytes()
    (tmp_path / "out/quant-ph.ja.xml").unlink()
    assert build("--config", config, "--from-dir", saved_feeds, "--offline").exit_code == 0
    assert (tmp_path / "out/quant-ph.ja.xml").read_bytes() == first


def test_build_over_http_from_loopback(tmp_path, http_server, installed_model):
    for category, fixture in SOURCES.items():
        http_server.serve(f"/rss/{category}", fixture.read_bytes())
    config = write_config(tmp_path, feed_url=f"{http_server.url}/rss/{{category}}")
    result = build("--config", config, "--offline")
    assert result.exit_code == 0, result.output
    assert [path for path, _ in http_server.requests] == ["/rss/quant-ph", "/rss/physics", "/rss/hep-ex"]
    agent = http_server.requests[0][1]["User-Agent"]
    assert f"feedbridge/{__version__}" in agent and "tests@example.org" in agent
    assert_valid_atom(tmp_path / "out/quant-ph.ja.xml")


def test_unknown_category_fails_alone_and_leaves_its_old_file(tmp_path, http_server, installed_model):
    http_server.serve("/rss/quant-ph", QUANT_PH.read_bytes())
    http_server.serve("/rss/cs.XX", ERROR_CHANNEL, status=400)
    (tmp_path / "out").mkdir()
    old = tmp_path / "out/cs.XX.ja.xml"
    old.write_bytes(b"<feed>previously published</feed>")
    config = write_config(tmp_path, feed_url=f"{http_server.url}/rss/{{category}}", categories=["quant-ph", "cs.XX"])

    result = build("--config", config, "--offline")

    assert result.exit_code == ExitCode.PARTIAL
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "cs.XX" in errors[0] and "Feed error for query" in errors[0]
    assert old.read_bytes() == b"<feed>previously published</feed>"
    assert_valid_atom(tmp_path / "out/quant-ph.ja.xml")


def test_unreachable_server_fails_the_run_and_touches_nothing(tmp_path, installed_model):
    (tmp_path / "out").mkdir()
    old = tmp_path / "out/quant-ph.ja.xml"
    old.write_bytes(b"old")
    result = build("--config", write_config(tmp_path, categories=["quant-ph"]), "--offline")
    assert result.exit_code == ExitCode.FAILED
    assert "127.0.0.1:9" in result.output
    assert old.read_bytes() == b"old"


def test_missing_model_offline_says_which_command_fixes_it(tmp_path, saved_feeds):
    (tmp_path / "out").mkdir()
    result = build("--config", write_config(tmp_path), "--from-dir", saved_feeds, "--offline")
    assert result.exit_code == ExitCode.MODEL
    assert result.output.strip().count("\n") == 0
    assert "feedbridge models install en ja" in result.output
    assert list((tmp_path / "out").iterdir()) == []


def test_config_error_exit_code_and_one_line(tmp_path, saved_feeds):
    config = tmp_path / "feeds.yaml"
    config.write_text("site: {base_url: 'https://x.org/'}\narxiv: {contact: me}\nfeeds: [cs..AI]\n")
    result = build("--config", config, "--from-dir", saved_feeds, "--offline")
    assert result.exit_code == ExitCode.CONFIG
    assert result.output.strip().count("\n") == 0 and "feeds[0].category" in result.output


def test_empty_batch_keeps_the_published_feed(tmp_path, saved_feeds, installed_model):
    config = write_config(tmp_path, categories=["physics"])
    (tmp_path / "out").mkdir()
    published = tmp_path / "out/physics.ja.xml"
    published.write_bytes(b"<good/>")
    result = build("--config", config, "--from-dir", saved_feeds, "--offline")
    assert result.exit_code == 0
    assert published.read_bytes() == b"<good/>"
    assert "kept" in result.output


def test_help_describes_every_option():
    from feedbridge.cli import cli as group

    def walk(command, path):
        yield path, command
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, path + [name])

    for path, command in walk(group, []):
        result = CliRunner().invoke(group, path + ["--help"])
        assert result.exit_code == 0
        assert command.help, path
        for param in command.params:
            if isinstance(param, __import__("click").Option):
                assert param.help, (path, param.name)


def test_a_feed_that_does_not_read_back_is_not_published(tmp_path, saved_feeds, installed_model, monkeypatch):
    import feedbridge.build

    (tmp_path / "out").mkdir()
    published = tmp_path / "out/quant-ph.ja.xml"
    published.write_bytes(b"<good/>")
    monkeypatch.setattr(feedbridge.build, "render_atom", lambda info, entries: b"<feed><broken")
    result = build("--config", write_config(tmp_path, categories=["quant-ph"]), "--from-dir", saved_feeds, "--offline")
    assert result.exit_code == ExitCode.FAILED
    assert "does not read back cleanly" in result.output
    assert published.read_bytes() == b"<good/>"


def test_build_installs_a_missing_package_from_the_index(tmp_path, saved_feeds, tiny_argosmodel, http_server, monkeypatch):
    import json
    import zipfile

    from tiny_model import index_entry

    with zipfile.ZipFile(tiny_argosmodel) as zf:
        metadata = json.loads(zf.read(zf.namelist()[0].split("/")[0] + "/metadata.json"))
    http_server.serve("/m.argosmodel", tiny_argosmodel.read_bytes(), content_type="application/zip")
    http_server.serve("/index.json", json.dumps([index_entry(metadata, f"{http_server.url}/m.argosmodel")]).encode())
    monkeypatch.setenv("ARGOS_PACKAGE_INDEX", http_server.url + "/")
    result = build("--config", write_config(tmp_path, categories=["quant-ph"]), "--from-dir", saved_feeds)
    assert result.exit_code == 0, result.output
    assert "installing the en->ja translation package" in result.output
    assert (tmp_path / "argos-packages").is_dir() and (tmp_path / "out/quant-ph.ja.xml").is_file()
