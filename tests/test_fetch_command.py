"""`feedbridge fetch --out DIR`: what a build reads from arXiv, fetched once (the feeds saved
as sent, the API's answers cached), so that builds and translation jobs elsewhere need no
network."""

from __future__ import annotations

import json

from click.testing import CliRunner
from lxml import etree

from feedbridge.cli import cli
from feedbridge.sources.arxiv_api import query_url
from feedbridge.sources.arxiv_rss import parse_feed
from support.builds import build
from support.checks import ATOM, content_html
from support.config import write_config
from support.paths import API_SEARCH, QUANT_PH

LISTED = ("new", "cross")


def answer_for(papers) -> bytes:
    """The API fixture's entries, re-addressed to these papers, in order."""
    document = etree.parse(str(API_SEARCH))
    entries = document.getroot().findall(f"{ATOM}entry")
    for extra in entries[len(papers):]:
        document.getroot().remove(extra)
    for entry, paper in zip(entries, papers):
        entry.find(f"{ATOM}id").text = f"http://arxiv.org/abs/{paper.arxiv_id}v{paper.version}"
    return etree.tostring(document, xml_declaration=True, encoding="UTF-8")


def test_a_build_from_the_fetched_folder_needs_no_network_and_keeps_the_apis_comments(tmp_path, http_server,
                                                                                        installed_model):
    announced = list({p.arxiv_id: p for p in parse_feed(QUANT_PH.read_bytes(), "q").papers}.values())
    api = http_server.url + "/api/query"
    http_server.serve("/rss/quant-ph", QUANT_PH.read_bytes())
    # fetch asks about every announced paper: which of them a build keeps depends on its history
    http_server.serve(query_url(api, [p.arxiv_id for p in announced])[len(http_server.url):], answer_for(announced))
    papers = [p for p in announced if p.announce_type in LISTED]
    config = write_config(tmp_path, feeds=["quant-ph"], feed_url=f"{http_server.url}/rss/{{category}}", api_url=api)

    fetched = CliRunner().invoke(cli, ["fetch", "--config", str(config), "--out", str(tmp_path / "inputs")])
    assert fetched.exit_code == 0, fetched.output
    assert "1 of 1 feeds saved" in fetched.output, fetched.output
    assert (tmp_path / "inputs" / "quant-ph.xml").read_bytes() == QUANT_PH.read_bytes()
    asked = len(http_server.paths)

    result = build("--config", config, "--from-dir", tmp_path / "inputs", "--offline", "--now", "2025-04-28T14:00:00Z",
                   "--json")
    assert result.exit_code == 0, result.output
    assert len(http_server.paths) == asked  # the build asked nothing
    assert json.loads(result.stdout)["enrichment"].startswith(f"arXiv API: {len(papers)} papers from the cache")
    entry = etree.parse(str(tmp_path / "out" / "quant-ph.ja.xml")).getroot().find(f"{ATOM}entry")
    first = [p.arxiv_id for p in announced].index(papers[0].arxiv_id)
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
    assert sorted(p.name for p in (tmp_path / "inputs").iterdir()) == ["quant-ph.xml"]
