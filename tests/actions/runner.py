"""A workflow run: which jobs the event starts, in what order, with what they need.

For each job, once every job it `needs` has finished: its `if:` (`success() && …` unless it
calls a status function; `success()` means every job it needs, directly or not, succeeded), its
matrix (evaluated with `needs`, then expanded), its name, token scopes and concurrency group per
combination. Jobs run side by side (`max_parallel` at a time), except that a concurrency group
runs one job at a time: a second waits, a third replaces the waiting one, which is cancelled
(`cancel-in-progress: true` cancels the running one at its next step instead). With `fail-fast`
(the default) a failed combination cancels those of its matrix not yet started. A job's result
for `needs` is `failure` if a combination failed, its outputs the combinations' (later ones
win, empty ones do not overwrite).

The fake GitHub keeps each run as Actions shows it (`GET /repos/…/actions/runs/{id}`):
`in_progress` while its jobs run, then `completed` with its conclusion. A `workflow_dispatch`
created through the API (GITHUB_TOKEN may start that one event) is recorded by the fake;
`run_dispatched` starts those runs, one after another, as Actions would.

Not here: calling a reusable workflow from a job (run the called workflow with `call=` instead),
`cancel-in-progress` between runs (runs are one at a time), services and containers.
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.actions import permissions
from tests.actions.events import Event
from tests.actions.expressions import ExpressionError, Scope, condition, evaluate_value, interpolate
from tests.actions.job import ACTIONS_LOGIN, JobExecution, JobSpec, Site
from tests.actions.matrix import MatrixError, expand
from tests.actions.records import CANCELLED, FAILURE, SKIPPED, SUCCESS, JobRun, WorkflowRun
from tests.actions.substitutions import ENVIRONMENT, Substitution
from tests.actions.workflow import Job, Workflow, WorkflowError
from tests.fakes.github import Dispatch, FakeGitHub

_RUN_IDS = itertools.count(7_000_000_001)


@dataclass(frozen=True)
class WorkflowCall:
    """A run of a reusable workflow as a caller's job would call it (`on: workflow_call`): its
    `with:`, `secrets:` and the caller job's permissions, which the called jobs cannot exceed;
    `caller` is the calling workflow's path, which `GITHUB_WORKFLOW_REF` names in a called
    workflow as in its caller."""

    inputs: Mapping[str, Any] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)
    permissions: Any = None
    caller: str = ".github/workflows/baton.yml"


@dataclass(frozen=True)
class Kill:
    """Lose the runner of a job mid-run, as when its machine dies (`JobExecution.kill`): the
    first run of the job `job` is killed once `when()` is true, asked every 50 ms while it runs.
    """

    job: str
    when: Callable[[], bool]


@dataclass
class _Pending:
    spec: JobSpec
    record: JobRun
    cancel_in_progress: bool


class Runner:
    """Runs the workflows of the fake GitHub's repository as GitHub Actions would.

    `secrets` are the repository's secrets; `substitutions` the steps to emulate (see
    substitutions.py; `ENVIRONMENT` is always added); `repositories` other repositories that
    `actions/checkout` may fetch (full name → a local git repository); `actions` actions other
    than the emulated ones (`owner/name` → a local directory with a composite action.yml);
    `default_permissions` the repository's setting for jobs without `permissions:`;
    `timeout_cap_minutes` a bound on every job's `timeout-minutes`, for tests; `machines`: each
    job on a machine of its own name (see job.py; needs bubblewrap), so that a process of one
    job cannot pass for one of another's by its host.
    """

    def __init__(
        self,
        github: FakeGitHub,
        root: Path,
        *,
        secrets: Mapping[str, str] | None = None,
        substitutions: Sequence[Substitution] = (),
        repositories: Mapping[str, Path] | None = None,
        actions: Mapping[str, Path] | None = None,
        default_permissions: permissions.Default = "restricted",
        max_parallel: int = 4,
        timeout_cap_minutes: float | None = 10,
        machines: bool = False,
    ) -> None:
        self.github = github
        self.root = root
        self.secrets = dict(secrets or {})
        self.substitutions = tuple(substitutions)
        self.sources = {
            github.full_name: github.clone_url,
            **{name: str(path) for name, path in (repositories or {}).items()},
        }
        self.actions = dict(actions or {})
        self.default_permissions = default_permissions
        self.max_parallel = max_parallel
        self.timeout_cap_s = timeout_cap_minutes * 60 if timeout_cap_minutes else None
        self.machines = machines
        github.add_user(ACTIONS_LOGIN, role="write", bot=True)

    def run(
        self,
        workflow: str | Path,
        event: Event,
        *,
        call: WorkflowCall | None = None,
        kill: Kill | None = None,
    ) -> WorkflowRun:
        """Run `workflow` for `event`: a path in the repository (read at the event's commit, as
        GitHub reads it), or a local file (`Path`, taken for `.github/workflows/<its name>`).
        Returns when every job has finished; with `kill`, one job is lost on the way."""
        github = self.github
        ref = event.ref or f"refs/heads/{github.default_branch}"
        sha = event.sha or github.branch_sha(ref.removeprefix("refs/heads/")) or ""
        if isinstance(workflow, Path):
            loaded = Workflow.load(workflow)
            path = f".github/workflows/{workflow.name}"
        else:
            path = workflow
            text = github.read_file(workflow, sha)
            if text is None:
                raise WorkflowError(f"{workflow} is not in the repository at {sha[:10]}")
            loaded = Workflow.parse(text, workflow)
        run_id = next(_RUN_IDS)
        record = WorkflowRun(loaded, event.name, run_id)
        if call is None and not loaded.triggered_by(event.name, event.payload):
            return record
        shown = call.caller if call else path  # the run is its caller's in Actions' books
        github.add_workflow_run(shown, run_id=run_id, event=event.name, ref=ref, actor=event.actor)
        trigger = "workflow_call" if call else event.name
        given = call.inputs if call else event.payload.get("inputs") or {}
        site = Site(
            github=github,
            root=self.root / str(run_id),
            workflow=loaded,
            event=event,
            ref=ref,
            sha=sha,
            run_id=run_id,
            workflow_ref=f"{github.full_name}/{call.caller if call else path}@{ref}",
            inputs=loaded.inputs(trigger, given),
            secrets=dict(call.secrets) if call else dict(self.secrets),
            substitutions=self.substitutions,
            environment=ENVIRONMENT,
            sources=self.sources,
            actions=self.actions,
            timeout_cap_s=self.timeout_cap_s,
            path=_runner_path(),
            machines=self.machines,
        )
        cap = (
            permissions.scopes(call.permissions, None, default=self.default_permissions)
            if call
            else None
        )
        try:
            _Schedule(self, site, record, cap, kill).run()
        finally:
            github.set_workflow_run(run_id, status="completed", conclusion=_conclusion(record))
        record.substituted = list(site.substituted)
        return record

    def run_dispatched(
        self, event: Callable[[Dispatch], Event], *, limit: int = 10
    ) -> list[WorkflowRun]:
        """Start a run for each `workflow_dispatch` made through the fake's API, oldest first,
        and for those the new runs make, until none is left (at most `limit` runs). `event`
        makes the event of a dispatch (see `events.dispatched`)."""
        runs: list[WorkflowRun] = []
        while pending := self.github.take_dispatches():
            for dispatch in pending:
                if len(runs) == limit:
                    raise WorkflowError(f"more than {limit} dispatched runs: a handover loop?")
                runs.append(self.run(dispatch.workflow, event(dispatch)))
        return runs


def _conclusion(record: WorkflowRun) -> str:
    """A finished run's conclusion, from its jobs' results."""
    results = {job.result for job in record.jobs}
    if FAILURE in results:
        return "failure"
    if CANCELLED in results:
        return "cancelled"
    return "success"


def _lose(execution: JobExecution, kill: Kill) -> None:
    """Kill the job once `kill.when()` holds, unless it ends first."""
    while execution.record.finished_at is None:
        if kill.when():
            execution.kill()
            return
        time.sleep(0.05)


def _runner_path() -> str:
    """PATH on the runner: the machine's, without the test environment's own scripts (Baton
    among them), so nothing of the tests is found unless a step puts it there."""
    ours = Path(sys.prefix) / "bin"
    return os.pathsep.join(
        p for p in os.environ.get("PATH", os.defpath).split(os.pathsep) if p and Path(p) != ours
    )


class _Schedule:
    def __init__(
        self,
        runner: Runner,
        site: Site,
        record: WorkflowRun,
        cap: dict[str, str] | None,
        kill: Kill | None,
    ) -> None:
        self.runner = runner
        self.kill = kill
        self.site = site
        self.record = record
        self.cap = cap
        self.workflow = site.workflow
        self.finished: dict[str, tuple[str, dict[str, str]]] = {}  # job → (result, outputs)
        self.legs: dict[str, list[JobRun]] = {}
        self.queue: list[_Pending] = []
        self.running: dict[Future[None], tuple[_Pending, JobExecution]] = {}
        self.waiting: dict[str, _Pending] = {}  # a concurrency group's one waiting job
        self.numbers = itertools.count(1)

    def _base_scope(self, needs: Mapping[str, Any]) -> dict[str, Any]:
        github = self.site.github
        return {
            "github": {
                "event": self.site.event.payload,
                "event_name": self.site.event.name,
                "repository": github.full_name,
                "repository_owner": github.owner,
                "ref": self.site.ref,
                "sha": self.site.sha,
                "actor": self.site.event.actor,
                "run_id": str(self.site.run_id),
                "server_url": github.server_url,
                "api_url": github.url,
                "workflow": self.workflow.name or self.workflow.path,
            },
            "inputs": self.site.inputs,
            "needs": needs,
            "vars": {},
        }

    def run(self) -> None:
        group = self.workflow.concurrency
        if group is not None:
            self.record.concurrency = self._group(group, self._base_scope({}))[0]
        self.site.root.mkdir(parents=True, exist_ok=True)
        with ThreadPoolExecutor(max_workers=self.runner.max_parallel) as pool:
            while True:
                self._decide()
                self._start(pool)
                if not self.running:
                    break
                done, _ = wait(self.running, return_when=FIRST_COMPLETED)
                for future in done:
                    pending, _execution = self.running.pop(future)
                    future.result()
                    self._finished(pending)
        left = set(self.workflow.jobs) - set(self.finished)
        if left:  # only a cycle in `needs` leaves jobs undecided
            raise WorkflowError(f"{self.workflow.path}: jobs {sorted(left)} need each other")

    # ---- deciding --------------------------------------------------------------------------------

    def _ancestors(self, job: Job) -> set[str]:
        seen: set[str] = set()
        todo = list(job.needs)
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo += self.workflow.jobs[name].needs
        return seen

    def _decide(self) -> None:
        for job in self.workflow.jobs.values():
            if job.id in self.finished or job.id in self.legs:
                continue
            if not all(need in self.finished for need in job.needs):
                continue
            needs = {
                n: {"result": self.finished[n][0], "outputs": self.finished[n][1]}
                for n in job.needs
            }
            results = [self.finished[a][0] for a in self._ancestors(job)]
            status = {
                "success": all(r == SUCCESS for r in results),
                "failure": any(r == FAILURE for r in results),
                "always": True,
                "cancelled": False,
            }
            contexts = self._base_scope(needs)
            try:
                if job.uses is not None:
                    raise WorkflowError(
                        f"jobs.{job.id} calls a reusable workflow; run that one with `call=`"
                    )
                if not condition(job.if_, Scope(contexts, status)):
                    why = (
                        "a job it needs did not succeed"
                        if not status["success"]
                        else "`if:` is false"
                    )
                    self._skip(job, SKIPPED, why)
                    continue
                combinations = self._matrix(job, contexts)
            except (
                ExpressionError,
                MatrixError,
                WorkflowError,
                permissions.PermissionsError,
            ) as exc:
                self._skip(job, FAILURE, str(exc))
                continue
            self.legs[job.id] = []
            for matrix in combinations:
                self._queue(job, matrix, needs, contexts)
            self._leg_done(job.id)  # when none of them could start

    def _skip(self, job: Job, result: str, reason: str) -> None:
        """A job that does not run: its `if:` is false, or it cannot start."""
        try:
            name = interpolate(job.name, Scope({**self._base_scope({}), "matrix": {}})).strip()
        except ExpressionError:
            name = ""
        run = JobRun(job_id=job.id, name=name or job.id, result=result, reason=reason)
        self.record.jobs.append(run)
        self.finished[job.id] = (result, {})

    def _matrix(self, job: Job, contexts: dict[str, Any]) -> list[dict[str, Any]]:
        if job.strategy is None or job.strategy.get("matrix") is None:
            return [{}]
        return expand(evaluate_value(job.strategy["matrix"], Scope(contexts)))

    def _group(self, value: Any, contexts: dict[str, Any]) -> tuple[str | None, bool]:
        scope = Scope(contexts)
        if isinstance(value, Mapping):
            group = interpolate(value.get("group"), scope)
            cancel = interpolate(value.get("cancel-in-progress", False), scope).lower() == "true"
            return group or None, cancel
        return interpolate(value, scope) or None, False

    def _queue(
        self, job: Job, matrix: dict[str, Any], needs: dict[str, Any], contexts: dict[str, Any]
    ) -> None:
        contexts = {**contexts, "matrix": matrix, "strategy": {"fail-fast": True}}
        scope = Scope(contexts)
        if job.name is not None:
            name = interpolate(job.name, scope)
        elif matrix:
            name = f"{job.id} ({', '.join(interpolate(v, scope) for v in matrix.values())})"
        else:
            name = job.id
        record = JobRun(job_id=job.id, name=name, matrix=matrix)
        self.record.jobs.append(record)
        self.legs[job.id].append(record)
        try:
            scopes = permissions.scopes(
                job.permissions,
                self.workflow.permissions,
                default=self.runner.default_permissions,
                cap=self.cap,
            )
            group, cancel = (
                self._group(job.concurrency, contexts) if job.concurrency else (None, False)
            )
        except (ExpressionError, permissions.PermissionsError) as exc:
            record.result, record.reason = FAILURE, str(exc)
            return
        record.scopes, record.concurrency = scopes, group
        spec = JobSpec(job, matrix, needs, scopes, next(self.numbers))
        self.queue.append(_Pending(spec, record, cancel))

    # ---- running ---------------------------------------------------------------------------------

    def _holder(self, group: str) -> tuple[_Pending, JobExecution] | None:
        return next(
            (item for item in self.running.values() if item[0].record.concurrency == group), None
        )

    def _start(self, pool: ThreadPoolExecutor) -> None:
        while self.queue:
            pending = self.queue.pop(0)
            group = pending.record.concurrency
            holder = self._holder(group) if group else None
            if group is not None and holder is not None:
                if pending.cancel_in_progress:
                    holder[1].cancelled.set()
                replaced = self.waiting.pop(group, None)
                if replaced is not None:
                    self._cancel(replaced, "a newer job of its concurrency group replaced it")
                self.waiting[group] = pending
                continue
            execution = JobExecution(self.site, pending.spec, pending.record)
            self.running[pool.submit(execution.run)] = (pending, execution)
            if self.kill is not None and self.kill.job == pending.spec.job.id:
                kill, self.kill = self.kill, None
                threading.Thread(target=_lose, args=(execution, kill), daemon=True).start()

    def _cancel(self, pending: _Pending, reason: str) -> None:
        pending.record.result, pending.record.reason = CANCELLED, reason
        self._leg_done(pending.spec.job.id)

    def _finished(self, pending: _Pending) -> None:
        group = pending.record.concurrency
        if group is not None and group in self.waiting:
            self.queue.insert(0, self.waiting.pop(group))
        job = pending.spec.job
        fail_fast = (job.strategy or {}).get("fail-fast", True) is not False
        if pending.record.result == FAILURE and fail_fast and pending.record.matrix:
            for other in [p for p in self.queue if p.spec.job is job]:
                self.queue.remove(other)
                self._cancel(other, "fail-fast: another combination of its matrix failed")
        self._leg_done(job.id)

    def _leg_done(self, job_id: str) -> None:
        legs = self.legs.get(job_id, [])
        if any(leg.finished_at is None and leg.result == SKIPPED for leg in legs):
            return  # a combination still to run
        results = [leg.result for leg in legs]
        if FAILURE in results:
            result = FAILURE
        elif CANCELLED in results:
            result = CANCELLED
        else:
            result = SUCCESS
        outputs: dict[str, str] = {}
        for leg in sorted(legs, key=lambda j: j.finished_at or datetime.now(UTC)):
            outputs.update({k: v for k, v in leg.outputs.items() if v or k not in outputs})
        self.finished[job_id] = (result, outputs)
