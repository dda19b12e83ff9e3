"""The load script's synthetic feeds: real fixture items made into distinct papers, built end to end."""

from lxml import etree

from feedbridge.sources.arxiv_rss import parse_feed
from load import install_tiny_model, run, write_feeds


def test_synthetic_feeds_are_distinct_real_papers(tmp_path):
    names = write_feeds(tmp_path, papers=30, feeds=3)
    papers = [p for name in names for p in parse_feed((tmp_path / f"{name}.xml").read_bytes(), name).papers]
    assert len(papers) == 30 and len({p.arxiv_id for p in papers}) == 30
    assert len({p.abstract for p in papers}) == 30 and len({p.title for p in papers}) == 30
    assert {p.categories for p in papers} == {(name,) for name in names}


def test_a_small_load_run_builds_every_feed(tmp_path):
    packages = install_tiny_model(tmp_path)
    seconds, rss, status = run(60, 3, tmp_path, packages)
    assert status == 0 and rss > 0
    out = tmp_path / "run-60" / "out"
    feeds = sorted(out.glob("load.*.xml"))
    assert len(feeds) == 3
    assert sum(len(etree.parse(str(f)).getroot().findall("{http://www.w3.org/2005/Atom}entry")) for f in feeds) == 60
