"""The one error the report readers raise: a report Baton cannot read."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError

from bot.errors import BatonError

Model = TypeVar("Model", bound=BaseModel)


class ReportError(BatonError):
    """A test, coverage or mutation report is malformed or in a format Baton does not read.

    The report is written by code the agent wrote, so it is untrusted input: every reader turns
    whatever goes wrong in it into this one error, whose message names the report. A name taken
    from the report may hold a line break (`&#10;` in an attribute); it is escaped, so the
    message stays one line."""

    def __init__(self, message: str) -> None:
        super().__init__(message.replace("\r", "\\r").replace("\n", "\\n"))


def read_json(model: type[Model], data: bytes, source: str, what: str, fix: str) -> Model:
    """`data` read as `model`, or the first thing wrong with it: `<source>: not <what> (<where>:
    <why>): <fix>`."""
    try:
        return model.model_validate_json(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "the document"
        raise ReportError(f"{source}: not {what} ({where}: {error['msg']}): {fix}") from exc
