"""The JSON Feed writer: one translated feed as JSON Feed 1.1 (https://jsonfeed.org/version/1.1).

NetNewsWire, Feedbin, Inoreader and Miniflux read JSON Feed; it says in its own fields
what Atom needs conventions for: ``language``, ``authors``, ``attachments``. Each item is
the Atom entry's twin: the same id (``atom.entry_id``), title, dates and body
(``content_html``, from ``entry_html.py``), with ``summary`` the Atom entry's (the translated abstract and the
original as plain text, with the abstract page's and the PDF's URLs), the paper's categories
as ``tags`` and its PDF as an attachment. What Atom's ``rights`` says goes in the
``_rights`` extension. The output is sorted and indented JSON, so the
same window gives the same bytes.
"""

from __future__ import annotations

import json
from datetime import datetime

from feedbridge.archive import Entry
from feedbridge.render.atom import entry_id, published_at, rights, summary_text, updated_at
from feedbridge.render.entry_html import entry_html
from feedbridge.render.layout import PaperLayout, clean_text, paper_layout
from feedbridge.render.view import FeedView

VERSION = "https://jsonfeed.org/version/1.1"
MEDIA_TYPE = "application/feed+json"


def json_feed_path(name: str) -> str:
    """The feed's JSON Feed file, relative to the site root. ``.feed.json``, a suffix no
    file of the site's own has, so no feed name can make it overwrite one (a feed called
    "status" would write status.json over the site's status)."""
    return f"{name}.feed.json"


class JsonFeedWriter:
    """``<name>.feed.json``: the feed's window as JSON Feed 1.1, newest first."""

    def files(self, name: str) -> tuple[str, ...]:
        return (json_feed_path(name),)

    def render(self, feed: FeedView) -> dict[str, bytes]:
        document = {
            "version": VERSION,
            "title": feed.title,
            "home_page_url": feed.url(".html"),
            "feed_url": feed.url(".feed.json"),
            "description": feed.words.feed_subtitle.format(label=feed.label, language=feed.language_name,
                                                           engine=feed.engine),
            "language": feed.target_lang,
            "authors": [{"name": "feedbridge"}],
            # JSON Feed has no rights field: an extension (an object named with "_") carries
            # the texts' licences, arXiv's acknowledgement and that the feed is not arXiv's.
            "_rights": {"text": rights(feed)},
            "items": [_item(entry, paper_layout(entry.translated, feed.engine)) for entry in feed.entries],
        }
        if feed.hub:
            document["hubs"] = [{"type": "WebSub", "url": feed.hub}]
        data = json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8") + b"\n"
        return {json_feed_path(feed.name): data}


def _item(entry: Entry, layout: PaperLayout) -> dict:
    paper = entry.paper
    item = {
        "id": entry_id(paper.arxiv_id, layout.target_lang),
        "url": paper.links.abstract,
        "title": layout.entry_title,
        "content_html": entry_html(layout),
        # The same as text, URLs written out: the body of readers that strip HTML (feed-extractor)
        "content_text": summary_text(layout),
        "summary": summary_text(layout),
        "date_published": _time(published_at(entry)),
        "date_modified": _time(updated_at(entry)),
        "authors": [{"name": clean_text(author.name)} for author in paper.authors],
        "tags": list(layout.categories),
        "language": layout.target_lang,
        "attachments": [{"url": link.href, "mime_type": link.media_type, "title": link.text}
                        for link in layout.links if link.media_type == "application/pdf"],
    }
    if not item["authors"]:
        del item["authors"]  # the feed's own author stands for them, as in Atom
    return item


def _time(moment: datetime) -> str:
    """RFC 3339, as JSON Feed asks, with the offset arXiv's dates carry."""
    return moment.isoformat()
