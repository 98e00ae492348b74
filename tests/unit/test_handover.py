"""Handing a chain over to a new job, taking over a chain whose holder's run has finished, and
recovering a session a new runner cannot resume, and saving over another run's save: the pure
decisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.chain import (
    MAX_SESSIONS_LOST,
    Action,
    Finish,
    Prepare,
    SendPrompt,
    Validate,
    Wait,
    after_agent,
)
from bot.handover import handover_due, handover_line, handover_lines
from bot.lease import (
    fingerprint,
    held_by_another,
    holder,
    rebase,
    run_finished,
    take,
)
from bot.state import (
    AgentResult,
    Attempt,
    AttemptKind,
    ChainState,
    Handover,
    Lease,
    RunRef,
    Session,
    StoreData,
    TicketState,
    now,
)
from bot.workflow_runs import RunSeen

RUN = RunRef(repository="octo-org/widgets", id=7001, attempt=1)


def _chain(**changes: object) -> ChainState:
    return ChainState(name="sprint-1", branch="baton/sprint-1", base_branch="main").model_copy(
        update=changes
    )


# -- handover ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "actions",
    [[Prepare()], [SendPrompt("#2", "followup")], [Validate("#1")], [Finish()]],
    ids=["prepare", "followup", "validate", "finish"],
)
def test_a_run_out_of_time_with_work_left_hands_the_chain_over(actions: list[Action]) -> None:
    assert handover_due(_chain(), actions, RUN)


def test_nothing_is_handed_over_outside_actions_or_without_work() -> None:
    work: list[Action] = [SendPrompt("#2", "followup")]
    assert not handover_due(_chain(), work, None), "outside Actions: no job to start"
    assert not handover_due(_chain(), [], RUN), "nothing to do now"
    assert not handover_due(_chain(finished=True), work, RUN)
    assert not handover_due(_chain(), [Wait("#1")], RUN), "a validation job's result comes later"


def test_a_chain_is_handed_over_once_per_run() -> None:
    work: list[Action] = [SendPrompt("#2", "followup")]
    handed = _chain(handovers=[Handover(run=RUN)])
    assert not handover_due(handed, work, RUN)
    assert handover_due(handed, work, RUN.model_copy(update={"attempt": 2})), "a re-run"
    assert handover_due(handed, work, RUN.model_copy(update={"id": 7002})), "the next job"


def test_the_report_says_how_the_next_job_goes_on() -> None:
    at = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    done = Handover(run=RUN, at=at)
    assert handover_line(done, "claude") == (
        "2026-11-02 09:30 UTC: the time budget of Actions run 7001 was spent with work left; "
        "continued in a new job (a CLI agent's session lived in this job's HOME, so the next "
        "job recovers it from the knowledge base)."
    )
    assert "(the same Cursor agent goes on)" in handover_line(done, "cursor")
    refused = Handover(run=RUN, at=at, dispatched=False, error="GitHub refused (403)")
    assert "no new job could be started (GitHub refused (403)); the schedule" in handover_line(
        refused, "claude"
    )
    chain = _chain(handovers=[done], sessions=[Session(number=1, id="s", backend="cursor")])
    assert handover_lines(chain) == [handover_line(done, "cursor")]


# -- takeover ---------------------------------------------------------------------------------


def _held_by(run: RunRef) -> ChainState:
    # A holder on another machine: only its run can tell whether it is still alive.
    state = _chain()
    state.lease = Lease(owner="runner-vm:4242:abcd", until=now() + timedelta(hours=1), run=run)
    return state


@pytest.mark.parametrize(
    ("seen", "finished"),
    [
        (RunSeen("completed", 1, "cancelled"), True),
        (RunSeen("completed", 1, "success"), True),
        (RunSeen("in_progress", 1), False),
        (RunSeen("queued", 1), False),
        (RunSeen("in_progress", 2), True),  # re-run: the holder's attempt is over
    ],
)
def test_a_holders_run_is_over_once_completed_or_re_run(seen: RunSeen, finished: bool) -> None:
    assert run_finished(RUN, seen) is finished
    state = _held_by(RUN)
    assert (held_by_another(state, holder(), runs=lambda _run: seen) is None) is finished


def test_a_lease_whose_run_cannot_be_told_holds_until_its_expiry() -> None:
    state = _held_by(RUN)
    asked: list[RunRef] = []

    def unknown(run: RunRef) -> RunSeen | None:
        asked.append(run)
        return None

    assert held_by_another(state, holder(), runs=unknown) is state.lease
    assert asked == [RUN]
    assert held_by_another(state, holder()) is state.lease, "outside Actions: nobody to ask"
    later = now() + timedelta(hours=2)
    assert held_by_another(state, holder(), later, runs=unknown) is None


def test_the_lease_records_this_run() -> None:
    state = _chain()
    state = take(state, "me", 60, RUN)
    assert state.lease is not None
    assert state.lease.run == RUN


# -- a session lost to a new runner ----------------------------------------------------------


def _ticket_with(*attempts: tuple[AttemptKind, AgentResult | None]) -> TicketState:
    ticket = TicketState(key="#3")
    for number, (kind, result) in enumerate(attempts, start=1):
        ticket.attempts.append(Attempt(number=number, kind=kind, session=1, agent=result))
    return ticket


GONE = AgentResult(
    ok=False, error="exit 1: No conversation found with session ID: s-1", session_lost=True
)
FAILED = AgentResult(ok=False, error="exit 1: the model failed")
OK = AgentResult(ok=True, session_id="s-2")


def test_a_lost_session_is_recovered_without_spending_the_tickets_recovery() -> None:
    lost = _ticket_with(("followup", GONE))
    status, reason = after_agent(lost, GONE)
    assert status == "recovering"
    assert reason == "the session is gone (exit 1: No conversation found with session ID: s-1)"
    assert not lost.recovery_spent

    # The recovered session fails on its own: that is what the ticket's one recovery is for.
    failed = _ticket_with(("followup", GONE), ("recovery", FAILED))
    assert after_agent(failed, FAILED)[0] == "recovering"
    twice = _ticket_with(("followup", GONE), ("recovery", FAILED), ("recovery", FAILED))
    assert twice.recovery_spent
    assert after_agent(twice, FAILED)[0] == "blocked"


def test_a_session_lost_after_the_tickets_recovery_is_recovered_again() -> None:
    ticket = _ticket_with(
        ("launch", FAILED), ("recovery", OK), ("correction", OK), ("correction", GONE)
    )
    assert ticket.recovery_spent
    assert after_agent(ticket, GONE)[0] == "recovering"
    assert after_agent(ticket, FAILED)[0] == "blocked", "a failure of its own blocks it"


def test_lost_sessions_are_recovered_a_bounded_number_of_times() -> None:
    attempts: list[tuple[AttemptKind, AgentResult | None]] = [
        ("launch", FAILED),
        ("recovery", OK),
    ]
    for _ in range(MAX_SESSIONS_LOST):
        attempts += [("correction", GONE), ("recovery", OK)]
    ticket = _ticket_with(*attempts, ("correction", GONE))
    assert ticket.sessions_lost == MAX_SESSIONS_LOST + 1
    assert after_agent(ticket, GONE)[0] == "blocked"


# -- saving over another run's save ----------------------------------------------------------


def _store(*chains: ChainState, revision: int = 1) -> StoreData:
    return StoreData(revision=revision, chains={c.name: c for c in chains})


def test_a_save_keeps_what_another_run_saved_of_another_chain() -> None:
    loaded = _chain(checkpoint="a1")
    other = _chain(name="sprint-2", branch="baton/sprint-2", checkpoint="b1")
    ours = _store(loaded.model_copy(update={"checkpoint": "a2"}), other)
    current = _store(loaded, other.model_copy(update={"checkpoint": "b2"}), revision=2)
    current.proposals.append("conv-1")

    merged = rebase(current, ours, "sprint-1", fingerprint(loaded), "me")

    assert merged is not None
    assert merged.revision == 2
    assert merged.chains["sprint-1"].checkpoint == "a2"
    assert merged.chains["sprint-2"].checkpoint == "b2"
    assert merged.proposals == ["conv-1"]


def test_a_ticket_added_to_the_chain_this_run_holds_joins_it() -> None:
    held = _chain(finished=True)
    held = take(held, "me", 60)
    theirs = held.model_copy(deep=True)
    theirs.tickets["review-9"] = TicketState(key="review-9")
    theirs.finished = False
    mine = held.model_copy(update={"checkpoint": "a2"})

    merged = rebase(_store(theirs, revision=2), _store(mine), "sprint-1", "stale", "me")

    assert merged is not None
    chain = merged.chains["sprint-1"]
    assert (chain.checkpoint, list(chain.tickets), chain.finished) == ("a2", ["review-9"], False)


def test_a_chain_another_run_took_is_read_again() -> None:
    loaded = _chain()
    taken = loaded.model_copy(deep=True)
    taken = take(taken, "another run", 60)

    assert (
        rebase(_store(taken, revision=2), _store(loaded), "sprint-1", fingerprint(loaded), "me")
        is None
    )
