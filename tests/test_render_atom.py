"""The Atom feed: valid, stable, bilingual, and hostile text kept as text."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import feedparser
import pytest
from lxml import etree

from feedbridge import __version__
from feedbridge.model import Author, Paper
from feedbridge.sources.arxiv_links import arxiv_links
from feedbridge.archive import Entry
from feedbridge.render.atom import render_atom
from feedbridge.render.view import FeedView
from feedbridge.model import FeedStatus, SentencePair, TranslatedPaper, Translation
from feedbridge.render.words import JAPANESE as W
from support.checks import content_html
from support.paths import ATOM_RNG

NS = {
    "a": "http://www.w3.org/2005/Atom",
    "h": "http://www.w3.org/1999/xhtml",
}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
NEW_YORK = timezone(timedelta(hours=-4))
ANNOUNCED = datetime(2025, 4, 28, 0, 0, tzinfo=NEW_YORK)
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
HOSTILE = "<script>alert(1)</script> a<b & c]]>"

PLAIN = Paper(
    arxiv_id="2504.17830",
    version=1,
    title="Quantum error correction below threshold",
    abstract="We show a logical qubit. It lives longer than its parts.",
    authors=(Author("Alice Smith", ("MIT", "Stanford University")), Author("Bob Jones")),
    categories=("quant-ph", "cs.AI"),
    announce_type="new",
    announced=ANNOUNCED,
    links=arxiv_links("2504.17830", 1),
    doi="10.1103/PhysRevA.111.042418",
    journal_ref="Phys. Rev. A 111, 042418 (2025)",
    license="http://creativecommons.org/licenses/by/4.0/",
)
HOSTILE_PAPER = Paper(
    arxiv_id="2504.00002",
    version=1,
    title=HOSTILE,
    abstract=f"Abstract with {HOSTILE} inside\x0b. Second sentence.",
    authors=(Author("Carol <b>Bold</b> & Co"),),
    categories=("cs.AI",),
    announce_type="cross",
    announced=ANNOUNCED,
    links=arxiv_links("2504.00002", 1),
)
REPLACED = Paper(
    arxiv_id="hep-th/9901001",
    version=2,
    title="Strings on a lattice",
    abstract="First sentence. Second sentence, untranslated.",
    authors=(Author("Dana Lee", ("CERN",)),),
    categories=("hep-th", "cs.AI"),
    announce_type="replace",
    announced=ANNOUNCED,
    links=arxiv_links("hep-th/9901001", 2),
)


def translate(paper: Paper, title: str, sentences: list[tuple[str, str, bool]]) -> TranslatedPaper:
    return TranslatedPaper(
        paper=paper,
        source_lang="en",
        target_lang="ja",
        title=Translation((SentencePair(paper.title, title),)),
        abstract=Translation(tuple(SentencePair(*sentence) for sentence in sentences)),
        translator="translate-en_ja 1.1",
    )


ENTRIES = (
    translate(
        PLAIN,
        "閾値以下の量子誤り訂正",
        [
            ("We show a logical qubit.", "論理量子ビットを示す。", True),
            ("It lives longer than its parts.", "それは部品より長く生きる。", True),
        ],
    ),
    translate(
        HOSTILE_PAPER,
        f"訳 {HOSTILE}",
        [
            (f"Abstract with {HOSTILE} inside\x0b.", f"要約 {HOSTILE}\x0b。", True),
            ("Second sentence.", "二番目の文。", True),
        ],
    ),
    translate(
        REPLACED,
        "格子上の弦",
        [
            ("First sentence.", "最初の文。", True),
            ("Second sentence, untranslated.", "Second sentence, untranslated.", False),
        ],
    ),
)
FEED = FeedView(
    name="cs.AI.ja",
    label="cs.AI",
    source_lang="en",
    target_lang="ja",
    language_name="Japanese",
    engine="Argos Translate",
    base_url="https://example.org/feeds/",
    status=FeedStatus.UPDATED,
    message="",
    entries=(),
    last_day=ANNOUNCED.date(),
    updated=ANNOUNCED,
    published=True,
)


def atom(entries=ENTRIES, feed=FEED) -> bytes:
    """The feed's Atom document, each paper first published at its announcement."""
    window = tuple(Entry(translated, translated.paper.announced) for translated in entries)
    return render_atom(replace(feed, entries=window))


def render(entries=ENTRIES, feed=FEED) -> etree._Element:
    return etree.fromstring(atom(entries, feed))


def entry_ids(root: etree._Element) -> list[str]:
    return root.xpath("a:entry/a:id/text()", namespaces=NS)


def content_of(root: etree._Element, index: int) -> etree._Element:
    return content_html(root.xpath("a:entry/a:content", namespaces=NS)[index])


@pytest.fixture(scope="module")
def root() -> etree._Element:
    return render()


def test_output_is_utf8_xml_with_declaration():
    assert atom().startswith(b"<?xml version='1.0' encoding='UTF-8'?>")


def test_feed_is_valid_against_the_rfc_4287_relax_ng_schema(root):
    schema = etree.RelaxNG(file=str(ATOM_RNG))
    assert schema.validate(root), schema.error_log


def test_feedparser_reads_the_feed_without_complaint():
    parsed = feedparser.parse(atom())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert len(parsed.entries) == len(ENTRIES)


def test_same_input_gives_the_same_bytes():
    assert atom() == atom()


def test_feed_head(root):
    title = root.find("a:title", NS).text
    assert title == "cs.AI: arXiv 新着論文の日本語訳 (feedbridge)"  # the category and the language, feedbridge's
    assert root.get(XML_LANG) == "ja"
    assert root.find("a:updated", NS).text == "2025-04-28T00:00:00-04:00"
    assert root.xpath("a:link[@rel='self']/@href", namespaces=NS) == [FEED.url(".xml")]
    assert root.xpath("a:link[@rel='alternate'][@type='text/html']/@href", namespaces=NS) == [
        FEED.url(".html")
    ]
    subtitle = root.find("a:subtitle", NS)
    assert "オフライン機械翻訳" in subtitle.text and "Argos Translate" in subtitle.text
    assert subtitle.get(XML_LANG) == "ja"  # feedbridge's words in the feed's language
    rights = root.find("a:rights", NS).text
    assert "Thank you to arXiv for use of its open access interoperability." in rights
    assert W.not_affiliated in rights and "CC0 1.0" in rights
    english = etree.fromstring(atom(feed=replace(FEED, target_lang="xx", entries=())))
    assert english.find("a:subtitle", NS).get(XML_LANG) == "en"  # no words for xx: English
    assert "feedbridge is not affiliated with arXiv." in english.find("a:rights", NS).text


def test_feed_id_is_stable_and_independent_of_the_base_url(root):
    elsewhere = replace(FEED, base_url="https://b.net/")
    moved = render(feed=elsewhere)
    feed_id = root.find("a:id", NS).text
    assert feed_id.startswith("urn:uuid:")
    assert moved.find("a:id", NS).text == feed_id
    assert render(feed=replace(FEED, name="cs.AI.zh")).find("a:id", NS).text != feed_id


def test_generator_names_feedbridge_not_feedgen(root):
    generator = root.find("a:generator", NS)
    assert (generator.text, generator.get("version")) == ("feedbridge", __version__)
    assert "feedgen" not in etree.tostring(generator, encoding="unicode")


def test_entries_keep_the_given_order(root):
    hrefs = root.xpath("a:entry/a:link[@rel='alternate']/@href", namespaces=NS)
    assert hrefs == [entry.paper.links.abstract for entry in ENTRIES]


def test_entry_id_follows_the_documented_rule(root):
    paper_uuid = uuid.uuid5(uuid.NAMESPACE_URL, "https://arxiv.org/abs/2504.17830")
    assert entry_ids(root)[0] == f"urn:uuid:{uuid.uuid5(paper_uuid, 'ja')}"
    assert len(set(entry_ids(root))) == len(ENTRIES)
    assert not any(entry_id.startswith("oai:") for entry_id in entry_ids(root))


def test_entry_id_is_the_same_for_every_version_and_differs_by_target_language(root):
    version_2 = replace(ENTRIES[0], paper=replace(PLAIN, version=2, announce_type="replace"))
    chinese = replace(ENTRIES[0], target_lang="zh")
    assert entry_ids(render([version_2])) == entry_ids(root)[:1]
    assert entry_ids(render([chinese])) != entry_ids(root)[:1]


def test_entry_title_is_translation_then_original_as_plain_text(root):
    titles = root.findall("a:entry/a:title", NS)
    assert titles[0].text == f"閾値以下の量子誤り訂正 — {PLAIN.title}"
    assert [(title.get("type"), title.get(XML_LANG)) for title in titles] == [("text", "ja")] * 3


def test_untranslated_title_is_the_original_alone_in_the_source_language():
    pair = SentencePair(PLAIN.title, PLAIN.title, translated=False)
    entry = replace(ENTRIES[0], title=Translation((pair,)))
    title = render([entry]).find("a:entry/a:title", NS)
    assert (title.text, title.get(XML_LANG)) == (PLAIN.title, "en")


def test_published_and_updated_are_rfc3339_with_an_offset(root):
    for tag in ("a:published", "a:updated"):
        for stamp in root.xpath(f"a:entry/{tag}/text()", namespaces=NS):
            assert RFC3339.match(stamp), stamp
            assert datetime.fromisoformat(stamp) == ANNOUNCED


def test_authors_are_atom_authors_and_in_the_content(root):
    entry = root.find("a:entry", NS)
    assert entry.xpath("a:author/a:name/text()", namespaces=NS) == ["Alice Smith", "Bob Jones"]
    text = "".join(content_of(root, 0).itertext())
    assert "Alice Smith (MIT; Stanford University), Bob Jones" in text


def test_links_have_rel_type_and_title(root):
    links = root.find("a:entry", NS).findall("a:link", NS)
    assert [
        (link.get("rel"), link.get("type"), link.get("title"), link.get("href")) for link in links
    ] == [
        ("alternate", "text/html", None, "https://arxiv.org/abs/2504.17830"),
        ("related", "application/pdf", "PDF", "https://arxiv.org/pdf/2504.17830v1"),
        ("related", "text/html", W.html_version, "https://arxiv.org/html/2504.17830v1"),
    ]


def test_comments_and_their_code_link_are_shown():
    comment = "12 pages. Code: https://github.com/alice/qec (MIT licence)"
    root = render([replace(ENTRIES[0], paper=replace(PLAIN, comment=comment, links=arxiv_links(PLAIN.arxiv_id, PLAIN.version, comment)))])
    schema = etree.RelaxNG(file=str(ATOM_RNG))
    assert schema.validate(root), schema.error_log
    div = content_of(root, 0)
    comments = div.xpath(f"p[starts-with(., '{W.comments}')]")
    assert ["".join(p.itertext()) for p in comments] == [f"{W.comments}{comment}"]
    span = comments[0].find("span")
    assert (comments[0].get("lang"), span.get("lang"), span.get("dir")) == ("ja", "en", "auto")
    links = div.xpath("p[a = 'PDF']/a")
    assert [(a.text, a.get("href")) for a in links] == [
        (W.abstract_page, "https://arxiv.org/abs/2504.17830"),
        ("PDF", "https://arxiv.org/pdf/2504.17830v1"),
        (W.html_version, "https://arxiv.org/html/2504.17830v1"),
        (W.code, "https://github.com/alice/qec"),
    ]
    code = root.xpath(f"a:entry/a:link[@title='{W.code}']", namespaces=NS)
    assert [(link.get("rel"), link.get("href")) for link in code] == [
        ("related", "https://github.com/alice/qec")
    ]


def test_without_comments_there_is_no_comments_line_and_no_code_link(root):
    div = content_of(root, 0)
    assert W.comments not in "".join(div.itertext())
    assert W.code not in div.xpath(".//a/text()")
    assert root.xpath(f"a:entry/a:link[@title='{W.code}']", namespaces=NS) == []


def test_categories_carry_arxiv_scheme(root):
    categories = root.find("a:entry", NS).findall("a:category", NS)
    assert [(c.get("term"), c.get("scheme")) for c in categories] == [
        ("quant-ph", "http://arxiv.org/schemas/atom"),
        ("cs.AI", "http://arxiv.org/schemas/atom"),
    ]


def test_content_facts_line_and_links(root):
    div = content_of(root, 0)
    text = "".join(div.itertext())
    assert f"arXiv:2504.17830v1 · {W.announce_types['new']} · quant-ph, cs.AI" in text
    assert f"{W.journal_ref}Phys. Rev. A 111, 042418 (2025)" in text
    hrefs = div.xpath(".//a/@href", namespaces=NS)
    assert "https://doi.org/10.1103/PhysRevA.111.042418" in hrefs
    assert PLAIN.license in hrefs
    assert {PLAIN.links.abstract, PLAIN.links.pdf, PLAIN.links.html} <= set(hrefs)
    assert f"arXiv:hep-th/9901001v2 · {W.announce_types['replace']}" in "".join(content_of(root, 2).itertext())


def test_content_names_its_provenance(root):
    text = "".join(content_of(root, 0).itertext())
    assert W.provenance.format(engine="Argos Translate", translator="translate-en_ja 1.1") in text


def test_translated_abstract_has_one_sentence_per_paragraph_in_the_target_language(root):
    section = content_of(root, 0).find("div", NS)
    assert section.get("lang") == "ja"
    assert [p.text for p in section.findall("p", NS)] == [
        "論理量子ビットを示す。",
        "それは部品より長く生きる。",
    ]


def test_untranslated_sentence_is_marked_and_in_the_source_language(root):
    paragraphs = content_of(root, 2).find("div", NS).findall("p", NS)
    untranslated = paragraphs[1]
    assert untranslated.get("lang") == "en"
    assert "".join(untranslated.itertext()) == f"{W.untranslated} Second sentence, untranslated."
    assert paragraphs[0].get("lang") is None  # inherits its section's target language


def test_an_abstract_with_no_sentence_translated_is_shown_once():
    """Else a reader shows the same abstract twice (newsboat did), once marked untranslated."""
    pairs = [(s, s, False) for s in ("We show a logical qubit.", "It lives longer than its parts.")]
    div = content_of(render([translate(PLAIN, "閾値以下の量子誤り訂正", pairs)]), 0)
    text = "".join(div.itertext())
    assert text.count("We show a logical qubit.") == 1 and W.untranslated not in text


def test_original_title_and_abstract_are_in_the_source_language(root):
    div = content_of(root, 0)
    heading = div.find("h2", NS)
    assert (heading.text, heading.get("lang")) == ("閾値以下の量子誤り訂正", "ja")
    originals = div.xpath("p[@lang='en']/text()")
    assert PLAIN.title in originals and PLAIN.abstract in originals


def test_hostile_text_stays_text():
    data = atom()
    parsed = feedparser.parse(data)
    assert parsed.entries[1].title == f"訳 {HOSTILE} — {HOSTILE}"
    div = content_of(etree.fromstring(data), 1)
    assert div.xpath(".//script | .//b", namespaces=NS) == []
    text = "".join(div.itertext())
    assert f"Abstract with {HOSTILE} inside. Second sentence." in text
    assert "Carol <b>Bold</b> & Co" in text


def test_characters_illegal_in_xml_are_dropped(root):
    assert b"\x0b" not in atom()
    translated = content_of(root, 1).find("div", NS).findall("p", NS)[0]
    assert translated.text == f"要約 {HOSTILE}。"


def test_every_entry_has_an_author_even_when_a_paper_lists_none():
    anonymous = replace(ENTRIES[0], paper=replace(PLAIN, authors=()))
    root = render([anonymous])
    assert root.findall("a:entry/a:author", NS) == []
    assert root.find("a:author/a:name", NS).text == "feedbridge"  # the feed's maker, never arXiv


@pytest.mark.parametrize("licence, linked", [
    ("http://creativecommons.org/licenses/by/4.0/", True),
    ("https://arxiv.org/licenses/nonexclusive-distrib/1.0/", True),
    ("javascript:alert(1)", False),
    ("JavaScript:alert(1)", False),
    ("data:text/html,<script>alert(1)</script>", False),
    ("vbscript:msgbox(1)", False),
    ("http:no-host", False),
    ("//example.org/relative", False),
    ("CC BY 4.0", False),
])
def test_only_a_web_licence_becomes_a_link_and_any_other_stays_text(licence, linked):
    root = render([replace(ENTRIES[0], paper=replace(PLAIN, license=licence))])
    facts = content_of(root, 0).findall("p", NS)[2]
    assert "".join(facts.itertext()).endswith(f"{W.licence}{licence}")
    assert (licence in {a.get("href") for a in facts.iter("a")}) is linked


def test_del_and_c1_controls_are_dropped_like_the_controls_xml_forbids():
    """feedparser would read \\x85 as '…' and \\x9b is a terminal's CSI: neither is text."""
    paper = replace(PLAIN, title="Quote\x93d\x94 \x7ftitle", authors=(Author("Ada\x85 Lovelace"),))
    data = atom([translate(paper, "訳\x9b", [("We show a logical qubit.", "示す。", True)])])
    assert not re.search("[\x7f-\x9f]", data.decode("utf-8"))
    entry = feedparser.parse(data).entries[0]
    assert (entry.title, entry.author) == ("訳 — Quoted title", "Ada Lovelace")


def test_arxiv_text_inside_a_line_is_a_bidi_isolate_and_the_text_is_unchanged():
    """An override (U+202E) in one author or category must not reorder the rest of the line."""
    paper = replace(PLAIN, authors=(Author("Eve \u202eevil", ("Lab\u2067",)), Author("Bob")),
                    categories=("quant-ph\u202e", "cs.AI"), journal_ref="J. \u202eRef", comment="C\u202e",
                    links=arxiv_links(PLAIN.arxiv_id, PLAIN.version, "C\u202e"))
    div = content_of(render([replace(ENTRIES[0], paper=paper)]), 0)
    authors, facts = div.findall("p", NS)[1:3]
    assert [(span.get("dir"), span.text) for span in authors] == [("auto", "Eve \u202eevil (Lab\u2067)"), ("auto", "Bob")]
    assert "".join(authors.itertext()) == "Eve \u202eevil (Lab\u2067), Bob"
    isolates = {span.text for span in facts.iter("span", "a") if span.get("dir") == "auto"}
    assert {W.announce_types["new"], "quant-ph\u202e", "cs.AI", PLAIN.doi, "J. \u202eRef", PLAIN.license} <= isolates
    assert div.xpath("p/span[@dir='auto']/text()", namespaces=NS).count("C\u202e") == 1
