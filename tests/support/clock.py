"""Fake time for the fetcher: the `fake_time` fixture, so that waits are checked, not waited."""

from __future__ import annotations

import pytest


class FakeTime:
    """A monotonic clock that moves only when the fetcher sleeps, and remembers each sleep."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()
