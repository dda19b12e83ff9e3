"""`make run`: make exits 2 whatever failed, so the recipe says feedbridge's own exit code first."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from feedbridge.errors import ExitCode
from support.config import write_config

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def installed_venv(folder: Path) -> Path:
    """A folder the Makefile takes for its installed venv ($(VENV)/.installed): its
    bin/feedbridge runs this checkout's feedbridge, as `pip install -e .` would."""
    (folder / "bin").mkdir(parents=True)
    script = folder / "bin" / "feedbridge"
    script.write_text(f'#!/bin/sh\nPYTHONPATH="{REPO}" exec "{sys.executable}" -m feedbridge.cli "$@"\n')
    script.chmod(0o755)
    (folder / ".installed").touch()  # newer than setup.cfg and pyproject.toml: nothing to install
    return folder


def test_make_run_says_feedbridges_exit_code_before_makes_error(tmp_path):
    # a valid config, and no translation package: the index (conftest: port 9) cannot be reached
    config = write_config(tmp_path, feeds=["cs.AI"])
    venv = installed_venv(tmp_path / "venv")
    # As a person types it: not as a sub-make of `make test` (CI), which would say make[1].
    env = {name: value for name, value in os.environ.items() if name not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}
    made = subprocess.run(["make", "--no-print-directory", "-C", str(REPO), "run", f"VENV={venv}", f"CONFIG={config}"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert made.returncode == 2, made.stderr  # make's own, whatever the recipe's
    lines = made.stderr.splitlines()
    said = lines.index(f"feedbridge exited with code {int(ExitCode.MODEL)} (see 'Exit codes' in docs/commands.md)")
    assert lines[said - 1].startswith("Error: cannot reach the Argos package index")  # feedbridge's own line
    assert lines[said + 1].startswith("make: ***") and lines[said + 1].endswith(f"Error {int(ExitCode.MODEL)}")
    assert made.stdout.splitlines()[0] == f"{venv}/bin/feedbridge build --config {config}"  # the command, as make shows it

