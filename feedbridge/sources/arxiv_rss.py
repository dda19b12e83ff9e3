"""arXiv's announcement feeds read into Paper records, and the Source that fetches them.

`parse_feed` takes every format arXiv has announced in: RSS 2.0 (rss.arxiv.org/rss/<cat>),
read here; the legacy RSS 1.0/RDF (before 2024), read here; and Atom
(rss.arxiv.org/atom/<cat>, the same shape as the API's answers), read by
`arxiv_api.parse_atom`. How a document is read safely, and what a broken one gets, is
in `arxiv_xml`.

An announcement's dates are checked against a clock (`arxiv_xml.settle_dates`): the
sources take one (``clock``, the real one unless a caller such as a test or a replay of
other days gives its own) and `parse_feed` the time it stands at (``now``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone
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
    EARLIEST_DATE,
    ID_WITH_VERSION,
    QUOTE_CHARS,
    RDF,
    RSS1,
    Dated,
    ItemDate,
    NoId,
    Unusable,
    announce_type,
    check_format,
    id_and_version,
    is_arxiv_id,
    optional_text,
    read_announcement,
    read_feed,
    read_items,
    refuse_error_channel,
    require_arxiv_address,
    settle_dates,
    split_authors,
    text_of,
    unique,
)

OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
# The id of an answer of the API: "https://arxiv.org/api/x191cA4DP50d5BMySOYKYRWV5Es".
_API_ID = re.compile(r"[ \t\r\n]*https?://(?:export\.)?arxiv\.org/api/", re.IGNORECASE)

# The legacy RDF title: "Title. (arXiv:1805.06430v2 [nucl-th] UPDATED)".
_LEGACY_TITLE = re.compile(
    r"(?P<title>.*?)\.?[ \t\r\n]*\(arXiv:" + ID_WITH_VERSION
    + r" \[(?P<category>[^\]]+)\](?: (?P<marker>CROSS LISTED|UPDATED))?\)[ \t\r\n]*",
    re.DOTALL,
)
_LEGACY_ANNOUNCE_TYPES = {None: "new", "CROSS LISTED": "cross", "UPDATED": "replace"}

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The real clock, timezone-aware."""
    return datetime.now(timezone.utc)


class ArxivRss:
    """arXiv's announcement feeds over HTTP, at a URL template holding "{category}";
    ``clock`` is what their dates are checked against (see `parse_feed`); ``keep``, when
    given, gets each document that reads, as it was sent (`saved.SavedFeeds.save`)."""

    def __init__(self, url_template: str, fetcher: Fetcher, clock: Clock = utc_now,
                 keep: Callable[[str, bytes], None] | None = None):
        self.url_template = url_template
        self.fetcher = fetcher
        self.clock = clock
        self.keep = keep  # given each category's document as sent, once it reads (feedbridge fetch)

    def location(self, category: str) -> str:
        return self.url_template.format(category=category)

    def read(self, category: str) -> SourceFeed:
        url = self.location(category)
        body = self.fetcher.fetch(url).body
        got = parse_feed(body, url, now=self.clock())
        if self.keep is not None:
            self.keep(category, body)
        return got


def parse_feed(data: bytes, source: str, *, now: datetime | None = None) -> SourceFeed:
    """Read one arXiv feed document; `source` (URL or path) names it in error messages.

    ``now`` (timezone-aware; the real clock when None) is what an announcement's dates are
    checked against: a date more than `arxiv_xml.FUTURE_TOLERANCE` ahead of it is no
    announcement's (`arxiv_xml.settle_dates`).

    Raises FeedError, and nothing else, for anything that is not a usable arXiv feed.
    """
    now = utc_now() if now is None else now
    return read_feed(data, source, {tag: partial(reader, now=now) for tag, reader in _READERS.items()})


# --- RSS 2.0 (rss.arxiv.org/rss/<cat>) ----------------------------------------


def _parse_rss2(root: etree._Element, now: datetime) -> SourceFeed:
    """The channel's pubDate is the announcement's date; lastBuildDate is when arXiv built
    the file, and is not read."""
    channel = root.find("channel")
    if channel is None:
        raise Unusable("not an arXiv feed: RSS without a <channel>")
    title = text_of(channel.find("title"))
    refuse_error_channel(title)
    addresses = [text_of(channel.find("link"))]
    addresses += [link.get("href", "") for link in channel.iterfind(ATOM + "link")]
    require_arxiv_address(addresses)
    written = text_of(channel.find("pubDate"))
    announced = rfc822_date(written)
    items = channel.findall("item")
    feed = read_items(title, announced, items, partial(_rss2_paper, channel_date=announced))
    feed = settle_dates(feed, now, channel_written=written)
    return check_format(feed, items, authors="dc:creator", arxiv_fields=True)


def _rss2_paper(item: etree._Element, channel_date: datetime | None) -> Dated:
    """The paper, dated provisionally: `settle_dates` gives the final date."""
    announcement = read_announcement(text_of(item.find("description")))
    title = text_of(item.find("title"))
    arxiv_id, version = id_and_version(text_of(item.find("guid")), announcement, title)
    creators = ", ".join(text_of(c) for c in item.iterfind(DC + "creator"))
    written = text_of(item.find("pubDate"))
    own = rfc822_date(written)
    paper = Paper(
        arxiv_id=arxiv_id,
        version=version,
        title=joined(title),
        abstract=announcement.abstract,
        authors=split_authors(creators),
        categories=unique([joined(text_of(c)) for c in item.iterfind("category")]),
        announce_type=announce_type(item, announcement),
        announced=own or channel_date or EARLIEST_DATE,
        links=arxiv_links(arxiv_id, version),
        doi=optional_text(item.find(ARXIV + "DOI")),
        journal_ref=optional_text(item.find(ARXIV + "journal_reference")),
        license=optional_text(item.find(DC + "rights")),
    )
    return Dated(paper, ItemDate(own, written))


# --- RSS 1.0/RDF (arXiv before 2024) ----------------------------------------


def _parse_rdf(root: etree._Element, now: datetime) -> SourceFeed:
    """The legacy feed: markers in titles, HTML abstracts and authors, one date per channel."""
    channel = root.find(RSS1 + "channel")
    if channel is None:
        raise Unusable("not an arXiv feed: RSS 1.0 without a <channel>")
    require_arxiv_address([text_of(channel.find(RSS1 + "link")), channel.get(RDF + "about", "")])
    written = text_of(channel.find(DC + "date"))
    announced = iso_date(written)
    items = root.findall(RSS1 + "item")
    feed = read_items(
        text_of(channel.find(RSS1 + "title")), announced, items, partial(_rdf_paper, channel_date=announced),
    )
    feed = settle_dates(feed, now, channel_written=written)
    return check_format(feed, items, authors="dc:creator", arxiv_fields=False)


def _rdf_paper(item: etree._Element, channel_date: datetime | None) -> Dated:
    """The id, version, primary category and announce type all come from the title's marker.

    The legacy feed names only the primary category, and has no DOI, journal reference
    or licence: those stay None. Its items carry no date of their own.
    """
    title = text_of(item.find(RSS1 + "title"))
    marker = _LEGACY_TITLE.fullmatch(title)
    if marker is None:
        raise NoId(f"it has no arXiv id (title {quoted(title, QUOTE_CHARS)})")
    arxiv_id, version = marker["id"], int(marker["version"])
    if not is_arxiv_id(arxiv_id, version):
        raise NoId(f"its id {arxiv_id}v{version} is not an arXiv id (title {quoted(title, QUOTE_CHARS)})")
    creators = html_to_text(", ".join(text_of(c) for c in item.iterfind(DC + "creator")))
    paper = Paper(
        arxiv_id=arxiv_id,
        version=version,
        title=joined(marker["title"]),
        abstract=joined(html_to_text(text_of(item.find(RSS1 + "description")))),
        authors=split_authors(creators),
        categories=(joined(marker["category"]),),
        announce_type=_LEGACY_ANNOUNCE_TYPES[marker["marker"]],
        announced=channel_date or EARLIEST_DATE,
        links=arxiv_links(arxiv_id, version),
    )
    return Dated(paper, ItemDate(None))


# --- Atom (rss.arxiv.org/atom/<cat>, and the API's answers) ----------------------


def _parse_atom(root: etree._Element, now: datetime) -> SourceFeed:
    """The RSS service's Atom is an announcement, checked as the RSS is. An answer of the
    API (it has opensearch:totalResults, or its id is under arxiv.org/api/) is a search:
    its entries are dated when they were submitted and updated, not announced, and are
    read as they are."""
    feed = parse_atom(root)
    if root.find(OPENSEARCH + "totalResults") is not None or _API_ID.match(text_of(root.find(ATOM + "id"))):
        return feed
    # An announcement's entries are dated by the announcement, not by when arXiv received them.
    undated = tuple(replace(p, submitted=None, first_submitted=None) for p in feed.papers)
    feed = settle_dates(replace(feed, papers=undated), now, channel_written=text_of(root.find(ATOM + "updated")))
    return check_format(feed, root.findall(ATOM + "entry"), authors="dc:creator or <author>", arxiv_fields=True)


_READERS = {"rss": _parse_rss2, RDF + "RDF": _parse_rdf, ATOM + "feed": _parse_atom}
