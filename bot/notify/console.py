"""The console: one line per ticket event as it happens (rendered by `bot.render.terminal`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.console import Console

from bot.notify import Event
from bot.redact import Redactor
from bot.render.terminal import event_line


class ConsoleNotifier:
    def __init__(
        self, console: Console | None = None, redact: Callable[[str], str] | None = None
    ) -> None:
        self.console = console or Console(stderr=True, highlight=False)
        # The console is a log too (in Actions, a public one): secrets never reach it.
        self.redact = redact or Redactor()

    def notify(self, event: Event) -> None:
        self.console.print(
            event_line(event, datetime.now(), self.redact), markup=True, soft_wrap=True
        )
