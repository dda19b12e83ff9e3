"""A chaos run: weeks of announcement days built one run after another, each run drawing
faults, and after every run the published site checked whole and complete.

    python tests/support/chaos.py [--runs N] [--seed S] [--root DIR]

(`make chaos` runs 200; tests/test_chaos.py runs a fixed-seed slice in CI.)

The world is two arXiv categories served from a loopback server with a new batch of
real quant-ph items (renumbered) each announcement day, the arXiv API beside them, and
the published site itself, served from its folder as the live site the builds compare
with. Each run is `feedbridge build` in its own process, either in place on the
published folder (a maintainer's machine) or, as a fresh CI runner would, into an empty
folder whose result is deployed only when the build says it published. A run draws
faults of seven kinds:

- network: the connection reset, closed, stalled past the timeout, or HTTP 503, for a
  feed, the API or the live site;
- body: a feed's body truncated, an HTML page, broken or trailing-garbage gzip, empty,
  too large;
- item: one item without a title or with a far-future date, the channel dated in the
  future, every author gone, arXiv's namespace renamed, escape sequences in a title;
- history: the live site's archive of a feed unreadable (only where the run reads it);
- package: the translation model's files damaged for the run;
- disk: the files a build may write capped in size (RLIMIT_FSIZE: writes fail as on a
  full disk), or a half-built staging folder left beside the site;
- kill: SIGKILL at a fetch, a translation batch, a file write, a verification, a swap
  step or a time (tests/support/killpoint.py).

After every run, `feedbridge verify` (which first finishes a swap a kill interrupted)
must pass on the published folder against the copy taken before the run, and an oracle
checks the entries: every entry once published is still there until the window's
rule lets it go, no entry is one arXiv never announced or appears twice, and a run that
met no fault touching a feed has published that day's papers of it. Each kind of fault has its outcome checked too
(a damaged model exits 3 and changes nothing, an unreadable history exits 1 …).
"""

from __future__ import annotations

import argparse
import copy
import gzip
import hashlib
import json
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from lxml import etree

SUPPORT = Path(__file__).resolve().parent
if str(SUPPORT.parent) not in sys.path:  # run as a script: `support` is importable as in the tests
    sys.path.insert(0, str(SUPPORT.parent))

from support.feeds import ARXIV_NS, day_document, items  # noqa: E402
from support.killpoint import POINTS  # noqa: E402
from support.paths import API_ZERO, REPO, TOY, TOY_MODEL  # noqa: E402
from support.server import Handler, LoopbackServer, hang_up, reply, reset, stall_before_headers  # noqa: E402

KILLPOINT = SUPPORT / "killpoint.py"
CATEGORIES = ("quant-ph", "hep-ex")
PAPERS_A_DAY = 3
WINDOW_DAYS = 20  # announcement days a feed keeps: a long run sees entries leave by the window's rule
FIRST_DAY = date(2026, 1, 5)  # 200 runs end months before today: no date is in the future
TIMEOUT = 1  # seconds a stalled server is waited for: the config's arxiv.timeout
MAX_BYTES = 2 * 2**20
# How far into a run each kill point may lie: a whole run reaches at least these.
KILL_RANGE = {"fetch": 3, "batch": 1, "written": 10, "replaced": 10, "verify": 2, "swap": 4}
DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"


# --- the world: days, feeds, the server, the published site ----------------------------------


def announcement_days(start: date):
    day = start
    while True:
        if day.weekday() < 5:
            yield day
        day += timedelta(days=1)


class World:
    """The servers, the published folder and what arXiv has announced so far."""

    def __init__(self, root: Path):
        self.root = root
        self.published = root / "site"
        self.cache = root / "cache"
        self.models = root / "models"
        self.server = LoopbackServer()
        self.server.script(self._answer, repeat_last=True)
        self.faults: dict[str, list] = {}  # path prefix -> actions, each answering one request
        self.bodies: dict[str, bytes] = {}  # category -> today's feed document
        self.announced: dict[str, set[str]] = {c: set() for c in CATEGORIES}
        self.day_of: dict[str, date] = {}  # every announced id's announcement day
        self.items = items()["new"]
        self.next_item = {c: i * len(self.items) // len(CATEGORIES) for i, c in enumerate(CATEGORIES)}
        self.serial = 0
        self.config = root / "feeds.yaml"
        self.config.write_text(
            f"site: {{base_url: '{self.server.url}/site/', output_dir: site}}\n"
            f"arxiv: {{contact: chaos@example.org, feed_url: '{self.server.url}/rss/{{category}}',"
            f" api_url: '{self.server.url}/api/query', min_interval: 0, retries: 0, timeout: {TIMEOUT},"
            f" max_bytes: {MAX_BYTES}}}\n"
            f"translation: {{model: {TOY}, beam_size: 1, batch_tokens: 512}}\n"
            f"window: {{days: {WINDOW_DAYS}}}\n"
            f"feeds: [{', '.join(CATEGORIES)}]\n"
        )

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "PYTHONPATH": str(REPO), "FEEDBRIDGE_CACHE_DIR": str(self.cache),
                "FEEDBRIDGE_MODELS_DIR": str(self.models), "ARGOS_PACKAGES_DIR": str(self.root / "argos")}

    def install_model(self) -> None:
        """The trained toy model, added through feedbridge's own path (as the tests do)."""
        from feedbridge.translate.marian import add_model

        saved = os.environ.get("FEEDBRIDGE_MODELS_DIR")
        os.environ["FEEDBRIDGE_MODELS_DIR"] = str(self.models)
        try:
            add_model(TOY_MODEL, name=TOY, source="en", target="ja")
        finally:
            if saved is None:
                del os.environ["FEEDBRIDGE_MODELS_DIR"]
            else:
                os.environ["FEEDBRIDGE_MODELS_DIR"] = saved

    def announce(self, day: date) -> dict[str, list[etree._Element]]:
        """A new batch of items for each category, dated ``day``, with ids never used before."""
        batches = {}
        for category in CATEGORIES:
            batch = []
            for _ in range(PAPERS_A_DAY):
                item = self.items[self.next_item[category] % len(self.items)]
                self.next_item[category] += 1
                self.serial += 1
                arxiv_id = f"{day:%y%m}.{self.serial:05d}"
                self.day_of[arxiv_id] = day
                batch.append(renumbered(item, arxiv_id, category))
            batches[category] = batch
        return batches

    def _answer(self, handler: Handler) -> None:
        path = handler.path
        for prefix, queue in self.faults.items():
            if path.startswith(prefix) and queue:
                queue.pop(0)(handler)
                return
        if path.startswith("/rss/") and path[5:] in self.bodies:
            body = self.bodies[path[5:]]
            etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
            if handler.headers.get("If-None-Match") == etag:
                handler.reply(304, {"ETag": etag})
            else:
                handler.reply(200, {"Content-Type": "application/rss+xml", "ETag": etag}, body)
        elif path.startswith("/api/"):
            handler.reply(200, {"Content-Type": "application/atom+xml"}, API_ZERO.read_bytes())
        elif path.startswith("/site/") and (file := self._published_file(path[6:])) is not None:
            handler.reply(200, {}, file.read_bytes())
        else:
            handler.reply(404, {}, b"not found")

    def _published_file(self, name: str) -> Path | None:
        path = (self.published / name.split("?")[0]).resolve()
        inside = path.is_relative_to(self.published.resolve())
        return path if inside and path.is_file() else None

    def close(self) -> None:
        self.server.close()


def renumbered(item: etree._Element, arxiv_id: str, category: str) -> etree._Element:
    """The item as a new paper ``arxiv_id`` in ``category``."""
    item = copy.deepcopy(item)
    old = re.search(r"oai:arXiv.org:(.+?)v\d+$", item.findtext("guid")).group(1)
    for element in item.iter():
        if element.text:
            element.text = element.text.replace(old, arxiv_id)
    for element in item.findall("category"):
        element.text = category
    # A sentence the model never saw (in words: numbers are protected from the model, so
    # sentences differing only in them are one sentence to the translation memory).
    name = "".join(chr(ord("a") + int(digit)) for digit in arxiv_id if digit.isdigit())
    item.find("description").text += f" We call this study {name}."
    return item


def document(category: str, day: date, batch: list[etree._Element]) -> etree._Element:
    """The real quant-ph channel, as ``category``'s, announcing ``batch`` on ``day``."""
    root = etree.fromstring(day_document(day, batch))
    channel = root.find("channel")
    for name in ("title", "link", "description"):
        channel.find(name).text = channel.find(name).text.replace("quant-ph", category)
    return root


ESCAPES_MARK = "ESCAPES-GO-HERE "


def serialized(root: etree._Element) -> bytes:
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return data.replace(ESCAPES_MARK.encode(), b"\x1b]0;owned\x07\x1b[31m")


def item_id(item: etree._Element) -> str:
    return re.search(r"oai:arXiv.org:(.+?)v\d+$", item.findtext("guid")).group(1)


# --- faults ------------------------------------------------------------------------------------


@dataclass
class Run:
    """One run's draw and what it means for the oracle."""

    number: int
    day: date
    faults: list[str] = field(default_factory=list)  # "kind:name[:target]"
    fresh: bool = False  # built into an empty folder, deployed only if it published
    kill: tuple[str, int] | None = None
    file_size_cap: int | None = None
    touched: set[str] = field(default_factory=set)  # categories whose papers may not publish
    spoiled: set[str] = field(default_factory=set)  # ids left out on purpose (a damaged item)
    everything: bool = False  # a fault that stops the whole run (history, package, disk, kill)
    expect: set[int] | None = None  # exit codes this run's faults allow

    def add(self, kind: str, name: str, target: str = "") -> None:
        self.faults.append(f"{kind}:{name}" + (f":{target}" if target else ""))


def stalled(handler: Handler) -> None:
    stall_before_headers(TIMEOUT + 2)(handler)


NETWORK = {
    "reset": reset(),
    "hang-up": hang_up(),
    "stall": stalled,
    "http-503": reply(503, b"busy", {"Retry-After": "0"}),
}


def body_fault(name: str, body: bytes):
    if name == "truncated":
        return lambda handler: (handler.reply(200, {}, body[: len(body) // 2], length=len(body)),
                                setattr(handler, "close_connection", True))
    if name == "html-page":
        return reply(200, b"<!DOCTYPE html><html><body><h1>Service Unavailable</h1></body></html>",
                     {"Content-Type": "text/html"})
    if name == "broken-gzip":
        packed = gzip.compress(body)
        return reply(200, packed[: len(packed) // 2] + b"\x00" * 64, {"Content-Encoding": "gzip"})
    if name == "gzip-trailing-garbage":
        return reply(200, gzip.compress(body) + b"garbage after the gzip stream", {"Content-Encoding": "gzip"})
    if name == "empty":
        return reply(200, b"", {"Content-Type": "application/rss+xml"})
    if name == "too-large":
        return reply(200, body + b"<!--" + b" " * MAX_BYTES + b"-->")
    raise ValueError(name)


BODY = ("truncated", "html-page", "broken-gzip", "gzip-trailing-garbage", "empty", "too-large")
ITEM = ("no-title", "future-item-date", "future-channel-date", "no-authors", "namespace-renamed", "escapes-in-title")


def damage_items(name: str, root: etree._Element, run: Run, category: str) -> etree._Element:
    """The day's document with one kind of damage; ``run`` learns what may not publish."""
    root = copy.deepcopy(root)
    channel = root.find("channel")
    first = channel.find("item")
    if name == "no-title":
        first.find("title").text = "  "
        run.spoiled.add(item_id(first))
    elif name == "future-item-date":
        first.find("pubDate").text = "Fri, 01 Jan 2100 00:00:00 -0500"
        run.spoiled.add(item_id(first))
    elif name == "future-channel-date":
        channel.find("pubDate").text = "Fri, 01 Jan 2100 00:00:00 -0500"
        run.touched.add(category)
    elif name == "no-authors":
        for creator in root.iter(DC_CREATOR):
            creator.getparent().remove(creator)
        run.touched.add(category)  # published or refused as degraded: either is a choice
    elif name == "namespace-renamed":
        text = serialized(root).replace(ARXIV_NS[1:-1].encode(), b"http://arxiv.org/schemas/atom/2")
        run.touched.add(category)
        return etree.fromstring(text)
    elif name == "escapes-in-title":  # raw control bytes, which lxml will not put in a tree
        first.find("title").text = ESCAPES_MARK + first.find("title").text
        run.spoiled.add(item_id(first))
    return root


def draw(rng: random.Random, run: Run, first: bool) -> None:
    """Zero, one or two faults, and a kill point about one run in three."""
    kinds = ["network", "body", "item", "history", "package", "disk"]
    weights = [4, 4, 4, 2, 1, 2]
    for _ in range(rng.choice((0, 0, 1, 1, 1, 2))):
        kind = rng.choices(kinds, weights)[0]
        if kind == "history" and first:
            kind = "network"
        if kind == "network":
            target = rng.choice((*CATEGORIES, "api", "site"))
            run.add(kind, rng.choice(sorted(NETWORK)), target)
        elif kind == "body":
            run.add(kind, rng.choice(BODY), rng.choice(CATEGORIES))
        elif kind == "item":
            run.add(kind, rng.choice(ITEM), rng.choice(CATEGORIES))
        elif kind == "history":
            run.add(kind, rng.choice(("archive-truncated", "archive-http-500")), rng.choice(CATEGORIES))
        elif kind == "package":
            run.add(kind, rng.choice(("model-truncated", "vocabulary-garbage", "spm-garbage")))
        elif kind == "disk":
            run.add(kind, rng.choice(("file-size-cap", "staging-leftover")))
    if rng.random() < 0.35:
        point = rng.choice((*POINTS, "after"))
        n = rng.randint(200, 4000) if point == "after" else rng.randint(1, KILL_RANGE[point])
        run.kill = (point, n)
    run.fresh = any(f.startswith("history:") for f in run.faults) or (not first and rng.random() < 0.25)


def apply(world: World, run: Run, batches: dict[str, list[etree._Element]]) -> None:
    """Set the day's documents and queue each drawn fault where it strikes."""
    documents = {c: document(c, run.day, batch) for c, batch in batches.items()}
    for fault in run.faults:
        kind, name, *rest = fault.split(":")
        target = rest[0] if rest else ""
        if kind == "item":
            documents[target] = damage_items(name, documents[target], run, target)
    world.bodies = {c: serialized(root) for c, root in documents.items()}
    world.faults = {}
    for fault in run.faults:
        kind, name, *rest = fault.split(":")
        target = rest[0] if rest else ""
        if kind == "network":
            prefix = {"api": "/api/", "site": "/site/status.json"}.get(target, f"/rss/{target}")
            world.faults.setdefault(prefix, []).append(NETWORK[name])
            if target in CATEGORIES:
                run.touched.add(target)
            elif target == "site" and run.fresh:  # without its status, the live site's state is unknown
                run.everything = True
        elif kind == "body":
            world.faults.setdefault(f"/rss/{target}", []).append(body_fault(name, world.bodies[target]))
            run.touched.add(target)
        elif kind == "history":
            prefix = f"/site/archive/{target}.ja.json"
            if name == "archive-truncated":
                archive = world.published / "archive" / f"{target}.ja.json"
                world.faults.setdefault(prefix, []).append(reply(200, archive.read_bytes()[:200]))
            else:
                world.faults.setdefault(prefix, []).append(reply(500, b"internal error"))
            run.everything, run.expect = True, {1}
        elif kind == "package":
            damage_model(world.models / TOY, name)
            run.everything, run.expect = True, {3}
        elif kind == "disk" and name == "file-size-cap":
            run.file_size_cap = 4096
            run.everything = True
        elif kind == "disk":
            out = world.root / "runner" if run.fresh else world.published
            staging = out.parent / f".{out.name}.staging"
            (staging / "archive").mkdir(parents=True, exist_ok=True)
            (staging / "quant-ph.ja.xml").write_bytes(b"<feed half-writ")
    if run.kill is not None:
        run.everything = True


def damage_model(folder: Path, name: str) -> None:
    intact = folder.with_name(folder.name + ".intact")
    if not intact.exists():  # a second damage in one run must not copy the first
        shutil.copytree(folder, intact)
    if name == "model-truncated":
        path = folder / "model.bin"
        path.write_bytes(path.read_bytes()[:1000])
    elif name == "vocabulary-garbage":
        (folder / "target_vocabulary.json").write_bytes(b"\xff\xfe not json")
    else:
        (folder / "source.spm").write_bytes(b"not a sentencepiece model")


def repair_model(folder: Path) -> None:
    intact = folder.with_name(folder.name + ".intact")
    if intact.exists():
        shutil.rmtree(folder)
        intact.rename(folder)


# --- one run, and the checks after it ---------------------------------------------------------


class ChaosFailure(AssertionError):
    pass


def build(world: World, run: Run, out: Path) -> tuple[int, str]:
    point, n = run.kill or ("none", 0)
    counts = world.root / "counts.json"
    cap = run.file_size_cap

    def limits() -> None:
        if cap is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the cap fails with EFBIG
            resource.setrlimit(resource.RLIMIT_FSIZE, (cap, cap))

    process = subprocess.run(
        [sys.executable, str(KILLPOINT), point, str(n), str(counts), "--",
         "build", "--config", str(world.config), "--out", str(out)],
        env={**world.env, "SOURCE_DATE_EPOCH": str(run_clock(run.day))}, capture_output=True, text=True,
        timeout=300, preexec_fn=limits,
    )
    return process.returncode, process.stderr


def run_clock(day: date) -> int:
    """A run's clock: the afternoon of its announcement day, so that the day it publishes is
    the one due, and gaps and recovery see the world's time, not today's."""
    return int(datetime(day.year, day.month, day.day, 14, tzinfo=timezone.utc).timestamp())


def feed_ids(site: Path) -> dict[str, list[str]]:
    """The arXiv ids of each published feed's entries, in order."""
    ids = {}
    for category in CATEGORIES:
        path = site / f"{category}.ja.xml"
        if path.exists():
            root = etree.parse(str(path)).getroot()
            ids[category] = [re.search(r"arxiv\.org/abs/([^v\s]+)", link.get("href")).group(1)
                             for entry in root.iter("{http://www.w3.org/2005/Atom}entry")
                             for link in entry.iter("{http://www.w3.org/2005/Atom}link")
                             if link.get("rel") == "alternate" and "arxiv.org/abs/" in link.get("href", "")]
    return ids


def verify(world: World, before: Path | None) -> None:
    from click.testing import CliRunner

    from feedbridge.cli import cli

    args = ["verify", str(world.published), "--config", str(world.config)]
    if before is not None:
        args += ["--previous", str(before)]
    result = CliRunner().invoke(cli, args, env=world.env)
    if result.exit_code != 0:
        raise ChaosFailure(f"verify failed:\n{result.output}")


@dataclass
class Tally:
    runs: int = 0
    faults: Counter = field(default_factory=Counter)
    kinds: Counter = field(default_factory=Counter)
    kills: Counter = field(default_factory=Counter)
    exits: Counter = field(default_factory=Counter)
    published_entries: int = 0

    def lines(self) -> list[str]:
        kills = sum(self.kills.values())
        out = [f"{self.runs} runs, {sum(self.kinds.values())} faults drawn, {kills} runs killed, "
               f"{self.published_entries} entries published"]
        out.append("faults per kind: " + ", ".join(f"{k} {v}" for k, v in sorted(self.kinds.items())))
        out += [f"  {name}: {count}" for name, count in sorted(self.faults.items())]
        out.append("kills per point: " + ", ".join(f"{k} {v}" for k, v in sorted(self.kills.items())))
        out.append("exit codes: " + ", ".join(f"{k}: {v}" for k, v in sorted(self.exits.items())))
        return out


def chaos(root: Path, runs: int, seed: int, log=print) -> Tally:
    """``runs`` runs drawn from ``seed``; raises ChaosFailure naming the run that broke a promise."""
    rng = random.Random(seed)
    world = World(root)
    tally = Tally()
    must: dict[str, set[str]] = {c: set() for c in CATEGORIES}  # published, and not yet out of the window
    ever: dict[str, set[str]] = {c: set() for c in CATEGORIES}  # every entry ever published
    days = announcement_days(FIRST_DAY)
    day = next(days)
    batches = world.announce(day)
    try:
        world.install_model()
        for number in range(1, runs + 1):
            if number > 1 and rng.random() < 0.75:
                day = next(days)
                batches = world.announce(day)
            for category, batch in batches.items():
                world.announced[category].update(item_id(item) for item in batch)
            run = Run(number, day)
            draw(rng, run, first=not world.published.exists())
            before = root / "before"
            shutil.rmtree(before, ignore_errors=True)
            if world.published.exists():
                shutil.copytree(world.published, before)
            apply(world, run, batches)
            out = root / "runner" if run.fresh else world.published
            shutil.rmtree(root / "runner", ignore_errors=True)
            began = time.monotonic()
            code, stderr = build(world, run, out)
            repair_model(world.models / TOY)
            tally.runs += 1
            tally.exits[code] += 1
            for fault in run.faults:
                tally.faults[fault.rsplit(":", 1)[0] if fault.count(":") == 2 else fault] += 1
                tally.kinds[fault.split(":")[0]] += 1
            if code == -signal.SIGKILL:
                tally.kills[run.kill[0]] += 1
                tally.kinds["kill"] += 1
            log(f"run {number:3d} {day} {'fresh' if run.fresh else 'in place'}: exit {code} "
                f"in {time.monotonic() - began:.1f} s; faults {run.faults or '-'}"
                + (f"; kill {run.kill[0]} {run.kill[1]}" if run.kill else ""))
            try:
                check(world, run, code, stderr, batches, must, before if before.exists() else None)
                for category, ids in feed_ids(world.published).items():
                    ever[category] |= set(ids)
            except ChaosFailure as failure:
                raise ChaosFailure(f"run {number} (seed {seed}, {day}, faults {run.faults}, kill {run.kill}, "
                                   f"exit {code}): {failure}\n--- stderr ---\n{stderr}") from None
        tally.published_entries = len(set().union(*ever.values()))
        return tally
    finally:
        world.close()


def check(world: World, run: Run, code: int, stderr: str, batches, must, before: Path | None) -> None:
    killed = code == -signal.SIGKILL
    if run.kill is None and code < 0:
        raise ChaosFailure(f"the build died of signal {-code}")
    if "Traceback" in stderr:
        raise ChaosFailure("a traceback instead of a one-line error")
    if "\x1b" in stderr or "\x07" in stderr:
        raise ChaosFailure("an escape sequence reached the terminal")
    if not killed:
        if len(run.faults) > 1:  # faults together: each may decide the outcome
            allowed = {0, 1, 3, 4}
        elif run.faults:
            allowed = run.expect or {0, 1, 4}
        else:
            allowed = {0}
        if code not in allowed:
            raise ChaosFailure(f"exit {code}, expected one of {sorted(allowed)}")
        if run.expect and before is not None and not run.fresh:
            changed = published_files(world.published) != published_files(before)
            if changed:
                raise ChaosFailure("a run that failed as a whole changed the published site")
    if run.fresh:
        if not killed and code in (0, 4):
            shutil.rmtree(world.published, ignore_errors=True)
            shutil.copytree(world.root / "runner", world.published)
        shutil.rmtree(world.root / "runner", ignore_errors=True)
    swapping = [world.published.with_name(f".{world.published.name}.{role}") for role in ("verified", "previous")]
    if before is None and not world.published.exists() and not any(p.exists() for p in swapping):
        if not killed and code in (0, 4):
            raise ChaosFailure("the first site was not published")
        return  # nothing was ever published
    verify(world, before)  # finishes a swap a kill interrupted, then checks the whole site
    ids = feed_ids(world.published)
    for category in CATEGORIES:
        published = ids.get(category, [])
        if len(published) != len(set(published)):
            raise ChaosFailure(f"{category}: an entry appears twice")
        strangers = set(published) - world.announced[category]
        if strangers:
            raise ChaosFailure(f"{category}: entries arXiv never announced: {sorted(strangers)[:3]}")
        window = window_days(world.published, category)
        left = {i for i in must[category] - set(published) if window and world.day_of[i] < window[0]}
        lost = must[category] - set(published) - left
        if lost:
            raise ChaosFailure(f"{category}: published entries lost: {sorted(lost)[:5]}")
        must[category] -= left  # gone by the window's rule, as verify --previous checked too
        if not (run.everything or category in run.touched or killed):
            today = {item_id(item) for item in batches[category]} - run.spoiled
            missing = today - set(published)
            if missing:
                raise ChaosFailure(f"{category}: the day's papers were not published: {sorted(missing)}")
        must[category] |= set(published)


def window_days(site: Path, category: str) -> list[date]:
    """The announcement days the feed's window holds, oldest first (from its archive)."""
    path = site / "archive" / f"{category}.ja.json"
    if not path.exists():
        return []
    return [date.fromisoformat(day) for day in json.loads(path.read_text())["days"]]


def published_files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=None, help="default: a new one, printed")
    parser.add_argument("--root", type=Path, default=None, help="default: a temporary folder, removed after")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    print(f"chaos: {args.runs} runs, seed {seed}")
    import tempfile

    with tempfile.TemporaryDirectory(prefix="feedbridge-chaos-") as temporary:
        root = args.root or Path(temporary)
        root.mkdir(parents=True, exist_ok=True)
        try:
            tally = chaos(root, args.runs, seed)
        except ChaosFailure as failure:
            print(f"FAILED: {failure}", file=sys.stderr)
            return 1
    for line in tally.lines():
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
