"""An enriched entry as a reader sees it: rendered by newsboat, a real feed reader.

The feed is served on 127.0.0.1; `newsboat -x reload print-unread` fetches it, then
newsboat's own article view, driven on a pseudo-terminal, saves the article as it
renders it. CI installs newsboat (apt); there its absence is a failure, not a skip.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import shutil
import sqlite3
import struct
import subprocess
import termios
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest

from feedbridge.render.words import JAPANESE as WORDS
from feedbridge.model import Author
from feedbridge.sources.arxiv_rss import parse_feed
from feedbridge.sources.arxiv_api import enrich, query_url
from feedbridge.sources.arxiv_links import arxiv_links
from feedbridge.fetch import Fetcher, FetchSettings
from feedbridge.archive import Entry
from feedbridge.model import FeedStatus
from feedbridge.render.atom import render_atom
from feedbridge.render.view import FeedView
from feedbridge.translate.ct2 import Decoding
from feedbridge.translate.engine import translate_papers
from feedbridge.translate.protect import Protector, restore
from feedbridge.translate.segment import split_sentences
from support.paths import API_SEARCH

PAPER_ID = "1706.00679"  # comments with a GitHub link, accented author names, TeX in the abstract
TITLE_JA = "ガウス過程の検定と超解像への応用"
AUTHORS = "Jean-Marc Azaïs, Yohann De Castro, Stéphane Mourareau"
WAIT = 60.0  # seconds newsboat may take for a step before the test gives up on it


@pytest.fixture(scope="module")
def newsboat() -> str:
    path = shutil.which("newsboat")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("newsboat is not installed: CI must install it (apt-get install newsboat)")
        pytest.skip("newsboat is not installed (apt-get install newsboat)")
    return path


class TableTranslator:
    """A translator with known output, so that each translated line can be looked for.

    It follows engine.Translator: it is given sentences after protection (math and
    URLs as placeholders), so ``table`` is keyed by protected text and each answer
    carries the sentence's placeholders back.
    """

    provenance = "translate-en_ja 1.9"
    decoding = Decoding()

    def __init__(self, table: dict[str, str]):
        self.table = table

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def translate_batch(self, sentences, *, retry=False, progress=None):
        if progress is not None:
            progress(len(sentences))
        return [[self.table[sentence]] for sentence in sentences]


@pytest.fixture
def served_feed(http_server, tmp_path):
    """The paper as the RSS announces it, enriched through the API on 127.0.0.1, translated
    and rendered; returns the feed's URL, the enriched paper and its translated sentences."""
    answered = {p.arxiv_id: p for p in parse_feed(API_SEARCH.read_bytes(), "api").papers}[PAPER_ID]
    announced = replace(answered, comment=None, links=arxiv_links(answered.arxiv_id, answered.version, None),
                        authors=tuple(Author(a.name) for a in answered.authors))
    api_url = http_server.url + "/api/query"
    url = query_url(api_url, [PAPER_ID])
    http_server.serve(url[len(http_server.url):], API_SEARCH.read_bytes())
    fetcher = Fetcher(FetchSettings(user_agent="feedbridge-test", retries=0, min_interval=0), None)
    [paper] = enrich([announced], fetcher=fetcher, api_url=api_url, cache_dir=tmp_path / "cache").papers
    assert paper.comment == answered.comment

    protector = Protector()
    protected = [protector.protect(s) for s in split_sentences(paper.abstract)]
    answers = [
        f"これは要約の第{n}文の訳です。" + "".join(f" {code}" for code, _ in p.spans)
        for n, p in enumerate(protected, 1)
    ]
    table = {protector.protect(paper.title).text: TITLE_JA, **{p.text: a for p, a in zip(protected, answers)}}
    translations = [restore(a, p) for p, a in zip(protected, answers)]  # math put back as written
    entries = translate_papers([paper], TableTranslator(table), "en", "ja")
    assert [pair.target for pair in entries[0].abstract.sentences] == translations
    updated = datetime(2026, 4, 13, tzinfo=timezone.utc)
    feed = FeedView(
        name="math.ST.ja", label="math.ST", source_lang="en", target_lang="ja",
        language_name="Japanese", engine="Argos Translate", base_url=f"{http_server.url}/",
        status=FeedStatus.UPDATED, message="",
        entries=tuple(Entry(translated, translated.paper.announced) for translated in entries),
        last_day=updated.date(), updated=updated, published=True,
    )
    http_server.serve("/math.ST.ja.xml", render_atom(feed), content_type="application/atom+xml")
    return f"{http_server.url}/math.ST.ja.xml", paper, translations


@pytest.fixture
def reader(newsboat, served_feed, tmp_path):
    """newsboat's files in tmp_path, the feed reloaded into its cache."""
    feed_url = served_feed[0]
    home = tmp_path / "home"
    saved = tmp_path / "saved"
    home.mkdir()
    saved.mkdir()
    (tmp_path / "urls").write_text(feed_url + "\n", encoding="utf-8")
    # text-width: long lines unwrapped, so each paragraph is one line of the saved text.
    (tmp_path / "config").write_text(
        f'save-path "{saved}"\nconfirm-exit no\ntext-width 10000\n', encoding="utf-8"
    )
    command = [newsboat, "-u", str(tmp_path / "urls"), "-c", str(tmp_path / "cache.db"),
               "-C", str(tmp_path / "config")]
    environment = {**os.environ, "HOME": str(home), "TERM": "xterm"}
    reload = subprocess.run(
        command + ["-x", "reload", "print-unread"], env=environment,
        capture_output=True, text=True, timeout=WAIT,
    )
    assert (reload.returncode, reload.stdout) == (0, "1 unread articles\n"), reload.stderr
    return command, environment, saved


def test_newsboat_reads_title_authors_and_link(reader, served_feed, tmp_path):
    _, paper, _ = served_feed
    with sqlite3.connect(tmp_path / "cache.db") as db:
        rows = db.execute("SELECT title, author, url FROM rss_item").fetchall()
    assert rows == [(f"{TITLE_JA} — {paper.title}", AUTHORS, f"https://arxiv.org/abs/{PAPER_ID}")]


def test_the_article_as_newsboat_renders_it(reader, served_feed):
    _, paper, translations = served_feed
    lines = [line.strip() for line in save_first_article(*reader).splitlines()]

    # newsboat's header: the translated title with the original, the authors, the abstract page
    assert f"Title: {TITLE_JA} — {paper.title}" in lines
    assert f"Author: {AUTHORS}" in lines
    assert f"Link: https://arxiv.org/abs/{PAPER_ID}" in lines
    body = [line for line in lines[lines.index(f"Link: https://arxiv.org/abs/{PAPER_ID}") + 1:] if line]
    # the title in Japanese with the original beneath, then the authors
    assert body[:3] == [TITLE_JA, paper.title, AUTHORS]
    assert body[3] == f"arXiv:{PAPER_ID}v3 · {WORDS.announce_types['new']} · math.ST, cs.IT, math.PR"
    assert body[4] == f"{WORDS.comments}{paper.comment}"
    # one translated sentence per line, in order, then the original abstract
    assert body[5:5 + len(translations)] == [as_newsboat_shows(t) for t in translations]
    assert body[5 + len(translations)] == as_newsboat_shows(paper.abstract)
    assert body[6 + len(translations)].startswith(f"{WORDS.abstract_page}[")
    links = [line for line in lines if line.endswith(" (link)")]
    assert [link.split(": ", 1)[1] for link in links] == [
        f"https://arxiv.org/abs/{PAPER_ID} (link)",
        f"https://arxiv.org/pdf/{PAPER_ID}v3 (link)",
        f"https://arxiv.org/html/{PAPER_ID}v3 (link)",
        "https://github.com/ydecastro/super-resolution-testing (link)",
    ]
    assert f"{WORDS.abstract_page}[1] · PDF[2] · {WORDS.html_version}[3] · {WORDS.code}[4]" in body[6 + len(translations)]


def as_newsboat_shows(text: str) -> str:
    """A text as newsboat renders our HTML: each formula's MathML as its characters, then
    its TeX annotation (newsboat shows every element's text); accents as letters."""
    from feedbridge.render.math import mathml
    from feedbridge.tex import letters, math_pieces

    shown = []
    for is_math, piece in math_pieces(text):
        element = mathml(piece) if is_math else None
        shown.append(letters(piece) if not is_math else piece if element is None else "".join(element.itertext()))
    return " ".join("".join(shown).split())


def save_first_article(command: list[str], environment: dict[str, str], saved: Path) -> str:
    """Open the first feed's first article in newsboat on a pseudo-terminal, save it as
    newsboat renders it (its `s` key, default file name), quit, and return the text."""
    pid, terminal = pty.fork()
    if pid == 0:  # the child: newsboat on a 200x50 terminal
        try:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
            os.execvpe(command[0], command, environment)
        finally:
            os._exit(127)
    exit_codes: list[int] = []

    def exited() -> bool:
        child, status = os.waitpid(pid, os.WNOHANG)
        if child == pid:
            exit_codes.append(os.waitstatus_to_exitcode(status))
        return bool(exit_codes)

    try:
        os.write(terminal, b"\r\rs\r")  # open the feed, open the article, save, accept the name
        _drain_until(terminal, lambda: any(saved.iterdir()), "newsboat to save the article")
        os.write(terminal, b"qqq")  # back to the feed, back to the list, quit
        _drain_until(terminal, exited, "newsboat to quit")
    finally:
        if not exit_codes:
            os.kill(pid, 15)
            os.waitpid(pid, 0)
        os.close(terminal)
    assert exit_codes == [0]
    [article] = saved.iterdir()
    return article.read_text(encoding="utf-8")


def _drain_until(terminal: int, done: Callable[[], bool], what: str) -> None:
    """Read the screen output (newsboat blocks if nobody does) until `done`, or fail."""
    deadline = time.monotonic() + WAIT
    while not done():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting {WAIT:.0f} s for {what}")
        ready, _, _ = select.select([terminal], [], [], 0.1)
        if ready:
            try:
                os.read(terminal, 65536)
            except OSError:  # the terminal closed: newsboat has exited
                pass
