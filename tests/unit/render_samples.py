"""A chain whose tickets, agents and findings say hostile things, for the rendering snapshots:
column breaks, line breaks, backticks and fences, workflow commands, HTML, links and mentions,
and text longer than any limit. Fixed times, so every rendering is the same on every run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.state import (
    AgentResult,
    Attempt,
    AttemptKind,
    ChainState,
    CommandResult,
    Evidence,
    Finding,
    Mutant,
    Session,
    SuiteCounts,
    TicketState,
    Validation,
)

T0 = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
SECRET = "s3cret-value-for-tests"

HOSTILE = (
    "a | b\nsecond line\r\nthird `tick` ```fence``` 100% done ::error::forged, "
    "a:b <b>bold</b> & [link](https://evil.example) @everyone <!channel>"
)
LONG = "long " * 70  # past a table cell's limit and a check run name's


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


FINDINGS = [
    Finding(
        rule="no-mocks",
        severity="major",
        file="tests/test_app.py",
        line=3,
        message=HOSTILE,
        hint="use `make_client` | never | mocks",
    ),
    Finding(
        rule="naming",
        severity="minor",
        file="src/`odd`|name.py",
        message=f"leaks {SECRET} and ends with a backtick `",
    ),
    Finding(rule="size", severity="minor", message="the change is large\n\n# not a heading"),
    Finding(rule="long", severity="major", file="src/long.py", line=9, message=LONG),
]


# Phase 3 of a passed attempt: tests added, mutants noticed (one survived), coverage grown.
def _mutant(line: int, operator: str, before: str, after: str, *, killed: bool) -> Mutant:
    outcome = "tests failed" if killed else "tests passed"
    return Mutant(
        file="src/app.py",
        line=line,
        operator=operator,
        before=before,
        after=after,
        killed=killed,
        outcome=outcome,
    )


EVIDENCE = Evidence(
    tests=SuiteCounts(passed=12, skipped=1),
    base_tests=SuiteCounts(passed=8, skipped=1),
    new_tests=["tests/test_app.py"],
    under_test=["src/app.py"],
    mutants=[
        _mutant(4, "comparison", "a < b", "a >= b", killed=True),
        _mutant(7, "return", "return x", "return None", killed=True),
        _mutant(9, "delete", HOSTILE.splitlines()[0], "pass", killed=False),
    ],
    covered={"src/app.py": 40, "src/other.py": 3},
    base_covered={"src/app.py": 25},
    duration_s=3.5,
)


def attempt(
    number: int,
    kind: AttemptKind,
    start: float,
    *,
    passed: bool,
    findings: list[Finding] | None = None,
    error: str | None = None,
) -> Attempt:
    if error is not None:
        return Attempt(
            number=number,
            kind=kind,
            session=1,
            started_at=at(start),
            agent=AgentResult(ok=False, error=error, duration_s=12.0),
            finished_at=at(start + 12),
        )
    tail = "" if passed else f"FAILED test_app.py | {HOSTILE}\n```\n# after a fence\n"
    command = CommandResult(
        command="pytest -q `tests`", exit_code=0 if passed else 1, duration_s=2.5, tail=tail
    )
    return Attempt(
        number=number,
        kind=kind,
        session=1,
        started_at=at(start),
        agent=AgentResult(ok=True, summary="done", duration_s=30.0, cost_usd=0.25),
        commit=f"{number}" * 40,
        validation=Validation(
            commit=f"{number}" * 40,
            changed_files=["tests/test_app.py"],
            command=command,
            findings=findings or [],
            evidence=EVIDENCE if passed else None,
            finished_at=at(start + 40),
        ),
        finished_at=at(start + 40),
    )


def chain(*, finished: bool = True) -> ChainState:
    """Four tickets: passed after a correction, correcting, blocked by an agent's error, and
    skipped; every title and reason hostile."""
    tickets = [
        TicketState(
            key="#1",
            title=f"Serve books | {HOSTILE}",
            status="passed",
            checkpoint="2" * 40,
            attempts=[
                attempt(1, "launch", 0, passed=False, findings=FINDINGS),
                attempt(2, "correction", 60, passed=True),
            ],
        ),
        TicketState(
            key="#2",
            title="Authors `api`",
            status="passed" if finished else "correcting",
            checkpoint="3" * 40 if finished else None,
            attempts=[attempt(1, "followup", 120, passed=False, findings=FINDINGS[:1])],
        ),
        TicketState(
            key="#3",
            title=LONG,
            status="blocked",
            reason=f"the agent failed: {HOSTILE}",
            attempts=[attempt(1, "followup", 180, passed=False, error=f"crashed | {HOSTILE}")],
        ),
        TicketState(
            key="#4",
            title=None,
            status="skipped",
            reason="depends on #3, which is blocked",
        ),
    ]
    return ChainState(
        name="sprint-9",
        branch="baton/sprint-9",
        base_branch="main",
        base_commit="b" * 40,
        checkpoint="3" * 40,
        prepared=True,
        finished=finished,
        started_at=T0,
        finished_at=at(400) if finished else None,
        pr_number=7,
        sessions=[Session(number=1, id="s-1", backend="claude", started_at=T0)],
        tickets={t.key: t for t in tickets},
    )
