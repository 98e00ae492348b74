"""The reconcile loop: observe the chain, ask `chain.plan` what to do, do the first thing through
the ports, save, and ask again, until nothing is left to do now or the time budget is spent.

Everything the loop learns is written to the store before the next step, so a run killed at any
point is continued by the next one: no ticket passes twice, no session is started twice.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.agents.base import Agent
from bot.chain import (
    Action,
    Block,
    Policy,
    Prepare,
    SendPrompt,
    Skip,
    Validate,
    Wait,
    after_agent,
    after_validation,
    plan,
    sync_tickets,
)
from bot.chain_file import ChainFile
from bot.config import Config
from bot.errors import BatonError, HandoverError, Problem, StateConflict, WorkspaceError
from bot.forge import Forge, LocalForge
from bot.handover import Jobs, continuation, handover_due
from bot.knowledge import report_path
from bot.learning import proposals
from bot.lease import fingerprint, held_by_another, holder, rebase, take
from bot.notify import Event, EventKind, Notifier
from bot.ordering import work_order
from bot.prompts import (
    ChainView,
    Knowledge,
    correction_prompt,
    followup_prompt,
    launch_prompt,
    recovery_prompt,
)
from bot.publishing import Publisher, propose_conventions, publish_knowledge
from bot.sandbox import NoSandbox, Sandbox
from bot.state import (
    Attempt,
    ChainState,
    Handover,
    RunRef,
    Session,
    StoreData,
    TicketStatus,
    Validation,
    now,
)
from bot.store import Store
from bot.tickets import Ticket
from bot.validation.check_run import validation_result
from bot.validation.llm import llm_reviewer
from bot.validation.run import validate_here
from bot.workspace import Git

log = logging.getLogger(__name__)
CRASH_EXIT = 86  # exit status of an injected crash (see `crash_after`)


@dataclass
class RunOptions:
    dry_run: bool = False
    deadline: float | None = None  # time.monotonic() after which no new action starts
    # Fault injection for crash-safety tests: die abruptly after this many saved actions.
    crash_after: int | None = None
    max_tickets: int | None = None  # start at most this many new tickets in this run
    cloud_agent: bool = False  # the agent works on its own copy and pushes a branch
    validate_in_job: bool = False  # the agent's code is tested in a job without secrets
    ticket_commands: bool = True  # a ticket may set its own test command (see issue_test_commands)
    # Inside GitHub Actions: this run, recorded with the chain's lease and its handovers.
    run: RunRef | None = None


def _as_event(status: TicketStatus) -> EventKind:
    events: dict[str, EventKind] = {
        "passed": "passed",
        "blocked": "blocked",
        "skipped": "skipped",
        "correcting": "correcting",
        "recovering": "recovering",
    }
    return events.get(status, "validated")


class Dispatcher:
    def __init__(
        self,
        *,
        git: Git,
        config: Config,
        store: Store,
        agent: Callable[[], Agent],
        notifier: Notifier,
        forge: Forge | None = None,
        publisher: Publisher | None = None,
        options: RunOptions | None = None,
        sandbox: Sandbox | None = None,
        jobs: Jobs | None = None,
    ) -> None:
        self.git = git
        self.root = git.root
        self.config = config
        self.store = store
        self._make_agent = agent
        self._agent: Agent | None = None
        self.notifier = notifier
        self.forge: Forge = forge or LocalForge()
        self.publisher = publisher  # what people see of the chain; None: nothing to report
        self.options = options or RunOptions()
        self.sandbox: Sandbox = sandbox or NoSandbox()  # where the test command runs
        # Inside Actions: the runs of Baton's workflow (a lease holder's, a new job's).
        self.jobs = jobs
        self.problems: list[Problem] = []  # for the user: one line each, with the fix
        self.policy = Policy(
            max_corrections=config.validation.max_corrections,
            max_agent_minutes=config.limits.max_agent_minutes,
            max_agent_runs=config.limits.max_agent_runs,
        )
        self.actions_done = 0
        self.tickets_started = 0
        self.lease_owner = holder()
        # Longer than the longest action: an agent call and a test run, with room to spare.
        self.lease_seconds = 60 * (
            config.agent.timeout_minutes + config.validation.test_timeout_minutes + 10
        )
        self._llm = llm_reviewer(config.review.llm)
        self.planned: list[Action] = []  # with dry_run: what would be done now
        self._order: list[Ticket] = []  # the chain's tickets, in work order
        self._tickets: dict[str, Ticket] = {}
        self._seen: str | None = None  # the chain as this run last read or saved it
        self._data = StoreData()

    @property
    def agent(self) -> Agent:
        if self._agent is None:
            self._agent = self._make_agent()
        return self._agent

    # -- the loop ------------------------------------------------------------------------------

    def run_chain(self, chain_file: ChainFile) -> ChainState:
        self._order = work_order(chain_file.tickets)
        self._tickets = {str(t.key): t for t in self._order}
        self._data = self.store.load()
        self._seen = fingerprint(self._data.chains.get(chain_file.name))
        state = self._data.chains.get(chain_file.name) or self._new_state(chain_file.name)
        state = sync_tickets(state, self._order)
        if self.options.dry_run:
            self.planned = plan(state, self._order, self.policy)
            return state
        if self._leased_elsewhere(state):
            return state
        if state.prepared and not state.finished:
            self.forge.open_branch(self.git, state.branch)
            self._switch_to(state.branch)
        if self.publisher is not None:
            self.publisher.report(state)
        try:
            state = self._work(state)
            # A ticket another run added meanwhile (a review followup: the event's job finds the
            # chain held by this one) is worked here, in this run's live session.
            while (fresh := self._added_meanwhile(state)) is not None:
                state = self._work(fresh)
            return state
        finally:
            self._release(state)

    def _adopt(self, state: ChainState) -> ChainState:
        """`state` as read back from the store: the tickets another run added to it (a review
        followup) join this run's work, in work order."""
        self._seen = fingerprint(state)
        added = [t.spec for t in state.tickets.values() if t.spec and t.key not in self._tickets]
        if added:
            self._order = work_order([*self._order, *added])
            self._tickets = {str(t.key): t for t in self._order}
        return sync_tickets(state, self._order)

    def _take_additions(self, state: ChainState, merged: ChainState) -> None:
        """Tickets another run added to the chain while this run held it, into `state` and
        this run's work (in place: the loop goes on with this very state)."""
        added = {key: t for key, t in merged.tickets.items() if key not in state.tickets}
        if not added:
            return
        state.tickets.update(added)
        state.reviews.update({k: r for k, r in merged.reviews.items() if k not in state.reviews})
        state.finished = False
        specs = [t.spec for t in added.values() if t.spec and t.key not in self._tickets]
        self._order = work_order([*self._order, *specs])
        self._tickets = {str(t.key): t for t in self._order}

    def _added_meanwhile(self, state: ChainState) -> ChainState | None:
        """The chain as the store has it, when another run added a ticket to it while this run
        held it; None otherwise, or when the time budget is spent."""
        out_of_time = (
            self.options.deadline is not None and time.monotonic() >= self.options.deadline
        )
        if out_of_time or state.lease is None or state.lease.owner != self.lease_owner:
            return None
        data = self.store.load()
        fresh = data.chains.get(state.name)
        if fresh is None or all(key in self._tickets for key in fresh.tickets):
            return None
        self._data = data
        return self._adopt(fresh)

    def _work(self, state: ChainState) -> ChainState:
        while True:
            state = self._collect_validations(state)
            actions = plan(state, self._order, self.policy)
            if actions and isinstance(actions[0], Wait):
                return state  # the validation job's result comes with a later run
            if not actions:
                if state.reports != self._saved_reports(state):
                    self._save(state)  # what the last report wrote
                return state
            if self.options.deadline is not None and time.monotonic() >= self.options.deadline:
                log.info("run.time_budget_spent", extra={"chain": state.name})
                return self._hand_over(state, actions)
            if self._ticket_limit_reached(actions[0]):
                log.info("run.ticket_limit_reached", extra={"chain": state.name})
                return state
            try:
                state = self._perform(actions[0], state)
            except StateConflict:
                log.info("state.conflict_replan", extra={"chain": state.name})
                self._data = self.store.load()
                state = self._adopt(self._data.chains.get(state.name) or state)
                if self._leased_elsewhere(state):
                    return state
                continue
            self.actions_done += 1
            if (
                self.options.crash_after is not None
                and self.actions_done >= self.options.crash_after
            ):
                os._exit(CRASH_EXIT)

    def _ticket_limit_reached(self, action: Action) -> bool:
        starts = (
            isinstance(action, SendPrompt)
            and action.prompt in {"launch", "followup"}
            and not action.retry
        )
        if not starts or self.options.max_tickets is None:
            return False
        if self.tickets_started >= self.options.max_tickets:
            return True
        self.tickets_started += 1
        return False

    def _new_state(self, name: str) -> ChainState:
        base = self.config.branches.base or self.git.branch()
        if base is None:
            raise WorkspaceError(
                "HEAD is detached, so Baton cannot tell the base branch",
                hint="check out a branch, or set branches.base in .github/baton.yml",
            )
        return ChainState(
            name=name, branch=f"{self.config.branches.prefix}{name}", base_branch=base
        )

    def _leased_elsewhere(self, state: ChainState) -> bool:
        lease = state.lease
        runs = self.jobs.workflow_run if self.jobs is not None else None
        other = held_by_another(state, self.lease_owner, runs=runs)
        if other is not None:
            where = f"{other.run.describe()}, " if other.run else ""
            self._event(
                "chain_started",
                state,
                f"another baton run is working this chain ({where}until "
                f"{other.until:%H:%M:%S} UTC); leaving it alone",
            )
        elif lease and lease.run and lease.owner != self.lease_owner and lease.until > now():
            self._event(
                "chain_started",
                state,
                f"{lease.run.describe()} held this chain and has finished: taking it over",
            )
        return other is not None

    def _hand_over(self, state: ChainState, actions: list[Action]) -> ChainState:
        """The time budget is spent with work left: inside Actions, start a new job for the
        chain at once (once per run), and let go of the chain for it."""
        run = self.options.run
        if run is None or self.jobs is None or not handover_due(state, actions, run):
            return state
        error = None
        try:
            self.jobs.dispatch_chain(state.name)
        except HandoverError as exc:
            error = str(exc)
        state.handovers.append(Handover(run=run, dispatched=error is None, error=error))
        state.lease = None  # the new job takes the chain as soon as it starts
        try:
            self._save(state, renew=False)
        except BatonError as exc:  # the new job goes on regardless; only the record is lost
            log.warning("handover.record_lost", extra={"chain": state.name, "error": str(exc)})
        backend = state.sessions[-1].backend if state.sessions else None
        if error is None:
            self._event("handed_over", state, f"continued in a new job: {continuation(backend)}")
        else:
            self.problems.append(
                Problem(
                    "warning",
                    "handover",
                    f"the time budget was spent with work left, and no new job could be "
                    f"started: {error}",
                    source=f"chain {state.name}",
                )
            )
        return state

    def _release(self, state: ChainState) -> None:
        """Give the chain back when this run holds it, so the next run need not wait. Another
        run may have saved meanwhile (a review followup added to the chain): what it saved stays,
        the lease goes."""
        for _ in range(3):
            if state.lease is None or state.lease.owner != self.lease_owner:
                return
            state.lease = None
            try:
                self._save(state, renew=False)
                return
            except StateConflict:
                self._data = self.store.load()
                state = self._data.chains.get(state.name) or state
                self._seen = fingerprint(state)
            except BatonError as exc:  # the lease lapses at its expiry; the run's error matters
                log.info("lease.release_lost", extra={"chain": state.name, "error": str(exc)})
                return

    def _save(self, state: ChainState, *, renew: bool = True) -> ChainState:
        """Persist, then report what changed (the records go with the next save).
        Every save renews this run's lease on the chain."""
        if renew:
            take(state, self.lease_owner, self.lease_seconds, self.options.run)
        if self.publisher is not None:
            self.publisher.stage(state)
        data = self._data.model_copy(update={"chains": {**self._data.chains, state.name: state}})
        for _ in range(3):
            try:
                self._data = self.store.save(data)
                break
            except StateConflict:
                current = self.store.load()
                if current.revision == data.revision:
                    continue  # nobody else saved (the write failed, the store moved): again
                # Another run saved another chain, or added a ticket to this one: keep both.
                # Otherwise it took this chain: the loop re-reads it and plans again.
                rebased = rebase(current, data, state.name, self._seen, self.lease_owner)
                if rebased is None:
                    raise
                self._take_additions(state, rebased.chains[state.name])
                data = rebased.model_copy(update={"chains": {**rebased.chains, state.name: state}})
        else:
            raise StateConflict(
                "the state kept changing while Baton saved it",
                hint="run baton again: it continues where it stopped",
            )
        self._seen = fingerprint(state)
        if self.publisher is not None:
            self.publisher.report(state)
        return state

    def _saved_reports(self, state: ChainState) -> object:
        saved = self._data.chains.get(state.name)
        return saved.reports if saved else {}

    def _event(
        self, kind: EventKind, state: ChainState, message: str, ticket: str | None = None
    ) -> None:
        ts = state.tickets.get(ticket) if ticket else None
        last = ts.last if ts else None
        report = f"{self.config.knowledge.dir}/{report_path(state)}" if state.finished else None
        self.notifier.notify(
            Event(
                kind=kind,
                chain=state.name,
                ticket=ticket,
                message=message,
                title=ts.title if ts else None,
                attempts=len(ts.attempts) if ts else None,
                details=last.validation.summary() if last and last.validation else None,
                url=last.agent.pr_url if last and last.agent else None,
                report=report,
                state=state,
            )
        )

    def _perform(self, action: Action, state: ChainState) -> ChainState:
        log.debug("action.start", extra={"action": action.describe()})
        if isinstance(action, Prepare):
            return self._prepare(state)
        if isinstance(action, SendPrompt):
            return self._send(action, state)
        if isinstance(action, Validate):
            return self._validate(action, state)
        if isinstance(action, Block | Skip):
            ticket = state.tickets[action.ticket]
            ticket.status = "blocked" if isinstance(action, Block) else "skipped"
            ticket.reason = action.reason
            self._save(state)
            self._event(_as_event(ticket.status), state, action.reason, ticket.key)
            return state
        return self._finish(state)

    # -- the actions ---------------------------------------------------------------------------

    def _switch_to(self, branch: str) -> None:
        if self.git.branch() != branch:
            dirty = self.git.dirty_files()
            if dirty:
                raise WorkspaceError(
                    f"the working copy has uncommitted changes ({', '.join(dirty[:3])})",
                    hint="commit or stash them, then run baton again",
                )
            self.git.switch(branch)

    def _prepare(self, state: ChainState) -> ChainState:
        dirty = self.git.dirty_files()
        if dirty and self.git.branch() != state.branch:
            raise WorkspaceError(
                f"the working copy has uncommitted changes ({', '.join(dirty[:3])})",
                hint="commit or stash them, then run baton again",
            )
        base = self.git.run("rev-parse", "--verify", f"{state.base_branch}^{{commit}}")
        self.git.exclude_state_dir()
        self.git.checkout_branch(state.branch, base)
        state.base_commit = state.checkpoint = base
        state.prepared = True
        self.forge.push(self.git, state.branch)
        self._save(state)
        self._event(
            "chain_started",
            state,
            f"{len(state.tickets)} ticket(s) on {state.branch} from {state.base_branch}",
        )
        return state

    def _ensure_at(self, state: ChainState, commit: str | None) -> None:
        """Return the working copy to a checkpoint, so the next prompt starts from green."""
        if commit and (self.git.head() != commit or self.git.dirty_files()):
            self.git.reset_to(commit)
            self.forge.push(self.git, state.branch)

    def _send(self, action: SendPrompt, state: ChainState) -> ChainState:
        ticket, ts, kind = self._tickets[action.ticket], state.tickets[action.ticket], action.prompt
        if action.retry and ts.last is not None:
            attempt = ts.last
            attempt.tries += 1
        else:
            if kind in {"launch", "followup"}:
                self._ensure_at(state, state.checkpoint)
                ts.base_commit = state.checkpoint
            elif kind == "recovery":
                self._ensure_at(state, ts.base_commit)
                ts.recovered = True
            if kind in {"launch", "recovery"}:
                state.sessions.append(
                    Session(
                        number=len(state.sessions) + 1,
                        backend=self.agent.name,
                        reason="start" if kind == "launch" else "recovery",
                    )
                )
            attempt = Attempt(
                number=len(ts.attempts) + 1, kind=kind, session=state.sessions[-1].number
            )
            ts.attempts.append(attempt)
        ts.status = "running"
        self._save(state)  # the intent: a crash from here on sends this prompt again

        prompt = self._prompt(kind, ticket, state)
        session = state.sessions[-1]
        resume = session.id if kind in {"followup", "correction"} else None
        self._event(
            "prompt_sent",
            state,
            f"{kind} (attempt {attempt.number}, session {session.number})",
            ts.key,
        )
        allowed = self._test_command(ticket)  # the one command the agent may run to test
        if resume:
            result = self.agent.resume(
                resume, prompt, self.root, state.branch, test_command=allowed
            )
        else:
            result = self.agent.start(prompt, self.root, state.branch, test_command=allowed)
        if result.ok and result.branch:
            # A cloud agent pushed its work: validate exactly that.
            self.forge.fetch(self.git, result.branch)
            self.git.run("reset", "-q", "--hard", "FETCH_HEAD")
        if result.pr_url and state.pr_number is None:
            # The agent opened a pull request itself: the chain reports on that one.
            found = re.search(r"/pull/(\d+)", result.pr_url)
            state.pr_number = int(found.group(1)) if found else None

        attempt.commit = self.git.commit_all(f"baton({ts.key}): attempt {attempt.number}, {kind}")
        self.forge.push(self.git, state.branch)
        attempt.agent = result
        if result.session_id:
            session.id = result.session_id
        ts.status, ts.reason = after_agent(ts, result)
        if not result.ok:
            attempt.finished_at = now()
        self._save(state)
        if result.ok:
            self._event("agent_replied", state, f"answered in {result.duration_s:.1f}s", ts.key)
        else:
            self._event(_as_event(ts.status), state, ts.reason or "agent failed", ts.key)
        return state

    def _prompt(self, kind: str, ticket: Ticket, state: ChainState) -> str:
        key = str(ticket.key)
        view = ChainView(
            name=state.name,
            tickets=list(self._tickets.values()),
            states=state.tickets,
            test_command=self._test_command(ticket),
        )
        if kind == "followup":
            return followup_prompt(ticket, view, self._cloud_revert(state))
        if kind == "correction":
            corrected = state.tickets[key].attempts[-2].validation  # the attempt being corrected
            return correction_prompt(
                ticket, corrected or Validation(commit=None), view.test_command
            )
        knowledge = self._knowledge(state)
        if kind == "recovery":
            return recovery_prompt(ticket, view, knowledge, state.tickets[key])
        return launch_prompt(ticket, view, knowledge)

    def _cloud_revert(self, state: ChainState) -> str | None:
        """A cloud agent keeps its own branch: when the work last sent there was not accepted,
        the next prompt asks it to return to the checkpoint (Baton cannot reset its copy)."""
        if not self.options.cloud_agent:
            return None
        commits = [a.commit for t in state.tickets.values() for a in t.attempts if a.commit]
        # The ticket being sent already has its (empty) attempt: look at the ones before it.
        previous = commits[-2] if len(commits) >= 2 else None
        return state.checkpoint if previous and previous != state.checkpoint else None

    def _knowledge(self, state: ChainState) -> Knowledge:
        """Context and conventions as the base commit has them: the agent cannot rewrite its rules."""

        def read(name: str) -> str:
            path = f"{self.config.knowledge.dir}/{name}"
            return self.git.run("show", f"{state.base_commit}:{path}", check=False)

        return Knowledge(context=read("CONTEXT.md"), conventions=read("CONVENTIONS.md"))

    def _test_command(self, ticket: Ticket) -> str | None:
        own = ticket.test_command if self.options.ticket_commands else None
        return own or self.config.validation.test_command

    def _validate(self, action: Validate, state: ChainState) -> ChainState:
        ticket, ts = self._tickets[action.ticket], state.tickets[action.ticket]
        attempt = ts.attempts[-1]
        if self.options.validate_in_job:
            # The agent's code runs where no secret is: a job of its own (`baton validate`).
            attempt.validation_requested = self.git.head()
            self._save(state)
            self._event("validated", state, "waiting for the validation job", ts.key)
            return state
        validation = validate_here(
            self.git,
            self.config,
            ticket,
            base=str(ts.base_commit),
            rules_at=str(state.base_commit),
            llm=self._llm,
            ticket_command=self.options.ticket_commands,
            sandbox=self.sandbox,
        )
        return self._apply_validation(state, ts.key, validation)

    def _collect_validations(self, state: ChainState) -> ChainState:
        """Observe: results of validation jobs that finished since the last run."""
        for ts in state.tickets.values():
            last = ts.last
            if ts.status != "validating" or last is None or last.validation is not None:
                continue
            if not last.validation_requested:
                continue
            found = validation_result(self.forge, state, ts.key, last.number)
            if found is not None and found.commit == last.validation_requested:
                state = self._apply_validation(state, ts.key, found)
        return state

    def _apply_validation(self, state: ChainState, key: str, validation: Validation) -> ChainState:
        ts = state.tickets[key]
        attempt = ts.attempts[-1]
        attempt.validation = validation
        attempt.finished_at = now()
        ts.status, ts.reason = after_validation(ts, validation, self.policy)
        if ts.status == "passed" and validation.commit:
            ts.checkpoint = state.checkpoint = validation.commit
        self._save(state)
        self._event("validated", state, validation.summary(), ts.key)
        if ts.status != "validating":
            head = validation.commit or ""
            message = {"passed": f"checkpoint {head[:10]}", "correcting": "sending a correction"}
            self._event(
                _as_event(ts.status), state, ts.reason or message.get(ts.status, ""), ts.key
            )
        return state

    def _finish(self, state: ChainState) -> ChainState:
        if state.finished_at is None:
            # When the last attempt ended: the same on a re-run, so it writes the very same files.
            ends = [
                a.finished_at for t in state.tickets.values() for a in t.attempts if a.finished_at
            ]
            state.finished_at = max(ends, default=state.started_at)
        self._ensure_at(state, state.checkpoint)
        final = state.model_copy(update={"finished": True})
        data = self._data.model_copy(update={"chains": {**self._data.chains, state.name: final}})
        state.knowledge_commit = publish_knowledge(
            self.forge, self.git, self.config.knowledge.dir, final, data
        )
        found = [p for p in proposals(final) if p.id not in self._data.proposals]
        if found:
            added = propose_conventions(
                self.forge, self.git, final, self.config.review.conventions, found
            )
            self._data = self._data.model_copy(
                update={"proposals": [*self._data.proposals, *added]}
            )
        state.finished = True
        self._save(state)
        self._event(
            "chain_finished", state, f"{state.outcome}; knowledge in {self.config.knowledge.dir}/"
        )
        return state
