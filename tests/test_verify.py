"""The staged site's verification: a whole site passes, and each way a site can be broken is found.

A site is built once from real captures with the tiny model; each test breaks a copy of
it in one way and expects the problem that names it. The golden scenario's last site
adds a feed never published whose every run failed (cs.AI.ja): it has no files at all.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from feedbridge.archive import Entry, FeedArchive, archive_path
from feedbridge.archive_file import load
from feedbridge.cli import cli
from feedbridge.config import Config, load_config, parse_config
from feedbridge.model import FeedStatus
from feedbridge.render import FEED_WRITERS, PAGE_WRITERS, SITE_WRITERS
from feedbridge.render.site import page_days
from feedbridge.render.view import FeedView, SiteView
from feedbridge.verify import feed_files, Problem, verify_site
from support.builds import tiny_model_installed
from support.checks import ATOM
from support.config import BASE_URL
from support.paths import TESTS
from support.site import build_site
from support.site_scenario import CONFIG as SCENARIO_CONFIG

GOLDEN_SITE = TESTS / "golden" / "day4" / "site"  # the scenario's last day
FEED = "quant-ph.ja"  # a feed of the built site with entries


@dataclass(frozen=True)
class Built:
    out: Path
    config: Config


@pytest.fixture(scope="module")
def built(tmp_path_factory, tiny_argosmodel) -> Built:
    folder = tmp_path_factory.mktemp("verify")
    with tiny_model_installed(folder, tiny_argosmodel):
        out = build_site(folder, BASE_URL)
    return Built(out, load_config(folder / "feeds.yaml"))


@pytest.fixture
def site(built, tmp_path) -> Path:
    """A copy of the built site, for one test to break."""
    return Path(shutil.copytree(built.out, tmp_path / "site"))


@pytest.fixture
def golden(tmp_path) -> tuple[Path, Config]:
    """A copy of the scenario's last site, and its config."""
    config = parse_config(SCENARIO_CONFIG, tmp_path / "feeds.yaml")
    return Path(shutil.copytree(GOLDEN_SITE, tmp_path / "golden")), config


def archives(site: Path, config: Config) -> dict[str, FeedArchive]:
    """Every feed's archive in the site, as the previous state of a next build."""
    return {
        feed.name: load((site / archive_path(feed.name)).read_bytes(), feed.name)
        for feed in config.feeds
        if (site / archive_path(feed.name)).is_file()
    }


def verify(site: Path, config: Config, previous=None) -> list[str]:
    return [str(problem) for problem in verify_site(site, config, config.base_url, previous)]


def found(problems: list[str], path: str, fragment: str) -> bool:
    return any(p.startswith(f"{path}: ") and fragment in p for p in problems)


# --- a whole site --------------------------------------------------------------------


def test_a_freshly_built_site_verifies(built):
    assert verify(built.out, built.config) == []
    assert verify(built.out, built.config, archives(built.out, built.config)) == []


def test_a_site_with_a_new_feed_that_failed_from_the_start_verifies(golden):
    site, config = golden
    assert not (site / "cs.AI.ja.xml").exists()  # the scenario's cs.AI never has a saved feed
    assert verify(site, config) == []
    assert verify(site, config, archives(site, config)) == []


def test_a_problem_is_one_line_naming_its_file():
    assert str(Problem("index.html", "missing")) == "index.html: missing"


def test_writers_say_the_files_they_render(built):
    view = site_view(built.out, built.config)
    for feed in view.feeds:
        for writer in FEED_WRITERS:
            assert tuple(writer.render(feed)) == writer.files(feed.name)
        for writer in PAGE_WRITERS:
            assert tuple(writer.render(feed)) == writer.files(feed.name, page_days(feed.entries))
    names = [feed.name for feed in view.feeds]
    for writer in SITE_WRITERS:
        assert tuple(writer.render(view)) == writer.files(names)


def site_view(site: Path, config: Config) -> SiteView:
    """The site's feeds as views over their archives: enough for every writer to render."""
    feeds = []
    for feed, archive in zip(config.feeds, archives(site, config).values(), strict=True):
        feeds.append(FeedView(
            name=feed.name, label=feed.category, source_lang=feed.source_lang, target_lang=feed.target_lang,
            language_name="Japanese", engine="Argos Translate", base_url=config.base_url,
            status=FeedStatus.UPDATED, message="", entries=archive.entries,
            last_day=archive.days[-1] if archive.days else None,
            updated=archive.newest or datetime(2025, 4, 28, tzinfo=timezone.utc), published=True,
        ))
    return SiteView(config.base_url, tuple(feeds))


# --- one thing broken --------------------------------------------------------------------


def rewrite_xml(path: Path, change) -> None:
    root = etree.parse(str(path)).getroot()
    change(root)
    path.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def remove_first(root: etree._Element, path: str) -> None:
    element = root.find(path)
    element.getparent().remove(element)


def set_first(root: etree._Element, path: str, text: str) -> None:
    root.find(path).text = text


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def rewrite_status(path: Path, change) -> None:
    document = json.loads(path.read_bytes())
    change(document["feeds"])
    path.write_text(json.dumps(document))


BROKEN = {
    "atom deleted": (lambda s: (s / f"{FEED}.xml").unlink(), f"{FEED}.xml", "missing, while the feed's other files"),
    "atom truncated": (lambda s: truncate(s / f"{FEED}.xml"), f"{FEED}.xml", "not well-formed XML"),
    "entry without an id": (
        lambda s: rewrite_xml(s / f"{FEED}.xml", lambda root: remove_first(root, f"{ATOM}entry/{ATOM}id")),
        f"{FEED}.xml", "not valid Atom",
    ),
    "wrong root element": (
        lambda s: rewrite_xml(s / f"{FEED}.xml", lambda root: setattr(root, "tag", f"{ATOM}channel")),
        f"{FEED}.xml", "not valid Atom",
    ),
    "entry id not the archive's": (
        lambda s: rewrite_xml(s / f"{FEED}.xml", lambda root: set_first(
            root, f"{ATOM}entry[2]/{ATOM}id", "urn:uuid:00000000-0000-5000-8000-000000000000")),
        f"{FEED}.xml", "its entries do not match archive/quant-ph.ja.json",
    ),
    "feed id not the feed's": (
        lambda s: rewrite_xml(s / f"{FEED}.xml", lambda root: set_first(
            root, f"{ATOM}id", "urn:uuid:00000000-0000-5000-8000-000000000000")),
        f"{FEED}.xml", "its feed id is urn:uuid:00000000",
    ),
    "atom that feedparser refuses": (  # libxml2 reads an internal DTD subset, feedparser does not
        lambda s: (s / f"{FEED}.xml").write_bytes((s / f"{FEED}.xml").read_bytes().replace(
            b"?>\n", b'?>\n<!DOCTYPE feed [<!ENTITY x "y">]>\n', 1)),
        f"{FEED}.xml", "feedparser reads it as broken",
    ),
    "archive not an archive": (
        lambda s: (s / archive_path(FEED)).write_bytes(b'{"format": 1}'),
        archive_path(FEED), "not a feedbridge archive",
    ),
    "archive cut short": (lambda s: truncate(s / archive_path(FEED)), archive_path(FEED), "not a feedbridge archive"),
    "index missing": (lambda s: (s / "index.html").unlink(), "index.html", "missing"),
    "index without a feed's link": (
        lambda s: (s / "index.html").write_bytes((s / "index.html").read_bytes().replace(
            f'href="{FEED}.html"'.encode(), b'href="elsewhere.html"')),
        "index.html", f"does not link {FEED}.html",
    ),
    "page cut before its body": (
        lambda s: (s / f"{FEED}.html").write_bytes((s / f"{FEED}.html").read_bytes().split(b"<body")[0]),
        f"{FEED}.html", "without a body",
    ),
    "stylesheet missing": (lambda s: (s / "style.css").unlink(), "style.css", "missing"),
    "opml without a feed": (
        lambda s: rewrite_xml(s / "feeds.opml", lambda root: remove_first(root, "body/outline")),
        "feeds.opml", f"does not list {BASE_URL}{FEED}.xml",
    ),
    "opml not well-formed": (lambda s: truncate(s / "feeds.opml"), "feeds.opml", "not well-formed XML"),
    "status without a feed": (
        lambda s: rewrite_status(s / "status.json", lambda feeds: feeds.pop(0)),
        "status.json", f"lacks {FEED}",
    ),
    "status with a feed too many": (
        lambda s: rewrite_status(s / "status.json", lambda feeds: feeds.append({**feeds[0], "name": "cs.AI.ja"})),
        "status.json", "names cs.AI.ja, which the config does not",
    ),
    "status out of order": (
        lambda s: rewrite_status(s / "status.json", lambda feeds: feeds.reverse()),
        "status.json", "not the config's order",
    ),
    "status not json": (lambda s: truncate(s / "status.json"), "status.json", "not a feedbridge status"),
    "status feed missing": (lambda s: (s / "status.atom").unlink(), "status.atom", "missing"),
    "status feed cut short": (lambda s: truncate(s / "status.atom"), "status.atom", "not well-formed XML"),
    "status feed not atom": (
        lambda s: rewrite_xml(s / "status.atom", lambda root: remove_first(root, f"{ATOM}id")),
        "status.atom", "not valid Atom",
    ),
    "a stray file": (lambda s: (s / "junk.txt").write_text("junk"), "junk.txt", "not part of the site"),
    "a stray file in the archive folder": (
        lambda s: (s / "archive" / "old.json").write_text("{}"), "archive/old.json", "not part of the site",
    ),
    "a temporary file": (
        lambda s: (s / f".{FEED}.xml.abcd1234.tmp").write_bytes(b"<feed"),
        f".{FEED}.xml.abcd1234.tmp", "a temporary file left by an interrupted write",
    ),
}


@pytest.mark.parametrize("case", BROKEN)
def test_a_broken_site_is_refused_with_the_problem_named(case, site, built):
    break_site, path, fragment = BROKEN[case]
    break_site(site)
    problems = verify(site, built.config)
    assert found(problems, path, fragment), problems


@pytest.mark.parametrize("case", ["a stray file", "a temporary file", "status out of order", "atom truncated"])
def test_one_thing_broken_is_one_problem(case, site, built):
    break_site, path, _ = BROKEN[case]
    break_site(site)
    assert len(verify(site, built.config)) == 1


# --- against the published site ------------------------------------------------------------


def with_entry(archive: FeedArchive, arxiv_id: str, updated: datetime) -> FeedArchive:
    """The archive with one more entry, updated (announced) at ``updated``."""
    template = archive.entries[0]
    paper = replace(template.paper, arxiv_id=arxiv_id, announced=updated)
    entry = Entry(replace(template.translated, paper=paper), updated)
    entries = sorted((*archive.entries, entry), key=lambda e: e.updated, reverse=True)
    return replace(archive, entries=tuple(entries))


def test_an_entry_lost_since_the_published_site_is_refused(built):
    previous = archives(built.out, built.config)
    newest = previous[FEED].entries[0].updated
    previous[FEED] = with_entry(previous[FEED], "2504.99999", newest)
    problems = verify(built.out, built.config, previous)
    assert problems == [f"{FEED}: lost arXiv 2504.99999 (updated {newest.date()}): published before, and neither"
                        " older than the window's days nor pushed out of a full window"]


def test_an_entry_older_than_the_window_days_may_leave(built):
    previous = archives(built.out, built.config)
    first_day = previous[FEED].days[0]
    before = datetime.combine(first_day, datetime.min.time(), timezone.utc) - timedelta(hours=1)
    previous[FEED] = with_entry(previous[FEED], "2504.99999", before)
    assert verify(built.out, built.config, previous) == []


def test_an_entry_pushed_out_of_a_full_window_may_leave_but_not_a_newer_one(built):
    previous = archives(built.out, built.config)
    kept = previous[FEED].entries
    full = replace(built.config, max_entries=len(kept))
    oldest = kept[-1].updated
    assert oldest.date() == previous[FEED].days[0]  # so the days rule alone would not let it go
    as_old = dict(previous, **{FEED: with_entry(previous[FEED], "2504.99999", oldest)})
    assert verify(built.out, full, as_old) == []
    assert verify(built.out, built.config, as_old) != []  # the same window not full: lost
    newer = dict(previous, **{FEED: with_entry(previous[FEED], "2504.99999", oldest + timedelta(minutes=1))})
    assert found(verify(built.out, full, newer), FEED, "lost arXiv 2504.99999")


def test_a_published_feed_whose_files_are_gone_is_refused(golden):
    site, config = golden
    previous = archives(site, config)
    for path in feed_files("hep-ex.ja"):
        (site / path).unlink()
    rewrite_status(site / "status.json", lambda feeds: feeds[2].update(status="failed"))
    assert found(verify(site, config, previous), "hep-ex.ja", "was published, is gone")


def test_a_feed_carried_from_an_earlier_release_may_lack_only_the_files_a_later_writer_adds(golden, monkeypatch):
    """A failed feed is carried byte for byte; from a site published before a writer
    existed it has none of that writer's files, and the next run that builds it writes them."""
    from feedbridge import verify as verifier

    class Later:  # a feed writer a later release adds
        def files(self, name):
            return (f"{name}.later",)

    monkeypatch.setattr(verifier, "FEED_WRITERS", (*verifier.FEED_WRITERS, Later()))
    site, config = golden
    previous = archives(site, config)
    assert found(verify(site, config, previous), "hep-ex.ja.later", "missing, while the feed's other files")
    rewrite_status(site / "status.json", lambda feeds: feeds[2].update(status="failed"))
    assert [p for p in verify(site, config, previous) if p.startswith("hep-ex.ja")] == []
    (site / "hep-ex.ja.xml").unlink()  # but never its Atom feed or its archive
    assert found(verify(site, config, previous), "hep-ex.ja.xml", "missing, while the feed's other files")


def test_a_new_feed_that_failed_may_have_no_files_but_not_some(golden):
    site, config = golden
    shutil.copy(site / "physics.ja.xml", site / "cs.AI.ja.xml")
    problems = verify(site, config)
    assert found(problems, archive_path("cs.AI.ja"), "missing, while the feed's other files are there (cs.AI.ja.xml)")


def test_a_new_feed_without_files_must_be_marked_not_built(golden):
    site, config = golden
    rewrite_status(site / "status.json", lambda feeds: feeds[4].update(status="updated"))
    assert verify(site, config) == [
        "cs.AI.ja: missing: none of cs.AI.ja.xml, cs.AI.ja.feed.json, archive/cs.AI.ja.json is in the site, though status.json"
        " says updated (only a new feed not built this run may have none)"
    ]


def test_a_site_over_its_size_budget_is_refused_and_the_size_is_said(golden, tmp_path):
    site, config = golden
    size = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
    assert config.max_site_bytes == 900 * 10**6  # the default, under Pages' 1 GB
    assert not [p for p in verify(site, replace(config, max_site_bytes=size)) if "budget" in p]
    over = verify(site, replace(config, max_site_bytes=size - 1))
    assert found(over, str(site), f"{size:,} bytes, over the budget of {size - 1:,} (site.max_bytes;")
    # `feedbridge verify` says the size of a site that passes
    (tmp_path / "cli").mkdir()
    config_file = tmp_path / "cli" / "feeds.yaml"
    config_file.write_text(SCENARIO_CONFIG.replace("output_dir: out}", "output_dir: out, max_bytes: 5000000}", 1))
    result = CliRunner().invoke(cli, ["verify", str(site), "--config", str(config_file)])
    assert f"{size:,} of 5,000,000 bytes (site.max_bytes)" in result.output, result.output
