"""Load run: N papers through `feedbridge build`, with the tiny real model, in feeds of P papers.

The papers are real quant-ph fixture items given new ids (2601.NNNNN) and made distinct
sentence by sentence ("... in case N."), so neither de-duplication nor the translation
memory can serve them: every sentence goes to the model. A bigger run is more feeds of
the same size, as a bigger share of arXiv is more categories (its busiest category
announces a few hundred papers a day). Each size runs in a fresh process with a fresh
cache; the script prints its wall time and peak RSS, so that linear growth in time and
bounded memory can be read off one run.

    python tools/load.py [--papers 5000 10000 20000] [--per-feed 250]
"""

from __future__ import annotations

import argparse
import os
import re
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lxml import etree

from tiny_model import FIXTURES_DIR, build_argosmodel, fixture_corpus

REPO = Path(__file__).resolve().parents[1]
SOURCE = FIXTURES_DIR / "arxiv_rss2_quant-ph_2025-04-28.xml"
_SENTENCE_END = re.compile(r"\.(\s|$)")


def categories(feeds: int) -> list[str]:
    """Valid arXiv-form category names, one per feed: load.A, load.B, ..."""
    letters = string.ascii_uppercase
    return [f"load.{letters[i % 26]}{letters[i // 26] if i >= 26 else ''}" for i in range(feeds)]


def write_feeds(folder: Path, papers: int, feeds: int) -> list[str]:
    """Write folder/<category>.xml for each feed, papers split evenly; return the categories."""
    names = categories(feeds)
    template = etree.parse(str(SOURCE))
    items = template.findall("channel/item")
    for index, category in enumerate(names):
        document = etree.parse(str(SOURCE))
        channel = document.find("channel")
        for item in channel.findall("item"):
            channel.remove(item)
        for k in range(index, papers, feeds):
            channel.append(_variant(items[k % len(items)], k, category))
        document.write(str(folder / f"{category}.xml"), xml_declaration=True, encoding="UTF-8")
    return names


def _variant(item: etree._Element, number: int, category: str) -> etree._Element:
    """A copy of a real item as a distinct new paper in ``category``."""
    copy = etree.fromstring(etree.tostring(item))
    arxiv_id = f"2601.{number:05d}"
    abstract = copy.findtext("description").split("Abstract: ", 1)[1]
    copy.find("title").text = f"{copy.findtext('title')} (case {number})"
    copy.find("link").text = f"https://arxiv.org/abs/{arxiv_id}"
    copy.find("guid").text = f"oai:arXiv.org:{arxiv_id}v1"
    copy.find("description").text = (
        f"arXiv:{arxiv_id}v1 Announce Type: new \nAbstract: "
        + _SENTENCE_END.sub(lambda m: f" in case {number}.{m.group(1)}", abstract)
    )
    for element in copy.findall("category"):
        copy.remove(element)
    etree.SubElement(copy, "category").text = category
    copy.find("{http://arxiv.org/schemas/atom}announce_type").text = "new"
    return copy


def run(papers: int, feeds: int, workdir: Path, packages: Path) -> tuple[float, int, int]:
    """Build once; return wall seconds, peak RSS in MB and the exit status."""
    run_dir = workdir / f"run-{papers}"
    saved = run_dir / "saved"
    saved.mkdir(parents=True)
    names = write_feeds(saved, papers, feeds)
    config = run_dir / "feeds.yaml"
    config.write_text(
        "site: {base_url: 'http://127.0.0.1:9/load/', output_dir: out}\n"
        "arxiv: {contact: load@example.org, min_interval: 0, retries: 0, enrich: false}\n"
        f"window: {{max_entries: {papers}}}\n"
        "feeds: [" + ", ".join(names) + "]\n"
    )
    peak = run_dir / "peak-rss-mb"
    env = {**os.environ, "ARGOS_PACKAGES_DIR": str(packages), "FEEDBRIDGE_CACHE_DIR": str(run_dir / "cache"),
           "PYTHONPATH": os.pathsep.join((str(REPO), str(REPO / "tools"))), "LOAD_PEAK_FILE": str(peak)}
    command = [sys.executable, "-c", _BUILD_REPORTING_PEAK, "-q", "build", "--config", str(config),
               "--from-dir", str(saved), "--offline"]
    started = time.monotonic()
    status = subprocess.run(command, env=env).returncode
    seconds = time.monotonic() - started
    return seconds, round(float(peak.read_text())), status


# `feedbridge build` in a process that writes its own peak RSS (VmHWM, bench.peak_rss_mb) to
# $LOAD_PEAK_FILE as it exits. Not the parent's ru_maxrss of the child: Linux carries the
# parent's high-water mark over through fork and exec, and this script's own feeds would count.
_BUILD_REPORTING_PEAK = """
import atexit, os, pathlib
from bench import peak_rss_mb
atexit.register(lambda: pathlib.Path(os.environ["LOAD_PEAK_FILE"]).write_text(str(peak_rss_mb())))
from feedbridge.cli import main
main()
"""


def install_tiny_model(workdir: Path) -> Path:
    packages = workdir / "packages"
    archive = workdir / "translate-en_ja-1_0.argosmodel"
    build_argosmodel(archive, fixture_corpus())
    env = {**os.environ, "ARGOS_PACKAGES_DIR": str(packages), "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-m", "feedbridge.cli", "-q", "models", "install", "--file", str(archive)],
                   env=env, check=True)
    return packages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, nargs="+", default=[5000, 10000, 20000])
    parser.add_argument("--per-feed", type=int, default=250, help="papers per feed (default 250)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="feedbridge-load-") as tmp:
        workdir = Path(tmp)
        packages = install_tiny_model(workdir)
        print("| papers | feeds | wall s | s per 1,000 papers | peak RSS MB | exit |")
        print("|---:|---:|---:|---:|---:|---:|")
        for papers in args.papers:
            feeds = -(-papers // args.per_feed)
            seconds, rss, status = run(papers, feeds, workdir, packages)
            print(f"| {papers} | {feeds} | {seconds:.1f} | {seconds / papers * 1000:.1f} | {rss} | {status} |",
                  flush=True)
            if status != 0:
                return status
    return 0


if __name__ == "__main__":
    sys.exit(main())
