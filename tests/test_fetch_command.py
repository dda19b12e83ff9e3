"""`feedbridge fetch --out DIR`: what a build reads from the network, fetched once (the feeds
saved as sent, the previous site, the missed days read back from the API, the API's
answers), so that builds and translation jobs elsewhere need nothing else."""

from __future__ import annotations

import copy
import json
from urllib.parse import parse_qs, urlsplit

import shutil
from datetime import date, datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from lxml import etree

from feedbridge.cli import cli
from feedbridge.config import STATUS_FILE
from feedbridge.sources.arxiv_rss import parse_feed
from support.builds import build
from support.checks import ATOM, content_html
from support.config import write_config
from support.fortnight import CATEGORIES, FORTNIGHT, Arxiv, World, feed_entries, feed_name
from support.paths import API_SEARCH, QUANT_PH

LISTED = ("new", "cross")
D = date.fromisoformat
FORTNIGHT_ARXIV = Arxiv(FORTNIGHT)


def api_answering(announced):
    """The API on the loopback server: any id_list answered with the fixture's entries,
    re-addressed to the papers asked for, in ``announced``'s order (the fixture's nth
    entry for the nth announced paper)."""
    order = list(announced)

    def answer(handler) -> None:
        asked = parse_qs(urlsplit(handler.path).query)["id_list"][0].split(",")
        papers = [announced[i] for i in sorted(asked, key=order.index)]
        document = etree.parse(str(API_SEARCH))
        entries = document.getroot().findall(f"{ATOM}entry")
        for entry in entries:
            document.getroot().remove(entry)
        for paper in papers:
            if order.index(paper.arxiv_id) >= len(entries):
                continue
            entry = copy.deepcopy(entries[order.index(paper.arxiv_id)])
            entry.find(f"{ATOM}id").text = f"http://arxiv.org/abs/{paper.arxiv_id}v{paper.version}"
            document.getroot().append(entry)
        handler.reply(200, {"Content-Type": "application/atom+xml"},
                      etree.tostring(document, xml_declaration=True, encoding="UTF-8"))

    return answer


def test_a_build_from_the_fetched_folder_needs_no_network_and_keeps_the_apis_comments(tmp_path, http_server,
                                                                                        installed_model):
    announced = {p.arxiv_id: p for p in parse_feed(QUANT_PH.read_bytes(), "q").papers}
    api = http_server.url + "/api/query"
    http_server.serve("/rss/quant-ph", QUANT_PH.read_bytes())
    http_server.script(api_answering(announced), repeat_last=True)
    papers = [p for p in announced.values() if p.announce_type in LISTED]
    config = write_config(tmp_path, feeds=["quant-ph"], feed_url=f"{http_server.url}/rss/{{category}}", api_url=api)

    fetched = CliRunner().invoke(cli, ["fetch", "--config", str(config), "--out", str(tmp_path / "inputs"),
                                       "--now", "2025-04-28T14:00:00Z"])
    assert fetched.exit_code == 0, fetched.output
    assert "1 of 1 feeds saved" in fetched.output, fetched.output
    assert (tmp_path / "inputs" / "quant-ph.xml").read_bytes() == QUANT_PH.read_bytes()
    # fetch asked about what the build enriches: the papers it publishes
    assert len(json.loads((tmp_path / "inputs" / "arxiv-api.json").read_bytes())) == len(papers)
    asked = len(http_server.paths)

    result = build("--config", config, "--from-dir", tmp_path / "inputs", "--offline", "--now", "2025-04-28T14:00:00Z",
                   "--json")
    assert result.exit_code == 0, result.output
    assert len(http_server.paths) == asked  # the build asked nothing
    assert json.loads(result.stdout)["enrichment"].startswith(f"arXiv API: {len(papers)} papers from the cache")
    entry = etree.parse(str(tmp_path / "out" / "quant-ph.ja.xml")).getroot().find(f"{ATOM}entry")
    first = list(announced).index(papers[0].arxiv_id)
    comment = etree.parse(str(API_SEARCH)).getroot().findall(f"{ATOM}entry")[first].findtext(
        "{http://arxiv.org/schemas/atom}comment")
    assert comment and " ".join(comment.split()) in " ".join(content_html(entry.find(f"{ATOM}content")).text_content().split())


def test_a_feed_that_cannot_be_fetched_is_left_out_and_said(tmp_path, http_server):
    http_server.serve("/rss/quant-ph", QUANT_PH.read_bytes())  # hep-ex is not served: 404
    config = write_config(tmp_path, feeds=["quant-ph", "hep-ex"], feed_url=f"{http_server.url}/rss/{{category}}",
                          enrich=False)
    fetched = CliRunner().invoke(cli, ["fetch", "--config", str(config), "--out", str(tmp_path / "inputs")])
    assert fetched.exit_code == 4
    assert "hep-ex: not saved:" in fetched.output and "404" in fetched.output
    assert sorted(p.name for p in (tmp_path / "inputs").glob("*.xml")) == ["quant-ph.xml"]


# --- the whole input of a day: fetch, then a build with the network gone -----------------------------

DAY0 = datetime(2026, 6, 9, 15, tzinfo=timezone.utc)  # a build kept in a folder, never deployed
DAY1 = datetime(2026, 6, 10, 15, tzinfo=timezone.utc)  # a build is published
DAY3 = datetime(2026, 6, 12, 15, tzinfo=timezone.utc)  # the next: Thursday 06-11's batch was never served
MISSED_DAY = "2026-06-11"
ARXIV_COMMENT = "{http://arxiv.org/schemas/atom}comment"


class CommentedArxiv(Arxiv):
    """The fortnight's arXiv, whose API gives each paper a comment (only the API has them)."""

    def api_answer(self, query, now):
        status, body, asked = super().api_answer(query, now)
        if status != 200:
            return status, body, asked
        root = etree.fromstring(body)
        for entry in root.iterfind(f"{ATOM}entry"):
            comment = etree.SubElement(entry, ARXIV_COMMENT)
            comment.text = f"{entry.findtext(f'{ATOM}id').rsplit('/', 1)[1]}: 12 pages, comment from the API"
        return status, etree.tostring(root, xml_declaration=True, encoding="UTF-8"), asked


def fetch_cli(*args) -> object:
    return CliRunner().invoke(cli, ["fetch", *map(str, args)])


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    """Day 1 built online and deployed to the loopback Pages (day 0 built into a folder of
    its own); on day 3, an online build into a fresh folder, and `fetch`, each with a
    cache of its own; then the servers stop, and builds from the fetched folder, offline:
    into a fresh folder with a fresh cache, into a copy of day 3's site (newer than what
    fetch saved), and into day 0's (older)."""
    root = tmp_path_factory.mktemp("fetch-day")
    world = World(root, CommentedArxiv(FORTNIGHT))
    try:
        world.install_model()
        config = root / "feeds.yaml"
        config.write_text(world.config_text())
        with pytest.MonkeyPatch.context() as env:
            env.setenv("FEEDBRIDGE_MODELS_DIR", str(world.models))
            env.setenv("ARGOS_PACKAGES_DIR", str(root / "argos-packages"))
            env.setenv("FEEDBRIDGE_CACHE_DIR", str(root / "cache-day0"))
            world.now = DAY0
            done = build("--config", config, "--out", root / "older", "--now", DAY0.isoformat())
            assert done.exit_code == 0, done.output
            env.setenv("FEEDBRIDGE_CACHE_DIR", str(root / "cache-day1"))
            world.now = DAY1
            done = build("--config", config, "--out", root / "day1", "--now", DAY1.isoformat())
            assert done.exit_code == 0, done.output
            world.deploy(root / "day1")

            world.now = DAY3
            env.setenv("FEEDBRIDGE_CACHE_DIR", str(root / "cache-online"))
            online = build("--config", config, "--out", root / "online", "--now", DAY3.isoformat(), "--json")
            assert online.exit_code == 0, online.output
            env.setenv("FEEDBRIDGE_CACHE_DIR", str(root / "cache-fetch"))
            fetched = fetch_cli("--config", config, "--out", root / "inputs", "--now", DAY3.isoformat())
            assert fetched.exit_code == 0, fetched.output
            world.close()  # the network is gone

            env.setenv("FEEDBRIDGE_CACHE_DIR", str(root / "cache-build"))
            saved = build("--config", config, "--from-dir", root / "inputs", "--offline", "--out", root / "from-dir",
                          "--now", DAY3.isoformat(), "--json")
            shutil.copytree(root / "online", root / "newer")
            newer = build("--config", config, "--from-dir", root / "inputs", "--offline", "--out", root / "newer",
                          "--now", DAY3.isoformat(), "--json")
            older = build("--config", config, "--from-dir", root / "inputs", "--offline", "--out", root / "older",
                          "--now", DAY3.isoformat(), "--json")
        yield SimpleNamespace(root=root, online=online, fetched=fetched, saved=saved, newer=newer, older=older)
    finally:
        world.close()


def site_files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_build_from_what_fetch_saved_publishes_the_site_an_online_build_does(day):
    assert day.saved.exit_code == 0, day.saved.output
    online, saved = site_files(day.root / "online"), site_files(day.root / "from-dir")
    assert sorted(saved) == sorted(online)
    # byte for byte, but for status.json, which says where the previous site was read
    assert [name for name in online if online[name] != saved[name] and name != "status.json"] == []
    online_status, saved_status = (json.loads(site[STATUS_FILE]) for site in (online, saved))
    assert "saved by feedbridge fetch" in saved_status.pop("previous")
    assert "the published site" in online_status.pop("previous")
    for feed in online_status["feeds"]:  # each history, from the site and from its saved copy
        assert feed.pop("history").startswith("read from http")
    for feed in saved_status["feeds"]:
        assert feed.pop("history").startswith(f"read from {day.root / 'inputs' / 'previous'}")
    assert saved_status == online_status

    # the previous site's entries carried: the same ids, the same dates
    def entries(site: Path, name: str) -> dict[str, str]:
        root = etree.parse(str(site / f"{name}.xml")).getroot()
        return {e.findtext(f"{ATOM}id"): e.findtext(f"{ATOM}updated") for e in root.iterfind(f"{ATOM}entry")}

    for category in CATEGORIES:
        published = entries(day.root / "day1", feed_name(category))
        now = entries(day.root / "from-dir", feed_name(category))
        assert published and {i: now.get(i) for i in published} == published

    # the API's comments are on the entries: the build found fetch's answers
    assert json.loads(day.saved.stdout)["enrichment"].startswith("arXiv API: ")
    archive = json.loads(saved["archive/quant-ph.ja.json"])
    assert all(e["paper"]["comment"].endswith("comment from the API") for e in archive["entries"]
               if not e["paper"].get("recovered"))

    # the missed day came back, as online: its papers marked recovered, its gap closed
    for category in CATEGORIES:
        (feed,) = [f for f in saved_status["feeds"] if f["name"] == feed_name(category)]
        assert [(g["day"], g["state"]) for g in feed["gaps"]] == [(MISSED_DAY, "recovered")]
        recovered = {e.arxiv_id for e in feed_entries(day.root / "from-dir", feed_name(category))
                     if "recovered" in e.terms}
        assert recovered and recovered == {p.arxiv_id for p in FORTNIGHT_ARXIV.feed_papers(category, D(MISSED_DAY))}


def test_fetch_saves_the_whole_input_of_the_day(day):
    inputs = day.root / "inputs"
    assert sorted(p.name for p in inputs.glob("*.xml")) == sorted(f"{c}.xml" for c in CATEGORIES)
    assert json.loads((inputs / "previous.json").read_bytes())["unreadable"] == {}
    for category in CATEGORIES:
        name = feed_name(category)
        for path in (f"{name}.xml", f"archive/{name}.json"):
            assert (inputs / "previous" / path).read_bytes() == (day.root / "day1" / path).read_bytes()
        missed = json.loads((inputs / "missed" / category / f"{MISSED_DAY}.json").read_bytes())
        assert {p["arxiv_id"] for p in missed["papers"]} == {
            p.arxiv_id for p in FORTNIGHT_ARXIV.feed_papers(category, D(MISSED_DAY))}
    assert (inputs / "previous" / STATUS_FILE).read_bytes() == (day.root / "day1" / STATUS_FILE).read_bytes()
    assert json.loads((inputs / "arxiv-api.json").read_bytes())


def test_the_saved_previous_site_is_used_over_an_older_output_folder_never_a_newer_one(day):
    assert day.older.exit_code == 0, day.older.output
    assert json.loads((day.root / "older" / STATUS_FILE).read_bytes())["previous"].startswith(
        f"the previous site saved by feedbridge fetch in {day.root / 'inputs' / 'previous'}")
    older, online = site_files(day.root / "older"), site_files(day.root / "online")
    assert [name for name in online if online[name] != older.get(name) and name != STATUS_FILE] == []
    assert day.newer.exit_code == 0, day.newer.output
    assert "previous state: the output folder" in day.newer.output
    assert json.loads((day.root / "newer" / STATUS_FILE).read_bytes())["previous"].startswith("the output folder")


def test_a_history_fetch_could_not_read_stays_unknown_and_the_build_publishes_nothing(tmp_path, http_server,
                                                                                      installed_model):
    http_server.serve("/rss/quant-ph", QUANT_PH.read_bytes())
    http_server.serve("/fb/archive/quant-ph.ja.json", b"busy", status=503)  # the rest of the site: 404
    config = write_config(tmp_path, feeds=["quant-ph"], feed_url=f"{http_server.url}/rss/{{category}}",
                          base_url=f"{http_server.url}/fb/", enrich=False)
    fetched = fetch_cli("--config", config, "--out", tmp_path / "inputs", "--now", "2025-04-28T14:00:00Z")
    assert fetched.exit_code == 0, fetched.output
    (path, why), = json.loads((tmp_path / "inputs" / "previous.json").read_bytes())["unreadable"].items()
    assert path == "archive/quant-ph.ja.json" and "503" in why
    assert not (tmp_path / "inputs" / "previous" / path).exists()

    result = build("--config", config, "--from-dir", tmp_path / "inputs", "--offline", "--now", "2025-04-28T14:00:00Z")
    assert result.exit_code != 0
    assert "no new site was published: the previous state of quant-ph.ja could not be read" in result.output
    assert not (tmp_path / "out").exists()
