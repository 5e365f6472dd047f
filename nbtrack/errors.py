"""Exceptions raised by nbtrack."""

from __future__ import annotations


class NbtrackError(Exception):
    """Base class of every error nbtrack raises on purpose."""


class RunWriteError(NbtrackError):
    """Logged data could not be written to disk (raised by ``Run.finish()``)."""


class FormatError(NbtrackError):
    """A run folder or data file is not in a format this nbtrack can read."""


class UnsupportedFormatError(FormatError):
    """A run was written with a newer major format version than this reader knows."""


class RunNotFoundError(NbtrackError, KeyError):
    """No run with the given id or name exists in the logdir."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""
