"""The order a chain is worked in: dependencies first, then the order the tickets were written."""

from __future__ import annotations

import heapq
from collections.abc import Sequence

from bot.errors import ChainError
from bot.tickets import Ticket


def work_order(tickets: Sequence[Ticket]) -> list[Ticket]:
    """Dependencies first; among tickets that are ready, the earliest written (a stable topological
    sort). Dependencies on tickets outside the chain are ignored here: they are checked elsewhere.
    Tickets are told apart by position, so tickets without a key keep their place.
    Raises ChainError naming the tickets of a cycle."""
    position: dict[str, int] = {}
    for i, ticket in enumerate(tickets):
        if ticket.key is not None:
            position.setdefault(ticket.key, i)
    waiting = [{position[d] for d in t.depends_on if d in position} for t in tickets]
    dependents: list[list[int]] = [[] for _ in tickets]
    for i, deps in enumerate(waiting):
        for dep in deps:
            dependents[dep].append(i)
    ready = [i for i, deps in enumerate(waiting) if not deps]
    heapq.heapify(ready)
    order: list[Ticket] = []
    while ready:
        done = heapq.heappop(ready)
        order.append(tickets[done])
        for child in dependents[done]:
            waiting[child].discard(done)
            if not waiting[child]:
                heapq.heappush(ready, child)
    if len(order) < len(tickets):
        # Tickets left waiting are on a cycle or wait for one; name only those on a cycle.
        cycle = [i for i, deps in enumerate(waiting) if deps and _reaches(waiting, i, i)]
        raise ChainError(
            f"dependency cycle among tickets {', '.join(str(tickets[i].key) for i in cycle)}",
            hint="remove one of their depends_on entries",
        )
    return order


def _reaches(waiting: list[set[int]], start: int, goal: int) -> bool:
    seen: set[int] = set()
    todo = list(waiting[start])
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            todo.extend(waiting[node])
    return False
