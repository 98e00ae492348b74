"""Workflows and composite actions read as data (PyYAML), checked against what this runner can do.

A key this runner does not know is an error that names it, so a workflow that starts to use a
feature the runner lacks fails its test loudly instead of running as something else. Values
stay as written (expressions included): they are evaluated when the job runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.yaml_source import safe_load
from tests.actions.expressions import to_string


class WorkflowError(Exception):
    """A workflow or action this runner cannot read or run."""


_WORKFLOW_KEYS = {"name", "run-name", "on", "permissions", "env", "defaults", "concurrency", "jobs"}
_JOB_KEYS = {
    "name", "needs", "if", "runs-on", "permissions", "concurrency", "outputs", "env", "defaults",
    "steps", "timeout-minutes", "strategy", "continue-on-error", "uses", "with", "secrets",
    "environment",
}  # fmt: skip
_STEP_KEYS = {
    "id", "if", "name", "uses", "run", "shell", "with", "env", "continue-on-error",
    "timeout-minutes", "working-directory",
}  # fmt: skip
_ACTION_KEYS = {"name", "description", "author", "branding", "inputs", "outputs", "runs"}
# Per event, the filters this runner understands; any other (branches, paths, …) is an error.
_EVENT_KEYS = {
    "workflow_dispatch": {"inputs"},
    "workflow_call": {"inputs", "secrets", "outputs"},
    "schedule": set(),
}


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise WorkflowError(f"{where} must be a mapping, not {type(value).__name__}")
    return {str(k): v for k, v in value.items()}


def _environment(value: Any, where: str) -> str | None:
    """A job's `environment`: its name, written alone or as `{name: ..., url: ...}`."""
    if value is None or isinstance(value, str):
        return value
    settings = _mapping(value, where)
    _unknown(settings, {"name", "url"}, where)
    return str(settings["name"])


def _unknown(data: Mapping[str, Any], known: set[str], where: str) -> None:
    extra = sorted(set(data) - known)
    if extra:
        raise WorkflowError(f"{where}: this runner does not support {', '.join(extra)}")


@dataclass(frozen=True)
class Step:
    index: int
    id: str | None
    name: str | None
    uses: str | None
    run: str | None
    shell: str | None
    with_: Mapping[str, Any]
    env: Mapping[str, Any]
    if_: Any
    working_directory: str | None
    continue_on_error: Any
    timeout_minutes: Any

    @property
    def label(self) -> str:
        """The step's name as the log shows it."""
        if self.name:
            return self.name
        if self.uses:
            return self.uses
        first = (self.run or "").strip().splitlines()
        return f"Run {first[0]}" if first else f"step {self.index + 1}"

    @classmethod
    def read(cls, index: int, data: Any, where: str) -> Step:
        step = _mapping(data, where)
        _unknown(step, _STEP_KEYS, where)
        if ("uses" in step) == ("run" in step):
            raise WorkflowError(f"{where}: a step has exactly one of `uses` and `run`")
        return cls(
            index=index,
            id=str(step["id"]) if "id" in step else None,
            name=str(step["name"]) if "name" in step else None,
            uses=str(step["uses"]) if "uses" in step else None,
            run=str(step["run"]) if "run" in step else None,
            shell=str(step["shell"]) if "shell" in step else None,
            with_=_mapping(step.get("with"), f"{where}.with"),
            env=_mapping(step.get("env"), f"{where}.env"),
            if_=step.get("if"),
            working_directory=step.get("working-directory"),
            continue_on_error=step.get("continue-on-error", False),
            timeout_minutes=step.get("timeout-minutes"),
        )


@dataclass(frozen=True)
class Job:
    id: str
    name: Any
    needs: tuple[str, ...]
    if_: Any
    permissions: Any  # None: the workflow's
    concurrency: Any
    outputs: Mapping[str, Any]
    env: Mapping[str, Any]
    defaults: Mapping[str, Any]
    steps: tuple[Step, ...]
    timeout_minutes: Any
    strategy: Mapping[str, Any] | None
    continue_on_error: Any
    uses: str | None  # a call of a reusable workflow (this runner does not run those)
    # The deployment environment whose secrets the job reads (the runner's secrets stand for the
    # repository's and the environment's together).
    environment: str | None = None

    @classmethod
    def read(cls, job_id: str, data: Any) -> Job:
        where = f"jobs.{job_id}"
        job = _mapping(data, where)
        _unknown(job, _JOB_KEYS, where)
        needs = job.get("needs") or ()
        strategy = job.get("strategy")
        if strategy is not None:
            strategy = _mapping(strategy, f"{where}.strategy")
            _unknown(strategy, {"matrix", "fail-fast", "max-parallel"}, f"{where}.strategy")
        steps = job.get("steps") or []
        if not isinstance(steps, list):
            raise WorkflowError(f"{where}.steps must be a list")
        return cls(
            id=job_id,
            name=job.get("name"),
            needs=(needs,) if isinstance(needs, str) else tuple(str(n) for n in needs),
            if_=job.get("if"),
            permissions=job.get("permissions"),
            concurrency=job.get("concurrency"),
            outputs=_mapping(job.get("outputs"), f"{where}.outputs"),
            env=_mapping(job.get("env"), f"{where}.env"),
            defaults=_mapping(job.get("defaults"), f"{where}.defaults"),
            steps=tuple(Step.read(i, s, f"{where}.steps[{i}]") for i, s in enumerate(steps)),
            timeout_minutes=job.get("timeout-minutes", 360),
            strategy=strategy,
            continue_on_error=job.get("continue-on-error", False),
            uses=str(job["uses"]) if "uses" in job else None,
            environment=_environment(job.get("environment"), f"{where}.environment"),
        )


@dataclass(frozen=True)
class Workflow:
    path: str  # where it was read from, for messages
    name: str | None
    on: Mapping[str, Mapping[str, Any]]  # event → its configuration ({} when it has none)
    permissions: Any
    env: Mapping[str, Any]
    defaults: Mapping[str, Any]
    concurrency: Any
    jobs: Mapping[str, Job]

    @classmethod
    def parse(cls, text: str, path: str = "workflow") -> Workflow:
        data = safe_load(text)
        if not isinstance(data, dict):
            raise WorkflowError(f"{path} is not a mapping")
        if True in data:  # YAML 1.1 reads the key `on` as true
            data["on"] = data.pop(True)
        data = {str(k): v for k, v in data.items()}
        _unknown(data, _WORKFLOW_KEYS, path)
        jobs = _mapping(data.get("jobs"), f"{path}: jobs")
        if not jobs:
            raise WorkflowError(f"{path} has no jobs")
        workflow = cls(
            path=path,
            name=data.get("name"),
            on=_events(data.get("on"), path),
            permissions=data.get("permissions"),
            env=_mapping(data.get("env"), f"{path}: env"),
            defaults=_mapping(data.get("defaults"), f"{path}: defaults"),
            concurrency=data.get("concurrency"),
            jobs={job_id: Job.read(job_id, job) for job_id, job in jobs.items()},
        )
        for job in workflow.jobs.values():
            for need in job.needs:
                if need not in workflow.jobs:
                    raise WorkflowError(f"{path}: jobs.{job.id} needs `{need}`, which is no job")
        return workflow

    @classmethod
    def load(cls, path: Path) -> Workflow:
        return cls.parse(path.read_text(encoding="utf-8"), str(path))

    def triggered_by(self, event_name: str, payload: Mapping[str, Any]) -> bool:
        """Whether the event starts this workflow (its `types`, where it lists them)."""
        if event_name not in self.on:
            return False
        types = self.on[event_name].get("types")
        if types is None:
            return True
        wanted = [types] if isinstance(types, str) else list(types)
        return payload.get("action") in wanted

    def inputs(self, trigger: str, given: Mapping[str, Any]) -> dict[str, Any]:
        """The `inputs` context: a dispatch's (`trigger` workflow_dispatch) or a call's
        (workflow_call) inputs, typed as declared, with their defaults; empty otherwise."""
        if trigger not in ("workflow_dispatch", "workflow_call") or trigger not in self.on:
            if given:
                raise WorkflowError(f"{self.path}: inputs given, but it is not run by {trigger}")
            return {}
        declared = _mapping(self.on[trigger].get("inputs"), f"{self.path}: on.{trigger}.inputs")
        unknown = sorted(set(given) - set(declared))
        if unknown:
            raise WorkflowError(f"{self.path}: no input named {', '.join(unknown)}")
        out: dict[str, Any] = {}
        for name, declaration in declared.items():
            spec = _mapping(declaration, f"{self.path}: input {name}")
            if name not in given and spec.get("required") and "default" not in spec:
                raise WorkflowError(f"{self.path}: the input `{name}` is required")
            value = given.get(name, spec.get("default"))
            out[name] = _typed(value, str(spec.get("type", "string")), name)
        return out


def _typed(value: Any, kind: str, name: str) -> Any:
    if value is None:
        return {"boolean": False, "number": 0}.get(kind, "")
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if to_string(value).lower() in ("true", "false"):
            return to_string(value).lower() == "true"
        raise WorkflowError(f"the input `{name}` must be a boolean, not {value!r}")
    if kind == "number":
        try:
            return float(value)
        except (TypeError, ValueError):
            raise WorkflowError(f"the input `{name}` must be a number, not {value!r}") from None
    if kind in ("string", "choice", "environment"):
        return to_string(value)
    raise WorkflowError(f"the input `{name}` has a type this runner does not know: {kind}")


def _events(value: Any, path: str) -> dict[str, dict[str, Any]]:
    if isinstance(value, str):
        return {value: {}}
    if isinstance(value, list):
        return {str(v): {} for v in value}
    events: dict[str, dict[str, Any]] = {}
    for name, config in _mapping(value, f"{path}: on").items():
        if name == "schedule":
            if not isinstance(config, list) or not all(
                isinstance(c, dict) and "cron" in c for c in config
            ):
                raise WorkflowError(f"{path}: on.schedule must be a list of {{cron: …}}")
            events[name] = {"crons": [str(c["cron"]) for c in config]}
            continue
        settings = _mapping(config, f"{path}: on.{name}")
        _unknown(settings, _EVENT_KEYS.get(name, {"types"}), f"{path}: on.{name}")
        events[name] = settings
    return events


# ---- composite actions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionInput:
    default: Any
    required: bool


@dataclass(frozen=True)
class Action:
    """A composite action (`runs.using: composite`), read from its directory."""

    directory: Path
    name: str
    inputs: Mapping[str, ActionInput]
    outputs: Mapping[str, Any]  # name → its `value` expression
    steps: tuple[Step, ...] = field(default=())

    @classmethod
    def load(cls, directory: Path) -> Action:
        path = next(
            (directory / n for n in ("action.yml", "action.yaml") if (directory / n).is_file()),
            None,
        )
        if path is None:
            raise WorkflowError(f"no action.yml in {directory}")
        data = _mapping(safe_load(path.read_text(encoding="utf-8")), str(path))
        _unknown(data, _ACTION_KEYS, str(path))
        runs = _mapping(data.get("runs"), f"{path}: runs")
        if runs.get("using") != "composite":
            raise WorkflowError(
                f"{path}: only composite actions run here, not `using: {runs.get('using')}`"
            )
        _unknown(runs, {"using", "steps"}, f"{path}: runs")
        steps = runs.get("steps") or []
        inputs = {
            name: ActionInput(spec.get("default"), bool(spec.get("required", False)))
            for name, spec in (
                (n, _mapping(s, f"{path}: inputs.{n}"))
                for n, s in _mapping(data.get("inputs"), f"{path}: inputs").items()
            )
        }
        outputs = {
            name: _mapping(spec, f"{path}: outputs.{name}").get("value")
            for name, spec in _mapping(data.get("outputs"), f"{path}: outputs").items()
        }
        read = tuple(Step.read(i, s, f"{path}: runs.steps[{i}]") for i, s in enumerate(steps))
        for step in read:
            if step.run is not None and not step.shell:
                raise WorkflowError(
                    f"{path}: `{step.label}` has no `shell` (composite steps need one)"
                )
        return cls(directory, str(data.get("name", directory.name)), inputs, outputs, read)
