"""Network faults through whole builds: a fault-injecting server on 127.0.0.1.

Each case serves one good feed and one faulty one. The outcome is either "retried,
then built", or "that feed failed with a one-line reason" while the good feed is
still published and the failed feed's previous file stays byte-identical.
"""

import gzip

import pytest
from click.testing import CliRunner

from feedbridge.cli import cli
from feedbridge.errors import ExitCode
from support.config import write_config
from support.paths import QUANT_PH
from support.server import LoopbackServer, redirect, reply, reset, stall_before_headers, stall_mid_body

GOOD = QUANT_PH.read_bytes()
OLD = b"<previously published/>"


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


def run_build(tmp_path, script):
    """A build of the good feed, always served, and cs.XX, answered by ``script`` (its last step repeats)."""
    with LoopbackServer() as server:
        server.routes["/rss/quant-ph"] = (200, {}, GOOD)
        server.script(*script, repeat_last=True)
        (tmp_path / "out").mkdir(exist_ok=True)
        (tmp_path / "out/cs.XX.ja.xml").write_bytes(OLD)
        config = write_config(tmp_path, feeds=["quant-ph", "cs.XX"], feed_url=f"{server.url}/rss/{{category}}",
                              retries=1, backoff=0.01, timeout=0.5, max_bytes=2_000_000)
        return CliRunner().invoke(cli, ["build", "--config", str(config), "--offline"])


@pytest.mark.parametrize("case", sorted(RETRIED_THEN_BUILT))
def test_fault_retried_then_built(case, tmp_path, installed_model):
    result = run_build(tmp_path, RETRIED_THEN_BUILT[case])
    assert result.exit_code == ExitCode.OK, result.output
    assert (tmp_path / "out/cs.XX.ja.xml").read_bytes() != OLD
    assert b"<entry>" in (tmp_path / "out/cs.XX.ja.xml").read_bytes()


@pytest.mark.parametrize("case", sorted(FAILED_ALONE))
def test_fault_fails_that_feed_alone(case, tmp_path, installed_model):
    script, reason = FAILED_ALONE[case]
    result = run_build(tmp_path, script)
    assert result.exit_code == ExitCode.PARTIAL, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "cs.XX" in errors[0] and reason in errors[0], result.output
    assert (tmp_path / "out/cs.XX.ja.xml").read_bytes() == OLD  # left as it was
    assert b"<entry>" in (tmp_path / "out/quant-ph.ja.xml").read_bytes()  # the other feed is out


def test_connection_refused_fails_the_run_and_keeps_files(tmp_path, installed_model):
    (tmp_path / "out").mkdir()
    (tmp_path / "out/cs.XX.ja.xml").write_bytes(OLD)
    config = write_config(tmp_path, feeds=["cs.XX"], retries=1, backoff=0.01)
    result = CliRunner().invoke(cli, ["build", "--config", str(config), "--offline"])
    assert result.exit_code == ExitCode.FAILED
    assert "connection refused" in result.output
    assert (tmp_path / "out/cs.XX.ja.xml").read_bytes() == OLD
