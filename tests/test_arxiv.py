"""The parse stage: real arXiv feeds in, Papers out, checked field by field."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from feedbridge.model import Author, SourceFeed
from feedbridge.sources.arxiv_links import code_link
from feedbridge.sources.arxiv_rss import parse_feed
from feedbridge.errors import FeedError
from support.feeds import joined, rss2, rss2_item
from support.paths import API_ERROR, API_SEARCH, API_ZERO, EMPTY_PHYSICS, FIXTURES, LEGACY_HEP_EX, QUANT_PH

NEW_YORK_EDT = timezone(timedelta(hours=-4))
NEW_YORK_EST = timezone(timedelta(hours=-5))
DC = "{http://purl.org/dc/elements/1.1/}"


def parse(path: Path) -> SourceFeed:
    return parse_feed(path.read_bytes(), str(path))


@pytest.fixture(scope="module")
def quant_ph() -> SourceFeed:
    return parse(QUANT_PH)


def by_id(feed: SourceFeed) -> dict:
    return {paper.arxiv_id: paper for paper in feed.papers}


# --- RSS 2.0: the real quant-ph day --------------------------------------------


def test_quant_ph_has_every_item_in_arxivs_order_with_its_announce_type(quant_ph):
    assert quant_ph.title == "quant-ph updates on arXiv.org"
    assert quant_ph.announced == datetime(2025, 4, 28, tzinfo=NEW_YORK_EDT)
    assert len(quant_ph.papers) == 81
    assert Counter(p.announce_type for p in quant_ph.papers) == {
        "new": 40, "cross": 10, "replace": 22, "replace-cross": 9,
    }
    raw_guids = [g.text for g in etree.parse(str(QUANT_PH)).iter("guid")]
    assert [f"oai:arXiv.org:{p.arxiv_id}v{p.version}" for p in quant_ph.papers] == raw_guids


def test_first_quant_ph_item_field_by_field(quant_ph):
    paper = quant_ph.papers[0]
    assert paper.arxiv_id == "2504.17830"
    assert paper.version == 1
    assert paper.title == "Self-Adjoint Time Operator in a Weighted Energy Space"
    assert paper.abstract.startswith(r"We introduce a self-adjoint time operator \(T_w = i\hbar")
    assert paper.abstract.endswith("which in turn leaves the Hamiltonian spectrum unbounded.")
    assert paper.authors == (Author("Radmir Kokoulin"),)
    assert paper.categories == ("quant-ph",)
    assert paper.announce_type == "new"
    assert paper.announced == datetime(2025, 4, 28, tzinfo=NEW_YORK_EDT)
    assert paper.announced.utcoffset() == timedelta(hours=-4)
    assert paper.license == "http://creativecommons.org/licenses/by/4.0/"
    assert paper.doi is None and paper.journal_ref is None
    assert paper.links.abstract == "https://arxiv.org/abs/2504.17830"
    assert paper.links.pdf == "https://arxiv.org/pdf/2504.17830v1"


def test_doi_and_journal_reference(quant_ph):
    paper = by_id(quant_ph)["2403.13790"]
    assert (paper.version, paper.announce_type) == (2, "replace")
    assert paper.doi == "10.1103/PhysRevB.111.144313"
    assert paper.journal_ref == "Phys. Rev. B 111, 144313 (2025)"
    assert paper.categories == ("quant-ph", "cond-mat.quant-gas", "physics.atom-ph")
    assert paper.license == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"
    assert paper.authors[3] == Author("Klaus Mølmer")


def test_every_licence_in_the_fixture_is_read(quant_ph):
    assert {p.license for p in quant_ph.papers} == {
        "http://creativecommons.org/licenses/by/4.0/",
        "http://arxiv.org/licenses/nonexclusive-distrib/1.0/",
        "http://creativecommons.org/licenses/by-nc-sa/4.0/",
        "http://creativecommons.org/licenses/by-nc-nd/4.0/",
        "http://creativecommons.org/publicdomain/zero/1.0/",
    }


def test_replace_cross_item_keeps_its_own_primary_category(quant_ph):
    # The fixture's README says 2312.01259v3 has no quant-ph category; the XML does list
    # quant-ph, last. What holds is that its primary is another archive.
    paper = by_id(quant_ph)["2312.01259"]
    assert (paper.version, paper.announce_type) == (3, "replace-cross")
    assert paper.categories == ("cond-mat.stat-mech", "gr-qc", "hep-ph", "hep-th", "quant-ph")
    assert paper.categories[0] != "quant-ph"
    assert paper.doi == "10.1103/PhysRevLett.132.241601"
    assert paper.journal_ref == "Phys. Rev. Lett. 132, 241601 (2024)"


def test_categories_keep_arxivs_order_which_is_primary_first(quant_ph):
    # new/replace papers are quant-ph primaries and list quant-ph first; cross-lists
    # never do; and the order is not alphabetical (cs.LG before cs.AI, hep-th before
    # cond-mat): arXiv writes the primary first, so its order is kept as it is.
    for paper in quant_ph.papers:
        primary_here = paper.announce_type in ("new", "replace")
        assert (paper.categories[0] == "quant-ph") is primary_here, paper.arxiv_id
        assert "quant-ph" in paper.categories
    papers = by_id(quant_ph)
    assert papers["2401.00867"].categories == ("cs.LG", "cs.AI", "quant-ph")
    assert papers["2504.14362"].categories == ("hep-th", "cond-mat.stat-mech", "quant-ph")


# --- authors -------------------------------------------------------------------


@pytest.mark.parametrize(
    "arxiv_id, position, name",
    [
        ("2504.17881", 1, "Jakob Günther"),  # G\"unther
        ("2504.18187", 1, "Søren Stobbe"),  # S{\o}ren
        ("2504.18205", 1, "Stanisław Świerczewski"),  # Stanis{\l}aw \'Swierczewski
        ("2504.18205", 3, "Michał Matuszewski"),  # Micha{\l}
        ("2504.18121", 1, "Michal Hajdušek"),  # Hajdu\v{s}ek
        ("2504.18198", 1, "György Frank"),  # Gy\"orgy
        ("2504.18198", 2, "András Pályi"),  # Andr\'as P\'alyi
        ("2504.18220", 1, "Patrik Öhberg"),  # \"Ohberg
        ("2405.13913", 1, "Oskar A. Prośniak"),  # Pro\'sniak
        ("2504.00086", 22, "Dorival Gonçalves"),  # Gon\c{c}alves
        ("2504.00086", 46, "Juan Ramón Muñoz de Nova"),  # Ram\'on Mu\~noz
        ("2504.00086", 15, "Frédéric Déliot"),  # Fr\'ed\'eric D\'eliot
        ("2504.00086", 23, "Radosław Grabarczyk"),  # Rados{\l}aw
        ("2504.18254", 3, "Mark O'Neill"),  # an apostrophe that is not an accent
        ("2504.18311", 2, "Kenneth T-R McLaughlin"),
    ],
)
def test_tex_accents_in_real_author_names(quant_ph, arxiv_id, position, name):
    assert by_id(quant_ph)[arxiv_id].authors[position].name == name


def test_affiliations_in_parentheses_are_kept_apart_and_whole(quant_ph):
    madras = (
        "Department of Chemistry, Indian Institute of Technology Madras, Chennai, India, "
        "Centre for Quantum Information, Communication, and Computing, "
        "Indian Institute of Technology Madras, Chennai, India"
    )
    assert by_id(quant_ph)["2504.18264"].authors == (
        Author("M. R. Nirmal", (madras,)),
        Author("Ankit Khandelwal", (madras,)),
        Author("Manoj Nambiar", (madras,)),
        Author("Sharma S. R. K. C. Yamijala", (madras,)),
    )


def test_no_author_name_in_the_fixture_is_mangled(quant_ph):
    papers = by_id(quant_ph)
    creators = {
        item.findtext("guid").split(":")[-1].rsplit("v", 1)[0]: item.findtext(f"{DC}creator")
        for item in etree.parse(str(QUANT_PH)).iter("item")
    }
    for arxiv_id, creator in creators.items():
        authors = papers[arxiv_id].authors
        if "(" not in creator:  # no affiliations: one author per ", " part, none lost
            assert len(authors) == len(creator.split(", ")), arxiv_id
        for author in authors:
            assert author.name and author.name == author.name.strip()
            assert not set(author.name) & set("\\{}()"), author
            assert "  " not in author.name
            assert unicodedata.is_normalized("NFC", author.name)
    assert sum(len(p.authors) for p in quant_ph.papers) == 381
    assert len(papers["2504.00086"].authors) == 71


def test_tex_forms_with_and_without_braces_become_unicode():
    names = [
        r"\'e \`a \^o \~n \=a \.z \c{c} \v{s} \u{g} \H{o} \k{a} \r{a}",
        r"{\aa} {\ss} {\l} {\i} {\ae} {\O} \"{u} {\"u} \c c \'{\i} S\o ren Pawe\l\ Caban",
        r"Ayd{\i}n \AA{}ngstr\"om \unknown{x}",
    ]
    item = rss2_item("2504.00001v1", extra=f"<dc:creator>{', '.join(names)}</dc:creator>")
    authors = parse_feed(rss2(item), "synthetic").papers[0].authors
    assert [a.name for a in authors] == [
        "Ada Lovelace",
        "é à ô ñ ā ż ç š ğ ő ą å",
        "å ß ł ı æ Ø ü ü ç í Søren Paweł Caban",
        "Aydın Ångström \\unknownx",
    ]


def test_unbalanced_parentheses_split_at_commas_and_keep_the_text():
    item = rss2_item("2504.00001v1").replace(
        "<dc:creator>Ada Lovelace</dc:creator>",
        "<dc:creator>Ada Lovelace (Analytical Engine, Charles Babbage</dc:creator>",
    )
    authors = parse_feed(rss2(item), "synthetic").papers[0].authors
    assert authors == (Author("Ada Lovelace (Analytical Engine"), Author("Charles Babbage"))


# --- no character of a title or abstract is lost ---------------------------------


def test_every_title_and_abstract_equals_the_text_in_the_xml(quant_ph):
    raw_items = list(etree.parse(str(QUANT_PH)).iter("item"))
    assert len(raw_items) == len(quant_ph.papers)
    for item, paper in zip(raw_items, quant_ph.papers):
        prefix, abstract = item.findtext("description").split("\nAbstract: ", 1)
        assert prefix == f"arXiv:{paper.arxiv_id}v{paper.version} Announce Type: {paper.announce_type} "
        assert paper.abstract == joined(abstract)
        assert paper.title == joined(item.findtext("title"))


def test_escaped_angle_brackets_come_out_as_characters(quant_ph):
    raw = QUANT_PH.read_bytes()
    texts = [p.title + p.abstract for p in quant_ph.papers]
    # `<` cannot appear unescaped in XML text: each one in the output is a `&lt;` in the file.
    assert sum(text.count("<") for text in texts) == raw.count(b"&lt;") == 1
    papers = by_id(quant_ph)
    assert r"narrower range $[- \delta, \delta]$ ($0< \delta \ll 1$). For this" in papers["2504.18135"].abstract
    assert "reaching |S| > 2 up to 13 qubits" in papers["2504.18429"].abstract


def xml_escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def test_tex_with_angle_brackets_that_an_html_sanitizer_would_eat():
    # feedparser reads this description as HTML and gives "$x<b>c$"; every character stays here.
    abstract = "We show $x<y$ and $a<b>c$ & more; &lt;kept&gt; and S\\o ren."
    title = "On $a<b>c$ &   friends"
    item = rss2_item("2504.00001v1", xml_escaped(abstract), xml_escaped(title))
    paper = parse_feed(rss2(item), "synthetic").papers[0]
    assert paper.abstract == abstract
    assert paper.title == "On $a<b>c$ & friends"


def test_hard_wraps_are_joined_and_other_characters_kept():
    abstract = "First line\n   second\tline,\u00a0a no-break space and a\u2009thin one.  "
    paper = parse_feed(rss2(rss2_item("2504.00001v1", abstract)), "synthetic").papers[0]
    assert paper.abstract == "First line second line,\u00a0a no-break space and a\u2009thin one."


# --- items without an id, duplicate ids, dates ----------------------------------


def test_items_without_an_id_are_skipped_and_the_first_of_a_duplicate_is_kept():
    no_id = rss2_item("x", guid=False).replace("arXiv:x Announce Type: new \nAbstract: ", "")
    items = [
        rss2_item("2504.00001v1", title="First"),
        no_id,
        rss2_item("2504.00001v2", title="Second copy"),
        rss2_item("hep-th/9901001v3", title="Old style"),
    ]
    feed = parse_feed(rss2("".join(items)), "synthetic")
    assert [(p.arxiv_id, p.version, p.title) for p in feed.papers] == [
        ("2504.00001", 1, "First"),
        ("hep-th/9901001", 3, "Old style"),
    ]
    assert feed.warnings == (
        'synthetic: item 2 skipped: it has no arXiv id (title "A title")',
        "synthetic: item 3 skipped: it repeats 2504.00001 of item 1, which is kept",
    )


def test_the_description_prefix_gives_the_id_when_the_guid_is_missing():
    feed = parse_feed(rss2(rss2_item("math.GT/0309136v2", guid=False)), "synthetic")
    assert (feed.papers[0].arxiv_id, feed.papers[0].version) == ("math.GT/0309136", 2)


def test_an_item_without_a_date_takes_the_channels():
    item = rss2_item("2504.00001v1").replace(
        "<pubDate>Mon, 28 Apr 2025 00:00:00 -0400</pubDate>", "<pubDate>someday</pubDate>"
    )
    assert parse_feed(rss2(item), "synthetic").papers[0].announced == datetime(
        2025, 4, 28, tzinfo=NEW_YORK_EDT
    )


def test_a_feed_whose_items_all_lack_ids_is_an_error():
    no_id = rss2_item("x", guid=False).replace("arXiv:x Announce Type: new \nAbstract: ", "")
    with pytest.raises(FeedError, match="none of its 2 items has an arXiv id"):
        parse_feed(rss2(no_id + no_id), "https://rss.arxiv.org/rss/quant-ph")


# --- empty days and arXiv's error answers ---------------------------------------


def test_the_empty_holiday_feed_is_a_feed_without_papers():
    feed = parse(EMPTY_PHYSICS)
    assert feed == SourceFeed(
        title="physics updates on arXiv.org",
        announced=datetime(2025, 12, 31, tzinfo=NEW_YORK_EST),
        papers=(),
    )


def test_arxivs_error_channel_is_a_feed_error_naming_source_and_title():
    body = rss2("", title="Feed error for query: quant-phh")
    with pytest.raises(FeedError) as caught:
        parse_feed(body, "https://rss.arxiv.org/rss/quant-phh")
    message = str(caught.value)
    assert message == (
        'https://rss.arxiv.org/rss/quant-phh: arXiv answered with an error: '
        '"Feed error for query: quant-phh"'
    )


def test_api_error_entry_is_a_feed_error():
    with pytest.raises(FeedError) as caught:
        parse(API_ERROR)
    assert str(caught.value) == (
        f'{API_ERROR}: the arXiv API answered with an error: "incorrect id format for abc"'
    )


def test_api_zero_results_is_an_empty_feed():
    feed = parse(API_ZERO)
    assert feed.papers == ()
    assert feed.announced == datetime(2026, 4, 12, 22, 9, 26, tzinfo=timezone.utc)


# --- legacy RSS 1.0/RDF -----------------------------------------------------------


def test_legacy_rdf_feed():
    feed = parse(LEGACY_HEP_EX)
    announced = datetime(2018, 5, 23, 20, 30, tzinfo=NEW_YORK_EST)
    assert feed.title == "hep-ex updates on arXiv.org"
    assert feed.announced == announced
    assert [(p.arxiv_id, p.version, p.announce_type, p.categories) for p in feed.papers] == [
        ("1805.08875", 1, "new", ("hep-ex",)),
        ("1805.09166", 1, "cross", ("hep-ex",)),
        ("1805.06430", 2, "replace", ("nucl-th",)),
    ]
    first, second, third = feed.papers
    assert first.title == (
        r"Measurement of Transverse Single Spin Asymmetries in $\pi^0$ Production from "
        r"$p^{\uparrow}+p$ and $p^{\uparrow}+A$ Collisions at STAR"
    )
    assert second.title == "Recent Top quark results from the Tevatron"
    assert third.title == "New Perspective on Hybrid Mesons"
    assert r"a forward psuedorapidity range of $2.6<\eta<4$. Within this" in first.abstract
    assert first.abstract.startswith("In 2015 the first collisions between polarized protons")
    assert first.abstract.endswith("to those in $p+A$ production.")
    assert second.abstract == "We present recent measurements"
    assert first.authors == (Author("Christopher Dilks", ("STAR Collaboration",)),)
    assert [a.name for a in third.authors] == [
        "Shu-Sheng Xu", "Zhu-Fang Cui", "Lei Chang", "Joannis Papavassiliou",
        "Craig D. Roberts", "Hong-Shi Zong",
    ]
    assert all(p.announced == announced for p in feed.papers)
    assert all(p.doi is p.journal_ref is p.license is None for p in feed.papers)


# --- Atom: the arXiv API and the RSS service's Atom --------------------------------


def test_api_atom_search_results():
    feed = parse(API_SEARCH)
    assert len(feed.papers) == 100
    assert {p.announce_type for p in feed.papers} == {"new"}
    first = feed.papers[0]
    assert (first.arxiv_id, first.version) == ("2202.12139", 1)
    assert first.title == (
        "Testing Deep Learning Models: A First Comparative Study of Multiple Testing Techniques"
    )
    assert first.authors == (
        Author("Mohit Kumar Ahuja"), Author("Arnaud Gotlieb"), Author("Helge Spieker"),
    )
    assert first.categories == ("cs.SE", "cs.LG")
    assert first.doi == "10.1109/ICSTW55395.2022.00035"
    assert first.announced == datetime(2022, 2, 24, 15, 5, 19, tzinfo=timezone.utc)
    assert first.abstract.startswith("Deep Learning (DL) has revolutionized")
    papers = by_id(feed)
    assert (papers["cs/0503050"].version, papers["hep-ph/0301050"].version) == (1, 2)
    assert papers["0804.0970"].authors == (
        Author("Marie-Claude Gaudel", ("LRI",)), Author("Pascale Le Gall", ("IBISC",)),
    )
    assert papers["2405.13786"].authors[0] == Author("Aurora Ramírez")
    assert papers["2005.14124"].categories == ("cs.SE", "cs.CR", "cs.LG")
    # A paragraph break in the API's abstract is joined like any hard wrap.
    assert "action arrows. The number of independent paths" in papers["cs/0503050"].abstract


def test_api_atom_titles_and_summaries_equal_the_xml_text():
    atom = "{http://www.w3.org/2005/Atom}"
    entries = list(etree.parse(str(API_SEARCH)).iter(f"{atom}entry"))
    for entry, paper in zip(entries, parse(API_SEARCH).papers):
        assert paper.title == joined(entry.findtext(f"{atom}title"))
        assert paper.abstract == joined(entry.findtext(f"{atom}summary"))


def test_api_atom_comments_journal_refs_and_dois():
    papers = by_id(parse(API_SEARCH))
    first = papers["2202.12139"]
    assert first.comment == "Artificial Intelligence in Software Testing 2022 workshop @ ICST 2022"
    assert first.journal_ref.startswith("Artificial Intelligence in Software Testing @ 2022 IEEE")
    with_comment = [p for p in papers.values() if p.comment is not None]
    assert len(with_comment) == 97
    # An ampersand escaped in the XML is a character of the comment.
    assert 'Transactions on Information Forensics & Security' in " ".join(
        p.comment for p in with_comment
    )
    assert sum(p.doi is not None for p in papers.values()) == 32


def test_api_atom_doi_from_the_doi_link_when_there_is_no_arxiv_doi():
    data = API_SEARCH.read_bytes()
    without = re.sub(rb"<arxiv:doi>[^<]*</arxiv:doi>", b"", data)
    assert b"<arxiv:doi>" not in without
    assert [p.doi for p in parse_feed(without, "api").papers] == [p.doi for p in parse(API_SEARCH).papers]


def test_rss_papers_have_no_comment(quant_ph):
    assert {p.comment for p in quant_ph.papers} == {None}


def test_html_url_is_per_version(quant_ph):
    paper = by_id(quant_ph)["2312.01259"]
    assert paper.links.html == "https://arxiv.org/html/2312.01259v3"


def test_code_url_from_a_real_comment():
    papers = by_id(parse(API_SEARCH))
    assert papers["1706.00679"].links.code == "https://github.com/ydecastro/super-resolution-testing"
    # Conference pages, DOIs and typos in comments are not code.
    assert [p.arxiv_id for p in papers.values() if p.links.code] == ["1706.00679"]


@pytest.mark.parametrize(
    "comment, code",
    [
        ("Code: https://example.org/tool.", "https://example.org/tool"),
        ("12 pages. Our code is available at https://zenodo.org/records/1", "https://zenodo.org/records/1"),
        ("Accepted at ICML (https://github.com/a/b)", "https://github.com/a/b"),
        ("Models: huggingface.co/org/model; data on request", "https://huggingface.co/org/model"),
        ("see https://gitlab.com/a/b_(c), thanks", "https://gitlab.com/a/b_(c)"),
        ("Implementation at https://www.example.org/x?y=1&z=2", "https://www.example.org/x?y=1&z=2"),
        ("Project page https://example.org/p, code at https://example.org/c", "https://example.org/c"),
        ("Venue site https://icst2021.icmc.usp.br/x, 8 pages", None),
        ("https://doi.org/10.1145/3106237.3106277, ESEC/FSE 2017", None),
        ("10 pages, 3 figures", None),
        ("", None),
    ],
)
def test_code_link(comment, code):
    assert code_link(comment) == code


RSS_SERVICE_ATOM = """<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/"
      xmlns="http://www.w3.org/2005/Atom" xml:lang="en-us">
  <id>http://rss.arxiv.org/atom/cs.AI</id>
  <title>cs.AI updates on arXiv.org</title>
  <updated>2025-08-20T04:00:19.866337+00:00</updated>
  <link href="http://rss.arxiv.org/atom/cs.AI" rel="self" type="application/atom+xml"/>
  <entry>
    <id>oai:arXiv.org:2508.00001v2</id>
    <title>Bounds for $x&lt;y$ and $a&lt;b&gt;c$</title>
    <updated>2025-08-20T04:00:19.899254+00:00</updated>
    <summary>arXiv:2508.00001v2 Announce Type: replace-cross 
Abstract: We prove $x&lt;y$ and $a&lt;b&gt;c$
  for all inputs.</summary>
    <category term="cs.LG"/>
    <category term="cs.AI"/>
    <published>2025-08-20T00:00:00-04:00</published>
    <arxiv:announce_type>replace-cross</arxiv:announce_type>
    <dc:rights>http://creativecommons.org/licenses/by/4.0/</dc:rights>
    <arxiv:DOI>10.1000/example</arxiv:DOI>
    <arxiv:journal_reference>J. Ex. 1 (2025)</arxiv:journal_reference>
    <dc:creator>Ren\\'e Descartes (Universit\\'e de Paris, Sorbonne), Blaise Pascal</dc:creator>
  </entry>
  <entry>
    <id>oai:arXiv.org:2508.00002v1</id>
    <title type="html">Markup &lt;i&gt;in&lt;/i&gt; a title: a &amp;lt; b &amp;amp;lt; c</title>
    <summary>arXiv:2508.00002v1 Announce Type: new 
Abstract: Plain.</summary>
    <category term="cs.AI"/>
    <published>2025-08-20T00:00:00-04:00</published>
    <author><name>Ada Lovelace</name></author>
    <author><name>Charles Babbage</name></author>
  </entry>
</feed>
"""


def test_rss_service_atom_feed():
    feed = parse_feed(RSS_SERVICE_ATOM.encode(), "https://rss.arxiv.org/atom/cs.AI")
    assert feed.title == "cs.AI updates on arXiv.org"
    assert feed.announced == datetime(2025, 8, 20, 4, 0, 19, 866337, tzinfo=timezone.utc)
    first, second = feed.papers
    assert (first.arxiv_id, first.version, first.announce_type) == ("2508.00001", 2, "replace-cross")
    assert first.title == "Bounds for $x<y$ and $a<b>c$"
    assert first.abstract == "We prove $x<y$ and $a<b>c$ for all inputs."
    assert first.categories == ("cs.LG", "cs.AI")
    assert first.authors == (
        Author("René Descartes", ("Université de Paris, Sorbonne",)), Author("Blaise Pascal"),
    )
    assert first.announced == datetime(2025, 8, 20, tzinfo=NEW_YORK_EDT)
    assert (first.doi, first.journal_ref) == ("10.1000/example", "J. Ex. 1 (2025)")
    assert first.license == "http://creativecommons.org/licenses/by/4.0/"
    assert second.title == "Markup in a title: a < b &lt; c"
    assert second.announce_type == "new"
    assert second.authors == (Author("Ada Lovelace"), Author("Charles Babbage"))


def test_atom_is_read_by_namespace_not_by_prefix():
    renamed = (
        RSS_SERVICE_ATOM
        .replace('xmlns="http://www.w3.org/2005/Atom"', 'xmlns:a="http://www.w3.org/2005/Atom"')
        .replace("xmlns:arxiv=", "xmlns:ax=").replace("arxiv:", "ax:")
        .replace("xmlns:dc=", "xmlns:d=").replace("dc:", "d:")
    )
    atom_elements = "feed|id|title|updated|link|entry|summary|category|published|author|name"
    renamed = re.sub(rf"<(/?)(?=(?:{atom_elements})\b)", r"<\1a:", renamed)
    assert "<a:feed" in renamed and "<ax:DOI>" in renamed and "<d:creator>" in renamed
    original = parse_feed(RSS_SERVICE_ATOM.encode(), "original")
    assert parse_feed(renamed.encode(), "renamed") == original
    assert len(original.papers) == 2


def test_atom_error_feed_from_the_rss_service():
    body = RSS_SERVICE_ATOM.replace("cs.AI updates on arXiv.org", "Feed error for query: cs.XX")
    with pytest.raises(FeedError, match=r'^src: arXiv answered with an error: "Feed error for query: cs.XX"$'):
        parse_feed(body.encode(), "src")


# --- anything else is a FeedError -------------------------------------------------


NOT_ARXIV_RSS = b"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>A blog</title><link>https://blog.example.org/</link>
<description>d</description><item><title>Hello</title><guid>https://blog.example.org/1</guid>
<description>Hi</description></item></channel></rss>"""


@pytest.mark.parametrize(
    "body, problem",
    [
        (b"", "the document is empty"),
        (b"  \n ", "the document is empty"),
        (b"<!DOCTYPE html>\n<html><head><title>Oops</title></head><body>x</body></html>",
         "an HTML page, not a feed"),
        (b"\xef\xbb\xbf<html lang=en><body><p>Rate limited<br></body></html>", "an HTML page, not a feed"),
        (b"HTTP 503 Service Unavailable", "not well-formed XML"),
        (QUANT_PH.read_bytes()[:5000], "not well-formed XML"),
        (NOT_ARXIV_RSS, "not an arXiv feed: its links are not on arxiv.org"),
        (NOT_ARXIV_RSS.replace(b"<item>", b"<x>").replace(b"</item>", b"</x>"),
         "not an arXiv feed: its links are not on arxiv.org"),
        (b'<rss version="2.0"/>', "not an arXiv feed: RSS without a <channel>"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not a feed: the root element is"),
        (b'<feed xmlns="http://www.w3.org/2005/Atom"><id>urn:x</id><title>t</title></feed>',
         "not an arXiv feed: its links are not on arxiv.org"),
    ],
)
def test_what_is_not_an_arxiv_feed_is_a_one_line_feed_error(body, problem):
    with pytest.raises(FeedError) as caught:
        parse_feed(body, "https://rss.arxiv.org/rss/quant-ph")
    message = str(caught.value)
    assert message.startswith(f"https://rss.arxiv.org/rss/quant-ph: {problem}")
    assert "\n" not in message


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
  <!ENTITY a "lol">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
  <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
  <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
  <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
  <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
  <!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">
  <!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">
]>
<rss version="2.0"><channel><title>&i;</title><link>http://rss.arxiv.org/rss/x</link></channel></rss>"""


def test_billion_laughs_is_refused_without_expanding():
    with pytest.raises(FeedError) as caught:
        parse_feed(BILLION_LAUGHS, "hostile.xml")
    assert "lol" not in str(caught.value)


def test_external_entities_are_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    item = rss2_item("2504.00001v1", abstract="&xxe;", title="&xxe;")
    body = rss2(item).replace(
        b"<rss ", f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>\n<rss '.encode(), 1
    )
    parameter_entity = body.replace(b"[<!ENTITY xxe", b"[<!ENTITY % xxe").replace(b'">]>', b'"> %xxe;]>')
    assert b"%xxe;]>" in parameter_entity
    for document in (body, parameter_entity):
        with pytest.raises(FeedError) as caught:
            parse_feed(document, "hostile.xml")
        assert str(caught.value) == (
            "hostile.xml: refused: the document has a DOCTYPE, which arXiv feeds never have"
        )


# --- property: FeedError is the only exception -------------------------------------


ALL_FIXTURES = sorted(FIXTURES.glob("*.xml"))
FIXTURE_BYTES = [path.read_bytes() for path in ALL_FIXTURES]


def parses_or_feed_error(data: bytes) -> None:
    try:
        feed = parse_feed(data, "fuzz")
    except FeedError as error:
        assert "\n" not in str(error) and str(error).startswith("fuzz: ")
    else:
        assert isinstance(feed, SourceFeed)
        for paper in feed.papers:
            assert paper.announced.tzinfo is not None
        for warning in feed.warnings:
            assert "\n" not in warning and warning.startswith("fuzz: ")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_give_a_feed_or_a_feed_error(data):
    parses_or_feed_error(data)


@st.composite
def mutated_fixtures(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(FIXTURE_BYTES)))
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["insert", "delete", "replace", "truncate"]))
        if action == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=20) | st.sampled_from(
                [b"<", b"&", b"(", b")", b"\\", b"</item>", b"<item>", b"]]>", b"<![CDATA[",
                 b"\\\"{", b"&#0;", b"\xff\xfe", b"<!DOCTYPE x>"]))
        elif action == "delete":
            del data[position:position + draw(st.integers(1, 200))]
        elif action == "replace" and position < len(data):
            data[position] = draw(st.integers(0, 255))
        elif action == "truncate":
            del data[position:]
    return bytes(data)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_fixtures())
def test_mutated_fixtures_give_a_feed_or_a_feed_error(data):
    parses_or_feed_error(data)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_in_a_field_gives_a_feed_or_a_feed_error(text):
    escaped = xml_escaped(text)
    item = rss2_item("2504.00001v1", abstract=escaped, title=escaped).replace(
        "Ada Lovelace", escaped
    )
    try:
        data = rss2(item)
    except UnicodeEncodeError:  # lone surrogates cannot be sent at all
        return
    parses_or_feed_error(data)
