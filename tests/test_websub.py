"""WebSub: a configured hub is named in every feed, and `feedbridge websub ping` tells it of
the feeds a publish changed once the live site serves them (a hub on 127.0.0.1), as the
publish workflow's websub job runs it after the deploy."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import yaml
from click.testing import CliRunner
from lxml import etree

from feedbridge.cli import cli
from feedbridge.config import parse_config
from feedbridge.errors import ConfigError
from support.builds import build
from support.checks import ATOM, assert_valid_atom
from support.config import write_config
from support.paths import QUANT_PH, REPO
from support.server import Handler, LoopbackServer

WORKFLOW = REPO / ".github" / "workflows" / "publish.yml"
GENERATED = "2025-04-28T14:00:00+00:00"


class Hub:
    """A WebSub hub on 127.0.0.1 that records each publish notification."""

    def __init__(self, status: int = 204):
        self.status = status
        self.told: list[dict[str, list[str]]] = []
        self.server = LoopbackServer()

        def answer(handler: Handler) -> None:
            self.told.append(parse_qs(handler.rfile.read(int(handler.headers["Content-Length"])).decode()))
            handler.reply(self.status)

        self.server.script(answer, path="/hub", repeat_last=True)
        self.url = self.server.url + "/hub"


@pytest.fixture
def hub():
    hub = Hub()
    yield hub
    hub.server.close()


def site_status(server: LoopbackServer, generated: str, statuses: dict[str, str]) -> None:
    feeds = [{"name": name, "status": status} for name, status in statuses.items()]
    server.serve("/site/status.json", json.dumps({"generated": generated, "feeds": feeds}).encode())


def ping(config: Path, server: LoopbackServer, *extra: str, verbose: bool = False):
    return CliRunner().invoke(cli, [*(["-v"] if verbose else []), "websub", "ping", "--config", str(config), "--base-url", server.url + "/site",
                                    "--generated", GENERATED, *extra])


def test_a_hub_is_a_url_and_none_is_the_default(tmp_path):
    assert parse_config(yaml.safe_dump({"site": {"base_url": "https://a.org/"}, "arxiv": {"contact": "a@b.c"},
                                        "feeds": ["cs.AI"]}), tmp_path / "f.yaml").websub_hub is None
    with pytest.raises(ConfigError, match="site.websub_hub: expected an absolute http"):
        parse_config(yaml.safe_dump({"site": {"base_url": "https://a.org/", "websub_hub": "pubsubhubbub"},
                                     "arxiv": {"contact": "a@b.c"}, "feeds": ["cs.AI"]}), tmp_path / "f.yaml")


def test_every_feed_names_the_hub_and_none_without_one(tmp_path, installed_model):
    saved_feeds = tmp_path / "saved"
    saved_feeds.mkdir()
    (saved_feeds / "quant-ph.xml").write_bytes(QUANT_PH.read_bytes())
    for folder, hub_url in ((tmp_path / "with", "https://hub.example.net/"), (tmp_path / "without", None)):
        config = write_config(folder, feeds=["quant-ph"])
        if hub_url:
            document = yaml.safe_load(config.read_text())
            document["site"]["websub_hub"] = hub_url
            config.write_text(yaml.safe_dump(document))
        assert build("--config", config, "--from-dir", saved_feeds, "--offline").exit_code == 0
        assert_valid_atom(folder / "out/quant-ph.ja.xml")
        links = etree.parse(str(folder / "out/quant-ph.ja.xml")).getroot().findall(f"{ATOM}link[@rel='hub']")
        hubs = json.loads((folder / "out/quant-ph.ja.feed.json").read_bytes()).get("hubs")
        if hub_url:
            assert [link.get("href") for link in links] == [hub_url]
            assert hubs == [{"type": "WebSub", "url": hub_url}]
        else:
            assert links == [] and hubs is None


def test_the_hub_hears_of_each_changed_feed_once_the_new_site_is_served(tmp_path, hub, monkeypatch):
    monkeypatch.setattr("feedbridge.websub.POLL_EVERY", 0.05)
    config = write_config(tmp_path, feeds=["quant-ph", "hep-ex", "physics"])
    config.write_text(config.read_text().replace("site:\n", f"site:\n  websub_hub: {hub.url}\n", 1))
    site = LoopbackServer()
    try:
        site_status(site, "2025-04-27T14:00:00+00:00", {})  # Pages still serves the old site
        answers = iter([None])

        def serve_the_new_one_on_the_second_look(handler: Handler) -> None:
            if next(answers, "new") is None:
                handler.reply(200, {}, json.dumps({"generated": "2025-04-27T14:00:00+00:00", "feeds": []}).encode())
            else:
                feeds = [{"name": "quant-ph.ja", "status": "updated"}, {"name": "hep-ex.ja", "status": "current"},
                         {"name": "physics.ja", "status": "partial"}]
                handler.reply(200, {}, json.dumps({"generated": GENERATED, "feeds": feeds}).encode())

        site.script(serve_the_new_one_on_the_second_look, path="/site/status.json", repeat_last=True)
        result = ping(config, site, "--wait", "30")
        assert result.exit_code == 0, result.output
    finally:
        site.close()
    told = [(*form["hub.mode"], *form["hub.url"]) for form in hub.told]
    base = site.url + "/site/"
    assert told == [("publish", base + path) for path in
                    ("quant-ph.ja.xml", "quant-ph.ja.feed.json", "physics.ja.xml", "physics.ja.feed.json")]
    # The wait is said without -v (no silent pause); each URL told only with it.
    assert f"s for {base}status.json to serve the status written {GENERATED}" in result.output
    assert "told" in result.output


def test_a_site_never_served_or_a_refusing_hub_fails_in_one_line(tmp_path, hub):
    config = write_config(tmp_path, feeds=["quant-ph"])
    config.write_text(config.read_text().replace("site:\n", f"site:\n  websub_hub: {hub.url}\n", 1))
    with LoopbackServer() as site:
        site_status(site, "2025-04-27T14:00:00+00:00", {"quant-ph.ja": "updated"})
        stale = ping(config, site, "--wait", "0")
        assert stale.exit_code == 1 and hub.told == []
        assert "still serves the status written 2025-04-27T14:00:00+00:00" in stale.output
        assert "the hub was told nothing" in stale.output
        site_status(site, GENERATED, {"quant-ph.ja": "updated"})
        hub.status = 500
        refused = ping(config, site, "--wait", "0")
        assert refused.exit_code == 1 and "the hub answered HTTP 500 to publish" in refused.output


def test_without_a_hub_there_is_nothing_to_tell(tmp_path):
    config = write_config(tmp_path, feeds=["quant-ph"])
    with LoopbackServer() as site:
        result = ping(config, site)
    assert result.exit_code == 0 and "nothing to tell" in result.output
    assert site.paths == []  # the site is not even looked at


def test_the_workflow_pings_after_the_deploy_and_only_with_a_hub(tmp_path):
    workflow = yaml.safe_load(WORKFLOW.read_text())
    job = workflow["jobs"]["websub"]
    assert set(job["needs"]) == {"build", "deploy"}  # skipped whenever the deploy is
    assert job["if"] == "needs.build.outputs.hub != ''"
    (ping_step,) = [step for step in job["steps"] if "feedbridge websub ping" in step.get("run", "")]
    assert ping_step["env"] == {"BASE_URL": "${{ needs.build.outputs.base_url }}",
                                "GENERATED": "${{ needs.build.outputs.generated }}"}
    outputs = workflow["jobs"]["build"]["outputs"]
    assert outputs["generated"] == "${{ steps.websub.outputs.generated }}"
    # The build job's step that tells it: run as GitHub runs it, on a built site.
    (note,) = [step for step in workflow["jobs"]["build"]["steps"] if step.get("id") == "websub"]
    (tmp_path / "site").mkdir()
    (tmp_path / "site/status.json").write_text(json.dumps({"generated": GENERATED, "feeds": []}))
    config = write_config(tmp_path, feeds=["quant-ph"])
    config.write_text(config.read_text().replace("site:\n", "site:\n  websub_hub: https://hub.example.net/\n", 1))
    output = tmp_path / "github-output"
    env = {**os.environ, "GITHUB_OUTPUT": str(output), "PYTHONPATH": str(REPO)}
    subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", note["run"]], cwd=tmp_path, env=env,
                   check=True)
    assert output.read_text() == f"generated={GENERATED}\nhub=https://hub.example.net/\n"
