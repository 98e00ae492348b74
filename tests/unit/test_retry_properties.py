"""`transitions.retried`: a stopped ticket put back in the queue, over random chains that ended with
tickets blocked or skipped (the simulator of test_chain_properties.py), then worked to the end."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.chain import MAX_TRIES, Finish, Policy, max_attempts, plan
from bot.errors import BatonError
from bot.state import TERMINAL, ChainState
from bot.transitions import retried
from tests.unit.test_chain_properties import (
    Drawn,
    Run,
    Scripted,
    Simulator,
    chains,
    make_ticket,
)

PROPERTY = settings(max_examples=150, deadline=None)
STOPPED = frozenset({"blocked", "skipped"})


def _stopped_then_retried(data: st.DataObject) -> tuple[Simulator, ChainState, ChainState, str]:
    """A chain run to its end with a ticket stopped, the state then, the state after that
    ticket's retry, and the ticket."""
    tickets, policy = data.draw(chains())
    simulator = Simulator(tickets, policy, Drawn(data))
    before = simulator.run().state
    stopped = [t.key for t in before.tickets.values() if t.status in STOPPED]
    if not stopped:
        # Nothing stopped on its own: block the last ticket the way a spent budget would.
        before = before.model_copy(deep=True)
        last = before.tickets[str(simulator.tickets[-1].key)]
        last.status, last.reason = "blocked", "the agent answered 429 Too Many Requests"
        stopped = [last.key]
    key = data.draw(st.sampled_from(stopped), label="retried")
    return simulator, before, retried(before, key, "ada").state, key


@PROPERTY
@given(st.data())
def test_a_retry_queues_the_ticket_and_those_skipped_because_of_it(data: st.DataObject) -> None:
    simulator, before, after, key = _stopped_then_retried(data)
    saved = before.model_dump_json()
    retried(before, key, "ada")
    assert before.model_dump_json() == saved, "the state given stays as it was"
    assert not after.finished
    assert after.finished_at is None
    # Those it queues: the ticket, and every skipped ticket whose dependency it queued.
    queued = {k for k, t in after.tickets.items() if before.tickets[k].status != t.status}
    expected, grew = {key}, True
    while grew:
        more = {
            str(t.key)
            for t in simulator.tickets
            if before.tickets[str(t.key)].status == "skipped" and expected & set(t.depends_on)
        }
        grew = not more <= expected
        expected |= more
    assert queued == expected
    for k, ticket in after.tickets.items():
        old = before.tickets[k]
        if k not in queued:
            assert ticket == old
            continue
        assert ticket.status == "queued"
        assert ticket.reason is None
        assert ticket.stopped_at is None
        assert ticket.attempts == old.attempts, "the earlier attempts are kept"
        assert ticket.current == [], "and count no more against its budget"
        (retry,) = ticket.retries[len(old.retries) :]
        assert (retry.by, retry.status, retry.reason) == ("ada", old.status, old.reason)
        assert retry.after == len(old.attempts)


@PROPERTY
@given(st.data())
def test_a_retried_chain_runs_to_its_end_within_a_fresh_budget(data: st.DataObject) -> None:
    simulator, before, after, key = _stopped_then_retried(data)
    simulator.state = after
    simulator.outcomes = Drawn(data)
    run: Run = simulator.run()
    *_, finishing, last = run.steps
    assert (finishing.actions, last.actions) == ([Finish()], [])
    assert {t.status for t in run.state.tickets.values()} <= TERMINAL
    for k, ticket in run.state.tickets.items():
        old = before.tickets[k]
        assert ticket.attempts[: len(old.attempts)] == old.attempts, "history stays"
        assert len(ticket.current) <= max_attempts(run.policy)
        assert all(a.tries <= MAX_TRIES for a in ticket.current)
        per_session = Counter(a.session for a in ticket.current if a.kind == "correction")
        assert all(n <= run.policy.max_corrections for n in per_session.values())
        assert sum(a.kind == "recovery" for a in ticket.current) <= 1
    worked = run.state.tickets[key]
    if before.tickets[key].status == "blocked":
        assert worked.current, "a retried blocked ticket is worked again"
        # In the chain's live session when it has one, else in a new one.
        assert worked.current[0].kind == ("followup" if after.session else "launch")


def test_a_ticket_blocked_after_its_recovery_gets_a_whole_budget_again() -> None:
    tickets = [make_ticket("A"), make_ticket("B", "A"), make_ticket("C", "B")]
    # A: the agent fails, its recovery fails too: blocked; B and C skipped.
    simulator = Simulator(tickets, Policy(), Scripted(["failed", "failed"]))
    before = simulator.run().state
    assert [t.status for t in before.tickets.values()] == ["blocked", "skipped", "skipped"]

    after = retried(before, "A", "ada").state
    assert [t.status for t in after.tickets.values()] == ["queued"] * 3
    assert plan(after, simulator.tickets)[0].describe() == "send the launch prompt for A"

    # Fails again once: the recovery is its own again, and it passes there.
    simulator.state, simulator.outcomes = after, Scripted(["failed"])
    final = simulator.run().state
    assert [t.status for t in final.tickets.values()] == ["passed"] * 3
    assert [a.kind for a in final.tickets["A"].attempts] == [
        "launch",
        "recovery",
        "launch",
        "recovery",
    ]
    assert final.tickets["A"].retries[0].reason == before.tickets["A"].reason


@pytest.mark.parametrize("status", ["passed", "queued"])
def test_only_a_stopped_ticket_can_be_retried(status: str) -> None:
    simulator = Simulator([make_ticket("A")], Policy(), Scripted())
    state = simulator.state
    if status == "passed":
        state = simulator.run().state
    with pytest.raises(BatonError, match=f"ticket A of chain chain is {status}, not blocked"):
        retried(state, "A", "ada")
