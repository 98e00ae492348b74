"""The reliability suite keeps a tally, printed at the end of the run: bad inputs tried, faults
injected, crash points survived, secrets planted and found. Each test adds what it did."""

from __future__ import annotations

from collections import Counter

import pytest

KINDS = {
    "bad_inputs": "bad inputs tried",
    "faults": "faults injected",
    "crash_points": "crash points survived",
    "secrets_planted": "secrets planted",
    "secrets_found": "secrets found and redacted",
    "trust_refusals": "untrusted triggers refused",
    "lost_or_duplicated": "writes lost or duplicated",
}
_TALLY: Counter[str] = Counter()


class Tally:
    def add(self, kind: str, count: int = 1) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown tally {kind!r}; one of {', '.join(KINDS)}")
        _TALLY[kind] += count


@pytest.fixture
def tally() -> Tally:
    return Tally()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _TALLY:
        return
    terminalreporter.section("reliability tally")
    for kind, label in KINDS.items():
        terminalreporter.write_line(f"{label}: {_TALLY[kind]}")
