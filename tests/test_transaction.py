"""A run is a transaction: it builds the new site aside, verifies it, and replaces the
output folder only with a site that passed; whatever fails, the published site survives.

One test per way a run once lost or broke a published site (each failed on the code
before the staging folder), then the choice of the previous state, and the swap and its
recovery step by step. Kill points across a whole run are in test_crash.py.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from feedbridge import publish
from feedbridge.archive_file import FORMAT
from feedbridge.cli import cli
from feedbridge.errors import ExitCode, OutputError
from feedbridge.serve import make_server
from support.config import write_config
from support.feeds import TOPIC, day_document, items
from support.scenes import published
from support.paths import TOY
from support.server import LoopbackServer, reply

MONDAY, TUESDAY = date(2025, 4, 28), date(2025, 4, 29)


def day(when: date, first: int, count: int = 3) -> bytes:
    """quant-ph's real channel announcing ``count`` of its new papers from ``first``."""
    return day_document(when, [copy.deepcopy(item) for item in items()["new"][first:first + count]])


def run(config: Path, *args: str):
    """`feedbridge build` in this process, with --json, its stdout and stderr apart."""
    return CliRunner().invoke(cli, ["build", "--config", str(config), "--json", *args])


def served(server: LoopbackServer, documents: dict[str, bytes]) -> None:
    for category, document in documents.items():
        server.serve(f"/rss/{category}", document)


@pytest.fixture
def two_feeds(tmp_path, http_server, toy_model):
    """quant-ph and a second category, cs.XX, built once: the published site (out/)."""
    config = write_config(tmp_path, translation={"model": TOY}, feeds=["quant-ph", "cs.XX"], feed_url=f"{http_server.url}/rss/{{category}}")
    served(http_server, {"quant-ph": day(MONDAY, 0), "cs.XX": day(MONDAY, 10)})
    result = run(config)
    assert result.exit_code == 0, result.stderr
    return config, published(tmp_path / "out")


def feed_of(result, name: str) -> dict:
    return {f["name"]: f for f in json.loads(result.stdout)["feeds"]}[name]


# --- the findings --------------------------------------------------------------------


def test_a_writer_that_fails_fails_its_feed_alone(tmp_path, http_server, two_feeds, monkeypatch):
    """A writer raising on one feed (as feedgen did on an untitled entry, before the
    parser skipped those): that feed keeps its files, the others are published."""
    from feedbridge.render.atom import AtomWriter

    render = AtomWriter.render

    def failing(self, view):
        if view.name == "cs.XX.ja":
            raise ValueError("Required fields not set")
        return render(self, view)

    monkeypatch.setattr(AtomWriter, "render", failing)
    config, before = two_feeds
    served(http_server, {"quant-ph": day(TUESDAY, 3), "cs.XX": day(TUESDAY, 13)})
    result = run(config)
    assert result.exit_code == ExitCode.PARTIAL, result.stderr
    assert feed_of(result, "cs.XX.ja")["status"] == "failed"
    assert "ValueError" in feed_of(result, "cs.XX.ja")["message"]
    assert "Traceback" not in result.stderr
    after = published(tmp_path / "out")
    for name in ("cs.XX.ja.xml", "archive/cs.XX.ja.json"):
        assert after[name] == before[name]
    assert feed_of(result, "quant-ph.ja")["new"] == 3 and after["quant-ph.ja.xml"] != before["quant-ph.ja.xml"]
    assert {"index.html", "feeds.opml", "status.json", "quant-ph.ja.html", "cs.XX.ja.html"} <= after.keys()


def test_a_translation_pass_that_crashes_fails_its_feeds_not_the_run(tmp_path, http_server, two_feeds, monkeypatch):
    import feedbridge.pipeline

    def crashing(*args, **kwargs):
        raise RuntimeError("the model fell over")

    config, before = two_feeds
    monkeypatch.setattr(feedbridge.pipeline, "run", crashing)
    served(http_server, {"quant-ph": day(TUESDAY, 3), "cs.XX": day(TUESDAY, 13)})
    result = run(config)
    assert result.exit_code == ExitCode.FAILED and "Traceback" not in result.stderr
    assert feed_of(result, "quant-ph.ja")["message"] == "translation en->ja failed: RuntimeError: the model fell over"
    assert published(tmp_path / "out") == before


def archive_answers(name: str) -> dict[str, object]:
    """Ways a published archive can be unreadable, each the body (or action) the site serves."""
    good = (Path(__file__).parent / "fixtures/site-0.1.0/archive/quant-ph.ja.json").read_bytes()
    newer = json.loads(good)
    newer["format"] = FORMAT + 1
    return {
        "503 every time": reply(503, b"busy"),
        "HTML page at 200": reply(200, b"<!DOCTYPE html><html><body>Maintenance</body></html>"),
        "truncated": reply(200, good[: len(good) // 2]),
        "newer format": reply(200, json.dumps(newer).encode()),
        "a field of the wrong type": reply(200, good.replace(b'"days":["', b'"days":[7,"', 1)),
    }[name]


@pytest.mark.parametrize("case", ["503 every time", "HTML page at 200", "truncated", "newer format",
                                  "a field of the wrong type"])
@pytest.mark.parametrize("strict", [False, True])
def test_an_unreadable_published_history_publishes_nothing(case, strict, tmp_path, http_server, toy_model):
    """Only a 404 means "new": anything else unreadable leaves the feed unknown, and a run
    that cannot carry a feed over publishes no site at all, --strict or not."""
    http_server.script(archive_answers(case), path="/site/archive/quant-ph.ja.json", repeat_last=True)
    served(http_server, {"quant-ph": day(MONDAY, 0)})
    config = write_config(tmp_path, translation={"model": TOY}, feeds=["quant-ph"], feed_url=f"{http_server.url}/rss/{{category}}",
                          base_url=f"{http_server.url}/site/")
    result = run(config, *(["--strict"] if strict else []))
    assert result.exit_code == ExitCode.FAILED, result.stderr
    summary = json.loads(result.stdout)
    assert summary["published"] is False and "quant-ph.ja" in summary["withheld"]
    assert feed_of(result, "quant-ph.ja")["message"].startswith("unknown: ")
    assert "no new site was published" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / ".out.staging").exists()


@pytest.mark.parametrize("damage", ["truncated", "newer format", "a field of the wrong type", "not JSON"])
def test_an_unreadable_local_history_publishes_nothing_and_keeps_the_site(damage, tmp_path, http_server, two_feeds):
    config, _ = two_feeds
    path = tmp_path / "out/archive/quant-ph.ja.json"
    good = path.read_bytes()
    document = json.loads(good)
    document["format"] = FORMAT + 1
    path.write_bytes({
        "truncated": good[:-40],
        "newer format": json.dumps(document).encode(),
        "a field of the wrong type": good.replace(b'"entries":[', b'"entries":[7,', 1),
        "not JSON": b"\x00\x01binary",
    }[damage])
    before = published(tmp_path / "out")
    served(http_server, {"quant-ph": day(TUESDAY, 3), "cs.XX": day(TUESDAY, 13)})
    result = run(config)
    assert result.exit_code == ExitCode.FAILED, result.stderr
    assert str(path) in json.loads(result.stdout)["feeds"][0]["message"]
    assert published(tmp_path / "out") == before


def test_a_site_never_published_starts_every_feed_new(tmp_path, http_server, toy_model):
    """A 404 for the archive is the one answer that means a first run."""
    served(http_server, {"quant-ph": day(MONDAY, 0)})
    config = write_config(tmp_path, translation={"model": TOY}, feeds=["quant-ph"], feed_url=f"{http_server.url}/rss/{{category}}",
                          base_url=f"{http_server.url}/site/")
    result = run(config)
    assert result.exit_code == 0, result.stderr
    assert feed_of(result, "quant-ph.ja")["new"] == 3
    assert json.loads(result.stdout)["previous"] == f"the published site at {http_server.url}/site/"


def test_when_every_feed_fails_nothing_is_written(tmp_path, toy_model):
    """With every source down the run once wrote an index, "No papers yet" pages, an empty
    OPML and status.json, which the workflow would have deployed over the live site."""
    result = run(write_config(tmp_path, translation={"model": TOY}, feeds=["quant-ph", "cs.XX"]))
    assert result.exit_code == ExitCode.FAILED
    assert json.loads(result.stdout)["withheld"] == "every feed failed"
    assert not (tmp_path / "out").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out")) == [".out.feedbridge-lock"]


def test_a_topic_feed_with_one_failed_source_says_it_was_partly_updated(tmp_path, http_server, toy_model):
    topic = {**TOPIC, "categories": ["quant-ph", "cs.XX"], "include": ["."]}
    config = write_config(tmp_path, translation={"model": TOY}, feeds=["quant-ph"], topics=[topic], feed_url=f"{http_server.url}/rss/{{category}}")
    served(http_server, {"quant-ph": day(MONDAY, 0)})
    http_server.serve("/rss/cs.XX", b"down", status=500)
    result = run(config)
    assert result.exit_code == ExitCode.PARTIAL, result.stderr
    entanglement = feed_of(result, "entanglement.ja")
    assert entanglement["status"] == "partial" and entanglement["new"] == 3
    assert "cs.XX" in entanglement["message"] and "HTTP 500" in entanglement["message"]
    status = json.loads((tmp_path / "out/status.json").read_text())
    assert [f["status"] for f in status["feeds"]] == ["updated", "partial"]
    assert "HTTP 500" in (tmp_path / "out/index.html").read_text()


def test_an_unwritable_summary_costs_the_summary_not_the_publish(tmp_path, http_server, two_feeds):
    config, _ = two_feeds
    served(http_server, {"quant-ph": day(TUESDAY, 3), "cs.XX": day(TUESDAY, 13)})
    result = run(config, "--summary", str(tmp_path / "missing/summary.md"))
    assert result.exit_code == 0
    assert json.loads(result.stdout)["published"] is True
    assert f"{tmp_path}/missing/summary.md: cannot write the summary" in result.stderr


def test_ctrl_c_during_a_write_leaves_the_site_and_no_hidden_file(tmp_path, http_server, two_feeds):
    config, before = two_feeds
    served(http_server, {"quant-ph": day(TUESDAY, 3), "cs.XX": day(TUESDAY, 13)})
    syncs = []
    real_fsync = os.fsync

    def interrupted(fd):
        syncs.append(fd)
        if len(syncs) == 3:
            raise KeyboardInterrupt
        real_fsync(fd)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("feedbridge.atomicfile.os.fsync", interrupted)
        result = run(config)
    assert result.exit_code == 1 and len(syncs) == 3  # click: "Aborted!"
    assert published(tmp_path / "out") == before
    staging = tmp_path / ".out.staging"
    assert not [p for p in staging.rglob(".*")], "a temporary file was left behind"
    assert run(config).exit_code == 0
    assert not staging.exists()


def test_serve_never_serves_a_hidden_file(tmp_path):
    (tmp_path / "index.html").write_text("<p>site</p>")
    (tmp_path / ".quant-ph.ja.xml.abcd1234.tmp").write_text("<feed>half")
    server = make_server(tmp_path, 0)
    import threading

    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        assert urllib.request.urlopen(url + "index.html").read() == b"<p>site</p>"
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(url + ".quant-ph.ja.xml.abcd1234.tmp")
        assert error.value.code == 404
    finally:
        server.shutdown()
        server.server_close()


def test_a_site_that_fails_verification_is_not_swapped_in(tmp_path, http_server, two_feeds, monkeypatch):
    """A writer that leaves a stray file: verification refuses the staged site."""
    import feedbridge.pipeline

    class Stray:
        def render(self, site):
            return {"notes.txt": b"not part of the site"}

    config, before = two_feeds
    monkeypatch.setattr(feedbridge.pipeline, "SITE_WRITERS", (*feedbridge.pipeline.SITE_WRITERS, Stray()))
    served(http_server, {"quant-ph": day(TUESDAY, 3), "cs.XX": day(TUESDAY, 13)})
    result = run(config)
    assert result.exit_code == ExitCode.FAILED
    assert "failed verification" in json.loads(result.stdout)["withheld"]
    assert "notes.txt" in result.stderr
    assert published(tmp_path / "out") == before


def test_a_folder_of_other_files_is_never_replaced(tmp_path, toy_model):
    (tmp_path / "out").mkdir()
    (tmp_path / "out/notes.txt").write_text("mine")
    result = run(write_config(tmp_path, translation={"model": TOY}, feeds=["quant-ph"]))
    assert result.exit_code == ExitCode.FAILED
    assert "holds files but no feedbridge site" in result.stderr
    assert (tmp_path / "out/notes.txt").read_text() == "mine"


# --- the previous state ----------------------------------------------------------------


def test_a_feed_taken_out_of_the_config_is_dropped_and_said_so(tmp_path, http_server, two_feeds):
    config, _ = two_feeds
    served(http_server, {"quant-ph": day(TUESDAY, 3)})
    fewer = write_config(tmp_path, translation={"model": TOY}, feeds=["quant-ph"], feed_url=f"{http_server.url}/rss/{{category}}")
    result = run(fewer)
    assert result.exit_code == 0, result.stderr
    assert f"cs.XX.ja was published but is no longer in {fewer}" in " ".join(json.loads(result.stdout)["warnings"])
    assert not [name for name in published(tmp_path / "out") if name.startswith(("cs.XX", "archive/cs.XX"))]



def test_the_live_site_wins_over_an_older_output_folder(tmp_path, http_server, two_feeds):
    """A cache that missed a deploy restores an older site: the live one is newer, and read."""
    config, _ = two_feeds
    served(http_server, {"quant-ph": day(TUESDAY, 3), "cs.XX": day(TUESDAY, 13)})
    newer = tmp_path / "newer"
    shutil.copytree(tmp_path / "out", newer / "out")
    shutil.copy(config, newer / "feeds.yaml")
    assert CliRunner().invoke(cli, ["build", "--config", str(newer / "feeds.yaml")]).exit_code == 0
    for name, data in published(newer / "out").items():
        http_server.serve(f"/live/{name}", data)
    live = write_config(tmp_path, translation={"model": TOY}, feeds=["quant-ph", "cs.XX"], feed_url=f"{http_server.url}/rss/{{category}}",
                        base_url=f"{http_server.url}/live/")
    result = run(live)
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["previous"].startswith(f"the published site at {http_server.url}/live/ (newer than")
    assert feed_of(result, "quant-ph.ja")["status"] == "stale"  # Tuesday's batch is already live


def test_an_unreachable_live_site_leaves_the_output_folder_as_previous_state(tmp_path, http_server, two_feeds):
    config, _ = two_feeds
    served(http_server, {"quant-ph": day(TUESDAY, 3), "cs.XX": day(TUESDAY, 13)})
    down = write_config(tmp_path, translation={"model": TOY}, feeds=["quant-ph", "cs.XX"], feed_url=f"{http_server.url}/rss/{{category}}",
                        base_url="http://127.0.0.1:9/site/")
    result = run(down)
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["previous"] == f"the output folder {tmp_path / 'out'}"
    assert any("could not compare the output folder with the live site" in w for w in summary["warnings"])


# --- the swap and its recovery ----------------------------------------------------------


def folders(tmp_path: Path, **contents: str) -> Path:
    """Folders beside ``out`` named by role (out, staging, verified, previous), each with
    one file holding its text; returns the output folder's path."""
    out = tmp_path / "out"
    for role, text in contents.items():
        folder = out if role == "out" else tmp_path / f".out.{role}"
        folder.mkdir()
        (folder / "site.txt").write_text(text)
    return out


def state(tmp_path: Path) -> dict[str, str]:
    return {p.name: (p / "site.txt").read_text() for p in sorted(tmp_path.iterdir()) if p.is_dir()}


@pytest.mark.parametrize("left, after", [
    ({"out": "old", "staging": "half"}, {"out": "old"}),  # killed before verification passed
    ({"out": "old", "verified": "new"}, {"out": "new"}),  # after, before the old site stepped aside
    ({"previous": "old", "verified": "new"}, {"out": "new"}),  # between the two renames
    ({"out": "new", "previous": "old"}, {"out": "new"}),  # before the old site was removed
    ({"out": "old"}, {"out": "old"}),  # nothing to do
])
def test_recover_finishes_or_undoes_every_interrupted_state(tmp_path, left, after):
    out = folders(tmp_path, **left)
    done = publish.recover(out)
    assert state(tmp_path) == after
    assert bool(done) == (left != {"out": "old"})


def test_recover_refuses_a_state_no_swap_leaves(tmp_path):
    out = folders(tmp_path, out="a", previous="b", verified="c")
    with pytest.raises(OutputError, match="keep the one to publish"):
        publish.recover(out)
    assert state(tmp_path) == {".out.previous": "b", ".out.verified": "c", "out": "a"}


@pytest.mark.parametrize("failing", [2, 3])
def test_a_swap_step_that_fails_puts_the_old_site_back(tmp_path, monkeypatch, failing):
    """The output folder a mount point, say: moving it (step 2) or into it (step 3) fails."""
    out = folders(tmp_path, out="old", staging="new")
    calls = []
    rename = publish._rename

    def refusing(source, target):
        calls.append(source)
        if len(calls) == failing:
            raise OutputError(f"{target}: cannot move {source} there: Device or resource busy")
        rename(source, target)

    monkeypatch.setattr(publish, "_rename", refusing)
    with pytest.raises(OutputError, match="Device or resource busy"):
        publish.swap(tmp_path / ".out.staging", out)
    monkeypatch.undo()
    assert state(tmp_path) == {".out.staging": "new", "out": "old"}
    publish.recover(out)
    assert state(tmp_path) == {"out": "old"}


# --- the output folder however it is spelled ---------------------------------------------


def test_a_build_through_a_symlink_replaces_the_folder_and_keeps_the_link(tmp_path, http_server, two_feeds):
    config, before = two_feeds
    link = tmp_path / "published"
    link.symlink_to(tmp_path / "out", target_is_directory=True)
    served(http_server, {"quant-ph": day(TUESDAY, 3), "cs.XX": day(TUESDAY, 13)})

    result = run(config, "--out", str(link))

    assert result.exit_code == 0, result.stderr
    assert link.is_symlink() and link.resolve() == (tmp_path / "out").resolve()
    assert published(tmp_path / "out")["quant-ph.ja.xml"] != before["quant-ph.ja.xml"]
    assert sorted(p.name for p in tmp_path.glob(".*")) == [".out.feedbridge-lock"]


def test_a_build_with_out_dot_stages_beside_the_folder_never_inside(tmp_path, http_server, two_feeds, monkeypatch):
    config, before = two_feeds
    served(http_server, {"quant-ph": day(TUESDAY, 3), "cs.XX": day(TUESDAY, 13)})
    monkeypatch.chdir(tmp_path / "out")

    result = run(config, "--out", ".")

    assert result.exit_code == 0, result.stderr
    after = published(tmp_path / "out")
    # nothing of the build's own inside the site: only the page of the day the window grew by
    assert after.keys() - before.keys() == {"quant-ph.ja/2025-04-28.html", "cs.XX.ja/2025-04-28.html"}
    assert before.keys() <= after.keys()
    assert after["quant-ph.ja.xml"] != before["quant-ph.ja.xml"]
    assert sorted(p.name for p in tmp_path.glob(".*")) == [".out.feedbridge-lock"]
