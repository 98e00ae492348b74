"""The plan checks of a chain's order: its dependencies form no cycle, and two tickets that change
the same file are ordered by a dependency (directly or through other tickets), so that the second
works on the first's result instead of beside it."""

from __future__ import annotations

from bot.errors import Problem
from bot.globs import is_glob, matches_any
from bot.ordering import cycles
from bot.planning.drafted import Drafted


def dependency_cycles(drafted: Drafted) -> list[Problem]:
    """One line per cycle, on the depends_on of its first ticket in the file."""
    position = {str(t.key): i for i, t in enumerate(drafted.tickets)}
    found, seen = [], set()
    for cycle in cycles(drafted.tickets).values():
        if frozenset(cycle) in seen:
            continue
        seen.add(frozenset(cycle))
        shown = " → ".join(f"`{key}`" for key in cycle)
        message = f"{shown} is a dependency cycle; remove one of these depends_on entries"
        found.append(drafted.problem(position[cycle[0]], ("depends_on",), message))
    return sorted(found, key=lambda p: p.line or 0)


def unordered_overlaps(drafted: Drafted) -> list[Problem]:
    """Pairs of tickets that change a file in common with no dependency between them, on the
    depends_on of the later one."""
    found = []
    tickets = drafted.tickets
    for b in range(len(tickets)):
        for a in range(b):
            if drafted.ordered(a, b):
                continue
            shared = _shared(drafted, a, b)
            if shared:
                first, second = tickets[a].key, tickets[b].key
                message = (
                    f"`{first}` and `{second}` both change `{shared}` and neither depends on the "
                    f"other; add `{first}` to the depends_on of `{second}` (or the other way round)"
                )
                found.append(drafted.problem(b, ("depends_on",), message))
    return found


def _shared(drafted: Drafted, a: int, b: int) -> str | None:
    """A file both tickets change, the first by name, or None. A new file one names and the
    other's glob or directory covers is shared too."""
    common = drafted.changed(a) & drafted.changed(b)
    scopes = (drafted.tickets[a].scope, drafted.tickets[b].scope)
    for mine, theirs in (scopes, scopes[::-1]):
        common |= {p for p in mine if not is_glob(p) and matches_any(p, theirs)}
    return min(common) if common else None
