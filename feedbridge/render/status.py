"""``status.atom``: the maintainer's Atom feed, one entry for each thing they must hear of.

A subscriber reads the papers; the maintainer subscribes to this. It has an entry when
a feed misses an announcement (a gap opens), when a gap closes (recovered from the arXiv
API, or found not recoverable), when a feed fails to build, and when arXiv's feed goes
stale. The events are the report's (``report.status_events``), kept from run to run in
``status.json``, so the feed holds the latest ``report.EVENT_LIMIT`` of them and an
entry keeps its id and date.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

from feedgen.feed import FeedGenerator
from lxml import etree

from feedbridge import __version__
from feedbridge.config import INDEX, STATUS_FEED
from feedbridge.render.view import SiteView

_ATOM = "http://www.w3.org/2005/Atom"
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class StatusFeedWriter:
    def files(self, names: Sequence[str]) -> tuple[str, ...]:
        return (STATUS_FEED,)

    def render(self, site: SiteView) -> dict[str, bytes]:
        generator = FeedGenerator()
        generator.id(site.base_url + STATUS_FEED)
        generator.title("feedbridge status: missed announcements, failures, stale feeds")
        generator.subtitle("For the site's maintainer: one entry for each gap opened or closed, each failed"
                           " feed and each feed arXiv left stale.")
        generator.author(name="feedbridge")
        generator.link(href=site.base_url + STATUS_FEED, rel="self", type="application/atom+xml")
        generator.link(href=site.base_url + INDEX, rel="alternate", type="text/html")
        times = [event.time for event in site.events]
        generator.updated(max(times, default=site.generated or _EPOCH))
        generator.generator("feedbridge", version=__version__)
        generator.language("en")
        for event in site.events:
            entry = generator.add_entry(order="append")
            entry.id(event.id)
            entry.title(event.title)
            entry.published(event.time)
            entry.updated(event.time)
            entry.category([{"term": event.kind}])
            entry.link(href=site.base_url + INDEX, rel="alternate")
            entry.content(f"{event.title} (feed {event.feed}, {event.time.isoformat()})", type="text")
        root = etree.fromstring(generator.atom_str())
        return {STATUS_FEED: etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)}
