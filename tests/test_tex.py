"""TeX in arXiv's text: accents and escapes outside math read as letters wherever the
text is shown or translated; math typeset as MathML with its TeX annotation, or left as
TeX where the converter cannot make it whole."""

from __future__ import annotations

import json
import re
from pathlib import Path

import lxml.html
import pytest
from lxml import etree

from feedbridge.render.math import mathml
from feedbridge.sources.arxiv_api import parse_answer
from feedbridge.sources.arxiv_rss import parse_feed
from feedbridge.tex import letters, math_pieces
from feedbridge.translate.engine import prepare
from support.builds import build
from support.checks import ATOM, content_html
from support.config import write_config
from support.paths import API_SEARCH, LEGACY_HEP_EX, QUANT_PH

# A TeX accent or letter command, as the fixtures' authors write them.
ACCENT = re.compile(r"\\[\"'`^~=.]|\\[cvuHkrdb](?![A-Za-z])|\\(?:o|O|ss|aa|AA|ae|l|L)(?![A-Za-z])")


def fixture_papers():
    return [*parse_feed(QUANT_PH.read_bytes(), "q").papers, *parse_feed(LEGACY_HEP_EX.read_bytes(), "h").papers,
            *parse_answer(API_SEARCH.read_bytes(), "a").papers]


def texts():
    return [text for paper in fixture_papers() for text in (paper.title, paper.abstract)]


@pytest.mark.parametrize("tex, shown", [
    ('Schr\\"odinger', "Schrödinger"), ("Cram\\'er-Rao", "Cramér-Rao"), ("M{\\o}ller", "Møller"),
    ('na\\"ively', "naïvely"), ('{\\"o}', "ö"), ("\\c{c}a", "ça"), ("\\v s", "š"), ("Stra\\ss e", "Straße"),
    ("R\\&D at 5\\%", "R&D at 5%"), ("$\\\"a + \\'e$ kept", "$\\\"a + \\'e$ kept"), ("\\emph{x} {y}", "\\emph{x} y"),
])
def test_accents_and_escapes_outside_math_are_letters(tex, shown):
    assert letters(tex) == shown


def test_every_accent_in_the_fixtures_titles_and_abstracts_comes_out_a_letter():
    found = 0
    for text in texts():
        outside = [piece for is_math, piece in math_pieces(text) if not is_math]
        found += sum(len(ACCENT.findall(piece)) for piece in outside)
        shown = [piece for is_math, piece in math_pieces(letters(text)) if not is_math]
        assert not any(ACCENT.search(piece) for piece in shown), text
    assert found == 11  # Cramér ×4, Rényi, Schrödinger ×4, naïvely, Møller (quant-ph, 2025-04-28)


def test_the_model_is_given_letters_and_math_as_it_was(installed_model):
    from feedbridge.config import DEFAULT_MODEL
    from feedbridge.translate.backend import MODEL_KINDS

    backend = MODEL_KINDS[DEFAULT_MODEL].installed("en", "ja")
    papers = [p for p in fixture_papers() if "Schr\\\"odinger" in p.abstract]
    job = prepare(papers, backend, "en", "ja")
    sentences = [s for title, abstract in job.segments.values() for s in (*title, *abstract)]
    assert any("Schrödinger" in s for s in sentences)
    assert not any('\\"o' in piece for s in sentences for is_math, piece in math_pieces(s) if not is_math)


def test_a_span_the_converter_cannot_make_whole_stays_tex():
    assert mathml("$\\foo{x}$") is None  # an unknown command would be drawn as "\foo"
    assert mathml("$x^{$") is None
    # latex2mathml passes \text{…} through unescaped: markup in it is refused, never embedded
    assert mathml("$\\text{<script>alert(1)</script>}$") is None
    assert mathml("$\\text{<b>x</b>}$") is None
    assert mathml("$\\text{a<b}$") is None
    element = mathml("$\\pi^0$")
    assert element.tag == "math" and element.get("display") == "inline"
    assert element.findtext("semantics/annotation") == "$\\pi^0$"
    assert element.find("semantics/annotation").get("encoding") == "application/x-tex"


@pytest.fixture(scope="module")
def built(tmp_path_factory, tiny_argosmodel) -> Path:
    from support.builds import tiny_model_installed

    folder = tmp_path_factory.mktemp("tex")
    saved = folder / "saved"
    saved.mkdir()
    (saved / "quant-ph.xml").write_bytes(QUANT_PH.read_bytes())
    with tiny_model_installed(folder, tiny_argosmodel):
        config = write_config(folder, feeds=["quant-ph"])
        assert build("--config", config, "--from-dir", saved, "--offline").exit_code == 0
    return folder / "out"


def test_every_span_the_converter_handles_is_mathml_with_its_tex_in_the_feed_and_page(built):
    published = json.loads((built / "archive/quant-ph.ja.json").read_bytes())["entries"]
    spans = {piece for entry in published for text in (entry["paper"]["title"], entry["paper"]["abstract"])
             for is_math, piece in math_pieces(letters(text)) if is_math}
    handled = {span for span in spans if mathml(span) is not None}
    assert len(handled) >= 0.8 * len(spans) > 20
    feed = etree.parse(str(built / "quant-ph.ja.xml")).getroot()
    in_feed = [content_html(entry.find(f"{ATOM}content")) for entry in feed.iter(f"{ATOM}entry")]
    page = lxml.html.fromstring((built / "quant-ph.ja.html").read_bytes())
    for document in (*in_feed, page):
        for annotation in document.iter("annotation"):
            assert annotation.get("encoding") == "application/x-tex"
            assert annotation.getparent().tag == "semantics" and annotation.getparent().getparent().tag == "math"
    feed_tex = {a.text for html in in_feed for a in html.iter("annotation")}
    page_tex = {a.text for a in page.iter("annotation")}
    assert handled <= feed_tex and handled <= page_tex
    text = " ".join(html.text_content() for html in in_feed)
    for span in spans - handled:  # left as TeX text, never dropped
        assert span in text, span
    assert "Schrödinger" in page.text_content() and 'Schr\\"odinger' not in page.text_content()
