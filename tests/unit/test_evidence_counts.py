"""The counts a runner's summary gives, as the runners print them."""

from __future__ import annotations

import pytest

from bot.evidence.counts import counts_in_output
from bot.state import SuiteCounts

CASES = {
    "pytest": (
        "==== 3 passed, 1 failed, 2 skipped in 0.12s ====",
        SuiteCounts(passed=3, failed=1, skipped=2),
    ),
    "pytest errors": ("= 1 failed, 4 passed, 2 errors in 1.0s =", SuiteCounts(passed=4, failed=3)),
    "pytest none": ("============ no tests ran in 0.01s ============", SuiteCounts()),
    # No test, and a warning (a cache it could not write, say): the summary says only that.
    "pytest none, warned": ("=========== 1 warning in 0.69s ===========", SuiteCounts()),
    "pytest -q none, warned": ("2 warnings in 0.7s", SuiteCounts()),
    "pytest some, warned": ("3 passed, 1 warning in 0.7s", SuiteCounts(passed=3)),
    "unittest ok": ("...\n-----\nRan 3 tests in 0.001s\n\nOK", SuiteCounts(passed=3)),
    "unittest failed": (
        "Ran 5 tests in 0.001s\n\nFAILED (failures=1, errors=1, skipped=1)",
        SuiteCounts(passed=2, failed=2, skipped=1),
    ),
    "unittest skipped": (
        "Ran 4 tests in 0.002s\n\nOK (skipped=1)",
        SuiteCounts(passed=3, skipped=1),
    ),
    "unittest none": ("Ran 0 tests in 0.000s\n\nNO TESTS RAN", SuiteCounts()),
    "node": (
        "\N{INFORMATION SOURCE} tests 6\n\N{INFORMATION SOURCE} suites 0\n\N{INFORMATION SOURCE} pass 3\n\N{INFORMATION SOURCE} fail 1\n\N{INFORMATION SOURCE} cancelled 0\n\N{INFORMATION SOURCE} skipped 1\n\N{INFORMATION SOURCE} todo 1\n"
        "\N{INFORMATION SOURCE} duration_ms 48.2",
        SuiteCounts(passed=3, failed=1, skipped=2),
    ),
    "node tap": ("# tests 2\n# pass 2\n# fail 0", SuiteCounts(passed=2)),
    "jest": (
        "Test Suites: 1 failed, 2 passed, 3 total\nTests:       1 failed, 9 passed, 10 total",
        SuiteCounts(passed=9, failed=1),
    ),
    "rspec": ("5 examples, 1 failure, 2 pending", SuiteCounts(passed=2, failed=1, skipped=2)),
    "mocha": (
        "  3 passing (5ms)\n  1 failing\n  2 pending",
        SuiteCounts(passed=3, failed=1, skipped=2),
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_counts_as_runners_print_them(name: str) -> None:
    output, expected = CASES[name]
    assert counts_in_output(output) == expected


def test_output_without_a_summary_has_no_counts() -> None:
    assert counts_in_output("compiling...\ndone") is None
    assert counts_in_output("ok  \texample.com/shop\t0.012s\n") is None  # go test


def test_only_the_last_lines_count() -> None:
    early = "Ran 99 tests in 1s\n" + "noise\n" * 40
    assert counts_in_output(early + "Ran 2 tests in 0.1s\n\nOK") == SuiteCounts(passed=2)
    assert counts_in_output(early) is None
