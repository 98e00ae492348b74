"""What a chain teaches: proposed conventions (never twice) and the sprint history."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.learning import context_with_history, conventions_with_proposals, proposals
from bot.state import AgentResult, Attempt, ChainState, Finding, TicketState, Validation

MOCKS = Finding(
    rule="imports.mocks",
    severity="major",
    file="tests/test_a.py",
    line=3,
    message="mocks come from tests/helpers",
    hint="import the client from tests/helpers.py",
)


def _chain(findings: int, summary: str = "done") -> ChainState:
    def ticket(key: str) -> TicketState:
        attempt = Attempt(
            number=1,
            kind="launch",
            session=1,
            agent=AgentResult(ok=True, summary=summary),
            validation=Validation(commit="x", findings=[MOCKS] * findings),
        )
        return TicketState(key=key, status="passed", attempts=[attempt])

    return ChainState(
        name="sprint",
        branch="baton/sprint",
        base_branch="main",
        started_at=datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
        tickets={"a": ticket("a"), "b": ticket("b")},
    )


def test_a_rule_failing_twice_becomes_a_proposal_with_its_evidence() -> None:
    found = proposals(_chain(1))
    assert [p.id for p in found] == ["rule-imports-mocks"]
    assert "failed 2 times" in found[0].text
    assert "import the client from tests/helpers.py" in found[0].text
    assert found[0].evidence == [
        "`a` attempt 1: `tests/test_a.py:3`: mocks come from tests/helpers",
        "`b` attempt 1: `tests/test_a.py:3`: mocks come from tests/helpers",
    ]


def test_a_rule_failing_once_is_no_proposal() -> None:
    chain = _chain(1)
    chain.tickets.pop("b")
    assert proposals(chain) == []


def test_batons_own_checks_and_failed_agent_calls_teach_no_convention() -> None:
    missing = Finding(rule="scope.missing", severity="major", message="tests/a.py was not created")
    chain = _chain(1)
    for ticket in chain.tickets.values():
        attempt = ticket.attempts[0]
        attempt.validation = Validation(commit="x", findings=[missing, missing])
    assert proposals(chain) == []
    refused = _chain(1)
    for ticket in refused.tickets.values():
        ticket.attempts[0].agent = AgentResult(ok=False, error="Write was refused")
    assert proposals(refused) == []


def test_a_pattern_the_agent_adopted_is_proposed() -> None:
    chain = _chain(0, summary="Fixed it.\nConvention: name fixtures after the endpoint")
    assert [p.text for p in proposals(chain)] == ["name fixtures after the endpoint"]


def test_proposals_are_appended_once_and_peoples_text_is_kept() -> None:
    people = "# Conventions\n\nTests live in tests/.\n"
    found = proposals(_chain(1))
    once, added = conventions_with_proposals(people, found, "sprint")
    assert added == ["rule-imports-mocks"]
    assert once.startswith(people)
    assert "## Proposed" in once
    twice, again = conventions_with_proposals(once, proposals(_chain(1)), "sprint-2")
    assert again == []
    assert twice == once


def test_sprint_history_is_appended_once() -> None:
    chain = _chain(0)
    people = "# Project context\n\nA JSON API.\n"
    first = context_with_history(people, chain, "2 passed")
    assert first.startswith(people)
    assert "## Sprint history" in first
    assert "### 2026-11-02: chain `sprint`" in first
    assert context_with_history(first, chain, "2 passed") == first
