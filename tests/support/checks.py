"""Checks the test modules share: a published feed is valid Atom, and a test tool is there."""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path

import feedparser
import lxml.html
import pytest
from lxml import etree

from support.paths import ATOM_RNG

ATOM = "{http://www.w3.org/2005/Atom}"


def tex_text(element: etree._Element) -> str:
    """An element's text as arXiv wrote its math: each <math> read as its TeX annotation."""
    copy = lxml.html.fragment_fromstring(lxml.html.tostring(element, encoding="unicode", with_tail=False),
                                         create_parent="div")
    for math in list(copy.iter("math")):
        annotation = math.find(".//annotation")
        text = (annotation.text if annotation is not None else "") + (math.tail or "")
        previous, parent = math.getprevious(), math.getparent()
        if previous is not None:
            previous.tail = (previous.tail or "") + text
        else:
            parent.text = (parent.text or "") + text
        parent.remove(math)  # and its tail, moved before it
    return copy.text_content()


def content_html(content: etree._Element) -> lxml.html.HtmlElement:
    """An entry's ``content type="html"`` (or ``summary``) as a browser parses it: its root div."""
    assert content.get("type") == "html", content.get("type")
    return lxml.html.fragment_fromstring(content.text)


def assert_valid_atom(path: Path):
    """RFC 4287's grammar, the rules RELAX NG cannot say, and a real parser's reading."""
    document = etree.parse(str(path))
    schema = etree.RelaxNG(etree.parse(str(ATOM_RNG)))
    assert schema.validate(document), schema.error_log
    assert_rfc4287_rules(document.getroot())
    parsed = feedparser.parse(path.read_bytes())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert len(parsed.entries) == len(document.getroot().findall(f"{ATOM}entry"))
    return document, parsed


def assert_rfc4287_rules(feed):
    """RFC 4287 4.1.1 and 4.1.2 beyond the schema: authors, alternate links, content, unique ids."""
    assert feed.find(f"{ATOM}link[@rel='self']") is not None
    entries = feed.findall(f"{ATOM}entry")
    for element in [feed, *entries]:
        alternates = [(link.get("type"), link.get("hreflang")) for link in element.findall(f"{ATOM}link[@rel='alternate']")]
        assert len(alternates) == len(set(alternates)), f"two alternate links share a type and language: {alternates}"
    feed_has_author = feed.find(f"{ATOM}author") is not None
    ids = [entry.findtext(f"{ATOM}id") for entry in entries]
    assert len(ids) == len(set(ids)), "an entry id appears twice"
    for entry in entries:
        assert feed_has_author or entry.find(f"{ATOM}author") is not None
        assert entry.find(f"{ATOM}content") is not None or entry.find(f"{ATOM}link[@rel='alternate']") is not None
        published, updated = (datetime.fromisoformat(entry.findtext(f"{ATOM}{tag}")) for tag in ("published", "updated"))
        assert published <= updated


def require(found: bool, what: str) -> None:
    """Skip when a test tool is missing; in CI, where `make test` installs them all, fail."""
    if not found:
        message = f"{what} is not installed (`make test` installs it, as root)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def require_tool(command: str) -> None:
    require(shutil.which(command) is not None, command)
