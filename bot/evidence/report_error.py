"""The one error the report readers raise: a report Baton cannot read."""

from __future__ import annotations

from bot.errors import BatonError


class ReportError(BatonError):
    """A test, coverage or mutation report is malformed or in a format Baton does not read.

    The report is written by code the agent wrote, so it is untrusted input: every reader turns
    whatever goes wrong in it into this one error, whose message names the report. A name taken
    from the report may hold a line break (`&#10;` in an attribute); it is escaped, so the
    message stays one line."""

    def __init__(self, message: str) -> None:
        super().__init__(message.replace("\r", "\\r").replace("\n", "\\n"))
