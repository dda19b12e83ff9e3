"""Hostile text through the whole pipeline: a real capture made hostile, parsed, translated
by the tiny real model, rendered as Atom and as the site, then read back the way readers
read it (RELAX NG, feedparser, lxml, a headless Chromium).

Two saved feeds go into one build:

- quant-ph: the capture's first items carry markup, ``javascript:`` links, entities written
  as text, ``]]>``, C1 controls, bidi overrides and a ``javascript:`` licence; the document
  is well-formed, serialized by lxml;
- math-ph: other items of the capture with raw C0 controls, character references to
  characters XML forbids, and bytes that are not UTF-8: the document is ill-formed.

What a reader must see: every character of arXiv's text as text, except the control
characters, which are dropped (C0, DEL and C1 carry no text, and XML 1.0 cannot hold most
of them), and the bytes that are not UTF-8, which read as U+FFFD. Bidi controls stay,
each piece of arXiv text inside a line isolated so that they cannot reorder the line.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import feedparser
import lxml.html
import pytest
from lxml import etree

from feedbridge.sources.arxiv_rss import parse_feed
from feedbridge.serve import make_server
from support.browser import Visit
from support.builds import build, tiny_model_installed
from feedbridge.render.words import JAPANESE
from support.checks import ATOM, assert_valid_atom, content_html, tex_text
from support.config import write_config
from support.feeds import joined
from support.paths import QUANT_PH

DC = "{http://purl.org/dc/elements/1.1/}"

# What the feed says (well-formed XML: lxml escapes it) and, where it differs, what a reader sees.
TITLE = ("<script>window.__pwned = 1</script> javascript:alert(1) &amp;lt; &#60; &nbsp; ]]>"
         " C1:\x85\x9b. \u202eevil\u202c \u2066isolate\u2069 \u2068first-strong\u2069 \u2067unclosed")
SEEN_TITLE = TITLE.replace("\x85\x9b", "")
ABSTRACT_START = ('See <a href="javascript:window.__pwned = 3">this</a> and <img src=x onerror="window.__pwned = 2">;'
                  " ]]> &amp;lt; &#60; &nbsp;\x9f and \u202eoverride. ")
SEEN_ABSTRACT_START = ABSTRACT_START.replace("\x9f", "")
CREATOR = "Mallory \u202eEvil, Bob <script>window.__pwned = 5</script> (Lab & Co), \u2067Eve"
SEEN_AUTHORS = ["Mallory \u202eEvil", "Bob <script>window.__pwned = 5</script> (Lab & Co)", "\u2067Eve"]
LICENCE = "javascript:window.__pwned = 4"
CATEGORY = "quant-ph\u202e"  # an override in the middle of the facts line
HOSTILE_ID = "2504.17830"

# The ill-formed feed: placeholders in the XML replaced by raw bytes, and what a reader sees.
BROKEN_BYTES = {
    b"C0-MARK": b"C0:[\x01\x08\x0b\x0c\x1b\x7f]",
    b"REF-MARK": b"refs:[&#x1;&#11;&#xFFFE;&#xD800;]",
    b"UTF8-MARK": b"bytes:[\xff\xc3(\xed\xa0\x80]",
}
SEEN_BROKEN = "C0:[] refs:[] bytes:[\ufffd\ufffd(\ufffd\ufffd\ufffd]"
BROKEN_ID = "2504.18045"  # the capture's ninth item


def items_of(first: int, last: int) -> etree._Element:
    """The capture with only its items first..last (1-based), so each feed has papers of its own."""
    root = etree.parse(str(QUANT_PH)).getroot()
    channel = root.find("channel")
    for number, item in enumerate(channel.findall("item"), start=1):
        if not first <= number <= last:
            channel.remove(item)
    return root


def hostile_quant_ph() -> tuple[bytes, str]:
    """The capture's first eight items, the first made hostile; and that item's abstract as a reader sees it."""
    root = items_of(1, 8)
    item = root.find("channel/item")
    assert item.findtext("guid").endswith(f":{HOSTILE_ID}v1")
    item.find("title").text = TITLE
    description = item.find("description")
    prefix, abstract = description.text.split("Abstract: ", 1)
    description.text = f"{prefix}Abstract: {ABSTRACT_START}{abstract}"
    item.find(f"{DC}creator").text = CREATOR
    item.find(f"{DC}rights").text = LICENCE
    etree.SubElement(item, "category").text = CATEGORY
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8"), joined(SEEN_ABSTRACT_START + abstract)


def broken_math_ph() -> bytes:
    """Items 9 to 16, the first with raw control characters and bytes that are not UTF-8."""
    root = items_of(9, 16)
    item = root.find("channel/item")
    assert item.findtext("guid").endswith(f":{BROKEN_ID}v1")
    item.find("title").text = "Broken C0-MARK REF-MARK UTF8-MARK title"
    description = item.find("description")
    description.text = description.text.replace("Abstract: ", "Abstract: C0-MARK REF-MARK UTF8-MARK ", 1)
    item.find(f"{DC}creator").text = "Ada C0-MARK REF-MARK UTF8-MARK Lovelace"
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    for mark, raw in BROKEN_BYTES.items():
        data = data.replace(mark, raw)
    return data


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory, tiny_argosmodel):
    """Both feeds built into one site, served from loopback for the browser."""
    folder = tmp_path_factory.mktemp("hostile")
    saved, out = folder / "saved", folder / "out"
    saved.mkdir()
    out.mkdir()
    data, seen_abstract = hostile_quant_ph()
    (saved / "quant-ph.xml").write_bytes(data)
    (saved / "math-ph.xml").write_bytes(broken_math_ph())
    server = make_server(out, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base_url = f"http://127.0.0.1:{server.server_address[1]}/"
    config = write_config(folder, feeds=["quant-ph", "math-ph"], base_url=base_url)
    with tiny_model_installed(folder, tiny_argosmodel):
        result = build("--config", config, "--from-dir", saved, "--offline")
    assert result.exit_code == 0, result.output
    (folder / "build-output.txt").write_text(result.output)
    yield out, base_url, seen_abstract
    server.shutdown()
    server.server_close()


def entry_of(path: Path, arxiv_id: str) -> etree._Element:
    feed = etree.parse(str(path)).getroot()
    [entry] = [e for e in feed.iter(f"{ATOM}entry")
               if e.find(f"{ATOM}link[@rel='alternate']").get("href") == f"https://arxiv.org/abs/{arxiv_id}"]
    return entry


def parsed_entry(path: Path, arxiv_id: str):
    """feedparser's reading of one entry, as a feed reader gets it."""
    [entry] = [e for e in feedparser.parse(path.read_bytes()).entries if e.link == f"https://arxiv.org/abs/{arxiv_id}"]
    return entry


def original_title(title: str, expected: str) -> bool:
    """The entry title is the original alone, or the translation, " — ", then the original."""
    return title == expected or title.endswith(f" — {expected}")


def article(out: Path, page: str, arxiv_id: str) -> lxml.html.HtmlElement:
    document = lxml.html.fromstring((out / page).read_bytes())
    return document.get_element_by_id(f"arxiv-{arxiv_id}")


def assert_no_active_content(root: etree._Element) -> None:
    """No element that runs or loads anything, no event handler, no javascript: URL; in a
    feed, in its escaped HTML content too."""
    for content in root.iter(f"{ATOM}content"):
        assert_no_active_content(content_html(content))
    for element in root.iter(etree.Element):
        name = etree.QName(element).localname.lower()
        assert name not in {"script", "iframe", "object", "embed", "img", "style", "base", "form"}, name
        for attribute, value in element.attrib.items():
            assert not re.split("[}:]", attribute)[-1].lower().startswith("on"), (name, attribute)
            assert not re.sub(r"[\s\x00-\x20]", "", value).lower().startswith(("javascript:", "vbscript:")), value


# --- the Atom feeds --------------------------------------------------------------


def test_both_feeds_are_valid_atom_that_feedparser_reads_cleanly(hostile_site):
    out, _, _ = hostile_site
    for name in ("quant-ph.ja", "math-ph.ja"):
        _, parsed = assert_valid_atom(out / f"{name}.xml")
        assert len(parsed.entries) == 8
        assert_no_active_content(etree.parse(str(out / f"{name}.xml")).getroot())
        assert b"<script" not in (out / f"{name}.xml").read_bytes()


def test_feedparser_reads_the_hostile_title_authors_and_abstract_as_the_source_text(hostile_site):
    out, _, seen_abstract = hostile_site
    entry = parsed_entry(out / "quant-ph.ja.xml", HOSTILE_ID)
    assert original_title(entry.title, SEEN_TITLE), entry.title
    assert [author.name for author in entry.authors] == [a.rsplit(" (", 1)[0] for a in SEEN_AUTHORS]
    content = lxml.html.fragment_fromstring(entry.content[0].value, create_parent="div")
    paragraphs = [tex_text(p) for p in content.iter("p")]  # each formula read as its TeX
    assert ", ".join(SEEN_AUTHORS) in paragraphs
    assert seen_abstract in paragraphs
    assert_no_active_content(content)


def content_line(arxiv_id: str, out: Path, starts: str) -> etree._Element:
    """The paragraph of an entry's XHTML content whose text starts so."""
    div = content_html(entry_of(out / "quant-ph.ja.xml", arxiv_id).find(f"{ATOM}content"))
    [line] = [p for p in div.iterfind("p") if "".join(p.itertext()).startswith(starts)]
    return line


def test_every_piece_of_arxiv_text_in_a_line_is_a_bidi_isolate_in_the_atom_content(hostile_site):
    out, _, _ = hostile_site
    authors = content_line(HOSTILE_ID, out, SEEN_AUTHORS[0])
    assert [(s.get("dir"), s.text) for s in authors] == [("auto", a) for a in SEEN_AUTHORS]
    assert "".join(authors.itertext()) == ", ".join(SEEN_AUTHORS)  # the text is unchanged
    facts = content_line(HOSTILE_ID, out, "arXiv:")
    isolated = [s.text for s in facts.iterfind("span[@dir='auto']")]
    assert CATEGORY in isolated and LICENCE in isolated


def test_a_javascript_licence_is_text_not_a_link(hostile_site):
    out, _, _ = hostile_site
    facts = content_line(HOSTILE_ID, out, "arXiv:")
    assert "".join(facts.itertext()).endswith(f"{JAPANESE.licence}{LICENCE}")
    div = facts.getparent()
    assert LICENCE not in {a.get("href") for a in div.iter("a")}
    # A real licence is still a link: the capture's second item has one.
    second = content_line("2504.17837", out, "arXiv:")
    assert "http://arxiv.org/licenses/nonexclusive-distrib/1.0/" in {a.get("href") for a in second.iter("a")}


def test_control_characters_are_dropped_and_bad_bytes_read_as_replacement_characters(hostile_site):
    out, _, _ = hostile_site
    raw = parse_feed(broken_math_ph(), "math-ph.xml")
    [warning] = raw.warnings  # three of each mark: title, abstract, authors
    assert warning.startswith("math-ph.xml: repaired: dropped 27 characters that XML 1.0 forbids"
                              " and replaced 15 byte sequences that are not UTF-8 with U+FFFD (the first at line ")
    entry = parsed_entry(out / "math-ph.ja.xml", BROKEN_ID)
    assert original_title(entry.title, f"Broken {SEEN_BROKEN} title"), entry.title
    assert [author.name for author in entry.authors] == [f"Ada {SEEN_BROKEN} Lovelace"]
    content = lxml.html.fragment_fromstring(entry.content[0].value, create_parent="div")
    assert any(p.text_content().startswith(f"{SEEN_BROKEN} ") for p in content.iter("p"))
    document = (out / "math-ph.ja.xml").read_text(encoding="utf-8")
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", document)



def test_the_build_reports_the_repair_in_its_output_and_status(hostile_site):
    out, _, _ = hostile_site
    warnings = json.loads((out / "status.json").read_text())["warnings"]
    repaired = [w for w in warnings if "repaired" in w]
    assert len(repaired) == 1 and "math-ph.xml: repaired: dropped 27 characters" in repaired[0]
    assert (out.parent / "build-output.txt").read_text().count(f"Warning: {repaired[0]}\n") == 1


# --- the site ----------------------------------------------------------------------


def test_the_site_page_shows_the_hostile_text_as_text(hostile_site):
    out, _, seen_abstract = hostile_site
    paper = article(out, "quant-ph.ja.html", HOSTILE_ID)
    title = (paper.cssselect(".original-title") or paper.cssselect("h2"))[0]
    assert title.text_content() == SEEN_TITLE
    assert [b.text_content() for b in paper.cssselect(".authors bdi")] == SEEN_AUTHORS
    assert paper.cssselect(".authors")[0].text_content() == ", ".join(SEEN_AUTHORS)
    assert " ".join(tex_text(p) for p in paper.cssselect("p.original")) == seen_abstract
    assert CATEGORY in [b.text_content() for b in paper.cssselect(".facts bdi")]
    # The licence is shown, and a javascript: one as text, never as a link.
    assert LICENCE in [b.text_content() for b in paper.cssselect(".facts bdi")]
    assert LICENCE not in {a.get("href") for a in paper.iter("a")}


def test_the_broken_bytes_page_shows_what_was_readable(hostile_site):
    out, _, _ = hostile_site
    paper = article(out, "math-ph.ja.html", BROKEN_ID)
    title = (paper.cssselect(".original-title") or paper.cssselect("h2"))[0]
    assert title.text_content() == f"Broken {SEEN_BROKEN} title"
    assert paper.cssselect(".authors")[0].text_content() == f"Ada {SEEN_BROKEN} Lovelace"
    assert paper.cssselect("p.original")[0].text_content().startswith(f"{SEEN_BROKEN} ")


def test_no_page_has_active_content_and_index_and_opml_are_well_formed(hostile_site):
    out, base_url, _ = hostile_site
    strict_html = etree.HTMLParser(recover=False)
    for page in ("index.html", "quant-ph.ja.html", "math-ph.ja.html"):
        raw = (out / page).read_bytes()
        assert b"<script" not in raw
        assert_no_active_content(etree.fromstring(raw, strict_html))
    index = lxml.html.fromstring((out / "index.html").read_bytes())
    assert [a.get("href") for a in index.cssselect("li.feed h2 a")] == ["quant-ph.ja.html", "math-ph.ja.html"]
    opml = etree.parse(str(out / "feeds.opml")).getroot()
    assert [o.get("xmlUrl") for o in opml.iterfind("body/outline")] == [
        f"{base_url}quant-ph.ja.xml", f"{base_url}math-ph.ja.xml"]


# --- in a real browser -------------------------------------------------------------

# Where each character of a word is drawn: [left of the first, left of the last].
WORD_EDGES = """
const [root, word] = arguments;
const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
for (let node; (node = walker.nextNode()); ) {
  const at = node.data.indexOf(word);
  if (at < 0) continue;
  const left = i => { const r = document.createRange(); r.setStart(node, i); r.setEnd(node, i + 1);
                      return r.getBoundingClientRect().left; };
  return [left(at), left(at + word.length - 1)];
}
return null;
"""


def test_in_chromium_no_script_runs_the_text_shows_literally_and_overrides_stay_inside(browser, hostile_site):
    from selenium.webdriver.common.by import By

    _, base_url, _ = hostile_site
    visit = Visit(browser, f"{base_url}quant-ph.ja.html")
    assert visit.errors == []
    assert browser.execute_script("return window.__pwned") is None
    assert browser.execute_script("return document.scripts.length + document.images.length") == 0
    paper = browser.find_element(By.ID, f"arxiv-{HOSTILE_ID}")
    text = browser.execute_script("return arguments[0].innerText", paper)
    for shown in (SEEN_TITLE, ", ".join(SEEN_AUTHORS), '<a href="javascript:window.__pwned = 3">this</a>',
                  '<img src=x onerror="window.__pwned = 2">'):
        assert shown in text, shown
    # A right-to-left override in one author's name or in a category reverses only that
    # text: the next author, and the date after the categories, still read left to right.
    authors = paper.find_element(By.CLASS_NAME, "authors")
    first, last = browser.execute_script(WORD_EDGES, authors, "Bob")
    assert first < last
    facts = paper.find_element(By.CLASS_NAME, "facts")
    first, last = browser.execute_script(WORD_EDGES, facts, JAPANESE.announced.format(day="").strip())
    assert first < last
