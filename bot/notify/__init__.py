"""Notifiers: where chain and ticket events go (console, Slack, the GitHub job summary)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal, Protocol

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
]


@dataclass(frozen=True)
class Event:
    kind: EventKind
    chain: str
    message: str
    ticket: str | None = None


class Notifier(Protocol):
    def notify(self, event: Event) -> None: ...


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
