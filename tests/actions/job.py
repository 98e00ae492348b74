"""One job, run as a GitHub-hosted runner runs it.

A fresh directory per job holds its HOME, RUNNER_TEMP, TMPDIR, tool cache and workspace: nothing
of the test process or of another job is there. Its GITHUB_TOKEN is a new token on the fake GitHub whose
scopes are the job's permissions, revoked when the job ends. Steps run in order:

- `run:` with the job's shell (`bash -e {0}` by default, `bash --noprofile --norc -eo pipefail {0}`
  for `shell: bash`, `sh -e {0}`, `python {0}`, or a template with `{0}`), its `${{ }}`
  substituted first, the step's `env:` on top of the workflow's, the job's and `$GITHUB_ENV`'s;
  `$GITHUB_OUTPUT`, `$GITHUB_ENV`, `$GITHUB_PATH` and `$GITHUB_STEP_SUMMARY` are files per step.
  Each runs under `reaper.py`: a process that outlives its step is recorded and killed (a runner
  would let it live until the job ends; Baton's workflows start none). With `Site.machines`,
  each job is a machine of its own name, as GitHub-hosted runners are: its `run:` steps see a
  hostname of their own (a UTS namespace made by bubblewrap, everything else shared).
- `uses: ./path` (or an action mapped to a local directory): a composite action, its steps run
  in place with `inputs.*` (defaults applied) and `GITHUB_ACTION_PATH`, its outputs evaluated.
- `uses: actions/checkout@…`, `actions/setup-python@…`: emulated (see emulated.py).
- a step named by a substitution (see substitutions.py): its emulation.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.actions import files
from tests.actions.emulated import EMULATED, Emulation, StepCall, StepFailed
from tests.actions.events import Event
from tests.actions.expressions import ExpressionError, Scope, condition, interpolate
from tests.actions.records import (
    CANCELLED,
    FAILURE,
    SKIPPED,
    SUCCESS,
    ApiCall,
    GitCall,
    JobRun,
    LeftProcess,
    StepRun,
)
from tests.actions.substitutions import Substitution
from tests.actions.workflow import Action, Job, Step, Workflow, WorkflowError
from tests.fakes.github import FakeGitHub

ACTIONS_LOGIN = "github-actions[bot]"  # whom a job's GITHUB_TOKEN acts as
REAPER = Path(__file__).with_name("reaper.py")
_LOG_LIMIT = 200_000  # characters of a step's log kept in the record
_SHELLS = {
    None: ["bash", "-e", "{0}"],
    "bash": ["bash", "--noprofile", "--norc", "-eo", "pipefail", "{0}"],
    "sh": ["sh", "-e", "{0}"],
    "python": ["python", "{0}"],
}


@dataclass
class Site:
    """What every job of one workflow run shares."""

    github: FakeGitHub
    root: Path  # the run's directory; a job's goes under it
    workflow: Workflow
    event: Event
    ref: str
    sha: str
    run_id: int
    workflow_ref: str  # `owner/name/<path>@<ref>`: the workflow a dispatch would start again
    inputs: dict[str, Any]
    secrets: dict[str, str]
    substitutions: tuple[Substitution, ...]
    environment: Mapping[str, str]
    sources: Mapping[str, str]  # repository → where to fetch it
    actions: Mapping[str, Path]  # action name (owner/repo[/path]) → a local directory
    timeout_cap_s: float | None
    path: str  # PATH on the runner
    machines: bool = False  # each job's `run:` steps under a hostname of their own
    substituted: list[tuple[str | None, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class JobSpec:
    """One job to run: a job of the workflow, or one combination of its matrix."""

    job: Job
    matrix: dict[str, Any]
    needs: dict[str, Any]  # the `needs` context
    scopes: dict[str, str]
    number: int  # its place in the run, for its directory's name


@dataclass
class _Frame:
    """A level of steps: the job's own, or a composite action's inside a step."""

    label: str
    inputs: Mapping[str, Any]
    env: dict[str, str]  # the `env:` of the `uses` steps around this level
    action: Action | None = None
    steps: dict[str, Any] = field(default_factory=dict)  # the `steps` context
    failed: bool = False  # a step failed here or before (what `success()` asks)
    own_failure: bool = False  # a step of this level failed


def _machine(hostname: str) -> list[str]:
    """The prefix that runs a command on "another machine": the same files, processes and
    network, under the hostname `hostname` (bubblewrap: a UTS namespace, and a user namespace
    that maps the user to itself when it is not root)."""
    return ["bwrap", "--dev-bind", "/", "/", "--unshare-uts", "--hostname", hostname, "--"]


class JobExecution:
    def __init__(self, site: Site, spec: JobSpec, record: JobRun) -> None:
        self.site = site
        self.spec = spec
        self.record = record
        self.job = spec.job
        self.cancelled = threading.Event()
        self.killed = threading.Event()
        self._process: subprocess.Popen[bytes] | None = None  # the step running now
        self._process_lock = threading.Lock()
        self.directory = site.root / f"{spec.number:02d}-{self.job.id}"
        self.home = self.directory / "home"
        self.temp = self.directory / "temp"
        self.tmp = self.directory / "tmp"
        self.workspace = self.directory / "work"
        self.token = f"ghs_{secrets.token_hex(18)}"
        self.hostname = f"runner-{site.run_id}-{spec.number}"  # with `Site.machines`
        self.job_env: dict[str, str] = {}
        self.file_env: dict[str, str] = {}
        self.added_path: list[str] = []
        self.deadline = 0.0
        self.event_path = self.temp / "_github_workflow" / "event.json"

    # ---- the job ---------------------------------------------------------------------------------

    def run(self) -> None:
        record = self.record
        record.started_at = datetime.now(UTC)
        record.directory = self.directory
        for path in (self.home, self.temp, self.tmp, self.workspace, self.directory / "tool"):
            path.mkdir(parents=True)
        self.event_path.parent.mkdir()
        self.event_path.write_text(json.dumps(self.site.event.payload), encoding="utf-8")
        github = self.site.github
        github.add_token(self.token, ACTIONS_LOGIN, scopes=self.spec.scopes)
        try:
            minutes = float(interpolate(self.job.timeout_minutes, self._scope(None)) or 360)
            limit = minutes * 60
            if self.site.timeout_cap_s is not None:
                limit = min(limit, self.site.timeout_cap_s)
            self.deadline = time.monotonic() + limit
            scope = self._scope(None)
            for name, value in {**self.site.workflow.env, **self.job.env}.items():
                self.job_env[name] = interpolate(value, scope)
            frame = _Frame(label="", inputs=self.site.inputs, env={})
            self._steps(self.job.steps, frame)
            if self.killed.is_set():
                record.result, record.reason = CANCELLED, "killed: its runner was lost"
            elif self.cancelled.is_set():
                record.result, record.reason = CANCELLED, "cancelled"
            elif frame.failed:
                failed = next(s for s in record.steps if s.conclusion == FAILURE)
                record.result = FAILURE
                record.reason = record.reason or f"step `{failed.name}` failed"
            else:
                record.result = SUCCESS
            scope = self._scope(frame)
            record.outputs = {k: interpolate(v, scope) for k, v in self.job.outputs.items()}
        except (ExpressionError, WorkflowError, files.FileCommandError) as exc:
            record.result, record.reason = FAILURE, str(exc)
        finally:
            github.revoke_token(self.token)
            record.finished_at = datetime.now(UTC)
            record.summary = "".join(
                p.read_text(encoding="utf-8") for p in sorted(self.temp.glob("_summary/*"))
            )
            self._books()

    def kill(self) -> None:
        """Lose this job as a runner whose machine dies: the step running now and everything it
        started are killed at once (SIGKILL: nothing cleans up, nothing is released), and no
        further step runs. The job ends `cancelled`."""
        with self._process_lock:
            self.killed.set()
            self.cancelled.set()
            if self._process is not None and self._process.poll() is None:
                self._process.send_signal(signal.SIGUSR1)  # reaper.py kills the step's tree

    def _books(self) -> None:
        """The requests this job's token made, with the token's scopes."""
        token = self.token
        for exchange in self.site.github.exchanges:
            credential = exchange.request_headers.get("authorization", "").partition(" ")[2]
            if credential.strip() == token:
                self.record.api_calls.append(
                    ApiCall(exchange.method, exchange.path, exchange.status, dict(self.spec.scopes))
                )
        for request in self.site.github.git_requests:
            if request.token == token:
                self.record.git_calls.append(GitCall(request.service, request.status))

    # ---- contexts --------------------------------------------------------------------------------

    def _github(self, frame: _Frame | None) -> dict[str, Any]:
        site, event = self.site, self.site.event
        github = site.github
        ref = site.ref
        return {
            "action": "",
            "action_path": str(frame.action.directory) if frame and frame.action else "",
            "actor": event.actor,
            "api_url": github.url,
            "event": event.payload,
            "event_name": event.name,
            "event_path": str(self.event_path),
            "graphql_url": f"{github.url}/graphql",
            "job": self.job.id,
            "ref": ref,
            "ref_name": ref.rpartition("/")[2],
            "ref_type": "tag" if ref.startswith("refs/tags/") else "branch",
            "repository": github.full_name,
            "repository_owner": github.owner,
            "run_attempt": "1",
            "run_id": str(site.run_id),
            "run_number": str(site.run_id),
            "server_url": github.server_url,
            "sha": site.sha,
            "token": self.token,
            "triggering_actor": event.actor,
            "workflow": site.workflow.name or site.workflow.path,
            "workflow_ref": site.workflow_ref,
            "workflow_sha": site.sha,
            "workspace": str(self.workspace),
        }

    def _scope(self, frame: _Frame | None, *, status: bool = False) -> Scope:
        contexts: dict[str, Any] = {
            "github": self._github(frame),
            "env": {**self.job_env, **self.file_env, **(frame.env if frame else {})},
            "inputs": frame.inputs if frame else self.site.inputs,
            "job": {"status": FAILURE if frame and frame.failed else SUCCESS},
            "runner": {
                "os": "Linux",
                "arch": "X64",
                "name": "harness",
                "environment": "github-hosted",
                "temp": str(self.temp),
                "tool_cache": str(self.directory / "tool"),
            },
            "steps": frame.steps if frame else {},
            "strategy": {"fail-fast": True, "job-index": 0, "job-total": 1},
            "matrix": self.spec.matrix,
            "vars": {},
        }
        if frame is None or frame.action is None:  # no composite action sees these
            contexts["needs"] = self.spec.needs
            contexts["secrets"] = {**self.site.secrets, "GITHUB_TOKEN": self.token}
        answers = None
        if status:
            failed = frame.failed if frame else False
            answers = {"success": not failed, "failure": failed, "always": True, "cancelled": False}
        return Scope(contexts, answers)

    def _base_env(self, frame: _Frame) -> dict[str, str]:
        """A runner's own variables, then ours, then `env:` and `$GITHUB_ENV`'s."""
        github = self.site.github
        context = self._github(frame)
        env = {
            "PATH": os.pathsep.join([*reversed(self.added_path), self.site.path]),
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_ACTOR": context["actor"],
            "GITHUB_API_URL": github.url,
            "GITHUB_EVENT_NAME": context["event_name"],
            "GITHUB_EVENT_PATH": context["event_path"],
            "GITHUB_GRAPHQL_URL": context["graphql_url"],
            "GITHUB_JOB": self.job.id,
            "GITHUB_REF": context["ref"],
            "GITHUB_REF_NAME": context["ref_name"],
            "GITHUB_REF_TYPE": context["ref_type"],
            "GITHUB_REPOSITORY": github.full_name,
            "GITHUB_REPOSITORY_OWNER": github.owner,
            "GITHUB_RUN_ATTEMPT": "1",
            "GITHUB_RUN_ID": context["run_id"],
            "GITHUB_RUN_NUMBER": context["run_number"],
            "GITHUB_SERVER_URL": github.server_url,
            "GITHUB_SHA": self.site.sha,
            "GITHUB_WORKFLOW": context["workflow"],
            "GITHUB_WORKFLOW_REF": context["workflow_ref"],
            "GITHUB_WORKFLOW_SHA": context["workflow_sha"],
            "GITHUB_WORKSPACE": str(self.workspace),
            "RUNNER_ARCH": "X64",
            "RUNNER_ENVIRONMENT": "github-hosted",
            "RUNNER_NAME": "harness",
            "RUNNER_OS": "Linux",
            "RUNNER_TEMP": str(self.temp),
            "RUNNER_TOOL_CACHE": str(self.directory / "tool"),
            # A hosted runner's /tmp is new with each job: here each job's is a TMPDIR of its own,
            # which what the steps run honours (Python's tempfile, git, mktemp).
            "TMPDIR": str(self.tmp),
            # The machine's git configuration stays out, as on a fresh runner.
            "GIT_CONFIG_NOSYSTEM": "1",
        }
        if frame.action is not None:
            env["GITHUB_ACTION_PATH"] = str(frame.action.directory)
        env.update(self.site.environment)
        env.update(self.job_env)
        env.update(self.file_env)
        env.update(frame.env)
        return env

    # ---- steps -----------------------------------------------------------------------------------

    def _steps(self, steps: tuple[Step, ...], frame: _Frame) -> None:
        for step in steps:
            self._step(step, frame)

    def _step(self, step: Step, frame: _Frame) -> None:
        name = f"{frame.label} > {step.label}" if frame.label else step.label
        substitution = next(
            (
                s
                for s in self.site.substitutions
                if s.matches(frame.action.name if frame.action else None, step.name)
            ),
            None,
        )
        kind = "substituted" if substitution else ("run" if step.run is not None else "uses")
        record = StepRun(name=name, kind=kind)
        self.record.steps.append(record)
        started = time.monotonic()
        if self.cancelled.is_set() or not condition(step.if_, self._scope(frame, status=True)):
            self._done(step, frame, record, SKIPPED, started)
            return
        scope = self._scope(frame)
        env = {k: interpolate(v, scope) for k, v in step.env.items()}
        try:
            if substitution is not None:
                with self.site.lock:
                    self.site.substituted.append((substitution.action, substitution.step))
                given = {k: interpolate(v, scope) for k, v in step.with_.items()}
                outcome = self._emulate(
                    substitution.emulate, step, frame, env=env, given=given, record=record
                )
            elif step.run is not None:
                outcome = self._run(step, frame, env, record)
            else:
                outcome = self._uses(step, frame, env, record)
        except (StepFailed, files.FileCommandError) as exc:
            record.log += f"\n{exc}"
            outcome = FAILURE
        self._done(step, frame, record, outcome, started)

    def _done(
        self, step: Step, frame: _Frame, record: StepRun, outcome: str, started: float
    ) -> None:
        record.seconds = time.monotonic() - started
        record.outcome = outcome
        allowed = interpolate(step.continue_on_error, self._scope(frame)).lower() == "true"
        record.conclusion = SUCCESS if outcome == FAILURE and allowed else outcome
        if record.conclusion == FAILURE:
            frame.failed = frame.own_failure = True
        if step.id:
            frame.steps[step.id] = {
                "outputs": dict(record.outputs),
                "outcome": record.outcome,
                "conclusion": record.conclusion,
            }

    def _remaining(self, step: Step, frame: _Frame) -> float:
        left = self.deadline - time.monotonic()
        if step.timeout_minutes is not None:
            left = min(left, float(interpolate(step.timeout_minutes, self._scope(frame))) * 60)
        if left <= 0:
            raise StepFailed("the job has run out of time (timeout-minutes)")
        return left

    def _cwd(self, step: Step, frame: _Frame) -> Path:
        directory = step.working_directory
        if directory is None and frame.action is None and step.run is not None:
            defaults = {
                **self.site.workflow.defaults.get("run", {}),
                **self.job.defaults.get("run", {}),
            }
            directory = defaults.get("working-directory")
        if directory is None:
            return self.workspace
        path = self.workspace / interpolate(directory, self._scope(frame))
        if not path.is_dir():
            raise StepFailed(f"no working directory {path} (working-directory: {directory})")
        return path

    def _run(self, step: Step, frame: _Frame, env: dict[str, str], record: StepRun) -> str:
        scope = self._scope(frame)
        script = interpolate(step.run, scope)
        shell = step.shell
        if shell is None and frame.action is None:
            shell = {
                **self.site.workflow.defaults.get("run", {}),
                **self.job.defaults.get("run", {}),
            }.get("shell")
        template = _SHELLS.get(shell) if shell in _SHELLS else None
        if template is None:
            if shell is None or "{0}" not in shell:
                raise StepFailed(f"this runner has no shell `{shell}`")
            template = shell.split()
        suffix = ".py" if template[0] == "python" else ".sh"
        script_path = self.temp / f"{uuid.uuid4()}{suffix}"
        script_path.write_text(script, encoding="utf-8")
        files_of_step = self._file_commands()
        process_env = {**self._base_env(frame), **env, **files_of_step}
        argv = [part.replace("{0}", str(script_path)) for part in template]
        if self.site.machines:
            argv = [*_machine(self.hostname), *argv]
        report = self.temp / f"{uuid.uuid4()}.left.json"
        log_path = self.directory / f"step-{len(self.record.steps):02d}.log"
        left = self._remaining(step, frame)
        with log_path.open("wb") as log, self._process_lock:
            if self.killed.is_set():
                raise StepFailed("the runner was lost")
            proc = subprocess.Popen(
                [sys.executable, str(REAPER), str(report), str(left), "--", *argv],
                cwd=self._cwd(step, frame),
                env=process_env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            self._process = proc
        try:
            proc.wait(timeout=left + 60)
        finally:
            with self._process_lock:
                self._process = None
        record.exit_code = proc.returncode
        record.log = log_path.read_text(encoding="utf-8", errors="replace")[-_LOG_LIMIT:]
        if report.exists():
            for process in json.loads(report.read_text(encoding="utf-8")):
                self.record.left_behind.append(
                    LeftProcess(record.name, int(process["pid"]), tuple(process["argv"]))
                )
        self._collect(files_of_step, record)
        if proc.returncode == 124:
            record.log += "\nThe step has run out of time."
        if self.killed.is_set():
            record.log += "\nThe runner was lost: the step and all it started were killed."
        return SUCCESS if proc.returncode == 0 else FAILURE

    def _file_commands(self) -> dict[str, str]:
        directory = self.temp / "_runner_file_commands"
        directory.mkdir(exist_ok=True)
        summary = self.temp / "_summary"
        summary.mkdir(exist_ok=True)
        name = uuid.uuid4()
        paths = {
            "GITHUB_OUTPUT": directory / f"set_output_{name}",
            "GITHUB_ENV": directory / f"set_env_{name}",
            "GITHUB_PATH": directory / f"add_path_{name}",
            "GITHUB_STATE": directory / f"save_state_{name}",
            "GITHUB_STEP_SUMMARY": summary / f"{len(self.record.steps):03d}_{name}",
        }
        for path in paths.values():
            path.touch()
        return {key: str(path) for key, path in paths.items()}

    def _collect(self, paths: Mapping[str, str], record: StepRun) -> None:
        record.outputs.update(files.read_pairs(Path(paths["GITHUB_OUTPUT"])))
        self.file_env.update(files.read_pairs(Path(paths["GITHUB_ENV"])))
        self.added_path += files.read_paths(Path(paths["GITHUB_PATH"]))

    def _uses(self, step: Step, frame: _Frame, env: dict[str, str], record: StepRun) -> str:
        assert step.uses is not None
        scope = self._scope(frame)
        given = {k: interpolate(v, scope) for k, v in step.with_.items()}
        uses = step.uses
        if uses.startswith("./"):
            action = Action.load(self.workspace / uses)
            return self._composite(action, frame, env=env, given=given, record=record)
        if uses.startswith("docker://") or "@" not in uses:
            raise StepFailed(f"this runner cannot run `uses: {uses}`")
        name = uses.partition("@")[0]
        if name in EMULATED:
            record.kind = "emulated"
            return self._emulate(EMULATED[name], step, frame, env=env, given=given, record=record)
        if name in self.site.actions:
            action = Action.load(self.site.actions[name])
            return self._composite(action, frame, env=env, given=given, record=record)
        raise StepFailed(
            f"the action `{name}` is neither emulated ({', '.join(EMULATED)}) nor mapped to a "
            "local directory (Runner(actions=…))"
        )

    def _emulate(
        self,
        emulation: Emulation,
        step: Step,
        frame: _Frame,
        *,
        env: dict[str, str],
        given: dict[str, str],
        record: StepRun,
    ) -> str:
        self._remaining(step, frame)
        call = StepCall(
            inputs=given,
            env={**self._base_env(frame), **env},
            workspace=self.workspace,
            cwd=self._cwd(step, frame),
            github=self._github(frame),
            sources=self.site.sources,
        )
        try:
            emulation(call)
            outcome = SUCCESS
        except StepFailed as exc:
            call.log(str(exc))
            outcome = FAILURE
        record.log = "\n".join(call.lines)
        record.outputs.update(call.outputs)
        self.file_env.update(call.added_env)
        self.added_path += call.added_path
        return outcome

    def _composite(
        self,
        action: Action,
        frame: _Frame,
        *,
        env: dict[str, str],
        given: dict[str, str],
        record: StepRun,
    ) -> str:
        record.kind = "composite"
        unexpected = sorted(set(given) - set(action.inputs))
        if unexpected:  # GitHub warns and goes on
            record.log = f"Warning: Unexpected input(s) {', '.join(unexpected)}"
        inner = _Frame(
            label=action.name,
            inputs={},
            env={**frame.env, **env},
            action=action,
            failed=frame.failed,
        )
        scope = self._scope(inner)
        inner.inputs = {
            name: given[name] if name in given else interpolate(spec.default, scope)
            for name, spec in action.inputs.items()
        }
        self._steps(action.steps, inner)
        scope = self._scope(inner)
        record.outputs.update({k: interpolate(v, scope) for k, v in action.outputs.items()})
        return FAILURE if inner.own_failure else SUCCESS
