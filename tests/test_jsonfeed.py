"""JSON Feed 1.1 beside every Atom feed: valid by a schema written from the specification
(tests/schemas/jsonfeed-1.1.schema.json; no official one installs offline), the Atom
entries' twin item for item, linked from the pages. feedsmith and feed-extractor read
these files in tests/test_readers.py."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
import pytest
from jsonschema import Draft202012Validator, FormatChecker
from lxml import etree

from support.checks import ATOM
from support.readers import build_site_apart

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "jsonfeed-1.1.schema.json").read_text())
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
FORMATS = FormatChecker(formats=())


@FORMATS.checks("uri")
def _uri(value: object) -> bool:
    parts = urlsplit(str(value))
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


@FORMATS.checks("date-time")
def _date_time(value: object) -> bool:
    return bool(RFC3339.fullmatch(str(value))) and datetime.fromisoformat(str(value)).utcoffset() is not None


VALIDATOR = Draft202012Validator(SCHEMA, format_checker=FORMATS)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return build_site_apart(tmp_path_factory.mktemp("jsonfeed-site"))


def feeds(site: Path) -> list[str]:
    return sorted(path.name.removesuffix(".feed.json") for path in site.glob("*.feed.json"))


def test_the_schema_refuses_what_the_specification_forbids():
    good = {"version": "https://jsonfeed.org/version/1.1", "title": "t",
            "items": [{"id": "1", "content_html": "<p>x</p>", "date_published": "2025-04-28T00:00:00-04:00"}]}
    assert list(VALIDATOR.iter_errors(good)) == []
    for broken in (
        {**good, "version": "https://jsonfeed.org/version/1"},
        {k: v for k, v in good.items() if k != "title"},
        {**good, "items": [{"id": "1"}]},  # no content
        {**good, "items": [{**good["items"][0], "date_published": "2025-04-28"}]},
        {**good, "items": [{**good["items"][0], "attachments": [{"url": "https://a.org/x.pdf"}]}]},
        {**good, "authors": [{}]},
        {**good, "homepage": "https://a.org/"},  # not a 1.1 key, not an extension
    ):
        assert list(VALIDATOR.iter_errors(broken)), broken


def test_every_feed_has_a_valid_json_feed(site):
    assert feeds(site) == sorted(p.stem for p in site.glob("*.xml"))
    for name in feeds(site):
        document = json.loads((site / f"{name}.feed.json").read_bytes())
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(document)]
        assert errors == [], (name, errors[:3])
        assert document["language"] == name.rsplit(".", 1)[1] and document["feed_url"].endswith(f"/{name}.feed.json")
        assert "Thank you to arXiv for use of its open access interoperability." in document["_rights"]["text"]


def test_each_item_is_its_atom_entrys_twin(site):
    checked = 0
    for name in feeds(site):
        items = json.loads((site / f"{name}.feed.json").read_bytes())["items"]
        entries = etree.parse(str(site / f"{name}.xml")).getroot().findall(f"{ATOM}entry")
        assert [i["id"] for i in items] == [e.findtext(f"{ATOM}id") for e in entries]
        for item, entry in zip(items, entries):
            assert item["title"] == entry.findtext(f"{ATOM}title")
            assert item["content_html"] == entry.findtext(f"{ATOM}content")
            assert item["summary"] == entry.findtext(f"{ATOM}summary")
            assert datetime.fromisoformat(item["date_published"]) == datetime.fromisoformat(entry.findtext(f"{ATOM}published"))
            assert datetime.fromisoformat(item["date_modified"]) == datetime.fromisoformat(entry.findtext(f"{ATOM}updated"))
            assert [a["name"] for a in item.get("authors", [])] == [a.findtext(f"{ATOM}name") for a in entry.findall(f"{ATOM}author")]
            assert item["tags"] == [c.get("term") for c in entry.findall(f"{ATOM}category")]
            pdf = entry.find(f"{ATOM}link[@type='application/pdf']").get("href")
            assert [(a["url"], a["mime_type"]) for a in item["attachments"]] == [(pdf, "application/pdf")]
            assert item["url"] == entry.find(f"{ATOM}link[@rel='alternate']").get("href")
            checked += 1
    assert checked > 20


def test_the_pages_link_the_json_feed_beside_the_atom_one(site):
    for name in feeds(site):
        page = lxml.html.fromstring((site / f"{name}.html").read_bytes())
        alternates = {link.get("type"): link.get("href") for link in page.iter("link") if link.get("rel") == "alternate"}
        assert alternates["application/atom+xml"].endswith(f"/{name}.xml")
        assert alternates["application/feed+json"].endswith(f"/{name}.feed.json")
        assert [a.get("href") for a in page.iter("a") if a.get("type") == "application/feed+json"] == \
            [alternates["application/feed+json"]]
