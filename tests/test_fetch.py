"""The fetch stage against a real HTTP server on 127.0.0.1, scripted response by response."""

from __future__ import annotations

import gzip
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

import pytest

import feedbridge
from feedbridge.errors import FetchError
from feedbridge.errors import printable
from feedbridge.fetch import Fetcher, FetchSettings, user_agent
from support.server import (
    hang_up, redirect, reply, stall_before_headers, stall_mid_body, trickle, trickle_headers, truncated,
)

UA = user_agent("mailto:feeds@example.org")
FEED = "/rss/quant-ph"
RSS = b"""<?xml version='1.0' encoding='UTF-8'?>
<rss version="2.0"><channel><title>quant-ph updates on arXiv.org</title></channel></rss>
"""
BIG = RSS.replace(b"</channel>", b"<!--" + b"x" * 100_000 + b"--></channel>")  # more than a 64 KiB piece
ARXIV_400 = b"""<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:atom="http://www.w3.org/2005/Atom" version="2.0">
  <channel>
    <title>Feed error for query: cs.XX</title>
    <link>http://rss.arxiv.org/rss/cs.XX</link>
    <description>Feed error for query: cs.XX</description>
    <atom:link href="https://rss.arxiv.org/rss/cs.XX" rel="self" type="application/rss+xml"/>
  </channel>
</rss>
"""


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch):
    """A proxy from the environment would take loopback requests elsewhere."""
    for name in [n for n in os.environ if n.lower().endswith("_proxy")]:
        monkeypatch.delenv(name)


@pytest.fixture
def make_fetcher(tmp_path, fake_time):
    """A Fetcher with fake time and no politeness delay unless a test asks for one."""

    def make(cache_dir: Path | None = tmp_path / "cache", **settings) -> Fetcher:
        fast = dict(user_agent=UA, timeout=5.0, retries=3, backoff=0.01, min_interval=0.0)
        return Fetcher(
            FetchSettings(**{**fast, **settings}),
            cache_dir,
            sleep=fake_time.sleep,
            clock=fake_time.clock,
        )

    return make


def within(seconds: float, call: Callable[[], object]) -> object:
    """``call()`` in a thread: what it returns or raises, or a failed test if it is still running
    after ``seconds`` (a fetcher that hangs must fail the test, not hang the suite)."""
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as error:  # handed to the test's thread
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


# --- the plain path ----------------------------------------------------------------------------


def test_user_agent_names_the_tool_its_version_and_a_contact():
    assert user_agent("mailto:feeds@example.org") == (
        f"feedbridge/{feedbridge.__version__} (+mailto:feeds@example.org)"
    )


def test_200_gives_the_body_and_sends_our_user_agent(http_server, make_fetcher, fake_time):
    http_server.script(reply(200, RSS, {"Content-Type": "application/rss+xml"}))

    result = make_fetcher().fetch(http_server.url + FEED)

    assert result.body == RSS
    assert result.not_modified is False
    assert result.url == http_server.url + FEED
    assert http_server.header(0, "User-Agent") == UA
    assert http_server.header(0, "Accept-Encoding") == "gzip"
    assert fake_time.sleeps == []


def test_gzip_body_is_decompressed(http_server, make_fetcher):
    http_server.script(reply(200, gzip.compress(RSS), {"Content-Encoding": "gzip"}))

    assert make_fetcher().fetch(http_server.url + FEED).body == RSS


def test_an_accept_header_is_sent(http_server, make_fetcher):
    """arXiv's API answered HTTP 406 in 2026 to clients that sent none."""
    http_server.script(reply(200, RSS))

    make_fetcher().fetch(http_server.url + FEED)

    assert http_server.header(0, "Accept") == (
        "application/atom+xml, application/rss+xml, application/xml;q=0.9, */*;q=0.8"
    )


@pytest.mark.parametrize(
    "after", [b"trailing garbage", b"\0" * 64, b"\x1f\x8b\x08"], ids=["text", "zeros", "a-header-begun"]
)
def test_bytes_after_the_end_of_a_gzip_stream_are_ignored(http_server, make_fetcher, after):
    """Other gzip clients ignore them too; the fetcher before requests spun at 100% CPU for ever
    once the body passed 64 KiB."""
    http_server.script(reply(200, gzip.compress(BIG) + after, {"Content-Encoding": "gzip"}))

    result = within(10, lambda: make_fetcher(retries=0).fetch(http_server.url + FEED))

    assert result.body == BIG


@pytest.mark.parametrize("split", [40, 70_000], ids=["small-first", "large-first"])
def test_two_gzip_members_are_decoded_one_after_the_other(http_server, make_fetcher, split):
    body = gzip.compress(BIG[:split]) + gzip.compress(BIG[split:])
    http_server.script(reply(200, body, {"Content-Encoding": "gzip"}))

    result = within(10, lambda: make_fetcher(retries=0).fetch(http_server.url + FEED))

    assert result.body == BIG


def test_redirect_is_followed(http_server, make_fetcher):
    http_server.script(redirect(301, "/rss/quant-ph.new"), reply(200, RSS))

    result = make_fetcher().fetch(http_server.url + FEED)

    assert result.body == RSS
    assert result.url == http_server.url + "/rss/quant-ph.new"
    assert http_server.paths == ["/rss/quant-ph", "/rss/quant-ph.new"]
    assert http_server.header(1, "User-Agent") == UA


# --- conditional GET, remembered between runs ----------------------------------------------------


def test_etag_is_sent_back_and_304_gives_the_stored_body_in_later_runs(
    http_server, make_fetcher, tmp_path
):
    http_server.script(reply(200, RSS, {"ETag": '"v1"'}), reply(304), reply(304))

    first = make_fetcher().fetch(http_server.url + FEED)
    second = make_fetcher().fetch(http_server.url + FEED)  # a new Fetcher: the next run
    third = make_fetcher().fetch(http_server.url + FEED)  # a 304 keeps the stored copy

    assert (first.body, first.not_modified) == (RSS, False)
    assert (second.body, second.not_modified) == (RSS, True)
    assert (third.body, third.not_modified) == (RSS, True)
    assert http_server.header(0, "If-None-Match") is None
    assert http_server.header(1, "If-None-Match") == '"v1"'
    assert http_server.header(2, "If-None-Match") == '"v1"'
    stored = sorted(p.suffix for p in (tmp_path / "cache" / "http").iterdir())
    assert stored == [".body", ".json"]  # and no temporary files left behind


def test_last_modified_is_sent_back_as_if_modified_since(http_server, make_fetcher):
    stamp = "Mon, 28 Apr 2025 04:00:00 GMT"
    http_server.script(reply(200, RSS, {"Last-Modified": stamp}), reply(304))

    make_fetcher().fetch(http_server.url + FEED)
    again = make_fetcher().fetch(http_server.url + FEED)

    assert http_server.header(0, "If-Modified-Since") is None
    assert http_server.header(1, "If-Modified-Since") == stamp
    assert http_server.header(1, "If-None-Match") is None
    assert (again.body, again.not_modified) == (RSS, True)


def test_a_new_200_replaces_the_stored_copy(http_server, make_fetcher):
    newer = RSS.replace(b"quant-ph", b"quant-ph, newer")
    http_server.script(
        reply(200, RSS, {"ETag": '"v1"'}), reply(200, newer, {"ETag": '"v2"'}), reply(304)
    )

    fetcher = make_fetcher()
    fetcher.fetch(http_server.url + FEED)
    fetcher.fetch(http_server.url + FEED)
    last = fetcher.fetch(http_server.url + FEED)

    assert http_server.header(2, "If-None-Match") == '"v2"'
    assert last.body == newer


@pytest.mark.parametrize("damage", ["corrupt", "missing"])
def test_a_damaged_stored_body_means_an_unconditional_get(http_server, make_fetcher, tmp_path, damage):
    http_server.script(reply(200, RSS, {"ETag": '"v1"'}), reply(200, RSS, {"ETag": '"v1"'}))
    make_fetcher().fetch(http_server.url + FEED)
    (body_file,) = (tmp_path / "cache" / "http").glob("*.body")
    if damage == "corrupt":
        body_file.write_bytes(RSS[:20])
    else:
        body_file.unlink()

    result = make_fetcher().fetch(http_server.url + FEED)

    assert http_server.header(1, "If-None-Match") is None
    assert (result.body, result.not_modified) == (RSS, False)


def test_validators_are_forgotten_when_the_server_stops_sending_them(http_server, make_fetcher):
    http_server.script(reply(200, RSS, {"ETag": '"v1"'}), reply(200, RSS), reply(200, RSS))

    for _ in range(3):
        make_fetcher().fetch(http_server.url + FEED)

    assert http_server.header(1, "If-None-Match") == '"v1"'
    assert http_server.header(2, "If-None-Match") is None


def test_without_a_cache_dir_there_is_no_conditional_get(http_server, make_fetcher):
    http_server.script(reply(200, RSS, {"ETag": '"v1"'}), reply(200, RSS, {"ETag": '"v1"'}))

    fetcher = make_fetcher(cache_dir=None)
    fetcher.fetch(http_server.url + FEED)
    fetcher.fetch(http_server.url + FEED)

    assert http_server.header(1, "If-None-Match") is None


# --- retries ------------------------------------------------------------------------------------


def test_503_with_retry_after_waits_as_asked_then_succeeds(http_server, make_fetcher, fake_time):
    http_server.script(reply(503, b"busy", {"Retry-After": "2"}), reply(200, RSS))

    result = make_fetcher().fetch(http_server.url + FEED)

    assert result.body == RSS
    assert fake_time.sleeps == pytest.approx([2])
    assert len(http_server.requests) == 2


def test_429_with_retry_after_waits_as_asked(http_server, make_fetcher, fake_time):
    http_server.script(reply(429, headers={"Retry-After": "7"}), reply(200, RSS))

    assert make_fetcher(max_retry_after=10).fetch(http_server.url + FEED).body == RSS
    assert fake_time.sleeps == pytest.approx([7])


@pytest.mark.parametrize(
    "retry_after",
    ["3600", format_datetime(datetime.now(timezone.utc) + timedelta(hours=1), usegmt=True)],
    ids=["delta-seconds", "http-date"],
)
def test_a_retry_after_beyond_the_limit_fails_at_once(
    http_server, make_fetcher, fake_time, retry_after
):
    http_server.script(reply(429, headers={"Retry-After": retry_after}), reply(200, RSS))

    with pytest.raises(FetchError, match="HTTP 429 Too Many Requests, and Retry-After asks for"):
        make_fetcher(max_retry_after=300).fetch(http_server.url + FEED)
    assert fake_time.sleeps == []
    assert len(http_server.requests) == 1


def test_500_on_every_attempt_fails_after_backing_off(http_server, make_fetcher, fake_time):
    http_server.script(*[reply(500)] * 4)

    with pytest.raises(FetchError) as raised:
        make_fetcher(retries=3, backoff=0.5).fetch(http_server.url + FEED)

    assert str(raised.value) == f"{http_server.url}{FEED}: HTTP 500 Internal Server Error after 4 attempts"
    assert len(http_server.requests) == 4
    assert fake_time.sleeps == pytest.approx([0.5, 1.0, 2.0])


def test_404_is_not_retried(http_server, make_fetcher, fake_time):
    http_server.script(reply(404, b"<html>not here</html>"), reply(200, RSS))

    with pytest.raises(FetchError) as raised:
        make_fetcher().fetch(http_server.url + "/rss/cs.XX")

    assert str(raised.value) == f"{http_server.url}/rss/cs.XX: HTTP 404 Not Found"
    assert len(http_server.requests) == 1
    assert fake_time.sleeps == []


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_arxiv_400_for_an_unknown_category_quotes_the_feed_error(http_server, make_fetcher, encoding):
    body = gzip.compress(ARXIV_400) if encoding == "gzip" else ARXIV_400
    http_server.script(reply(400, body, {"Content-Encoding": encoding}))

    with pytest.raises(FetchError) as raised:
        make_fetcher().fetch(http_server.url + "/rss/cs.XX")

    assert str(raised.value) == (
        f'{http_server.url}/rss/cs.XX: HTTP 400 Bad Request: "Feed error for query: cs.XX"'
    )
    assert len(http_server.requests) == 1


def test_escape_sequences_from_the_server_never_reach_the_message(http_server, make_fetcher):
    title = b"\x1b]0;owned\x07\x1b[31mFeed error\x1b[0m for query:\x07 cs.XX\xc2\x9b2J"  # the last: U+009B, C1 CSI
    http_server.script(reply(499, ARXIV_400.replace(b"Feed error for query: cs.XX", title, 1),
                             reason="Client \x1b[5mGone\x1b[0m\x07"))

    with pytest.raises(FetchError) as raised:
        make_fetcher().fetch(http_server.url + "/rss/cs.XX")

    assert str(raised.value) == (
        f'{http_server.url}/rss/cs.XX: HTTP 499 Client Gone: "Feed error for query: cs.XX"'
    )


@pytest.mark.parametrize(
    "text, shown",
    [
        ("plain text", "plain text"),
        ("\x1b[1;31mred\x1b[0m", "red"),  # CSI
        ("a\x1b]8;;http://evil/\x1b\\link\x1b]8;;\x1b\\b", "alinkb"),  # OSC hyperlink, ST-terminated
        ("title\x1b]0;set the window title", "title"),  # an OSC never terminated
        ("x\x1bcy\x1b(Bz", "xyz"),  # reset, charset
        ("bell\x07 and\x00 nul\x7f", "bell and nul"),
        ("\x9b31mC1\x85next", "C1 next"),  # C1 CSI; NEL is a line break
        ("two\nlines\r\n\tand a tab", "two lines and a tab"),
        ("abc\u202edcba", "abcdcba"),  # a bidirectional override
        ("Überprüfung – 量子", "Überprüfung – 量子"),
    ],
)
def test_printable_keeps_text_and_drops_what_drives_a_terminal(text, shown):
    assert printable(text) == shown


# --- the connection itself ----------------------------------------------------------------------


def test_connection_refused_fails_after_retries(make_fetcher, fake_time):
    with socket.socket() as bound_not_listening:
        bound_not_listening.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{bound_not_listening.getsockname()[1]}/rss/quant-ph"

        with pytest.raises(FetchError) as raised:
            make_fetcher(retries=2).fetch(url)

    assert str(raised.value) == f"{url}: connection refused after 3 attempts"
    assert fake_time.sleeps == pytest.approx([0.01, 0.02])


def test_timeout_before_headers_fails_after_retries(http_server, make_fetcher):
    http_server.script(stall_before_headers(5), stall_before_headers(5))

    with pytest.raises(FetchError, match=r": timed out after 2 attempts$"):
        make_fetcher(timeout=0.5, retries=1).fetch(http_server.url + FEED)
    assert len(http_server.requests) == 2


def test_stall_mid_body_is_an_error(http_server, make_fetcher):
    http_server.script(stall_mid_body(RSS, 5))

    with pytest.raises(FetchError, match=r": timed out after 1 attempt$"):
        make_fetcher(timeout=0.5, retries=0).fetch(http_server.url + FEED)


def test_truncated_body_is_retried(http_server, make_fetcher, fake_time):
    http_server.script(truncated(RSS[:30], claimed_length=len(RSS)), reply(200, RSS))

    assert make_fetcher().fetch(http_server.url + FEED).body == RSS
    assert fake_time.sleeps == pytest.approx([0.01])


def test_truncated_body_on_every_attempt_says_so(http_server, make_fetcher):
    http_server.script(truncated(RSS[:30], claimed_length=len(RSS)))

    with pytest.raises(FetchError, match=r": response truncated after 1 attempt$"):
        make_fetcher(retries=0).fetch(http_server.url + FEED)


def test_gzip_stream_cut_short_is_a_truncated_response(http_server, make_fetcher):
    cut = gzip.compress(RSS)[:-8]  # the gzip trailer is missing
    http_server.script(reply(200, cut, {"Content-Encoding": "gzip"}))

    with pytest.raises(FetchError, match=r": response truncated after 1 attempt$"):
        make_fetcher(retries=0).fetch(http_server.url + FEED)


def test_only_http_urls_are_fetched(make_fetcher):
    with pytest.raises(FetchError, match=r"^file:///etc/hosts: not an http or https URL$"):
        make_fetcher().fetch("file:///etc/hosts")


def test_connection_closed_without_a_response_is_retried(http_server, make_fetcher):
    http_server.script(hang_up(), reply(200, RSS))

    assert make_fetcher().fetch(http_server.url + FEED).body == RSS
    assert len(http_server.requests) == 2


def test_redirect_loop_is_a_fetch_error(http_server, make_fetcher):
    http_server.script(*[redirect(302, "/rss/loop")] * 20)

    with pytest.raises(FetchError, match=r"/rss/loop: redirect loop or too many redirects$"):
        make_fetcher().fetch(http_server.url + "/rss/loop")
    assert len(http_server.requests) < 20


# --- deadlines ----------------------------------------------------------------------------------


def test_a_trickling_body_fails_at_the_request_deadline(http_server, tmp_path):
    """One byte every 0.2 s never trips a 5 s socket timeout; the deadline stops it after 1 s."""
    http_server.script(trickle(RSS, every=0.2))
    fetcher = Fetcher(FetchSettings(UA, timeout=5, retries=0, min_interval=0, request_deadline=1), None)

    started = time.monotonic()
    with pytest.raises(FetchError) as raised:
        within(10, lambda: fetcher.fetch(http_server.url + FEED))

    assert str(raised.value) == (
        f"{http_server.url}{FEED}: no complete response within 1 s (deadline) after 1 attempt"
    )
    assert 0.9 < time.monotonic() - started < 3


def test_trickling_headers_fail_at_the_request_deadline(http_server):
    http_server.script(trickle_headers(every=0.2))
    fetcher = Fetcher(FetchSettings(UA, timeout=5, retries=0, min_interval=0, request_deadline=1), None)

    started = time.monotonic()
    with pytest.raises(FetchError, match=r": no complete response within 1 s \(deadline\) after 1 attempt$"):
        within(10, lambda: fetcher.fetch(http_server.url + FEED))
    assert time.monotonic() - started < 3


def test_a_gzip_header_that_never_ends_fails_at_the_request_deadline(http_server):
    """A gzip comment trickled byte by byte decodes to nothing: the reader never gets a piece back
    to check the deadline between, so the watchdog has to cut the connection."""
    header = bytes([0x1F, 0x8B, 8, 0x10, 0, 0, 0, 0, 0, 0xFF])  # FLG.FCOMMENT: a zero-terminated comment follows
    http_server.script(trickle(header + b"a" * 100, every=0.2, headers={"Content-Encoding": "gzip"}, at_once=10))
    fetcher = Fetcher(FetchSettings(UA, timeout=5, retries=0, min_interval=0, request_deadline=1), None)

    started = time.monotonic()
    with pytest.raises(FetchError, match=r": no complete response within 1 s \(deadline\) after 1 attempt$"):
        within(10, lambda: fetcher.fetch(http_server.url + FEED))
    assert time.monotonic() - started < 3


def test_the_run_deadline_spans_several_fetches(http_server, make_fetcher, fake_time):
    http_server.script(reply(200, RSS), reply(200, RSS), reply(200, RSS))
    fetcher = make_fetcher(min_interval=3.0, run_deadline=5.0)

    fetcher.fetch(http_server.url + "/rss/a")
    fetcher.fetch(http_server.url + "/rss/b")  # waits 3 s of the 5
    with pytest.raises(FetchError) as raised:
        fetcher.fetch(http_server.url + "/rss/c")  # would wait 3 s more: fails without waiting

    assert str(raised.value) == (
        f"{http_server.url}/rss/c: no complete response before the run deadline (5 s of fetching in all)"
    )
    assert fake_time.sleeps == pytest.approx([3.0])
    assert http_server.paths == ["/rss/a", "/rss/b"]


def test_no_retry_is_waited_for_past_the_run_deadline(http_server, make_fetcher, fake_time):
    http_server.script(reply(503, headers={"Retry-After": "10"}), reply(200, RSS))

    with pytest.raises(FetchError) as raised:
        make_fetcher(run_deadline=5.0).fetch(http_server.url + FEED)

    assert str(raised.value) == (
        f"{http_server.url}{FEED}: HTTP 503 Service Unavailable after 1 attempt, "
        "and the run deadline leaves no time for another"
    )
    assert fake_time.sleeps == []
    assert len(http_server.requests) == 1


def test_the_run_deadline_cuts_a_request_short_and_is_not_retried(http_server):
    """The first trickle uses 0.6 s of the run's 1 s, the second gets the 0.4 s left."""
    http_server.script(trickle(RSS, every=0.2), trickle(RSS, every=0.2), reply(200, RSS))
    settings = FetchSettings(UA, timeout=5, retries=3, backoff=0, min_interval=0, request_deadline=0.6,
                             run_deadline=1.0)
    fetcher = Fetcher(settings, None)

    started = time.monotonic()
    with pytest.raises(FetchError) as raised:
        within(10, lambda: fetcher.fetch(http_server.url + FEED))

    assert str(raised.value) == (
        f"{http_server.url}{FEED}: no complete response before the run deadline (1 s of fetching in all)"
    )
    assert 0.9 < time.monotonic() - started < 3
    assert len(http_server.requests) == 2


# --- size ---------------------------------------------------------------------------------------


def test_body_at_the_limit_is_accepted_and_over_it_refused(http_server, make_fetcher):
    http_server.script(reply(200, b"x" * 100), reply(200, b"x" * 101))
    fetcher = make_fetcher(max_bytes=100)

    assert fetcher.fetch(http_server.url + FEED).body == b"x" * 100
    with pytest.raises(FetchError) as raised:
        fetcher.fetch(http_server.url + FEED)
    assert str(raised.value) == f"{http_server.url}{FEED}: response larger than 100 bytes"
    assert len(http_server.requests) == 2  # not retried


def test_gzip_bomb_is_refused(http_server, make_fetcher):
    bomb = gzip.compress(b"\0" * 8 * 2**20)
    assert len(bomb) < 64 * 2**10
    http_server.script(reply(200, bomb, {"Content-Encoding": "gzip"}))

    with pytest.raises(FetchError, match=r": response larger than 1 MiB$"):
        make_fetcher(max_bytes=2**20).fetch(http_server.url + FEED)


# --- politeness ---------------------------------------------------------------------------------


def test_requests_start_at_least_min_interval_apart(http_server, make_fetcher, fake_time):
    http_server.script(reply(200, RSS), reply(200, RSS))
    fetcher = make_fetcher(min_interval=3.0)

    fetcher.fetch(http_server.url + "/rss/quant-ph")
    assert fake_time.sleeps == []
    fetcher.fetch(http_server.url + "/rss/hep-ex")

    assert fake_time.sleeps == pytest.approx([3.0])


def test_a_retry_waits_for_the_longer_of_backoff_and_min_interval(http_server, make_fetcher, fake_time):
    http_server.script(reply(502), reply(200, RSS))

    make_fetcher(min_interval=3.0, backoff=1.0).fetch(http_server.url + FEED)

    assert fake_time.sleeps == pytest.approx([3.0])


def test_a_redirect_hop_waits_its_turn(http_server, make_fetcher, fake_time):
    http_server.script(redirect(301, "/rss/elsewhere"), reply(200, RSS))

    make_fetcher(min_interval=3.0).fetch(http_server.url + FEED)

    assert fake_time.sleeps == pytest.approx([3.0])
