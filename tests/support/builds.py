"""`feedbridge build` run from a test, and the tiny translation package for builds made once per module."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from feedbridge.cli import cli


def build(*args) -> Result:
    """`feedbridge build ARGS…` in this process; paths may be given as Paths."""
    return CliRunner().invoke(cli, ["build", *map(str, args)])


@contextmanager
def tiny_model_installed(folder: Path, tiny_argosmodel: Path):
    """The tiny package in a folder of its own, for a site built once per module."""
    from feedbridge.translate.packages import install_from_file

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ARGOS_PACKAGES_DIR", str(folder / "argos-packages"))
        patch.setenv("FEEDBRIDGE_CACHE_DIR", str(folder / "cache"))
        install_from_file(tiny_argosmodel)
        yield
