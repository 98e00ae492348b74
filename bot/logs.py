"""Logging, configured once by the entry point: one line per event on stderr, its name and then
its fields (`github.labels_failed issue=12 status=403 error="..."`), warnings and above unless
verbose, and every line through the run's redactor. Everywhere else, modules log events with
`logging.getLogger(__name__)` and `extra` fields."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from typing import TextIO

# What every LogRecord carries: anything else on a record came in through `extra`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:@#[]+,")


def fields(record: logging.LogRecord) -> dict[str, object]:
    """The fields an event was logged with (its `extra`)."""
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


def _value(value: object) -> str:
    """A field's value as one word: quoted (JSON) unless it is plain, so that a value with a
    space, a quote or a line break can neither split the line nor start a new one."""
    text = value if isinstance(value, str) else str(value)
    return text if text and set(text) <= _PLAIN else json.dumps(text, ensure_ascii=False)


class EventFormatter(logging.Formatter):
    """`event key=value …`, then the traceback when there is one; redacted as a whole."""

    def __init__(self, redact: Callable[[str], str]) -> None:
        super().__init__()
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        parts = [record.getMessage()]
        parts += [f"{key}={_value(value)}" for key, value in fields(record).items()]
        line = " ".join(parts)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return self.redact(line)


class _Stderr(logging.StreamHandler[TextIO]):
    """A handler on whatever `sys.stderr` is when a record comes (a test runner swaps it)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure(redact: Callable[[str], str], *, verbose: bool = False) -> None:
    """Send every log record to stderr as an event line: warnings and above, or with `verbose`
    Baton's debug events too. Called again (a second command in one process), it replaces its
    handler instead of adding one."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _Stderr)]:
        root.removeHandler(handler)
    handler = _Stderr()
    handler.setFormatter(EventFormatter(redact))
    handler.setLevel(logging.DEBUG if verbose else logging.WARNING)
    root.addHandler(handler)
    # Baton's own loggers decide what reaches the handler; other libraries stay at warnings.
    logging.getLogger("bot").setLevel(logging.DEBUG if verbose else logging.NOTSET)
