"""WebSub: tell a hub which feeds changed, once the site that changed them is being served.

Feedly, Inoreader, FreshRSS and Feedbin subscribe to a feed's hub (``<link rel="hub">``,
``site.websub_hub``) and show its new entries within minutes instead of at their next
poll. A static site has no server to do the hub's part, so after the publish workflow's
deploy, ``feedbridge websub ping`` does: it waits until the live site's ``status.json``
is the one the build wrote (GitHub Pages serves a new deploy some seconds to minutes
later, and a hub that fetched before then would fetch the old feed), then sends the hub
``hub.mode=publish`` with the URL of each feed that run changed, its Atom and its JSON
Feed. A feed the run kept as it was is not named.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import requests

from feedbridge.config import STATUS_FILE, Config
from feedbridge.errors import FeedbridgeError
from feedbridge.fetch import Fetcher
from feedbridge.model import FeedStatus
from feedbridge.render import FEED_WRITERS

CHANGED = frozenset({str(FeedStatus.UPDATED), str(FeedStatus.PARTIAL)})
POLL_EVERY = 10.0  # seconds between looks at the live status.json
HUB_TIMEOUT = 30.0


@dataclass(frozen=True)
class Pinged:
    hub: str | None  # None: the config names no hub
    urls: tuple[str, ...]  # the feed URLs the hub was told of


def ping(config: Config, base_url: str, generated: str, fetcher: Fetcher, *, wait: float,
         log: Callable[[str], None] = lambda _: None, tell: Callable[[str], None] = lambda _: None,
         sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> Pinged:
    """Wait up to ``wait`` seconds for the live status.json written at ``generated``, then
    tell the hub of every feed it says changed; ``tell`` hears each wait before it starts
    (no pause goes unsaid), ``log`` each URL told. FeedbridgeError, one line, when the site
    never showed it or the hub refused."""
    if config.websub_hub is None:
        return Pinged(None, ())
    status = _served_status(base_url + STATUS_FILE, generated, fetcher, wait, tell, sleep, clock)
    changed = [feed["name"] for feed in status.get("feeds", []) if isinstance(feed, dict)
               and feed.get("status") in CHANGED and isinstance(feed.get("name"), str)]
    urls = tuple(base_url + path for name in changed for writer in FEED_WRITERS for path in writer.files(name))
    for url in urls:
        _publish(config.websub_hub, url, fetcher.settings.user_agent)
        log(f"told {config.websub_hub} of {url}")
    return Pinged(config.websub_hub, urls)


def _served_status(url: str, generated: str, fetcher: Fetcher, wait: float, tell: Callable[[str], None],
                   sleep: Callable[[float], None], clock: Callable[[], float]) -> dict:
    """The live status.json once it is the one written at ``generated``."""
    deadline = clock() + wait
    seen = "nothing readable"
    while True:
        try:
            status = json.loads(fetcher.fetch(url).body)
            seen = f"the status written {status.get('generated')}"
            if status.get("generated") == generated:
                return status
        except (FeedbridgeError, ValueError, AttributeError) as err:
            seen = f"nothing readable ({err})"
        if clock() >= deadline:
            raise FeedbridgeError(f"{url}: after {wait:g} s it still serves {seen}, not the one written {generated};"
                                  " the hub was told nothing")
        pause = min(POLL_EVERY, deadline - clock())  # never past --wait
        tell(f"waiting {pause:.0f} s for {url} to serve the status written {generated} (it serves {seen};"
             f" at most {deadline - clock():.0f} s more)")
        sleep(pause)


def _publish(hub: str, url: str, user_agent: str) -> None:
    """WebSub 1.0's publish notification, as hubs take it (a form POST; 2xx is accepted)."""
    try:
        answer = requests.post(hub, data={"hub.mode": "publish", "hub.url": url}, timeout=HUB_TIMEOUT,
                               headers={"User-Agent": user_agent})
    except requests.RequestException as err:
        raise FeedbridgeError(f"{hub}: the hub could not be reached ({type(err).__name__}) to publish {url}") from None
    if not 200 <= answer.status_code < 300:
        raise FeedbridgeError(f"{hub}: the hub answered HTTP {answer.status_code} to publish {url}")
