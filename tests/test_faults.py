"""Network faults through whole builds: a fault-injecting server on 127.0.0.1.

Each case serves one good feed and one faulty one. The outcome is either "retried,
then built", or "that feed failed with a one-line reason" while the good feed is
still published and the failed feed's previous file stays byte-identical.
"""

import gzip
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from conftest import QUANT_PH
from feedbridge.cli import cli
from feedbridge.errors import ExitCode

GOOD = QUANT_PH.read_bytes()
OLD = b"<previously published/>"


class FaultServer:
    """Serves /rss/good always, and /rss/bad from a script of responses (the last repeats)."""

    def __init__(self, script):
        self.script = list(script)
        self.bad_requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/rss/quant-ph":
                    return self.reply(200, {}, GOOD)
                server.bad_requests += 1
                step = server.script[min(server.bad_requests, len(server.script)) - 1]
                step(self)

            def reply(self, status, headers, body, length=None):
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body) if length is None else length))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def status(code, body=b"", **headers):
    return lambda h: h.reply(code, {k.replace("_", "-"): v for k, v in headers.items()}, body)


def reset(h):
    h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    h.connection.close()


def stall_before_headers(h):
    time.sleep(1.5)


def stall_mid_body(h):
    h.reply(200, {"Content-Type": "application/xml"}, GOOD[:1000], length=len(GOOD))
    h.wfile.flush()
    time.sleep(1.5)


def redirect(code, to):
    return lambda h: h.reply(code, {"Location": to}, b"")


ERROR_CHANNEL = (b"<?xml version='1.0'?><rss version='2.0'><channel><title>Feed error for query: cs.XX"
                 b"</title><link>http://rss.arxiv.org/rss/cs.XX</link><description>x</description></channel></rss>")

RETRIED_THEN_BUILT = {
    "500 then ok": [status(500), status(200, GOOD)],
    "502 then ok": [status(502), status(200, GOOD)],
    "503 then ok": [status(503), status(200, GOOD)],
    "503 Retry-After then ok": [status(503, Retry_After="0"), status(200, GOOD)],
    "429 Retry-After then ok": [status(429, Retry_After="0"), status(200, GOOD)],
    "reset then ok": [reset, status(200, GOOD)],
    "301 redirect": [redirect(301, "/rss/moved"), status(200, GOOD)],
    "302 redirect": [redirect(302, "/rss/moved"), status(200, GOOD)],
    "308 redirect": [redirect(308, "/rss/moved"), status(200, GOOD)],
    "gzip body": [status(200, gzip.compress(GOOD), Content_Encoding="gzip")],
    "wrong charset header": [status(200, GOOD, Content_Type="text/xml; charset=iso-8859-1")],
}

FAILED_ALONE = {
    "500 every time": ([status(500)], "HTTP 500"),
    "503 Retry-After too long": ([status(503, Retry_After="86400")], "Retry-After"),
    "reset every time": ([reset], "after 2 attempts"),
    "timeout before headers": ([stall_before_headers], "after 2 attempts"),
    "stall mid-body": ([stall_mid_body], "after 2 attempts"),
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
    server = FaultServer(script)
    try:
        (tmp_path / "out").mkdir(exist_ok=True)
        (tmp_path / "out/cs.XX.ja.xml").write_bytes(OLD)
        config = tmp_path / "feeds.yaml"
        config.write_text(
            "site: {base_url: 'http://127.0.0.1:9/fb/', output_dir: out}\n"
            f"arxiv: {{contact: t@example.org, feed_url: 'http://127.0.0.1:{server.port}/rss/{{category}}',"
            " min_interval: 0, retries: 1, backoff: 0.01, timeout: 0.5, max_bytes: 2000000,"
            " api_url: 'http://127.0.0.1:9/api'}\n"
            "translation: {beam_size: 1}\nfeeds: [quant-ph, cs.XX]\n"
        )
        result = CliRunner().invoke(cli, ["build", "--config", str(config), "--offline"])
        return result, server.bad_requests
    finally:
        server.close()


@pytest.mark.parametrize("case", sorted(RETRIED_THEN_BUILT))
def test_fault_retried_then_built(case, tmp_path, installed_model):
    result, requests = run_build(tmp_path, RETRIED_THEN_BUILT[case])
    assert result.exit_code == ExitCode.OK, result.output
    assert (tmp_path / "out/cs.XX.ja.xml").read_bytes() != OLD
    assert b"<entry>" in (tmp_path / "out/cs.XX.ja.xml").read_bytes()


@pytest.mark.parametrize("case", sorted(FAILED_ALONE))
def test_fault_fails_that_feed_alone(case, tmp_path, installed_model):
    script, reason = FAILED_ALONE[case]
    result, _ = run_build(tmp_path, script)
    assert result.exit_code == ExitCode.PARTIAL, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "cs.XX" in errors[0] and reason in errors[0], result.output
    assert (tmp_path / "out/cs.XX.ja.xml").read_bytes() == OLD  # left as it was
    assert b"<entry>" in (tmp_path / "out/quant-ph.ja.xml").read_bytes()  # the other feed is out


def test_connection_refused_fails_the_run_and_keeps_files(tmp_path, installed_model):
    (tmp_path / "out").mkdir()
    (tmp_path / "out/cs.XX.ja.xml").write_bytes(OLD)
    config = tmp_path / "feeds.yaml"
    config.write_text(
        "site: {base_url: 'http://127.0.0.1:9/fb/', output_dir: out}\n"
        "arxiv: {contact: t, feed_url: 'http://127.0.0.1:9/rss/{category}', min_interval: 0, retries: 1,"
        " backoff: 0.01, api_url: 'http://127.0.0.1:9/api'}\nfeeds: [cs.XX]\n"
    )
    result = CliRunner().invoke(cli, ["build", "--config", str(config), "--offline"])
    assert result.exit_code == ExitCode.FAILED
    assert "connection refused" in result.output
    assert (tmp_path / "out/cs.XX.ja.xml").read_bytes() == OLD
