"""A Paper as JSON, and back: the form a feed's archive keeps its entries' papers in, and
the form ``feedbridge fetch`` saves a recovered missed day's papers in (sources/saved.py).

The links are left out and derived again from the id, the version and the comment; a
paper not recovered leaves ``recovered`` out, as 0.1 wrote it; dates are ISO 8601.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import datetime
from typing import Any

from feedbridge.model import Author, Paper
from feedbridge.sources.arxiv_links import arxiv_links


def paper_json(paper: Paper) -> dict[str, Any]:
    data = asdict(paper)
    del data["links"]  # derived from the id and the comment on load
    if not data["recovered"]:  # the usual case, left out as 0.1 wrote it
        del data["recovered"]
    for key in ("submitted", "first_submitted"):  # where the API told them
        if data[key] is None:
            del data[key]
        else:
            data[key] = data[key].isoformat()
    data["announced"] = paper.announced.isoformat()
    return data


def paper_from_json(data: dict[str, Any]) -> Paper:
    """Fields this version knows are read; a field a newer version added is ignored. The
    caller has checked that every field is there with its type (a KeyError or TypeError
    otherwise)."""
    values = {f.name: data[f.name] for f in fields(Paper) if f.name in data and f.name != "links"}
    values["links"] = arxiv_links(values["arxiv_id"], values["version"], values.get("comment"))
    values["authors"] = tuple(Author(a["name"], tuple(a.get("affiliations", ()))) for a in values["authors"])
    values["categories"] = tuple(values["categories"])
    for key in ("announced", "submitted", "first_submitted"):
        if key in values:
            values[key] = datetime.fromisoformat(values[key])
    return Paper(**values)
