"""Notifiers: where chain and ticket events go (console, Slack, the GitHub job summary)."""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from bot.state import ChainState

EventKind = Literal[
    "chain_started",
    "prompt_sent",
    "agent_replied",
    "validated",
    "passed",
    "correcting",
    "recovering",
    "blocked",
    "skipped",
    "chain_finished",
    "handed_over",
]


@dataclass(frozen=True)
class Event:
    """What happened, plus what a rich notifier (Slack) shows beside it; all but the first three
    are optional, so a plain one-line event stays a one-liner."""

    kind: EventKind
    chain: str
    message: str
    ticket: str | None = None
    title: str | None = None  # the ticket's title
    attempts: int | None = None  # attempts made on the ticket so far
    details: str | None = None  # e.g. the last validation's summary
    url: str | None = None  # a pull request the agent opened, if it said so
    report: str | None = None  # the chain's report, a path in the repository
    # The chain as it is now: a notifier may read it, and may record in it what it needs to find
    # its own messages again (it is saved with the next state save).
    state: ChainState | None = field(default=None, compare=False, repr=False)


class Notifier(Protocol):
    def notify(self, event: Event) -> None: ...


@runtime_checkable
class Flushing(Protocol):
    """A notifier that delivers off the chain's path (bot.notify.sender)."""

    def flush(self, timeout: float) -> list[str]:
        """Deliver what is queued within `timeout` seconds; what was not delivered."""
        ...


class Notifiers:
    """Fans an event out to every configured notifier; one failing never stops the others."""

    def __init__(self, notifiers: list[Notifier]) -> None:
        self.notifiers = notifiers

    def notify(self, event: Event) -> None:
        for notifier in self.notifiers:
            try:
                notifier.notify(event)
            except Exception:  # a notifier must never sink the chain
                logging.getLogger(__name__).exception("notify.failed", extra={"event": event.kind})

    def flush(self, timeout: float) -> list[str]:
        """The run's one wait for its notifiers, `timeout` seconds at most for them all; what
        was not delivered is named in one line."""
        deadline = time.monotonic() + timeout
        undelivered: list[str] = []
        for notifier in self.notifiers:
            if isinstance(notifier, Flushing):
                undelivered += notifier.flush(max(0.0, deadline - time.monotonic()))
        if undelivered:
            counts = Counter(undelivered)
            what = "; ".join(f"{n}x {w}" if n > 1 else w for w, n in counts.items())
            logging.getLogger(__name__).warning(
                "notify.undelivered",
                extra={
                    "count": len(undelivered),
                    "what": what,
                    "fix": "the lines above say why; notify.slack.flush_seconds waits longer",
                },
            )
        return undelivered
