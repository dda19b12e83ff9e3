"""The build lock: one per output folder however its path is spelled, and never inside it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from feedbridge import atomicfile
from feedbridge.atomicfile import output_lock
from feedbridge.errors import OutputError


@pytest.fixture
def site(tmp_path) -> Path:
    """An output folder at its real path, a symlink to it, and a folder inside it."""
    real = tmp_path.resolve() / "published" / "site"
    (real / "sub").mkdir(parents=True)
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    return real


def spellings(site: Path, tmp_path: Path) -> dict[str, Path]:
    """One folder, as a user may name it to --out (relative ones from inside it)."""
    return {
        "real path": site,
        "symlink": tmp_path / "link",
        ".": Path("."),
        "sub/..": Path("sub/.."),
        "./sub/../": Path("./sub/../"),
        "../site": Path("../site"),
        "symlink/sub/..": tmp_path / "link" / "sub" / "..",
    }


def test_every_spelling_of_a_folder_has_one_lock_beside_its_real_path(site, tmp_path, monkeypatch):
    monkeypatch.chdir(site)
    locks = {spelled: atomicfile.lock_path(path) for spelled, path in spellings(site, tmp_path).items()}
    assert set(locks.values()) == {site.parent / ".site.feedbridge-lock"}, locks


def test_the_lock_of_a_relative_path_is_beside_the_folder_it_names(tmp_path, monkeypatch):
    (tmp_path / "a" / "out").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "a")
    assert atomicfile.lock_path(Path("out")) == tmp_path.resolve() / "a" / ".out.feedbridge-lock"
    assert atomicfile.lock_path(Path("new/out")) == tmp_path.resolve() / "a" / "new" / ".out.feedbridge-lock"


def test_the_root_folder_has_no_place_for_a_lock():
    with pytest.raises(OutputError, match="file system's root"):
        atomicfile.lock_path(Path("/"))


@pytest.mark.parametrize("spelled", [".", "sub/..", "./sub/../"])
def test_the_lock_is_never_inside_the_folder_it_guards(site, monkeypatch, spelled):
    monkeypatch.chdir(site)
    with output_lock(Path(spelled)):
        assert sorted(p.name for p in site.iterdir()) == ["sub"]
        assert (site.parent / ".site.feedbridge-lock").is_file()
    assert sorted(p.name for p in site.iterdir()) == ["sub"]


def test_a_second_open_of_the_lock_in_one_process_conflicts(site):
    """flock locks belong to an open file description: this is why the tests below may take
    both locks in one process."""
    import fcntl

    path = site.parent / ".probe"
    with open(path, "a+b") as first, open(path, "a+b") as second:
        fcntl.flock(first, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(BlockingIOError):
            fcntl.flock(second, fcntl.LOCK_EX | fcntl.LOCK_NB)


@pytest.mark.parametrize("first, second", [
    ("real path", "symlink"), ("symlink", "real path"), ("real path", "."), (".", "sub/.."),
    ("symlink/sub/..", "../site"),
])
def test_two_spellings_of_one_folder_exclude_each_other(site, tmp_path, monkeypatch, first, second):
    monkeypatch.chdir(site)
    paths = spellings(site, tmp_path)
    with output_lock(paths[first]):
        with pytest.raises(OutputError, match="another feedbridge build is writing this folder"):
            with output_lock(paths[second]):
                pass
    with output_lock(paths[second]):  # released with the first
        pass


def test_a_build_in_another_process_through_a_symlink_is_refused(site, tmp_path):
    """What two builds on one machine do: the second, in its own process and through a
    symlink, is turned away while the first holds the folder."""
    child = textwrap.dedent("""
        import sys
        from pathlib import Path
        from feedbridge.atomicfile import output_lock
        from feedbridge.errors import OutputError
        try:
            with output_lock(Path(sys.argv[1])):
                print("locked")
        except OutputError as err:
            print("refused:", err)
    """)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}

    def other_build() -> str:
        run = subprocess.run([sys.executable, "-c", child, str(tmp_path / "link")], capture_output=True, text=True,
                             timeout=60, env=env)
        return run.stdout.strip() + run.stderr

    with output_lock(site):
        assert other_build().startswith(f"refused: {tmp_path / 'link'}: another feedbridge build")
    assert other_build() == "locked"
