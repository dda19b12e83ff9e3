"""Enrichment through the arXiv API: real 2026 API answers served on 127.0.0.1.

The announced papers are the API fixture's own papers with everything only the API
knows taken away (comment, journal reference, DOI, affiliations), as the RSS sends them;
enrichment must give each one back exactly.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from feedbridge.model import Author, Paper
from feedbridge.sources.arxiv_rss import parse_feed
from feedbridge.sources.arxiv_api import CACHE_FILE, enrich, query_url, unanswered
from feedbridge.fetch import Fetcher, FetchSettings
from support.paths import API_ERROR, API_SEARCH, API_ZERO

API_PATH = "/api/query"

ANSWERED = parse_feed(API_SEARCH.read_bytes(), str(API_SEARCH)).papers


def as_announced(paper: Paper) -> Paper:
    """The paper as arXiv's RSS would have it: no comment, journal ref, DOI or affiliations."""
    return replace(
        paper,
        comment=None,
        journal_ref=None,
        doi=None,
        authors=tuple(Author(author.name) for author in paper.authors),
        submitted=None,
        first_submitted=None,
    )


ANNOUNCED = tuple(as_announced(paper) for paper in ANSWERED)


@pytest.fixture
def fetcher(fake_time) -> Fetcher:
    settings = FetchSettings(user_agent="feedbridge-test (+mailto:t@t)", retries=0, min_interval=3)
    return Fetcher(settings, None, sleep=fake_time.sleep, clock=fake_time.clock)


@pytest.fixture
def api(http_server) -> str:
    return http_server.url + API_PATH


def route(api_url: str, papers) -> str:
    """The path and query the API is asked for these papers."""
    url = query_url(api_url, [paper.arxiv_id for paper in papers])
    return url[url.index(API_PATH):]


def serve_answer(http_server, api, papers, body=API_SEARCH.read_bytes(), status=200) -> None:
    http_server.serve(route(api, papers), body, status=status)


def run(papers, fetcher, api, tmp_path, **options):
    return enrich(papers, fetcher=fetcher, api_url=api, cache_dir=tmp_path / "cache", **options)


def test_every_paper_gets_back_what_only_the_api_knows(http_server, api, fetcher, tmp_path):
    serve_answer(http_server, api, ANNOUNCED)
    result = run(ANNOUNCED, fetcher, api, tmp_path)
    assert result.papers == ANSWERED
    assert (result.asked, result.from_cache, result.unknown, result.failed) == (100, 0, 0, 0)
    assert result.warning is None
    assert http_server.paths == [route(api, ANNOUNCED)]


def test_the_request_names_every_id_and_asks_for_all_of_them(http_server, api, fetcher, tmp_path):
    papers = [p for p in ANNOUNCED if p.arxiv_id in ("2202.12139", "hep-ph/0301050")]
    serve_answer(http_server, api, papers)
    run(papers, fetcher, api, tmp_path)
    [(path, headers)] = http_server.requests
    assert path == f"{API_PATH}?id_list=2202.12139,hep-ph/0301050&max_results=2"
    assert headers["User-Agent"] == "feedbridge-test (+mailto:t@t)"


def test_enriched_fields_of_real_papers(http_server, api, fetcher, tmp_path):
    serve_answer(http_server, api, ANNOUNCED)
    papers = {p.arxiv_id: p for p in run(ANNOUNCED, fetcher, api, tmp_path).papers}
    first = papers["2202.12139"]
    assert first.comment == "Artificial Intelligence in Software Testing 2022 workshop @ ICST 2022"
    assert first.doi == "10.1109/ICSTW55395.2022.00035"
    assert first.journal_ref.startswith("Artificial Intelligence in Software Testing @ 2022")
    assert papers["0804.0970"].authors == (
        Author("Marie-Claude Gaudel", ("LRI",)), Author("Pascale Le Gall", ("IBISC",)),
    )
    assert papers["1706.00679"].links.code == "https://github.com/ydecastro/super-resolution-testing"


def test_the_api_dates_each_version_as_arxiv_received_it(http_server, api, fetcher, tmp_path):
    """The RSS dates every paper of a day alike; the API says when each version came in."""
    serve_answer(http_server, api, ANNOUNCED)
    papers = {p.arxiv_id: p for p in run(ANNOUNCED, fetcher, api, tmp_path).papers}
    first = papers["2202.12139"]
    assert (first.first_submitted, first.submitted) == (datetime(2022, 2, 24, 15, 5, 19, tzinfo=timezone.utc),) * 2
    assert len({p.submitted for p in papers.values()}) == len(papers)
    # A newer version than the API's answer keeps only the first version's date.
    newer = replace(ANNOUNCED[0], version=ANNOUNCED[0].version + 1)
    fresh = tmp_path / "fresh"
    serve_answer(http_server, api, [newer])
    (dated,) = enrich([newer], fetcher=fetcher, api_url=api, cache_dir=fresh).papers
    assert (dated.first_submitted, dated.submitted) == (ANSWERED[0].first_submitted, None)
    # The cache keeps the dates, and reads an answer cached before they were kept.
    cached = json.loads((tmp_path / "cache" / CACHE_FILE).read_text())
    key = f"{first.arxiv_id}v{first.version}"
    assert cached[key]["submitted"] == "2022-02-24T15:05:19+00:00"
    del cached[key]["submitted"], cached[key]["first_submitted"]
    (tmp_path / "cache" / CACHE_FILE).write_text(json.dumps(cached))
    (again,) = run([ANNOUNCED[0]], None, api, tmp_path).papers
    assert again.comment == first.comment and again.submitted is None


def test_batches_keep_arxivs_interval_between_requests(http_server, api, fetcher, fake_time, tmp_path):
    batches = [ANNOUNCED[:40], ANNOUNCED[40:80], ANNOUNCED[80:]]
    for batch in batches:
        serve_answer(http_server, api, batch)
    result = run(ANNOUNCED, fetcher, api, tmp_path, batch_size=40)
    assert http_server.paths == [route(api, batch) for batch in batches]
    assert fake_time.sleeps == [3, 3]
    assert result.papers == ANSWERED


def test_each_paper_is_asked_once(http_server, api, fetcher, tmp_path):
    serve_answer(http_server, api, ANNOUNCED[:10])
    first = run(ANNOUNCED[:10], fetcher, api, tmp_path)
    second = run(ANNOUNCED[:10], fetcher, api, tmp_path)
    assert len(http_server.requests) == 1
    assert second.papers == first.papers == ANSWERED[:10]
    assert (second.asked, second.from_cache) == (0, 10)


def test_only_papers_not_in_the_cache_are_asked(http_server, api, fetcher, tmp_path):
    serve_answer(http_server, api, ANNOUNCED[:10])
    serve_answer(http_server, api, ANNOUNCED[10:20])
    run(ANNOUNCED[:10], fetcher, api, tmp_path)
    result = run(ANNOUNCED[:20], fetcher, api, tmp_path)
    assert http_server.paths == [route(api, ANNOUNCED[:10]), route(api, ANNOUNCED[10:20])]
    assert (result.asked, result.from_cache) == (10, 10)
    assert result.papers == ANSWERED[:20]


def test_a_paper_in_two_feeds_is_asked_once_and_enriched_in_both(http_server, api, fetcher, tmp_path):
    serve_answer(http_server, api, ANNOUNCED[:2])
    result = run(ANNOUNCED[:2] + ANNOUNCED[:1], fetcher, api, tmp_path)
    assert http_server.paths == [route(api, ANNOUNCED[:2])]
    assert result.papers == ANSWERED[:2] + ANSWERED[:1]
    assert result.asked == 2


def test_without_a_fetcher_only_the_cache_is_used(http_server, api, fetcher, tmp_path):
    serve_answer(http_server, api, ANNOUNCED[:5])
    run(ANNOUNCED[:5], fetcher, api, tmp_path)
    result = run(ANNOUNCED[:8], None, api, tmp_path)
    assert len(http_server.requests) == 1
    assert result.papers == ANSWERED[:5] + ANNOUNCED[5:8]
    assert (result.asked, result.from_cache, result.failed, result.warning) == (0, 5, 0, None)


def test_unanswered_names_what_enrich_would_ask_and_writes_nothing(http_server, api, fetcher, tmp_path):
    serve_answer(http_server, api, ANNOUNCED[:3])
    run(ANNOUNCED[:3], fetcher, api, tmp_path)
    cache = tmp_path / "cache" / CACHE_FILE
    before = cache.read_bytes(), cache.stat().st_mtime_ns
    assert unanswered(ANNOUNCED[:6] + ANNOUNCED[4:5], tmp_path / "cache") == list(ANNOUNCED[3:6])
    assert (cache.read_bytes(), cache.stat().st_mtime_ns) == before
    assert unanswered(ANNOUNCED[:2], tmp_path / "no-cache") == list(ANNOUNCED[:2])
    assert not (tmp_path / "no-cache").exists()


def test_api_error_http_400_leaves_the_papers_as_announced(http_server, api, fetcher, tmp_path):
    serve_answer(http_server, api, ANNOUNCED, body=API_ERROR.read_bytes(), status=400)
    result = run(ANNOUNCED, fetcher, api, tmp_path)
    assert result.papers == ANNOUNCED
    assert (result.asked, result.failed) == (100, 100)
    assert result.warning == (
        f"100 papers go out without the arXiv API's comments: "
        f"{query_url(api, [p.arxiv_id for p in ANNOUNCED])}: HTTP 400 Bad Request"
    )


def test_an_error_entry_with_http_200_is_a_failure_too(http_server, api, fetcher, tmp_path):
    serve_answer(http_server, api, ANNOUNCED[:3], body=API_ERROR.read_bytes())
    result = run(ANNOUNCED[:3], fetcher, api, tmp_path)
    assert result.papers == ANNOUNCED[:3]
    assert result.failed == 3
    assert 'the arXiv API answered with an error: "incorrect id format for abc"' in result.warning


def test_api_down_never_blocks_and_is_asked_again_next_run(fetcher, tmp_path):
    down = "http://127.0.0.1:9/api/query"  # nothing listens on port 9
    result = run(ANNOUNCED[:3], fetcher, down, tmp_path)
    assert result.papers == ANNOUNCED[:3]
    assert result.failed == 3
    assert "connection refused" in result.warning
    assert not (tmp_path / "cache" / CACHE_FILE).exists()


def test_after_a_failed_batch_the_api_is_asked_no_more(http_server, api, fetcher, tmp_path):
    serve_answer(http_server, api, ANNOUNCED[:40])
    serve_answer(http_server, api, ANNOUNCED[40:80], body=b"busy", status=503)
    result = run(ANNOUNCED, fetcher, api, tmp_path, batch_size=40)
    assert http_server.paths == [route(api, ANNOUNCED[:40]), route(api, ANNOUNCED[40:80])]
    assert result.papers == ANSWERED[:40] + ANNOUNCED[40:]
    assert (result.asked, result.failed) == (100, 60)
    assert result.warning.startswith("60 papers go out without the arXiv API's comments: ")
    assert "HTTP 503 Service Unavailable" in result.warning


def test_papers_the_api_does_not_know_are_asked_again(http_server, api, fetcher, tmp_path):
    serve_answer(http_server, api, ANNOUNCED[:2], body=API_ZERO.read_bytes())
    first = run(ANNOUNCED[:2], fetcher, api, tmp_path)
    second = run(ANNOUNCED[:2], fetcher, api, tmp_path)
    assert first.papers == ANNOUNCED[:2]
    assert (first.asked, first.unknown, first.failed, first.warning) == (2, 2, 0, None)
    assert len(http_server.requests) == 2
    assert second.unknown == 2


def by_id(papers) -> dict[str, Paper]:
    return {paper.arxiv_id: paper for paper in papers}


def test_a_newer_version_gives_journal_ref_and_doi_but_not_its_comment(http_server, api, fetcher, tmp_path):
    answered = by_id(ANSWERED)["2204.08348"]  # v3 in the API, with a DOI and a journal ref
    assert answered.version == 3 and answered.comment and answered.doi and answered.journal_ref
    announced = replace(as_announced(answered), version=2)
    serve_answer(http_server, api, [announced])
    [enriched] = run([announced], fetcher, api, tmp_path).papers
    assert enriched.comment is None
    assert (enriched.journal_ref, enriched.doi) == (answered.journal_ref, answered.doi)
    assert enriched.version == 2
    run([announced], fetcher, api, tmp_path)
    assert len(http_server.requests) == 1  # the newer version's answer stays true for v2


def test_an_older_version_than_announced_is_used_but_asked_again(http_server, api, fetcher, tmp_path):
    answered = by_id(ANSWERED)["2204.08348"]
    announced = replace(as_announced(answered), version=4)  # the API has not caught up yet
    serve_answer(http_server, api, [announced])
    [enriched] = run([announced], fetcher, api, tmp_path).papers
    assert enriched.comment is None and enriched.doi == answered.doi
    run([announced], fetcher, api, tmp_path)
    assert len(http_server.requests) == 2


def test_announced_values_win_over_the_apis(http_server, api, fetcher, tmp_path):
    answered = by_id(ANSWERED)["2202.12139"]
    announced = replace(as_announced(answered), journal_ref="J. Announced 1", doi="10.1/announced")
    serve_answer(http_server, api, [announced])
    [enriched] = run([announced], fetcher, api, tmp_path).papers
    assert (enriched.journal_ref, enriched.doi) == ("J. Announced 1", "10.1/announced")
    assert enriched.comment == answered.comment


GAUDEL = by_id(ANSWERED)["0804.0970"]  # the API gives both authors an affiliation


@pytest.mark.parametrize(
    "authors, expected",
    [
        (  # the same people, written differently: the API's affiliations win over the RSS's
            (Author("Marie-Claude Gaudel", ("Paris-Sud",)), Author("PASCALE le gall")),
            (Author("Marie-Claude Gaudel", ("LRI",)), Author("PASCALE le gall", ("IBISC",))),
        ),
        (  # another author list (another version): left as announced
            (Author("Marie-Claude Gaudel"), Author("Pascale Le Gall"), Author("New Author")),
            (Author("Marie-Claude Gaudel"), Author("Pascale Le Gall"), Author("New Author")),
        ),
        (  # the same people in another order: left as announced
            (Author("Pascale Le Gall"), Author("Marie-Claude Gaudel")),
            (Author("Pascale Le Gall"), Author("Marie-Claude Gaudel")),
        ),
    ],
)
def test_affiliations_only_when_the_author_lists_match(
    http_server, api, fetcher, tmp_path, authors, expected
):
    announced = replace(as_announced(GAUDEL), authors=authors)
    serve_answer(http_server, api, [announced])
    [enriched] = run([announced], fetcher, api, tmp_path).papers
    assert enriched.authors == expected
    assert enriched.comment == GAUDEL.comment


def test_an_unreadable_cache_is_an_empty_one(http_server, api, fetcher, tmp_path):
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / CACHE_FILE).write_text('{"2202.12139v1": {"version": "x"}', encoding="utf-8")
    serve_answer(http_server, api, ANNOUNCED[:1])
    result = run(ANNOUNCED[:1], fetcher, api, tmp_path)
    assert result.papers == ANSWERED[:1]
    assert run(ANNOUNCED[:1], None, api, tmp_path).papers == ANSWERED[:1]  # rewritten, readable


def test_a_cache_that_cannot_be_written_is_a_warning(http_server, api, fetcher, tmp_path):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    serve_answer(http_server, api, ANNOUNCED[:1])
    result = enrich(ANNOUNCED[:1], fetcher=fetcher, api_url=api, cache_dir=not_a_folder)
    assert result.papers == ANSWERED[:1]
    assert result.warning.startswith("the arXiv API's answers were not cached: ")


def test_summary_line(http_server, api, fetcher, tmp_path):
    serve_answer(http_server, api, ANNOUNCED[:3])
    run(ANNOUNCED[:3], fetcher, api, tmp_path)
    serve_answer(http_server, api, ANNOUNCED[3:5], body=API_ZERO.read_bytes())
    result = run(ANNOUNCED[:5], fetcher, api, tmp_path)
    assert result.summary == "arXiv API: 3 papers from the cache, 2 asked (2 unknown to the API, 0 unanswered)"
