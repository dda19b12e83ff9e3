"""`feedbridge translate`: one text, or one announced paper, through the real engine.

For a look at what the installed package makes of a text before building feeds, or
of one paper a reader asks about. Nothing is written: no translation memory, and
the feeds are fetched with the config's politeness and conditional-GET cache, as a
build would.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

from feedbridge.config import DEFAULT_MODEL, Config
from feedbridge.errors import ConfigError, FeedbridgeError
from feedbridge.fetch import fetcher_for
from feedbridge.model import Paper, PaperLinks, SentencePair, TranslatedPaper
from feedbridge.sources import feed_source
from feedbridge.sources.arxiv_xml import ARXIV_ID
from feedbridge.translate.backend import MODEL_KINDS, Backend, backend_settings
from feedbridge.translate.engine import translate_papers

_ID = re.compile(rf"(?:arXiv:)?(?P<id>{ARXIV_ID})(?:v\d+)?", re.IGNORECASE)


def find_paper(arxiv_id: str, config: Config | None, from_dir: Path | None) -> Paper:
    """The paper as announced, from the saved feeds in ``from_dir`` (every *.xml) or
    from the configured feeds' arXiv sources; a FeedbridgeError says where it looked."""
    match = _ID.fullmatch(arxiv_id.strip())
    if match is None:
        raise ConfigError(f"--arxiv: {arxiv_id.strip()[:40]!r} is not an arXiv id (e.g. 2401.01234 or hep-th/9901001)")
    wanted = match.group("id")
    if from_dir is not None:
        source = feed_source("", None, from_dir)
        categories = [path.stem for path in sorted(Path(from_dir).glob("*.xml"))]
        where = f"the saved feeds in {from_dir}"
    else:
        source = feed_source(config.feed_url, fetcher_for(config), None)
        categories = list(dict.fromkeys(c for feed in config.feeds for c in feed.sources))
        where = f"today's feeds of {', '.join(categories)}"
    for category in categories:
        for paper in source.read(category).papers:
            if paper.arxiv_id == wanted:
                return paper
    raise FeedbridgeError(
        f"arXiv:{wanted} is not in {where}; give --from-dir DIR with a saved feed that announces it"
    )


def _backend(source: str, target: str, config: Config | None) -> Backend:
    """The installed model for the pair, with the config's settings; installs nothing."""
    feeds = config.feeds if config is not None else ()
    model = next((f.model for f in feeds if (f.source_lang, f.target_lang) == (source, target)), DEFAULT_MODEL)
    kind = MODEL_KINDS[model]
    settings = backend_settings(config) if config is not None else {}
    return kind.backend(source, target, offline=True, log=lambda _: None, **settings)


def translate_paper(paper: Paper, source: str, target: str, config: Config | None) -> TranslatedPaper:
    glossary = config.glossary if config is not None else ()
    [translated] = translate_papers([paper], _backend(source, target, config), source, target, glossary=glossary)
    return translated


def translate_text(text: str, source: str, target: str, config: Config | None) -> tuple[SentencePair, ...]:
    """The text's sentences with their translations, segmented as an abstract is."""
    paper = Paper(
        arxiv_id="text", version=1, title="", abstract=text, authors=(), categories=(),
        announce_type="new", announced=datetime.now(timezone.utc),
        links=PaperLinks(abstract="", pdf=""),  # a text has no pages, and only its sentences are shown
    )
    return translate_paper(paper, source, target, config).abstract.sentences
