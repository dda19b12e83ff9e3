"""The first hour, waiting: a wait that cannot be avoided is said before it starts (what it
waits for, how long), and a failure no wait can mend (a host name that does not resolve) fails
at once instead of sleeping through the retries."""

from __future__ import annotations

import os
import socket

import pytest
from click.testing import CliRunner

from feedbridge.cli import cli
from feedbridge.errors import ExitCode, FetchError
from feedbridge.fetch import Fetcher, FetchSettings, user_agent
from support.config import write_config
from support.paths import QUANT_PH
from support.server import reply

UNRESOLVABLE = "http://nonexistent.invalid"  # RFC 6761: .invalid never resolves


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch):
    """A proxy from the environment would take the requests elsewhere."""
    for name in [n for n in os.environ if n.lower().endswith("_proxy")]:
        monkeypatch.delenv(name)


@pytest.fixture
def unresolvable():
    """The host, known not to resolve here for good (a resolver that only fails for a moment,
    EAI_AGAIN, is retried on purpose: that case is not this test's)."""
    try:
        socket.getaddrinfo("nonexistent.invalid", 80)
    except socket.gaierror as error:
        if error.errno == getattr(socket, "EAI_AGAIN", None):
            pytest.skip("this machine's resolver answers 'temporary failure' for .invalid")
        return UNRESOLVABLE
    pytest.skip("this machine resolves nonexistent.invalid")


def fetcher(fake_time, lines, **settings) -> Fetcher:
    defaults = dict(user_agent=user_agent("mailto:t@example.org"), timeout=5.0, retries=3, backoff=5.0,
                    min_interval=0.0)
    return Fetcher(FetchSettings(**{**defaults, **settings}), None, sleep=fake_time.sleep, clock=fake_time.clock,
                   log=lines.append)


def test_a_host_that_does_not_resolve_fails_at_once_without_a_retry_sleep(unresolvable, fake_time):
    lines: list[str] = []
    with pytest.raises(FetchError) as raised:
        fetcher(fake_time, lines).fetch(unresolvable + "/rss/cs.AI")
    assert str(raised.value) == f"{unresolvable}/rss/cs.AI: cannot resolve host (Name or service not known)"
    assert fake_time.sleeps == []
    assert lines == []


def test_a_retry_says_what_it_waits_for_and_how_long(http_server, fake_time):
    http_server.script(reply(503, b"busy"), reply(200, b"<rss/>"))
    lines: list[str] = []
    url = http_server.url + "/rss/cs.AI"
    assert fetcher(fake_time, lines).fetch(url).body == b"<rss/>"
    assert fake_time.sleeps == pytest.approx([5.0])
    assert lines == [f"waiting 5 s before retrying {url} (attempt 2 of 4; the last one failed:"
                     " HTTP 503 Service Unavailable)"]


def test_the_pause_between_requests_is_said(http_server, fake_time):
    http_server.serve("/rss/cs.AI", b"<rss/>")
    http_server.serve("/rss/cs.CL", b"<rss/>")
    lines: list[str] = []
    polite = fetcher(fake_time, lines, min_interval=3.0)
    polite.fetch(http_server.url + "/rss/cs.AI")
    polite.fetch(http_server.url + "/rss/cs.CL")
    assert fake_time.sleeps == pytest.approx([3.0])
    assert lines == [f"waiting 3 s before requesting {http_server.url}/rss/cs.CL (at least 3 s between requests)"]


def test_a_short_wait_goes_unsaid(http_server, fake_time):
    http_server.script(reply(503, b"busy"), reply(200, b"<rss/>"))
    lines: list[str] = []
    fetcher(fake_time, lines, backoff=0.2).fetch(http_server.url + "/rss/cs.AI")
    assert fake_time.sleeps == pytest.approx([0.2]) and lines == []


def test_translate_arxiv_offline_fails_at_once_naming_the_host_problem(tmp_path, unresolvable):
    config = write_config(tmp_path, feeds=["cs.AI"], feed_url=unresolvable + "/rss/{category}", retries=3,
                          backoff=0.5)
    result = CliRunner().invoke(cli, ["translate", "--arxiv", "2504.17830", "--config", str(config)])
    assert result.exit_code == ExitCode.FAILED
    assert result.output == f"Error: {unresolvable}/rss/cs.AI: cannot resolve host (Name or service not known)\n"


def test_the_cli_says_a_retry_wait_on_stderr(tmp_path, http_server):
    http_server.script(reply(503, b"busy"), path="/rss/quant-ph")
    http_server.serve("/rss/quant-ph", QUANT_PH.read_bytes())
    config = write_config(tmp_path, feeds=["quant-ph"], feed_url=f"{http_server.url}/rss/{{category}}",
                          enrich=False, retries=1, backoff=2)
    result = CliRunner().invoke(cli, ["fetch", "--config", str(config), "--out", str(tmp_path / "inputs")])
    assert result.exit_code == 0, result.output
    waits = [line for line in result.stderr.splitlines() if line.startswith("waiting ")]
    assert waits == [f"waiting 2 s before retrying {http_server.url}/rss/quant-ph (attempt 2 of 2; the last one"
                     " failed: HTTP 503 Service Unavailable)"]
    assert "waiting" not in result.stdout


def test_no_pause_is_owed_after_a_request_that_never_left(unresolvable, http_server, fake_time):
    """The pause between requests is arXiv's due; a host that did not resolve heard nothing."""
    http_server.serve("/rss/cs.CL", b"<rss/>")
    lines: list[str] = []
    polite = fetcher(fake_time, lines, min_interval=3.0)
    for category in ("cs.AI", "math.CO"):
        with pytest.raises(FetchError):
            polite.fetch(f"{unresolvable}/rss/{category}")
    polite.fetch(http_server.url + "/rss/cs.CL")
    polite.fetch(http_server.url + "/rss/cs.CL")
    assert fake_time.sleeps == pytest.approx([3.0])  # only between the two requests that were sent
    assert lines == [f"waiting 3 s before requesting {http_server.url}/rss/cs.CL (at least 3 s between requests)"]
