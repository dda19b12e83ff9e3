"""Real feed readers' parsers reading a built site, for tests/test_readers.py.

A site is built from the fixtures with the trained toy model (two announcement days of the
golden scenario, ``support/site_scenario.py``). Each client reads one feed file and gives
back the same shape, whatever its language:

    {"title": feed title,
     "items": [{"title", "content", "summary", "authors", "links", "id", "updated", "published"}]}

``content`` is the body the client exposes as its main content (HTML, or text where the
client strips tags: ``Client.content_is_html``), ``summary`` what it exposes separately as
a summary (gofeed's ``Description``), ``authors`` the names it exposes (None where it has
no author model), ``links`` every URL it hands a program for the item, enclosures and
attachments included. The Go and Node programs that print it are in tests/clients/.

What is expected of each entry comes from the feed's archive (``archive/<feed>.json``,
read with feedbridge's own loader), never from the feed file the clients read: the
translated title, the translated sentences, the original abstract, the authors and the
arXiv pages.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import feedparser
from lxml import etree
from lxml import html as lxml_html

from support.paths import REPO

ATOM = "{http://www.w3.org/2005/Atom}"
CLIENTS_DIR = REPO / "tests" / "clients"
NODE_MODULES = REPO / ".cache" / "npm" / "node_modules"  # `make test` installs them there
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
GOFEED_SOURCE = Path("/usr/share/gocode/src/github.com/mmcdole/gofeed")  # Debian's golang-github-mmcdole-gofeed-dev
GOPATH = GOFEED_SOURCE.parents[3]
TIMEOUT = 120  # seconds a client may take for one feed file

# The scenario's feeds that are published (cs.AI.ja fails every day: no file), and those
# among them that hold entries after two days (physics.ja's source is an empty holiday).
FEEDS = ("entanglement.ja", "hep-ex.ja", "physics.ja", "quant-ph.de", "quant-ph.ja")
FEEDS_WITH_ENTRIES = ("entanglement.ja", "hep-ex.ja", "quant-ph.de", "quant-ph.ja")
DAYS = 2  # days of the scenario built: new papers, cross-lists, replacements, a changed abstract


@dataclass(frozen=True)
class Client:
    name: str
    # how its author model holds a paper's authors: "list" (each name), "first" (the first
    # author only), "joined" (one string, the names joined by ", "), or None (no model)
    authors: str | None
    content_is_html: bool  # False: it strips the tags (its links are then in `links` only)
    # whether `summary` must hold the abstracts too (issue 15: gofeed's Description)
    summary_checked: bool = False


FEEDPARSER = Client("feedparser", "list", True)
GOFEED = Client("gofeed", "list", True, summary_checked=True)
RSS_PARSER = Client("rss-parser", "first", True)
FEED_EXTRACTOR = Client("feed-extractor", None, False)
FEEDSMITH = Client("feedsmith", "list", True)
NEWSBOAT = Client("newsboat", "joined", True)
CLIENTS = (FEEDPARSER, GOFEED, RSS_PARSER, FEED_EXTRACTOR, FEEDSMITH, NEWSBOAT)
JSON_FEED_CLIENTS = (FEED_EXTRACTOR, FEEDSMITH)  # they read JSON Feed 1.1 as well
NODE_SCRIPTS = {RSS_PARSER.name: "rss_parser.cjs", FEED_EXTRACTOR.name: "feed_extractor.cjs",
                FEEDSMITH.name: "feedsmith.cjs"}
NODE_PACKAGES = {RSS_PARSER.name: "rss-parser", FEED_EXTRACTOR.name: "@extractus/feed-extractor",
                 FEEDSMITH.name: "feedsmith"}


# --- the site ------------------------------------------------------------------------


def build_site_apart(root: Path) -> Path:
    """``build_site`` with the models, packages and cache in folders of ``root``'s own, for a
    site a module builds once (the autouse isolation is per test)."""
    import pytest

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FEEDBRIDGE_MODELS_DIR", str(root / "models"))
        patch.setenv("FEEDBRIDGE_CACHE_DIR", str(root / "cache"))
        patch.setenv("ARGOS_PACKAGES_DIR", str(root / "argos-packages"))
        patch.setenv("ARGOS_PACKAGE_INDEX", "http://127.0.0.1:9/")
        return build_site(root / "scene")


def build_site(root: Path) -> Path:
    """The golden scenario's first DAYS days built into root/out with the toy model (the
    caller points FEEDBRIDGE_MODELS_DIR, FEEDBRIDGE_CACHE_DIR and ARGOS_PACKAGES_DIR at
    folders of its own); returns the output folder."""
    from support.site_scenario import SCENARIO_CLOCKS, TOY_CONFIG, add_toy_models, build, save_day, scenario_days

    add_toy_models()
    root.mkdir(parents=True, exist_ok=True)
    (root / "feeds.yaml").write_text(TOY_CONFIG)
    for number, (documents, now) in enumerate(zip(scenario_days()[:DAYS], SCENARIO_CLOCKS[:DAYS]), start=1):
        saved = save_day(root / f"saved{number}", documents)
        _, report = build(root, "--from-dir", str(saved), "--offline", "--json", "--now", now)
        # cs.AI fails every day (its saved feed is missing): the run is partial, and publishes
        assert json.loads(report)["published"] is True, report.decode(errors="replace")
    return root / "out"


@dataclass(frozen=True)
class Expected:
    """One entry as the archive says it was published."""

    id: str  # the Atom entry id
    arxiv_id: str
    title: str  # the translated title
    original_title: str
    sentences: tuple[str, ...]  # the translated abstract, sentence by sentence, in order
    not_translated: tuple[str, ...]  # source sentences whose target lacks the toy model's mark
    abstract: str  # the original abstract
    authors: tuple[str, ...]
    abstract_page: re.Pattern[str]
    pdf: re.Pattern[str]
    updated: datetime  # the latest version's announcement


def expected_entries(site: Path, feed: str) -> list[Expected]:
    """Each entry of the feed, from its archive."""
    from feedbridge.archive_file import load
    from feedbridge.render.atom import entry_id
    from feedbridge.tex import letters

    archive = load((site / "archive" / f"{feed}.json").read_bytes(), f"archive/{feed}.json")
    expected = []
    for entry in archive.entries:
        translated = entry.translated
        paper = translated.paper
        title = translated.title.translated_text
        assert title is not None, f"{feed}: the toy model translated no part of {paper.arxiv_id}'s title"
        quoted = re.escape(paper.arxiv_id)
        expected.append(Expected(  # as shown: TeX accents as letters (feedbridge.tex.letters)
            id=entry_id(paper.arxiv_id, translated.target_lang),
            arxiv_id=paper.arxiv_id,
            title=letters(title),
            original_title=letters(paper.title),
            sentences=tuple(letters(pair.target) for pair in translated.abstract.sentences),
            not_translated=tuple(pair.source for pair in (*translated.title.sentences, *translated.abstract.sentences)
                                 if not looks_translated(pair.source, pair.target)),
            abstract=letters(paper.abstract),
            authors=tuple(author.name for author in paper.authors),
            # the abstract page, with or without a version; the PDF of any version
            abstract_page=re.compile(rf"https?://arxiv\.org/abs/{quoted}(?:v[0-9]+)?"),
            pdf=re.compile(rf"https?://arxiv\.org/pdf/{quoted}(?:v[0-9]+)?(?:\.pdf)?"),
            updated=entry.updated,
        ))
    return expected


def looks_translated(source: str, target: str) -> bool:
    """The toy model's mark (tests/test_toy_model.py): its output sets Latin letters in
    fullwidth forms, so a translated sentence differs from its source and holds some."""
    return target != source and re.search("[\uff01-\uff5e]", target) is not None


# --- the clients ---------------------------------------------------------------------


def have_node_client(client: Client) -> bool:
    package = NODE_MODULES / NODE_PACKAGES[client.name] / "package.json"
    return shutil.which("node") is not None and package.exists()


def have_gofeed() -> bool:
    return shutil.which("go") is not None and GOFEED_SOURCE.is_dir()


def have_newsboat() -> bool:
    return shutil.which("newsboat") is not None


def have_vnu() -> bool:
    return shutil.which("java") is not None and VNU_JAR.exists()


def build_gofeed(folder: Path) -> Path:
    """tests/clients/gofeed_json.go compiled in GOPATH mode against Debian's Go sources,
    offline (no module proxy, no network); returns the program."""
    folder.mkdir(parents=True, exist_ok=True)
    program = folder / "gofeed_json"
    environment = {
        **os.environ, "GO111MODULE": "off", "GOPATH": str(GOPATH), "GOCACHE": str(folder / "go-build"),
        "GOPROXY": "off", "GOFLAGS": "", "CGO_ENABLED": "0", "HOME": str(folder),
    }
    subprocess.run(["go", "build", "-o", str(program), str(CLIENTS_DIR / "gofeed_json.go")],
                   env=environment, check=True, capture_output=True, text=True, timeout=600)
    return program


def run_json(command: list[str], what: str, env: dict[str, str] | None = None) -> dict:
    """Run a client program; its stdout is the common shape."""
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, env=env)
    assert done.returncode == 0, f"{what} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}"
    return json.loads(done.stdout)


def read_with_node(client: Client, path: Path) -> dict:
    environment = {**os.environ, "NODE_PATH": str(NODE_MODULES)}
    script = CLIENTS_DIR / NODE_SCRIPTS[client.name]
    return run_json(["node", str(script), str(path)], f"{client.name} reading {path.name}", environment)


def read_with_gofeed(program: Path, path: Path) -> dict:
    return run_json([str(program), str(path)], f"gofeed reading {path.name}")


def read_with_feedparser(path: Path) -> dict:
    """feedparser as feedparser-based readers call it (sanitizing, as it does by default)."""
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, f"feedparser: {parsed.get('bozo_exception')}"
    items = []
    for entry in parsed.entries:
        content = entry.get("content")
        items.append({
            "title": entry.get("title"),
            "content": content[0].value if content else None,
            # feedparser copies the content into summary when an Atom entry has none
            "summary": entry.get("summary") if "summary_detail" in entry else None,
            "authors": [author.get("name") for author in entry.get("authors", [])],
            "links": [link.get("href") for link in entry.get("links", [])],
            "id": entry.get("id"),
            "updated": entry.get("updated"),
            "published": entry.get("published"),
        })
    return {"title": parsed.feed.get("title"), "items": items}


def read_with_newsboat(path: Path, folder: Path) -> dict:
    """newsboat reloads the file (a file:// URL) into a cache of its own, as
    tests/test_newsboat.py does over HTTP, and what it keeps of each item is read from the
    cache: what its article view renders. One cache per feed, as for a reader subscribed
    to that feed alone: newsboat keeps an item id once across all its feeds, so a paper in
    two subscribed feeds (quant-ph.ja and entanglement.ja share their entry ids) is listed
    under one of them only."""
    folder.mkdir(parents=True, exist_ok=True)
    home = folder / "home"
    home.mkdir(exist_ok=True)
    url = path.resolve().as_uri()
    (folder / "urls").write_text(f"{url}\n", encoding="utf-8")
    (folder / "config").write_text("confirm-exit no\n", encoding="utf-8")
    cache = folder / "cache.db"
    done = subprocess.run(
        ["newsboat", "-u", str(folder / "urls"), "-c", str(cache), "-C", str(folder / "config"),
         "-x", "reload", "print-unread"],
        env={**os.environ, "HOME": str(home), "TERM": "xterm"}, capture_output=True, text=True, timeout=TIMEOUT,
    )
    assert done.returncode == 0, f"newsboat failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}"
    with sqlite3.connect(cache) as db:
        titles = db.execute("SELECT title FROM rss_feed WHERE rssurl = ?", (url,)).fetchall()
        rows = db.execute("SELECT guid, title, author, url, content, enclosure_url, pubDate FROM rss_item"
                          " WHERE feedurl = ? AND deleted = 0 ORDER BY id", (url,)).fetchall()
    return {
        "title": titles[0][0] if titles else None,
        "items": [
            {"title": title, "content": content, "summary": None, "authors": [author] if author else [],
             "links": [link for link in (link, enclosure) if link], "id": guid, "updated": None,
             "published": published}
            for guid, title, author, link, content, enclosure, published in rows
        ],
    }


# --- what a client shows -------------------------------------------------------------


def plain(text: str | None, is_html: bool) -> str:
    """The text a reader shows: markup and entities resolved, whitespace runs as one space."""
    if not text:
        return ""
    if is_html:
        fragment = lxml_html.fragment_fromstring(text, create_parent="div")
        for br in fragment.iter("br"):
            br.tail = " " + (br.tail or "")
        # a block's text never runs into the next block's
        for element in fragment.iter():
            if isinstance(element.tag, str) and element.tag in {"p", "div", "h1", "h2", "h3", "li", "small"}:
                element.tail = " " + (element.tail or "")
        text = fragment.text_content()
    else:
        text = html.unescape(text)
    return " ".join(text.split())


def hrefs(text: str | None) -> list[str]:
    """Every <a href> of an HTML body."""
    if not text:
        return []
    fragment = lxml_html.fragment_fromstring(text, create_parent="div")
    return [a.get("href") for a in fragment.iter("a") if a.get("href")]


def squashed(text: str) -> str:
    return " ".join(text.split())


def find_in_order(shown: str, text: str, position: int = 0) -> tuple[int, int] | None:
    """Where ``text`` is shown from ``position`` on: each of its pieces outside math, in
    order (math reads differently in each client: MathML's symbols and its TeX annotation,
    or the TeX alone); None when a piece is not there."""
    from feedbridge.tex import math_pieces

    pieces = [squashed(piece) for is_math, piece in math_pieces(text) if not is_math and piece.strip()]
    start = None
    for piece in pieces or [squashed(text)]:
        found = shown.find(piece, position)
        if found < 0:
            return None
        start = found if start is None else start
        position = found + len(piece)
    return start, position


def translation_problems(body: str | None, client: Client, entry: Expected, what: str) -> list[str]:
    """The translated sentences in order, then the original abstract after the last of them."""
    shown = plain(body, client.content_is_html)
    if not shown:
        return [f"{entry.arxiv_id}: {what} is empty"]
    position = 0
    for number, sentence in enumerate(entry.sentences, start=1):
        found = find_in_order(shown, sentence, position)
        if found is None:
            where = "at all" if find_in_order(shown, sentence) is None else "in order (it comes before an earlier one)"
            return [f"{entry.arxiv_id}: translated sentence {number} of {len(entry.sentences)} is not in the {what}"
                    f" {where}: {sentence[:60]!r}…"]
        position = found[1]
    if find_in_order(shown, entry.abstract, position) is None:
        where = ("before the translation" if find_in_order(shown, entry.abstract) else "missing")
        return [f"{entry.arxiv_id}: the original abstract is not after the translation in the {what} ({where})"]
    return []


def title_problems(item: dict, entry: Expected) -> list[str]:
    title = squashed(html.unescape(item.get("title") or ""))
    if find_in_order(title, entry.title) is None:
        return [f"{entry.arxiv_id}: the title {title[:80]!r} lacks the translated title {entry.title[:60]!r}"]
    return []


def author_problems(item: dict, client: Client, entry: Expected) -> list[str]:
    """The authors in the client's author model, and every name shown in the content."""
    problems = []
    names = item.get("authors")
    expected = list(entry.authors)
    if client.authors == "list" and names != expected:
        problems.append(f"{entry.arxiv_id}: authors {names} != {expected}")
    elif client.authors == "first" and names != expected[:1]:
        problems.append(f"{entry.arxiv_id}: author {names} != the first author {expected[:1]}")
    elif client.authors == "joined" and names != [", ".join(expected)]:
        problems.append(f"{entry.arxiv_id}: author {names} != {[', '.join(expected)]}")
    elif client.authors is None and names is not None:
        problems.append(f"{entry.arxiv_id}: authors {names} from a client without an author model")
    shown = plain(item.get("content"), client.content_is_html)
    missing = [name for name in expected if squashed(name) not in shown]
    if missing:
        problems.append(f"{entry.arxiv_id}: the content does not name {missing}")
    return problems


def reached(item: dict, client: Client, pattern: re.Pattern[str]) -> str | None:
    """How the client exposes a URL: "link" (its links), "content" (an <a href> in the
    body it exposes), "text" (written out in the body of a client that strips the tags),
    or None."""
    if any(pattern.fullmatch(link or "") for link in item.get("links") or []):
        return "link"
    body = item.get("content")
    if client.content_is_html and any(pattern.fullmatch(href) for href in hrefs(body)):
        return "content"
    if not client.content_is_html and any(pattern.fullmatch(word) for word in plain(body, False).split()):
        return "text"
    if client.summary_checked and any(pattern.fullmatch(href) for href in hrefs(item.get("summary"))):
        return "content"
    return None


def link_problems(item: dict, client: Client, entry: Expected) -> list[str]:
    problems = []
    for what, pattern in (("abstract page", entry.abstract_page), ("PDF", entry.pdf)):
        if reached(item, client, pattern) is None:
            problems.append(f"{entry.arxiv_id}: the {what} is neither a link nor in the content"
                            f" (links: {item.get('links')})")
    return problems


def match_items(read: dict, entries: list[Expected]) -> tuple[dict[str, dict], list[str]]:
    """Each expected entry's item, by the entry id, else by the abstract page as its link."""
    items = read["items"]
    problems = []
    if len(items) != len(entries):
        problems.append(f"{len(items)} items read, {len(entries)} entries published")
    by_id = {item.get("id"): item for item in items}
    matched = {}
    for entry in entries:
        item = by_id.get(entry.id)
        if item is None:
            linked = [i for i in items if any(entry.abstract_page.fullmatch(u or "") for u in i.get("links") or [])]
            item = linked[0] if linked else None
        if item is None:
            problems.append(f"{entry.arxiv_id}: no item with id {entry.id} or its abstract page as link")
        else:
            matched[entry.arxiv_id] = item
    return matched, problems


# --- the W3C feed validator's warnings, checked here ----------------------------------


def duplicate_alternates(document: etree._Element) -> list[str]:
    """Feeds and entries with two rel="alternate" links (a link without rel is one,
    RFC 4287 4.2.7.2) of the same type and hreflang: the validator's DuplicateAtomLink."""
    problems = []
    for element in [document, *document.iterfind(f"{ATOM}entry")]:
        seen: set[tuple[str | None, str | None]] = set()
        for link in element.iterfind(f"{ATOM}link"):
            if link.get("rel", "alternate") != "alternate":
                continue
            key = (link.get("type"), link.get("hreflang"))
            if key in seen:
                problems.append(f"{element.findtext(f'{ATOM}id')}: two alternate links of type {key[0]}"
                                f" and hreflang {key[1]}")
            seen.add(key)
    return problems


def entry_updates(document: etree._Element) -> dict[str, str]:
    """Each entry's atom:updated, by entry id, as written."""
    entries = document.iterfind(f"{ATOM}entry")
    return {entry.findtext(f"{ATOM}id"): entry.findtext(f"{ATOM}updated") for entry in entries}


def announcement_days(entries: list[Expected]) -> set[date]:
    return {entry.updated.date() for entry in entries}


# --- the Nu HTML Checker --------------------------------------------------------------


def vnu_errors(pages: list[Path]) -> list[str]:
    """The Nu HTML Checker's errors on the pages, one line each ("page:line: message")."""
    done = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *map(str, pages)],
        capture_output=True, text=True, timeout=300,
    )
    report = json.loads(done.stderr or done.stdout or '{"messages": []}')  # vnu writes its report to stderr
    errors = [
        f"{Path(message.get('url', '?')).name}:{message.get('lastLine', '?')}: {message.get('message')}"
        for message in report.get("messages", []) if message.get("type") in ("error", "non-document-error")
    ]
    assert errors or done.returncode == 0, f"vnu failed (exit {done.returncode}) without an error message"
    return errors
