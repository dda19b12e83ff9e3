"""Compare pure-Python TeX-to-MathML converters on every math span of the arXiv fixtures.

The spans are those feedbridge protects from translation (the pattern of
feedbridge/translate/protect.py: ``$…$``, ``$$…$$``, ``\\(…\\)``, ``\\[…\\]``,
``\\begin{env}…\\end{env}``) in the titles and abstracts of tests/fixtures/arxiv/*.xml, read
with feedbridge's own parsers (``arxiv_rss.parse_feed``; ``arxiv_api.parse_answer`` for the
API's answers). Each distinct span is converted once by each converter, its delimiters off
(``$$``, ``\\[`` and environments as ``display="block"``, the others ``"inline"``), and counts
as handled when the result

1. came back without an exception,
2. parses as XML,
3. holds only MathML elements (no markup of the input passed through, as ``\\text{<b>}`` can),
4. has no ``<merror>``,
5. leaves no TeX command as a token (latex2mathml writes an unknown ``\\foo`` as ``<mi>\\foo</mi>``),
6. shows every letter and digit of the input (compared after NFKC, so that ``\\mathbb{R}``
   written as ℝ counts) in the same order (a converter that reorders ``p+A`` into ``A+p`` has
   rewritten the formula), and
7. shows the symbol of each TeX command the input uses, as pylatexenc's latex2text table
   renders it (``\\alpha`` α, ``\\le`` ≤, ``\\log`` log), or as ``_SYMBOLS`` below for the few
   it lacks.

The candidates: latex2mathml; pylatexenc, which parses TeX into nodes but writes no MathML,
with the small writer below (``_PylatexencWriter``: symbols and Greek from latex2text's
table, sub- and superscripts, fractions, roots, accents, ``\\mathrm``-style alphabets,
``\\text``); and SymPy's LaTeX parser (its Lark grammar) with SymPy's presentation-MathML
printer. A candidate that is not installed is listed as such. docs/math.md has the results
and the choice.

    python tools/math_converters.py              the table (Markdown)
    python tools/math_converters.py --details    and, per converter, every span it fails
    python tools/math_converters.py --probes     and each converter on PROBES, constructs
                                                 common in arXiv abstracts that the fixtures lack
    python tools/math_converters.py --no-timing  no time column: the same bytes on every run

Every column but the time is the same on every run; the time is the fastest of
``--rounds`` passes over the distinct spans, divided by their number.

The check (rule 7) needs pylatexenc; the candidates beyond latex2mathml are not feedbridge's
dependencies: ``pip install pylatexenc==2.11 lark==1.3.1`` (SymPy comes with PyTorch).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache
from importlib import metadata
from pathlib import Path

from lxml import etree

from feedbridge.errors import FeedbridgeError
from feedbridge.sources.arxiv_api import parse_answer
from feedbridge.sources.arxiv_rss import parse_feed

try:  # the pattern translate/protect.py protects math with; in feedbridge/tex.py since math is typeset
    from feedbridge.tex import MATH
except ImportError:
    from feedbridge.translate.protect import _MATH as MATH

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "arxiv"
# The fixtures' dates are checked against a clock: a fixed one, so every run reads the same.
NOW = datetime(2030, 1, 1, tzinfo=timezone.utc)
MATHML = "http://www.w3.org/1998/Math/MathML"
_ELEMENTS = frozenset(
    "math semantics annotation annotation-xml mrow mi mn mo mtext ms mspace mglyph msub msup msubsup"
    " munder mover munderover mmultiscripts mprescripts none mfrac msqrt mroot mstyle merror mpadded"
    " mphantom mfenced menclose mtable mtr mtd mlabeledtr maligngroup malignmark maction".split()
)
_TOKENS = frozenset(f"{{{MATHML}}}{name}" for name in ("mi", "mn", "mo", "mtext", "ms"))
# A TeX command: a backslash and letters (ASCII only, as TeX reads them: \mathbfθ is
# \mathbf and θ), or a backslash and one other character.
_COMMAND = re.compile(r"\\([A-Za-z]+|.)", re.S)
_ENVIRONMENT_MARK = re.compile(r"\\(?:begin|end)\{[^}]*\}")
# Symbols of commands latex2text's table leaves out, or renders as a lambda.
_SYMBOLS = {"colon": ":", "|": "‖", "%": "%", "&": "&", "#": "#", "$": "$", "_": "_"}
# Signs a converter may write with another character that shows the same: latex2text writes
# \sim as U+223C and \hbar as U+0127 (ħ, a Latin letter); latex2mathml writes U+007E (~) and
# U+210F (ℏ, the Planck constant).
_SAME_SIGN = {"∼": "~", "ħ": "ℏ"}
# Constructs common in arXiv abstracts that the fixtures lack (--probes): not counted in the
# table, shown to tell the product which spans to expect back as TeX.
PROBES = (
    r"$a^\dagger$", r"$\langle\psi|\phi\rangle$", r"$\ket{\psi}$", r"$\bra{0}$", r"$\hat{H}$",
    r"$\overline{x}$", r"$\sqrt[3]{x}$", r"$\binom{n}{k}$", r"$\mathscr{L}$", r"$\mathfrak{g}$",
    r"$\bm{x}$", r"$\boldsymbol{\mu}$", r"$\mathds{1}$", r"${\rm GeV}$", r"$\cal O(1)$", r"$\lesssim 5$",
    r"$\operatorname{Tr}\rho$", r"$\xrightarrow{f}$", r"$\stackrel{?}{=}$", r"${}^{3}\mathrm{He}$",
    r"$\left.\frac{df}{dx}\right|_{x=0}$", r"$\SI{5}{\kelvin}$", r"$\textsc{Sat}$", r"$\AA$",
    r"\begin{equation}E=mc^2\end{equation}", r"$$\sum_{i=1}^n x_i$$",
    r"\begin{pmatrix}a & b\\ c & d\end{pmatrix}", r"$x & y$", r"$a \& b$", r"$\text{a<b}$",
    r"$\text{<b>x</b>}$", r"$\text{<script>alert(1)</script>}$",
)


@dataclass(frozen=True)
class Span:
    text: str  # as it stands in the title or abstract, delimiters included
    occurrences: int


@dataclass(frozen=True)
class Outcome:
    failure: str | None  # the kind of failure, None when handled
    detail: str = ""


@dataclass(frozen=True)
class Converter:
    name: str
    convert: Callable[[str, str], str] | None  # (tex, display) -> MathML; None: not installed
    missing: str = ""


# --- the spans --------------------------------------------------------------------------


def fixture_spans(folder: Path = FIXTURES) -> tuple[list[Span], list[str]]:
    """Every distinct math span of the fixtures' titles and abstracts, in the order they first
    appear (files by name), with how often each occurs; and a line per file read."""
    pattern = re.compile(MATH, re.S)
    counts: Counter[str] = Counter()
    notes = []
    for path in sorted(folder.glob("*.xml")):
        data = path.read_bytes()
        try:
            if path.name.startswith("arxiv_api_"):
                feed = parse_answer(data, path.name)
            else:
                feed = parse_feed(data, path.name, now=NOW)
        except FeedbridgeError:
            notes.append(f"`{path.name}`: refused by the parser (an error answer), no spans")
            continue
        found = [m.group(0) for p in feed.papers for text in (p.title, p.abstract) for m in pattern.finditer(text)]
        counts.update(found)
        notes.append(f"`{path.name}`: {len(feed.papers)} papers, {len(found)} spans")
    return [Span(text, n) for text, n in counts.items()], notes


_DELIMITERS = (("$$", "$$", "block"), ("\\[", "\\]", "block"), ("$", "$", "inline"), ("\\(", "\\)", "inline"))


def tex_and_display(span: str) -> tuple[str, str]:
    """The span's TeX without its delimiters, and whether it is displayed ("block") or not."""
    if span.startswith("\\begin"):
        return span, "block"
    for start, end, display in _DELIMITERS:
        if span.startswith(start) and span.endswith(end) and len(span) >= len(start) + len(end):
            return span[len(start) : len(span) - len(end)].strip(), display
    raise ValueError(f"not a math span: {span!r}")


# --- the check ----------------------------------------------------------------------------


def judge(tex: str, made: str) -> Outcome:
    """Whether ``made`` is whole MathML for ``tex`` (the module docstring's rules 2 to 7)."""
    try:
        root = etree.fromstring(made.encode())
    except etree.XMLSyntaxError as error:
        return Outcome("not well-formed XML", str(error).split(",")[0])
    foreign = sorted({_local(e.tag) for e in root.iter() if isinstance(e.tag, str) and not _is_mathml(e.tag)})
    if foreign:
        return Outcome("markup passed through", ", ".join(foreign))
    if root.find(f".//{{{MATHML}}}merror") is not None:
        return Outcome("merror", "".join(root.find(f".//{{{MATHML}}}merror").itertext()))
    tokens = [e.text or "" for e in root.iter() if e.tag in _TOKENS]
    left = [t for t in tokens if "\\" in t and len(t) > 1]
    if left:
        return Outcome("TeX command left as a token", ", ".join(left))
    shown = _tex_order(root)
    tex = _ENVIRONMENT_MARK.sub(" ", tex)
    wanted = [c for c in unicodedata.normalize("NFKC", _COMMAND.sub(" ", tex)) if c.isalnum()]
    got = [c for c in unicodedata.normalize("NFKC", shown) if c.isalnum()]
    lost = Counter(wanted) - Counter(got)
    if lost:
        return Outcome("letters or digits lost", " ".join(sorted(lost.elements())))
    if not _in_order(wanted, got):
        return Outcome("letters or digits reordered", " ".join(got))
    for symbol, n in sorted(Counter(s for s in map(_symbol, _COMMAND.findall(tex)) if s).items()):
        if shown.count(symbol) + (shown.count(_SAME_SIGN[symbol]) if symbol in _SAME_SIGN else 0) < n:
            return Outcome("command's symbol lost", symbol)
    return Outcome(None)


def _is_mathml(tag: str) -> bool:
    return tag.startswith(f"{{{MATHML}}}") and _local(tag) in _ELEMENTS


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _tex_order(element: etree._Element) -> str:
    """The text of an element in the order TeX writes it: an mroot's index before its base."""
    children = list(element)
    if _local(element.tag) == "mroot":
        children.reverse()
    return (element.text or "") + "".join(_tex_order(child) + (child.tail or "") for child in children)


def _in_order(wanted: list[str], got: list[str]) -> bool:
    rest = iter(got)
    return all(c in rest for c in wanted)


def _symbol(name: str) -> str | None:
    """What a command shows, as latex2text renders it; None for structure (\\frac, \\left)."""
    if name in _SYMBOLS:
        return _SYMBOLS[name]
    spec = _latex2text_db().get_macro_spec(name)
    repl = getattr(spec, "simplify_repl", None)
    if isinstance(repl, str) and "%" not in repl and repl.strip():
        return repl.strip()
    return None


@cache
def _latex2text_db():
    from pylatexenc.latex2text import get_default_latex_context_db

    return get_default_latex_context_db()


# --- the converters ------------------------------------------------------------------------


def converters() -> list[Converter]:
    found = []
    try:
        from latex2mathml.converter import convert as l2m

        found.append(Converter(_named("latex2mathml"), lambda tex, display: l2m(tex, display=display)))
    except ImportError:
        found.append(Converter("latex2mathml", None, "not installed"))
    try:
        found.append(Converter(_named("pylatexenc") + " + own writer", _PylatexencWriter().convert))
    except ImportError:
        found.append(Converter("pylatexenc + own writer", None, "not installed"))
    try:
        from sympy.parsing.latex import parse_latex
        from sympy.printing.mathml import mathml

        metadata.version("lark")

        def sympy_convert(tex: str, display: str) -> str:
            body = mathml(parse_latex(tex, backend="lark"), printer="presentation")
            return f'<math xmlns="{MATHML}" display="{display}">{body}</math>'

        found.append(Converter(_named("sympy") + " (Lark parser)", sympy_convert))
    except (ImportError, metadata.PackageNotFoundError):
        found.append(Converter("sympy (Lark parser)", None, "sympy or lark not installed"))
    return found


def _named(package: str) -> str:
    return f"{package} {metadata.version(package)}"


class _PylatexencWriter:
    """MathML from pylatexenc's node tree: about what a product would have to write itself."""

    _VARIANTS = {"mathrm": "normal", "mathbf": "bold", "mathit": "italic", "mathcal": "script",
                 "mathbb": "double-struck", "mathsf": "sans-serif", "boldsymbol": "bold-italic"}
    _ACCENTS = {"tilde": "~", "hat": "^", "bar": "¯", "vec": "→", "dot": "˙", "widetilde": "~"}
    _TEXT = {"text", "textrm", "mbox", "operatorname"}
    _SIZES = {"left", "right", "bigl", "bigr", "Bigl", "Bigr", "big", "Big", "displaystyle"}

    def __init__(self):
        from pylatexenc import latexwalker
        from pylatexenc.latex2text import LatexNodes2Text
        from pylatexenc.macrospec import MacroSpec

        self._walker = latexwalker
        self._text = LatexNodes2Text()
        self._context = latexwalker.get_default_latex_context_db()
        specs = [MacroSpec(n, "{{") for n in ("tfrac", "dfrac")] + [MacroSpec("operatorname", "{")]
        self._context.add_context_category("math-converters", macros=specs, prepend=True)

    def convert(self, tex: str, display: str) -> str:
        nodes = self._walker.LatexWalker(tex, latex_context=self._context, tolerant_parsing=False).get_latex_nodes()[0]
        math = etree.Element(f"{{{MATHML}}}math", display=display, nsmap={None: MATHML})
        math.append(self._row(nodes))
        return etree.tostring(math, encoding="unicode")

    def _row(self, nodes, variant=None) -> etree._Element:
        atoms = self._scripted(list(self._atoms(nodes, variant)))
        return atoms[0] if len(atoms) == 1 else self._el("mrow", None, *atoms)

    def _atoms(self, nodes, variant):
        w = self._walker
        for node in nodes:
            if node is None or node.isNodeType(w.LatexCommentNode):
                continue
            if node.isNodeType(w.LatexCharsNode):
                for token in re.findall(r"\d+(?:\.\d+)?|\S", node.chars):
                    if token in "^_":
                        yield token
                    else:
                        kind = "mn" if token[0].isdigit() else "mi" if token.isalpha() else "mo"
                        yield self._el(kind, token, variant=variant)
            elif node.isNodeType(w.LatexGroupNode):
                yield self._row(node.nodelist, variant)
            elif node.isNodeType(w.LatexMacroNode):
                yield from self._macro(node, variant)
            else:
                yield self._el("merror", node.latex_verbatim())

    def _macro(self, node, variant):
        name, args = node.macroname, node.nodeargd.argnlist if node.nodeargd else []
        symbol = _symbol(name)
        if name in self._VARIANTS:
            yield self._row(args[-1:], self._VARIANTS[name])
        elif name in self._TEXT:
            yield self._el("mi" if name == "operatorname" else "mtext", self._text.nodelist_to_text(args[-1:]))
        elif name in ("frac", "tfrac", "dfrac"):
            yield self._el("mfrac", None, self._row(args[0:1]), self._row(args[1:2]))
        elif name == "sqrt":
            yield (self._el("mroot", None, self._row(args[1:]), self._row(args[:1])) if args[0]
                   else self._el("msqrt", None, self._row(args[1:])))
        elif name in self._ACCENTS:
            yield self._el("mover", None, self._row(args[-1:], variant), self._el("mo", self._ACCENTS[name]))
        elif name in self._SIZES or name in (",", ";", ":", "!", " ", "quad", "qquad"):
            pass  # \left( is \left and a "(": the delimiter comes next; spacing is left to the reader
        elif symbol is not None:
            yield self._el("mi" if symbol.isalpha() else "mo", symbol, variant=variant if len(symbol) == 1 else None)
        else:
            yield self._el("merror", "\\" + name)

    def _scripted(self, atoms: list) -> list:
        """Fold ``^`` and ``_`` into msub, msup and msubsup with the atom before them."""
        out: list = []
        i = 0
        while i < len(atoms):
            atom = atoms[i]
            if not isinstance(atom, str):
                out.append(atom)
                i += 1
                continue
            following = atoms[i + 1] if i + 1 < len(atoms) else None
            script = following if following is not None and not isinstance(following, str) else self._el("merror", atom)
            if script.tag.endswith("}mn") and len(script.text) > 1:  # x_20 is x_2 then 0
                atoms.insert(i + 2, self._el("mn", script.text[1:]))
                script.text = script.text[0]
            base = out.pop() if out else self._el("mrow")
            tag = "msub" if atom == "_" else "msup"
            if _local(base.tag) in ("msub", "msup") and _local(base.tag) != tag and len(base) == 2:
                sub, sup = (base[1], script) if tag == "msup" else (script, base[1])
                out.append(self._el("msubsup", None, base[0], sub, sup))
            else:
                out.append(self._el(tag, None, base, script))
            i += 2
        return out

    @staticmethod
    def _el(tag, text, *children, variant=None):
        element = etree.Element(f"{{{MATHML}}}{tag}")
        if variant and tag == "mi":
            element.set("mathvariant", variant)
        element.text = text
        element.extend(children)
        return element


# --- the comparison ------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    converter: Converter
    outcomes: dict[str, Outcome]  # span -> outcome
    ms_per_span: float


def run(converter: Converter, spans: list[Span], rounds: int) -> Result:
    inputs = [(span.text, *tex_and_display(span.text)) for span in spans]
    outcomes = {}
    for text, tex, display in inputs:
        try:
            made = converter.convert(tex, display)
        except Exception as error:  # noqa: BLE001 - any exception is a span not handled
            message = str(error).splitlines()[0][:60] if str(error) else ""
            outcomes[text] = Outcome(f"raises {type(error).__name__}", message)
            continue
        outcomes[text] = judge(tex, made)
    best = float("nan")
    for _ in range(rounds):
        start = time.perf_counter()
        for _, tex, display in inputs:
            try:
                converter.convert(tex, display)
            except Exception:  # noqa: BLE001, S112 - timed like the others
                pass
        best = min(best, time.perf_counter() - start) if best == best else time.perf_counter() - start
    return Result(converter, outcomes, 1000 * best / max(len(inputs), 1))


def table(results: list[Result], missing: list[Converter], spans: list[Span], timing: bool) -> str:
    total = sum(span.occurrences for span in spans)
    lines = [
        "| converter | handled / distinct spans | handled occurrences | failures by kind (examples) | ms per span |",
        "|---|---|---|---|---|",
    ]
    for result in results:
        handled = [s for s in spans if result.outcomes[s.text].failure is None]
        kinds: dict[str, list[str]] = {}
        for span in spans:
            failure = result.outcomes[span.text].failure
            if failure is not None:
                kinds.setdefault(failure, []).append(span.text)
        failures = "; ".join(
            f"{kind}: {len(found)} ({', '.join(_code(s) for s in found[:3])}{', …' if len(found) > 3 else ''})"
            for kind, found in sorted(kinds.items(), key=lambda item: (-len(item[1]), item[0]))
        ) or "none"
        ms = f"{result.ms_per_span:.3f}" if timing else "—"
        occurrences = sum(s.occurrences for s in handled)
        lines.append(
            f"| {result.converter.name} | {len(handled)} / {len(spans)} | {occurrences} / {total} | {failures} | {ms} |"
        )
    for converter in missing:
        lines.append(f"| {converter.name} | {converter.missing} | | | |")
    return "\n".join(lines)


def details(result: Result, spans: list[Span]) -> str:
    failed = [s for s in spans if result.outcomes[s.text].failure is not None]
    lines = [f"### {result.converter.name}: the {len(failed)} spans it does not handle", ""]
    for span in failed:
        outcome = result.outcomes[span.text]
        detail = f": {_code(outcome.detail)}" if outcome.detail else ""
        lines.append(f"- {_code(span.text)} ×{span.occurrences} — {outcome.failure}{detail}")
    return "\n".join(lines)


def probes(results: list[Result]) -> str:
    """The verdict of each converter on each of PROBES."""
    lines = [
        "| span | " + " | ".join(r.converter.name for r in results) + " |",
        "|---|" + "---|" * len(results),
    ]
    for probe in PROBES:
        verdicts = []
        for result in results:
            outcome = result.outcomes[probe]
            verdicts.append("handled" if outcome.failure is None else outcome.failure)
        lines.append(f"| {_code(probe)} | " + " | ".join(verdicts) + " |")
    return "\n".join(lines)


def _code(text: str) -> str:
    """Text as a Markdown code span that survives a table cell."""
    text = text.replace("|", "\\|").replace("\n", " ")
    fence = "``" if "`" in text else "`"
    return f"{fence}{text}{fence}" if not text.startswith("`") else f"{fence} {text} {fence}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fixtures", type=Path, default=FIXTURES, help="folder of arXiv feeds (default: the tests')")
    parser.add_argument("--details", action="store_true", help="list every span each converter fails, and why")
    parser.add_argument("--no-timing", action="store_true", help="leave the time column out (byte-stable output)")
    parser.add_argument(
        "--probes", action="store_true", help="and each converter's verdict on PROBES, spans the fixtures lack"
    )
    parser.add_argument("--rounds", type=int, default=5, help="timed passes; the fastest counts (default 5)")
    options = parser.parse_args(argv)

    spans, notes = fixture_spans(options.fixtures)
    candidates = converters()
    available = [c for c in candidates if c.convert is not None]
    missing = [c for c in candidates if c.convert is None]
    results = [run(c, spans, 0 if options.no_timing else options.rounds) for c in available]

    print(f"{len(spans)} distinct math spans, {sum(s.occurrences for s in spans)} occurrences, in:")
    print()
    for note in notes:
        print(f"- {note}")
    print()
    print(table(results, missing, spans, timing=not options.no_timing))
    if options.details:
        for result in results:
            print()
            print(details(result, spans))
    if options.probes:
        probed = [run(c, [Span(p, 1) for p in PROBES], 0) for c in available]
        print()
        print(f"Constructs the fixtures lack ({len(PROBES)} probes, not counted above):")
        print()
        print(probes(probed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
