"""How the chain moves, pure: each function takes the state and what happened (the action, the
agent's answer, the commit made, the validation) and returns the NEW state, with what to tell
people about it. The caller's state is never changed (what a move leaves alone may be shared
with it); the dispatcher performs the I/O, applies these, and saves what they return.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.agents.result import AgentResult
from bot.chain import Action, Block, Policy, SendPrompt, Skip, after_agent, after_validation
from bot.config import BranchesConfig
from bot.errors import BatonError, WorkspaceError
from bot.notify import Event, EventKind
from bot.ordering import plan_order
from bot.state import (
    Attempt,
    ChainState,
    Retry,
    Session,
    TicketState,
    TicketStatus,
    Validation,
    now,
)
from bot.tickets import Ticket


@dataclass(frozen=True)
class Note:
    """An event to tell people once the new state is saved."""

    kind: EventKind
    message: str
    ticket: str | None = None

    def event(self, state: ChainState, report: str | None) -> Event:
        """The event, with what a rich notifier (Slack) shows beside it: the ticket's title and
        attempts, its last validation, the pull request its agent opened, the chain's `report`."""
        ticket = state.tickets.get(self.ticket) if self.ticket else None
        last = ticket.last if ticket else None
        return Event(
            kind=self.kind,
            chain=state.name,
            ticket=self.ticket,
            message=self.message,
            title=ticket.title if ticket else None,
            attempts=len(ticket.attempts) if ticket else None,
            details=last.validation.summary() if last and last.validation else None,
            url=last.agent.pr_url if last and last.agent else None,
            report=report,
            state=state,
        )


@dataclass(frozen=True)
class Moved:
    """The chain's new state, and what to tell people about the move."""

    state: ChainState
    notes: list[Note] = field(default_factory=list)


def _as_event(status: TicketStatus) -> EventKind:
    events: dict[str, EventKind] = {
        "passed": "passed",
        "blocked": "blocked",
        "skipped": "skipped",
        "correcting": "correcting",
        "recovering": "recovering",
    }
    return events.get(status, "validated")


def new_chain(name: str, branches: BranchesConfig, current: str | None) -> ChainState:
    """A chain not started yet, on its own branch from the configured base (else the branch
    checked out, `current`)."""
    base = branches.base or current
    if base is None:
        raise WorkspaceError(
            "HEAD is detached, so Baton cannot tell the base branch",
            hint="check out a branch, or set branches.base in .github/baton.yml",
        )
    return ChainState(name=name, branch=f"{branches.prefix}{name}", base_branch=base)


def _changing(state: ChainState, key: str) -> tuple[ChainState, TicketState]:
    """A new state in which ticket `key`, the sessions and the chain's own fields may be changed;
    the other tickets are shared with `state`, which stays as it was. Transitions assign the
    ticket's and its attempts' fields and add to its lists, never change what those hold: a copy
    of those levels keeps `state` as it was, at a fraction of a deep copy's cost."""
    old = state.tickets[key]
    ticket = old.model_copy(
        update={"attempts": [a.model_copy() for a in old.attempts], "retries": list(old.retries)}
    )
    sessions = [s.model_copy() for s in state.sessions]
    new = state.model_copy(update={"tickets": {**state.tickets, key: ticket}, "sessions": sessions})
    return new, ticket


def prepared(state: ChainState, base: str) -> Moved:
    """The chain's branch was created at `base`: the first checkpoint."""
    changes = {"base_commit": base, "checkpoint": base, "prepared": True}
    new = state.model_copy(update=changes)
    started = f"{len(new.tickets)} ticket(s) on {new.branch} from {new.base_branch}"
    return Moved(new, [Note("chain_started", started)])


def stopped(state: ChainState, action: Block | Skip) -> Moved:
    """The ticket is blocked or skipped, for the action's reason."""
    status: TicketStatus = "blocked" if isinstance(action, Block) else "skipped"
    new, ticket = _changing(state, action.ticket)
    ticket.status, ticket.reason = status, action.reason
    _stamp_stop(ticket)
    return Moved(new, [Note(_as_event(status), action.reason, action.ticket)])


def _stamp_stop(ticket: TicketState) -> None:
    if ticket.status in {"blocked", "skipped"}:
        ticket.stopped_at = now()


def retried(state: ChainState, key: str, by: str) -> Moved:
    """`by` put the stopped ticket `key` back in the queue, and with it the tickets skipped
    because of it (its dependents, and theirs): each is queued with a fresh budget of attempts
    and corrections, its earlier attempts kept as history and the retry recorded; the chain is
    open again. Raises BatonError when `key` is not blocked or skipped."""
    ticket = state.tickets[key]
    if ticket.status not in {"blocked", "skipped"}:
        raise BatonError(
            f"ticket {key} of chain {state.name} is {ticket.status}, not blocked or skipped",
            hint="only a blocked or skipped ticket can be retried (see `baton status`)",
        )
    keys = [key, *_skipped_because_of(state, key)]
    tickets = dict(state.tickets)
    for k in keys:
        old = tickets[k]
        stop = Retry(
            by=by,
            status="blocked" if old.status == "blocked" else "skipped",
            reason=old.reason,
            after=len(old.attempts),
        )
        tickets[k] = old.model_copy(
            deep=True,
            update={
                "status": "queued",
                "reason": None,
                "stopped_at": None,
                "recovered": False,
                "retries": [*old.retries, stop],
            },
        )
    new = state.model_copy(update={"tickets": tickets, "finished": False, "finished_at": None})
    return Moved(new)


def _skipped_because_of(state: ChainState, key: str) -> list[str]:
    """The skipped tickets that depend on `key`, directly or through other such tickets."""
    found: list[str] = []
    stopped = {key}
    changed = True
    while changed:
        changed = False
        for t in state.tickets.values():
            if t.key in stopped or t.status != "skipped" or t.spec is None:
                continue
            if stopped & set(t.spec.depends_on):
                stopped.add(t.key)
                found.append(t.key)
                changed = True
    return found


def start_point(state: ChainState, action: SendPrompt) -> str | None:
    """The commit the working copy returns to before the prompt goes out, so that it starts from
    green: a new ticket from the chain's checkpoint, a recovery from where its ticket started.
    None: the copy stays as it is (a correction builds on the attempt, a retry repeats it)."""
    ticket = state.tickets[action.ticket]
    if action.retry and ticket.last is not None:
        return None
    if action.prompt in {"launch", "followup"}:
        return state.checkpoint
    if action.prompt == "recovery":
        return ticket.base_commit
    return None


def sent(state: ChainState, action: SendPrompt, backend: str) -> Moved:
    """The prompt is about to go out: its attempt is recorded (a retry counts one more try of the
    last), and a launch or a recovery opens a new session of `backend`. Saved before the call,
    so that a run killed during it sends the prompt again rather than lose it."""
    new, ticket = _changing(state, action.ticket)
    kind = action.prompt
    if action.retry and ticket.last is not None:
        ticket.last.tries += 1
    else:
        if kind in {"launch", "followup"}:
            ticket.base_commit = new.checkpoint
        elif kind == "recovery":
            ticket.recovered = True
        if kind in {"launch", "recovery"}:
            reason = "start" if kind == "launch" else "recovery"
            new.sessions.append(
                Session(number=len(new.sessions) + 1, backend=backend, reason=reason)
            )
        number = len(ticket.attempts) + 1
        ticket.attempts.append(Attempt(number=number, kind=kind, session=new.sessions[-1].number))
    ticket.status = "running"
    attempt, session = ticket.attempts[-1], new.sessions[-1]
    message = f"{kind} (attempt {attempt.number}, session {session.number})"
    return Moved(new, [Note("prompt_sent", message, ticket.key)])


def answered(state: ChainState, key: str, result: AgentResult, commit: str) -> Moved:
    """The agent answered the ticket's last attempt, and its work was committed as `commit`:
    the ticket goes on to validation, or to recovery (see `chain.after_agent`)."""
    new, ticket = _changing(state, key)
    if result.pr_url and new.pr_number is None:
        # The agent opened a pull request itself: the chain reports on that one.
        new.pr_number = pr_number(result.pr_url)
    attempt = ticket.attempts[-1]
    attempt.commit, attempt.agent = commit, result
    if result.session_id:
        new.sessions[-1].id = result.session_id
    ticket.status, ticket.reason = after_agent(ticket, result)
    _stamp_stop(ticket)
    if not result.ok:
        attempt.finished_at = now()
        note = Note(_as_event(ticket.status), ticket.reason or "agent failed", key)
    else:
        note = Note("agent_replied", f"answered in {result.duration_s:.1f}s", key)
    return Moved(new, [note])


def pr_number(url: str) -> int | None:
    found = re.search(r"/pull/(\d+)", url)
    return int(found.group(1)) if found else None


def validation_requested(state: ChainState, key: str, head: str) -> Moved:
    """The ticket's last attempt (at `head`) is to be validated by a job of its own."""
    new, ticket = _changing(state, key)
    ticket.attempts[-1].validation_requested = head
    return Moved(new, [Note("validated", "waiting for the validation job", key)])


def validated(state: ChainState, key: str, validation: Validation, policy: Policy) -> Moved:
    """The ticket's last attempt was validated: it passes (and its commit is the chain's new
    checkpoint), or is corrected, recovered or blocked (see `chain.after_validation`)."""
    new, ticket = _changing(state, key)
    attempt = ticket.attempts[-1]
    attempt.validation, attempt.finished_at = validation, now()
    ticket.status, ticket.reason = after_validation(ticket, validation, policy)
    _stamp_stop(ticket)
    if ticket.status == "passed" and validation.commit:
        ticket.checkpoint = new.checkpoint = validation.commit
    notes = [Note("validated", validation.summary(), key)]
    if ticket.status != "validating":
        head = validation.commit or ""
        said = {"passed": f"checkpoint {head[:10]}", "correcting": "sending a correction"}
        message = ticket.reason or said.get(ticket.status, "")
        notes.append(Note(_as_event(ticket.status), message, key))
    return Moved(new, notes)


def closing(state: ChainState) -> ChainState:
    """The chain about to be finished: when its last attempt ended stands for when it finished,
    the same on a re-run, so that a re-run writes the very same knowledge files."""
    ends = [a.finished_at for t in state.tickets.values() for a in t.attempts if a.finished_at]
    at = state.finished_at or max(ends, default=state.started_at)
    return state.model_copy(update={"finished_at": at, "finished": True})


def finished(state: ChainState, knowledge_commit: str | None, knowledge_dir: str) -> Moved:
    """The knowledge base is written (in `knowledge_commit`): the chain is done."""
    new = closing(state).model_copy(update={"knowledge_commit": knowledge_commit})
    message = f"{new.outcome}; knowledge in {knowledge_dir}/"
    return Moved(new, [Note("chain_finished", message)])


def session_key(state: ChainState) -> str:
    """The key of the chain's newest session (see `Agent.start`): the same when its launch is
    sent again, another for a chain begun anew after its state was lost (it starts later)."""
    return f"{state.name}@{state.started_at.isoformat()}#{state.sessions[-1].number}"


def cloud_revert(state: ChainState) -> str | None:
    """For a cloud agent, which keeps its own branch: the checkpoint to return to when the work
    last sent there was not accepted (Baton cannot reset the agent's copy), else None."""
    # The ticket being sent has its attempt already, with no commit yet: the last commit is the
    # work sent before it.
    commits = [a.commit for t in state.tickets.values() for a in t.attempts if a.commit]
    last = commits[-1] if commits else None
    return state.checkpoint if last and last != state.checkpoint else None


def tickets_started(action: Action, started: int, limit: int | None) -> int | None:
    """How many new tickets this run has started once `action` is done, `started` before it;
    None when the action would start one past the run's `limit` (`--max-tickets`)."""
    starts = (
        isinstance(action, SendPrompt)
        and action.prompt in {"launch", "followup"}
        and not action.retry
    )
    if not starts or limit is None:
        return started
    return started + 1 if started < limit else None


def joined(order: list[Ticket], state: ChainState) -> list[Ticket]:
    """The chain's tickets in work order, with those another run added to `state` while this
    run held it (a review followup, claimed with its spec)."""
    known = {t.key for t in order}
    added = [t.spec for t in state.tickets.values() if t.spec and t.key not in known]
    return plan_order([*order, *added]) if added else order
