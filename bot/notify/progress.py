"""The live line at the foot of a terminal while a chain runs: the chain, which ticket of how
many, the phase (the agent, or the tests and review), how long it has lasted and the last line
the running command wrote (an agent CLI that streams, the tests), redrawn every second by rich. Nothing of it when the output is not a terminal (a log, CI): there the event
lines say it all."""

from __future__ import annotations

import atexit
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from rich.console import Console
from rich.live import Live
from rich.text import Text

from bot.activity import last_line
from bot.notify import Event
from bot.render.terminal import one_line

PHASES = {"prompt_sent": "agent", "agent_replied": "tests and review"}
LAST_WIDTH = 80  # characters of the running command's last line


@dataclass
class Progress:
    """Where the chain is, as the events tell it."""

    chain: str = ""
    ticket: str | None = None
    number: int = 0
    total: int = 0
    phase: str | None = None
    since: float = field(default_factory=time.monotonic)
    redact: Callable[[str], str] = str  # the command's output may hold a secret

    def follow(self, event: Event) -> None:
        self.chain = event.chain
        if event.state is not None:
            keys = list(event.state.tickets)
            self.total = len(keys)
            if event.ticket in keys:
                self.ticket, self.number = event.ticket, keys.index(event.ticket) + 1
        phase = PHASES.get(event.kind)
        if phase != self.phase:
            self.phase, self.since = phase, time.monotonic()

    def line(self, now: float) -> str:
        """The live line, at monotonic time `now`."""
        if self.ticket is None:
            where = f"{self.chain} · {self.total} ticket(s)"
        else:
            where = f"{self.chain} · ticket {self.number} of {self.total} ({one_line(self.ticket)})"
        if self.phase is None:
            return where
        seconds = int(now - self.since)
        line = f"{where} · {self.phase} · {seconds // 60}:{seconds % 60:02d}"
        said = last_line()
        return f"{line} · {one_line(self.redact(said))[:LAST_WIDTH]}" if said else line


class _Line:
    """A renderable that reads the time when rich draws it: the clock moves between events."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress

    def __rich__(self) -> Text:
        return Text(self.progress.line(time.monotonic()), style="bold cyan")


class LiveProgress:
    """The live line on `console`, shown from a chain's first event to its end; a no-op when
    the console is not a terminal."""

    def __init__(self, console: Console, redact: Callable[[str], str]) -> None:
        self.console = console
        self.progress = Progress(redact=redact)
        self._live: Live | None = None

    def follow(self, event: Event) -> None:
        if not self.console.is_interactive:  # a terminal a person watches (rich's own test)
            return
        self.progress.follow(event)
        if event.kind in {"chain_finished", "handed_over"}:
            self.stop()
        elif self._live is None:
            self._live = Live(
                _Line(self.progress), console=self.console, refresh_per_second=1, transient=True
            )
            self._live.start()
            atexit.register(self.stop)  # a run stopped by an error leaves no line behind

    def stop(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
