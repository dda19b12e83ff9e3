"""Fetch feeds over HTTP the way arXiv asks: slowly, one at a time, identified, and conditionally.

requests and urllib3 underneath: one pooled connection, redirects, gzip decoding (several members,
and bytes after the last one ignored, as other gzip clients do). What is ours, and why:

- **Pacing.** An `HTTPAdapter` whose `send` waits for the polite turn, so redirect hops wait too.
- **Retries.** urllib3's `Retry` sleeps with `time.sleep`, outside our pacing and our injectable
  clock, and knows nothing of the deadlines; a small loop here backs off exponentially, honours
  `Retry-After` in both forms, and gives up on one longer than `max_retry_after`.
- **Deadlines.** Neither library has a wall-clock limit: `timeout` bounds each socket operation,
  and a server that sends one byte per timeout never trips it. The body is read with `read1`,
  which returns whatever has arrived, and the deadline is checked between pieces; a watchdog
  thread shuts down the socket of a request past its deadline wherever else it waits (the TLS
  handshake, the headers, a decoder that keeps reading without yielding a byte).
- **Conditional GET.** `_ValidatorCache`, not CacheControl 0.14.4, which was tried against the
  tests here: it answers from the cache without asking the server when a response carries
  `max-age`; it stores a body only when it is read with `read()`, which blocks until a whole
  chunk arrives (the deadline needs `read1`), so nothing was ever cached; and with its separate
  body file, a body cut short by a crash is replayed after every 304 and fails every later run.
  Our cache checks the body against its hash and falls back to a plain GET.

- **Waits said aloud.** A wait of a second or more (the pause between requests, a retry's backoff)
  is told first, on one line saying what it waits for and how long, to the `log` a Fetcher is
  given or else to the one `waits.waits_told_to` sets for the command under way. What no wait can
  mend is not retried: a host name that does not resolve, a network with no route.

Every network problem leaves `Fetcher.fetch` as a one-line `FetchError` (`NotFoundError` for a
404 or 410), whatever the server put in it passed through `printable`, in the words
`network_reason` gives it (`packages.py` says urllib's failures in them too); a cache file that
cannot be written is an `OutputError`.
"""

from __future__ import annotations

import contextvars
import email.utils
import errno
import hashlib
import html
import http
import http.client
import http.cookiejar
import json
import math
import re
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import requests
import requests.adapters
import urllib3
import urllib3.connection
import urllib3.exceptions
import urllib3.response
from requests.structures import CaseInsensitiveDict

from feedbridge import __version__
from feedbridge.atomicfile import write_atomic
from feedbridge.config import (
    DEFAULT_BACKOFF, DEFAULT_MAX_BYTES, DEFAULT_MIN_INTERVAL, DEFAULT_REQUEST_DEADLINE, DEFAULT_RETRIES,
    DEFAULT_RUN_DEADLINE, DEFAULT_TIMEOUT, Config,
)
from feedbridge.errors import FeedbridgeError, FetchError, NotFoundError, OutputError, printable
from feedbridge.waits import told

# arXiv's API answered HTTP 406 in 2026 to clients that sent no Accept header.
ACCEPT = "application/atom+xml, application/rss+xml, application/xml;q=0.9, */*;q=0.8"

_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_MAX_REDIRECTS = 10
_CHUNK = 64 * 1024
_ERROR_BODY_LIMIT = 64 * 1024  # enough to find the title of arXiv's error channel
_WATCHDOG_POLL = 0.25  # seconds; how late past a deadline the watchdog may cut at most
TOLD_WAIT = 1.0  # seconds: a wait this long or longer is told before it starts
# getaddrinfo's answers that another attempt will not change: the name does not exist (or has no
# address), or the resolver failed for good; EAI_AGAIN ("temporary failure") is retried.
_UNRESOLVABLE = frozenset(getattr(socket, name) for name in ("EAI_NONAME", "EAI_NODATA", "EAI_FAIL")
                          if hasattr(socket, name))
_NO_ROUTE = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH})



def user_agent(contact: str) -> str:
    """arXiv's terms ask for a User-Agent naming the tool and a way to reach whoever runs it."""
    return f"feedbridge/{__version__} (+{contact})"


@dataclass(frozen=True)
class FetchSettings:
    user_agent: str  # build it with user_agent(contact)
    timeout: float = DEFAULT_TIMEOUT  # seconds, for the connect and for each socket read
    retries: int = DEFAULT_RETRIES
    backoff: float = DEFAULT_BACKOFF
    max_retry_after: float = 300.0  # a longer Retry-After is not waited for: the fetch fails
    min_interval: float = DEFAULT_MIN_INTERVAL
    max_bytes: int = DEFAULT_MAX_BYTES  # cap on the body after decompression
    # seconds (None: no limit) for one attempt, its redirects and its whole body included; and
    # for the time this Fetcher spends in fetch() in all, waits for the turn and retries included
    request_deadline: float | None = DEFAULT_REQUEST_DEADLINE
    run_deadline: float | None = DEFAULT_RUN_DEADLINE
    accept: str = ACCEPT
    offline: bool = False  # connect to nothing: answer from the copies kept by earlier runs


@dataclass(frozen=True)
class FetchResult:
    url: str  # where the body came from, after redirects
    body: bytes
    not_modified: bool  # True: the server said 304 and body is the copy kept from the last 200


class _Retryable(Exception):
    """An attempt failed in a way that another attempt may not: 5xx, 429, a dropped connection."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def _failure(url: str, reason: str, kind: type[FetchError] = FetchError) -> FetchError:
    """The one-line error for `url`; whatever the server said in `reason` cannot reach a terminal."""
    return kind(printable(f"{url}: {reason}"))


def _seconds(value: float) -> str:
    return f"{value:g}"


class _Deadline:
    """When the attempt under way must end: at the run's deadline, and once its first request
    starts, at the request's deadline too."""

    def __init__(self, settings: FetchSettings, clock: Callable[[], float], run_end: float):
        self._settings = settings
        self._clock = clock
        self.run_end = run_end
        self.end = run_end
        self._started = False
        self.cut = False  # the watchdog shut the connection down

    def start(self) -> None:
        """The first request of the attempt is about to be sent: the request's clock starts."""
        if not self._started and self._settings.request_deadline is not None:
            self.end = min(self.run_end, self._clock() + self._settings.request_deadline)
        self._started = True

    @property
    def unbounded(self) -> bool:
        return math.isinf(self.run_end) and self._settings.request_deadline is None

    def passed(self, wait: float = 0.0) -> bool:
        return self.cut or self._clock() + wait >= self.end

    def check(self, wait: float = 0.0) -> None:
        """Raise the deadline's failure if it has passed, or would while waiting `wait` seconds."""
        if self.passed(wait):
            raise self.failure()

    def failure(self) -> Exception:
        """Past the request's deadline another attempt may pass; past the run's, none is made."""
        if self.end >= self.run_end:
            return _RunDeadline()
        return _Retryable(f"no complete response within {_seconds(self._settings.request_deadline)} s (deadline)")


class _RunDeadline(Exception):
    """The run's time for fetching is spent: Fetcher.fetch turns this into its FetchError."""


class Fetcher:
    """Fetches URLs one after another, never starting requests closer than `min_interval` apart.

    `sleep` and `clock` are injectable so that tests can check the waits without waiting; the
    deadlines are measured on `clock`. `log` is told each wait of TOLD_WAIT seconds or more
    before it starts (None: the log `waits.waits_told_to` set, if any).
    """

    def __init__(
        self,
        settings: FetchSettings,
        cache_dir: Path | None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        log: Callable[[str], None] | None = None,
    ):
        self.settings = settings
        self._log = log
        self._retrying: str | None = None  # why the next wait is longer than the pause, if it is
        self._cache = _ValidatorCache(Path(cache_dir) / "http") if cache_dir is not None else None
        self._sleep = sleep
        self._clock = clock
        self._not_before = float("-inf")  # the earliest moment the next request may start
        self._unbooked = self._not_before
        self._spent = 0.0  # seconds spent in fetch() so far, for the run deadline
        self._deadline: _Deadline | None = None  # the attempt under way
        self._session = _session(settings, self._take_turn)

    def close(self) -> None:
        """Close the kept-alive connection (garbage collection does it too)."""
        self._session.close()

    def fetch(self, url: str) -> FetchResult:
        """GET `url`, retrying what may pass; a 304 gives back the body kept from the last 200."""
        started = self._clock()
        try:
            return self._fetch(url, started)
        except _RunDeadline:
            raise _failure(
                url, f"no complete response before the run deadline ({_seconds(self.settings.run_deadline)} s "
                "of fetching in all)"
            ) from None
        finally:
            self._spent += self._clock() - started
            self._deadline = None

    def _fetch(self, url: str, started: float) -> FetchResult:
        if not url.lower().startswith(("http://", "https://")):
            raise _failure(url, "not an http or https URL")
        if self.settings.offline:
            return self._kept_copy(url)
        run_deadline = self.settings.run_deadline
        run_end = started + run_deadline - self._spent if run_deadline is not None else math.inf
        if started >= run_end:
            raise _RunDeadline()
        cached = self._cache.load(url) if self._cache is not None else None
        attempt = 1
        while True:
            try:
                return self._attempt(url, cached, _Deadline(self.settings, self._clock, run_end))
            except _Retryable as failure:
                delay = self._delay_before_retry(url, failure, attempt, run_end)
                self._retrying = (f"before retrying {url} (attempt {attempt + 1} of {self.settings.retries + 1};"
                                  f" the last one failed: {failure.reason})")
            self._not_before = max(self._not_before, self._clock() + delay)
            attempt += 1

    def _delay_before_retry(self, url: str, failure: _Retryable, attempt: int, run_end: float) -> float:
        """Exponential backoff, or longer if the server asks; FetchError when we should give up."""
        noun = "attempt" if attempt == 1 else "attempts"
        if attempt > self.settings.retries:
            raise _failure(url, f"{failure.reason} after {attempt} {noun}") from None
        delay = self.settings.backoff * 2 ** (attempt - 1)
        if failure.retry_after is not None:
            if failure.retry_after > self.settings.max_retry_after:
                raise _failure(
                    url,
                    f"{failure.reason}, and Retry-After asks for {failure.retry_after:.0f} s, "
                    f"more than the {self.settings.max_retry_after:.0f} s we wait",
                ) from None
            delay = max(delay, failure.retry_after)
        if max(self._not_before, self._clock() + delay) >= run_end:
            raise _failure(
                url, f"{failure.reason} after {attempt} {noun}, and the run deadline leaves no time for another"
            ) from None
        return delay

    def _kept_copy(self, url: str) -> FetchResult:
        """--offline: the body the last online fetch kept, as if the server said 304."""
        cached = self._cache.load(url) if self._cache is not None else None
        if cached is None:
            raise _failure(url, "not fetched (--offline), and no earlier run kept a copy")
        return FetchResult(url, cached.body, not_modified=True)

    def _take_turn(self, url: str) -> None:
        """Sleep until the next request may start, and book the interval after it; called for
        every request sent, redirect hops included. Fails at once rather than wait past a deadline;
        says what it waits for when the wait is long enough to be noticed."""
        deadline = self._deadline
        wait = self._not_before - self._clock()
        retrying, self._retrying = self._retrying, None
        if deadline is not None:
            deadline.check(max(wait, 0.0))
        if wait > 0:
            if wait >= TOLD_WAIT:
                why = retrying or (f"before requesting {url} (at least {_seconds(self.settings.min_interval)} s"
                                   " between requests)")
                self._tell(f"waiting {max(1, round(wait))} s {why}")
            self._sleep(wait)
        if deadline is not None:
            deadline.start()
        self._unbooked = self._not_before  # the turn as it was, should this request never leave
        self._not_before = self._clock() + self.settings.min_interval

    def _tell(self, message: str) -> None:
        log = self._log or told()
        if log is not None:
            log(printable(message))

    def _attempt(self, url: str, cached: _Cached | None, deadline: _Deadline) -> FetchResult:
        headers = {}
        if cached is not None:
            if cached.etag:
                headers["If-None-Match"] = cached.etag
            if cached.last_modified:
                headers["If-Modified-Since"] = cached.last_modified
        self._deadline = deadline
        with _Watchdog(deadline, self._clock) as watchdog:
            token = _WATCHDOG.set(watchdog)
            try:
                response = self._session.get(
                    url, headers=headers, timeout=self.settings.timeout, stream=True, allow_redirects=True
                )
                with response:
                    return self._answer(url, response, cached, deadline)
            except (_Retryable, _RunDeadline, FeedbridgeError):
                raise
            except Exception as error:  # noqa: BLE001 - requests, urllib3, ssl and socket errors alike
                if deadline.passed():
                    raise deadline.failure() from None
                if _never_sent(error):  # the server heard nothing: no pause is owed to it
                    self._not_before = self._unbooked
                raise _network_failure(url, error) from None
            finally:
                _WATCHDOG.reset(token)

    def _answer(
        self, url: str, response: requests.Response, cached: _Cached | None, deadline: _Deadline
    ) -> FetchResult:
        """The body of a 2xx (kept for the next conditional GET), the stored one for a 304, or the
        failure the status says."""
        code = response.status_code
        if code == 304 and cached is not None:
            return FetchResult(response.url, cached.body, not_modified=True)
        if not 200 <= code < 300:
            raise _http_failure(url, response, deadline)
        _check_encoding(url, response)
        body = _read_body(url, response, self.settings.max_bytes, deadline)
        etag = response.headers.get("ETag")
        last_modified = response.headers.get("Last-Modified")
        if self._cache is not None:
            # A document (a URL without a query) is kept for --offline even without validators;
            # an answer to a question (the API's) only with them, or the copies would pile up.
            if etag or last_modified or not urlsplit(url).query:
                self._cache.save(url, etag, last_modified, body)
            else:
                self._cache.forget(url)
        return FetchResult(response.url, body, not_modified=False)


# --- requests and urllib3, fitted -----------------------------------------------------------------


def _session(settings: FetchSettings, take_turn: Callable[[str], None]) -> requests.Session:
    session = requests.Session()
    session.headers = CaseInsensitiveDict(
        {"User-Agent": settings.user_agent, "Accept": settings.accept, "Accept-Encoding": "gzip"}
    )
    session.max_redirects = _MAX_REDIRECTS
    session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))  # every run alike
    adapter = _PoliteAdapter(take_turn)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class _PoliteAdapter(requests.adapters.HTTPAdapter):
    """One connection, no retries of urllib3's own, and every request it sends (redirect hops
    included) waits for its turn."""

    def __init__(self, take_turn: Callable[[str], None]):
        self._take_turn = take_turn
        super().__init__(pool_connections=1, pool_maxsize=1, max_retries=0)

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, *args, **kwargs):
        manager = super().proxy_manager_for(*args, **kwargs)
        if isinstance(manager, urllib3.ProxyManager):  # a SOCKS manager keeps its own pools
            manager.pool_classes_by_scheme = _POOLS
        return manager

    def send(self, request, **kwargs) -> requests.Response:
        self._take_turn(request.url)
        response = super().send(request, **kwargs)
        if response.is_redirect:
            # requests reads a redirect's body whole, however large or slow, before following
            # it: its connection is closed instead, and the hop reconnects.
            response.raw.close()
        return response


_WATCHDOG: contextvars.ContextVar[_Watchdog | None] = contextvars.ContextVar("feedbridge_watchdog", default=None)


class _Watchdog:
    """Shuts down the sockets of the attempt under way once its deadline has passed, so that a
    read blocked anywhere (TLS handshake, status line, headers, body, a decoder reading on
    without yielding) returns at once. The deadline's own checks name the failure."""

    def __init__(self, deadline: _Deadline, clock: Callable[[], float]):
        self._deadline = deadline
        self._clock = clock
        self._sockets: list[socket.socket] = []
        self._copies: list[socket.socket] = []  # our duplicates of new sockets, closed at the end
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="feedbridge-fetch-deadline", daemon=True)

    def watch(self, sock: socket.socket, *, copy: bool = False) -> None:
        """Cut `sock` at the deadline; `copy` holds a duplicate of it, which stays usable while
        the socket itself is handed over (wrapped for TLS) and detached."""
        with self._lock:
            if copy:
                sock = sock.dup()
                self._copies.append(sock)
            self._sockets.append(sock)
        if self._deadline.cut:
            self._cut()

    def _run(self) -> None:
        while not self._done.wait(min(max(self._deadline.end - self._clock(), 0.0), _WATCHDOG_POLL)):
            if self._clock() >= self._deadline.end:
                self._deadline.cut = True
                self._cut()
                return

    def _cut(self) -> None:
        with self._lock:
            for sock in self._sockets:
                try:  # socket.socket's, not SSLSocket's: the fd only, the TLS state left to its reader
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)
                except OSError:
                    pass

    def __enter__(self) -> _Watchdog:
        if not self._deadline.unbounded:
            self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._done.set()
        if self._thread.is_alive():
            self._thread.join()
        with self._lock:
            for sock in self._copies:
                sock.close()
            self._sockets.clear()
            self._copies.clear()


class _Watched:
    """A urllib3 connection that shows its socket to the watchdog of the request under way."""

    sock: socket.socket | None

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        watchdog = _WATCHDOG.get()
        if watchdog is not None:
            watchdog.watch(sock, copy=True)
        return sock

    def request(self, *args, **kwargs) -> None:
        watchdog = _WATCHDOG.get()
        if watchdog is not None and self.sock is not None:  # a kept-alive connection
            watchdog.watch(self.sock)
        return super().request(*args, **kwargs)


class _HTTPConnection(_Watched, urllib3.connection.HTTPConnection):
    pass


class _HTTPSConnection(_Watched, urllib3.connection.HTTPSConnection):
    pass


class _HTTPConnectionPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSConnectionPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOLS = {"http": _HTTPConnectionPool, "https": _HTTPSConnectionPool}


# --- failures -------------------------------------------------------------------------------------


def _http_failure(url: str, response: requests.Response, deadline: _Deadline) -> Exception:
    """Turn an HTTP error status into a retry or a FetchError that says what the server said."""
    code = response.status_code
    try:
        reason = f"HTTP {code} {http.HTTPStatus(code).phrase}"
    except ValueError:
        reason = printable(f"HTTP {code} {response.reason or ''}")
    if code in _RETRY_STATUSES:
        return _Retryable(reason, _parse_retry_after(response.headers.get("Retry-After")))
    title = _channel_title(_error_body(response, deadline))
    kind = NotFoundError if code in (404, 410) else FetchError
    return _failure(url, f'{reason}: "{title}"' if title else reason, kind)


def _causes(error: BaseException) -> Iterator[BaseException]:
    """`error` and every exception behind it: requests wraps urllib3's, which wraps the socket's."""
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.extend(arg for arg in current.args if isinstance(arg, BaseException))
        pending.extend(
            getattr(current, name, None) for name in ("reason", "__cause__", "__context__")
            if isinstance(getattr(current, name, None), BaseException)
        )


def _network_failure(url: str, error: Exception) -> Exception:
    """Connection trouble is retried, except what will not change on the next attempt: an
    untrusted certificate, a redirect loop or to another scheme, a malformed URL, a corrupt body,
    a host name that does not resolve, a network with no route to the host."""
    causes = list(_causes(error))

    def first(*kinds: type[BaseException]) -> BaseException | None:
        return next((cause for cause in causes if isinstance(cause, kinds)), None)

    if isinstance(error, requests.TooManyRedirects):
        return _failure(url, "redirect loop or too many redirects")
    if isinstance(error, requests.exceptions.InvalidSchema):
        return _failure(url, "redirected to a URL that is not http or https")
    if isinstance(error, (requests.exceptions.InvalidURL, requests.exceptions.InvalidHeader,
                          requests.exceptions.MissingSchema, urllib3.exceptions.LocationValueError)):
        return _failure(url, str(error))
    if (certificate := first(ssl.SSLCertVerificationError)) is not None:
        return _failure(url, f"TLS certificate not trusted ({certificate.verify_message})")
    if (decoding := first(urllib3.exceptions.DecodeError, zlib.error)) is not None:
        detail = next((str(cause) for cause in causes if isinstance(cause, zlib.error)), str(decoding))
        return _failure(url, f"corrupt gzip body ({detail})")
    reason = network_reason(error)
    if _lasting(causes):
        return _failure(url, reason)
    return _Retryable(reason)


def network_reason(error: BaseException) -> str:
    """A connection's failure in feedbridge's words, whichever library raised it (requests,
    urllib3, urllib, the socket): the one wording every command uses for it."""
    causes = list(_causes(error))

    def first(*kinds: type[BaseException]) -> BaseException | None:
        return next((cause for cause in causes if isinstance(cause, kinds)), None)

    if first(ConnectionRefusedError) is not None:
        reason = "connection refused"
    elif (unresolved := first(socket.gaierror)) is not None:
        reason = f"cannot resolve host ({unresolved.strerror})"
    elif (unrouted := _no_route(causes)) is not None:
        reason = f"no route to host ({unrouted.strerror})"
    elif first(http.client.RemoteDisconnected) is not None:
        reason = "connection closed without a response"
    elif first(urllib3.exceptions.IncompleteRead, http.client.IncompleteRead) is not None:
        reason = "response truncated"
    elif first(ConnectionResetError) is not None:
        reason = "connection reset"
    elif first(TimeoutError, requests.Timeout, urllib3.exceptions.ReadTimeoutError, socket.timeout) is not None:
        reason = "timed out"
    else:
        innermost = causes[-1] if causes else error
        reason = str(innermost) or type(innermost).__name__
    return printable(reason)


def _no_route(causes: list[BaseException]) -> OSError | None:
    return next((c for c in causes if isinstance(c, OSError) and c.errno in _NO_ROUTE), None)


def _never_sent(error: BaseException) -> bool:
    """Whether the request failed before reaching any server: its host did not resolve, or
    the network had no route to it."""
    causes = list(_causes(error))
    return any(isinstance(c, socket.gaierror) for c in causes) or _no_route(causes) is not None


def _lasting(causes: list[BaseException]) -> bool:
    """Whether waiting cannot mend the failure: the name does not resolve (not a resolver's
    temporary failure), or the network has no route to the host (this machine is offline)."""
    if any(isinstance(c, ConnectionRefusedError) for c in causes):
        return False  # a server that restarts refuses for a moment
    unresolved = next((c for c in causes if isinstance(c, socket.gaierror)), None)
    if unresolved is not None:
        return unresolved.errno in _UNRESOLVABLE
    return _no_route(causes) is not None


def _parse_retry_after(value: str | None) -> float | None:
    """Retry-After is either delta-seconds or an HTTP-date (RFC 9110, 10.2.3)."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # HTTP-dates are GMT
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


# --- the body -------------------------------------------------------------------------------------


def _check_encoding(url: str, response: requests.Response) -> None:
    """urllib3 passes a Content-Encoding it cannot decode through as it is: refuse it instead."""
    value = response.headers.get("Content-Encoding") or "identity"
    codings = [coding.strip().lower() for coding in value.split(",") if coding.strip()]
    known = set(urllib3.response.HTTPResponse.CONTENT_DECODERS) | {"identity"}
    if not set(codings) <= known:
        raise _failure(url, f"unsupported Content-Encoding {value.strip()!r}")


def _pieces(response: requests.Response, deadline: _Deadline) -> Iterator[bytes]:
    """The decoded body, in pieces of at most _CHUNK bytes as they arrive, so that a gzip bomb is
    never inflated whole and the deadline is checked at least once per socket timeout."""
    while True:
        deadline.check()
        piece = response.raw.read1(_CHUNK, decode_content=True)
        if not piece:
            deadline.check()  # a body without a length ends, to its reader, where the watchdog cut it
            return
        yield piece


def _read_body(url: str, response: requests.Response, limit: int, deadline: _Deadline) -> bytes:
    """The whole body of a 2xx, refused as soon as it passes `limit` bytes once decompressed.
    (tests/support/killpoint.py counts its calls: a response's headers are in, its body not yet read.)"""
    parts: list[bytes] = []
    size = 0
    for piece in _pieces(response, deadline):
        size += len(piece)
        if size > limit:
            raise _failure(url, f"response larger than {_format_size(limit)}")
        parts.append(piece)
    if _gzip_cut_short(response.raw):
        raise _Retryable("response truncated")
    return b"".join(parts)


def _gzip_cut_short(raw: urllib3.BaseHTTPResponse) -> bool:
    """urllib3 hands over what a gzip stream cut short decodes to without a word (zlib's flush()
    does not complain); its decoder's inflater knows whether the first member ended. Bytes after
    the end of a member are another member or trailing garbage, which urllib3 ignores, as other
    gzip clients do. If a later urllib3 keeps these elsewhere, this check is skipped."""
    decoder = getattr(raw, "_decoder", None)
    if not isinstance(decoder, urllib3.response.GzipDecoder):
        return False
    inflater = getattr(decoder, "_obj", None)
    first_member = getattr(decoder, "_state", None) == urllib3.response.GzipDecoderState.FIRST_MEMBER
    return first_member and inflater is not None and not inflater.eof


def _error_body(response: requests.Response, deadline: _Deadline) -> bytes:
    """The start of an error response, or nothing if it cannot be read: it only adds detail."""
    parts: list[bytes] = []
    size = 0
    try:
        for piece in _pieces(response, deadline):
            parts.append(piece)
            size += len(piece)
            if size >= _ERROR_BODY_LIMIT:
                break
    except Exception:  # noqa: BLE001 - a broken or late error body only loses its detail
        pass
    return b"".join(parts)[:_ERROR_BODY_LIMIT]


_CHANNEL_TITLE = re.compile(rb"<channel\b[^>]*>.*?<title\b[^>]*>(.*?)</title>", re.DOTALL)


def _channel_title(body: bytes) -> str | None:
    """arXiv answers an unknown category with an RSS channel titled `Feed error for query: …`."""
    match = _CHANNEL_TITLE.search(body)
    if match is None:
        return None
    text = match.group(1).decode("utf-8", "replace")
    text = re.sub(r"^\s*<!\[CDATA\[(.*)\]\]>\s*$", r"\1", text, flags=re.DOTALL)
    title = printable(html.unescape(text))
    return title[:200] or None


def _format_size(n: int) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return f"{n} bytes"


# --- conditional GET ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cached:
    etag: str | None
    last_modified: str | None
    body: bytes


class _ValidatorCache:
    """ETag, Last-Modified and the body of the last 200 per URL, kept between runs: for the
    next conditional GET, and for --offline. Validators the server no longer sends are
    never sent back to it.

    `<sha256(url)>.json` holds the validators and the body's hash and is written after
    `<sha256(url)>.body`, so a crash between the two leaves an entry that fails the hash
    check and is ignored: the next fetch is then an unconditional GET.
    """

    def __init__(self, root: Path):
        self.root = root

    def _paths(self, url: str) -> tuple[Path, Path]:
        key = hashlib.sha256(url.encode("utf-8")).hexdigest()
        return self.root / f"{key}.json", self.root / f"{key}.body"

    def load(self, url: str) -> _Cached | None:
        meta_path, body_path = self._paths(url)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            body = body_path.read_bytes()
            if meta["url"] != url or meta["sha256"] != hashlib.sha256(body).hexdigest():
                return None
            return _Cached(meta.get("etag"), meta.get("last_modified"), body)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save(self, url: str, etag: str | None, last_modified: str | None, body: bytes) -> None:
        meta_path, body_path = self._paths(url)
        meta = {
            "url": url,
            "etag": etag,
            "last_modified": last_modified,
            "sha256": hashlib.sha256(body).hexdigest(),
        }
        write_atomic(body_path, body)
        write_atomic(meta_path, json.dumps(meta, indent=1).encode("utf-8"))

    def forget(self, url: str) -> None:
        for path in self._paths(url):
            try:
                path.unlink(missing_ok=True)
            except OSError as error:
                raise OutputError(f"{path}: cannot remove: {error.strerror or error}") from None


def fetcher_for(config: Config, cache: bool = True, **overrides) -> Fetcher:
    """A fetcher with the config's politeness; ``overrides`` change FetchSettings fields;
    ``cache=False`` keeps no conditional-GET state (a dry run writes nothing)."""
    settings = FetchSettings(
        user_agent=user_agent(config.contact),
        timeout=config.timeout,
        retries=config.retries,
        backoff=config.backoff,
        min_interval=config.min_interval,
        max_bytes=config.max_bytes,
        request_deadline=config.request_deadline,
        run_deadline=config.run_deadline,
    )
    return Fetcher(replace(settings, **overrides), config.cache_dir if cache else None)
