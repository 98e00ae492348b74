"""The order a chain is worked in: dependencies first, then the order the tickets were written;
and the dependency cycles, which block their own tickets and nothing else."""

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
    order, waiting = _sorted(tickets)
    if len(order) < len(tickets):
        # Tickets left waiting are on a cycle or wait for one; name only those on a cycle.
        cycle = [i for i, deps in enumerate(waiting) if deps and _reaches(waiting, i, i)]
        raise ChainError(
            f"dependency cycle among tickets {', '.join(str(tickets[i].key) for i in cycle)}",
            hint="remove one of their depends_on entries",
        )
    return order


def plan_order(tickets: Sequence[Ticket]) -> list[Ticket]:
    """`work_order`, never refusing: the tickets on a cycle, or waiting for one, come last in the
    order they were written (the plan blocks them; the chain's other tickets are worked)."""
    order, _ = _sorted(tickets)
    placed = set(map(id, order))
    return [*order, *(t for t in tickets if id(t) not in placed)]


def cycles(tickets: Sequence[Ticket]) -> dict[str, tuple[str, ...]]:
    """Each ticket on a dependency cycle, and its cycle as keys in the order they depend on each
    other, back to the first (`("#4", "#9", "#4")`). Tickets waiting for a cycle are not on it."""
    _, waiting = _sorted(tickets)
    found: dict[str, tuple[str, ...]] = {}
    for i, ticket in enumerate(tickets):
        key = ticket.key
        if key is None or key in found or not waiting[i] or not _reaches(waiting, i, i):
            continue
        path = _path(waiting, i)
        keys = tuple(str(tickets[j].key) for j in path)
        for j in path:
            found.setdefault(str(tickets[j].key), (*keys, keys[0]))
    return found


def _sorted(tickets: Sequence[Ticket]) -> tuple[list[Ticket], list[set[int]]]:
    """The tickets that can be ordered, in order, and what each ticket still waits for."""
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
    return order, waiting


def _path(waiting: list[set[int]], start: int) -> list[int]:
    """A shortest way from `start` along its dependencies back to itself (it is on a cycle)."""
    came_from: dict[int, int] = {}
    todo = [start]
    while todo:
        node = todo.pop(0)
        for dep in sorted(waiting[node]):
            if dep == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return path[::-1]
            if dep not in came_from:
                came_from[dep] = node
                todo.append(dep)
    return [start]


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
