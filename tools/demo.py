"""Build the demo site offline and serve it on 127.0.0.1: `make demo`.

The demo needs no network and downloads nothing. It reads a real arXiv feed saved in the
repository (tests/fixtures/arxiv: quant-ph, 28 April 2025) and translates it with the
repository's trained toy model (tests/data/toy-en-ja, made by tools/toy_model.py). The
toy model is not a translation model: it copies English into fullwidth letters
("Ｗｅ ｐｒｅｓｅｎｔ"), so the site shows what feedbridge builds, not what a real model
translates. Everything it writes is in one folder, .cache/demo by default (git-ignored):

    feeds.yaml       the demo's config: one feed, quant-ph.ja, translated by toy-en-ja
    saved/           the saved feed, as `feedbridge fetch --out saved` would have saved it
    models/          the toy model, added through `feedbridge models add` (FEEDBRIDGE_MODELS_DIR)
    cache/, argos/   the translation memory and an empty Argos packages folder
    site/            the site `feedbridge build` writes and `feedbridge serve` serves

The build runs at a pinned clock (--now), the afternoon of the saved feed's
announcement day, so that feedbridge takes the saved batch as the current one.

    python tools/demo.py [--dir DIR] [--port N] [--no-serve]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DIR = ROOT / ".cache" / "demo"
SAVED_FEEDS = {"quant-ph": ROOT / "tests" / "fixtures" / "arxiv" / "arxiv_rss2_quant-ph_2025-04-28.xml"}
TOY_MODEL = ROOT / "tests" / "data" / "toy-en-ja"
NOW = "2025-04-28T14:00:00Z"  # the saved quant-ph batch was announced that day

CONFIG = """\
# The demo's config (tools/demo.py writes it): one saved arXiv feed, translated by the
# repository's toy model, which copies English into fullwidth letters. Not a real translation.
site:
  base_url: http://127.0.0.1:{port}/   # where `feedbridge serve` shows it
  output_dir: site
arxiv:
  contact: {contact}   # never used: the demo reads saved feeds
translation:
  from: en
  to: ja
  model: toy-en-ja
cache_dir: cache
feeds:
{feeds}
"""
# The demo never asks arXiv (saved feeds, --offline): a reserved .invalid address, not the
# shipped placeholder a real build is warned about.
CONTACT = "mailto:demo@feedbridge.invalid"


def feedbridge_command() -> list[str]:
    """The `feedbridge` of this Python's environment (the venv's, under `make demo`)."""
    script = Path(sys.executable).parent / "feedbridge"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from feedbridge.cli import main; main()"]


def demo_environment(folder: Path) -> dict[str, str]:
    """The environment every demo command runs in: its state inside `folder`, no index to
    download from (port 9 answers nothing), and this checkout importable."""
    env = dict(os.environ)
    env.update(
        FEEDBRIDGE_MODELS_DIR=str(folder / "models"),
        ARGOS_PACKAGES_DIR=str(folder / "argos"),
        FEEDBRIDGE_CACHE_DIR=str(folder / "cache"),
        ARGOS_PACKAGE_INDEX="http://127.0.0.1:9/",
        XDG_DATA_HOME=str(folder / "xdg" / "data"),  # argostranslate creates folders there on import
        XDG_CACHE_HOME=str(folder / "xdg" / "cache"),
        XDG_CONFIG_HOME=str(folder / "xdg" / "config"),
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
    )
    env.pop("FEEDBRIDGE_CONFIG", None)
    env.pop("SOURCE_DATE_EPOCH", None)
    return env


def prepare(folder: Path, port: int) -> None:
    """A fresh demo folder: the config and the saved feeds; a previous demo is removed,
    and nothing else: a folder that holds anything but an earlier demo is refused."""
    if folder.exists() and any(folder.iterdir()):
        config = folder / "feeds.yaml"
        if not (config.is_file() and config.read_text(encoding="utf-8").startswith(CONFIG.splitlines()[0])):
            raise SystemExit(f"demo: {folder} holds files that no demo wrote; give --dir an empty or new folder")
        shutil.rmtree(folder)
    (folder / "saved").mkdir(parents=True)
    for category, capture in SAVED_FEEDS.items():
        shutil.copyfile(capture, folder / "saved" / f"{category}.xml")
    feeds = "\n".join(f"  - {category}" for category in SAVED_FEEDS)
    (folder / "feeds.yaml").write_text(CONFIG.format(port=port, contact=CONTACT, feeds=feeds), encoding="utf-8")


def run(arguments: Sequence[str], env: dict[str, str]) -> None:
    print("demo: feedbridge " + " ".join(arguments), flush=True)
    done = subprocess.run([*feedbridge_command(), *arguments], env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"demo: 'feedbridge {arguments[0]}' exited {done.returncode}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="the demo folder (default: .cache/demo)")
    parser.add_argument("--port", type=int, default=8000, help="the port on 127.0.0.1 (default: 8000)")
    parser.add_argument("--no-serve", action="store_true", help="build the site, do not serve it")
    args = parser.parse_args(argv)
    folder = args.dir.resolve()
    started = time.monotonic()
    prepare(folder, args.port)
    env = demo_environment(folder)
    config = str(folder / "feeds.yaml")
    run(["models", "add", str(TOY_MODEL), "--name", "toy-en-ja"], env)
    run(["build", "--config", config, "--from-dir", str(folder / "saved"), "--offline", "--now", NOW], env)
    print(f"demo: site built in {folder / 'site'} in {time.monotonic() - started:.1f} s, offline, "
          "by the toy model (fullwidth copies of the English, not translations)", flush=True)
    if args.no_serve:
        return 0
    try:  # until Ctrl-C, which serve takes as the end
        run(["serve", "--out", str(folder / "site"), "--port", str(args.port)], env)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
