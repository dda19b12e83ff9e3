"""Add to announced papers what only the arXiv API knows: the authors' comments (venue,
pages, code links), journal reference, DOI and every author's affiliations.

arXiv's RSS carries none of the comments readers ask for. The API
(``export.arxiv.org/api/query?id_list=…``) is asked in batches through the caller's
``Fetcher``, so the same 3-second politeness covers the feeds and the API, and each
paper version's answer is kept in one JSON file in the cache folder: a paper is asked
once. The answer is parsed by ``arxiv.parse_feed``, by namespace, so the API's 2026
serialization reads like any other Atom.

Enrichment is a nicety: a failing API never raises. The papers go out as they came,
and the result says what was missed and why.

The API answers with a paper's newest version, which need not be the one the RSS
announced. What is taken from it:

- the comment only from the same version: comments change with versions ("v2: fixed
  Table 3") and would describe a text the reader is not sent to;
- journal reference and DOI from any version, where the RSS has none: they name the
  published article, which all versions share;
- affiliations only when the API lists the same authors, in the same order, as the
  RSS: the author list can change between versions.

An answer for an older version than announced (the API lags behind the announcement)
is used but not cached, so the next run asks again.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlencode

from feedbridge.arxiv import Author, Paper, parse_feed
from feedbridge.atomicfile import write_atomic
from feedbridge.config import DEFAULT_API_URL
from feedbridge.errors import FeedbridgeError, OutputError
from feedbridge.fetch import Fetcher

BATCH_SIZE = 100  # ids per request: a URL of about 1.3 KB and an answer of about 230 KB
CACHE_FILE = "arxiv-api.json"
# Answers kept, newest last. arXiv announces each version once, so an answer is wanted
# again only by reruns on the same day (or a feed that lagged): this is days of the
# busiest categories.
CACHE_LIMIT = 20_000


@dataclass(frozen=True)
class Answer:
    """What the API said about one paper: the facts enrichment may copy, and their version."""

    version: int
    comment: str | None
    journal_ref: str | None
    doi: str | None
    authors: tuple[Author, ...]

    @classmethod
    def of(cls, paper: Paper) -> Answer:
        return cls(paper.version, paper.comment, paper.journal_ref, paper.doi, paper.authors)

    def to_json(self) -> dict:
        return {
            "version": self.version,
            "comment": self.comment,
            "journal_ref": self.journal_ref,
            "doi": self.doi,
            "authors": [[a.name, list(a.affiliations)] for a in self.authors],
        }

    @classmethod
    def from_json(cls, data: dict) -> Answer:
        authors = tuple(Author(name, tuple(affiliations)) for name, affiliations in data["authors"])
        return cls(int(data["version"]), data["comment"], data["journal_ref"], data["doi"], authors)


@dataclass(frozen=True)
class EnrichmentResult:
    """The papers in the order given, enriched where an answer was found, and what happened.

    Counts are of distinct paper versions: a paper in two feeds counts once.
    """

    papers: tuple[Paper, ...]
    from_cache: int  # enriched from earlier runs' answers, not asked again
    asked: int  # to be looked up in the API this run: answered, unknown or failed
    unknown: int  # the API answered without an entry for them (not yet indexed): asked again next run
    failed: int  # not answered: a request failed, and the API was asked no more
    warning: str | None  # one line for the run's output when the API failed

    @property
    def summary(self) -> str:
        return (
            f"arXiv API: {self.from_cache} papers from the cache, {self.asked} asked "
            f"({self.unknown} unknown to the API, {self.failed} unanswered)"
        )


def query_url(api_url: str, arxiv_ids: Sequence[str]) -> str:
    """The API request for these ids; max_results, since the API answers 10 by default."""
    query = urlencode({"id_list": ",".join(arxiv_ids), "max_results": len(arxiv_ids)}, safe=",/")
    return f"{api_url}?{query}"


def enrich(
    papers: Sequence[Paper],
    *,
    fetcher: Fetcher | None,
    cache_dir: Path,
    api_url: str = DEFAULT_API_URL,
    batch_size: int = BATCH_SIZE,
) -> EnrichmentResult:
    """Enrich papers from the cache, asking the API for the rest; ``fetcher=None`` asks
    nothing (an offline build still gets what earlier runs learned).

    Never raises for the API or the cache: problems end up in ``warning``.
    """
    cache = _AnswerCache(Path(cache_dir) / CACHE_FILE)
    distinct = {_key(paper): paper for paper in papers}
    answers = {key: answer for key in distinct if (answer := cache.get(key)) is not None}
    to_ask = [paper for key, paper in distinct.items() if key not in answers]
    lookup = _Lookup({}, failed=0, error=None)
    if fetcher is not None and to_ask:
        lookup = _look_up(to_ask, fetcher, api_url, batch_size)
    warnings = [] if lookup.error is None else [
        f"{lookup.failed} papers go out without the arXiv API's comments: {lookup.error}"
    ]
    for key, answer in lookup.answers.items():
        if answer.version >= distinct[key].version:  # an older one: ask again next run
            cache.put(key, answer)
    try:
        cache.save()
    except OutputError as error:
        warnings.append(f"the arXiv API's answers were not cached: {error}")
    answers.update(lookup.answers)
    asked = len(to_ask) if fetcher is not None else 0
    return EnrichmentResult(
        papers=tuple(_apply(paper, answers.get(_key(paper))) for paper in papers),
        from_cache=len(answers) - len(lookup.answers),
        asked=asked,
        unknown=asked - lookup.failed - len(lookup.answers),
        failed=lookup.failed,
        warning="; ".join(warnings) or None,
    )


def unanswered(papers: Sequence[Paper], cache_dir: Path) -> list[Paper]:
    """The distinct paper versions ``enrich`` would ask the API about: those without a
    cached answer. Reads the cache and writes nothing (for ``build --dry-run``)."""
    cache = _AnswerCache(Path(cache_dir) / CACHE_FILE)
    distinct = {_key(paper): paper for paper in papers}
    return [paper for key, paper in distinct.items() if cache.get(key) is None]


def _key(paper: Paper) -> str:
    return f"{paper.arxiv_id}v{paper.version}"


@dataclass(frozen=True)
class _Lookup:
    answers: dict[str, Answer]  # by the announced paper's key
    failed: int  # papers whose batch was not answered
    error: str | None  # why, in one line


def _look_up(papers: list[Paper], fetcher: Fetcher, api_url: str, batch_size: int) -> _Lookup:
    """Ask the API batch by batch; after a failed batch ask no more: it is down or refusing
    us, and retrying each batch would only hold the feeds back."""
    answers: dict[str, Answer] = {}
    for start in range(0, len(papers), batch_size):
        batch = papers[start:start + batch_size]
        url = query_url(api_url, [paper.arxiv_id for paper in batch])
        try:
            found = {p.arxiv_id: p for p in parse_feed(fetcher.fetch(url).body, url).papers}
        except FeedbridgeError as error:
            return _Lookup(answers, failed=len(papers) - start, error=str(error))
        for paper in batch:
            if paper.arxiv_id in found:
                answers[_key(paper)] = Answer.of(found[paper.arxiv_id])
    return _Lookup(answers, failed=0, error=None)


def _apply(paper: Paper, answer: Answer | None) -> Paper:
    """Copy what is safe to copy from the answer, as the module docstring explains."""
    if answer is None:
        return paper
    return replace(
        paper,
        comment=answer.comment if answer.version == paper.version else paper.comment,
        journal_ref=paper.journal_ref or answer.journal_ref,
        doi=paper.doi or answer.doi,
        authors=_with_affiliations(paper.authors, answer.authors),
    )


def _with_affiliations(announced: tuple[Author, ...], answered: tuple[Author, ...]) -> tuple[Author, ...]:
    """The announced authors with the API's affiliations, when both list the same people."""
    if [_comparable(a.name) for a in announced] != [_comparable(a.name) for a in answered]:
        return announced
    return tuple(
        replace(mine, affiliations=theirs.affiliations or mine.affiliations)
        for mine, theirs in zip(announced, answered)
    )


def _comparable(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


class _AnswerCache:
    """The API's answers by announced paper version, in one JSON file, oldest first.

    A missing or unreadable file is an empty cache: it only saves requests.
    """

    def __init__(self, path: Path):
        self.path = path
        self._answers = self._load()
        self._changed = False

    def _load(self) -> dict[str, Answer]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return {key: Answer.from_json(value) for key, value in data.items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return {}

    def get(self, key: str) -> Answer | None:
        return self._answers.get(key)

    def put(self, key: str, answer: Answer) -> None:
        self._answers.pop(key, None)
        self._answers[key] = answer
        self._changed = True

    def save(self) -> None:
        """Write the newest CACHE_LIMIT answers, if anything was added."""
        if not self._changed:
            return
        kept = list(self._answers.items())[-CACHE_LIMIT:]
        data = {key: answer.to_json() for key, answer in kept}
        write_atomic(self.path, json.dumps(data, ensure_ascii=False, indent=0).encode("utf-8"))
