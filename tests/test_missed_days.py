"""The arXiv API as the source of a missed announcement day (sources/arxiv_missed.py).

The API is served on 127.0.0.1 from the fortnight's model of arXiv (tests/support/fortnight.py):
ids numbered in submission order across categories, each day's announcement carrying the
submissions between two 14:00 New York deadlines, answers in the API's 2026 Atom."""

from __future__ import annotations

from datetime import date, datetime, timezone
from functools import partial
from urllib.parse import parse_qs, urlsplit

import pytest

from feedbridge.announcement_days import NEW_YORK
from feedbridge.config import DEFAULT_HOLIDAYS
from feedbridge.errors import FeedbridgeError
from feedbridge.fetch import Fetcher, FetchSettings
from feedbridge.model import Paper
from feedbridge.sources import NotRecoverable, bounding_papers, missed_day_source
from feedbridge.sources.arxiv_links import arxiv_links
from feedbridge.sources.arxiv_missed import MAX_REQUESTS, known_ids
from support.fortnight import CATEGORIES, FORTNIGHT, Arxiv
from support.server import LoopbackServer

D = date.fromisoformat
NOW = datetime(2026, 6, 24, 15, tzinfo=timezone.utc)  # after every day of the scenario was announced


@pytest.fixture(scope="module")
def arxiv() -> Arxiv:
    return Arxiv(FORTNIGHT)


@pytest.fixture
def api(arxiv):
    """The API at NOW; ``api.asked`` holds the id lists of the requests, in order."""
    server = LoopbackServer()
    server.asked = []

    def answer(handler) -> None:
        query = urlsplit(handler.path).query
        status, body, asked = arxiv.api_answer(query, NOW)
        server.asked.append(asked)
        handler.reply(status, {"Content-Type": "application/atom+xml"}, body)

    server.script(answer, repeat_last=True)
    yield server
    server.close()


def fetcher() -> Fetcher:
    return Fetcher(FetchSettings(user_agent="feedbridge-test (+mailto:t@t)", retries=0, min_interval=0), None)


def as_announced(arxiv: Arxiv, day: date, category: str) -> list[Paper]:
    """The papers ``category``'s feed announced on ``day``, as the window holds them."""
    announced = datetime.combine(day, datetime.min.time(), NEW_YORK)
    return [Paper(p.arxiv_id, 1, p.title, p.abstract, (), p.categories,
                  "new" if p.primary == category else "cross", announced, arxiv_links(p.arxiv_id, 1))
            for p in arxiv.feed_papers(category, day)]


def source(api, arxiv, *known_days: date):
    known = [p for day in known_days for category in CATEGORIES for p in as_announced(arxiv, day, category)]
    return partial(missed_day_source(api.url + "/api/query", fetcher(), DEFAULT_HOLIDAYS), known=known)


def expected(arxiv: Arxiv, day: date, category: str) -> dict[str, str]:
    return {p.arxiv_id: "new" if p.primary == category else "cross" for p in arxiv.feed_papers(category, day)}


@pytest.mark.parametrize("category", CATEGORIES)
def test_a_missed_day_between_two_known_ones_comes_back_exactly(api, arxiv, category):
    read = source(api, arxiv, D("2026-06-10"), D("2026-06-12"))(D("2026-06-11")).read(category)
    assert {p.arxiv_id: p.announce_type for p in read.papers} == expected(arxiv, D("2026-06-11"), category)
    assert read.announced == datetime(2026, 6, 11, tzinfo=NEW_YORK)
    for paper in read.papers:
        assert paper.recovered and paper.announced == read.announced
        assert paper.title == arxiv.papers[paper.arxiv_id].title
        assert paper.links.pdf.endswith(f"{paper.arxiv_id}v1")
    # Only the ids between the known days were asked, in batches, each once.
    asked = [i for request in api.asked for i in request]
    assert len(asked) == len(set(asked))
    known = {day: [p.arxiv_id for c in CATEGORIES for p in as_announced(arxiv, day, c) if p.announce_type == "new"]
             for day in (D("2026-06-10"), D("2026-06-12"))}
    after, before = max(known[D("2026-06-10")]), min(known[D("2026-06-12")])
    assert asked == [f"2606.{n:05d}" for n in range(int(after[5:]) + 1, int(before[5:]))]


def test_days_in_one_range_share_its_requests_and_each_keeps_its_own_papers(api, arxiv):
    missed = partial(missed_day_source(api.url + "/api/query", fetcher(), DEFAULT_HOLIDAYS),
                     known=[p for c in CATEGORIES for p in as_announced(arxiv, D("2026-06-16"), c)
                            + as_announced(arxiv, D("2026-06-23"), c)])
    for day in (D("2026-06-17"), D("2026-06-18"), D("2026-06-19")):  # the holiday's Monday carries none
        for category in CATEGORIES:
            got = {p.arxiv_id: p.announce_type for p in missed(day).read(category).papers}
            assert got == expected(arxiv, day, category), (day, category)
    assert len(api.asked) == 1  # the three days' ids fit one request, asked once


def test_without_a_later_day_the_ids_are_read_until_they_run_out(api, arxiv):
    read = source(api, arxiv, D("2026-06-19"))(D("2026-06-23")).read("quant-ph")
    assert {p.arxiv_id for p in read.papers} == set(expected(arxiv, D("2026-06-23"), "quant-ph"))
    assert api.asked[-1] and not any(i in arxiv.papers for i in api.asked[-1])  # the last batch found nothing


def test_a_day_with_nothing_known_before_it_is_not_recoverable(api, arxiv):
    with pytest.raises(NotRecoverable, match="no announcement before it is known"):
        source(api, arxiv, D("2026-06-12"))(D("2026-06-11")).read("quant-ph")
    assert api.asked == []


def test_a_day_too_far_from_the_nearest_known_one_is_not_recoverable(api, arxiv, monkeypatch):
    monkeypatch.setattr("feedbridge.sources.arxiv_missed.MAX_DAYS_BACK", 3)
    missed = source(api, arxiv, D("2026-06-08"))
    assert missed(D("2026-06-11")).read("quant-ph").papers  # three days back
    with pytest.raises(NotRecoverable, match=r"\(2026-06-08\) is 4 announcement days back, more than the 3"):
        missed(D("2026-06-12")).read("quant-ph")


def test_ids_run_on_into_the_next_month():
    from feedbridge.sources.arxiv_missed import _Number

    assert _Number.of("2612.09999").next_month() == _Number("2701", 1)
    assert _Number.of("2605.00042") < _Number.of("2606.00001")
    assert _Number.of("hep-th/9901001") is None


def test_a_failing_api_is_one_error_and_the_budget_is_kept(arxiv):
    with LoopbackServer() as server:
        server.script(lambda handler: handler.reply(503, {}, b"down"), repeat_last=True)
        missed = partial(missed_day_source(server.url + "/api/query", fetcher(), DEFAULT_HOLIDAYS),
                         known=as_announced(arxiv, D("2026-06-10"), "quant-ph"))
        with pytest.raises(FeedbridgeError, match="503"):
            missed(D("2026-06-11")).read("quant-ph")


def test_one_run_asks_at_most_its_budget(api, arxiv, monkeypatch):
    assert MAX_REQUESTS * 100 > 10 * 1200  # ten weekdays of arXiv's new submissions, at 100 ids a request
    monkeypatch.setattr("feedbridge.sources.arxiv_missed.BATCH_SIZE", 1)
    monkeypatch.setattr("feedbridge.sources.arxiv_missed.MAX_REQUESTS", 5)
    missed = source(api, arxiv, D("2026-06-08"), D("2026-06-24"))
    with pytest.raises(FeedbridgeError, match="5 requests made to recover missed days"):
        missed(D("2026-06-09")).read("quant-ph")
    assert len(api.asked) == 5


def test_the_query_is_the_validated_id_list_form(api, arxiv):
    source(api, arxiv, D("2026-06-10"), D("2026-06-12"))(D("2026-06-11")).read("hep-ex")
    (path,) = {urlsplit(p).path for p in api.paths}
    query = parse_qs(urlsplit(api.paths[0]).query)
    assert path == "/api/query" and set(query) == {"id_list", "max_results"}
    assert int(query["max_results"][0]) == len(query["id_list"][0].split(","))


def test_a_run_keeps_only_the_papers_that_bound_a_day_and_they_bound_it_alike(arxiv):
    """A run keeps the lowest and highest new submission of each day it has seen, not
    every paper: the same bounds from a few papers a day."""
    papers = [p for day in (D("2026-06-10"), D("2026-06-12")) for c in CATEGORIES for p in as_announced(arxiv, day, c)]
    kept = bounding_papers(papers)
    assert known_ids(kept) == known_ids(papers) != {}
    assert len(kept) <= 2 * len(known_ids(papers)) < len(papers)
