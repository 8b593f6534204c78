"""Failures a command reports to the user in one line (exit 1), never as a traceback."""

from __future__ import annotations


class CommandError(Exception):
    """``output`` is what the command produced before it failed (printed first, as a partial result)."""

    def __init__(self, message: str, output: str = "") -> None:
        super().__init__(message)
        self.output = output
