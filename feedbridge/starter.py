"""The starter ``feeds.yaml`` that ``feedbridge init`` writes: commented, and valid as written.

A newcomer's first config should run and should explain itself: each key says what it
does and what to put there. Two values cannot be guessed and are left as visible
placeholders (``PLACEHOLDER_BASE_URL``, and ``config.PLACEHOLDER_CONTACT``, which
``build`` warns about too) that ``feedbridge doctor`` points out until they are replaced.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from feedbridge.atomicfile import write_atomic
from feedbridge.config import CATEGORY_RE, DEFAULT_API_URL, LANG_RE, PLACEHOLDER_CONTACT, parse_config
from feedbridge.errors import ConfigError
from feedbridge.translate.backend import check_models

PLACEHOLDER_BASE_URL = "https://you.github.io/feedbridge/"
# PLACEHOLDER_CONTACT, imported above, is the config stage's: `build` recognises it too.
DEFAULT_CATEGORIES = ("cs.AI",)
DEFAULT_TARGET = "ja"

_TEMPLATE = """\
# feedbridge: which arXiv categories to translate, into which language, and where the
# feeds go. Every key is described in docs/configuration.md.
# Check this file and your set-up with `feedbridge doctor`, then run `feedbridge build`.

site:
  # The public URL of the output folder, where feed readers will find the feeds
  # (GitHub Pages: https://<user>.github.io/<repository>/). Replace the placeholder.
  base_url: {base_url}
  # Where the feeds are written, relative to this file.
  output_dir: site

arxiv:
  # arXiv asks every program to say who runs it: your e-mail (mailto:...) or a URL.
  # It goes into the User-Agent of each request. Replace the placeholder.
  contact: {contact}
  # Seconds between requests; arXiv's terms ask for at least 3.
  min_interval: 3
  # Ask the arXiv API for what the RSS lacks: the authors' comments (venue, pages,
  # code links), journal reference, DOI and affiliations. A failing API never
  # holds a feed back; false skips it.
  enrich: true
  # The arXiv API's query endpoint (the same pause between requests applies to it).
  api_url: {api_url}

translation:
  from: {source}
  # The language every feed is translated into; a feed can set its own "to".
  # `feedbridge models list` shows the installed translation packages.
  to: {target}
{model_hint}
# Kept between runs, relative to this file: arXiv's feeds as last fetched, the arXiv
# API's answers, the translation memory and the measured translation speed.
# FEEDBRIDGE_CACHE_DIR, when set, replaces this folder.
cache_dir: .cache/feedbridge

# One feed per category, written to <output_dir>/<category>.<language>.xml.
# Categories as arXiv spells them: cs.AI, math.AP, astro-ph.GA, hep-th;
# "cs.AI+cs.CL" is arXiv's combined feed of both.
feeds:
{feeds}"""


def starter_config(
    categories: Iterable[str] = DEFAULT_CATEGORIES,
    target: str = DEFAULT_TARGET,
    *,
    source: str = "en",
) -> str:
    """The commented starter config for these categories and target language.

    Raises ConfigError for a malformed category or language, or a language pair no
    model serves (an Argos package the index offers, or one installed): the text is
    checked with the config loader itself, so what ``init`` writes, ``build`` reads.
    """
    chosen = list(dict.fromkeys(c.strip() for c in categories if c.strip()))
    if not chosen:
        raise ConfigError("categories: expected at least one arXiv category, like 'cs.AI'")
    for category in chosen:
        if not CATEGORY_RE.fullmatch(category):
            raise ConfigError(
                f"category {category!r}: expected an arXiv category like 'cs.AI', 'math.AP', "
                f"'astro-ph.GA', 'hep-th' or 'cs.AI+cs.CL'"
            )
    for language in (source, target):
        if not LANG_RE.fullmatch(language):
            raise ConfigError(f"language {language!r}: expected a language code like 'ja' or 'zh'")
    text = _TEMPLATE.format(
        base_url=PLACEHOLDER_BASE_URL,
        contact=PLACEHOLDER_CONTACT,
        api_url=DEFAULT_API_URL,
        source=_quoted(source),
        target=_quoted(target),
        feeds="".join(f"  - category: {_quoted(category)}\n" for category in chosen),
        model_hint=_model_hint(source, target),
    )
    check_models(parse_config(text, Path("feeds.yaml")))
    return text


def _model_hint(source: str, target: str) -> str:
    """Comment lines under ``to:`` naming the model catalog's models for the pair, each
    with its licence; nothing for a pair the catalog lacks. Advice only: the starter
    keeps the default model (the Argos package), so a first config needs no choice."""
    from feedbridge.translate.catalog import better_models

    better = better_models(source, target)
    if not better:
        return ""
    lines = [
        f"  # The default model is the Argos Translate package; for {source}->{target}, better ones can be",
        "  # installed by name (docs/models.md compares them):",
    ]
    for model in better:
        lines.append(f"  #   feedbridge models install {model.name}   # {model.title}, licence {model.licence}")
    lines += [
        f"  # then choose one here with `model: {better[0].name}`. A CC BY-SA model must be credited",
        "  # wherever its translations are published.",
    ]
    return "".join(line + "\n" for line in lines)


def write_starter(path: Path, text: str, force: bool = False) -> None:
    """Write the starter config; an existing file is someone's work, kept unless ``force``."""
    path = Path(path)
    if path.exists() and not force:
        raise ConfigError(f"{path}: already exists; keep it, or overwrite it with --force")
    write_atomic(path, text.encode("utf-8"))


def _quoted(value: str) -> str:
    """A YAML double-quoted scalar, so that a code like "no" stays a string, not false."""
    return json.dumps(value)
