"""The chain's transitions, case by case: what the dispatcher used to do in place (see
test_chain_properties.py for the properties over whole chains)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.chain import Finish, SendPrompt, Skip, Validate
from bot.handover import handed_over
from bot.lease import holds, released, take
from bot.state import AgentResult, Attempt, ChainState, RunRef, Session, TicketState
from bot.tickets import Ticket
from bot.transitions import (
    Note,
    answered,
    closing,
    cloud_revert,
    finished,
    joined,
    sent,
    start_point,
    stopped,
    tickets_started,
)

RUN = RunRef(repository="octo-org/widgets", id=7001)
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _chain(**tickets: TicketState) -> ChainState:
    return ChainState(
        name="c",
        branch="baton/c",
        base_branch="main",
        prepared=True,
        base_commit="base",
        checkpoint="base",
        tickets=tickets,
    )


def _running(key: str, *commits: str | None) -> TicketState:
    attempts = [
        Attempt(number=n, kind="launch" if n == 1 else "correction", session=1, commit=c)
        for n, c in enumerate(commits, start=1)
    ]
    return TicketState(key=key, status="running", base_commit="base", attempts=attempts)


def test_a_pull_request_the_agent_opened_becomes_the_chains() -> None:
    state = _chain(a=_running("a", None))
    state.sessions.append(Session(number=1, backend="cursor"))
    pr = "https://github.com/octo-org/widgets/pull/42"

    moved = answered(state, "a", AgentResult(ok=True, pr_url=pr, session_id="bc-1"), "c1")

    assert moved.state.pr_number == 42
    assert moved.state.sessions[-1].id == "bc-1"
    assert moved.state.tickets["a"].attempts[-1].commit == "c1"
    assert moved.notes == [Note("agent_replied", "answered in 0.0s", "a")]
    again = answered(moved.state, "a", AgentResult(ok=True, pr_url=f"{pr}0"), "c2")
    assert again.state.pr_number == 42, "the first pull request stays the chain's"
    assert state.pr_number is None, "the state given is left as it was"
    assert state.tickets["a"].attempts[-1].commit is None


def test_a_failed_answer_ends_its_attempt_and_says_why() -> None:
    state = _chain(a=_running("a", None))
    state.sessions.append(Session(number=1, backend="command"))

    moved = answered(state, "a", AgentResult(ok=False, error="exit 2"), "c1")

    ticket = moved.state.tickets["a"]
    assert (ticket.status, ticket.reason) == ("recovering", "agent failed: exit 2")
    assert ticket.attempts[-1].finished_at is not None
    assert moved.notes == [Note("recovering", "agent failed: exit 2", "a")]


def test_where_a_prompt_starts_from() -> None:
    recovering = _running("a", "c1").model_copy(update={"status": "recovering"})
    state = _chain(a=recovering, b=TicketState(key="b")).model_copy(update={"checkpoint": "cp"})

    assert start_point(state, SendPrompt("b", "followup")) == "cp"
    assert start_point(state, SendPrompt("a", "recovery")) == "base"
    assert start_point(state, SendPrompt("a", "correction")) is None
    assert start_point(state, SendPrompt("a", "launch", retry=True)) is None


def test_a_retry_counts_a_try_and_opens_no_session() -> None:
    state = _chain(a=_running("a", None))
    state.sessions.append(Session(number=1, backend="command"))

    moved = sent(state, SendPrompt("a", "launch", retry=True), "command")

    assert [a.tries for a in moved.state.tickets["a"].attempts] == [2]
    assert len(moved.state.sessions) == 1
    assert moved.notes == [Note("prompt_sent", "launch (attempt 1, session 1)", "a")]


def test_a_recovery_opens_a_session_and_marks_the_ticket() -> None:
    state = _chain(a=_running("a", "c1").model_copy(update={"status": "recovering"}))
    state.sessions.append(Session(number=1, id="s-1", backend="claude"))

    moved = sent(state, SendPrompt("a", "recovery"), "claude")

    ticket = moved.state.tickets["a"]
    assert ticket.recovered
    assert [(s.number, s.reason) for s in moved.state.sessions] == [(1, "start"), (2, "recovery")]
    assert (ticket.attempts[-1].kind, ticket.attempts[-1].session) == ("recovery", 2)
    assert not state.tickets["a"].recovered


def test_a_skip_says_why() -> None:
    moved = stopped(_chain(b=TicketState(key="b")), Skip("b", "depends on a, which is blocked"))
    assert (moved.state.tickets["b"].status, moved.state.tickets["b"].reason) == (
        "skipped",
        "depends on a, which is blocked",
    )
    assert moved.notes == [Note("skipped", "depends on a, which is blocked", "b")]


def test_a_chain_finishes_when_its_last_attempt_ended_on_every_run() -> None:
    ticket = _running("a", "c1").model_copy(update={"status": "passed"})
    ticket.attempts[-1].finished_at = T0
    state = _chain(a=ticket)

    closed = closing(state)
    assert (closed.finished, closed.finished_at) == (True, T0)
    assert closing(closed.model_copy(update={"finished": False})).finished_at == T0
    empty = _chain()
    assert closing(empty).finished_at == empty.started_at, "no attempt: when it started"
    done = finished(closed, "k1", "knowledge")
    assert (done.state.knowledge_commit, done.state.finished) == ("k1", True)
    assert done.notes == [Note("chain_finished", "passed; knowledge in knowledge/")]


def test_a_cloud_agent_returns_to_the_checkpoint_after_work_that_was_not_accepted() -> None:
    # Ticket a's only work (c1) was not accepted (it was blocked): b goes on from the base.
    state = _chain(a=_running("a", "c1"), b=_running("b", None))
    assert cloud_revert(state) == "base"
    # a passed after a correction: its branch is at the checkpoint already.
    corrected = _chain(a=_running("a", "c1", "c2"), b=_running("b", None))
    assert cloud_revert(corrected.model_copy(update={"checkpoint": "c2"})) is None
    assert cloud_revert(_chain(a=_running("a", None))) is None, "nothing sent before"


def test_a_run_starts_at_most_its_limit_of_new_tickets() -> None:
    launch, followup = SendPrompt("a", "launch"), SendPrompt("b", "followup")
    assert tickets_started(launch, 0, None) == 0, "no limit: nothing counted"
    assert tickets_started(launch, 0, 1) == 1
    assert tickets_started(followup, 1, 1) is None
    assert tickets_started(SendPrompt("a", "launch", retry=True), 1, 1) == 1, "not a new one"
    assert tickets_started(SendPrompt("a", "correction"), 1, 1) == 1
    assert tickets_started(Validate("a"), 1, 1) == 1
    assert tickets_started(Finish(), 1, 1) == 1


def test_tickets_another_run_added_join_the_work_in_order() -> None:
    a = Ticket(key="a", goal="do a")
    followup = Ticket(key="review-9", goal="fix it", depends_on=["a"])
    state = _chain(
        a=TicketState(key="a"), **{"review-9": TicketState(key="review-9", spec=followup)}
    )

    assert [t.key for t in joined([a], state)] == ["a", "review-9"]
    order = [a]
    assert joined(order, _chain(a=TicketState(key="a"))) is order


def test_a_handover_lets_go_of_the_chain_and_is_recorded() -> None:
    state = take(_chain(), "me", 60, RUN)
    state.sessions.append(Session(number=1, id="bc-1", backend="cursor"))

    moved = handed_over(state, RUN, None)

    assert moved.state.lease is None
    assert [(h.run, h.dispatched) for h in moved.state.handovers] == [(RUN, True)]
    assert moved.notes == [
        Note("handed_over", "continued in a new job: the same Cursor agent goes on")
    ]
    refused = handed_over(state, RUN, "GitHub refused (403)")
    assert [(h.dispatched, h.error) for h in refused.state.handovers] == [
        (False, "GitHub refused (403)")
    ]
    assert refused.notes == []
    assert holds(state, "me"), "the state given is left as it was"
    assert not holds(released(state), "me")
