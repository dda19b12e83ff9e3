"""A simulated fortnight: the publish workflow's build job, run as GitHub runs it on the
schedule it declares, against a loopback arXiv (its RSS and its API) and a loopback
GitHub Pages site.

    python tests/support/fortnight.py [--root DIR] [--reduced]

(tests/test_fortnight.py runs it once and checks what the published site says at the end.)

**The workflow.** `.github/workflows/publish.yml` is read with PyYAML: its `on.schedule`
crons say when each weekday's attempts start (UTC), and the `build` job's steps are run
in order, once per attempt, in a fresh working folder as on a fresh runner:

- a `run:` step runs with bash as GitHub runs it (`shell: bash` is
  `bash --noprofile --norc -eo pipefail`, no shell is `bash -e`), with its own
  GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files and `${{ … }}` in `env:` replaced by their
  values; its exit code is kept, and a failing step ends the attempt;
- `python -m pip install .` is not run: the repository is on PYTHONPATH and a
  `feedbridge` on PATH runs `feedbridge.cli:main` (setup.cfg's console script) with the
  Python running the tests;
- the `uses:` steps are simulated: `actions/checkout` lays out the working folder with the
  world's feeds.yaml; `actions/setup-python` does nothing (a `python` on PATH is there);
  `actions/cache` restores its path from what the last successful job saved (the translation
  memory and HTTP validators live across attempts, as the workflow caches them) and saves
  it when the job succeeds; `actions/cache/restore` of `site` copies the last deployed site
  into `site/`; `actions/configure-pages` gives `base_url`, the loopback Pages URL (no
  trailing slash); `actions/upload-pages-artifact` keeps a copy of `site/`, and the
  `deploy` job (when its `if:` holds) makes that copy the served site, which is also
  the next attempt's restored one. An action the harness does not know stops the run
  (HarnessError): a changed workflow must be modelled, not ignored.

Each attempt's clock is SOURCE_DATE_EPOCH, set for every step to the attempt's start.

**arXiv.** Papers get ids in submission order across all categories (`2606.04001`…).
The announcement labelled day L carries what was submitted between the previous
announcement's deadline and L's (14:00 New York on the working day before L: the Friday
for a Monday), is made at 20:00 New York the evening before L, and is in the RSS from
midnight New York. Each announcement day brings, for each of quant-ph and hep-ex, three
new papers with that primary category, the last of which is cross-listed to the other
category (so each feed holds 3 `new` and 1 `cross` a day), and papers of math.CO, a
category no feed follows, whose ids fall among ours. The RSS (`/rss/<category>`)
serves the batch labelled with today's New York date, or an empty channel dated today
when nothing is labelled so (weekends; Monday 2026-06-22, which the holiday of Friday
2026-06-19 leaves without an announcement). One category can be scheduled to lag: it
serves the previous batch until a given time (`Scenario.stale`).

The API (`/api/query`) answers `id_list=…&max_results=N` as the 2026 API does, with an
entry for each id that exists and was announced by the simulated now, and nothing for the
others; any other query is answered HTTP 400 with the API's error document. Every
request to the world is recorded with the attempt it came in.

**The scenario** (`FORTNIGHT`): Monday 2026-06-08 to Wednesday 2026-06-24; quant-ph lags
at the first attempt of Tuesday 06-09; GitHub drops every attempt of Thursday 06-11 and
of Wednesday 06-17 to Friday 06-19 (the holiday among them); the weekends run nothing (the
crons are Monday to Friday). Every scheduled attempt of the other weekdays runs: 36
builds, about 30 s here (each starts 4 minutes after its cron time, START_DELAY, as GitHub
starts late). `all_attempts=False` runs all four only on the stale day and on
the first day after a dropped one, and the first attempt on other days (18 builds).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlencode, urlsplit
from zoneinfo import ZoneInfo

import yaml
from lxml import etree

SUPPORT = Path(__file__).resolve().parent
if str(SUPPORT.parent) not in sys.path:  # run as a script: `support` is importable as in the tests
    sys.path.insert(0, str(SUPPORT.parent))

from support.chaos import document, renumbered, serialized  # noqa: E402
from support.feeds import ARXIV_NS, items  # noqa: E402
from support.paths import API_ERROR, REPO, TOY, TOY_MODEL  # noqa: E402
from support.server import Handler, LoopbackServer  # noqa: E402

WORKFLOW = REPO / ".github" / "workflows" / "publish.yml"
BUILD_JOB = "build"
BUILD_STEP = "build"  # the build job's step that runs `feedbridge build` (its id)
UTC = timezone.utc
NEW_YORK = ZoneInfo("America/New_York")

CATEGORIES = ("quant-ph", "hep-ex")  # the configured feeds, in config order
OTHER_CATEGORY = "math.CO"  # submitted to, never configured: its ids fall among ours
TARGET = "ja"
NEW_A_DAY = 3  # new papers a day with each configured category as primary
CROSS_LISTED_A_DAY = 1  # of those, cross-listed to the other configured category
OTHER_A_DAY = 2  # math.CO papers a day
FIRST_SERIAL = 4000  # June's first 4000 ids went to the days before the fortnight
DEADLINE_HOUR = 14  # New York: a label day's submissions close at 14:00 the working day before
ANNOUNCE_HOUR = 20  # New York: the announcement is made at 20:00 the evening before its label day
WINDOW_DAYS = 20  # announcement days each feed keeps: more than the fortnight holds
STATUS_FILE = "status.json"  # the site's state after each run (report.py)
STATUS_FEED = "status.atom"  # the site's Atom feed of gaps opened and closed, failures, stale feeds
START_DELAY = timedelta(minutes=4)  # GitHub starts a scheduled run late, a few minutes at best
STEP_TIMEOUT = 300  # seconds one step may run
# How GitHub runs a `run:` step on Linux: `shell: bash`, and no shell given.
GITHUB_SHELLS = {"bash": ["bash", "--noprofile", "--norc", "-eo", "pipefail"], None: ["bash", "-e"]}

ATOM_NS = "http://www.w3.org/2005/Atom"
OPENSEARCH_NS = "http://a9.com/-/spec/opensearch/1.1/"
ARXIV_URI = ARXIV_NS[1:-1]
DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
ARXIV_ID = re.compile(r"(\d{4}\.\d{4,5})(?:v(\d+))?")


class HarnessError(RuntimeError):
    """The simulation cannot model what it met (an unknown action, a changed cron): the
    harness needs work, not the product."""


# --- the scenario ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    first_day: date
    last_day: date
    # Label days arXiv announces nothing for, though weekdays: the holiday of Friday 06-19
    # has no deadline, so there is no Sunday announcement and nothing is labelled Monday.
    no_announcement: frozenset[date]
    stale: tuple[str, date, datetime] | None  # category, label day, serves the previous batch until
    dropped: frozenset[date]  # weekdays on which GitHub runs no attempt at all
    all_attempts: bool = False  # True: every scheduled attempt of every day runs

    def attempts(self, day: date, scheduled: int, previous_days: Iterable[date]) -> list[int]:
        """Which of the day's ``scheduled`` attempts run (1 is the first): none on a dropped
        day; all on the stale day and on the first day after a dropped one; else the first."""
        if day in self.dropped or scheduled == 0:
            return []
        everything = list(range(1, scheduled + 1))
        if self.all_attempts or (self.stale is not None and day == self.stale[1]):
            return everything
        ran_before = [d for d in previous_days if d < day]
        if ran_before and ran_before[-1] in self.dropped:
            return everything
        return [1]

    def announcement_days(self) -> list[date]:
        return [d for d in days_from(self.first_day, self.last_day) if self.is_announcement_day(d)]

    def is_announcement_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.no_announcement


FORTNIGHT = Scenario(
    first_day=date(2026, 6, 8),
    last_day=date(2026, 6, 24),
    no_announcement=frozenset({date(2026, 6, 22)}),
    stale=("quant-ph", date(2026, 6, 9), datetime(2026, 6, 9, 8, 0, tzinfo=UTC)),
    dropped=frozenset({date(2026, 6, 11), date(2026, 6, 17), date(2026, 6, 18), date(2026, 6, 19)}),
    all_attempts=True,
)


def days_from(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def new_york(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=NEW_YORK)


def previous_working_day(day: date) -> date:
    day -= timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


# --- arXiv: papers, the RSS, the API ------------------------------------------------------------


@dataclass
class Paper:
    arxiv_id: str
    primary: str
    categories: tuple[str, ...]  # the primary first, as arXiv lists them
    submitted: datetime  # UTC
    day: date  # the label day of the announcement that carries it
    item: etree._Element  # its RSS item in its primary category's feed (announce type new)
    title: str
    abstract: str
    authors: tuple[str, ...]

    def rss_item(self, category: str) -> etree._Element:
        """Its item in ``category``'s feed: `new` in its primary's, `cross` elsewhere."""
        if category == self.primary:
            return self.item
        item = copy.deepcopy(self.item)
        item.find(f"{ARXIV_NS}announce_type").text = "cross"
        description = item.find("description")
        description.text = description.text.replace("Announce Type: new", "Announce Type: cross", 1)
        return item


class Arxiv:
    """What arXiv has: every paper of the scenario, with its submission time and label day."""

    def __init__(self, scenario: Scenario, seed: int = 20260608):
        self.scenario = scenario
        self.papers: dict[str, Paper] = {}
        self.by_day: dict[date, list[Paper]] = {}
        pool = items()["new"]
        rng = random.Random(seed)
        serials: dict[str, int] = {}
        next_item = 0
        days = scenario.announcement_days()
        opened = self.deadline(self.previous_announcement_day(days[0]))
        for day in days:
            closes = self.deadline(day)
            kinds = [(c, (CATEGORIES[(i + 1) % len(CATEGORIES)],) if n >= NEW_A_DAY - CROSS_LISTED_A_DAY else ())
                     for i, c in enumerate(CATEGORIES) for n in range(NEW_A_DAY)]
            kinds += [(OTHER_CATEGORY, ())] * OTHER_A_DAY
            rng.shuffle(kinds)  # submission order interleaves the categories
            step = (closes - opened) / (len(kinds) + 1)
            papers = []
            for n, (primary, crosses) in enumerate(kinds, 1):
                submitted = (opened + n * step).astimezone(UTC).replace(microsecond=0)
                month = f"{submitted:%y%m}"
                serials[month] = serials.get(month, FIRST_SERIAL) + 1
                arxiv_id = f"{month}.{serials[month]:05d}"
                item = renumbered(pool[next_item % len(pool)], arxiv_id, primary)
                next_item += 1
                categories = (primary, *crosses)
                for element in item.findall("category"):
                    item.remove(element)
                anchor = item.find("pubDate")
                for category in categories:  # where the capture keeps them: before pubDate
                    element = etree.Element("category")
                    element.text = category
                    anchor.addprevious(element)
                paper = Paper(arxiv_id, primary, categories, submitted, day, item, title=item.findtext("title"),
                              abstract=item.findtext("description").split("Abstract: ", 1)[1],
                              authors=tuple(split_authors(item.findtext(DC_CREATOR) or "")))
                self.papers[arxiv_id] = paper
                papers.append(paper)
            self.by_day[day] = papers
            opened = closes
        self._documents: dict[tuple[str, date], bytes] = {}

    # the calendar

    def previous_announcement_day(self, day: date) -> date:
        day -= timedelta(days=1)
        while not self.scenario.is_announcement_day(day):
            day -= timedelta(days=1)
        return day

    @staticmethod
    def deadline(day: date) -> datetime:
        """When the submissions labelled ``day`` close: 14:00 New York the working day before."""
        return new_york(previous_working_day(day), DEADLINE_HOUR)

    @staticmethod
    def announced_at(day: date) -> datetime:
        return new_york(day - timedelta(days=1), ANNOUNCE_HOUR)

    # what each feed announces

    def feed_papers(self, category: str, day: date) -> list[Paper]:
        """The papers of ``category``'s feed labelled ``day``: new ones first, then cross-lists."""
        papers = [p for p in self.by_day.get(day, []) if category in p.categories]
        return sorted(papers, key=lambda p: (p.primary != category, p.arxiv_id))

    def expected(self, category: str) -> dict[date, set[str]]:
        """Every announcement day's ids of ``category``'s feed, new papers and cross-lists."""
        return {day: {p.arxiv_id for p in self.feed_papers(category, day)} for day in self.by_day}

    # the RSS

    def rss_day(self, category: str, now: datetime) -> date | None:
        """The label day whose batch ``category``'s RSS serves at ``now``; None: an empty channel."""
        today = now.astimezone(NEW_YORK).date()
        if not self.scenario.is_announcement_day(today):
            return None
        if today not in self.by_day:
            raise HarnessError(f"{today} is outside the scenario's days: no batch to serve")
        stale = self.scenario.stale
        if stale is not None and (category, today) == stale[:2] and now < stale[2]:
            return self.previous_announcement_day(today)
        return today

    def rss(self, category: str, now: datetime) -> tuple[date | None, bytes]:
        day = self.rss_day(category, now)
        dated = day or now.astimezone(NEW_YORK).date()
        key = (category, dated)
        if key not in self._documents:
            batch = [p.rss_item(category) for p in self.feed_papers(category, day)] if day else []
            self._documents[key] = serialized(document(category, dated, batch))
        return day, self._documents[key]

    # the API

    def api_answer(self, query: str, now: datetime) -> tuple[int, bytes, list[str]]:
        """The API's status, body and the ids it was asked for, for ``query`` at ``now``."""
        fields = parse_qs(query, keep_blank_values=True)
        if set(fields) - {"id_list", "max_results", "start"} or any(len(v) > 1 for v in fields.values()):
            return 400, API_ERROR.read_bytes(), []
        asked = [i for i in fields.get("id_list", [""])[0].split(",") if i]
        try:
            max_results = int(fields.get("max_results", ["10"])[0])
            start = int(fields.get("start", ["0"])[0])
        except ValueError:
            return 400, API_ERROR.read_bytes(), asked
        if not asked or max_results < 0 or start < 0 or not all(ARXIV_ID.fullmatch(i) for i in asked):
            return 400, API_ERROR.read_bytes(), asked
        found = []
        for requested in asked:
            arxiv_id, version = ARXIV_ID.fullmatch(requested).groups()
            paper = self.papers.get(arxiv_id)
            if paper is not None and version in (None, "1") and self.announced_at(paper.day) <= now:
                found.append(paper)
        return 200, api_feed(found, start, max_results, now, fields), asked


def split_authors(creators: str) -> list[str]:
    """``dc:creator``'s authors, joined by ", ", with commas inside parentheses kept."""
    names, depth, current = [], 0, ""
    for index, char in enumerate(creators):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0 and creators[index + 1:index + 2] == " ":
            names.append(current.strip())
            current = ""
        else:
            current += char
    return [name for name in (*names, current.strip()) if name]


def api_feed(papers: list[Paper], start: int, max_results: int, now: datetime, fields: dict) -> bytes:
    """The API's 2026 Atom serialization (as in the fixture of 100 search results)."""
    stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    query = urlencode({key: value[0] for key, value in fields.items()}, safe=",")
    feed = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={"opensearch": OPENSEARCH_NS, "arxiv": ARXIV_URI, None: ATOM_NS})

    def add(parent, name: str, text: str | None = None, ns: str = ATOM_NS, **attributes) -> etree._Element:
        element = etree.SubElement(parent, f"{{{ns}}}{name}", {k.rstrip("_"): v for k, v in attributes.items()})
        element.text = text
        return element

    add(feed, "id", "https://arxiv.org/api/" + hashlib.sha1(query.encode()).hexdigest()[:27])
    add(feed, "title", f"arXiv Query: {query}")
    add(feed, "updated", stamp)
    add(feed, "link", href=f"https://arxiv.org/api/query?{query}", type="application/atom+xml")
    add(feed, "itemsPerPage", str(max_results), OPENSEARCH_NS)
    add(feed, "totalResults", str(len(papers)), OPENSEARCH_NS)
    add(feed, "startIndex", str(start), OPENSEARCH_NS)
    for paper in papers[start:start + max_results]:
        submitted = paper.submitted.strftime("%Y-%m-%dT%H:%M:%SZ")
        entry = add(feed, "entry")
        add(entry, "id", f"http://arxiv.org/abs/{paper.arxiv_id}v1")
        add(entry, "title", paper.title)
        add(entry, "updated", submitted)
        add(entry, "link", href=f"https://arxiv.org/abs/{paper.arxiv_id}v1", rel="alternate", type="text/html")
        add(entry, "link", href=f"https://arxiv.org/pdf/{paper.arxiv_id}v1", rel="related", type="application/pdf",
            title="pdf")
        add(entry, "summary", paper.abstract)
        for category in paper.categories:
            add(entry, "category", term=category, scheme=ARXIV_URI)
        add(entry, "published", submitted)
        add(entry, "primary_category", None, ARXIV_URI, term=paper.primary)
        for name in paper.authors:
            add(add(entry, "author"), "name", name)
    return etree.tostring(feed, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# --- the world: the loopback server, the deployed site, the model -----------------------------


@dataclass
class Request:
    attempt: str  # the attempt's label, "" between attempts
    path: str
    status: int
    served_day: date | None = None  # an RSS request: the batch's label day (None: empty channel)
    ids: list[str] = field(default_factory=list)  # an API request: the ids asked for

    @property
    def kind(self) -> str:
        return self.path.split("/")[1] if self.path.count("/") > 1 else ""


class World:
    """arXiv and GitHub Pages on one loopback server, at the simulated ``now``."""

    def __init__(self, root: Path, arxiv: Arxiv):
        self.root = root
        self.arxiv = arxiv
        self.published = root / "pages"  # what GitHub Pages serves: the last deployed site
        self.models = root / "models"
        self.now: datetime | None = None
        self.attempt = ""
        self.requests: list[Request] = []
        self.errors: list[str] = []  # HarnessErrors met while answering a request
        self.server = LoopbackServer()
        self.server.script(self._answer, repeat_last=True)

    @property
    def pages_url(self) -> str:
        """The Pages URL as configure-pages gives it: no trailing slash."""
        return f"{self.server.url}/site"

    def config_text(self) -> str:
        """feeds.yaml for the working folder (feedbridge/config.py has the keys)."""
        return (
            f"site: {{base_url: '{self.pages_url}/', output_dir: site}}\n"
            f"arxiv: {{contact: fortnight@example.org, feed_url: '{self.server.url}/rss/{{category}}',"
            f" api_url: '{self.server.url}/api/query', min_interval: 0, retries: 0, timeout: 5}}\n"
            f"translation: {{model: {TOY}, to: {TARGET}, beam_size: 1, batch_tokens: 512}}\n"
            f"window: {{days: {WINDOW_DAYS}}}\n"
            f"feeds: [{', '.join(CATEGORIES)}]\n"
        )

    def install_model(self) -> None:
        """The trained toy model, added through feedbridge's own path (as chaos.World does)."""
        from feedbridge.translate.marian import add_model

        saved = os.environ.get("FEEDBRIDGE_MODELS_DIR")
        os.environ["FEEDBRIDGE_MODELS_DIR"] = str(self.models)
        try:
            add_model(TOY_MODEL, name=TOY, source="en", target=TARGET)
        finally:
            if saved is None:
                del os.environ["FEEDBRIDGE_MODELS_DIR"]
            else:
                os.environ["FEEDBRIDGE_MODELS_DIR"] = saved

    def deploy(self, artifact: Path) -> None:
        shutil.rmtree(self.published, ignore_errors=True)
        shutil.copytree(artifact, self.published)

    def _answer(self, handler: Handler) -> None:
        """Answer one request; the harness's own trouble is kept for the runner to raise,
        since the server's thread would swallow it."""
        try:
            self._serve(handler)
        except HarnessError as error:
            self.errors.append(f"{handler.path}: {error}")
            handler.reply(500, {}, b"harness error")

    def _serve(self, handler: Handler) -> None:
        path, now = handler.path, self.now
        if now is None:
            raise HarnessError("a request between attempts")
        split = urlsplit(path)
        if split.path.startswith("/rss/"):
            category = split.path[5:]
            if category not in CATEGORIES:
                self._log(path, 404)
                handler.reply(404, {}, b"no such feed")
                return
            day, body = self.arxiv.rss(category, now)
            etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
            status = 304 if handler.headers.get("If-None-Match") == etag else 200
            self._log(path, status, served_day=day)
            if status == 304:
                handler.reply(304, {"ETag": etag})
            else:
                handler.reply(200, {"Content-Type": "application/rss+xml", "ETag": etag}, body)
        elif split.path == "/api/query":
            status, body, ids = self.arxiv.api_answer(split.query, now)
            self._log(path, status, ids=ids)
            handler.reply(status, {"Content-Type": "application/atom+xml; charset=utf-8"}, body)
        elif split.path == "/site" or split.path.startswith("/site/"):
            file = self._published_file(unquote(split.path[len("/site/"):]))
            self._log(path, 200 if file else 404)
            if file is None:
                handler.reply(404, {"Content-Type": "text/html"}, b"<h1>404</h1>")
            else:
                handler.reply(200, {}, file.read_bytes())
        else:
            self._log(path, 404)
            handler.reply(404, {}, b"not found")

    def _log(self, path: str, status: int, **facts) -> None:
        self.requests.append(Request(self.attempt, path, status, **facts))

    def _published_file(self, name: str) -> Path | None:
        if not self.published.is_dir():
            return None
        path = (self.published / name).resolve()
        if path.is_dir():
            path = path / "index.html"
        return path if path.is_relative_to(self.published.resolve()) and path.is_file() else None

    def close(self) -> None:
        self.server.close()


# --- the workflow -----------------------------------------------------------------------------


def load_workflow(path: Path = WORKFLOW) -> dict:
    workflow = yaml.safe_load(path.read_text())
    if True in workflow:  # YAML 1.1 reads the key `on` as true
        workflow["on"] = workflow.pop(True)
    return workflow


def crons(workflow: dict) -> list[str]:
    return [entry["cron"] for entry in workflow["on"]["schedule"]]


def cron_days(field_: str) -> set[int]:
    """A cron day-of-week field as cron's numbers (0 and 7 are Sunday)."""
    if field_ == "*":
        return set(range(7))
    days = set()
    for part in field_.split(","):
        low, _, high = part.partition("-")
        days |= set(range(int(low), int(high or low) + 1))
    return {d % 7 for d in days}


def scheduled_times(workflow: dict, day: date) -> list[datetime]:
    """The UTC times the workflow's crons start an attempt on ``day``, in order."""
    times = []
    for cron in crons(workflow):
        fields = cron.split()
        if len(fields) != 5 or fields[2:4] != ["*", "*"] or not (fields[0].isdigit() and fields[1].isdigit()):
            raise HarnessError(f"a cron the harness does not model: {cron!r}")
        minute, hour, dow = int(fields[0]), int(fields[1]), fields[4]
        if (day.weekday() + 1) % 7 in cron_days(dow):  # cron counts from Sunday 0
            times.append(datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC))
    return sorted(times)


EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def expand(text: str, context: dict[str, str]) -> str:
    """``${{ name }}`` replaced by the context's value; an unknown expression is a HarnessError."""

    def value(match: re.Match) -> str:
        if match.group(1) not in context:
            raise HarnessError(f"an expression the harness does not model: {match.group(0)}")
        return context[match.group(1)]

    return EXPRESSION.sub(value, str(text))


def action_of(step: dict) -> str:
    """``owner/repo[/path]`` of a `uses:` step, without its ref."""
    return step["uses"].split("@", 1)[0]


def step_name(step: dict) -> str:
    return step.get("name") or step.get("uses", "").split("@")[0] or step["run"].strip().splitlines()[0]


def read_outputs(path: Path) -> dict[str, str]:
    """A GITHUB_OUTPUT file: ``name=value`` lines and ``name<<DELIMITER`` blocks."""
    outputs: dict[str, str] = {}
    lines = path.read_text().splitlines() if path.exists() else []
    while lines:
        line = lines.pop(0)
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            value = []
            while lines and lines[0] != delimiter:
                value.append(lines.pop(0))
            lines = lines[1:]
            outputs[name] = "\n".join(value)
        elif "=" in line:
            name, value = line.split("=", 1)
            outputs[name] = value
    return outputs


@dataclass
class StepRun:
    name: str
    kind: str  # "run", "uses", "skipped" (not simulated: the pip install), "not run" (after a failure)
    exit_code: int | None = None
    stdout: str = ""
    stderr: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    summary: str = ""
    seconds: float = 0.0


@dataclass
class Attempt:
    label: str  # "2026-06-09 #1"
    day: date  # the UTC date it ran on (a weekday)
    number: int  # which of the day's scheduled attempts, from 1
    when: datetime  # its clock, SOURCE_DATE_EPOCH
    steps: list[StepRun] = field(default_factory=list)
    succeeded: bool = False  # every step of the build job passed
    deployed: bool = False  # the deploy job ran: its site is now the published one
    outputs: dict[str, str] = field(default_factory=dict)  # the build job's outputs
    rss: dict[str, date | None] = field(default_factory=dict)  # each category's batch, as last served
    status_json: dict | None = None  # the built site's status.json (read whether deployed or not)
    feeds: dict[str, list[FeedEntry]] = field(default_factory=dict)  # the built site's feeds' entries
    seconds: float = 0.0

    @property
    def epoch(self) -> int:
        return int(self.when.timestamp())

    @property
    def status(self) -> int | None:
        """`feedbridge build`'s exit code, as the build step wrote it to GITHUB_OUTPUT."""
        step = self.build_step
        return int(step.outputs["status"]) if step and "status" in step.outputs else None

    @property
    def build_step(self) -> StepRun | None:
        return next((s for s in self.steps if s.name == BUILD_STEP), None)

    @property
    def failed_step(self) -> StepRun | None:
        return next((s for s in self.steps if s.kind in ("run", "uses") and s.exit_code != 0), None)

    @property
    def told(self) -> str:
        """What the build step said where a person looks: its stdout, stderr and the job summary."""
        step = self.build_step
        return "" if step is None else "\n".join((step.stdout, step.stderr, step.summary))

    def line(self) -> str:
        rss = ", ".join(f"{c} {d or 'empty'}" for c, d in self.rss.items())
        failed = self.failed_step
        return (f"{self.label} ({self.when:%a %H:%M} UTC, {self.when.astimezone(NEW_YORK):%H:%M} New York): "
                f"build exit {self.status}, {'deployed' if self.deployed else 'NOT deployed'}"
                + (f", step {failed.name!r} failed with {failed.exit_code}" if failed else "")
                + f"; RSS {rss}; {self.seconds:.1f} s")


class Runner:
    """The build job of the workflow, run on a fresh runner for each attempt, and its deploy."""

    def __init__(self, world: World, workflow: dict, root: Path):
        self.world = world
        self.workflow = workflow
        self.root = root
        self.job = workflow["jobs"][BUILD_JOB]
        self.caches = root / "actions-cache"  # what actions/cache saved, by path
        self.bin = root / "bin"
        self.run_id = 0
        self._install_tools()
        self._check_deploy_job()

    def _install_tools(self) -> None:
        """`python` and `feedbridge` on PATH, as setup-python and the pip install leave them."""
        self.bin.mkdir(parents=True, exist_ok=True)
        python = self.bin / "python"
        python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
        feedbridge = self.bin / "feedbridge"  # setup.cfg: feedbridge = feedbridge.cli:main
        feedbridge.write_text(
            f'#!/bin/sh\nexec "{sys.executable}" -c '
            "'import sys; sys.argv[0] = \"feedbridge\"; from feedbridge.cli import main; main()' \"$@\"\n")
        for tool in (python, feedbridge):
            tool.chmod(0o755)

    def _check_deploy_job(self) -> None:
        deploying = [(name, job) for name, job in self.workflow["jobs"].items()
                     if any(action_of(s) == "actions/deploy-pages" for s in job.get("steps", []) if "uses" in s)]
        if len(deploying) != 1:
            raise HarnessError("the harness models one job that deploys to Pages")
        name, job = deploying[0]
        condition = re.fullmatch(r"needs\.(\S+)\.outputs\.(\S+) == '(\S+)'", job.get("if", ""))
        needs = job.get("needs")
        if condition is None or condition.group(1) != BUILD_JOB or needs not in (BUILD_JOB, [BUILD_JOB]):
            raise HarnessError(f"the {name} job's needs and if: are not what the harness models")
        self.deploy_output, self.deploy_value = condition.group(2), condition.group(3)

    def run(self, when: datetime, label: str, day: date, number: int) -> Attempt:
        self.run_id += 1
        attempt = Attempt(label, day, number, when)
        began = time.monotonic()
        folder = self.root / "runs" / f"{self.run_id:02d}"
        workspace, temp = folder / "workspace", folder / "runner-temp"
        temp.mkdir(parents=True)
        context = {"github.workspace": str(workspace), "runner.temp": str(temp), "github.run_id": str(self.run_id),
                   "github.run_attempt": "1", "github.event_name": "schedule"}
        base_env = self._base_env(workspace, temp, when, folder)
        job_env = {key: expand(value, context) for key, value in self.job.get("env", {}).items()}
        saves: list[str] = []  # actions/cache paths to save when the job succeeds
        artifact: Path | None = None
        self.world.now, self.world.attempt = when, label
        try:
            for index, step in enumerate(self.job["steps"]):
                name = step.get("id") or step_name(step)
                if attempt.failed_step is not None:
                    attempt.steps.append(StepRun(name, "not run"))
                    continue
                if "if" in step:
                    raise HarnessError(f"step {name!r} has an if: the harness does not model")
                if "uses" in step:
                    result, saved, artifact = self._uses(step, name, workspace, artifact)
                    saves += saved
                elif "pip install" in step["run"]:
                    result = StepRun(name, "skipped", 0)  # the repository is on PYTHONPATH instead
                else:
                    env = {**base_env, **job_env,
                           **{key: expand(value, context) for key, value in step.get("env", {}).items()}}
                    result = self._run(step, name, index, workspace, temp, env, context)
                attempt.steps.append(result)
                if result.outputs and "id" in step:
                    for key, value in result.outputs.items():
                        context[f"steps.{step['id']}.outputs.{key}"] = value
        finally:
            self.world.attempt = ""
        attempt.succeeded = attempt.failed_step is None
        attempt.outputs = {key: EXPRESSION.sub(lambda m: context.get(m.group(1), ""), str(value))
                           for key, value in self.job.get("outputs", {}).items()}
        if attempt.succeeded:
            for path in saves:  # actions/cache's post step: saved when the job succeeded
                target = self.caches / path
                shutil.rmtree(target, ignore_errors=True)
                if (workspace / path).exists():
                    shutil.copytree(workspace / path, target)
            if attempt.outputs.get(self.deploy_output) == self.deploy_value and artifact is not None:
                self.world.deploy(artifact)
                attempt.deployed = True
        status = workspace / "site" / "status.json"
        try:
            attempt.status_json = json.loads(status.read_text()) if status.exists() else None
        except ValueError:
            attempt.status_json = None
        attempt.feeds = {feed_name(c): feed_entries(workspace / "site", feed_name(c)) for c in CATEGORIES}
        for request in self.world.requests:
            if request.attempt == label and request.kind == "rss" and request.status in (200, 304):
                attempt.rss[request.path.rsplit("/", 1)[1]] = request.served_day
        attempt.seconds = time.monotonic() - began
        self.world.now = None
        if self.world.errors:
            raise HarnessError(f"{label}: " + "; ".join(self.world.errors))
        return attempt

    def _base_env(self, workspace: Path, temp: Path, when: datetime, folder: Path) -> dict[str, str]:
        """The runner's environment: a fresh home, the loopback world, the attempt's clock."""
        env = {key: value for key, value in os.environ.items()
               if key not in {"FEEDBRIDGE_CONFIG", "FEEDBRIDGE_CACHE_DIR", "ARGOS_PACKAGES_DIR"}
               and not key.lower().endswith("_proxy") and not key.startswith(("GITHUB_", "RUNNER_"))}
        home = folder / "home"
        env.update({
            "PATH": f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONPATH": str(REPO),
            "HOME": str(home),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "FEEDBRIDGE_MODELS_DIR": str(self.world.models),
            "ARGOS_PACKAGE_INDEX": "http://127.0.0.1:9/",  # nothing listens there: no real index
            "NO_PROXY": "127.0.0.1,localhost",
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": "schedule",
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_RUN_ID": str(self.run_id),
            "RUNNER_TEMP": str(temp),
            "SOURCE_DATE_EPOCH": str(int(when.timestamp())),
        })
        return env

    def _uses(self, step: dict, name: str, workspace: Path, artifact: Path | None
              ) -> tuple[StepRun, list[str], Path | None]:
        action, given = action_of(step), step.get("with", {})
        saves: list[str] = []
        outputs: dict[str, str] = {}
        if action == "actions/checkout":
            workspace.mkdir(parents=True)
            (workspace / "feeds.yaml").write_text(self.world.config_text())
        elif action == "actions/setup-python":
            pass  # the Python running the tests, on PATH as `python`
        elif action == "actions/cache":
            path = given["path"]
            if (self.caches / path).exists():
                shutil.copytree(self.caches / path, workspace / path)
                outputs["cache-hit"] = "false"  # a restore key matched, never the exact key
            saves.append(path)
        elif action == "actions/cache/restore":
            if given.get("path") != "site":
                raise HarnessError(f"actions/cache/restore of {given.get('path')!r}: the harness restores site")
            if self.world.published.is_dir():
                shutil.copytree(self.world.published, workspace / "site")
        elif action == "actions/configure-pages":
            url = self.world.pages_url
            split = urlsplit(url)
            outputs = {"base_url": url, "origin": f"{split.scheme}://{split.netloc}", "host": split.netloc,
                       "base_path": split.path}
        elif action == "actions/upload-pages-artifact":
            source = workspace / given.get("path", "_site")
            artifact = workspace.parent / "artifact"
            shutil.copytree(source, artifact)  # the deploy serves exactly what was uploaded
        else:
            raise HarnessError(f"an action the harness does not simulate: {step['uses']}")
        return StepRun(name, "uses", 0, outputs=outputs), saves, artifact

    def _run(self, step: dict, name: str, index: int, workspace: Path, temp: Path, env: dict[str, str],
             context: dict[str, str]) -> StepRun:
        shell = step.get("shell")
        if shell not in GITHUB_SHELLS:
            raise HarnessError(f"step {name!r}: shell {shell!r} is not modelled")
        script = temp / f"step-{index}.sh"
        script.write_text(expand(step["run"], context))
        output, summary = temp / f"output-{index}", temp / f"summary-{index}.md"
        output.touch()
        summary.touch()
        env = {**env, "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary)}
        cwd = workspace / step.get("working-directory", ".")
        began = time.monotonic()
        try:
            done = subprocess.run([*GITHUB_SHELLS[shell], str(script)], cwd=cwd, env=env, capture_output=True,
                                  text=True, timeout=STEP_TIMEOUT)
            code, stdout, stderr = done.returncode, done.stdout, done.stderr
        except subprocess.TimeoutExpired as timeout:
            code = 124
            stdout = (timeout.stdout or b"").decode(errors="replace") if isinstance(timeout.stdout, bytes) else (
                timeout.stdout or "")
            stderr = f"the step ran past {STEP_TIMEOUT} s"
        return StepRun(name, "run", code, stdout, stderr, read_outputs(output), summary.read_text(),
                       time.monotonic() - began)


# --- the fortnight ------------------------------------------------------------------------------


@dataclass
class Fortnight:
    """What happened: the attempts, arXiv's papers, every request, and the site at the end."""

    scenario: Scenario
    arxiv: Arxiv
    attempts: list[Attempt]
    requests: list[Request]
    site: Path  # the published site at the end
    seconds: float

    def lines(self) -> list[str]:
        return [attempt.line() for attempt in self.attempts] + [
            f"{len(self.attempts)} attempts in {self.seconds:.0f} s; missed: "
            + "; ".join(f"{c} {', '.join(map(str, sorted(self.missed_days(c)))) or '-'}" for c in CATEGORIES)]

    def served_days(self, category: str) -> set[date]:
        """The label days whose batch some attempt read from ``category``'s RSS."""
        return {r.served_day for r in self.requests if r.kind == "rss" and r.path.endswith(f"/{category}")
                and r.status in (200, 304) and r.served_day is not None}

    def missed_days(self, category: str) -> set[date]:
        """Announcement days whose batch no attempt ever got from the RSS: the gaps to recover.
        (An attempt that got a batch and did not deploy is a failure of its own, which
        test_fortnight's first check reports.)"""
        return set(self.arxiv.by_day) - self.served_days(category)

    def first_attempts_after_gaps(self) -> list[tuple[Attempt, set[date]]]:
        """Each attempt that began with a gap open (the first after a missed day), and its missed days."""
        found, closed = [], set()
        for attempt in self.attempts:  # a day's batch leaves the RSS at the next midnight in New York
            missed = {day for c in CATEGORIES for day in self.missed_days(c)
                      if new_york(day + timedelta(days=1), 0) <= attempt.when and day not in closed}
            if missed:
                found.append((attempt, missed))
                closed |= missed
        return found

    def api_requests(self, attempt: str | None = None) -> list[Request]:
        return [r for r in self.requests if r.kind == "api" and (attempt is None or r.attempt == attempt)]


def simulate(root: Path, scenario: Scenario = FORTNIGHT, log: Callable[[str], None] = print,
             workflow: dict | None = None) -> Fortnight:
    """Every attempt the scenario runs, in order; raises only for the harness's own trouble."""
    root.mkdir(parents=True, exist_ok=True)
    workflow = workflow or load_workflow()
    arxiv = Arxiv(scenario)
    world = World(root, arxiv)
    began = time.monotonic()
    attempts: list[Attempt] = []
    ran_days: list[date] = []
    try:
        world.install_model()
        runner = Runner(world, workflow, root)
        for day in days_from(scenario.first_day, scenario.last_day):
            times = scheduled_times(workflow, day)
            if not times:
                continue
            chosen = scenario.attempts(day, len(times), ran_days)
            ran_days.append(day)
            for number in chosen:
                when = times[number - 1] + START_DELAY
                attempt = runner.run(when, f"{day} #{number}", day, number)
                attempts.append(attempt)
                log(attempt.line())
        return Fortnight(scenario, arxiv, attempts, list(world.requests), world.published,
                         time.monotonic() - began)
    finally:
        world.close()


# --- reading the published site ------------------------------------------------------------------


@dataclass(frozen=True)
class FeedEntry:
    arxiv_id: str | None
    title: str
    terms: tuple[str, ...]  # every <category term> of the entry


def feed_name(category: str) -> str:
    return f"{category}.{TARGET}"


def feed_entries(site: Path, name: str) -> list[FeedEntry]:
    """The entries of the feed ``name``'s Atom document (render/atom.py: atom_path), in order."""
    path = site / f"{name}.xml"
    if not path.exists():
        return []
    entries = []
    for entry in etree.parse(str(path)).getroot().iter(f"{{{ATOM_NS}}}entry"):
        found = None
        for link in entry.iter(f"{{{ATOM_NS}}}link"):
            match = re.search(r"arxiv\.org/abs/(\d{4}\.\d{4,5})", link.get("href", ""))
            if match and (found is None or link.get("rel", "alternate") == "alternate"):
                found = match.group(1)
        terms = tuple(c.get("term", "") for c in entry.findall(f"{{{ATOM_NS}}}category"))
        entries.append(FeedEntry(found, entry.findtext(f"{{{ATOM_NS}}}title", ""), terms))
    return entries


def status_json(site: Path) -> dict:
    return json.loads((site / STATUS_FILE).read_text())


def status_feed_titles(site: Path) -> list[str] | None:
    """The entry titles of the site's status feed (STATUS_FEED), whitespace joined; None
    when the site has no such file."""
    if not (site / STATUS_FEED).is_file():
        return None
    root = etree.parse(str(site / STATUS_FEED)).getroot()
    return [" ".join(e.findtext(f"{{{ATOM_NS}}}title", "").split()) for e in root.iter(f"{{{ATOM_NS}}}entry")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=None, help="default: a temporary folder, removed after")
    parser.add_argument("--reduced", action="store_true",
                        help="all attempts only on the stale day and after a dropped one; else the first")
    args = parser.parse_args(argv)
    import dataclasses
    import tempfile

    scenario = dataclasses.replace(FORTNIGHT, all_attempts=not args.reduced)
    with tempfile.TemporaryDirectory(prefix="feedbridge-fortnight-") as temporary:
        root = args.root or Path(temporary)
        fortnight = simulate(root, scenario)
        print(fortnight.lines()[-1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
