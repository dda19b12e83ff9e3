"""Network faults through whole builds: a fault-injecting server on 127.0.0.1.

Each case builds on the site published the day before, serving one good feed and one
faulty one. The outcome is either "retried, then built", or "that feed failed with a
one-line reason" while the new site is still published with the good feed, and the
failed feed's previous files stay byte-identical.
"""

import gzip
import shutil

import pytest
from click.testing import CliRunner

from feedbridge.cli import cli
from feedbridge.errors import ExitCode
from support.config import write_config
from support.paths import EMPTY_PHYSICS, QUANT_PH
from support.scenes import published
from support.server import LoopbackServer, redirect, reply, reset, stall_before_headers, stall_mid_body

GOOD = QUANT_PH.read_bytes()
FEEDS = ["quant-ph", "cs.XX"]


def status(code, body=b"", **headers):
    return reply(code, body, {name.replace("_", "-"): value for name, value in headers.items()})


ERROR_CHANNEL = (b"<?xml version='1.0'?><rss version='2.0'><channel><title>Feed error for query: cs.XX"
                 b"</title><link>http://rss.arxiv.org/rss/cs.XX</link><description>x</description></channel></rss>")

RETRIED_THEN_BUILT = {
    "500 then ok": [status(500), status(200, GOOD)],
    "502 then ok": [status(502), status(200, GOOD)],
    "503 then ok": [status(503), status(200, GOOD)],
    "503 Retry-After then ok": [status(503, Retry_After="0"), status(200, GOOD)],
    "429 Retry-After then ok": [status(429, Retry_After="0"), status(200, GOOD)],
    "reset then ok": [reset(), status(200, GOOD)],
    "301 redirect": [redirect(301, "/rss/moved"), status(200, GOOD)],
    "302 redirect": [redirect(302, "/rss/moved"), status(200, GOOD)],
    "308 redirect": [redirect(308, "/rss/moved"), status(200, GOOD)],
    "gzip body": [status(200, gzip.compress(GOOD), Content_Encoding="gzip")],
    "wrong charset header": [status(200, GOOD, Content_Type="text/xml; charset=iso-8859-1")],
}

FAILED_ALONE = {
    "500 every time": ([status(500)], "HTTP 500"),
    "503 Retry-After too long": ([status(503, Retry_After="86400")], "Retry-After"),
    "reset every time": ([reset()], "after 2 attempts"),
    "timeout before headers": ([stall_before_headers(1.5)], "after 2 attempts"),
    "stall mid-body": ([stall_mid_body(GOOD, 1.5)], "after 2 attempts"),
    "redirect loop": ([redirect(302, "/rss/cs.XX")], "redirect"),
    "400 error channel": ([status(400, ERROR_CHANNEL)], "Feed error for query: cs.XX"),
    "404": ([status(404, b"no")], "HTTP 404"),
    "HTML page instead of XML": ([status(200, b"<!DOCTYPE html><html><body>Oops</body></html>")], "cs.XX"),
    "truncated XML": ([status(200, GOOD[: len(GOOD) // 2])], "cs.XX"),
    "larger than the cap": ([status(200, GOOD * 20)], "larger than"),
    "gzip bomb": ([status(200, gzip.compress(b" " * (64 * 2**20)), Content_Encoding="gzip")], "larger than"),
    "declared gzip, not gzip": ([status(200, GOOD, Content_Encoding="gzip")], "cs.XX"),
}


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("fault-cache")


@pytest.fixture(autouse=True)
def translation_memory_across_cases(shared_cache, monkeypatch):
    """Every case builds the same good feed: after the first, its translations come from
    the memory, so the cases cost their faults, not the model's time."""
    monkeypatch.setenv("FEEDBRIDGE_CACHE_DIR", str(shared_cache))


@pytest.fixture(scope="module")
def day_before(tmp_path_factory):
    return tmp_path_factory.mktemp("day-before") / "out"


@pytest.fixture
def published_site(day_before, installed_model) -> dict[str, bytes]:
    """The site published the day before (built once): quant-ph with the good batch, and
    cs.XX published empty, as on a holiday."""
    if not day_before.exists():
        with LoopbackServer() as server:
            server.serve("/rss/quant-ph", GOOD)
            server.serve("/rss/cs.XX", EMPTY_PHYSICS.read_bytes())
            config = write_config(day_before.parent, feeds=FEEDS, feed_url=f"{server.url}/rss/{{category}}")
            result = CliRunner().invoke(cli, ["build", "--config", str(config)])
        assert result.exit_code == 0, result.output
    return published(day_before)


def run_build(tmp_path, day_before, script):
    """A build on the day before's site: the good feed, always served, and cs.XX, answered
    by ``script`` (its last step repeats)."""
    shutil.copytree(day_before, tmp_path / "out")
    with LoopbackServer() as server:
        server.routes["/rss/quant-ph"] = (200, {}, GOOD)
        server.script(*script, repeat_last=True)
        config = write_config(tmp_path, feeds=FEEDS, feed_url=f"{server.url}/rss/{{category}}",
                              retries=1, backoff=0.01, timeout=0.5, max_bytes=2_000_000)
        return CliRunner().invoke(cli, ["build", "--config", str(config)])


@pytest.mark.parametrize("case", sorted(RETRIED_THEN_BUILT))
def test_fault_retried_then_built(case, tmp_path, day_before, published_site):
    result = run_build(tmp_path, day_before, RETRIED_THEN_BUILT[case])
    assert result.exit_code == ExitCode.OK, result.output
    assert (tmp_path / "out/cs.XX.ja.xml").read_bytes() != published_site["cs.XX.ja.xml"]
    assert b"<entry>" in (tmp_path / "out/cs.XX.ja.xml").read_bytes()


@pytest.mark.parametrize("case", sorted(FAILED_ALONE))
def test_fault_fails_that_feed_alone(case, tmp_path, day_before, published_site):
    script, reason = FAILED_ALONE[case]
    result = run_build(tmp_path, day_before, script)
    assert result.exit_code == ExitCode.PARTIAL, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "cs.XX" in errors[0] and reason in errors[0], result.output
    after = published(tmp_path / "out")
    for name in ("cs.XX.ja.xml", "archive/cs.XX.ja.json"):
        assert after[name] == published_site[name]  # left as it was
    assert after["status.json"] != published_site["status.json"]  # the new site is published
    assert b"<entry>" in after["quant-ph.ja.xml"]  # with the other feed


def test_connection_refused_fails_the_run_and_keeps_files(tmp_path, day_before, published_site):
    shutil.copytree(day_before, tmp_path / "out")
    config = write_config(tmp_path, feeds=FEEDS, retries=1, backoff=0.01)
    result = CliRunner().invoke(cli, ["build", "--config", str(config)])
    assert result.exit_code == ExitCode.FAILED
    assert "connection refused" in result.output
    assert published(tmp_path / "out") == published_site
