"""The console: one line per ticket event as it happens (rendered by `bot.render.terminal`), and
under an agent's answer or a validation, briefly, what it said or found (`bot.render.attempts`):
the findings, the failing test's last lines, the agent's summary. On a terminal, a live line at
the foot says where the chain is (`bot.notify.progress`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.console import Console

from bot.notify import Event
from bot.notify.progress import LiveProgress
from bot.redact import Redactor
from bot.render.attempts import agent_lines, validation_lines
from bot.render.terminal import event_line

_INDENT = " " * 9  # under the event line's text, past its time


class ConsoleNotifier:
    def __init__(
        self, console: Console | None = None, redact: Callable[[str], str] | None = None
    ) -> None:
        self.console = console or Console(stderr=True, highlight=False)
        # The console is a log too (in Actions, a public one): secrets never reach it.
        self.redact = redact or Redactor()
        self.live = LiveProgress(self.console, self.redact)  # on a terminal only

    def notify(self, event: Event) -> None:
        self.console.print(
            event_line(event, datetime.now(), self.redact), markup=True, soft_wrap=True
        )
        for line in self._details(event):
            self.console.print(f"{_INDENT}{line}", markup=False, soft_wrap=True, style="dim")
        self.live.follow(event)

    def _details(self, event: Event) -> list[str]:
        ticket = event.state.tickets.get(event.ticket) if event.state and event.ticket else None
        attempt = ticket.last if ticket is not None else None
        if attempt is None:
            return []
        if event.kind == "agent_replied":
            return agent_lines(attempt, self.redact, brief=True)
        if event.kind == "validated":
            return validation_lines(attempt, self.redact, brief=True)[1:]  # the line says it
        return []
