"""Fetch feeds over HTTP the way arXiv asks: slowly, one at a time, identified, and conditionally.

Standard library only. Every network problem leaves `Fetcher.fetch` as a one-line `FetchError`;
a cache file that cannot be written is an `OutputError`.
"""

from __future__ import annotations

import email.utils
import hashlib
import html
import http
import http.client
import json
import re
import socket
import ssl
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from feedbridge import __version__
from feedbridge.atomicfile import write_atomic
from feedbridge.config import (
    DEFAULT_BACKOFF, DEFAULT_MAX_BYTES, DEFAULT_MIN_INTERVAL, DEFAULT_RETRIES, DEFAULT_TIMEOUT, Config,
)
from feedbridge.errors import FetchError, NotFoundError, OutputError

_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_CHUNK = 64 * 1024
_ERROR_BODY_LIMIT = 64 * 1024  # enough to find the title of arXiv's error channel


def user_agent(contact: str) -> str:
    """arXiv's terms ask for a User-Agent naming the tool and a way to reach whoever runs it."""
    return f"feedbridge/{__version__} (+{contact})"


@dataclass(frozen=True)
class FetchSettings:
    user_agent: str  # build it with user_agent(contact)
    timeout: float = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    backoff: float = DEFAULT_BACKOFF
    max_retry_after: float = 300.0  # a longer Retry-After is not waited for: the fetch fails
    min_interval: float = DEFAULT_MIN_INTERVAL
    max_bytes: int = DEFAULT_MAX_BYTES  # cap on the body after decompression


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


class _Unsupported(Exception):
    """The body cannot be decoded; asking again will not help."""


class Fetcher:
    """Fetches URLs one after another, never starting requests closer than `min_interval` apart.

    `sleep` and `clock` are injectable so that tests can check the waits without waiting.
    """

    def __init__(
        self,
        settings: FetchSettings,
        cache_dir: Path | None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.settings = settings
        self._cache = _ValidatorCache(Path(cache_dir) / "http") if cache_dir is not None else None
        self._sleep = sleep
        self._clock = clock
        self._not_before = float("-inf")  # the earliest moment the next request may start
        self._opener = urllib.request.build_opener(_Turns(self._wait_turn))

    def fetch(self, url: str) -> FetchResult:
        """GET `url`, retrying what may pass; a 304 gives back the body kept from the last 200."""
        cached = self._cache.load(url) if self._cache is not None else None
        attempt = 1
        while True:
            try:
                return self._attempt(url, cached)
            except _Retryable as failure:
                delay = self._delay_before_retry(url, failure, attempt)
            self._not_before = max(self._not_before, self._clock() + delay)
            attempt += 1

    def _delay_before_retry(self, url: str, failure: _Retryable, attempt: int) -> float:
        """Exponential backoff, or longer if the server asks; FetchError when we should give up."""
        if attempt > self.settings.retries:
            noun = "attempt" if attempt == 1 else "attempts"
            raise FetchError(f"{url}: {failure.reason} after {attempt} {noun}") from None
        delay = self.settings.backoff * 2 ** (attempt - 1)
        if failure.retry_after is None:
            return delay
        if failure.retry_after > self.settings.max_retry_after:
            raise FetchError(
                f"{url}: {failure.reason}, and Retry-After asks for {failure.retry_after:.0f} s, "
                f"more than the {self.settings.max_retry_after:.0f} s we wait"
            ) from None
        return max(delay, failure.retry_after)

    def _wait_turn(self) -> None:
        """Sleep until the next request may start, and book the interval after it."""
        wait = self._not_before - self._clock()
        if wait > 0:
            self._sleep(wait)
        self._not_before = self._clock() + self.settings.min_interval

    def _attempt(self, url: str, cached: _Cached | None) -> FetchResult:
        headers = {"User-Agent": self.settings.user_agent, "Accept-Encoding": "gzip"}
        if cached is not None:
            if cached.etag:
                headers["If-None-Match"] = cached.etag
            if cached.last_modified:
                headers["If-Modified-Since"] = cached.last_modified
        try:
            request = urllib.request.Request(url, headers=headers)
            if request.type not in ("http", "https"):
                raise FetchError(f"{url}: not an http or https URL")
            with self._opener.open(request, timeout=self.settings.timeout) as response:
                body = _read_body(url, response, self.settings.max_bytes)
                final_url = response.url
                etag = response.headers.get("ETag")
                last_modified = response.headers.get("Last-Modified")
        except urllib.error.HTTPError as error:
            with error:
                if error.code == 304 and cached is not None:
                    return FetchResult(error.url, cached.body, not_modified=True)
                raise _http_failure(url, error) from None
        except urllib.error.URLError as error:
            if isinstance(error.reason, OSError):
                raise _connection_failure(url, error.reason) from None
            raise FetchError(f"{url}: {error.reason}") from None
        except (ValueError, http.client.InvalidURL) as error:  # a malformed URL or header value
            raise FetchError(f"{url}: {error}") from None
        except (OSError, http.client.HTTPException) as error:
            raise _connection_failure(url, error) from None
        if self._cache is not None:
            if etag or last_modified:
                self._cache.save(url, etag, last_modified, body)
            else:  # validators the server no longer sends must not be sent back to it
                self._cache.forget(url)
        return FetchResult(final_url, body, not_modified=False)


class _Turns(urllib.request.BaseHandler):
    """Makes every request urllib sends, redirect hops included, wait for its turn."""

    handler_order = 1000  # after the other preprocessors: the wait ends just before connecting

    def __init__(self, wait_turn: Callable[[], None]):
        self._wait_turn = wait_turn

    def http_request(self, request: urllib.request.Request) -> urllib.request.Request:
        self._wait_turn()
        return request

    https_request = http_request


def _http_failure(url: str, error: urllib.error.HTTPError) -> Exception:
    """Turn an HTTP error status into a retry or a FetchError that says what the server said."""
    code = error.code
    if 300 <= code < 400 and str(error.msg).startswith(urllib.request.HTTPRedirectHandler.inf_msg):
        return FetchError(f"{url}: redirect loop or too many redirects")
    try:
        reason = f"HTTP {code} {http.HTTPStatus(code).phrase}"
    except ValueError:
        reason = f"HTTP {code} {error.reason}".rstrip()
    if code in _RETRY_STATUSES:
        return _Retryable(reason, _parse_retry_after(error.headers.get("Retry-After")))
    title = _channel_title(_error_body(error))
    kind = NotFoundError if code in (404, 410) else FetchError
    return kind(f'{url}: {reason}: "{title}"' if title else f"{url}: {reason}")


def _connection_failure(url: str, error: Exception) -> Exception:
    """Connection trouble is retried, except a certificate that will not verify next time."""
    if isinstance(error, ssl.SSLCertVerificationError):
        return FetchError(f"{url}: TLS certificate not trusted ({error.verify_message})")
    if isinstance(error, ConnectionRefusedError):
        reason = "connection refused"
    elif isinstance(error, http.client.RemoteDisconnected):
        reason = "connection closed without a response"
    elif isinstance(error, ConnectionResetError):
        reason = "connection reset"
    elif isinstance(error, TimeoutError):  # socket.timeout is TimeoutError
        reason = "timed out"
    elif isinstance(error, http.client.IncompleteRead):
        reason = "response truncated"
    elif isinstance(error, socket.gaierror):
        reason = f"cannot resolve host ({error.strerror})"
    else:
        reason = str(error) or type(error).__name__
    return _Retryable(reason)


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


def _decoded_chunks(response: http.client.HTTPResponse) -> Iterator[bytes]:
    """The body in pieces of at most _CHUNK bytes, so that a gzip bomb is never inflated whole."""
    encoding = (response.headers.get("Content-Encoding") or "identity").strip().lower()
    if encoding in ("gzip", "x-gzip"):
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif encoding == "identity":
        inflater = None
    else:
        raise _Unsupported(f"unsupported Content-Encoding {encoding!r}")
    received = 0
    while raw := response.read(_CHUNK):
        received += len(raw)
        if inflater is None:
            yield raw
            continue
        while raw:
            yield inflater.decompress(raw, _CHUNK)
            raw = inflater.unconsumed_tail
    # http.client returns short reads quietly when the server closes early; check ourselves.
    length = response.headers.get("Content-Length", "")
    short = length.isdigit() and received < int(length)
    if short or (inflater is not None and not inflater.eof):
        raise http.client.IncompleteRead(b"")


def _read_body(url: str, response: http.client.HTTPResponse, limit: int) -> bytes:
    """The whole body, refused as soon as it passes `limit` bytes once decompressed."""
    parts: list[bytes] = []
    size = 0
    try:
        for part in _decoded_chunks(response):
            size += len(part)
            if size > limit:
                raise FetchError(f"{url}: response larger than {_format_size(limit)}")
            parts.append(part)
    except _Unsupported as error:
        raise FetchError(f"{url}: {error}") from None
    except zlib.error as error:
        raise FetchError(f"{url}: corrupt gzip body ({error})") from None
    return b"".join(parts)


def _error_body(error: urllib.error.HTTPError) -> bytes:
    """The start of an error response, or nothing if it cannot be read: it only adds detail."""
    parts: list[bytes] = []
    size = 0
    try:
        for part in _decoded_chunks(error):
            parts.append(part)
            size += len(part)
            if size >= _ERROR_BODY_LIMIT:
                break
    except (OSError, http.client.HTTPException, zlib.error, _Unsupported):
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
    title = " ".join(html.unescape(text).split())
    return title[:200] or None


def _format_size(n: int) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return f"{n} bytes"


@dataclass(frozen=True)
class _Cached:
    etag: str | None
    last_modified: str | None
    body: bytes


class _ValidatorCache:
    """ETag, Last-Modified and the body of the last 200 per URL, kept between runs.

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
    )
    return Fetcher(replace(settings, **overrides), config.cache_dir if cache else None)
