"""How fast each model translates on this machine: measured by a build, read by the dry run.

When its passes are done, a build records the sentences each model translated per
second of its engine runs, every pass's together (model loading included, as a build
meets it), keyed by the model's provenance and its decoding settings (the translation
memory's key: beam size and what else changes the work). ``build --dry-run`` estimates
with the last such measurement of the model and settings it would use; before any, with
DEFAULT_SENTENCES_PER_SECOND, and says which.

The record is ``<cache_dir>/throughput.json``, beside the translation memory. It is a
hint: one that cannot be read is ignored (the default is used), and one that cannot be
written costs the next dry run its measurement, never the build.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from feedbridge.atomicfile import write_atomic
from feedbridge.errors import OutputError

FILE_NAME = "throughput.json"  # inside the config's cache_dir
FORMAT = 1
# Sentences per second by beam size, without a measurement: the engine cold on 2 CPU cores,
# int8, docs/performance.md's settings table ("The defaults, and the measurements behind
# them": beam 1 34.6, beam 2 18.2, beam 4 9.6). Its random weights decode every sentence to
# the length cap, so a trained model is faster: an estimate from them errs long.
DEFAULT_SENTENCES_PER_SECOND = {1: 34.6, 2: 18.2, 4: 9.6}
# A pass of fewer sentences measures the model's loading more than its speed: not recorded.
MIN_SENTENCES = 20


@dataclass(frozen=True)
class Rate:
    """The speed an estimate uses, and where it comes from."""

    sentences_per_second: float
    source: str  # "measured" or "default"
    measured: str | None = None  # the measuring build's time (ISO 8601); None for the default
    sentences: int = 0  # how many sentences the measurement timed
    beam_size: int = 4

    def describe(self) -> str:
        """``9.6 sentences/s (measured by the build of …, 412 sentences)`` and the like."""
        speed = f"{self.sentences_per_second:.1f} sentences/s"
        if self.source == "measured":
            return f"{speed} (measured by the build of {self.measured}, {self.sentences} sentences)"
        return f"{speed} (no build has measured this model yet: the default for beam {self.beam_size} on 2 CPU cores)"

    def json(self) -> dict:
        return {"sentences_per_second": round(self.sentences_per_second, 1), "source": self.source,
                "measured": self.measured, "measured_sentences": self.sentences}


def default_rate(beam_size: int) -> Rate:
    """DEFAULT_SENTENCES_PER_SECOND's figure for the beam; another beam scales beam 4's,
    whose decoding work grows about in proportion to the beam."""
    speed = DEFAULT_SENTENCES_PER_SECOND.get(beam_size, DEFAULT_SENTENCES_PER_SECOND[4] * 4 / max(beam_size, 1))
    return Rate(speed, "default", beam_size=beam_size)


def _key(provenance: str, decoding: str) -> str:
    return f"{provenance} | {decoding}"


def _read(path: Path) -> dict[str, dict]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(document, dict) or document.get("format") != FORMAT or not isinstance(document.get("models"), dict):
        return {}
    return document["models"]


def rate(cache_dir: Path, provenance: str | None, decoding: str | None, beam_size: int) -> Rate:
    """The last measurement of this model under these settings, else the default for the beam."""
    if provenance is None or decoding is None:
        return default_rate(beam_size)
    found = _read(Path(cache_dir) / FILE_NAME).get(_key(provenance, decoding))
    try:
        speed, sentences, measured = found["sentences_per_second"], found["sentences"], found["measured"]
        if not (isinstance(speed, (int, float)) and speed > 0 and isinstance(sentences, int)
                and isinstance(measured, str)):
            raise TypeError
    except (KeyError, TypeError):
        return default_rate(beam_size)
    return Rate(float(speed), "measured", measured, sentences, beam_size)


def record(cache_dir: Path, provenance: str, decoding: str, sentences: int, seconds: float,
           when: datetime) -> Rate | None:
    """Keep a pass's speed for the next dry run, in place of the model's earlier one; a
    pass under MIN_SENTENCES, or one that took no time, is not a measurement. Raises
    OutputError when the file cannot be written."""
    if sentences < MIN_SENTENCES or seconds <= 0:
        return None
    path = Path(cache_dir) / FILE_NAME
    models = _read(path)
    measured = Rate(sentences / seconds, "measured", when.isoformat(), sentences)
    models[_key(provenance, decoding)] = {"sentences_per_second": round(measured.sentences_per_second, 3),
                                          "sentences": sentences, "seconds": round(seconds, 3),
                                          "measured": measured.measured}
    document = {"format": FORMAT, "models": dict(sorted(models.items()))}
    try:
        write_atomic(path, json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8") + b"\n")
    except OutputError as err:
        raise OutputError(f"cannot keep the measured translation speed for the next dry run: {err}") from None
    return measured
