"""Feed documents for tests: small RSS 2.0 feeds written out, and new announcement days
made from the real quant-ph capture's items."""

from __future__ import annotations

import copy
import re
from datetime import date, datetime, timedelta, timezone
from email.utils import format_datetime

from lxml import etree

from support.paths import QUANT_PH

NEW_YORK = timezone(timedelta(hours=-4))  # arXiv announces at midnight in New York (EDT in spring)
ARXIV_NS = "{http://arxiv.org/schemas/atom}"
ADDED_SENTENCE = "We also report a new bound."
# A topic feed of the quant-ph papers about entanglement or Bell (as feeds.yaml's `topics` holds it).
TOPIC = {"name": "entanglement.ja", "title": "Entanglement", "categories": ["quant-ph"],
         "include": ["entanglement", r"/\bBell\b/"]}


def joined(text: str) -> str:
    """The whitespace rule the parser promises: XML whitespace runs become one space."""
    return re.sub(r"[ \t\r\n]+", " ", text).strip(" ")


# --- RSS 2.0 written out ------------------------------------------------------------


def rss2(items: str, title: str = "quant-ph updates on arXiv.org") -> bytes:
    return f"""<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0">
  <channel>
    <title>{title}</title>
    <link>http://rss.arxiv.org/rss/quant-ph</link>
    <description>quant-ph updates on the arXiv.org e-print archive.</description>
    <pubDate>Mon, 28 Apr 2025 00:00:00 -0400</pubDate>
    {items}
  </channel>
</rss>""".encode()


def rss2_item(arxiv_id: str, abstract: str = "An abstract.", title: str = "A title",
              guid: bool = True, extra: str = "") -> str:
    guid_element = f'<guid isPermaLink="false">oai:arXiv.org:{arxiv_id}</guid>' if guid else ""
    return f"""<item>
      <title>{title}</title>
      <description>arXiv:{arxiv_id} Announce Type: new 
Abstract: {abstract}</description>
      {guid_element}
      <category>quant-ph</category>
      <pubDate>Mon, 28 Apr 2025 00:00:00 -0400</pubDate>
      <arxiv:announce_type>new</arxiv:announce_type>
      <dc:creator>Ada Lovelace</dc:creator>
      {extra}
    </item>"""


# --- days made from the real capture -------------------------------------------------


def items() -> dict[str, list[etree._Element]]:
    """The quant-ph capture's items by announce type (new, cross, replace, replace-cross)."""
    groups: dict[str, list[etree._Element]] = {}
    for item in etree.parse(str(QUANT_PH)).getroot().iter("item"):
        groups.setdefault(item.findtext(f"{ARXIV_NS}announce_type"), []).append(item)
    return groups


def as_version(item: etree._Element, version: int, announce_type: str, added: str = "") -> etree._Element:
    """The item as another version and announce type, optionally with a sentence added."""
    item = copy.deepcopy(item)
    guid = item.find("guid")
    guid.text = re.sub(r"v\d+$", f"v{version}", guid.text)
    description = item.find("description")
    description.text = re.sub(r"v\d+ Announce Type: \S+", f"v{version} Announce Type: {announce_type}", description.text)
    description.text += f" {added}" if added else ""
    item.find(f"{ARXIV_NS}announce_type").text = announce_type
    return item


def day_document(day: date, items: list[etree._Element]) -> bytes:
    """The real quant-ph channel announcing ``items`` on ``day``."""
    root = etree.parse(str(QUANT_PH)).getroot()
    channel = root.find("channel")
    for item in channel.findall("item"):
        channel.remove(item)
    stamp = format_datetime(datetime(day.year, day.month, day.day, tzinfo=NEW_YORK))
    channel.find("pubDate").text = stamp
    for item in items:
        item = copy.deepcopy(item)
        item.find("pubDate").text = stamp
        channel.append(item)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
