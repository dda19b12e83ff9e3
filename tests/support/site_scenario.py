"""The four-day scenario behind the golden files and the published-site fixture.

A config that uses every feature the pipeline has: a real quant-ph day split over
several days (new papers, cross-lists, replacements, a changed abstract, a repeated
batch), the legacy RDF capture (stale after its first day), the empty holiday capture,
a category whose saved feed is missing (a failed feed), a topic feed, and a second
target language. Builds read saved feeds (``--from-dir``) and run offline; the history
comes from the output folder (nothing listens at the base URL).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from support.builds import build as run_build
from support.feeds import ADDED_SENTENCE, as_version, day_document, items
from support.paths import EMPTY_PHYSICS, LEGACY_HEP_EX

CONFIG = """\
site: {base_url: 'http://127.0.0.1:9/site/', output_dir: out}
arxiv: {contact: tests@example.org, min_interval: 0, retries: 0, timeout: 5}
translation: {beam_size: 1, batch_tokens: 512}
window: {days: 2}
feeds:
  - quant-ph
  - {category: quant-ph, to: de, name: quant-ph.de}
  - hep-ex
  - physics
  - cs.AI
topics:
  - {name: entanglement.ja, title: Entanglement, categories: [quant-ph], include: [entanglement, '/\\bBell\\b/']}
"""


# The same site translated by the trained toy model (en->ja, and registered again for
# en->de: it copies English, relabelled, whatever the target), so the golden files hold
# real model output; CONFIG is what feedbridge 0.1.0 built the published-site fixture with.
TOY_CONFIG = CONFIG.replace(
    "translation: {beam_size: 1, batch_tokens: 512}", "translation: {beam_size: 1, batch_tokens: 512, model: toy-en-ja}"
).replace("name: quant-ph.de}", "name: quant-ph.de, model: toy-en-de}")


def add_toy_models() -> None:
    """The toy model as toy-en-ja and toy-en-de, through feedbridge's own add path."""
    from feedbridge.translate.marian import add_model
    from support.paths import TOY_MODEL

    for target in ("ja", "de"):
        add_model(TOY_MODEL, name=f"toy-en-{target}", source="en", target=target)


# Each day's clock (--now): the afternoon of its announcement day (the third day is a
# Wednesday on which arXiv served Tuesday's batch again).
SCENARIO_CLOCKS = ("2025-04-28T14:00:00Z", "2025-04-29T14:00:00Z", "2025-04-30T14:00:00Z", "2025-05-02T14:00:00Z")


def scenario_days() -> list[dict[str, bytes]]:
    """Each day's saved feeds, by category; cs.AI is never saved, so it fails every day."""
    groups = items()
    new, cross, replaced, replace_cross = groups["new"], groups["cross"], groups["replace"], groups["replace-cross"]
    day2 = day_document(
        date(2025, 4, 29),
        new[4:8] + cross[2:3] + replace_cross[:2]
        + [new[2], as_version(new[0], 2, "replace"), as_version(new[1], 2, "replace", ADDED_SENTENCE)],
    )
    common = {"hep-ex": LEGACY_HEP_EX.read_bytes(), "physics": EMPTY_PHYSICS.read_bytes()}
    return [
        {**common, "quant-ph": day_document(date(2025, 4, 28), new[:4] + cross[:2] + replaced[:2])},
        {**common, "quant-ph": day2},
        {**common, "quant-ph": day2},  # arXiv serves yesterday's batch again
        {**common, "quant-ph": day_document(date(2025, 5, 2), [as_version(i, 1, "new") for i in replaced[2:5]])},
    ]


def normalised(data: bytes, root: Path) -> bytes:
    """The bytes less what differs between two identical runs: durations, the dry run's
    estimate (from the speed an earlier day's build measured) and the test's folder."""
    data = data.replace(str(root).encode(), b"{tmp}")
    return re.sub(rb'("(?:estimate_)?seconds": |"sentences_per_second": )[0-9.]+', rb"\g<1>0", data)


def build(root: Path, *args: str) -> tuple[int, bytes]:
    """The scenario's config built with ARGS: the exit code and what went to stdout."""
    result = run_build("--config", root / "feeds.yaml", *args)
    return result.exit_code, result.stdout_bytes



def save_day(folder: Path, documents: dict[str, bytes]) -> Path:
    """One day's saved feeds as ``--from-dir`` reads them."""
    folder.mkdir(parents=True)
    for category, document in documents.items():
        (folder / f"{category}.xml").write_bytes(document)
    return folder


def install_german(folder: Path) -> None:
    """An en->de package beside the en->ja one, built and installed the same way."""
    from tiny_model import build_argosmodel, fixture_corpus

    from feedbridge.translate.packages import install_from_file

    archive = folder / "translate-en_de-1_0.argosmodel"
    build_argosmodel(archive, fixture_corpus(), from_code="en", to_code="de")
    install_from_file(archive)
