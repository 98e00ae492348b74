"""The reliability tally: bad inputs tried, faults injected, crash points survived, secrets planted
and found. Each test adds what it did; the end of the run prints the sum (tests/conftest.py), over
every worker when the suite runs in parallel."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

KINDS = {
    "bad_inputs": "bad inputs tried",
    "faults": "faults injected",
    "crash_points": "crash points survived",
    "secrets_planted": "secrets planted",
    "secrets_found": "secrets found and redacted",
    "trust_refusals": "untrusted triggers refused",
    "lost_or_duplicated": "writes lost or duplicated",
}
# This process's counts: a worker's, or, after the workers are done, the whole run's.
COUNTS: Counter[str] = Counter()


class Tally:
    def add(self, kind: str, count: int = 1) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown tally {kind!r}; one of {', '.join(KINDS)}")
        COUNTS[kind] += count


def merge(counts: Mapping[str, int]) -> None:
    """Add a worker's counts to this process's."""
    COUNTS.update(counts)


def lines() -> list[str]:
    """The tally as printed, or nothing when no test added to it."""
    if not COUNTS:
        return []
    return [f"{label}: {COUNTS[kind]}" for kind, label in KINDS.items()]
