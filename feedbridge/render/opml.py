"""The OPML writer: every published feed in one file, so a reader subscribes to all at once."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from lxml import etree

from feedbridge.config import OPML
from feedbridge.render.view import SiteView


class OpmlWriter:
    """``feeds.opml``: OPML 2.0 listing every published feed with absolute URLs."""

    def files(self, names: Sequence[str]) -> tuple[str, ...]:
        return (OPML,)

    def render(self, site: SiteView) -> dict[str, bytes]:
        root = etree.Element("opml", version="2.0")
        head = etree.SubElement(root, "head")
        etree.SubElement(head, "title").text = "arXiv, translated — feedbridge"
        body = etree.SubElement(root, "body")
        for feed in site.feeds:
            if feed.published:
                etree.SubElement(
                    body, "outline",
                    type="rss", text=feed.title, title=feed.title, xmlUrl=feed.url(".xml"),
                    htmlUrl=site.base_url + quote(f"{feed.name}.html"), language=feed.target_lang,
                )
        return {OPML: etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)}
