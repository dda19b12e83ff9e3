"""The build's progress bar: click's, one per translation pass, with a total that never
changes under it and a rate in sentences per second of wall time."""

from __future__ import annotations

import io
import re

from feedbridge.cli import _ProgressBars

# label, [bar], done/total, percent, then maybe the ETA and the rate
LINE = re.compile(r"(?P<label>\S.*?)\s+\[[#-]+\]\s+(?P<done>\d+)/(?P<total>\d+)\s+(?P<percent>\d+)%(?P<rest>.*)")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def drawn(text: str) -> list[dict]:
    """Every state of the bars drawn, in order (click hides the cursor while a bar is drawn)."""
    text = re.sub(r"\x1b\[\?25[lh]", "", text)
    return [LINE.fullmatch(part.strip()).groupdict() for part in re.split(r"[\r\n]", text) if part.strip()]


def test_each_pass_has_its_own_bar_a_fixed_total_and_a_rate_from_wall_time():
    now = iter([100.0, 102.0, 104.0, 105.0, 106.0])
    terminal = Terminal()
    bars = _ProgressBars(file=terminal, clock=lambda: next(now))
    # the engine's calls for 4 sentences, 2 of them refused and retried (tests/test_engine.py)
    for label, done, total in [("en->ja", 0, 4), ("en->ja", 1, 4), ("en->ja", 4, 4),
                               ("en->ja, retrying refused sentences", 0, 2), ("en->ja, retrying refused sentences", 2, 2)]:
        bars(label, done, total)
    bars.close()
    states = drawn(terminal.getvalue())
    first = [s for s in states if s["label"] == "en->ja"]
    again = [s for s in states if s["label"] == "en->ja, retrying refused sentences"]
    assert len(first) + len(again) == len(states)
    assert {s["total"] for s in first} == {"4"} and {s["total"] for s in again} == {"2"}
    assert [int(s["percent"]) for s in first] == sorted(int(s["percent"]) for s in first)  # it never falls
    assert (first[-1]["done"], first[-1]["percent"]) == ("4", "100")
    assert "0.5 sentences/s" in first[1]["rest"]  # 1 sentence in 2 s
    assert "1.0 sentences/s" in first[-1]["rest"]  # 4 sentences in 4 s
    assert "2.0 sentences/s" in again[-1]["rest"]  # 2 sentences in 1 s
    assert terminal.getvalue().count("\n") == 2  # each bar ends its line once


def test_no_bar_is_drawn_where_the_output_is_not_a_terminal():
    plain = io.StringIO()
    bars = _ProgressBars(file=plain, clock=iter([1.0, 2.0]).__next__)
    bars("en->ja", 0, 2)
    bars("en->ja", 2, 2)
    assert "[" not in plain.getvalue() and "\r" not in plain.getvalue()
