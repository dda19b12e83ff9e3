"""Golden outputs: every file and report of four days of builds, byte for byte.

The scenario (``support/site_scenario.py``) uses every feature the pipeline has. Each
day runs ``build --dry-run --json`` and then ``build --json``, with the history read
from the previous day's output folder and one translation memory throughout. The
golden files hold everything those runs print and write, with the run's durations and
the test's own folder normalised.

A restructure must leave these files as they are. When a change means to alter an
output, regenerate them with ``FEEDBRIDGE_REGOLD=1 pytest tests/test_golden.py`` and
name the change in the commit. The last day's output folder was kept, once, as the
published-site fixture (``tests/fixtures/site-0.1.0/``, see test_upgrade.py).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from support.site_scenario import (
    SCENARIO_CLOCKS, TOY_CONFIG, add_toy_models, build, normalised, save_day, scenario_days,
)

GOLDEN = Path(__file__).with_name("golden")
REGOLD = os.environ.get("FEEDBRIDGE_REGOLD") == "1"


def build_days(root: Path) -> dict[str, bytes]:
    """Every day's dry run, run and output, as golden-file names and normalised bytes."""
    root.mkdir()
    (root / "feeds.yaml").write_text(TOY_CONFIG)
    produced: dict[str, bytes] = {}
    for number, (documents, now) in enumerate(zip(scenario_days(), SCENARIO_CLOCKS, strict=True), start=1):
        saved = str(save_day(root / f"saved{number}", documents))
        day = f"day{number}"
        code, dry = build(root, "--from-dir", saved, "--offline", "--dry-run", "--json", "--now", now)
        produced[f"{day}/dry-run.json"] = normalised(dry, root) + f"exit {code}\n".encode()
        code, report = build(root, "--from-dir", saved, "--offline", "--json", "--now", now)
        produced[f"{day}/build.json"] = normalised(report, root) + f"exit {code}\n".encode()
        out = root / "out"
        for path in sorted(out.rglob("*")):
            if path.is_file():
                produced[f"{day}/site/{path.relative_to(out).as_posix()}"] = normalised(path.read_bytes(), root)
    return produced


def test_golden_outputs_of_four_days(tmp_path, installed_model):
    add_toy_models()
    produced = build_days(tmp_path / "scene")
    if REGOLD:
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for name, data in produced.items():
            (GOLDEN / name).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / name).write_bytes(data)
    expected = {p.relative_to(GOLDEN).as_posix(): p.read_bytes() for p in sorted(GOLDEN.rglob("*")) if p.is_file()}
    assert sorted(produced) == sorted(expected), "a golden file is missing or new"
    differing = [name for name in expected if produced[name] != expected[name]]
    assert not differing, f"outputs differ from the golden files: {differing}"
