"""What phase 3's evidence means for an attempt: its findings and their severity."""

from __future__ import annotations

from bot.config import ValidationConfig
from bot.evidence.findings import findings_of
from bot.state import Evidence, Mutant, SuiteCounts
from bot.validation.diff import Change, FileChange

ADDED = Change("b", "h", [FileChange("tests/test_a.py", "added", added={1: "x"})])
CFG = ValidationConfig()


def mutant(line: int, *, killed: bool | None) -> Mutant:
    return Mutant(
        file="src/a.py",
        line=line,
        operator="return",
        before="return x",
        after="return None",
        killed=killed,
    )


def evidence(**fields: object) -> Evidence:
    base = {
        "tests": SuiteCounts(passed=3),
        "base_tests": SuiteCounts(passed=2),
        "new_tests": ["tests/test_a.py"],
        "under_test": ["src/a.py"],
    }
    return Evidence.model_validate({**base, **fields})


def rules(found: Evidence) -> list[tuple[str, str]]:
    return [(f.rule, f.severity) for f in findings_of(found, ADDED, CFG)]


def test_tests_that_grew_and_noticed_every_mutant_have_no_finding() -> None:
    assert rules(evidence(mutants=[mutant(1, killed=True)])) == []


def test_new_test_files_with_no_more_tests_run_are_not_collected() -> None:
    assert rules(evidence(tests=SuiteCounts(passed=2))) == [("evidence.not_collected", "major")]


def test_counts_that_cannot_be_read_are_said() -> None:
    assert rules(evidence(tests=None)) == [("evidence.uncounted", "minor")]


def test_more_skipped_tests_are_a_minor_finding() -> None:
    found = evidence(tests=SuiteCounts(passed=3, skipped=2), base_tests=SuiteCounts(passed=2))
    assert rules(found) == [("evidence.skipped", "minor")]


def test_survivors_are_major_below_min_kill_and_minor_at_it() -> None:
    half = [mutant(1, killed=True), mutant(2, killed=False)]
    assert rules(evidence(mutants=half)) == [("evidence.survived", "minor")]
    most = [*half, mutant(3, killed=False)]
    assert rules(evidence(mutants=most)) == [("evidence.survived", "major")] * 2
    # Only a major one says the other way out: tests for other code than the survivors'.
    minor, major = (
        findings_of(evidence(mutants=m), ADDED, CFG)[0].hint or "" for m in (half, most)
    )
    assert "min_kill" not in minor
    assert major.endswith(
        "; if the line is not what the ticket's tests are for, name only the code they test in "
        "its files, or lower validation.evidence.min_kill"
    )


def test_mutants_not_tried_count_for_nothing() -> None:
    found = evidence(mutants=[mutant(1, killed=True), mutant(2, killed=None)])
    assert rules(found) == []
    assert found.summary() == "+1 test, 1 of 1 mutants noticed"


def test_no_new_line_covered_is_a_minor_finding() -> None:
    found = evidence(covered={"src/a.py": 5}, base_covered={"src/a.py": 5})
    assert rules(found) == [("evidence.no_coverage", "minor")]
    assert rules(evidence(covered={"src/a.py": 6}, base_covered={"src/a.py": 5})) == []


def test_a_sabotage_that_did_not_run_says_why() -> None:
    found = evidence(not_tried="the tests fail when run alone")
    assert rules(found) == [("evidence.not_tried", "minor")]
