"""Where the waits of the command under way are said: the CLI sets its output once
(``waits_told_to``), and a Fetcher the library makes, out of the command's reach, tells
its waits there (``told``). A module of its own, light to import, so that every command
does not pay for importing the HTTP stack it may never use."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator

_TOLD: contextvars.ContextVar[Callable[[str], None] | None] = contextvars.ContextVar("feedbridge_waits", default=None)


@contextlib.contextmanager
def waits_told_to(log: Callable[[str], None]) -> Iterator[None]:
    """Within this block, a Fetcher made without a `log` tells its waits to `log` (the CLI's
    output, for the fetchers the library makes where the command cannot reach them)."""
    token = _TOLD.set(log)
    try:
        yield
    finally:
        _TOLD.reset(token)


def told() -> Callable[[str], None] | None:
    """The log ``waits_told_to`` set for the command under way, if any."""
    return _TOLD.get()
