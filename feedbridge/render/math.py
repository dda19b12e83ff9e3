"""TeX math as MathML, with its TeX beside it, for the feeds' HTML and the pages.

MathML Core is drawn natively by Chromium, Firefox and Safari and by the WebKit readers;
Miniflux's and feedparser's sanitisers keep it. Each math span of a title, a sentence or
an abstract (``tex.math_pieces``) is converted by latex2mathml (docs/math.md says why
this converter) into ``<math display="inline|block"><semantics>…<annotation
encoding="application/x-tex">…</annotation></semantics></math>``: the TeX stays, for
copying and for readers that show annotations. A span the converter refuses, or turns
into something that is not whole MathML (an ``merror``, a TeX command left as a token),
stays TeX text: never a broken formula. Text outside math is shown with TeX's accents
as letters (``tex.letters``).
"""

from __future__ import annotations

import re
from functools import lru_cache

from latex2mathml.converter import convert
from lxml import etree

from feedbridge.render.layout import append_text
from feedbridge.tex import letters, math_pieces

_MATHML = "{http://www.w3.org/1998/Math/MathML}"
# MathML Core's presentation elements: the only ones a converted formula may hold.
_TOKENS = {"mi", "mn", "mo", "mtext", "ms", "mspace"}
_ELEMENTS = _TOKENS | {
    "math", "mrow", "mfrac", "msqrt", "mroot", "mstyle", "merror", "mpadded", "mphantom", "msub", "msup", "msubsup",
    "munder", "mover", "munderover", "mmultiscripts", "mprescripts", "none", "mtable", "mtr", "mtd", "mfenced",
    "menclose", "semantics", "annotation",
}
# The delimiters around a span, and whether it is displayed on a line of its own.
_DELIMITED = re.compile(r"(?s)\$\$(.+)\$\$|\\\[(.+)\\\]|\$(.+)\$|\\\((.+)\\\)")
_ENVIRONMENT = re.compile(r"(?s)\\begin\{([A-Za-z]+)(\*?)\}(.*)\\end\{\1\2\}")
# Environments latex2mathml reads as they are; their math is displayed.
_ENVIRONMENTS = {"equation", "align", "gather", "multline", "eqnarray", "array", "matrix", "pmatrix",
                 "bmatrix", "cases"}


def append_with_math(parent: etree._Element, text: str) -> etree._Element:
    """Append ``text`` to an HTML element: its math typeset, the rest as text with letters."""
    for is_math, piece in math_pieces(text):
        element = mathml(piece) if is_math else None
        if element is None:
            append_text(parent, piece if is_math else letters(piece))
        else:
            parent.append(element)
    return parent


def mathml(span: str) -> etree._Element | None:
    """The span as a MathML element with its TeX annotation; None when it cannot be whole."""
    made = _converted(span)
    return None if made is None else etree.fromstring(made)


@lru_cache(maxsize=4096)
def _converted(span: str) -> bytes | None:
    """The serialized element, converted once per distinct span in a process."""
    found = _DELIMITED.fullmatch(span)
    if found is not None:
        tex = next(group for group in found.groups() if group is not None)
        display = "block" if span.startswith(("$$", "\\[")) else "inline"
    else:
        environment = _ENVIRONMENT.fullmatch(span)
        if environment is None or environment[1] not in _ENVIRONMENTS:
            return None
        tex, display = span, "block"
    try:
        root = etree.fromstring(convert(tex.strip(), display=display))
    except Exception:  # noqa: BLE001 - any failure of the converter leaves the span as TeX
        return None
    if not _whole(root):
        return None
    semantics = etree.Element("semantics")
    row = etree.SubElement(semantics, "mrow")
    for child in root:
        row.append(_plain(child))
    annotation = etree.SubElement(semantics, "annotation", encoding="application/x-tex")
    annotation.text = span
    math = etree.Element("math", display=display)
    math.append(semantics)
    return etree.tostring(math)


def _whole(root: etree._Element) -> bool:
    """MathML and nothing else (latex2mathml passes the text of \\text{…} through
    unescaped, so ``\\text{<script>…}`` would bring a script along), with something in it,
    no error, and no TeX command left over as a token."""
    if any(not isinstance(e.tag, str) or not e.tag.startswith(_MATHML) or e.tag[len(_MATHML):] not in _ELEMENTS
           for e in root.iter()):
        return False
    tokens = [element.text or "" for element in root.iter() if element.tag[len(_MATHML):] in _TOKENS]
    if not tokens or root.find(f".//{_MATHML}merror") is not None:
        return False
    return not any(token.startswith("\\") and len(token) > 1 for token in tokens)


def _plain(element: etree._Element) -> etree._Element:
    """The element without its namespace: HTML puts <math> in MathML's namespace itself."""
    for node in element.iter():
        if isinstance(node.tag, str) and node.tag.startswith(_MATHML):
            node.tag = node.tag[len(_MATHML):]
    return element
