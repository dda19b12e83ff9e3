"""Add to announced papers what only the arXiv API knows: the authors' comments (venue,
pages, code links), journal reference, DOI and every author's affiliations.

arXiv's RSS carries none of the comments readers ask for. The API
(``export.arxiv.org/api/query?id_list=…``) is asked in batches through the caller's
``Fetcher``, so the same 3-second politeness covers the feeds and the API, and each
paper version's answer is kept in one JSON file in the cache folder: a paper is asked
once. The answer is read by `parse_atom` below, by namespace, so the API's 2026
serialization reads like any other Atom; `arxiv_rss.parse_feed` hands it the RSS
service's Atom feeds (rss.arxiv.org/atom/<cat>) too.

Enrichment is a nicety: a failing API never raises. The papers go out as they came,
and the result says what was missed and why.

The API answers with a paper's newest version, which need not be the one the RSS
announced. What is taken from it:

- when the version was submitted, and the first one, only from the same version (for
  the first, any): the feeds give each entry the day arXiv received it, where the RSS
  gives every entry of a day the same midnight;
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
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from pathlib import Path
from urllib.parse import unquote, urlencode

from lxml import etree

from feedbridge.atomicfile import write_atomic
from feedbridge.config import DEFAULT_API_URL
from feedbridge.errors import FeedbridgeError, OutputError
from feedbridge.fetch import Fetcher
from feedbridge.model import Author, Paper, SourceFeed
from feedbridge.sources.arxiv_links import arxiv_links
from feedbridge.sources.arxiv_text import clean_name, html_to_text, iso_date, joined, quoted
from feedbridge.sources.arxiv_xml import (
    ARXIV,
    ATOM,
    DC,
    Unusable,
    announce_type,
    date_of,
    id_and_version,
    optional_text,
    read_announcement,
    read_feed,
    read_items,
    refuse_error_channel,
    require_arxiv_address,
    split_authors,
    text_of,
    unique,
)

BATCH_SIZE = 100  # ids per request: a URL of about 1.3 KB and an answer of about 230 KB
CACHE_FILE = "arxiv-api.json"
# Answers kept, newest last. arXiv announces each version once, so an answer is wanted
# again only by reruns on the same day (or a feed that lagged): this is days of the
# busiest categories.
CACHE_LIMIT = 20_000
_DOI_URL = re.compile(r"https?://(?:dx\.)?doi\.org/", re.IGNORECASE)


@dataclass(frozen=True)
class Answer:
    """What the API said about one paper: the facts enrichment may copy, and their version."""

    version: int
    comment: str | None
    journal_ref: str | None
    doi: str | None
    authors: tuple[Author, ...]
    submitted: datetime | None = None  # when this version was received
    first_submitted: datetime | None = None  # when the first was

    @classmethod
    def of(cls, paper: Paper) -> Answer:
        return cls(paper.version, paper.comment, paper.journal_ref, paper.doi, paper.authors, paper.submitted,
                   paper.first_submitted)

    def to_json(self) -> dict:
        return {
            "version": self.version,
            "comment": self.comment,
            "journal_ref": self.journal_ref,
            "doi": self.doi,
            "authors": [[a.name, list(a.affiliations)] for a in self.authors],
            "submitted": self.submitted.isoformat() if self.submitted else None,
            "first_submitted": self.first_submitted.isoformat() if self.first_submitted else None,
        }

    @classmethod
    def from_json(cls, data: dict) -> Answer:
        """An answer as the cache kept it; one cached before dates were kept has none."""
        authors = tuple(Author(name, tuple(affiliations)) for name, affiliations in data["authors"])
        dates = [datetime.fromisoformat(data[key]) if data.get(key) else None for key in ("submitted", "first_submitted")]
        return cls(int(data["version"]), data["comment"], data["journal_ref"], data["doi"], authors, *dates)


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

    def __add__(self, other: EnrichmentResult) -> EnrichmentResult:
        """Two runs of ``enrich`` (a build's passes) counted together; the papers are each one's."""
        return EnrichmentResult(
            (), self.from_cache + other.from_cache, self.asked + other.asked, self.unknown + other.unknown,
            self.failed + other.failed, "; ".join(w for w in (self.warning, other.warning) if w) or None,
        )

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
    saved_dir: Path | None = None,
) -> EnrichmentResult:
    """Enrich papers from the cache, asking the API for the rest; ``fetcher=None`` asks
    nothing (an offline build still gets what earlier runs learned).

    ``saved_dir`` is the folder ``feedbridge fetch`` saves a run's inputs in: the answers
    kept there (its arxiv-api.json, in the cache's format) are read as well as the cache's,
    and the cache learns them; with a ``fetcher`` (fetch itself), every answer this
    enrichment uses is kept there too, so that a build from the folder gets what an
    online build would have.

    Never raises for the API or the cache: problems end up in ``warning``.
    """
    cache = _AnswerCache(Path(cache_dir) / CACHE_FILE)
    saved = _AnswerCache(Path(saved_dir) / CACHE_FILE, limit=None) if saved_dir is not None else None
    distinct = {_key(paper): paper for paper in papers}
    answers = {key: answer for key in distinct if (answer := cache.get(key)) is not None}
    learned = {key: answer for key in distinct
               if key not in answers and saved is not None and (answer := saved.get(key)) is not None}
    answers.update(learned)
    to_ask = [paper for key, paper in distinct.items() if key not in answers]
    lookup = _Lookup({}, failed=0, error=None)
    if fetcher is not None and to_ask:
        lookup = _look_up(to_ask, fetcher, api_url, batch_size)
    warnings = [] if lookup.error is None else [
        f"{lookup.failed} papers go out without the arXiv API's comments: {lookup.error}"
    ]
    for key, answer in {**learned, **lookup.answers}.items():
        if answer.version >= distinct[key].version:  # an older one: ask again next run
            cache.put(key, answer)
    answers.update(lookup.answers)
    kept = [(cache, "cached")]
    if saved is not None and fetcher is not None:
        for key, answer in answers.items():
            saved.put(key, answer)
        kept.append((saved, f"saved in {saved_dir}"))
    for where, what in kept:
        try:
            where.save()
        except OutputError as error:
            warnings.append(f"the arXiv API's answers were not {what}: {error}")
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
            found = {p.arxiv_id: p for p in parse_answer(fetcher.fetch(url).body, url).papers}
        except FeedbridgeError as error:
            return _Lookup(answers, failed=len(papers) - start, error=str(error))
        for paper in batch:
            if paper.arxiv_id in found:
                answers[_key(paper)] = Answer.of(found[paper.arxiv_id])
    return _Lookup(answers, failed=0, error=None)


def parse_answer(data: bytes, url: str) -> SourceFeed:
    """One answer of the API, which speaks only Atom: any other document is refused."""
    return read_feed(data, url, {ATOM + "feed": parse_atom})


def _apply(paper: Paper, answer: Answer | None) -> Paper:
    """Copy what is safe to copy from the answer, as the module docstring explains; the
    links are derived again, since the code link is read from the comment."""
    if answer is None:
        return paper
    same = answer.version == paper.version
    comment = answer.comment if same else paper.comment
    return replace(
        paper,
        comment=comment,
        submitted=paper.submitted or (answer.submitted if same else None),
        first_submitted=paper.first_submitted or answer.first_submitted,
        links=arxiv_links(paper.arxiv_id, paper.version, comment),
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

    def __init__(self, path: Path, limit: int | None = CACHE_LIMIT):
        self.path = path
        self.limit = limit  # answers kept; None: all (a run's saved inputs)
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
        """Write the newest ``limit`` answers, if anything was added."""
        if not self._changed:
            return
        kept = list(self._answers.items())[-self.limit:] if self.limit is not None else list(self._answers.items())
        data = {key: answer.to_json() for key, answer in kept}
        write_atomic(self.path, json.dumps(data, ensure_ascii=False, indent=0).encode("utf-8"))


# --- Atom (the API's answers, and rss.arxiv.org/atom/<cat>) ---------------------


def parse_atom(root: etree._Element) -> SourceFeed:
    """An Atom document's papers; arXiv's error answers, and a feed not on arxiv.org, are refused."""
    title = text_of(root.find(ATOM + "title"))
    refuse_error_channel(title)
    entries = list(root.iterfind(ATOM + "entry"))
    for entry in entries:
        if "arxiv.org/api/errors" in text_of(entry.find(ATOM + "id")):
            message = text_of(entry.find(ATOM + "summary")) or text_of(entry.find(ATOM + "title"))
            raise Unusable(f"the arXiv API answered with an error: {quoted(message)}")
    addresses = [text_of(root.find(ATOM + "id"))]
    addresses += [link.get("href", "") for link in root.iterfind(ATOM + "link")]
    require_arxiv_address(addresses)
    announced = iso_date(text_of(root.find(ATOM + "updated")))
    return read_items(title, announced, entries, partial(_atom_paper, feed_date=announced))


def _atom_paper(entry: etree._Element, feed_date: datetime | None) -> Paper:
    """An entry of either Atom shape: the RSS service's (announce prefix, dc:creator) or
    the API's (plain summary, <author> with arxiv:affiliation, arxiv:primary_category)."""
    announcement = read_announcement(_atom_text(entry.find(ATOM + "summary")))
    title = _atom_text(entry.find(ATOM + "title"))
    arxiv_id, version = id_and_version(text_of(entry.find(ATOM + "id")), announcement, title)
    published = iso_date(text_of(entry.find(ATOM + "published")))
    updated = iso_date(text_of(entry.find(ATOM + "updated")))
    comment = optional_text(entry.find(ARXIV + "comment"))
    return Paper(
        arxiv_id=arxiv_id,
        version=version,
        title=joined(title),
        abstract=announcement.abstract,
        authors=_atom_authors(entry),
        categories=_atom_categories(entry),
        announce_type=announce_type(entry, announcement),
        announced=date_of(arxiv_id, published, updated, feed_date),
        links=arxiv_links(arxiv_id, version, comment),
        doi=(
            optional_text(entry.find(ARXIV + "doi"))
            or optional_text(entry.find(ARXIV + "DOI"))
            or _doi_from_link(entry)
        ),
        journal_ref=(
            optional_text(entry.find(ARXIV + "journal_ref"))
            or optional_text(entry.find(ARXIV + "journal_reference"))
        ),
        license=optional_text(entry.find(DC + "rights")) or optional_text(entry.find(ATOM + "rights")),
        comment=comment,
        submitted=updated,
        first_submitted=published,
    )


def _doi_from_link(entry: etree._Element) -> str | None:
    """The API also gives the DOI as `<link title="doi" href="https://doi.org/…">`."""
    for link in entry.iterfind(ATOM + "link"):
        href = link.get("href", "")
        if link.get("title") == "doi" and _DOI_URL.match(href):
            return unquote(_DOI_URL.sub("", href, count=1)) or None
    return None


def _atom_text(element: etree._Element | None) -> str:
    """An Atom text construct: type="html" is markup to read as text; text and xhtml are text."""
    if element is not None and element.get("type") == "html":
        return html_to_text(text_of(element))
    return text_of(element)


def _atom_authors(entry: etree._Element) -> tuple[Author, ...]:
    creators = [text_of(c) for c in entry.iterfind(DC + "creator")]
    if creators:
        return split_authors(", ".join(creators))
    authors = []
    for author in entry.iterfind(ATOM + "author"):
        name = clean_name(text_of(author.find(ATOM + "name")))
        affiliations = unique(
            [clean_name(text_of(a)) for a in author.iterfind(ARXIV + "affiliation")]
        )
        if name:
            authors.append(Author(name, affiliations))
    return tuple(authors)


def _atom_categories(entry: etree._Element) -> tuple[str, ...]:
    """arxiv:primary_category first when the API gives one, then the categories in order."""
    primary = entry.find(ARXIV + "primary_category")
    terms = [] if primary is None else [primary.get("term", "")]
    terms += [category.get("term", "") for category in entry.iterfind(ATOM + "category")]
    return unique([joined(term) for term in terms])
