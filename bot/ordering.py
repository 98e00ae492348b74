"""The order a chain is worked in: dependencies first, then the order the tickets were written."""

from __future__ import annotations

import heapq
from collections.abc import Sequence

from bot.errors import ChainError
from bot.tickets import Ticket


def work_order(tickets: Sequence[Ticket]) -> list[Ticket]:
    """Dependencies first; among tickets that are ready, the earliest written (a stable topological
    sort). Dependencies on tickets outside the chain are ignored here: they are checked elsewhere.
    Raises ChainError naming the tickets of a cycle."""
    position = {t.key: i for i, t in enumerate(tickets)}
    waiting = {t.key: {d for d in t.depends_on if d in position} for t in tickets}
    dependents: dict[str | None, list[str | None]] = {t.key: [] for t in tickets}
    for t in tickets:
        for dep in waiting[t.key]:
            dependents[dep].append(t.key)
    ready = [position[k] for k, deps in waiting.items() if not deps]
    heapq.heapify(ready)
    order: list[Ticket] = []
    while ready:
        ticket = tickets[heapq.heappop(ready)]
        order.append(ticket)
        for child in dependents[ticket.key]:
            waiting[child].discard(ticket.key)
            if not waiting[child]:
                heapq.heappush(ready, position[child])
    if len(order) < len(tickets):
        stuck = sorted((k for k, deps in waiting.items() if deps), key=lambda k: position[k])
        raise ChainError(
            f"dependency cycle among tickets {', '.join(str(k) for k in stuck)}",
            hint="remove one of their depends_on entries",
        )
    return order
