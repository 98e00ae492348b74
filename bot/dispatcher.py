"""The reconcile loop: observe the chain, ask `chain.plan` what to do, do the first thing through
the ports, move the state with `bot.transitions`, save, and ask again, until nothing is left to
do now or the time budget is spent.

Everything the loop learns is written to the store before the next step, so a run killed at any
point is continued by the next one: no ticket passes twice, no session is started twice.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Mapping

from bot import transitions
from bot.agents.base import Agent
from bot.chain import (
    Action,
    Block,
    Outside,
    Policy,
    Prepare,
    SendPrompt,
    Skip,
    Validate,
    Wait,
    awaiting_job,
    plan,
    sync_tickets,
)
from bot.chain_file import ChainFile
from bot.chain_store import ChainStore
from bot.config import Config
from bot.errors import BatonError, HandoverError, Problem, StateConflict, WorkspaceError
from bot.evidence.baseline import known_baseline
from bot.forge import Forge, LocalForge
from bot.handover import Jobs, handed_over, handover_due, not_handed_over
from bot.knowledge import read_knowledge, report_path
from bot.learning import proposals
from bot.lease import holder, holds, released, standing, take
from bot.notify import Notifier
from bot.ordering import plan_order
from bot.prompts import ChainView, prompt_for
from bot.publishing import Reporter, Unreported, propose_conventions, publish_knowledge
from bot.redact import Redactor
from bot.run_options import RunOptions
from bot.sandbox import NoSandbox, Sandbox
from bot.state import AttemptKind, ChainState
from bot.store import Store
from bot.tickets import Ticket
from bot.transitions import Moved, Note
from bot.validation.check_run import validation_result
from bot.validation.review import ChangeReviewer
from bot.validation.run import validate_here
from bot.workspace import Git

log = logging.getLogger(__name__)


class Dispatcher:
    def __init__(
        self,
        *,
        git: Git,
        config: Config,
        store: Store,
        agent: Callable[[], Agent],
        notifier: Notifier,
        environ: Mapping[str, str],
        redact: Redactor,
        llm: ChangeReviewer | None = None,
        forge: Forge | None = None,
        publisher: Reporter | None = None,
        options: RunOptions | None = None,
        sandbox: Sandbox | None = None,
        jobs: Jobs | None = None,
    ) -> None:
        self.git = git
        self.root = git.root
        self.config = config
        self._make_agent = agent
        self._agent: Agent | None = None
        self.notifier = notifier
        # Baton's environment (for the test command), the run's redactor, the LLM reviewer.
        self.environ, self.redact, self._llm = environ, redact, llm
        self.forge: Forge = forge or LocalForge()
        self.publisher: Reporter = publisher or Unreported()  # what people see of the chain
        self.options = options or RunOptions()
        self.sandbox: Sandbox = sandbox or NoSandbox()  # where the test command runs
        # Inside Actions: the runs of Baton's workflow (a lease holder's, a new job's).
        self.jobs = jobs
        self.problems: list[Problem] = []  # for the user: one line each, with the fix
        self.policy = Policy.of(config)
        self.actions_done = 0
        self.tickets_started = 0
        self.lease_owner = holder()
        # Longer than the longest action: an agent call and a test run, with room to spare.
        self.lease_seconds = 60 * (
            config.agent.timeout_minutes + config.validation.test_timeout_minutes + 10
        )
        self.chains = ChainStore(store, self.lease_owner)
        self.planned: list[Action] = []  # with dry_run: what would be done now
        self._order: list[Ticket] = []  # the chain's tickets, in work order
        self._outside: Outside | None = None
        # The chain as this run has it now: what its release saves, also after an error.
        self._live: ChainState | None = None

    @property
    def agent(self) -> Agent:
        if self._agent is None:
            self._agent = self._make_agent()
        return self._agent

    @property
    def _tickets(self) -> dict[str, Ticket]:
        return {str(t.key): t for t in self._order}

    # -- the loop ------------------------------------------------------------------------------

    def run_chain(self, chain_file: ChainFile, outside: Outside | None = None) -> ChainState:
        """Work the chain until nothing is left to do now. `outside`: what is known of the
        dependencies beyond it (GitHub mode)."""
        self._outside = outside
        self._order = plan_order(chain_file.tickets)
        loaded = self.chains.load(chain_file.name)
        state = self._adopt(loaded or self._new_state(chain_file.name))
        if self.options.dry_run:
            self.planned = plan(state, self._order, self.policy, self._outside)
            return state
        if self._leased_elsewhere(state):
            return state
        if state.prepared and not state.finished:
            self.forge.open_branch(self.git, state.branch)
            self._switch_to(state.branch)
        self.publisher.report(state)
        try:
            state = self._work(state)
            # A ticket another run added meanwhile (a review followup: the event's job finds the
            # chain held by this one) is worked here, in this run's live session.
            while (fresh := self._added_meanwhile(state)) is not None:
                state = self._work(fresh)
            return state
        finally:
            self._release(self._live or state)

    def _adopt(self, state: ChainState) -> ChainState:
        """`state` as this run goes on with it: the tickets another run added to it (a review
        followup) join this run's work, in work order."""
        self._order = transitions.joined(self._order, state)
        self._live = sync_tickets(state, self._order)
        return self._live

    def _added_meanwhile(self, state: ChainState) -> ChainState | None:
        """The chain as the store has it, when another run added a ticket to it while this run
        held it; None otherwise, or when the time budget is spent."""
        out_of_time = (
            self.options.deadline is not None and time.monotonic() >= self.options.deadline
        )
        if out_of_time or not holds(state, self.lease_owner):
            return None
        data = self.chains.read()
        fresh = data.chains.get(state.name)
        if fresh is None or all(key in self._tickets for key in fresh.tickets):
            return None
        return self._adopt(self.chains.adopt(data, state.name) or state)

    def _work(self, state: ChainState) -> ChainState:
        while True:
            state = self._collect_validations(state)
            actions = plan(state, self._order, self.policy, self._outside)
            if actions and isinstance(actions[0], Wait):
                return state  # the validation job's result comes with a later run
            if not actions:
                if self.chains.unsaved_reports(state):
                    state = self._save(state)  # what the last report wrote
                return state
            if self.options.deadline is not None and time.monotonic() >= self.options.deadline:
                log.info("run.time_budget_spent", extra={"chain": state.name})
                return self._hand_over(state, actions)
            started = transitions.tickets_started(
                actions[0], self.tickets_started, self.options.max_tickets
            )
            if started is None:
                log.info("run.ticket_limit_reached", extra={"chain": state.name})
                return state
            self.tickets_started = started
            try:
                state = self._perform(actions[0], state)
            except StateConflict:
                log.info("state.conflict_replan", extra={"chain": state.name})
                state = self._adopt(self.chains.load(state.name) or state)
                if self._leased_elsewhere(state):
                    return state
                continue
            self.actions_done += 1
            self.options.crashes.after_action(self.actions_done)

    def _new_state(self, name: str) -> ChainState:
        return transitions.new_chain(name, self.config.branches, self.git.branch())

    def _leased_elsewhere(self, state: ChainState) -> bool:
        runs = self.jobs.workflow_run if self.jobs is not None else None
        other, news = standing(state, self.lease_owner, runs)
        if news:
            self._tell(state, [Note("chain_started", news)])
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
        moved = handed_over(state, run, error)
        try:
            state = self._save(moved.state, renew=False)
        except BatonError as exc:  # the new job goes on regardless; only the record is lost
            log.warning("handover.record_lost", extra={"chain": state.name, "error": str(exc)})
            state = self._live = moved.state
        self._tell(state, moved.notes)
        if error is not None:
            self.problems.append(not_handed_over(state.name, error))
        return state

    def _release(self, state: ChainState) -> None:
        """The run's last save: give the chain back when this run holds it, so the next run need
        not wait, and keep what the last report recorded. Another run may have saved meanwhile
        (a review followup added to the chain): what it saved stays, the lease goes."""
        for _ in range(3):
            held = holds(state, self.lease_owner)
            if not held and not self.chains.unsaved_reports(state):
                return
            try:
                self._save(released(state) if held else state, renew=False)
                return
            except StateConflict:
                state = self.chains.load(state.name) or state
            except BatonError as exc:  # the lease lapses at its expiry; the run's error matters
                log.info("lease.release_lost", extra={"chain": state.name, "error": str(exc)})
                return

    def _save(self, state: ChainState, *, renew: bool = True) -> ChainState:
        """Persist, then report what changed (the records go with the next save).
        Every save renews this run's lease on the chain. The chain as saved, with the tickets
        another run added meanwhile, is what the run goes on with."""
        if renew:
            state = take(state, self.lease_owner, self.lease_seconds, self.options.run)
        self.publisher.stage(state)
        state = self._adopt(self.chains.save(state))
        self.publisher.report(state)
        return state

    def _record(self, moved: Moved) -> ChainState:
        """Save the chain's new state, then tell people what happened."""
        state = self._save(moved.state)
        self._tell(state, moved.notes)
        return state

    def _tell(self, state: ChainState, notes: list[Note]) -> None:
        report = f"{self.config.knowledge.dir}/{report_path(state)}" if state.finished else None
        for note in notes:
            self.notifier.notify(note.event(state, report))

    def _perform(self, action: Action, state: ChainState) -> ChainState:
        log.debug("action.start", extra={"action": action.describe()})
        if isinstance(action, Prepare):
            return self._prepare(state)
        if isinstance(action, SendPrompt):
            return self._send(action, state)
        if isinstance(action, Validate):
            return self._validate(action, state)
        if isinstance(action, Block | Skip):
            return self._record(transitions.stopped(state, action))
        return self._finish(state)

    # -- the actions ---------------------------------------------------------------------------

    def _leave_for(self, branch: str) -> bool:
        """Whether the working copy is on another branch than `branch`; leaving it is refused
        with uncommitted work in it."""
        now = self.git.status()
        if now.branch != branch and now.dirty:
            raise WorkspaceError(
                f"the working copy has uncommitted changes ({', '.join(now.dirty[:3])})",
                hint="commit or stash them, then run baton again",
            )
        return now.branch != branch

    def _switch_to(self, branch: str) -> None:
        if self._leave_for(branch):
            self.git.switch(branch)

    def _prepare(self, state: ChainState) -> ChainState:
        self._leave_for(state.branch)
        base = self.git.run("rev-parse", "--verify", f"{state.base_branch}^{{commit}}")
        self.git.checkout_branch(state.branch, base)
        self.forge.push(self.git, state.branch)
        return self._record(transitions.prepared(state, base))

    def _ensure_at(self, state: ChainState, commit: str | None) -> None:
        """Return the working copy to a checkpoint, so the next prompt starts from green."""
        if not commit:
            return
        now = self.git.status()
        if now.head != commit or now.dirty:
            self.git.reset_to(commit)
            self.forge.push(self.git, state.branch)

    def _send(self, action: SendPrompt, state: ChainState) -> ChainState:
        ticket, kind = self._tickets[action.ticket], action.prompt
        self._ensure_at(state, transitions.start_point(state, action))
        # The intent, saved: a crash from here on sends this prompt again.
        state = self._record(transitions.sent(state, action, self.agent.name))
        prompt = self._prompt(kind, ticket, state)
        resume = state.sessions[-1].id if kind in {"followup", "correction"} else None
        test = self._test_command(ticket)  # the one command the agent may run to test
        if resume:
            result = self.agent.resume(resume, prompt, self.root, state.branch, test_command=test)
        else:
            key, chain = transitions.session_key(state), state.name
            result = self.agent.start(
                prompt, self.root, state.branch, test_command=test, session_key=key, chain=chain
            )
        if result.ok and result.branch:
            # A cloud agent pushed its work: validate exactly that.
            self.forge.fetch(self.git, result.branch)
            self.git.run("reset", "-q", "--hard", "FETCH_HEAD")
        number = state.tickets[action.ticket].attempts[-1].number
        commit = self.git.commit_all(f"baton({action.ticket}): attempt {number}, {kind}")
        self.forge.push(self.git, state.branch)
        return self._record(transitions.answered(state, action.ticket, result, commit))

    def _prompt(self, kind: AttemptKind, ticket: Ticket, state: ChainState) -> str:
        cloud, command = self.options.cloud_agent, self._test_command(ticket)
        view = ChainView(state.name, self._order, state.tickets, command, cloud=cloud)
        revert = transitions.cloud_revert(state) if cloud else None
        # As the base commit has them: the agent cannot rewrite its rules.
        at = functools.partial(
            read_knowledge, self.git, state.base_commit, self.config.knowledge.dir
        )
        return prompt_for(kind, ticket, view, at, revert, redact=self.redact)

    def _test_command(self, ticket: Ticket) -> str | None:
        own = ticket.test_command if self.options.ticket_commands else None
        return own or self.config.validation.test_command

    def _validate(self, action: Validate, state: ChainState) -> ChainState:
        ticket, ts = self._tickets[action.ticket], state.tickets[action.ticket]
        if self.options.validate_in_job:
            # The agent's code runs where no secret is: a job of its own (`baton validate`).
            return self._record(transitions.validation_requested(state, ts.key, self.git.head()))
        validation = validate_here(
            self.git,
            self.config,
            ticket,
            base=str(ts.base_commit),
            rules_at=str(state.base_commit),
            environ=self.environ,
            llm=self._llm,
            ticket_command=self.options.ticket_commands,
            sandbox=self.sandbox,
            baseline=known_baseline(state, ts.key),
        )
        return self._record(transitions.validated(state, ts.key, validation, self.policy))

    def _collect_validations(self, state: ChainState) -> ChainState:
        """Observe: results of validation jobs that finished since the last run."""
        for key, attempt, sha in awaiting_job(state):
            found = validation_result(self.forge, state, key, attempt)
            if found is not None and found.commit == sha:
                state = self._record(transitions.validated(state, key, found, self.policy))
        return state

    def _finish(self, state: ChainState) -> ChainState:
        # Finished when its last attempt ended: the same on a re-run, which then writes the
        # very same files.
        final = transitions.closing(state)
        self._ensure_at(state, state.checkpoint)
        data = self.chains.with_chain(final)
        folder = self.config.knowledge.dir
        commit = publish_knowledge(self.forge, self.git, folder, final, data, redact=self.redact)
        found = [p for p in proposals(final) if p.id not in self.chains.data.proposals]
        if found:
            added = propose_conventions(
                self.forge, self.git, final, self.config.review.conventions, found
            )
            self.chains.proposed(added)
        for session in dict.fromkeys(s.id for s in final.sessions if s.id):
            self.agent.end_session(session)  # a Cursor agent is archived; never fails the chain
        return self._record(transitions.finished(final, commit, self.config.knowledge.dir))
