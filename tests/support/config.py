"""feeds.yaml for tests: the shape the build tests share, with what each test changes given as keywords."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from support.server import LoopbackServer

DOWN = "http://127.0.0.1:9"  # nothing listens on port 9: a request there fails at once
# A site never published: for the whole session, every path under it answers 404, so a
# build without a site in its output folder starts every feed new (a site that cannot
# be reached would leave them unknown, and publish nothing).
UNPUBLISHED = LoopbackServer()
BASE_URL = f"{UNPUBLISHED.url}/fb/"


def write_config(folder: Path, *, feeds: Iterable[str | dict[str, Any]], base_url: str = BASE_URL,
                 output_dir: str = "out", topics: Iterable[dict[str, Any]] = (), window_days: int | None = None,
                 translation: dict[str, Any] | None = None, **arxiv: Any) -> Path:
    """Write ``folder/feeds.yaml`` and return its path.

    A feed is a category or a mapping of per-feed options; ``translation`` is added to
    ``beam_size: 1``; every other keyword is an ``arxiv`` setting (``feed_url``,
    ``api_url``, ``enrich``, ``retries``, ``backoff``, ``timeout``, ``max_bytes`` …) over a
    quick run that never leaves the loopback: no pacing, no retries, a 5 s timeout, and the
    feeds and API on port 9.
    """
    config: dict[str, Any] = {
        "site": {"base_url": base_url, "output_dir": output_dir},
        "arxiv": {"contact": "tests@example.org", "feed_url": DOWN + "/rss/{category}", "api_url": DOWN + "/api/query",
                  "min_interval": 0, "retries": 0, "timeout": 5, **arxiv},
        "translation": {"beam_size": 1, **(translation or {})},
    }
    if window_days is not None:
        config["window"] = {"days": window_days}
    config["feeds"] = list(feeds)
    if topics := list(topics):
        config["topics"] = topics
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "feeds.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path
