"""Shared test set-up: isolated state folders, the tiny real argos package, loopback HTTP."""

from __future__ import annotations

import os
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

# argostranslate creates and reads folders under the XDG dirs when first imported:
# point them at a scratch folder before any test imports it.
_ARGOS_HOME = Path(tempfile.mkdtemp(prefix="feedbridge-tests-"))
for _var in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
    os.environ[_var] = str(_ARGOS_HOME / _var.lower())

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "arxiv"
QUANT_PH = FIXTURES / "arxiv_rss2_quant-ph_2025-04-28.xml"
EMPTY_PHYSICS = FIXTURES / "arxiv_rss2_physics_2025-12-31_EMPTY_holiday_index-excerpt.xml"
LEGACY_HEP_EX = FIXTURES / "arxiv_legacy_rss1.0_rdf_hep-ex_2018-05-23_trimmed3items.xml"
ATOM_RNG = FIXTURES.parents[1] / "schemas" / "atom.rng"


@pytest.fixture(autouse=True)
def isolated_state(monkeypatch, tmp_path):
    """Every test gets its own cache and packages folder, and no route to a real index."""
    monkeypatch.setenv("FEEDBRIDGE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(tmp_path / "argos-packages"))
    monkeypatch.setenv("ARGOS_PACKAGE_INDEX", "http://127.0.0.1:9/")  # nothing listens on port 9
    monkeypatch.delenv("FEEDBRIDGE_CONFIG", raising=False)


@pytest.fixture(scope="session")
def tiny_argosmodel(tmp_path_factory) -> Path:
    """A real en->ja .argosmodel (SentencePiece + random-weight CTranslate2), built once."""
    from tiny_model import build_argosmodel, fixture_corpus

    path = tmp_path_factory.mktemp("models") / "translate-en_ja-1_0.argosmodel"
    build_argosmodel(path, fixture_corpus(), from_code="en", to_code="ja")
    return path


@pytest.fixture
def installed_model(tiny_argosmodel):
    """The tiny package installed through argos's install code into this test's folder."""
    from feedbridge.translate.packages import install_from_file

    return install_from_file(tiny_argosmodel)


class LoopbackServer:
    """An HTTP server on 127.0.0.1 answering from a route table, recording every request."""

    def __init__(self):
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append((self.path, dict(self.headers)))
                status, headers, body = server.routes.get(self.path, (404, {}, b"not found"))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def serve(self, path: str, body: bytes, status: int = 200, content_type: str = "application/xml"):
        self.routes[path] = (status, {"Content-Type": content_type}, body)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def http_server():
    server = LoopbackServer()
    yield server
    server.close()
