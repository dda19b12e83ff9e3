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

from feedbridge.arxiv import Paper, parse_feed
from feedbridge.config import Config
from feedbridge.errors import FeedbridgeError
from feedbridge.translate import SentencePair, TranslatedPaper
from feedbridge.translate.engine import ArgosTranslator, translate_papers
from feedbridge.translate.packages import require_package

_ID = re.compile(r"(?:arXiv:)?(?P<id>.+?)(?:v\d+)?", re.IGNORECASE)


def find_paper(arxiv_id: str, config: Config | None, from_dir: Path | None) -> Paper:
    """The paper as announced, from the saved feeds in ``from_dir`` (every *.xml) or
    from the configured feeds' arXiv sources; a FeedbridgeError says where it looked."""
    wanted = _ID.fullmatch(arxiv_id.strip()).group("id")
    if from_dir is not None:
        documents = ((str(path), path.read_bytes) for path in sorted(Path(from_dir).glob("*.xml")))
        where = f"the saved feeds in {from_dir}"
    else:
        from feedbridge.build import fetcher_for

        fetcher = fetcher_for(config)
        categories = dict.fromkeys(c for feed in config.feeds for c in feed.sources)
        urls = [config.feed_url.format(category=c) for c in categories]
        documents = ((url, lambda url=url: fetcher.fetch(url).body) for url in urls)
        where = f"today's feeds of {', '.join(categories)}"
    for source, read in documents:
        try:
            data = read()
        except OSError as err:
            raise FeedbridgeError(f"{source}: cannot read saved feed: {err.strerror or err}") from None
        for paper in parse_feed(data, source).papers:
            if paper.arxiv_id == wanted:
                return paper
    raise FeedbridgeError(
        f"arXiv:{wanted} is not in {where}; give --from-dir DIR with a saved feed that announces it"
    )


def _translator(source: str, target: str, config: Config | None) -> ArgosTranslator:
    package = require_package(source, target)
    if config is None:
        return ArgosTranslator(package)
    from feedbridge.build import translator_for

    return translator_for(package, config)


def translate_paper(paper: Paper, source: str, target: str, config: Config | None) -> TranslatedPaper:
    glossary = config.glossary if config is not None else ()
    [translated] = translate_papers([paper], _translator(source, target, config), source, target, glossary=glossary)
    return translated


def translate_text(text: str, source: str, target: str, config: Config | None) -> tuple[SentencePair, ...]:
    """The text's sentences with their translations, segmented as an abstract is."""
    paper = Paper(
        arxiv_id="text", version=1, title="", abstract=text, authors=(), categories=(),
        announce_type="new", announced=datetime.now(timezone.utc),
    )
    return translate_paper(paper, source, target, config).abstract.sentences
