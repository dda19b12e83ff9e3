"""One scriptable HTTP server on 127.0.0.1 for every test that goes through the network.

A request is answered by the first of:

1. the next action scripted for its path (``script(..., path=...)``);
2. its route (``serve``, or ``routes[path] = (status, headers, body)``);
3. the next action scripted for any path (``script(...)``);
4. a 404.

A script's actions answer one request each, in order; with ``repeat_last`` its last
action answers every request after it too. An action is a callable given the request's
``Handler``: ``reply`` and ``redirect`` below, the faults after them, or a test's own.
Every request is recorded, with its headers, before it is answered.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections import deque
from collections.abc import Callable
from http.client import HTTPMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Response = tuple[int, dict[str, str], bytes]  # status, headers, body
Action = Callable[["Handler"], None]


class Handler(BaseHTTPRequestHandler):
    """One request: recorded, then handed to the action that answers it."""

    server: _HTTPServer

    def do_GET(self) -> None:
        loopback = self.server.loopback
        loopback.requests.append((self.path, self.headers))
        loopback.action_for(self.path)(self)

    do_POST = do_GET  # a POST (a WebSub hub's) is scripted like a GET; its action reads the body

    def reply(self, status: int, headers: dict[str, str] | None = None, body: bytes = b"",
              length: int | None = None, reason: str | None = None) -> None:
        """A response with ``body``; ``length`` makes the Content-Length claim another size,
        ``reason`` replaces the status line's usual phrase."""
        self.send_response(status, reason)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)

    def wait(self, seconds: float) -> None:
        """Sleep ``seconds``, or less if the server closes meanwhile."""
        self.server.loopback.closing.wait(seconds)

    def log_message(self, format: str, *args) -> None:
        pass


class _HTTPServer(ThreadingHTTPServer):
    loopback: LoopbackServer

    def handle_error(self, request, client_address) -> None:
        pass  # clients giving up on a stall, and connections reset on purpose, are what faults are


class _Script:
    """Actions for one request each; with ``repeat_last`` the last one is never used up."""

    def __init__(self):
        self.actions: deque[Action] = deque()
        self.repeat_last = False

    def next(self) -> Action | None:
        if not self.actions:
            return None
        if len(self.actions) == 1 and self.repeat_last:
            return self.actions[0]
        return self.actions.popleft()


class LoopbackServer:
    """An HTTP server on 127.0.0.1 (a free port), from its own thread, until ``close``."""

    def __init__(self):
        self.routes: dict[str, Response] = {}
        self.requests: list[tuple[str, HTTPMessage]] = []  # path and headers, in the order they came
        self.closing = threading.Event()  # wakes stalled handlers at close
        self._scripts: dict[str | None, _Script] = {}
        self._lock = threading.Lock()
        self._httpd = _HTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.loopback = self
        self.port = self._httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def serve(self, path: str, body: bytes, status: int = 200, content_type: str = "application/xml") -> None:
        """Answer every request for ``path`` with ``body``."""
        self.routes[path] = (status, {"Content-Type": content_type}, body)

    def script(self, *actions: Action, path: str | None = None, repeat_last: bool = False) -> None:
        """Queue ``actions``, one a request: for ``path``, or for any path its own script and route leave."""
        with self._lock:
            script = self._scripts.setdefault(path, _Script())
            script.actions.extend(actions)
            script.repeat_last = repeat_last

    def action_for(self, path: str) -> Action:
        with self._lock:
            action = self._next(path) or self._route(path) or self._next(None)
        return action or reply(404, b"not found")

    def _next(self, path: str | None) -> Action | None:
        script = self._scripts.get(path)
        return script.next() if script else None

    def _route(self, path: str) -> Action | None:
        if path not in self.routes:
            return None
        status, headers, body = self.routes[path]
        return reply(status, body, headers)

    @property
    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]

    def header(self, n: int, name: str) -> str | None:
        """Header ``name`` of the ``n``th request (from 0), or None if it had none."""
        return self.requests[n][1].get(name)

    def close(self) -> None:
        self.closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def __enter__(self) -> LoopbackServer:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


# --- actions ------------------------------------------------------------------------------


def reply(status: int = 200, body: bytes = b"", headers: dict[str, str] | None = None,
          reason: str | None = None) -> Action:
    return lambda handler: handler.reply(status, headers, body, reason=reason)


def redirect(status: int, location: str) -> Action:
    return reply(status, headers={"Location": location})


def stall_before_headers(seconds: float) -> Action:
    """Say nothing for ``seconds``."""
    return lambda handler: handler.wait(seconds)


def stall_mid_body(body: bytes, seconds: float) -> Action:
    """Headers for the whole ``body``, its first half, then nothing for ``seconds``."""

    def act(handler: Handler) -> None:
        handler.reply(200, body=body[: len(body) // 2], length=len(body))
        handler.wfile.flush()
        handler.wait(seconds)

    return act


def trickle(body: bytes, every: float, headers: dict[str, str] | None = None, at_once: int = 0) -> Action:
    """Headers for the whole ``body``, its first ``at_once`` bytes, then one byte every ``every`` seconds."""

    def act(handler: Handler) -> None:
        handler.reply(200, headers, body[:at_once], length=len(body))
        handler.wfile.flush()
        for byte in body[at_once:]:
            handler.wait(every)
            if handler.server.loopback.closing.is_set():
                return
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()

    return act


def trickle_headers(every: float, count: int = 200) -> Action:
    """A status line, then one header's value one byte every ``every`` seconds, ``count`` bytes long."""

    def act(handler: Handler) -> None:
        handler.wfile.write(b"HTTP/1.0 200 OK\r\nX-Slow: ")
        for _ in range(count):
            handler.wait(every)
            if handler.server.loopback.closing.is_set():
                return
            handler.wfile.write(b"a")
            handler.wfile.flush()
        handler.close_connection = True

    return act


def truncated(body: bytes, claimed_length: int) -> Action:
    """``body`` under a Content-Length that claims more, then the connection closes."""

    def act(handler: Handler) -> None:
        handler.reply(200, body=body, length=claimed_length)
        handler.close_connection = True

    return act


def hang_up() -> Action:
    """Close the connection without a byte of response."""

    def act(handler: Handler) -> None:
        handler.close_connection = True

    return act


def reset() -> Action:
    """Abort the connection: a TCP reset, not an orderly close."""

    def act(handler: Handler) -> None:
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.connection.close()

    return act
