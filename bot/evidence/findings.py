"""What phase 3's evidence means for the attempt: its findings, plain data rendered elsewhere.
Major findings go back to the agent as a correction, as phase 2's do."""

from __future__ import annotations

from bot.config import ValidationConfig
from bot.evidence.files import added_tests
from bot.state import Evidence, Finding, Mutant, SuiteCounts
from bot.validation.diff import Change

# Findings about Baton's configuration, not the agent's work: never in a prompt to the agent.
SETUP_RULES = frozenset({"evidence.report", "evidence.uncounted"})


def findings_of(evidence: Evidence, change: Change, cfg: ValidationConfig) -> list[Finding]:
    return [
        *_collected(evidence, change, cfg),
        *_sabotaged(evidence, cfg),
        *_covered(evidence),
    ]


def not_collected(
    change: Change, cfg: ValidationConfig, now: SuiteCounts | None, base: SuiteCounts | None
) -> list[str]:
    """The test files the change created, when the suite runs no more tests than at the base:
    none of them was collected. Empty when the counts are unknown."""
    if now is None or base is None or now.run > base.run:
        return []
    return added_tests(change, cfg.evidence.test_files)


def _collected(evidence: Evidence, change: Change, cfg: ValidationConfig) -> list[Finding]:
    now, base = evidence.tests, evidence.base_tests
    if now is None or base is None:
        return [
            Finding(
                rule="evidence.uncounted",
                severity="minor",
                message="Baton cannot tell how many tests ran, so it cannot see the new ones run",
                hint="make the test command write JUnit XML and name it in validation.junit",
            )
        ]
    out = []
    created = not_collected(change, cfg, now, base)
    if created:
        names = ", ".join(f"`{p}`" for p in created)
        out.append(
            Finding(
                rule="evidence.not_collected",
                severity="major",
                message=(
                    f"the new tests are not collected: the change adds {names} but the tests "
                    f"run went from {base.run} to {now.run}"
                ),
                file=created[0],
                hint="name and place the tests as the runner finds them, and check they run",
            )
        )
    if now.skipped > base.skipped:
        out.append(
            Finding(
                rule="evidence.skipped",
                severity="minor",
                message=f"{now.skipped - base.skipped} more test(s) skipped than before the change",
                hint="make the new tests run, or say in the summary why they must be skipped",
            )
        )
    return out


def _sabotaged(evidence: Evidence, cfg: ValidationConfig) -> list[Finding]:
    if evidence.not_tried:
        return [
            Finding(
                rule="evidence.not_tried",
                severity="minor",
                message=f"the sabotage check did not run: {evidence.not_tried}",
                hint="see README, Evidence",
            )
        ]
    tried = evidence.tried
    if not tried:
        return []
    killed = evidence.killed
    low = killed / len(tried) < cfg.evidence.min_kill
    return [_survivor(m, killed, len(tried), low) for m in tried if not m.killed]


def _survivor(mutant: Mutant, killed: int, tried: int, low: bool) -> Finding:
    return Finding(
        rule="evidence.survived",
        severity="major" if low else "minor",
        message=(
            f"the tests still pass with `{mutant.before}` changed to `{mutant.after}` "
            f"({mutant.operator}; {killed} of {tried} mutants noticed)"
        ),
        file=mutant.file,
        line=mutant.line,
        hint="assert on what this line does (its result, status or effect), calling the real code "
        "rather than a mock of it"
        + (
            "; if the line is not what the ticket's tests are for, name only the code they test in "
            "its files, or lower validation.evidence.min_kill"
            if low
            else ""
        ),
    )


def _covered(evidence: Evidence) -> list[Finding]:
    coverage = evidence.coverage
    if coverage is None or coverage[1] > coverage[0]:
        return []
    before, after = coverage
    return [
        Finding(
            rule="evidence.no_coverage",
            severity="minor",
            message=(
                f"the new tests cover no new line of the code under test ({before} lines "
                f"before, {after} after)"
            ),
            hint="test the code the ticket names",
        )
    ]
