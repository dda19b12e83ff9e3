"""End to end: real arXiv captures through `feedbridge build` with the tiny real model."""

import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from feedbridge import __version__
from feedbridge.sources.arxiv_rss import parse_feed
from feedbridge.cli import cli
from feedbridge.errors import ExitCode
from support.builds import build
from feedbridge.model import FeedStatus
from feedbridge.render.words import JAPANESE
from feedbridge.tex import letters
from support.checks import ATOM, assert_valid_atom, content_html, tex_text
from support.config import BASE_URL, write_config
from support.paths import API_SEARCH, EMPTY_PHYSICS, LEGACY_HEP_EX, QUANT_PH
from support.scenes import published

SOURCES = {"quant-ph": QUANT_PH, "physics": EMPTY_PHYSICS, "hep-ex": LEGACY_HEP_EX}
ERROR_CHANNEL = b"""<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:atom="http://www.w3.org/2005/Atom" version="2.0"><channel>
<title>Feed error for query: cs.XX</title><link>http://rss.arxiv.org/rss/cs.XX</link>
<description>Feed error for query: cs.XX</description></channel></rss>"""


# Default policies: new papers and cross-lists come in, replacements only update entries.
LISTED = ("new", "cross")


@pytest.fixture
def saved_feeds(tmp_path):
    folder = tmp_path / "saved"
    folder.mkdir()
    for category, fixture in SOURCES.items():
        shutil.copy(fixture, folder / f"{category}.xml")
    return folder


def text_of(element) -> str:
    return " ".join("".join(element.itertext()).split())


def test_build_from_saved_feeds_offline(tmp_path, saved_feeds, installed_model):
    result = build("--config", write_config(tmp_path, feeds=SOURCES), "--from-dir", saved_feeds, "--offline")
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    assert sorted(p.name for p in out.glob("*.xml")) == ["hep-ex.ja.xml", "physics.ja.xml", "quant-ph.ja.xml"]

    for category, fixture in SOURCES.items():
        document, parsed = assert_valid_atom(out / f"{category}.ja.xml")
        papers = [p for p in parse_feed(fixture.read_bytes(), str(fixture)).papers if p.announce_type in LISTED]
        feed = document.getroot()
        assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "ja"
        assert category in feed.findtext(f"{ATOM}title")
        assert feed.find(f"{ATOM}link[@rel='self']").get("href") == f"{BASE_URL}{category}.ja.xml"
        entries = feed.findall(f"{ATOM}entry")
        assert len(entries) == len(papers) == len(parsed.entries)
        for entry, paper in zip(entries, papers):
            check_entry(entry, paper)


def check_entry(entry, paper):
    entry_id = entry.findtext(f"{ATOM}id")
    assert entry_id.startswith("urn:uuid:") and "oai:" not in entry_id
    assert letters(paper.title) in entry.findtext(f"{ATOM}title")  # TeX accents as letters
    assert [a.findtext(f"{ATOM}name") for a in entry.findall(f"{ATOM}author")] == [a.name for a in paper.authors]
    assert entry.find(f"{ATOM}link[@rel='alternate']").get("href") == f"https://arxiv.org/abs/{paper.arxiv_id}"
    pdf = entry.find(f"{ATOM}link[@rel='related']")
    assert pdf.get("type") == "application/pdf" and pdf.get("href") == paper.links.pdf
    assert [c.get("term") for c in entry.findall(f"{ATOM}category")] == list(paper.categories)
    assert entry.findtext(f"{ATOM}published").startswith(paper.announced.strftime("%Y-%m-%dT"))
    assert entry.findtext(f"{ATOM}updated")
    content = content_html(entry.find(f"{ATOM}content"))
    whole = content.text_content()
    assert f"{paper.arxiv_id}v{paper.version}" in whole
    assert JAPANESE.announce_types[paper.announce_type] in whole
    for author in paper.authors:
        assert author.name in whole
    for optional in (paper.doi, paper.journal_ref):
        if optional:
            assert optional in whole
    languages = {e.get("lang") for e in content.iter() if e.get("lang")}
    assert {"en", "ja"} <= languages


def test_every_quant_ph_title_and_abstract_survives_in_the_original_part(tmp_path, saved_feeds, installed_model):
    every_type = [{"category": "quant-ph", "replace": "include", "replace-cross": "include"}]
    config = write_config(tmp_path, feeds=every_type)
    assert build("--config", config, "--from-dir", saved_feeds, "--offline").exit_code == 0
    raw = etree.parse(str(QUANT_PH))
    items = raw.findall("channel/item")
    entries = etree.parse(str(tmp_path / "out/quant-ph.ja.xml")).getroot().findall(f"{ATOM}entry")
    assert len(items) == len(entries) == 81
    for item, entry in zip(items, entries):
        guid = item.findtext("guid").removeprefix("oai:arXiv.org:")
        html = content_html(entry.find(f"{ATOM}content"))
        content = text_of(html)
        assert f"arXiv:{guid}" in content  # id and version as arXiv wrote them
        assert entry.find(f"{ATOM}link[@rel='alternate']").get("href") == item.findtext("link")
        assert [c.get("term") for c in entry.findall(f"{ATOM}category")] == [c.text for c in item.findall("category")]
        assert entry.findtext(f"{ATOM}published") == "2025-04-28T00:00:00-04:00"  # pubDate, zone kept
        title = " ".join(item.findtext("title").split())
        abstract = " ".join(item.findtext("description").split("Abstract:", 1)[1].split())
        english = [" ".join(tex_text(e).split()) for e in html.iter() if e.get("lang") == "en"]
        assert letters(title) in english  # math as its TeX annotation, accents as letters
        assert letters(abstract) in english


def test_same_input_same_bytes(tmp_path, saved_feeds, installed_model):
    config = write_config(tmp_path, feeds=SOURCES)
    assert build("--config", config, "--from-dir", saved_feeds, "--offline", "--now", "2025-04-28T14:00:00Z").exit_code == 0
    first = {p.relative_to(tmp_path / "out"): p.read_bytes() for p in (tmp_path / "out").rglob("*.*")}
    shutil.rmtree(tmp_path / "out")
    assert build("--config", config, "--from-dir", saved_feeds, "--offline", "--now", "2025-04-28T14:00:00Z").exit_code == 0
    again = {p.relative_to(tmp_path / "out"): p.read_bytes() for p in (tmp_path / "out").rglob("*.*")}
    assert again == first


def test_build_over_http_from_loopback(tmp_path, http_server, installed_model):
    for category, fixture in SOURCES.items():
        http_server.serve(f"/rss/{category}", fixture.read_bytes())
    config = write_config(tmp_path, feeds=SOURCES, feed_url=f"{http_server.url}/rss/{{category}}")
    result = build("--config", config)
    assert result.exit_code == 0, result.output
    assert http_server.paths == ["/rss/quant-ph", "/rss/physics", "/rss/hep-ex"]
    agent = http_server.header(0, "User-Agent")
    assert f"feedbridge/{__version__}" in agent and "tests@example.org" in agent
    assert_valid_atom(tmp_path / "out/quant-ph.ja.xml")


def test_unknown_category_fails_alone_and_keeps_its_published_files(tmp_path, http_server, installed_model):
    http_server.serve("/rss/quant-ph", QUANT_PH.read_bytes())
    http_server.serve("/rss/cs.XX", QUANT_PH.read_bytes())
    config = write_config(tmp_path, feeds=["quant-ph", "cs.XX"], feed_url=f"{http_server.url}/rss/{{category}}")
    assert build("--config", config).exit_code == 0
    before = published(tmp_path / "out")
    http_server.serve("/rss/cs.XX", ERROR_CHANNEL, status=400)

    result = build("--config", config)

    assert result.exit_code == ExitCode.PARTIAL
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "cs.XX" in errors[0] and "Feed error for query" in errors[0]
    after = published(tmp_path / "out")
    for name in ("cs.XX.ja.xml", "archive/cs.XX.ja.json"):
        assert after[name] == before[name]
    assert "arXiv sent the same batch" in json.loads(after["status.json"])["feeds"][0]["message"]
    assert_valid_atom(tmp_path / "out/quant-ph.ja.xml")


def test_unreachable_server_fails_the_run_and_touches_nothing(tmp_path, http_server, installed_model):
    http_server.serve("/rss/quant-ph", QUANT_PH.read_bytes())
    config = write_config(tmp_path, feeds=["quant-ph"], feed_url=f"{http_server.url}/rss/{{category}}")
    assert build("--config", config).exit_code == 0
    before = published(tmp_path / "out")
    result = build("--config", write_config(tmp_path, feeds=["quant-ph"]))
    assert result.exit_code == ExitCode.FAILED
    assert "127.0.0.1:9" in result.output
    assert "no new site was published: every feed failed" in result.output
    assert published(tmp_path / "out") == before


def test_missing_model_offline_says_which_command_fixes_it(tmp_path, saved_feeds):
    (tmp_path / "out").mkdir()
    result = build("--config", write_config(tmp_path, feeds=SOURCES), "--from-dir", saved_feeds, "--offline")
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
    config = write_config(tmp_path, feeds=["physics"])
    assert build("--config", config, "--from-dir", saved_feeds, "--offline").exit_code == 0
    published = tmp_path / "out/physics.ja.xml"
    before = published.read_bytes()
    result = build("--config", config, "--from-dir", saved_feeds, "--offline")
    assert result.exit_code == 0
    assert published.read_bytes() == before
    assert "kept" in result.output


def test_a_feed_that_does_not_read_back_is_not_published(tmp_path, saved_feeds, installed_model, monkeypatch):
    import feedbridge.render.atom

    config = write_config(tmp_path, feeds=["quant-ph"])
    assert build("--config", config, "--from-dir", saved_feeds, "--offline").exit_code == 0
    before = published(tmp_path / "out")
    monkeypatch.setattr(feedbridge.render.atom, "render_atom", lambda *args: b"<feed><broken")
    result = build("--config", config, "--from-dir", saved_feeds, "--offline")
    assert result.exit_code == ExitCode.FAILED
    assert "does not read back cleanly" in result.output
    assert published(tmp_path / "out") == before


def test_build_installs_a_missing_package_from_the_index(tmp_path, saved_feeds, tiny_argosmodel, http_server, monkeypatch):
    import json
    import zipfile

    from tiny_model import index_entry

    with zipfile.ZipFile(tiny_argosmodel) as zf:
        metadata = json.loads(zf.read(zf.namelist()[0].split("/")[0] + "/metadata.json"))
    http_server.serve("/m.argosmodel", tiny_argosmodel.read_bytes(), content_type="application/zip")
    http_server.serve("/index.json", json.dumps([index_entry(metadata, f"{http_server.url}/m.argosmodel")]).encode())
    monkeypatch.setenv("ARGOS_PACKAGE_INDEX", http_server.url + "/")
    result = build("--config", write_config(tmp_path, feeds=["quant-ph"]), "--from-dir", saved_feeds)
    assert result.exit_code == 0, result.output
    assert "installing the en->ja translation package" in result.output
    assert (tmp_path / "argos-packages").is_dir() and (tmp_path / "out/quant-ph.ja.xml").is_file()


def test_only_rebuilds_one_feed_and_republishes_the_others_as_they_were(tmp_path, saved_feeds, installed_model):
    config = write_config(tmp_path, feeds=["quant-ph", "hep-ex"])
    assert build("--config", config, "--from-dir", saved_feeds, "--offline").exit_code == 0
    before = (tmp_path / "out/hep-ex.ja.xml").read_bytes()
    (tmp_path / "out/hep-ex.ja.xml").unlink()  # as on a fresh runner: it must come back from its archive

    result = build("--config", config, "--from-dir", saved_feeds, "--offline", "--only", "quant-ph")

    assert result.exit_code == 0, result.output
    assert "hep-ex.ja: new 0 / updated 0 / kept 2, sentences translated 0 vs cached 0 (0 untranslated)," in result.output
    assert "(skipped: not selected by --only)" in result.output
    assert (tmp_path / "out/hep-ex.ja.xml").read_bytes() == before
    status = json.loads((tmp_path / "out/status.json").read_text())
    assert [f["status"] for f in status["feeds"]] == ["stale", "skipped"]


def test_strict_turns_a_stale_feed_into_a_failed_run(tmp_path, saved_feeds, installed_model):
    config = write_config(tmp_path, feeds=["quant-ph", "physics"])
    assert build("--config", config, "--from-dir", saved_feeds, "--offline").exit_code == 0
    assert build("--config", config, "--from-dir", saved_feeds, "--offline").exit_code == 0  # stale: reported
    result = build("--config", config, "--from-dir", saved_feeds, "--offline", "--strict")
    assert result.exit_code == ExitCode.PARTIAL  # quant-ph is stale; physics is empty, which is no failure
    assert "Error: quant-ph.ja: arXiv sent the same batch as last time" in result.output


def test_a_second_attempt_on_the_morning_of_its_batch_is_current_and_passes_strict(tmp_path, installed_model):
    """The workflow tries several times a morning: once today's batch is published, the
    later attempts find it again and must neither fail --strict nor call it stale."""
    from feedbridge.announcement_days import served_day
    from feedbridge.config import DEFAULT_HOLIDAYS
    from support.feeds import day_document, items

    today = served_day(datetime.now(timezone.utc), DEFAULT_HOLIDAYS)
    saved = tmp_path / "saved"
    saved.mkdir()
    (saved / "quant-ph.xml").write_bytes(day_document(today, items()["new"][:3]))
    config = write_config(tmp_path, feeds=["quant-ph"])
    assert build("--config", config, "--from-dir", saved, "--strict").exit_code == 0

    again = build("--config", config, "--from-dir", saved, "--strict")

    assert again.exit_code == 0, again.output
    status = json.loads((tmp_path / "out" / "status.json").read_text())["feeds"][0]
    assert status["status"] == "current"
    assert status["message"] == f"arXiv's latest batch (announced {today}) is already published"
    assert JAPANESE.statuses[FeedStatus.CURRENT] in (tmp_path / "out" / "quant-ph.ja.html").read_text()


# --- enrichment from the arXiv API ----------------------------------------------------

def api_answer_for(paper) -> tuple[bytes, str]:
    """The API fixture's first entry, re-addressed to ``paper``: the API's answer for it,
    and the comment enrichment must copy."""
    document = etree.parse(str(API_SEARCH))
    feed = document.getroot()
    entries = feed.findall(f"{ATOM}entry")
    for extra in entries[1:]:
        feed.remove(extra)
    entries[0].find(f"{ATOM}id").text = f"http://arxiv.org/abs/{paper.arxiv_id}v{paper.version}"
    comment = entries[0].findtext("{http://arxiv.org/schemas/atom}comment")
    return etree.tostring(document, xml_declaration=True, encoding="UTF-8"), comment


def api_answers_for(papers) -> bytes:
    """The API fixture's first entries, one re-addressed to each paper, in order: each
    with the submission dates of its own."""
    document = etree.parse(str(API_SEARCH))
    feed = document.getroot()
    entries = feed.findall(f"{ATOM}entry")
    for extra in entries[len(papers):]:
        feed.remove(extra)
    for entry, paper in zip(entries, papers):
        entry.find(f"{ATOM}id").text = f"http://arxiv.org/abs/{paper.arxiv_id}v{paper.version}"
    return etree.tostring(document, xml_declaration=True, encoding="UTF-8")


def listed_quant_ph():
    papers = [p for p in parse_feed(QUANT_PH.read_bytes(), str(QUANT_PH)).papers if p.announce_type in LISTED]
    return list({p.arxiv_id: p for p in papers}.values())


def test_build_enriches_new_papers_through_the_api_after_fetching(tmp_path, http_server, installed_model):
    from feedbridge.sources.arxiv_api import query_url

    papers = listed_quant_ph()
    api = http_server.url + "/api/query"
    http_server.serve("/rss/quant-ph", QUANT_PH.read_bytes())
    answer, comment = api_answer_for(papers[0])
    http_server.serve(query_url(api, [p.arxiv_id for p in papers])[len(http_server.url):], answer)
    config = write_config(tmp_path, feeds=["quant-ph"], feed_url=f"{http_server.url}/rss/{{category}}",
                          api_url=api)

    result = build("--config", config, "--now", "2025-04-28T14:00:00Z")  # the batch's day: no gap to recover

    assert result.exit_code == 0, result.output
    assert [path.split("?")[0] for path in http_server.paths] == ["/rss/quant-ph", "/api/query"]
    assert f"arXiv API: 0 papers from the cache, {len(papers)} asked ({len(papers) - 1} unknown" in result.output
    entries = etree.parse(str(tmp_path / "out/quant-ph.ja.xml")).getroot().findall(f"{ATOM}entry")
    assert f"{JAPANESE.comments}{' '.join(comment.split())}" in text_of(content_html(entries[0].find(f"{ATOM}content")))
    assert JAPANESE.comments not in text_of(content_html(entries[1].find(f"{ATOM}content")))


def test_entries_the_api_dated_differ_in_updated_and_keep_their_dates(tmp_path, http_server, installed_model):
    """The W3C feed validator warns when entries share atom:updated, as every entry of an
    announcement does by arXiv's feed alone; the API's dates tell them apart. A later run
    that changes nothing dates nothing anew."""
    from feedbridge.sources.arxiv_api import query_url

    papers = listed_quant_ph()
    api = http_server.url + "/api/query"
    http_server.serve("/rss/quant-ph", QUANT_PH.read_bytes())
    http_server.serve(query_url(api, [p.arxiv_id for p in papers])[len(http_server.url):], api_answers_for(papers))
    config = write_config(tmp_path, feeds=["quant-ph"], feed_url=f"{http_server.url}/rss/{{category}}", api_url=api)
    assert build("--config", config, "--now", "2025-04-28T14:00:00Z").exit_code == 0
    answered = {e.findtext(f"{ATOM}id").rsplit("/", 1)[1].rsplit("v", 1)[0]: e
                for e in etree.parse(str(API_SEARCH)).getroot().findall(f"{ATOM}entry")[:len(papers)]}
    expected = {paper.arxiv_id: answer for paper, answer in zip(papers, answered.values())}
    feed = tmp_path / "out/quant-ph.ja.xml"
    entries = etree.parse(str(feed)).getroot().findall(f"{ATOM}entry")
    dates = {}
    for entry in entries:
        arxiv_id = entry.find(f"{ATOM}link[@rel='alternate']").get("href").rsplit("/", 1)[1]
        published, updated = (datetime.fromisoformat(entry.findtext(f"{ATOM}{tag}")) for tag in ("published", "updated"))
        answer = expected[arxiv_id]
        assert published == datetime.fromisoformat(answer.findtext(f"{ATOM}published").replace("Z", "+00:00"))
        assert updated == datetime.fromisoformat(answer.findtext(f"{ATOM}updated").replace("Z", "+00:00"))
        dates[arxiv_id] = (published, updated)
    assert len({updated for _, updated in dates.values()}) == len(entries) == len(papers)
    # The next morning arXiv serves the same batch; the API is asked nothing new.
    assert build("--config", config, "--now", "2025-04-29T14:00:00Z").exit_code == 0
    again = etree.parse(str(feed)).getroot().findall(f"{ATOM}entry")
    assert [(e.findtext(f"{ATOM}published"), e.findtext(f"{ATOM}updated")) for e in again] == \
        [(e.findtext(f"{ATOM}published"), e.findtext(f"{ATOM}updated")) for e in entries]


def test_an_api_failure_is_a_warning_and_the_feed_still_goes_out(tmp_path, http_server, installed_model):
    http_server.serve("/rss/quant-ph", QUANT_PH.read_bytes())  # the API's path is not served: 404
    config = write_config(tmp_path, feeds=["quant-ph"], feed_url=f"{http_server.url}/rss/{{category}}",
                          api_url=http_server.url + "/api/query")

    result = build("--config", config, "--now", "2025-04-28T14:00:00Z")

    assert result.exit_code == 0, result.output
    warning = f"Warning: {len(listed_quant_ph())} papers go out without the arXiv API's comments:"
    assert warning in result.output and "HTTP 404" in result.output
    status = json.loads((tmp_path / "out/status.json").read_text())
    assert len(status["warnings"]) == 1 and "HTTP 404" in status["warnings"][0]
    assert status["feeds"][0]["status"] == "updated"


def test_saved_feeds_never_ask_the_api(tmp_path, http_server, saved_feeds, installed_model):
    """(Offline, nothing is asked at all: tests/test_offline.py.)"""
    config = write_config(tmp_path, feeds=["quant-ph"], api_url=http_server.url + "/api/query")
    result = build("--config", config, "--from-dir", saved_feeds)
    assert result.exit_code == 0, result.output
    assert not any(path.startswith("/api/") for path in http_server.paths)
    assert "the API was not asked (--offline or --from-dir)" in result.output


def test_enrich_false_skips_the_api_step(tmp_path, saved_feeds, installed_model):
    config = write_config(tmp_path, feeds=["quant-ph"], enrich=False)
    result = build("--config", config, "--from-dir", saved_feeds, "--offline")
    assert result.exit_code == 0, result.output
    assert "arXiv API" not in result.output


# --- the run summary ----------------------------------------------------------------

FEED_KEYS = {"name", "status", "new", "updated", "kept", "untranslated", "in_fragments", "entries", "sentences", "seconds",
             "message", "degraded", "gaps", "replacements_left_out"}


def test_json_summary_has_a_stable_schema(tmp_path, saved_feeds, installed_model):
    result = CliRunner().invoke(
        cli, ["build", "--config", str(write_config(tmp_path, feeds=SOURCES)), "--from-dir", str(saved_feeds),
              "--offline", "--json"]
    )
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)  # stdout holds the JSON and nothing else
    assert set(summary) == {"schema", "exit_code", "result", "published", "withheld", "previous", "seconds", "papers",
                            "sentences", "enrichment", "warnings", "feeds"}
    assert (summary["schema"], summary["exit_code"], summary["result"]) == (2, 0, "ok")
    assert set(summary["papers"]) == {"translated", "reused"} and set(summary["sentences"]) == {"translated", "cached"}
    assert [set(feed) for feed in summary["feeds"]] == [FEED_KEYS] * 3
    assert set(summary["feeds"][0]["sentences"]) == {"translated", "cached"}
    by_name = {feed["name"]: feed for feed in summary["feeds"]}
    assert (by_name["quant-ph.ja"]["status"], by_name["quant-ph.ja"]["new"]) == ("updated", len(listed_quant_ph()))
    assert by_name["physics.ja"]["status"] == "empty"
    assert summary["sentences"]["translated"] == sum(f["sentences"]["translated"] for f in summary["feeds"]) > 0
    assert summary["sentences"]["cached"] == 0
    assert result.stderr.splitlines()[-1].startswith(f"published in {tmp_path / 'out'}: ")


def test_summary_lines_count_new_kept_and_sentences_from_the_memory(tmp_path, saved_feeds, installed_model):
    config = write_config(tmp_path, feeds=["quant-ph"])
    first = json.loads(CliRunner().invoke(
        cli, ["build", "--config", str(config), "--from-dir", str(saved_feeds), "--offline", "--json"]).stdout)
    shutil.rmtree(tmp_path / "out")  # no history: every paper is new again, every sentence is remembered
    result = build("--config", config, "--from-dir", saved_feeds, "--offline")
    assert result.exit_code == 0, result.output
    translated = first["feeds"][0]["sentences"]["translated"]
    new = len(listed_quant_ph())
    untranslated = first["feeds"][0]["untranslated"]
    assert f"quant-ph.ja: new {new} / updated 0 / kept 0, sentences translated 0 vs cached {translated}" \
           f" ({untranslated} untranslated), " in result.output


def test_quiet_prints_only_errors_and_verbose_adds_details(tmp_path, saved_feeds, installed_model):
    config = write_config(tmp_path, feeds=["quant-ph"])
    quiet = CliRunner().invoke(cli, ["-q", "build", "--config", str(config), "--from-dir", str(saved_feeds), "--offline"])
    assert (quiet.exit_code, quiet.output) == (0, "")
    verbose = CliRunner().invoke(cli, ["-v", "build", "--config", str(config), "--from-dir", str(saved_feeds), "--offline"])
    assert verbose.exit_code == 0
    assert "quant-ph.ja: history read from" in verbose.output and f"reading {saved_feeds}/quant-ph.xml" in verbose.output
    assert "history read from" not in build("--config", config, "--from-dir", saved_feeds, "--offline").output


# --- build --dry-run ------------------------------------------------------------------


def tree(folder: Path) -> dict:
    """Every file and folder under ``folder`` with its size and modification time."""
    return {str(p.relative_to(folder)): (p.is_dir(), p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*"))}


def dry_run(config, *args):
    result = CliRunner().invoke(cli, ["build", "--config", str(config), "--dry-run", "--json", *map(str, args)])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_dry_run_writes_nothing_and_counts_what_the_build_then_does(tmp_path, saved_feeds, installed_model):
    config = write_config(tmp_path, feeds=["quant-ph", "hep-ex"])
    before = tree(tmp_path)
    planned = dry_run(config, "--from-dir", saved_feeds, "--offline")
    assert tree(tmp_path) == before
    assert planned["sources"] == [str(saved_feeds / "quant-ph.xml"), str(saved_feeds / "hep-ex.xml")]
    assert [(f["name"], f["status"], f["new"]) for f in planned["feeds"]] == [
        ("quant-ph.ja", "updated", len(listed_quant_ph())), ("hep-ex.ja", "updated", 2)]
    assert planned["sentences"]["cached"] == 0 and planned["sentences"]["model"] > 0

    built = json.loads(CliRunner().invoke(
        cli, ["build", "--config", str(config), "--from-dir", str(saved_feeds), "--offline", "--json"]).stdout)
    assert [f["new"] for f in built["feeds"]] == [f["new"] for f in planned["feeds"]]
    assert built["sentences"]["translated"] == planned["sentences"]["model"]
    assert built["papers"]["translated"] == planned["papers"]["to_translate"]

    again = dry_run(config, "--from-dir", saved_feeds, "--offline")  # the same batch: nothing to do
    assert [(f["status"], f["new"]) for f in again["feeds"]] == [("stale", 0), ("stale", 0)]
    assert again["sentences"] == {"model": 0, "cached": 0}
    shutil.rmtree(tmp_path / "out")  # no history: all new again, every sentence in the memory
    before = tree(tmp_path)
    fresh = dry_run(config, "--from-dir", saved_feeds, "--offline")
    assert tree(tmp_path) == before  # the memory was read, not touched
    assert fresh["sentences"] == {"model": 0, "cached": planned["sentences"]["model"]}
    assert fresh["estimate_seconds"] == 0


def test_dry_run_over_http_names_the_urls_and_caches_nothing(tmp_path, http_server, installed_model):
    http_server.serve("/rss/quant-ph", QUANT_PH.read_bytes(), )
    http_server.routes["/rss/quant-ph"] = (200, {"ETag": '"v1"'}, QUANT_PH.read_bytes())
    config = write_config(tmp_path, feeds=["quant-ph"], feed_url=f"{http_server.url}/rss/{{category}}",
                          api_url=http_server.url + "/api/query")
    before = tree(tmp_path)
    result = CliRunner().invoke(cli, ["build", "--config", str(config), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert tree(tmp_path) == before  # no HTTP validators kept, no API cache, no memory
    assert http_server.paths == ["/rss/quant-ph"]  # the API is not asked
    lines = result.output.splitlines()
    assert lines[:2] == ["dry run: nothing is written", f"would read {http_server.url}/rss/quant-ph"]
    assert f"quant-ph.ja: {len(listed_quant_ph())} new, 0 updated" in lines
    assert f"arXiv API: {len(listed_quant_ph())} papers to ask in 1 requests" in lines
    assert lines[-1].startswith("estimate: about ") and "2 requests to arXiv, 0 s apart" in lines[-1]


def test_dry_run_without_the_package_says_the_build_would_install_it(tmp_path, saved_feeds):
    config = write_config(tmp_path, feeds=["hep-ex"])
    before = tree(tmp_path)
    result = CliRunner().invoke(cli, ["build", "--config", str(config), "--dry-run", "--from-dir", str(saved_feeds)])
    assert result.exit_code == 0, result.output
    assert "translation package en->ja is not installed: the build would install it from the Argos index" in result.output
    assert tree(tmp_path) == before


def test_feeds_sharing_papers_are_translated_in_one_pass(tmp_path, saved_feeds, installed_model, monkeypatch):
    """Two feeds carrying the same papers: one engine pass, each sentence to the model once,
    counted for the first feed and as already known for the second."""
    import json

    import feedbridge.pipeline

    passes = []
    real = feedbridge.pipeline.run

    def counting(job, *args, **kwargs):
        passes.append(len(job.papers))
        return real(job, *args, **kwargs)

    monkeypatch.setattr(feedbridge.pipeline, "run", counting)
    config = write_config(tmp_path, feeds=[{"category": "quant-ph", "name": name} for name in ("first", "second")])
    result = CliRunner().invoke(cli, ["-q", "build", "--config", str(config), "--from-dir", str(saved_feeds), "--offline", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    first, second = summary["feeds"]
    assert passes == [first["new"]] and first["new"] == second["new"] > 0  # one pass, each paper once
    assert first["sentences"]["translated"] > 0
    assert second["sentences"] == {"translated": 0, "cached": first["sentences"]["translated"] + first["sentences"]["cached"]}
    assert summary["sentences"]["translated"] == first["sentences"]["translated"]


def test_a_second_build_on_the_same_folder_is_refused(tmp_path, saved_feeds, installed_model):
    """While one build holds the output folder, another fails at once and writes nothing."""
    from feedbridge.atomicfile import output_lock

    config = write_config(tmp_path, feeds=["quant-ph"])
    assert build("--config", config, "--from-dir", saved_feeds, "--offline").exit_code == 0
    before = published(tmp_path / "out")
    with output_lock(tmp_path / "out"):
        result = build("--config", config, "--from-dir", saved_feeds, "--offline")
    assert result.exit_code == ExitCode.FAILED
    assert "another feedbridge build is writing" in result.output
    assert result.output.count("\n") == 1
    assert published(tmp_path / "out") == before
    assert not (tmp_path / ".out.staging").exists()
    # Released: the next build runs.
    assert build("--config", config, "--from-dir", saved_feeds, "--offline").exit_code == 0


def test_a_translation_memory_warning_reaches_status_json(tmp_path, saved_feeds, installed_model, monkeypatch):
    """The memory's warnings once went to the log only, never to the run's warnings."""
    from feedbridge.translate.memory import FILE_NAME

    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / FILE_NAME).write_bytes(b"not a database" * 100)
    monkeypatch.setenv("FEEDBRIDGE_CACHE_DIR", str(cache))
    result = build("--config", write_config(tmp_path, feeds=["quant-ph"]), "--from-dir", saved_feeds, "--offline")
    assert result.exit_code == 0, result.output
    warnings = json.loads((tmp_path / "out/status.json").read_text())["warnings"]
    assert any("unreadable translation memory" in w for w in warnings), warnings
