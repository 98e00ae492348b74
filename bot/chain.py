"""The chain's decisions, pure: what to do next given the state, and how a result moves a ticket.

No I/O here. The dispatcher observes, calls `plan`, performs the first action through the ports,
applies its result with the functions below, saves, and asks again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from bot.agents.result import AgentResult
from bot.config import Config
from bot.ordering import cycles
from bot.state import (
    IN_FLIGHT,
    TERMINAL,
    AttemptKind,
    ChainState,
    TicketState,
    TicketStatus,
    Validation,
)
from bot.tickets import Ticket

MAX_TRIES = 3  # sends of one prompt when Baton itself keeps being interrupted
# Sessions of one ticket that may be found gone (a new job on a fresh runner cannot resume a CLI
# agent's session) and recovered without spending the ticket's own recovery.
MAX_SESSIONS_LOST = 2


@dataclass(frozen=True)
class Policy:
    max_corrections: int = 2
    # Per chain: once spent, no new prompt is sent; the chain stops and reports what is left.
    max_agent_minutes: float | None = None
    max_agent_runs: int | None = None

    @classmethod
    def of(cls, config: Config) -> Policy:
        limits = config.limits
        return cls(
            config.validation.max_corrections, limits.max_agent_minutes, limits.max_agent_runs
        )

    def spent(self, state: ChainState) -> str | None:
        """Why the chain's agent budget is spent, or None while it is not."""
        attempts = [a for t in state.tickets.values() for a in t.attempts]
        if self.max_agent_runs is not None and len(attempts) >= self.max_agent_runs:
            return f"the chain's budget of {self.max_agent_runs} agent runs is spent"
        minutes = sum(a.agent.duration_s for a in attempts if a.agent) / 60
        if self.max_agent_minutes is not None and minutes >= self.max_agent_minutes:
            return f"the chain's budget of {self.max_agent_minutes:g} agent minutes is spent"
        return None


@dataclass(frozen=True)
class Outside:
    """What a chain's plan knows beyond its own tickets (GitHub mode; a chain file's tickets
    depend only on each other). A dependency outside the chain is met (it passed in another
    chain, or its issue was closed as done), stopped (why it never will be), or else waited for.
    `cycles`: the tickets of this chain on a dependency cycle through other chains."""

    met: frozenset[str] = frozenset()
    stopped: Mapping[str, str] = field(default_factory=dict)
    cycles: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def cycle_reason(cycle: tuple[str, ...]) -> str:
    return (
        f"its dependencies form a cycle ({' → '.join(cycle)}); remove one of their "
        "`Depends on` entries"
    )


@dataclass(frozen=True)
class Prepare:
    """Create the chain's branch from the base and record the first checkpoint."""

    kind: Literal["prepare"] = "prepare"

    def describe(self) -> str:
        return "prepare the chain's branch"


@dataclass(frozen=True)
class SendPrompt:
    ticket: str
    prompt: AttemptKind
    retry: bool = False  # the previous send of this prompt was interrupted
    kind: Literal["send"] = "send"

    def describe(self) -> str:
        again = " again (interrupted)" if self.retry else ""
        return f"send the {self.prompt} prompt for {self.ticket}{again}"


@dataclass(frozen=True)
class Validate:
    ticket: str
    kind: Literal["validate"] = "validate"

    def describe(self) -> str:
        return f"validate {self.ticket}"


@dataclass(frozen=True)
class Wait:
    """The ticket's validation runs elsewhere (a job without secrets): nothing to do until its
    result arrives; no other ticket starts meanwhile (one session, one ticket at a time)."""

    ticket: str
    kind: Literal["wait"] = "wait"

    def describe(self) -> str:
        return f"wait for the validation job of {self.ticket}"


@dataclass(frozen=True)
class Block:
    ticket: str
    reason: str
    kind: Literal["block"] = "block"

    def describe(self) -> str:
        return f"block {self.ticket}: {self.reason}"


@dataclass(frozen=True)
class Skip:
    ticket: str
    reason: str
    kind: Literal["skip"] = "skip"

    def describe(self) -> str:
        return f"skip {self.ticket}: {self.reason}"


@dataclass(frozen=True)
class Finish:
    """Write the knowledge base and close the chain."""

    kind: Literal["finish"] = "finish"

    def describe(self) -> str:
        return "write the knowledge base and finish the chain"


Action = Prepare | SendPrompt | Validate | Wait | Block | Skip | Finish


def sync_tickets(state: ChainState, tickets: list[Ticket]) -> ChainState:
    """Add tickets the state has not seen yet as queued (in work order); keep everything known.
    A finished chain that gains a ticket is open again."""
    missing = {t.key: t for t in tickets if t.key and t.key not in state.tickets}
    if not missing:
        return state
    merged = dict(state.tickets)
    for key, ticket in missing.items():
        merged[key] = TicketState(key=key, title=ticket.title, spec=ticket)
    return state.model_copy(update={"tickets": merged, "finished": False})


def plan(
    state: ChainState,
    tickets: list[Ticket],
    policy: Policy | None = None,
    outside: Outside | None = None,
) -> list[Action]:
    """The next actions, most urgent first. `tickets` are in work order (dependencies first;
    `bot.ordering.plan_order`, which puts those on a cycle last)."""
    if state.finished:
        return []
    if not state.prepared:
        return [Prepare()]
    spent = (policy or Policy()).spent(state)
    outside = outside or Outside()
    action = (
        _in_flight(state, tickets, spent)
        or _on_a_cycle(state, tickets, outside)
        or _next_queued(state, tickets, spent, outside)
    )
    if action is not None:
        return [action]
    if all(state.tickets[_key(t)].status in TERMINAL for t in tickets):
        return [Finish()]
    return []


def _in_flight(state: ChainState, tickets: list[Ticket], spent: str | None) -> Action | None:
    """The one ticket being worked, if any: it goes on (one session, one ticket at a time)."""
    for ticket in tickets:
        current = state.tickets[_key(ticket)]
        if current.status in IN_FLIGHT:
            action = _continue(current)
            if spent and isinstance(action, SendPrompt) and not action.retry:
                return Block(current.key, spent)
            return action
    return None


def _on_a_cycle(state: ChainState, tickets: list[Ticket], outside: Outside) -> Action | None:
    """A queued ticket on a dependency cycle is blocked at once, naming the cycle: it could never
    start, and the chain's other tickets go on."""
    found = {**cycles(tickets), **outside.cycles}
    for ticket in tickets:
        key = _key(ticket)
        if state.tickets[key].status == "queued" and key in found:
            return Block(key, cycle_reason(found[key]))
    return None


def _next_queued(
    state: ChainState, tickets: list[Ticket], spent: str | None, outside: Outside
) -> Action | None:
    for ticket in tickets:
        current = state.tickets[_key(ticket)]
        if current.status != "queued":
            continue
        if spent:
            return Skip(current.key, spent)
        deps = [state.tickets[d] for d in ticket.depends_on if d in state.tickets]
        stopped = [d for d in deps if d.status in {"blocked", "skipped"}]
        if stopped:
            return Skip(current.key, f"depends on {stopped[0].key}, which is {stopped[0].status}")
        beyond = [d for d in ticket.depends_on if d not in state.tickets]
        gone = [d for d in beyond if d in outside.stopped]
        if gone:
            return Skip(current.key, f"depends on {gone[0]}, which {outside.stopped[gone[0]]}")
        met = all(d in outside.met for d in beyond)
        if met and all(d.status == "passed" for d in deps):
            return SendPrompt(current.key, "followup" if state.session else "launch")
    return None


def _key(ticket: Ticket) -> str:
    if ticket.key is None:
        raise ValueError("a ticket in a chain has no key")
    return ticket.key


def _continue(ticket: TicketState) -> Action:
    last = ticket.last
    if ticket.status == "running":
        # Sent but no answer recorded: Baton was interrupted mid-call. Send it again, boundedly.
        if last is None:
            return SendPrompt(ticket.key, "launch")
        if last.tries >= MAX_TRIES:
            return Block(ticket.key, f"the {last.kind} prompt was interrupted {last.tries} times")
        return SendPrompt(ticket.key, last.kind, retry=True)
    if ticket.status == "validating":
        if last is not None and last.validation_requested and last.validation is None:
            return Wait(ticket.key)
        return Validate(ticket.key)
    if ticket.status == "correcting":
        return SendPrompt(ticket.key, "correction")
    return SendPrompt(ticket.key, "recovery")


def after_agent(ticket: TicketState, result: AgentResult) -> tuple[TicketStatus, str | None]:
    """Where a ticket goes once the agent answered: validate it, or recover a failed session. A
    session that was only gone (a new runner) is recovered without spending the ticket's one
    recovery, a bounded number of times. `ticket` holds the attempt `result` answers."""
    if result.ok:
        return "validating", None
    reason = f"agent failed: {result.error or 'no reason given'}"
    if result.session_lost and ticket.sessions_lost <= MAX_SESSIONS_LOST:
        return "recovering", f"the session is gone ({result.error or 'unknown to the agent'})"
    return _recover_or_block(ticket, reason)


def after_validation(
    ticket: TicketState, validation: Validation, policy: Policy
) -> tuple[TicketStatus, str | None]:
    """Pass only on a green validation; otherwise correct, then recover once, then block."""
    if validation.passed:
        return "passed", None
    if ticket.corrections_in_session < policy.max_corrections:
        return "correcting", None
    return _recover_or_block(
        ticket,
        f"validation still failing after {ticket.corrections_in_session} correction(s): "
        f"{validation.summary()}",
    )


def _recover_or_block(ticket: TicketState, reason: str) -> tuple[TicketStatus, str | None]:
    if not ticket.recovery_spent:
        return "recovering", reason
    return "blocked", reason


def max_attempts(policy: Policy) -> int:
    """A launch (or followup) and its corrections, then one recovery and its corrections."""
    return 2 * (1 + policy.max_corrections)


def awaiting_job(state: ChainState) -> list[tuple[str, int, str]]:
    """The attempts waiting for a validation job's result: (ticket, attempt, the commit sent)."""
    return [
        (t.key, last.number, last.validation_requested)
        for t in state.tickets.values()
        if t.status == "validating"
        and (last := t.last) is not None
        and last.validation_requested
        and last.validation is None
    ]
