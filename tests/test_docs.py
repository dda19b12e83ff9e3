"""The documentation's examples run: every console block of README.md and docs/*.md.

A ```console block holds `$ ` command lines, each followed by the output it prints
(stdout and stderr together, as a terminal shows them). Each file's blocks run in order,
in a fresh clone of this checkout (uncommitted changes to tracked files applied), with no
network: the venv's `feedbridge` on PATH and the clone first on PYTHONPATH, HOME in the
test's folder. A block that cannot run here (it needs the network, installs packages,
runs the test suite, or serves until Ctrl-C) has `<!-- docs-test: skip (REASON) -->` on
the line before it, and is reported as skipped with its reason.

Outputs are compared after normalising what differs between two honest runs: the
clone's and the home folder's paths are shown as `~/feedbridge` and `~` (so they are
written so in the docs), and durations, versions and clock times are masked.

When a change means to alter an output, rewrite the blocks in place with
``FEEDBRIDGE_REGOLD=1 pytest tests/test_docs.py`` and read the diff before committing.
docs/development.md ("Docs that run") describes the convention.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REGOLD = os.environ.get("FEEDBRIDGE_REGOLD") == "1"
COMMAND_TIMEOUT = 300  # seconds; the slowest command (a build with the toy model) takes a few
PROMPT = "$ "
SKIP = re.compile(r"<!--\s*docs-test:\s*skip\s*\((?P<reason>[^)]*)\)\s*-->")
FENCE = re.compile(r"^```console[ \t]*\n(?P<body>.*?)^```[ \t]*$", re.M | re.S)
CLONE_NAME = "feedbridge"  # the clone is shown as ~/feedbridge: HOME's sibling folder named so


@dataclass
class Step:
    command: str
    output: list[str] = field(default_factory=list)


@dataclass
class Block:
    line: int  # where its body starts in the file, 1-based
    start: int  # offsets of the body in the file's text
    end: int
    steps: list[Step]
    skip: str | None


def documented_files() -> list[Path]:
    """README.md, then every page of docs/ that holds a console block."""
    pages = sorted(p for p in (REPO / "docs").glob("*.md") if FENCE.search(p.read_text(encoding="utf-8")))
    return [REPO / "README.md", *pages]


def parse_steps(body: str) -> list[Step]:
    """The `$ ` lines of a block and the lines under each; a trailing backslash continues a command."""
    steps: list[Step] = []
    continued = False
    for line in body.splitlines():
        if continued:
            steps[-1].command += "\n" + line
            continued = line.endswith("\\")
        elif line.startswith(PROMPT):
            steps.append(Step(line[len(PROMPT):]))
            continued = line.endswith("\\")
        elif steps:
            steps[-1].output.append(line)
        elif line.strip():
            raise ValueError(f"output before the first command: {line!r}")
    return steps


def parse_blocks(text: str) -> list[Block]:
    blocks = []
    for match in FENCE.finditer(text):
        before = text[:match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        skip = SKIP.search(before)
        blocks.append(Block(
            line=text.count("\n", 0, match.start("body")) + 1,
            start=match.start("body"), end=match.end("body"),
            steps=parse_steps(match.group("body")),
            skip=skip.group("reason") if skip else None,
        ))
    return blocks


def render_block(steps: list[Step]) -> str:
    lines = []
    for step in steps:
        lines.append(PROMPT + step.command)
        lines.extend(step.output)
    return "".join(line + "\n" for line in lines)


# What differs between two honest runs of the same command, masked on both sides.
VOLATILE = [
    (re.compile(r"\b\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?"), "<time>"),  # clock times
    (re.compile(r"\b\d+(\.\d+)? ?(s|ms|seconds)\b"), "<duration>"),
    (re.compile(r'("seconds": )[0-9.]+'), r"\g<1><duration>"),
    (re.compile(r"\b\d+\.\d+\.\d+([.-]?[a-z0-9]+)*\b"), "<version>"),  # Python 3.11.7, ctranslate2 4.8.5
]


def normalised(lines: list[str]) -> list[str]:
    out = []
    for line in lines:
        for pattern, replacement in VOLATILE:
            line = pattern.sub(replacement, line)
        out.append(line.rstrip())
    while out and not out[-1]:
        out.pop()
    return out


def differences(expected: list[str], actual: list[str]) -> list[str]:
    """The unified diff of the normalised outputs; empty when they agree."""
    return list(difflib.unified_diff(normalised(expected), normalised(actual), "documented", "printed", lineterm="", n=1))


class Sandbox:
    """A fresh clone of this checkout with no network, where the documented commands run."""

    def __init__(self, root: Path):
        self.home = root / "home"
        self.clone = root / CLONE_NAME
        self.home.mkdir()
        subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(REPO), str(self.clone)], check=True)
        changes = subprocess.run(["git", "diff", "HEAD", "--binary"], cwd=REPO, check=True, capture_output=True).stdout
        if changes:  # the working tree's edits to tracked files, so a doc can be tested before its commit
            subprocess.run(["git", "apply", "--whitespace=nowarn"], cwd=self.clone, input=changes, check=True)
        bin_dir = Path(sys.executable).parent
        if sys.prefix != sys.base_prefix:  # as after `make install`: .venv is the environment running the tests
            (self.clone / ".venv").symlink_to(sys.prefix, target_is_directory=True)
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("FEEDBRIDGE_", "ARGOS_", "XDG_", "PYTEST_", "SOURCE_DATE_EPOCH", "CI"))}
        env.update(
            HOME=str(self.home), PATH=os.pathsep.join([str(bin_dir), env.get("PATH", "/usr/bin:/bin")]),
            PYTHONPATH=str(self.clone), PYTHONUNBUFFERED="1", LANG="C.UTF-8", LC_ALL="C.UTF-8",
            ARGOS_PACKAGE_INDEX="http://127.0.0.1:9/",  # nothing listens on port 9: no download can happen
        )
        env.pop("VIRTUAL_ENV", None)
        self.env = env

    def shown(self, text: str) -> str:
        """Paths as the docs show them: the clone is ~/feedbridge, the home folder ~."""
        for path in sorted({str(self.clone), str(self.clone.resolve())}, key=len, reverse=True):
            text = text.replace(path, "~/" + CLONE_NAME)
        for path in sorted({str(self.home), str(self.home.resolve())}, key=len, reverse=True):
            text = text.replace(path, "~")
        return text

    def run(self, command: str) -> list[str]:
        done = subprocess.run(["bash", "-c", command], cwd=self.clone, env=self.env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=COMMAND_TIMEOUT)
        lines = self.shown(done.stdout.decode("utf-8", "replace")).splitlines()
        return [line.rstrip() for line in lines]


def run_file(path: Path, tmp_path: Path, regold: bool = REGOLD) -> list[str]:
    """Runs a file's blocks in order; the differences found. With regold, rewrites the outputs instead."""
    text = path.read_text(encoding="utf-8")
    name = path.relative_to(REPO).as_posix() if path.is_relative_to(REPO) else path.name
    blocks = parse_blocks(text)
    sandbox = Sandbox(tmp_path)
    failures, rewritten = [], []
    for block in blocks:
        if block.skip is not None:  # reported by test_blocks_marked_to_skip
            continue
        new_steps = []
        for step in block.steps:
            actual = sandbox.run(step.command)
            diff = differences(step.output, actual)
            if diff:
                failures.append(f"{name}:{block.line}: $ {step.command}\n" + "\n".join(diff))
            new_steps.append(Step(step.command, actual) if diff else step)  # a regold rewrites only what differs
        rewritten.append((block, render_block(new_steps)))
    if regold:
        for block, body in sorted(rewritten, key=lambda pair: pair[0].start, reverse=True):
            text = text[:block.start] + body + text[block.end:]
        path.write_text(text, encoding="utf-8")
        failures = []
    return failures


@pytest.mark.parametrize("path", documented_files(), ids=lambda p: p.relative_to(REPO).as_posix())
def test_documented_commands_print_what_the_docs_say(path, tmp_path):
    if not shutil.which("git"):
        pytest.skip("git is needed to clone the checkout")
    failures = run_file(path, tmp_path)
    assert not failures, (
        "the docs and the commands disagree (regenerate with FEEDBRIDGE_REGOLD=1 when the change is meant):\n\n"
        + "\n\n".join(failures)
    )


def skipped_blocks() -> list[str]:
    return [f"{path.relative_to(REPO).as_posix()}:{block.line}: {block.skip}"
            for path in documented_files() for block in parse_blocks(path.read_text(encoding="utf-8"))
            if block.skip is not None]


@pytest.mark.parametrize("where", skipped_blocks())
def test_blocks_marked_to_skip(where):
    """Each block that cannot run here, reported as skipped with its reason (pytest -ra lists them)."""
    pytest.skip(f"console block {where}")


def test_every_console_block_runs_or_says_why_not():
    """A console block is a promise: each either has commands to run or a skip reason."""
    for path in documented_files():
        for block in parse_blocks(path.read_text(encoding="utf-8")):
            assert block.steps, f"{path.name}:{block.line}: a console block without a `$ ` command"
            if block.skip is not None:
                assert block.skip.strip(), f"{path.name}:{block.line}: a skip without a reason"


README_BLOCK = """\
$ feedbridge build --from-dir saved --offline
previous state: none: every feed is new
quant-ph.ja: new 50 / updated 0 / kept 0, sentences translated 378 vs cached 0 (0 untranslated), 1.2 s
1 of 1 feeds up to date in site
"""


def test_a_changed_output_line_is_reported():
    (step,) = parse_steps(README_BLOCK)
    printed = list(step.output)
    assert differences(step.output, printed) == []
    # The same run at another speed, on another version: the same output.
    slower = [line.replace("1.2 s", "13.5 s") for line in printed]
    assert differences(step.output, slower) == []
    # One line of the docs changed: reported, naming both lines.
    (mutated,) = parse_steps(README_BLOCK.replace("new 50 /", "new 51 /"))
    diff = differences(mutated.output, printed)
    assert "-quant-ph.ja: new 51 / updated 0 / kept 0, sentences translated 378 vs cached 0 (0 untranslated), <duration>" in diff
    assert "+quant-ph.ja: new 50 / updated 0 / kept 0, sentences translated 378 vs cached 0 (0 untranslated), <duration>" in diff
    # A line missing, or one too many, is a difference too.
    assert differences(step.output[:-1], printed)
    assert differences(step.output + ["extra"], printed)


def test_a_changed_line_of_the_readme_fails_its_block(tmp_path):
    """One output line changed in a copy of the README: running the copy reports that line, and only it."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    runnable = [block for block in parse_blocks(text) if block.skip is None and any(s.output for s in block.steps)]
    assert runnable, "README.md has no console block with output to check"
    block = runnable[0]
    line = next(line for step in block.steps for line in step.output if line.strip())
    body = text[block.start:block.end]
    copy = tmp_path / "README.md"
    copy.write_text(text[:block.start] + body.replace("\n" + line + "\n", "\n" + line + " (changed)\n", 1)
                    + text[block.end:], encoding="utf-8")
    (tmp_path / "run").mkdir()
    failures = run_file(copy, tmp_path / "run", regold=False)
    assert len(failures) == 1, failures
    assert f"README.md:{block.line}: $ " in failures[0]
    assert any(diff.startswith("-") and diff.endswith(" (changed)") for diff in failures[0].splitlines()), failures[0]


def anchors(text: str) -> set[str]:
    """The heading anchors GitHub makes of a page: lower case, punctuation dropped, spaces as hyphens."""
    seen: dict[str, int] = {}
    found = set()
    for heading in re.findall(r"^#{1,6} +(.+?) *$", re.sub(r"^```.*?^```", "", text, flags=re.M | re.S), re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def test_links_between_the_docs_resolve():
    """Every relative link of README.md and docs/*.md names a file that exists, and a heading in it."""
    broken = []
    for page in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        text = page.read_text(encoding="utf-8")
        prose = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", prose):
            if re.match(r"[a-z]+:", target):
                continue  # a URL, mailto
            file_part, _, anchor = target.partition("#")
            linked = (page.parent / file_part).resolve() if file_part else page
            if not linked.exists():
                broken.append(f"{page.relative_to(REPO)}: {target}: no such file")
            elif anchor and linked.suffix == ".md" and anchor not in anchors(linked.read_text(encoding="utf-8")):
                broken.append(f"{page.relative_to(REPO)}: {target}: no such heading")
    assert not broken, "\n".join(broken)
