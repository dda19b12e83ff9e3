"""Errors that are shown to the user as one line, and the exit codes they map to."""

from __future__ import annotations

import re
import unicodedata
from enum import IntEnum


class ExitCode(IntEnum):
    """Every exit status the CLI can return (documented in docs/commands.md, Exit codes)."""

    OK = 0
    FAILED = 1  # the run failed: nothing new was published
    CONFIG = 2  # the config file or a command-line option is wrong
    MODEL = 3  # a translation package is missing or broken
    PARTIAL = 4  # some feeds were built, at least one failed


class FeedbridgeError(Exception):
    """An error with a message fit for the user; the CLI prints it on one line."""

    exit_code = ExitCode.FAILED


class ConfigError(FeedbridgeError):
    """The config is wrong: the message names the file, the key path and what was expected."""

    exit_code = ExitCode.CONFIG


class FetchError(FeedbridgeError):
    """A feed could not be fetched (network, HTTP status, size)."""


class NotFoundError(FetchError):
    """The server says the document does not exist (HTTP 404 or 410): for a published
    site, a feed that was never published, unlike every other failure, which leaves
    what was published unknown."""


class FeedError(FeedbridgeError):
    """A fetched or saved document is not a usable arXiv feed."""


class ModelError(FeedbridgeError):
    """A translation package is missing, broken or cannot be installed."""

    exit_code = ExitCode.MODEL


class OutputError(FeedbridgeError):
    """An output file could not be written."""


# ECMA-48 escape sequences: CSI (ESC [ or 0x9b, parameters, intermediates, a final byte); the
# strings OSC, DCS, SOS, PM and APC up to their terminator (BEL or ST) or the end of the text;
# and the other ESC sequences (ESC, intermediates, a final byte).
_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f]).*?(?:\x07|\x1b\\|\x9c|$)"
    r"|\x1b[\x20-\x2f]*[\x30-\x7e]",
    re.DOTALL,
)
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def printable(text: str) -> str:
    """``text`` made safe for a terminal or a log line (a server's words, a feed's titles):
    escape sequences removed, other control characters (C0, DEL, C1, bidirectional
    overrides) dropped, line breaks and tabs turned into spaces, and runs of white space
    collapsed to one."""
    text = _ESCAPES.sub("", text)
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if char.isspace() or category in ("Zl", "Zp"):
            kept.append(" ")
        elif category != "Cc" and char not in _BIDI_CONTROLS:
            kept.append(char)
    return " ".join("".join(kept).split())
