"""A site published by an earlier release is carried forward by this one.

``tests/fixtures/site-0.1.0/`` is what feedbridge 0.1.0 published on the last day of
the golden scenario. A run of today's code on it, with the next announcement, must keep
every entry's id, add no spurious ``updated``, read its archive (migrating an older
format rather than starting clean) and translate none of its sentences again; a run that
sees the same batch again must leave every entry's id, dates and title, and every archive
but for what it adds, as they were; a feed that fails in the first run after the upgrade
is carried as 0.1.0 wrote it, without the files later releases add.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from lxml import etree

from support.feeds import as_version, day_document, items
from support.site_scenario import CONFIG, SCENARIO_CLOCKS, build, install_german, save_day, scenario_days

PUBLISHED = Path(__file__).with_name("fixtures") / "site-0.1.0"
ATOM = "{http://www.w3.org/2005/Atom}"
FEEDS = sorted(p.name for p in PUBLISHED.glob("*.xml"))


@pytest.fixture
def site(tmp_path, installed_model) -> Path:
    """The published site as the output folder of a config like the one that built it."""
    install_german(tmp_path)
    root = tmp_path / "scene"
    root.mkdir()
    (root / "feeds.yaml").write_text(CONFIG)
    shutil.copytree(PUBLISHED, root / "out", ignore=shutil.ignore_patterns("README.md"))
    return root


def entries(feed: Path) -> dict[str, bytes]:
    """Each entry's bytes, by its id."""
    root = etree.parse(str(feed)).getroot()
    return {e.findtext(f"{ATOM}id"): etree.tostring(e, with_tail=False) for e in root.iter(f"{ATOM}entry")}


def translations(archive: Path) -> dict[str, tuple]:
    """Each paper's stored sentence pairs, by arXiv id."""
    document = json.loads(archive.read_bytes())
    return {e["paper"]["arxiv_id"]: (e["title"], e["abstract"]) for e in document["entries"]}


def test_the_next_day_keeps_ids_dates_and_translations(site):
    groups = items()
    kept = [as_version(i, 1, "new") for i in groups["replace"][2:5]]  # the site's newest day
    day5 = {**scenario_days()[3], "quant-ph": day_document(
        date(2025, 5, 5), groups["new"][8:10] + [as_version(kept[0], 2, "replace")])}
    code, report = build(site, "--from-dir", str(save_day(site / "saved5", day5)), "--offline", "--json", "--now", "2025-05-05T14:00:00Z")
    summary = json.loads(report)
    assert code == 4, report  # cs.AI never had a saved feed
    # Only the two new papers reach the engine, once per language pair; the new version
    # with the same text, and every entry kept, keep their published translation.
    assert summary["papers"]["translated"] == 4
    quant_ph = {f["name"]: f for f in summary["feeds"]}["quant-ph.ja"]
    assert (quant_ph["new"], quant_ph["updated"], quant_ph["entries"]) == (2, 1, 5)
    for name in ("quant-ph.ja", "quant-ph.de"):
        before = translations(PUBLISHED / "archive" / f"{name}.json")
        after = translations(site / "out" / "archive" / f"{name}.json")
        carried = before.keys() & after.keys()
        assert len(carried) == 3
        assert all(after[arxiv_id] == before[arxiv_id] for arxiv_id in carried)
        old, new = entries(PUBLISHED / f"{name}.xml"), entries(site / "out" / f"{name}.xml")
        same_id = old.keys() & new.keys()
        assert len(same_id) == 3, "an entry kept its paper but lost its id"
        # What a reader goes by to tell a new or updated entry: the id, the dates, the title.
        # The content's markup is this release's (escaped HTML, the target language's words).
        unchanged = [i for i in same_id if _shown(old[i]) == _shown(new[i])]
        assert len(unchanged) == 2, "an entry that did not change was dated or titled anew"
        (renewed,) = same_id - set(unchanged)
        for part in ("published", "title"):
            assert _field(old[renewed], part) == _field(new[renewed], part)
        assert _field(old[renewed], "updated") < _field(new[renewed], "updated")


def test_the_same_batch_again_changes_no_entry_or_archive(site):
    code, report = build(site, "--from-dir", str(save_day(site / "saved", scenario_days()[3])), "--offline", "--json", "--now", SCENARIO_CLOCKS[3])
    assert code == 4, report
    assert json.loads(report)["papers"] == {"translated": 0, "reused": 0}
    for name in FEEDS:
        old, new = entries(PUBLISHED / name), entries(site / "out" / name)
        assert list(old) == list(new) and all(_shown(old[i]) == _shown(new[i]) for i in old), name
        assert _field(etree.tostring(etree.parse(str(site / "out" / name)).getroot()), "updated") == \
            _field(etree.tostring(etree.parse(str(PUBLISHED / name)).getroot()), "updated"), name
    for path in (PUBLISHED / "archive").iterdir():  # migrated: only the days accounted for are added
        written = json.loads((site / "out" / "archive" / path.name).read_bytes())
        accounted = written.pop("accounted")
        assert set(written["batches"]) <= set(accounted), path.name
        assert all(record == {"state": "rss"} for days in accounted.values() for record in days.values())
        assert written == json.loads(path.read_bytes()), path.name


def test_a_feed_that_fails_at_the_first_run_after_the_upgrade_is_carried_without_the_new_files(site):
    day = {name: data for name, data in scenario_days()[3].items() if name != "quant-ph"}  # its feed is gone
    code, report = build(site, "--from-dir", str(save_day(site / "saved", day)), "--offline", "--json",
                         "--now", SCENARIO_CLOCKS[3])
    summary = json.loads(report)
    assert code == 4 and summary["published"], report
    assert {f["name"]: f["status"] for f in summary["feeds"]}["quant-ph.ja"] == "failed"
    for name in ("quant-ph.ja.xml", "archive/quant-ph.ja.json"):
        assert (site / "out" / name).read_bytes() == (PUBLISHED / name).read_bytes(), name
    assert not (site / "out" / "quant-ph.ja.feed.json").exists()  # no JSON Feed until it builds again
    assert (site / "out" / "physics.ja.feed.json").exists()  # a feed built this run has its own


def _shown(entry: bytes) -> tuple[str, ...]:
    return tuple(_field(entry, part) for part in ("id", "published", "updated", "title"))


def _field(entry: bytes, name: str) -> str:
    return etree.fromstring(entry).findtext(f"{ATOM}{name}")
