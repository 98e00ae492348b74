"""Properties of the chain's pure decisions and transitions (`bot.chain`, `bot.transitions`), over
random chains and random outcomes.

A small simulator stands in for the dispatcher's I/O: for each planned action it applies the very
transitions the dispatcher applies (record the attempt, the agent's answer, the validation, block,
skip, finish), with made-up commits and no git, agent or store. Hypothesis chooses how every agent
call and every validation turns out, and whether Baton itself is interrupted right after
recording a prompt as sent.

The simulator also plays the agent's side: it knows which session the agent would still accept a
followup in (one that started well and has not failed since), independently of what the state
says, so the properties can check the decisions against the world rather than against themselves.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import Literal, Protocol, TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.chain import (
    MAX_TRIES,
    Action,
    Block,
    Finish,
    Policy,
    Prepare,
    SendPrompt,
    Skip,
    Validate,
    max_attempts,
    plan,
    sync_tickets,
)
from bot.ordering import work_order
from bot.state import (
    IN_FLIGHT,
    TERMINAL,
    AgentResult,
    ChainState,
    CommandResult,
    Finding,
    Validation,
)
from bot.tickets import Ticket
from bot.transitions import (
    answered,
    closing,
    finished,
    prepared,
    sent,
    stopped,
    validated,
)

# "failed": the agent's run failed before it named a session (a launch that never got going);
# "failed-in-session": it failed in a session it had named (an ERROR or EXPIRED run);
# "interrupted": Baton itself died after recording the prompt as sent, before any answer.
AgentOutcome = Literal["ok", "failed", "failed-in-session", "interrupted"]
ValidationOutcome = Literal["green", "minor", "red", "major"]

AGENT_OUTCOMES: tuple[AgentOutcome, ...] = ("ok", "failed", "failed-in-session", "interrupted")
VALIDATION_OUTCOMES: tuple[ValidationOutcome, ...] = ("green", "minor", "red", "major")
STOPPED = frozenset({"blocked", "skipped"})
T = TypeVar("T")
# Each example simulates a whole chain. A property of how a run goes or ends, which may hinge on
# a rare path (a failed recovery, corrections running out, interruptions), gets 150 runs; one
# checked at each step of a run (a run takes tens of steps) gets 50, over a thousand steps.
PROPERTY = settings(max_examples=150, deadline=None)
EVERY_STEP = settings(max_examples=50, deadline=None)


# -- the simulator ---------------------------------------------------------------------------------


class Outcomes(Protocol):
    """How the world answers: each agent call, and each validation of the agent's work."""

    def agent(self, action: SendPrompt, /) -> AgentOutcome: ...

    def validation(self, ticket: str, /) -> ValidationOutcome: ...


class Drawn:
    """Outcomes chosen by hypothesis, one draw per agent call and per validation.

    Each run first picks which outcomes can happen at all (an agent that never fails, tests that
    are always red, ...), so the rare paths, such as corrections running out after a recovery,
    are as likely as the common ones."""

    def __init__(self, data: st.DataObject) -> None:
        self.data = data
        # Each strategy made once per run, not once per draw: hypothesis checks every new one.
        agent = data.draw(_SOME_AGENT_OUTCOMES, label="agent outcomes")
        self.agent_outcomes = st.sampled_from(agent)
        validation = data.draw(_SOME_VALIDATION_OUTCOMES, label="validations")
        self.validation_outcomes = st.sampled_from(validation)

    def agent(self, action: SendPrompt) -> AgentOutcome:
        return self.data.draw(self.agent_outcomes, label=action.describe())

    def validation(self, ticket: str) -> ValidationOutcome:
        return self.data.draw(self.validation_outcomes, label=f"validate {ticket}")


def _some(values: tuple[T, ...]) -> st.SearchStrategy[list[T]]:
    """A non-empty selection of `values`, in their order."""
    chosen = st.sets(st.sampled_from(values), min_size=1)
    return chosen.map(lambda picked: [v for v in values if v in picked])


_SOME_AGENT_OUTCOMES = _some(AGENT_OUTCOMES)
_SOME_VALIDATION_OUTCOMES = _some(VALIDATION_OUTCOMES)


@dataclass
class Scripted:
    """Outcomes written out in order; once a list runs out, everything goes well."""

    agent_calls: list[AgentOutcome] = field(default_factory=list)
    validations: list[ValidationOutcome] = field(default_factory=list)

    def agent(self, _action: SendPrompt, /) -> AgentOutcome:
        return self.agent_calls.pop(0) if self.agent_calls else "ok"

    def validation(self, _ticket: str, /) -> ValidationOutcome:
        return self.validations.pop(0) if self.validations else "green"


@dataclass(frozen=True)
class Step:
    """One pass of the loop: the state as `plan` saw it, what it planned, and the agent's world."""

    before: ChainState  # never changed afterwards: the transitions return new states
    actions: list[Action]
    agent_session: int | None  # the session the agent would take a followup in, if any
    saved: str = field(repr=False)  # `before` as it was then, to check that it stays so

    @property
    def action(self) -> Action | None:
        return self.actions[0] if self.actions else None


class Run:
    """A simulated chain from start to end: every step, and the state it ended in."""

    def __init__(self, tickets: list[Ticket], policy: Policy, state: ChainState) -> None:
        self.tickets = tickets  # in work order
        self.policy = policy
        self.state = state
        self.steps: list[Step] = []

    def __repr__(self) -> str:  # what hypothesis shows for a failing example: short and readable
        chain = [
            f"{t.key}<-{','.join(t.depends_on)}" if t.depends_on else t.key for t in self.tickets
        ]
        done = [s.action.describe() for s in self.steps if s.action is not None]
        return f"Run({self.policy}, tickets={chain}, actions={done})"

    def ticket(self, key: str) -> Ticket:
        return next(t for t in self.tickets if t.key == key)

    @property
    def sends(self) -> list[tuple[Step, SendPrompt]]:
        return [(s, s.action) for s in self.steps if isinstance(s.action, SendPrompt)]


def step_limit(tickets: list[Ticket], policy: Policy) -> int:
    """An upper bound on the loop's passes: every attempt is sent at most MAX_TRIES times and
    validated once; a ticket may also be blocked or skipped; then prepare, finish, and the last,
    empty plan."""
    per_ticket = max_attempts(policy) * (MAX_TRIES + 1) + 1
    return len(tickets) * per_ticket + 3


class Simulator:
    """Performs each planned action as the dispatcher does, through the real transitions
    (`bot.transitions`), with made-up results in place of git, the agent and the tests."""

    def __init__(self, tickets: list[Ticket], policy: Policy, outcomes: Outcomes) -> None:
        self.tickets = work_order(tickets)
        self.policy = policy
        self.outcomes = outcomes
        empty = ChainState(name="chain", branch="baton/chain", base_branch="main")
        self.state = sync_tickets(empty, self.tickets)
        self.agent_session: int | None = None  # the agent's side: its one continuable session
        self._commits = 0

    def run(self) -> Run:
        run = Run(self.tickets, self.policy, self.state)
        for _ in range(step_limit(self.tickets, self.policy)):
            actions = plan(self.state, self.tickets, self.policy)
            saved = self.state.model_dump_json()
            run.steps.append(Step(self.state, actions, self.agent_session, saved))
            if not actions:
                run.state = self.state
                return run
            self.perform(actions[0])
        raise AssertionError(f"no end after {len(run.steps)} passes: {run.steps[-1].actions}")

    def _commit(self) -> str:
        self._commits += 1
        return f"{self._commits:040x}"

    def perform(self, action: Action) -> None:
        state = self.state
        if isinstance(action, Prepare):
            self.state = prepared(state, self._commit()).state
        elif isinstance(action, SendPrompt):
            self.send(action)
        elif isinstance(action, Validate):
            self.validate(action)
        elif isinstance(action, Block | Skip):
            self.state = stopped(state, action).state
        elif isinstance(action, Finish):
            self.state = finished(closing(state), self._commit(), "knowledge").state

    def send(self, action: SendPrompt) -> None:
        self.state = sent(self.state, action, "sim").state
        session = self.state.sessions[-1]
        starts = action.prompt in {"launch", "recovery"}
        outcome = self.outcomes.agent(action)
        if outcome == "interrupted":  # Baton dies here: the prompt is recorded, its answer is not
            if starts:
                self.agent_session = None  # whatever the agent opened, Baton never learned its id
            return
        ok = outcome == "ok"
        known = outcome != "failed" or not starts  # a resumed session keeps its id
        result = AgentResult(
            ok=ok,
            session_id=f"agent-{session.number}" if known else None,
            summary="done" if ok else "",
            error=None if ok else "the agent's run ended in ERROR",
        )
        self.agent_session = session.number if ok else None
        self.state = answered(self.state, action.ticket, result, self._commit()).state

    def validate(self, action: Validate) -> None:
        head = self.state.tickets[action.ticket].attempts[-1].commit
        assert head is not None
        outcome = self.outcomes.validation(action.ticket)
        command = CommandResult(
            command="pytest -q", exit_code=1 if outcome == "red" else 0, duration_s=1.0
        )
        findings = []
        if outcome in {"minor", "major"}:
            severity: Literal["minor", "major"] = "major" if outcome == "major" else "minor"
            findings.append(Finding(rule="scope", severity=severity, message="a finding"))
        validation = Validation(commit=head, command=command, findings=findings)
        self.state = validated(self.state, action.ticket, validation, self.policy).state


def simulate(tickets: list[Ticket], policy: Policy, outcomes: Outcomes) -> Run:
    return Simulator(tickets, policy, outcomes).run()


# -- strategies ------------------------------------------------------------------------------------


def make_ticket(key: str, *depends_on: str) -> Ticket:
    return Ticket(key=key, title=f"ticket {key}", goal=f"Do {key}.", depends_on=list(depends_on))


@st.composite
def chains(draw: st.DrawFn) -> tuple[list[Ticket], Policy]:
    """One to eight tickets, each depending on any of the tickets written before it, and a policy."""
    count = draw(st.integers(min_value=1, max_value=8))
    keys = [f"T{i}" for i in range(1, count + 1)]
    tickets = []
    for i, key in enumerate(keys):
        deps = draw(st.lists(st.sampled_from(keys[:i]), unique=True)) if i else []
        tickets.append(make_ticket(key, *deps))
    policy = Policy(max_corrections=draw(st.integers(min_value=0, max_value=3)))
    return tickets, policy


@st.composite
def runs(draw: st.DrawFn) -> Run:
    tickets, policy = draw(chains())
    return simulate(tickets, policy, Drawn(draw(st.data())))


@st.composite
def budgeted_runs(draw: st.DrawFn) -> Run:
    """Runs of chains with a budget of agent runs, often too small for the chain."""
    tickets, policy = draw(chains())
    budget = draw(st.integers(min_value=1, max_value=6))
    return simulate(tickets, replace(policy, max_agent_runs=budget), Drawn(draw(st.data())))


# -- properties ------------------------------------------------------------------------------------


@PROPERTY
@given(runs())
def test_the_loop_ends_with_a_finish_and_every_ticket_settled(run: Run) -> None:
    assert len(run.steps) <= step_limit(run.tickets, run.policy)
    *_, finishing, last = run.steps
    assert finishing.actions == [Finish()]
    assert last.actions == []
    assert run.state.finished
    assert plan(run.state, run.tickets) == []
    assert {t.status for t in run.state.tickets.values()} <= TERMINAL
    assert run.state.outcome in {"passed", "blocked"}
    # Finished when its last attempt ended: a re-run writes the very same knowledge files.
    ends = [a.finished_at for t in run.state.tickets.values() for a in t.attempts if a.finished_at]
    assert run.state.finished_at == max(ends, default=run.state.started_at)
    assert run.state.knowledge_commit is not None


@EVERY_STEP
@given(runs())
def test_transitions_leave_the_state_they_are_given_as_it_was(run: Run) -> None:
    for step in run.steps:
        assert step.before.model_dump_json() == step.saved, step.action


@PROPERTY
@given(runs())
def test_a_ticket_passes_only_on_a_green_validation_and_keeps_its_commit(run: Run) -> None:
    for ticket in run.state.tickets.values():
        last = ticket.last
        validated = last is not None and last.validation is not None and last.validation.passed
        assert (ticket.status == "passed") == validated, ticket
        if ticket.status == "passed":
            assert last is not None
            assert last.validation is not None
            assert ticket.checkpoint == last.validation.commit
        else:
            assert ticket.checkpoint is None
    passed = [
        step.action.ticket
        for step, following in pairwise(run.steps)
        if isinstance(step.action, Validate)
        and following.before.tickets[step.action.ticket].status == "passed"
    ]
    expected = run.state.tickets[passed[-1]].checkpoint if passed else run.state.base_commit
    assert run.state.checkpoint == expected


@PROPERTY
@given(runs())
def test_one_ticket_in_flight_and_one_session_at_a_time(run: Run) -> None:
    for step in run.steps:
        in_flight = [t.key for t in step.before.tickets.values() if t.status in IN_FLIGHT]
        assert len(in_flight) <= 1, in_flight
    for step, following in pairwise(run.steps):
        opened = len(following.before.sessions) - len(step.before.sessions)
        action = step.action
        opens = (
            isinstance(action, SendPrompt)
            and action.prompt in {"launch", "recovery"}
            and not action.retry
        )
        assert opened == (1 if opens else 0), action
    final = run.state
    assert [s.number for s in final.sessions] == list(range(1, len(final.sessions) + 1))
    for ticket in final.tickets.values():
        recoveries = [a for a in ticket.attempts if a.kind == "recovery"]
        assert len(recoveries) <= 1
        assert ticket.recovered == bool(recoveries)
        opening = {"launch": "start", "recovery": "recovery"}
        for attempt in ticket.attempts:
            if attempt.kind in opening:
                assert final.sessions[attempt.session - 1].reason == opening[attempt.kind]


@PROPERTY
@given(runs())
def test_attempts_and_corrections_stay_within_the_policy(run: Run) -> None:
    for ticket in run.state.tickets.values():
        assert len(ticket.attempts) <= max_attempts(run.policy)
        assert all(a.tries <= MAX_TRIES for a in ticket.attempts)
        per_session = Counter(a.session for a in ticket.attempts if a.kind == "correction")
        assert all(n <= run.policy.max_corrections for n in per_session.values()), per_session
    for step in run.steps:
        for ticket in step.before.tickets.values():
            assert ticket.corrections_in_session <= run.policy.max_corrections


@PROPERTY
@given(runs())
def test_dependencies_come_first_and_a_stopped_one_skips_its_dependents(run: Run) -> None:
    for step, send in run.sends:
        deps = run.ticket(send.ticket).depends_on
        assert all(step.before.tickets[d].status == "passed" for d in deps), send
    final = run.state.tickets
    for ticket in run.tickets:
        mine = final[str(ticket.key)]
        stopped = [d for d in ticket.depends_on if final[d].status in STOPPED]
        if stopped:
            assert mine.status == "skipped"
            assert mine.attempts == []
            assert any(
                f"depends on {d}, which is {final[d].status}" == mine.reason for d in stopped
            )
        elif all(final[d].status == "passed" for d in ticket.depends_on):
            # Worked, whatever happened to the tickets it does not depend on.
            assert mine.attempts, mine
            assert mine.status in {"passed", "blocked"}


@PROPERTY
@given(runs())
def test_prompts_go_to_a_live_session_and_launches_only_without_one(run: Run) -> None:
    for step in run.steps:
        for action in step.actions:
            if not isinstance(action, SendPrompt):
                continue
            newest = step.before.sessions[-1].number if step.before.sessions else None
            if action.prompt in {"followup", "correction"}:
                assert step.agent_session is not None, action
                assert step.agent_session == newest, action
                assert step.before.session is not None
            elif action.prompt == "launch":
                assert step.agent_session is None, action
                assert step.before.session is None


@EVERY_STEP
@given(runs())
def test_plan_is_pure(run: Run) -> None:
    for step in run.steps:
        dumped = step.before.model_dump()
        first = plan(step.before, run.tickets)
        second = plan(step.before, run.tickets)
        assert first == second == step.actions
        assert sync_tickets(step.before, run.tickets) is step.before  # nothing new to add
        assert step.before.model_dump() == dumped


@PROPERTY
@given(runs())
def test_an_interrupted_prompt_is_sent_again_then_blocked(run: Run) -> None:
    for step in run.steps:
        running = [t for t in step.before.tickets.values() if t.status == "running"]
        if not running:
            continue
        (ticket,) = running
        last = ticket.last
        assert last is not None
        assert last.agent is None
        if last.tries < MAX_TRIES:
            assert step.actions == [SendPrompt(ticket.key, last.kind, retry=True)]
        else:
            reason = f"the {last.kind} prompt was interrupted {MAX_TRIES} times"
            assert step.actions == [Block(ticket.key, reason)]


@PROPERTY
@given(budgeted_runs())
def test_a_spent_budget_sends_no_new_prompt_and_the_chain_still_finishes(run: Run) -> None:
    budget = run.policy.max_agent_runs
    assert budget is not None
    assert sum(len(t.attempts) for t in run.state.tickets.values()) <= budget
    *_, finishing, last = run.steps
    assert (finishing.actions, last.actions) == ([Finish()], [])
    spent = f"the chain's budget of {budget} agent runs is spent"
    for step, send in run.sends:
        if not send.retry:
            assert run.policy.spent(step.before) is None, send
    for ticket in run.state.tickets.values():
        if ticket.reason == spent:
            assert ticket.status in {"blocked", "skipped"}
        if ticket.status == "skipped" and ticket.reason == spent:
            assert ticket.attempts == []


# -- examples --------------------------------------------------------------------------------------


def kinds(run: Run, key: str) -> list[str]:
    return [a.kind for a in run.state.tickets[key].attempts]


def test_a_happy_chain_of_three_runs_in_one_session() -> None:
    tickets = [make_ticket("A"), make_ticket("B", "A"), make_ticket("C", "B")]
    run = simulate(tickets, Policy(), Scripted())

    assert [s.action for s in run.steps] == [
        Prepare(),
        SendPrompt("A", "launch"),
        Validate("A"),
        SendPrompt("B", "followup"),
        Validate("B"),
        SendPrompt("C", "followup"),
        Validate("C"),
        Finish(),
        None,
    ]
    assert len(run.state.sessions) == 1
    assert {t.status for t in run.state.tickets.values()} == {"passed"}
    assert run.state.checkpoint == run.state.tickets["C"].checkpoint
    assert run.state.tickets["B"].base_commit == run.state.tickets["A"].checkpoint


def test_a_red_validation_gets_a_correction_then_passes() -> None:
    run = simulate([make_ticket("A")], Policy(max_corrections=2), Scripted(validations=["red"]))

    assert kinds(run, "A") == ["launch", "correction"]
    first, second = run.state.tickets["A"].attempts
    assert first.validation is not None
    assert not first.validation.passed
    assert second.validation is not None
    assert second.validation.passed
    assert run.state.tickets["A"].status == "passed"
    assert run.state.tickets["A"].checkpoint == second.commit
    assert [s.number for s in run.state.sessions] == [1]


def test_a_failed_agent_call_is_recovered_in_a_new_session() -> None:
    run = simulate([make_ticket("A")], Policy(), Scripted(agent_calls=["failed-in-session"]))

    assert kinds(run, "A") == ["launch", "recovery"]
    assert [s.reason for s in run.state.sessions] == ["start", "recovery"]
    assert [a.session for a in run.state.tickets["A"].attempts] == [1, 2]
    assert run.state.tickets["A"].status == "passed"
    assert run.state.tickets["A"].recovered


def test_a_failed_recovery_blocks_the_ticket_and_skips_its_dependents() -> None:
    tickets = [make_ticket("A"), make_ticket("B", "A"), make_ticket("C")]
    outcomes = Scripted(agent_calls=["failed-in-session", "failed-in-session"])
    run = simulate(tickets, Policy(), outcomes)
    states = run.state.tickets

    assert kinds(run, "A") == ["launch", "recovery"]
    assert states["A"].status == "blocked"
    assert states["A"].reason is not None
    assert "agent failed" in states["A"].reason
    assert states["B"].status == "skipped"
    assert states["B"].reason == "depends on A, which is blocked"
    # The independent ticket is still worked, in a session of its own: A's last one died.
    assert kinds(run, "C") == ["launch"]
    assert states["C"].status == "passed"
    assert run.state.outcome == "blocked"


def test_corrections_run_out_then_recovery_then_block() -> None:
    policy = Policy(max_corrections=1)
    run = simulate([make_ticket("A")], policy, Scripted(validations=["major"] * 4))

    assert kinds(run, "A") == ["launch", "correction", "recovery", "correction"]
    assert len(run.state.tickets["A"].attempts) == max_attempts(policy)
    assert run.state.tickets["A"].status == "blocked"
    assert "after 1 correction(s)" in str(run.state.tickets["A"].reason)


@pytest.mark.parametrize(("kind", "blocked"), [("launch", "A"), ("followup", "B")])
def test_a_prompt_interrupted_every_time_is_blocked_after_max_tries(
    kind: Literal["launch", "followup"], blocked: str
) -> None:
    calls: list[AgentOutcome] = [] if kind == "launch" else ["ok"]  # A passes, then B is sent
    calls += ["interrupted"] * MAX_TRIES
    run = simulate([make_ticket("A"), make_ticket("B")], Policy(), Scripted(agent_calls=calls))

    sends = [send for _, send in run.sends if send.ticket == blocked]
    retries = [SendPrompt(blocked, kind, retry=True)] * (MAX_TRIES - 1)
    assert sends == [SendPrompt(blocked, kind), *retries]
    ticket = run.state.tickets[blocked]
    assert ticket.status == "blocked"
    assert [a.tries for a in ticket.attempts] == [MAX_TRIES]
    assert ticket.reason == f"the {kind} prompt was interrupted {MAX_TRIES} times"
