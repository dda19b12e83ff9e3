"""Errors that are shown to the user as one line, and the exit codes they map to."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Every exit status the CLI can return (documented in the README)."""

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
