"""The console: one line per ticket event as it happens, and the chain's table at the end."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bot.notify import Event
from bot.redact import Redactor
from bot.state import ChainState

_STYLE = {
    "passed": "green",
    "blocked": "bold red",
    "skipped": "yellow",
    "correcting": "yellow",
    "recovering": "magenta",
    "chain_finished": "bold",
    "handed_over": "cyan",
}


class ConsoleNotifier:
    def __init__(
        self, console: Console | None = None, redact: Callable[[str], str] | None = None
    ) -> None:
        self.console = console or Console(stderr=True, highlight=False)
        # The console is a log too (in Actions, a public one): secrets never reach it.
        self.redact = redact or Redactor()

    def notify(self, event: Event) -> None:
        style = _STYLE.get(
            event.kind, "dim" if event.kind in {"prompt_sent", "agent_replied"} else ""
        )
        when = datetime.now().strftime("%H:%M:%S")
        who = f"{event.chain}/{event.ticket}" if event.ticket else event.chain
        label = event.kind.replace("_", " ")
        self.console.print(
            # Ticket keys and messages are untrusted text: printed as text, never as markup.
            f"[dim]{when}[/] {escape(f'{who:<28}')} [{style or 'default'}]{label:<15}[/] "
            f"{escape(self.redact(event.message))}",
            markup=True,
            soft_wrap=True,
        )


def chain_table(chain: ChainState, redact: Callable[[str], str] | None = None) -> Table:
    clean = redact or Redactor()
    table = Table(title=f"chain {chain.name} on {chain.branch}", title_justify="left")
    for column in ("ticket", "status", "attempts", "corrections", "time", "result"):
        table.add_column(column, no_wrap=column != "result")
    for t in chain.tickets.values():
        seconds = sum(
            (a.agent.duration_s if a.agent else 0)
            + (a.validation.command.duration_s if a.validation and a.validation.command else 0)
            for a in t.attempts
        )
        last = t.last
        result = t.reason or (last.validation.summary() if last and last.validation else "")
        style = _STYLE.get(t.status, "")
        table.add_row(
            escape(t.key),
            f"[{style}]{t.status}[/]" if style else t.status,
            str(len(t.attempts)),
            str(t.corrections),
            f"{seconds:.1f}s",
            escape(clean(result)),
        )
    return table
