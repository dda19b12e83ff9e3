"""Write feedbridge/render/category_names.py, arXiv's category names, from arXiv's own taxonomy.

arXiv publishes its taxonomy (groups, archives, categories, aliases) in the ``arxiv-base``
package on PyPI, MIT-licensed, as plain dictionaries in ``arxiv/taxonomy/definitions.py``.
This script reads that file straight out of the package's wheel, without installing the
package (it needs Flask, uWSGI and boto3) and without running its code: the dictionaries are
read with ``ast``, their ``date(...)`` calls as ISO dates. It writes the names as data, so
feedbridge never depends on arxiv-base.

    pip download arxiv-base==0.17.8 --no-deps -d /tmp/arxiv-base
    python tools/arxiv_categories.py /tmp/arxiv-base/arxiv_base-0.17.8-py3-none-any.whl
    python tools/arxiv_categories.py --check WHEEL    exit 1 unless the committed table is
                                                     what WHEEL gives

The table holds every category (``cs.AI``, ``hep-ex``, the retired ``chao-dyn``), every
archive (``physics``, ``math``: the codes of feeds that cover a whole archive), and so both
sides of the aliases (``math.IT`` and ``cs.IT``) and the subsumed archives (``cmp-lg`` and
``cs.CL``), each under its own name, as arXiv names it. arXiv's test categories (``test``,
``test.soft``...) are left out. Same wheel, same bytes.
"""

from __future__ import annotations

import argparse
import ast
import datetime
import hashlib
import json
import re
import sys
import zipfile
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path

from feedbridge.atomicfile import write_atomic

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "feedbridge" / "render" / "category_names.py"
COMMAND = "python tools/arxiv_categories.py"
PACKAGE = "arxiv-base"
DEFINITIONS = "arxiv/taxonomy/definitions.py"
TABLES = ("GROUPS", "ARCHIVES", "CATEGORIES", "CATEGORY_ALIASES", "ARCHIVES_SUBSUMED")
CODE = re.compile(r"[a-z]+(-[a-z]+)?(\.[A-Za-z]+(-[a-z]+)?)?")  # hep-ex, cs.AI, cond-mat.mes-hall


class TaxonomyError(Exception):
    """The wheel is not an arxiv-base wheel this script can read, or its taxonomy is inconsistent."""


@dataclass(frozen=True)
class Taxonomy:
    """What one arxiv-base wheel says, and where it came from."""

    version: str
    wheel: str  # the wheel's file name
    sha256: str  # the wheel's
    licence: str  # the wheel's LICENSE, verbatim
    tables: dict[str, dict]  # TABLES, by name


def read_wheel(path: Path) -> Taxonomy:
    """The taxonomy in an arxiv-base wheel: its tables read, none of its code run."""
    data = path.read_bytes()
    with zipfile.ZipFile(path) as wheel:
        names = wheel.namelist()
        metadata = HeaderParser().parsestr(wheel.read(_one(names, r"arxiv_base-[^/]+\.dist-info/METADATA")).decode())
        if metadata["Name"] != PACKAGE or not metadata["Version"]:
            raise TaxonomyError(f"not an {PACKAGE} wheel (Name: {metadata['Name']}, Version: {metadata['Version']})")
        licence = wheel.read(_one(names, r"arxiv_base-[^/]+\.dist-info/LICEN[SC]E(\.txt)?")).decode().strip()
        tables = read_tables(wheel.read(DEFINITIONS).decode())
    return Taxonomy(metadata["Version"], path.name, hashlib.sha256(data).hexdigest(), licence, tables)


def read_tables(source: str) -> dict[str, dict]:
    """TABLES from definitions.py's source: each a literal, ``date(y, m, d)`` read as an ISO date."""
    tables = {}
    try:
        for node in ast.parse(source).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                if node.targets[0].id in TABLES:
                    tables[node.targets[0].id] = ast.literal_eval(_Dates().visit(node.value))
    except (SyntaxError, ValueError, TypeError) as error:  # not a literal, or a date that is none
        raise TaxonomyError(f"{DEFINITIONS}: {error}") from error
    missing = [name for name in TABLES if name not in tables]
    if missing:
        raise TaxonomyError(f"{DEFINITIONS} defines no {', '.join(missing)}")
    return tables


class _Dates(ast.NodeTransformer):
    """``date(1994, 11, 1)`` becomes ``"1994-11-01"``; any other call is refused."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if isinstance(node.func, ast.Name) and node.func.id == "date" and not node.keywords:
            day = datetime.date(*(ast.literal_eval(arg) for arg in node.args))
            return ast.copy_location(ast.Constant(day.isoformat()), node)
        raise TaxonomyError(f"{DEFINITIONS} line {node.lineno}: a call this script does not read")


def category_names(taxonomy: Taxonomy) -> dict[str, str]:
    """Every category's and archive's name by code, sorted by code; arXiv's test ones left out."""
    groups, archives, categories = (taxonomy.tables[name] for name in ("GROUPS", "ARCHIVES", "CATEGORIES"))
    test_archives = {code for code, archive in archives.items()
                     if archive.get("is_test") or groups.get(archive.get("in_group"), {}).get("is_test")}
    names: dict[str, str] = {}
    for table in (archives, categories):
        for code, entry in table.items():
            archive = code if table is archives else entry.get("in_archive")
            if archive in test_archives:
                continue
            name = " ".join(str(entry.get("name", "")).split())
            if not CODE.fullmatch(code) or not name:
                raise TaxonomyError(f"{code!r}: not a code and a name ({entry.get('name')!r})")
            if names.get(code, name) != name:
                raise TaxonomyError(f"{code}: named {names[code]!r} as an archive and {name!r} as a category")
            names[code] = name
    for relation in ("CATEGORY_ALIASES", "ARCHIVES_SUBSUMED"):
        for alias, canonical in taxonomy.tables[relation].items():
            if alias not in names or canonical not in names:
                raise TaxonomyError(f"{relation}: {alias} = {canonical}, a code with no name")
    return dict(sorted(names.items()))


def render_table(names: dict[str, str]) -> str:
    """The CATEGORY_NAMES literal: one code a line, in the order given."""
    lines = [f"    {json.dumps(code)}: {json.dumps(name, ensure_ascii=False)},\n" for code, name in names.items()]
    return "CATEGORY_NAMES: dict[str, str] = {\n" + "".join(lines) + "}\n"


def render(taxonomy: Taxonomy) -> str:
    """The whole module."""
    names = category_names(taxonomy)
    if '"""' in taxonomy.licence or "\\" in taxonomy.licence:
        raise TaxonomyError("the licence text would end or escape the module's docstring")
    licence = "".join(f"    {line}".rstrip() + "\n" for line in taxonomy.licence.splitlines())
    return f'''"""arXiv's category names by code: ``cs.AI`` is "Artificial Intelligence". Generated; do not edit.

Written by ``{COMMAND}`` from ``{DEFINITIONS}``,
the taxonomy that arXiv publishes in its {PACKAGE} package: version {taxonomy.version},
the wheel {taxonomy.wheel} (sha256 {taxonomy.sha256}).
To regenerate:

    pip download {PACKAGE}=={taxonomy.version} --no-deps -d /tmp/{PACKAGE}
    {COMMAND} /tmp/{PACKAGE}/{taxonomy.wheel}

{len(names)} codes: every category (``cs.AI``, ``hep-ex``, the retired ``chao-dyn``) and every
archive (``physics``, ``math``), each under its own name as arXiv names it; both sides of an
alias (``math.IT`` and ``cs.IT``) are here. arXiv's test categories are not.

The names are arXiv's, from {PACKAGE}, which is under the MIT licence:

{licence}"""

from __future__ import annotations

{render_table(names)}

def category_name(code: str) -> str | None:
    """arXiv's English name for a category or archive code (``quant-ph``: "Quantum Physics"), or None."""
    return CATEGORY_NAMES.get(code)
'''


def _one(names: list[str], pattern: str) -> str:
    found = [name for name in names if re.fullmatch(pattern, name)]
    if len(found) != 1:
        raise TaxonomyError(f"expected one file named like {pattern} in the wheel, found {len(found)}")
    return found[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("wheel", type=Path, help=f"an {PACKAGE} wheel (pip download {PACKAGE} --no-deps)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the module to write (default: %(default)s)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 unless --out is what WHEEL gives")
    args = parser.parse_args(argv)
    try:
        taxonomy = read_wheel(args.wheel)
        text = render(taxonomy)
    except (OSError, zipfile.BadZipFile, KeyError, TaxonomyError) as error:
        print(f"{args.wheel}: {error}", file=sys.stderr)
        return 2
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else None
        if current != text:
            print(f"{args.out} is not what {args.wheel.name} gives: run {COMMAND} {args.wheel}", file=sys.stderr)
            return 1
        return 0
    write_atomic(args.out, text.encode())
    print(f"{args.out}: {len(category_names(taxonomy))} codes from {PACKAGE} {taxonomy.version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
