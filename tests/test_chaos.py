"""A fixed-seed slice of the chaos run (tests/support/chaos.py; `make chaos` runs 200 with a
new seed): 40 runs over six weeks of announcement days with faults of every kind and at
least ten builds killed, the published site verified and its entries checked after each."""

from __future__ import annotations

from support.chaos import chaos

SEED = 20261216  # draws every kind of fault, and 12 of its builds are killed
RUNS = 40


def test_forty_runs_of_chaos_keep_every_promise(tmp_path, capsys):
    tally = chaos(tmp_path, RUNS, SEED, log=print)

    with capsys.disabled():
        print("\n" + "\n".join(tally.lines()))
    assert tally.runs == RUNS
    assert sum(tally.kills.values()) >= 10
    assert set(tally.kinds) >= {"network", "body", "item", "history", "package", "disk", "kill"}
    assert tally.published_entries >= 60  # of 180 announced: the faults cost whole days
