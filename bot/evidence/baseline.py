"""The suite as a ticket found it, where the chain already measured it: an earlier attempt of
the ticket (same base), or the validation that made its base (the ticket before it)."""

from __future__ import annotations

from bot.evidence.measures import Measures
from bot.state import ChainState


def known_baseline(state: ChainState, key: str) -> Measures | None:
    ticket = state.tickets[key]
    for attempt in reversed(ticket.attempts):
        found = attempt.validation.evidence if attempt.validation else None
        if found and found.base_tests is not None:
            return Measures(found.base_tests, found.base_covered)
    for other in state.tickets.values():
        for attempt in other.attempts:
            v = attempt.validation
            if v and v.commit == ticket.base_commit and v.evidence and v.evidence.tests:
                return Measures(v.evidence.tests, v.evidence.covered)
    return None
