"""Verify a staged site before it may replace the published one.

A build assembles the new site in a staging folder; only a site in which nothing here
finds a problem is published, so that a bug, a crash or a full disk costs a day's update
and never the published feeds. The checks are what a feed reader, a person or the next
run would trip on:

- every configured feed has all its files (its feed writers' files and its archive), or,
  for a feed never published whose run did not build it, none of them;
- each archive loads; each Atom document is well-formed, valid against RFC 4287's RELAX NG
  grammar (``render/atom.rng``), read by feedparser without ``bozo``, and holds exactly
  its archive's entries in order, under the feed's own id;
- each feed has exactly its pages: its main page and one per earlier announcement day of
  the window its archive holds (just the main page when the archive cannot be read);
- the pages and the index parse as HTML with a body, the index links every page, the
  OPML lists every published feed, status.json names the configured feeds in order;
- no file is there that no writer writes (a temporary file a killed write left, a stray);
- compared with the previous site, no published entry is lost but by the window's rules,
  and no published feed is gone.

Each problem is one line naming the file or the feed. The site is only read.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from itertools import zip_longest
from pathlib import Path, PurePosixPath

import lxml.html
from lxml import etree

from feedbridge.archive import FeedArchive, archive_path
from feedbridge.archive_file import load
from feedbridge.config import INDEX, OPML, STATUS_FEED, STATUS_FILE, Config
from feedbridge.errors import FeedbridgeError
from feedbridge.model import FeedStatus
from feedbridge.render import FEED_WRITERS, PAGE_WRITERS, SITE_WRITERS
from feedbridge.render.atom import atom_path, entry_id, feed_id, read_back
from feedbridge.render.site import page_days, page_path

ATOM = "{http://www.w3.org/2005/Atom}"
# A feed never published that this run did not build (its first fetch failed, or --only
# left it out) has nothing to publish yet: it may have no files at all.
_NOT_BUILT = frozenset({str(FeedStatus.FAILED), str(FeedStatus.SKIPPED)})
# The site is our own output, but a verifier should not be the one place that expands entities.
_XML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


@dataclass(frozen=True)
class Problem:
    """One reason the site must not be published."""

    path: str  # the file (relative to the site root) or feed name it concerns
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def verify_site(
    site: Path, config: Config, base_url: str, previous: Mapping[str, FeedArchive] | None = None,
) -> list[Problem]:
    """Every problem found; [] means the site may be published.

    ``previous`` maps a feed name to the archive the previous published site had (only
    feeds that had one; a mapping that reads each when asked keeps one in memory at a
    time); None when the site is not compared with a previous state.
    ``base_url`` (ending with "/") is the one the site was built for: the OPML's URLs. A
    feed that is no longer configured is not looked for: its files are strays.
    """
    site = Path(site)
    names = [feed.name for feed in config.feeds]
    statuses, problems = _read_status(site, names)
    pages = {}
    for name in names:
        found, pages[name] = check_feed(site, name, config, (previous or {}).get(name), statuses.get(name))
        problems += found
    problems += _check_files(site, names, pages)
    problems += _check_pages(site, names, pages)
    problems += _check_opml(site, base_url, [name for name in names if (site / atom_path(name)).is_file()])
    if (site / STATUS_FEED).is_file():  # a missing one is named by _check_files
        problems += _valid_atom(site, STATUS_FEED)[1]
    if (size := site_bytes(site)) > config.max_site_bytes:
        problems.append(Problem(str(site), f"{size:,} bytes, over the budget of {config.max_site_bytes:,}"
                                           " (site.max_bytes; GitHub Pages refuses a site over 1 GB): shorten"
                                           " window.days or window.max_entries, or publish fewer feeds"))
    return problems


def site_bytes(site: Path) -> int:
    """The bytes of every file under the site, as Pages counts them."""
    return sum((Path(folder) / name).stat().st_size for folder, _, files in os.walk(site) for name in files)


# --- one feed ----------------------------------------------------------------------


def check_feed(site: Path, name: str, config: Config, previous: FeedArchive | None,
               status: str | None) -> tuple[list[Problem], tuple[str, ...]]:
    """One feed's own files: all there (none, for a feed never published that this run did
    not build), its archive readable, its Atom document valid and the archive's window, and
    no entry of ``previous`` (its archive in the published site, if it had one) lost but by
    the window's rules. ``status`` is the feed's status in the site's status.json.

    Also the feed's pages as its archive says they must be (one per announcement day of its
    window; just its main page when the archive cannot be read), read while it is loaded."""
    own = feed_files(name)
    missing = [path for path in own if not (site / path).is_file()]
    if missing:
        archive = None if archive_path(name) in missing else _load_archive(site, name)[0]
        return _missing_feed(name, own, missing, previous, status), _pages(name, archive)
    archive, problems = _load_archive(site, name)
    problems += _check_atom(site, name, archive)
    if previous is not None and archive is not None:
        problems += _lost_entries(name, previous, archive, config.max_entries)
    return problems, _pages(name, archive)


def _pages(name: str, archive: FeedArchive | None) -> tuple[str, ...]:
    """The feed's pages for the window ``archive`` holds; its main page alone without one."""
    return page_files(name, page_days(archive.entries) if archive is not None else ())


def feed_files(name: str) -> tuple[str, ...]:
    """A feed's own files, which a run writes together or not at all: its feed writers'
    files and its archive."""
    return (*(path for writer in FEED_WRITERS for path in writer.files(name)), archive_path(name))


def _missing_feed(name: str, own: Sequence[str], missing: Sequence[str], previous: FeedArchive | None,
                  status: str | None) -> list[Problem]:
    """A feed with some or all of its files missing: a problem unless it was never
    published and this run did not build it, and then only if none is there."""
    if len(missing) < len(own):
        if status in _NOT_BUILT and atom_path(name) not in missing and archive_path(name) not in missing:
            # Carried byte for byte from a site an earlier release published, before a
            # writer that makes the missing files existed (the JSON Feed, 0.2): the next
            # run that builds the feed writes them.
            return []
        present = ", ".join(path for path in own if path not in missing)
        return [Problem(path, f"missing, while the feed's other files are there ({present})") for path in missing]
    if previous is not None:
        return [Problem(name, f"was published, is gone: none of {', '.join(own)} is in the site")]
    if status in _NOT_BUILT:
        return []
    return [Problem(name, f"missing: none of {', '.join(own)} is in the site, though status.json"
                          f" says {status or 'nothing of it'} (only a new feed not built this run may have none)")]


def _load_archive(site: Path, name: str) -> tuple[FeedArchive | None, list[Problem]]:
    """The feed's archive as the next run will read it back; None if it cannot be."""
    path = archive_path(name)
    try:
        return load((site / path).read_bytes(), path), []
    except FeedbridgeError as err:
        return None, [Problem(path, str(err).removeprefix(f"{path}: "))]


def _check_atom(site: Path, name: str, archive: FeedArchive | None) -> list[Problem]:
    """The Atom document as a validator and a feed reader see it, and as its archive says
    it must be (when the archive loaded): a feed that does not match its archive would
    change under its readers on the next run."""
    path = atom_path(name)
    root, problems = _valid_atom(site, path)
    if root is None:
        return problems
    if (found := root.findtext(f"{ATOM}id")) != feed_id(name):
        problems.append(Problem(path, f"its feed id is {found}, not the feed's own {feed_id(name)}"))
    if archive is not None:
        problems += _check_entry_ids(path, root, name, archive)
    return problems


def _valid_atom(site: Path, path: str) -> tuple[etree._Element | None, list[Problem]]:
    """An Atom document of the site as a validator and a feed reader see it; its root,
    None when it is not XML."""
    data = (site / path).read_bytes()
    try:
        root = etree.fromstring(data, _XML)
    except etree.XMLSyntaxError as err:
        return None, [Problem(path, f"not well-formed XML: {err}")]
    problems = []
    grammar = _atom_grammar()
    if not grammar.validate(root):
        error = grammar.error_log[0]
        problems.append(Problem(path, f"not valid Atom (RFC 4287's RELAX NG), line {error.line}: {error.message}"))
    read = read_back(data)
    if read.broken:
        problems.append(Problem(path, f"feedparser reads it as broken (bozo): {read.broken}"))
    elif read.version != "atom10":
        problems.append(Problem(path, f"feedparser does not read it as Atom 1.0 but as {read.version or 'unknown'}"))
    return root, problems


@cache
def _atom_grammar() -> etree.RelaxNG:
    """RFC 4287's grammar (Appendix B), shipped with the writers; loaded once per process."""
    return etree.RelaxNG(etree.fromstring(resources.files("feedbridge.render").joinpath("atom.rng").read_bytes()))


def _check_entry_ids(path: str, root: etree._Element, name: str, archive: FeedArchive) -> list[Problem]:
    """The feed's entries are the archive's, in its order (newest first)."""
    found = [entry.findtext(f"{ATOM}id") for entry in root.iterfind(f"{ATOM}entry")]
    expected = [entry_id(e.paper.arxiv_id, e.translated.target_lang) for e in archive.entries]
    if found == expected:
        return []
    at = next(i for i, (a, b) in enumerate(zip_longest(found, expected)) if a != b)
    where = f", arXiv {archive.entries[at].paper.arxiv_id} in the archive" if at < len(expected) else ""
    return [Problem(path, f"its entries do not match {archive_path(name)}: {len(found)} entries against"
                          f" the archive's {len(expected)}, the first difference at entry {at + 1}{where}")]


def _lost_entries(name: str, previous: FeedArchive, archive: FeedArchive, max_entries: int) -> list[Problem]:
    """Every published entry the new archive dropped must have left by the window's rules
    (``archive.merge``): its day is older than the window's first day, or the window is
    full and the entry is not newer than the oldest one kept."""
    kept = {entry.paper.arxiv_id for entry in archive.entries}
    full = bool(archive.entries) and len(archive.entries) == max_entries
    problems = []
    for entry in previous.entries:
        if entry.paper.arxiv_id in kept:
            continue
        if archive.days and entry.updated.date() < archive.days[0]:
            continue
        if full and entry.updated <= archive.entries[-1].updated:
            continue
        problems.append(Problem(name, f"lost arXiv {entry.paper.arxiv_id} (updated {entry.updated.date()}):"
                                      " published before, and neither older than the window's days nor"
                                      " pushed out of a full window"))
    return problems


# --- the site around the feeds -----------------------------------------------------


def _read_status(site: Path, names: Sequence[str]) -> tuple[dict[str, str], list[Problem]]:
    """Each feed's status by name (check_feed needs it), and whether status.json names the
    configured feeds in config order; a missing status.json is told by _check_files."""
    path = site / STATUS_FILE
    if not path.is_file():
        return {}, []
    try:
        feeds = json.loads(path.read_bytes())["feeds"]
        statuses = {feed["name"]: feed["status"] for feed in feeds}
        listed = [feed["name"] for feed in feeds]
    except (ValueError, KeyError, TypeError) as err:
        return {}, [Problem(STATUS_FILE, f"not a feedbridge status ({type(err).__name__}: {err})")]
    if listed == list(names):
        return statuses, []
    told = []
    if absent := [name for name in names if name not in listed]:
        told.append(f"lacks {', '.join(absent)}")
    if extra := [name for name in listed if name not in names]:
        told.append(f"names {', '.join(extra)}, which the config does not")
    return statuses, [Problem(STATUS_FILE, "; ".join(told) or f"lists {', '.join(listed)}, not the config's order")]


def _check_files(site: Path, names: Sequence[str], pages: Mapping[str, Sequence[str]]) -> list[Problem]:
    """The site-wide files and every feed's ``pages`` are all there, and nothing is there
    that no writer writes: a temporary file a killed write left, a page of a day the window
    no longer holds, or anything else would be published with the site."""
    site_wide = [*_site_wide_files(names), *(path for name in names for path in pages[name]), STATUS_FILE]
    expected = set(site_wide).union(*(feed_files(name) for name in names))
    problems = [Problem(path, "missing") for path in site_wide if not (site / path).is_file()]
    for path in sorted(_files_under(site)):
        if path not in expected:
            temporary = PurePosixPath(path).name.startswith(".")
            problems.append(Problem(path, "a temporary file left by an interrupted write" if temporary
                                    else "not part of the site"))
    return problems


def _site_wide_files(names: Sequence[str]) -> list[str]:
    """What the site writers write for these feeds: the index, the OPML, the stylesheet, the status feed."""
    return [path for writer in SITE_WRITERS for path in writer.files(names)]


def page_files(name: str, days: Sequence[date] = ()) -> tuple[str, ...]:
    """What the page writers write for a feed, on every run, when its window's entries were
    announced on ``days`` (``render.site.page_days``): its page, and one per earlier day."""
    return tuple(path for writer in PAGE_WRITERS for path in writer.files(name, days))


def _files_under(site: Path) -> Iterator[str]:
    """Every file under the site, hidden ones included, relative to its root."""
    for folder, _, files in os.walk(site):
        for file in files:
            yield (Path(folder) / file).relative_to(site).as_posix()


def _check_pages(site: Path, names: Sequence[str], pages: Mapping[str, Sequence[str]]) -> list[Problem]:
    """Every HTML file parses with a body, and the index links every feed's page; one
    page at a time, so that a site of many feeds is checked in the memory of one."""
    problems = []
    index = None
    for path in [*_site_wide_files(names), *(path for name in names for path in pages[name])]:
        if path.endswith(".html") and (site / path).is_file():
            page, found = _read_page(site, path)
            problems += found
            index = page if path == INDEX else index
    if index is not None:
        links = {a.get("href") for a in index.iter("a")}
        if unlinked := [page_path(name) for name in names if page_path(name) not in links]:
            problems.append(Problem(INDEX, f"does not link {', '.join(unlinked)}"))
    return problems


def _read_page(site: Path, path: str) -> tuple[lxml.html.HtmlElement | None, list[Problem]]:
    """A page as a browser builds it; lxml, like a browser, takes almost anything, so a page
    cut off before its body is what this catches."""
    try:
        page = lxml.html.document_fromstring((site / path).read_bytes())
    except etree.ParserError as err:
        return None, [Problem(path, f"not an HTML page: {err}")]
    if page.find("body") is None:
        return None, [Problem(path, "an HTML page without a body")]
    return page, []


def _check_opml(site: Path, base_url: str, published: Sequence[str]) -> list[Problem]:
    """The OPML subscribes a reader to every published feed, and to nothing the site lacks."""
    path = site / OPML
    if not path.is_file():
        return []
    try:
        root = etree.fromstring(path.read_bytes(), _XML)
    except etree.XMLSyntaxError as err:
        return [Problem(OPML, f"not well-formed XML: {err}")]
    listed = {outline.get("xmlUrl") for outline in root.iter("outline")} - {None}
    expected = [base_url + atom_path(name) for name in published]
    problems = [Problem(OPML, f"does not list {url}") for url in expected if url not in listed]
    problems += [Problem(OPML, f"lists {url}, which the site does not hold") for url in sorted(listed - set(expected))]
    return problems
