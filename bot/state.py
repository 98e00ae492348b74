"""Chain state: plain data, saved after every action. Everything Baton knows about a run is here,
so a killed runner loses nothing and the knowledge base can be rebuilt from it at any time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.agents.result import AgentResult
from bot.command_result import CommandResult
from bot.tickets import Ticket

SCHEMA_VERSION: Final = 1

TicketStatus = Literal[
    "queued", "running", "validating", "correcting", "recovering", "passed", "blocked", "skipped"
]
AttemptKind = Literal["launch", "followup", "correction", "recovery"]
Severity = Literal["minor", "major"]

TERMINAL: frozenset[str] = frozenset({"passed", "blocked", "skipped"})
IN_FLIGHT: frozenset[str] = frozenset({"running", "validating", "correcting", "recovering"})


def now() -> datetime:
    return datetime.now(UTC)


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Finding(_Data):
    """One result of the convention review: data, rendered elsewhere."""

    rule: str
    severity: Severity
    message: str
    file: str | None = None
    line: int | None = None
    hint: str | None = None

    @property
    def where(self) -> str:
        if self.file is None:
            return "(change)"
        return f"{self.file}:{self.line}" if self.line else self.file


class SuiteCounts(_Data):
    """What a test run reported: from its JUnit XML, or from its output's summary line."""

    passed: int = 0
    failed: int = 0  # failures and errors
    skipped: int = 0

    @property
    def run(self) -> int:
        return self.passed + self.failed

    def describe(self) -> str:
        """`3 passed, 1 failed, 2 skipped`, without the kinds that count none."""
        parts = [f"{self.passed} passed"]
        parts += [
            f"{n} {kind}" for n, kind in ((self.failed, "failed"), (self.skipped, "skipped")) if n
        ]
        return ", ".join(parts)


class Mutant(_Data):
    """One sabotage of the code under test: a line changed, and whether the new tests noticed."""

    file: str
    line: int
    operator: str
    before: str  # the line as it was, stripped
    after: str  # the line as the mutant has it, stripped
    killed: bool | None = None  # None: not tried (the time budget ran out)
    # How it was killed or why it survived: "tests failed", "timed out", "tests passed".
    outcome: str | None = None


class Evidence(_Data):
    """Phase 3: whether the tests a ticket added test something real."""

    tests: SuiteCounts | None = None  # the whole suite at this attempt
    base_tests: SuiteCounts | None = None  # the whole suite at the ticket's base commit
    new_tests: list[str] = Field(default_factory=list)  # test files added or changed
    under_test: list[str] = Field(default_factory=list)  # the code the sabotage broke
    mutants: list[Mutant] = Field(default_factory=list)
    # Lines the whole suite runs, by file, after and before the ticket; None: no report.
    covered: dict[str, int] | None = None
    base_covered: dict[str, int] | None = None
    # Why the sabotage check did not run, when it did not.
    not_tried: str | None = None
    duration_s: float = 0.0

    @property
    def tried(self) -> list[Mutant]:
        return [m for m in self.mutants if m.killed is not None]

    @property
    def killed(self) -> int:
        return sum(bool(m.killed) for m in self.mutants)

    @property
    def coverage(self) -> tuple[int, int] | None:
        """Lines of the code under test the suite runs, (before, after); None: no report."""
        if self.covered is None or self.base_covered is None or not self.under_test:
            return None
        before = sum(self.base_covered.get(p, 0) for p in self.under_test)
        return before, sum(self.covered.get(p, 0) for p in self.under_test)

    @property
    def tests_added(self) -> int | None:
        if self.tests is None or self.base_tests is None:
            return None
        return self.tests.run - self.base_tests.run

    def summary(self) -> str:
        """`+4 tests, 9 of 10 mutants noticed, lines of the code under test run: 12 → 40`."""
        if not self.new_tests:
            return "no new tests"
        added = self.tests_added
        plural = "" if added in (1, -1) else "s"
        parts = [f"{added:+d} test{plural}" if added is not None else "tests not counted"]
        if self.tried:
            parts.append(f"{self.killed} of {len(self.tried)} mutants noticed")
        elif self.not_tried:
            parts.append("no sabotage")
        if self.coverage is not None:
            parts.append("lines of the code under test run: {} → {}".format(*self.coverage))
        return ", ".join(parts)


class Validation(_Data):
    commit: str | None
    changed_files: list[str] = Field(default_factory=list)
    command: CommandResult | None = None
    findings: list[Finding] = Field(default_factory=list)
    evidence: Evidence | None = None
    finished_at: datetime = Field(default_factory=now)
    # Where validation time went: preparing the working copy, and the convention review.
    setup_s: float = 0.0
    review_s: float = 0.0

    @property
    def major(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "major"]

    @property
    def passed(self) -> bool:
        return (self.command is None or self.command.ok) and not self.major

    def summary(self) -> str:
        parts = []
        if self.command is not None:
            c = self.command
            state = "timed out" if c.timed_out else f"exit {c.exit_code}"
            parts.append(f"tests {'passed' if c.ok else 'failed'} ({state}, {c.duration_s:.1f}s)")
        if self.evidence is not None and self.evidence.new_tests:
            parts.append(f"evidence: {self.evidence.summary()}")
        majors, minors = len(self.major), len(self.findings) - len(self.major)
        if majors or minors:
            parts.append(f"{majors} major, {minors} minor finding(s)")
        return "; ".join(parts) or "nothing to check"


class Attempt(_Data):
    number: int
    kind: AttemptKind
    session: int  # which session of the chain (1, then 2 after a recovery, ...)
    started_at: datetime = Field(default_factory=now)
    tries: int = 1  # >1 when Baton itself was interrupted and sent the prompt again
    agent: AgentResult | None = None
    commit: str | None = None  # HEAD after the agent's work
    validation: Validation | None = None
    # Validation asked of a job of its own (no secrets there): the commit it validates.
    validation_requested: str | None = None
    finished_at: datetime | None = None


class Retry(_Data):
    """Someone put the stopped ticket back in the queue (`baton retry`, or its trigger label
    applied again): the attempts it had then (`after`) are history, not its budget."""

    by: str
    at: datetime = Field(default_factory=now)
    status: Literal["blocked", "skipped"]  # what it was, and why
    reason: str | None = None
    after: int = 0


class TicketState(_Data):
    key: str
    title: str | None = None
    # The ticket as claimed (GitHub mode): later edits of the issue do not change the work.
    spec: Ticket | None = None
    status: TicketStatus = "queued"
    reason: str | None = None  # why it is blocked or skipped
    base_commit: str | None = None  # the checkpoint the ticket started from
    checkpoint: str | None = None  # the commit Baton validated, once passed
    recovered: bool = False
    attempts: list[Attempt] = Field(default_factory=list)
    stopped_at: datetime | None = None  # when it was blocked or skipped
    retries: list[Retry] = Field(default_factory=list)

    @property
    def last(self) -> Attempt | None:
        return self.attempts[-1] if self.attempts else None

    @property
    def current(self) -> list[Attempt]:
        """The attempts since the ticket was last retried: those its budget counts."""
        return self.attempts[self.retries[-1].after :] if self.retries else self.attempts

    @property
    def corrections_in_session(self) -> int:
        """Corrections sent since this ticket's session began (recovery starts a new count)."""
        count = 0
        for attempt in reversed(self.current):
            if attempt.kind == "correction":
                count += 1
            else:
                break
        return count

    @property
    def corrections(self) -> int:
        return sum(a.kind == "correction" for a in self.attempts)

    @property
    def tokens(self) -> tuple[int, int] | None:
        """The (input, output) tokens of the ticket's agent calls, where the agent reported them."""
        used = [a.agent for a in self.attempts if a.agent and a.agent.input_tokens is not None]
        if not used:
            return None
        return sum(u.input_tokens or 0 for u in used), sum(u.output_tokens or 0 for u in used)

    @property
    def sessions_lost(self) -> int:
        """Prompts of this ticket that found their session gone (see AgentResult.session_lost)."""
        return sum(bool(a.agent and a.agent.session_lost) for a in self.current)

    @property
    def recovery_spent(self) -> bool:
        """Whether the ticket has used its one recovery: a recovery that replaced a session which
        failed, not one that only replaced a session that was gone."""
        previous: Attempt | None = None
        for attempt in self.current:
            if attempt.kind == "recovery" and not (
                previous and previous.agent and previous.agent.session_lost
            ):
                return True
            previous = attempt
        return False


class Session(_Data):
    number: int
    id: str | None = None
    backend: str
    started_at: datetime = Field(default_factory=now)
    reason: Literal["start", "recovery"] = "start"


class Report(_Data):
    """Something Baton wrote outside (a comment, a check run, a label): its id there, if known,
    and a digest of what was written, so unchanged reports cost no request."""

    id: int | None = None
    digest: str


class RunRef(_Data):
    """A run of a GitHub Actions workflow: its repository, id and attempt (GITHUB_REPOSITORY,
    GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT)."""

    repository: str
    id: int
    attempt: int = 1

    def describe(self) -> str:
        again = f", attempt {self.attempt}" if self.attempt > 1 else ""
        return f"Actions run {self.id}{again}"


class Lease(_Data):
    """The run working a chain now, until when (see `bot.lease`); inside Actions, also the
    holder's Actions run, so that another run can ask whether it has finished."""

    owner: str
    until: datetime
    run: RunRef | None = None


class Handover(_Data):
    """A run whose time budget was spent with work left on the chain asked for a new job to go
    on with it (a `workflow_dispatch` of its workflow for this chain); `error` says why it
    could not, and then the schedule picks the chain up."""

    run: RunRef  # the run that handed the chain over
    at: datetime = Field(default_factory=now)
    dispatched: bool = True
    error: str | None = None


class ReviewRef(_Data):
    """Where a review followup came from, so Baton can answer in its thread."""

    comment_id: int
    kind: Literal["review_comment", "review", "comment"]
    pr: int
    author: str


class ChainState(_Data):
    name: str
    branch: str
    base_branch: str
    base_commit: str | None = None
    checkpoint: str | None = None  # the last commit Baton validated (or the base)
    prepared: bool = False
    finished: bool = False
    knowledge_commit: str | None = None
    started_at: datetime = Field(default_factory=now)
    finished_at: datetime | None = None
    sessions: list[Session] = Field(default_factory=list)
    tickets: dict[str, TicketState] = Field(default_factory=dict)
    pr_number: int | None = None
    reports: dict[str, Report] = Field(default_factory=dict)
    reviews: dict[str, ReviewRef] = Field(default_factory=dict)  # by ticket key
    lease: Lease | None = None
    handovers: list[Handover] = Field(default_factory=list)
    # The chain's Slack message (its channel id and ts), updated in place by every later run.
    slack_channel: str | None = None
    slack_ts: str | None = None

    @property
    def session(self) -> Session | None:
        """The live session: the newest one, if it has an id and no agent call in it failed.

        A failed call is what sends a ticket to recovery: that session is dead, and when the
        ticket is blocked instead (its recovery failed too), the next ticket starts a new one
        rather than spend its own recovery on a session that had already died."""
        if not self.sessions or self.sessions[-1].id is None:
            return None
        newest = self.sessions[-1]
        for ticket in self.tickets.values():
            for attempt in ticket.attempts:
                if attempt.session == newest.number and attempt.agent and not attempt.agent.ok:
                    return None
        return newest

    @property
    def outcome(self) -> Literal["passed", "blocked", "running"]:
        statuses = {t.status for t in self.tickets.values()}
        if not statuses <= TERMINAL:
            return "running"
        return "passed" if statuses <= {"passed"} else "blocked"


class StoreData(_Data):
    schema_version: Literal[1] = SCHEMA_VERSION
    revision: int = 0
    chains: dict[str, ChainState] = Field(default_factory=dict)
    # Conventions Baton has proposed, so that no chain proposes the same one twice.
    proposals: list[str] = Field(default_factory=list)
