"""A run of Baton's workflow as the Actions API sees it: what a lease holder's run and the
`Jobs` port (`bot.handover`) tell each other, plain data that knows nothing of the chain state."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RunSeen:
    """What the Actions API says of a run now: its status (queued, in_progress, completed, ...)
    and the attempt it is at (a re-run is a new attempt of the same run)."""

    status: str
    attempt: int
    conclusion: str | None = None
