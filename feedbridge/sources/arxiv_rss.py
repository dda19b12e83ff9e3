"""arXiv's announcement feeds read into Paper records, and the Source that fetches them.

`parse_feed` takes every format arXiv has announced in: RSS 2.0 (rss.arxiv.org/rss/<cat>),
read here; the legacy RSS 1.0/RDF (before 2024), read here; and Atom
(rss.arxiv.org/atom/<cat>, the same shape as the API's answers), read by
`arxiv_api.parse_atom`. How a document is read safely, and what a broken one gets, is
in `arxiv_xml`.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import partial

from lxml import etree

from feedbridge.fetch import Fetcher
from feedbridge.model import Paper, SourceFeed
from feedbridge.sources.arxiv_api import parse_atom
from feedbridge.sources.arxiv_links import arxiv_links
from feedbridge.sources.arxiv_text import html_to_text, iso_date, joined, quoted, rfc822_date
from feedbridge.sources.arxiv_xml import (
    ARXIV,
    ATOM,
    DC,
    ID_WITH_VERSION,
    RDF,
    RSS1,
    NoId,
    Unusable,
    announce_type,
    date_of,
    id_and_version,
    optional_text,
    read_announcement,
    read_feed,
    read_items,
    refuse_error_channel,
    require_arxiv_address,
    split_authors,
    text_of,
    unique,
)

# The legacy RDF title: "Title. (arXiv:1805.06430v2 [nucl-th] UPDATED)".
_LEGACY_TITLE = re.compile(
    r"(?P<title>.*?)\.?[ \t\r\n]*\(arXiv:" + ID_WITH_VERSION
    + r" \[(?P<category>[^\]]+)\](?: (?P<marker>CROSS LISTED|UPDATED))?\)[ \t\r\n]*",
    re.DOTALL,
)
_LEGACY_ANNOUNCE_TYPES = {None: "new", "CROSS LISTED": "cross", "UPDATED": "replace"}


class ArxivRss:
    """arXiv's announcement feeds over HTTP, at a URL template holding "{category}"."""

    def __init__(self, url_template: str, fetcher: Fetcher):
        self.url_template = url_template
        self.fetcher = fetcher

    def location(self, category: str) -> str:
        return self.url_template.format(category=category)

    def read(self, category: str) -> SourceFeed:
        url = self.location(category)
        return parse_feed(self.fetcher.fetch(url).body, url)


def parse_feed(data: bytes, source: str) -> SourceFeed:
    """Read one arXiv feed document; `source` (URL or path) names it in error messages.

    Raises FeedError, and nothing else, for anything that is not a usable arXiv feed.
    """
    return read_feed(data, source, _READERS)


# --- RSS 2.0 (rss.arxiv.org/rss/<cat>) ----------------------------------------


def _parse_rss2(root: etree._Element) -> SourceFeed:
    channel = root.find("channel")
    if channel is None:
        raise Unusable("not an arXiv feed: RSS without a <channel>")
    title = text_of(channel.find("title"))
    refuse_error_channel(title)
    addresses = [text_of(channel.find("link"))]
    addresses += [link.get("href", "") for link in channel.iterfind(ATOM + "link")]
    require_arxiv_address(addresses)
    announced = rfc822_date(text_of(channel.find("pubDate")))
    return read_items(title, announced, channel.iterfind("item"), partial(_rss2_paper, channel_date=announced))


def _rss2_paper(item: etree._Element, channel_date: datetime | None) -> Paper:
    announcement = read_announcement(text_of(item.find("description")))
    title = text_of(item.find("title"))
    arxiv_id, version = id_and_version(text_of(item.find("guid")), announcement, title)
    creators = ", ".join(text_of(c) for c in item.iterfind(DC + "creator"))
    return Paper(
        arxiv_id=arxiv_id,
        version=version,
        title=joined(title),
        abstract=announcement.abstract,
        authors=split_authors(creators),
        categories=unique([joined(text_of(c)) for c in item.iterfind("category")]),
        announce_type=announce_type(item, announcement),
        announced=date_of(arxiv_id, rfc822_date(text_of(item.find("pubDate"))), channel_date),
        links=arxiv_links(arxiv_id, version),
        doi=optional_text(item.find(ARXIV + "DOI")),
        journal_ref=optional_text(item.find(ARXIV + "journal_reference")),
        license=optional_text(item.find(DC + "rights")),
    )


# --- RSS 1.0/RDF (arXiv before 2024) ----------------------------------------


def _parse_rdf(root: etree._Element) -> SourceFeed:
    """The legacy feed: markers in titles, HTML abstracts and authors, one date per channel."""
    channel = root.find(RSS1 + "channel")
    if channel is None:
        raise Unusable("not an arXiv feed: RSS 1.0 without a <channel>")
    require_arxiv_address([text_of(channel.find(RSS1 + "link")), channel.get(RDF + "about", "")])
    announced = iso_date(text_of(channel.find(DC + "date")))
    return read_items(
        text_of(channel.find(RSS1 + "title")), announced, root.iterfind(RSS1 + "item"),
        partial(_rdf_paper, channel_date=announced),
    )


def _rdf_paper(item: etree._Element, channel_date: datetime | None) -> Paper:
    """The id, version, primary category and announce type all come from the title's marker.

    The legacy feed names only the primary category, and has no DOI, journal reference
    or licence: those stay None.
    """
    title = text_of(item.find(RSS1 + "title"))
    marker = _LEGACY_TITLE.fullmatch(title)
    if marker is None:
        raise NoId(f"it has no arXiv id (title {quoted(title)})")
    arxiv_id, version = marker["id"], int(marker["version"])
    creators = html_to_text(", ".join(text_of(c) for c in item.iterfind(DC + "creator")))
    return Paper(
        arxiv_id=arxiv_id,
        version=version,
        title=joined(marker["title"]),
        abstract=joined(html_to_text(text_of(item.find(RSS1 + "description")))),
        authors=split_authors(creators),
        categories=(joined(marker["category"]),),
        announce_type=_LEGACY_ANNOUNCE_TYPES[marker["marker"]],
        announced=date_of(arxiv_id, channel_date),
        links=arxiv_links(arxiv_id, version),
    )


_READERS = {"rss": _parse_rss2, RDF + "RDF": _parse_rdf, ATOM + "feed": parse_atom}
