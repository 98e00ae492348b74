"""How many tests a run ran, passed, failed and skipped: from its JUnit XML when the run writes
one (`validation.junit`), else from the summary its runner prints at the end."""

from __future__ import annotations

import re

from bot.state import SuiteCounts

# The last lines of a run: pytest `3 passed, 1 failed, 2 skipped`, unittest `Ran 5 tests` then
# `FAILED (failures=1, errors=2, skipped=1)` or `OK (skipped=1)`, node's test runner `pass 3` after
# its info sign
# (TAP `# pass 3`), jest `Tests: 1 failed, 3 passed, 4 total`, mocha `3 passing`, vitest
# `Tests  3 passed | 1 failed`, rspec `5 examples, 1 failure, 2 pending`.
_PASSED = "passed|passing|pass"
_FAILED = "failed|failing|fail|failures?|errors?|cancelled"
_SKIPPED = "skipped|pending|todo|xfailed|deselected"
_WORD = rf"{_PASSED}|{_FAILED}|{_SKIPPED}|tests?|examples?|xpassed"
_COUNT = re.compile(
    rf"\b(?P<n>\d+) (?P<w>{_WORD})\b"
    rf"|\b(?P<w2>{_WORD})=(?P<n2>\d+)"
    rf"|^\s*(?:\u2139|#) (?P<w3>{_WORD}) (?P<n3>\d+)\s*$"
    r"|\bRan (?P<n4>\d+) tests?\b"
)
# pytest's summary holds nothing but its warnings when no test ran (`1 warning in 0.69s`, exit 5).
_NONE_RAN = re.compile(
    r"\bno tests ran\b|\bRan 0 tests\b|^[\s=]*\d+ warnings? in \d[\d.]*s\b",
    re.IGNORECASE | re.MULTILINE,
)
_LAST_LINES = 15


def counts_in_output(output: str) -> SuiteCounts | None:
    """The counts the run's last lines give, or None when they give none."""
    lines = output.splitlines()[-_LAST_LINES:]
    total: int | None = None
    # By word, the last one winning (jest's `Tests:` line follows its `Test Suites:` line);
    # then by kind, summed (unittest's `failures=1, errors=2`, node's `skipped` and `todo`).
    words: dict[str, int] = {}
    for line in lines:
        for m in _COUNT.finditer(line):
            if m["n4"] is not None:
                total = int(m["n4"])
                continue
            word = (m["w"] or m["w2"] or m["w3"]).lower().removesuffix("s")
            words[word] = int(m["n"] or m["n2"] or m["n3"])
    found: dict[str, int] = {}
    for word, number in words.items():
        kind = _kind(word)
        if kind == "total":
            total = number
        elif kind:
            found[kind] = found.get(kind, 0) + number
    if not found and total is None:
        return SuiteCounts() if _NONE_RAN.search("\n".join(lines)) else None
    failed, skipped = found.get("failed", 0), found.get("skipped", 0)
    passed = found.get("passed")
    if passed is None:
        passed = max((total or 0) - failed - skipped, 0)
    return SuiteCounts(passed=passed, failed=failed, skipped=skipped)


def _kind(word: str) -> str | None:
    for kind, words in (("passed", _PASSED), ("failed", _FAILED), ("skipped", _SKIPPED)):
        if re.fullmatch(words, word) or re.fullmatch(words, word + "s"):
            return kind
    return "total" if word in ("test", "example") else None
