"""What a workflow run leaves for a test to read: each job's result, outputs, steps, the
processes it left behind and the requests its token made on the fake GitHub."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.actions.workflow import Workflow

# A job's result as `needs.<job>.result` gives it.
SUCCESS, FAILURE, CANCELLED, SKIPPED = "success", "failure", "cancelled", "skipped"


@dataclass(frozen=True)
class ApiCall:
    """One REST request made with the job's GITHUB_TOKEN, and the scopes that token had."""

    method: str
    path: str
    status: int
    scopes: dict[str, str]


@dataclass(frozen=True)
class GitCall:
    """One fetch (`git-upload-pack`) or push (`git-receive-pack`) made with the job's token."""

    service: str
    status: int


@dataclass(frozen=True)
class LeftProcess:
    """A process still running when the step that started it had finished."""

    step: str
    pid: int
    argv: tuple[str, ...]


@dataclass
class StepRun:
    name: str  # nested steps of a composite action read `Baton > Run Baton`
    kind: str  # run | composite | emulated (a known action) | substituted (see substitutions)
    outcome: str = SKIPPED  # before continue-on-error
    conclusion: str = SKIPPED  # after continue-on-error
    exit_code: int | None = None
    outputs: dict[str, str] = field(default_factory=dict)
    log: str = ""
    seconds: float = 0.0


@dataclass
class JobRun:
    """One job of the run (one combination of a matrix)."""

    job_id: str
    name: str
    matrix: dict[str, Any] = field(default_factory=dict)
    result: str = SKIPPED
    reason: str = ""  # why it was skipped or failed, in a line
    started_at: datetime | None = None
    finished_at: datetime | None = None
    outputs: dict[str, str] = field(default_factory=dict)
    scopes: dict[str, str] = field(default_factory=dict)  # its GITHUB_TOKEN's
    concurrency: str | None = None
    steps: list[StepRun] = field(default_factory=list)
    left_behind: list[LeftProcess] = field(default_factory=list)
    api_calls: list[ApiCall] = field(default_factory=list)
    git_calls: list[GitCall] = field(default_factory=list)
    summary: str = ""  # what it wrote to $GITHUB_STEP_SUMMARY
    directory: Path | None = None  # its HOME, RUNNER_TEMP and workspace, kept for inspection

    @property
    def workspace(self) -> Path | None:
        return self.directory / "work" if self.directory else None

    @property
    def log(self) -> str:
        return "\n".join(f"## {s.name} ({s.conclusion})\n{s.log}" for s in self.steps)

    def step(self, name: str) -> StepRun:
        found = [s for s in self.steps if s.name == name or s.name.endswith(f" > {name}")]
        if len(found) != 1:
            raise KeyError(f"{len(found)} steps named {name!r} in {self.name}")
        return found[0]

    def describe(self) -> str:
        matrix = f" {self.matrix}" if self.matrix else ""
        lines = [
            f"{self.name}{matrix}: {self.result}" + (f" ({self.reason})" if self.reason else "")
        ]
        lines += [f"  - {s.name}: {s.conclusion}" for s in self.steps]
        lines += [f"  left behind: {p.pid} {' '.join(p.argv)[:120]}" for p in self.left_behind]
        return "\n".join(lines)


@dataclass
class WorkflowRun:
    workflow: Workflow
    event_name: str
    run_id: int
    concurrency: str | None = None  # the workflow's own group
    jobs: list[JobRun] = field(default_factory=list)  # in the order they were decided
    substituted: list[tuple[str | None, str]] = field(default_factory=list)  # (action, step)

    def all(self, job_id: str) -> list[JobRun]:
        return [j for j in self.jobs if j.job_id == job_id]

    def job(self, job_id: str, **matrix: Any) -> JobRun:
        """The one run of `job_id` (with these matrix values, for a matrix job)."""
        found = [
            j for j in self.all(job_id) if all(j.matrix.get(k) == v for k, v in matrix.items())
        ]
        if len(found) != 1:
            raise KeyError(f"{len(found)} runs of job {job_id} {matrix or ''}:\n{self.describe()}")
        return found[0]

    def results(self) -> dict[str, str]:
        """Each job run's name → its result."""
        return {j.name: j.result for j in self.jobs}

    def overlaps(self) -> list[tuple[JobRun, JobRun]]:
        """Pairs of job runs of one concurrency group that ran at the same time (none allowed)."""
        ran = [j for j in self.jobs if j.concurrency and j.started_at and j.finished_at]
        return [
            (a, b)
            for i, a in enumerate(ran)
            for b in ran[i + 1 :]
            if a.concurrency == b.concurrency
            and a.started_at is not None
            and b.started_at is not None
            and a.finished_at is not None
            and b.finished_at is not None
            and a.started_at < b.finished_at
            and b.started_at < a.finished_at
        ]

    def describe(self) -> str:
        """Every job and step with its result: for assertion messages."""
        return "\n".join(j.describe() for j in self.jobs)
