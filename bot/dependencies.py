"""Dependencies between chains and on issues outside them (GitHub mode), decided in pure code.

An issue alone is a chain of its own (`issue-N`), so `Depends on #9` often names a ticket of
another chain, or an issue Baton does not work at all. The ticket waits: until the other chain's
ticket passed, or until the issue is closed as done. A dependency that will never be met (blocked
or skipped elsewhere, closed as not planned, no such issue) skips the ticket, saying why; tickets
depending on each other across chains are a cycle, and each is blocked naming it.

What Baton asks GitHub for this is one conditional GET per issue that no chain holds: free while
the issue is unchanged.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping, Sequence

from bot.chain import Outside
from bot.chain_file import ChainFile
from bot.forge.names import issue_number
from bot.ordering import cycles
from bot.state import ChainState

# `open`, `closed` (done) or `not_planned` for an issue of the repository; None: no such issue.
IssueState = Callable[[int], str | None]

_NEVER = {"not_planned": "was closed as not planned", None: "is no issue of this repository"}


def dependencies_first(chains: Sequence[ChainFile]) -> list[ChainFile]:
    """The chains, those whose tickets others wait for first, then by name: a run that passes a
    ticket starts the chains waiting for it in the same run. Chains on a cycle keep name order."""
    owner = {str(t.key): c.name for c in chains for t in c.tickets}
    needs = {
        c.name: {
            owner[d] for t in c.tickets for d in t.depends_on if owner.get(d, c.name) != c.name
        }
        for c in chains
    }
    by_name = {c.name: c for c in chains}
    ready = [name for name, deps in needs.items() if not deps]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        name = heapq.heappop(ready)
        order.append(name)
        for other, deps in needs.items():
            if name in deps:
                deps.discard(name)
                if not deps:
                    heapq.heappush(ready, other)
    order += sorted(set(by_name) - set(order))
    return [by_name[name] for name in order]


def outside_of(
    chain: ChainFile,
    chains: Sequence[ChainFile],
    states: Mapping[str, ChainState],
    issue_state: IssueState,
) -> Outside:
    """What `chain`'s plan needs to know beyond its own tickets: which dependencies outside it are
    met or never will be, and its tickets on a cycle through other chains. `chains`: every chain
    of this run; `states`: the chains' states as they are now."""
    own = {str(t.key) for t in chain.tickets}
    elsewhere = {str(t.key) for c in chains if c.name != chain.name for t in c.tickets}
    status = {
        key: t.status
        for s in states.values()
        if s.name != chain.name
        for key, t in s.tickets.items()
    }
    met: set[str] = set()
    stopped: dict[str, str] = {}
    for dep in sorted({d for t in chain.tickets for d in t.depends_on} - own):
        if dep in status:
            if status[dep] == "passed":
                met.add(dep)
            elif status[dep] in {"blocked", "skipped"}:
                stopped[dep] = f"is {status[dep]} in its chain"
        elif dep not in elsewhere:
            number = issue_number(dep)
            found = issue_state(number) if number is not None else None
            if found == "closed":
                met.add(dep)
            elif found != "open":
                stopped[dep] = _NEVER[found]
    everything = [t for c in chains for t in c.tickets]
    on_cycles = {key: cycle for key, cycle in cycles(everything).items() if key in own}
    return Outside(met=frozenset(met), stopped=stopped, cycles=on_cycles)
