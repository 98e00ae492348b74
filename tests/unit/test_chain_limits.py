"""Cost and time bounds: once a chain's agent budget is spent, it stops cleanly."""

from __future__ import annotations

from bot.chain import Block, Finish, Policy, SendPrompt, Skip, plan
from bot.state import AgentResult, Attempt, ChainState, Session, TicketState, TicketStatus
from bot.tickets import Ticket

TICKETS = [Ticket(key=k, goal=f"do {k}") for k in ("a", "b", "c")]


def _state(*, a: TicketStatus = "passed", runs_a: int = 1, seconds: float = 60.0) -> ChainState:
    attempts = [
        Attempt(
            number=i + 1,
            kind="launch" if i == 0 else "correction",
            session=1,
            agent=AgentResult(ok=True, duration_s=seconds),
        )
        for i in range(runs_a)
    ]
    return ChainState(
        name="c",
        branch="baton/c",
        base_branch="main",
        prepared=True,
        sessions=[Session(number=1, id="s1", backend="command")],
        tickets={
            "a": TicketState(key="a", status=a, attempts=attempts),
            "b": TicketState(key="b"),
            "c": TicketState(key="c"),
        },
    )


def test_within_budget_the_chain_goes_on() -> None:
    assert plan(_state(), TICKETS, Policy(max_agent_runs=2)) == [SendPrompt("b", "followup")]


def test_spent_runs_skip_what_is_left_and_the_chain_finishes() -> None:
    policy = Policy(max_agent_runs=1)
    state = _state()
    actions = plan(state, TICKETS, policy)
    assert actions == [Skip("b", "the chain's budget of 1 agent runs is spent")]
    state.tickets["b"].status = "skipped"
    state.tickets["c"].status = "skipped"
    assert plan(state, TICKETS, policy) == [Finish()]


def test_spent_minutes_block_the_ticket_in_flight() -> None:
    state = _state(a="correcting", runs_a=2, seconds=90.0)
    actions = plan(state, TICKETS, Policy(max_agent_minutes=3))
    assert actions == [Block("a", "the chain's budget of 3 agent minutes is spent")]


def test_no_limits_means_no_budget() -> None:
    assert Policy().spent(_state(runs_a=3, seconds=10_000)) is None
