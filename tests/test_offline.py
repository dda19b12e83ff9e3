"""`build --offline` makes no network connection at all: the feeds are the copies the last
online run kept, the API and the live site are never asked, and no package is installed."""

from __future__ import annotations

import json
import threading
from datetime import date

from click.testing import CliRunner

from feedbridge.cli import cli
from feedbridge.errors import ExitCode
from support.config import write_config
from support.feeds import day_document, items
from support.paths import TOY
from support.server import LoopbackServer


def counting_connections(server: LoopbackServer) -> list[int]:
    """Count every TCP connection the server accepts, whether or not a request follows."""
    count = [0]
    lock = threading.Lock()
    accept = server._httpd.get_request

    def counted():
        with lock:
            count[0] += 1
        return accept()

    server._httpd.get_request = counted
    return count


def build(config, *args):
    return CliRunner().invoke(cli, ["build", "--config", str(config), "--json", *args])


def test_an_offline_build_connects_to_nothing_and_reads_the_kept_copies(tmp_path, toy_model):
    document = day_document(date(2025, 4, 28), items()["new"][:3])
    with LoopbackServer() as server:
        server.serve("/rss/quant-ph", document)
        config = write_config(tmp_path, feeds=["quant-ph"], translation={"model": TOY},
                              base_url=f"{server.url}/site/", feed_url=f"{server.url}/rss/{{category}}",
                              api_url=f"{server.url}/api/query", enrich=True)
        online = build(config)
        assert online.exit_code == 0, online.stderr
        assert any(path.startswith("/api/") for path in server.paths)  # online, every server is asked
        connections = counting_connections(server)

        offline = build(config, "--offline")

        assert connections[0] == 0
    assert offline.exit_code == 0, offline.stderr
    feed = json.loads(offline.stdout)["feeds"][0]
    assert feed["status"] == "stale"  # the kept copy is the batch already published


def test_offline_without_a_kept_copy_fails_the_feed_in_one_line(tmp_path, toy_model):
    with LoopbackServer() as server:
        config = write_config(tmp_path, feeds=["quant-ph"], translation={"model": TOY},
                              base_url=f"{server.url}/site/", feed_url=f"{server.url}/rss/{{category}}")
        connections = counting_connections(server)

        result = build(config, "--offline")

        assert connections[0] == 0
    assert result.exit_code == ExitCode.FAILED
    assert f"{server.url}/rss/quant-ph: not fetched (--offline), and no earlier run kept a copy" in result.stderr
    assert "Traceback" not in result.stderr
