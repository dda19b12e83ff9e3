"""Preview the output folder as the site will be served: static files on 127.0.0.1 only.

A preview server has no business listening on other interfaces, so the address is
not configurable. Feeds and OPML get the media types that readers and browsers expect.
"""

from __future__ import annotations

from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from feedbridge.errors import FeedbridgeError

LOOPBACK = "127.0.0.1"


class _SiteHandler(SimpleHTTPRequestHandler):
    """Static files with feed-aware media types; each request is logged on stderr."""

    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".xml": "application/atom+xml",  # every .xml in the output folder is an Atom feed
        ".opml": "text/x-opml",
        ".json": "application/json",
        ".css": "text/css",
        ".html": "text/html; charset=utf-8",
    }

    def send_head(self):
        """A hidden file is never part of the site (Pages does not publish one either)."""
        if any(part.startswith(".") for part in self.path.split("?")[0].split("/")):
            self.send_error(404, "File not found")
            return None
        return super().send_head()


def make_server(out_dir: Path, port: int = 8000) -> ThreadingHTTPServer:
    """A server for ``out_dir`` on 127.0.0.1:``port`` (0: a free port), not yet serving."""
    handler = partial(_SiteHandler, directory=str(out_dir))
    try:
        return ThreadingHTTPServer((LOOPBACK, port), handler)
    except OSError as err:
        raise FeedbridgeError(f"{LOOPBACK}:{port}: cannot listen: {err.strerror or err}") from None
