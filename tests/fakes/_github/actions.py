"""GitHub Actions: create a `workflow_dispatch` event, and read a workflow run.

Neither operation is in the cut of GitHub's description the conformance test reads; both are
written from GitHub's REST documentation, and their shapes are in `actions_spec.py`:

- "Create a workflow dispatch event", docs.github.com/rest/actions/workflows#create-a-workflow-
  dispatch-event: `POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches`,
  `workflow_id` the workflow's id or its file name (`main.yaml`), a body `{"ref" (required),
  "inputs"}`, answered `204 No Content`. The workflow must be triggered by `workflow_dispatch`;
  GitHub Apps (and so GITHUB_TOKEN) need `actions: write`. GitHub's answers to a bad request, as
  its users quote them: 422 "No ref found for: X", 422 "Workflow does not have
  'workflow_dispatch' trigger", 422 "Unexpected inputs provided: [...]", 422 "Required input 'x'
  not provided", 404 for a workflow it does not know. (Since 2026-02 `return_run_details: true`
  makes it answer 200 with the run's id and URLs; the fake does not serve that.)
- "Get a workflow run", docs.github.com/rest/actions/workflow-runs#get-a-workflow-run:
  `GET /repos/{owner}/{repo}/actions/runs/{run_id}` → 200 `workflow-run`; `actions: read`.

A dispatch made with GITHUB_TOKEN does start a run (unlike other events made with it); the fake
records it (`World.dispatches`) for a test or the Actions runner of tests/actions to start.
Runs are made by Actions, not through the API: a test or that runner adds and updates them.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import Any

import yaml

from bot.yaml_source import safe_load

from .common import required, shapes
from .model import Dispatch, World
from .protocol import ApiError, Call, Response, Routes, invalid_request, not_found

routes = Routes()
REPO = "/repos/{owner}/{repo}"
WORKFLOWS_DIR = ".github/workflows"
RUN_STATUSES = ("queued", "in_progress", "completed", "waiting", "requested", "pending")
RUN_CONCLUSIONS = (
    "success", "failure", "neutral", "cancelled", "skipped", "timed_out", "action_required",
    "stale", "startup_failure",
)  # fmt: skip


def workflow_path(world: World, workflow_id: str) -> str | None:
    """The file of the workflow `workflow_id` names (its id, or its file name), as the default
    branch has it; None when there is no such workflow."""
    if workflow_id.isdigit():
        found = [p for p, i in world.workflow_ids.items() if i == int(workflow_id)]
        return found[0] if found else None
    name = PurePosixPath(workflow_id).name
    if not name.endswith((".yml", ".yaml")):
        return None
    head = world.git.resolve(world.repo.default_branch)
    path = f"{WORKFLOWS_DIR}/{name}"
    entry = world.git.entry_at(head, path) if head else None
    return path if entry is not None and entry.type == "blob" else None


def dispatch_inputs(text: str) -> dict[str, Any] | None:
    """The `workflow_dispatch` inputs a workflow declares (name -> definition), or None when
    `workflow_dispatch` does not trigger it."""
    try:
        data = safe_load(text)
    except yaml.YAMLError:
        return None
    if not isinstance(data, dict):
        return None
    on = data.get("on", data.get(True))  # YAML 1.1 reads a bare `on` as true
    if isinstance(on, str):
        return {} if on == "workflow_dispatch" else None
    if isinstance(on, list):
        return {} if "workflow_dispatch" in on else None
    if not isinstance(on, dict) or "workflow_dispatch" not in on:
        return None
    spec = on["workflow_dispatch"] or {}
    inputs = spec.get("inputs") if isinstance(spec, dict) else None
    return dict(inputs) if isinstance(inputs, dict) else {}


@routes.post(
    f"{REPO}/actions/workflows/{{workflow_id}}/dispatches",
    docs="actions/workflows#create-a-workflow-dispatch-event",
)
def create_workflow_dispatch(call: Call) -> Response:
    body = call.body()
    ref = required(body, "ref")
    if not isinstance(ref, str):
        raise invalid_request(f"For 'properties/ref', {json.dumps(ref)} is not a string.")
    given = body.get("inputs") or {}
    if not isinstance(given, dict):
        raise invalid_request(f"For 'properties/inputs', {json.dumps(given)} is not an object.")
    if body.get("return_run_details"):
        raise NotImplementedError("the fake does not answer return_run_details")
    world = call.world
    path = workflow_path(world, call.params["workflow_id"])
    if path is None:
        raise not_found()
    sha = world.git.resolve(ref)
    if sha is None:
        raise ApiError(422, f"No ref found for: {ref}")
    entry = world.git.entry_at(sha, path)
    text = world.git.read_blob(entry.sha).decode() if entry and entry.type == "blob" else ""
    declared = dispatch_inputs(text)
    if declared is None:
        raise ApiError(422, "Workflow does not have 'workflow_dispatch' trigger")
    unexpected = sorted(set(given) - set(declared))
    if unexpected:
        raise ApiError(422, f"Unexpected inputs provided: {json.dumps(unexpected)}")
    for name, definition in declared.items():
        spec = definition if isinstance(definition, dict) else {}
        if spec.get("required") and name not in given and spec.get("default") is None:
            raise ApiError(422, f"Required input '{name}' not provided")
    world.workflow_id(path)
    world.dispatches.append(Dispatch(path, ref, dict(given), call.user.login, world.clock()))
    return Response(204)


@routes.get(f"{REPO}/actions/runs/{{run_id}}", docs="actions/workflow-runs#get-a-workflow-run")
def get_workflow_run(call: Call) -> Response:
    run = call.world.workflow_runs.get(call.int_param("run_id"))
    if run is None:
        raise not_found()
    return Response(200, shapes(call).workflow_run(run))
