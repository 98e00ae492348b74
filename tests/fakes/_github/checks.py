"""Check runs (apps only) and commit statuses (anyone with write access)."""

from __future__ import annotations

from typing import Any

from .common import MAX_CHECK_TEXT, forbidden, parse_time, required, shapes
from .model import CheckRun, CommitStatus
from .protocol import (
    ApiError,
    Call,
    Response,
    Routes,
    invalid_request,
    not_found,
    paginate,
    validation_failed,
)

routes = Routes()
REPO = "/repos/{owner}/{repo}"
RUN = f"{REPO}/check-runs/{{check_run_id}}"

_STATUSES = ("queued", "in_progress", "completed", "waiting", "requested", "pending")
_CONCLUSIONS = (
    "action_required", "cancelled", "failure", "neutral", "success", "skipped", "stale", "timed_out",
)  # fmt: skip
_LEVELS = ("notice", "warning", "failure")
MAX_ANNOTATIONS = 50


def _app_only(call: Call) -> None:
    """Only an app's token (an installation token or Actions' GITHUB_TOKEN) may write checks."""
    if call.token is None or not call.token.app:
        raise forbidden("Resource not accessible by personal access token")


def _commit_or_422(call: Call, sha: Any) -> str:
    if not isinstance(sha, str) or call.world.git.object_type(sha) != "commit":
        raise ApiError(422, f"No commit found for SHA: {sha}")
    return sha


def _annotations(output: dict[str, Any]) -> list[dict[str, Any]]:
    annotations = output.get("annotations") or []
    if len(annotations) > MAX_ANNOTATIONS:
        raise invalid_request(
            f"No more than {MAX_ANNOTATIONS} items are allowed; {len(annotations)} were supplied."
        )
    for annotation in annotations:
        for name in ("path", "start_line", "end_line", "annotation_level", "message"):
            if name not in annotation:
                raise invalid_request(f'"{name}" wasn\'t supplied.')
        if annotation["annotation_level"] not in _LEVELS:
            raise invalid_request(
                f"For 'properties/annotation_level', {annotation['annotation_level']!r} is not a "
                "possible value."
            )
    return [dict(a) for a in annotations]


def _apply(call: Call, run: CheckRun, body: dict[str, Any]) -> None:
    """The fields of a create or update request, onto `run`, with GitHub's checks."""
    now = call.world.clock()
    for name in ("name", "details_url", "external_id"):
        if name in body:
            setattr(run, name, body[name])
    if "started_at" in body:
        run.started_at = parse_time(body["started_at"], "started_at")
    if "status" in body:
        if body["status"] not in _STATUSES[:3]:
            raise invalid_request(
                f"For 'properties/status', {body['status']!r} is not a possible value."
            )
        run.status = body["status"]
    if body.get("conclusion") is not None:
        if body["conclusion"] not in _CONCLUSIONS:
            raise invalid_request(
                f"For 'properties/conclusion', {body['conclusion']!r} is not a possible value."
            )
        run.conclusion = body["conclusion"]
        run.status = "completed"
    if run.status == "completed":
        if run.conclusion is None:
            raise invalid_request('"conclusion" wasn\'t supplied.')
        run.completed_at = (
            parse_time(body.get("completed_at"), "completed_at") or run.completed_at or now
        )
    output = body.get("output")
    if output is not None:
        for name in ("title", "summary", "text"):
            value = output.get(name)
            if value is not None and len(value) > MAX_CHECK_TEXT:
                raise invalid_request(
                    f"Only {MAX_CHECK_TEXT} characters are allowed; {len(value)} were supplied."
                )
        run.title = str(required(output, "title"))
        run.summary = str(required(output, "summary"))
        if "text" in output:
            run.text = output["text"]
        run.annotations += _annotations(output)


@routes.post(f"{REPO}/check-runs", docs="checks/runs#create-a-check-run")
def create_check_run(call: Call) -> Response:
    _app_only(call)
    body = call.body()
    name = required(body, "name")
    head_sha = _commit_or_422(call, required(body, "head_sha"))
    now = call.world.clock()
    run = CheckRun(
        id=call.world.next_id(),
        name=str(name),
        head_sha=head_sha,
        status="queued",
        conclusion=None,
        started_at=now,
        completed_at=None,
        details_url=None,
        external_id="",
    )
    _apply(call, run, body)
    call.world.check_runs[run.id] = run
    return Response(201, shapes(call).check_run(run))


def _run_or_404(call: Call) -> CheckRun:
    run = call.world.check_runs.get(call.int_param("check_run_id"))
    if run is None:
        raise not_found()
    return run


@routes.get(RUN, docs="checks/runs#get-a-check-run")
def get_check_run(call: Call) -> Response:
    return Response(200, shapes(call).check_run(_run_or_404(call)))


@routes.patch(RUN, docs="checks/runs#update-a-check-run")
def update_check_run(call: Call) -> Response:
    _app_only(call)
    run = _run_or_404(call)
    _apply(call, run, call.body())
    return Response(200, shapes(call).check_run(run))


@routes.get(f"{RUN}/annotations", docs="checks/runs#list-check-run-annotations")
def list_annotations(call: Call) -> Response:
    run = _run_or_404(call)
    render = shapes(call)
    return paginate(call, run.annotations, lambda a: render.annotation(run, a))


@routes.post(f"{RUN}/rerequest", docs="checks/runs#rerequest-a-check-run")
def rerequest_check_run(call: Call) -> Response:
    _app_only(call)
    _run_or_404(call)
    return Response(201, {})


@routes.get(
    f"{REPO}/commits/{{ref:path}}/check-runs",
    docs="checks/runs#list-check-runs-for-a-git-reference",
)
def list_check_runs(call: Call) -> Response:
    arg = call.request.arg
    sha = call.world.git.resolve(call.params["ref"])
    if sha is None:
        raise ApiError(422, f"No commit found for SHA: {call.params['ref']}")
    runs = sorted(call.world.check_runs_for(sha), key=lambda r: -r.id)
    if arg("check_name"):
        runs = [r for r in runs if r.name == arg("check_name")]
    if arg("status"):
        runs = [r for r in runs if r.status == arg("status")]
    if arg("filter", "latest") == "latest":
        newest: dict[str, CheckRun] = {}
        for run in runs:
            newest.setdefault(run.name, run)
        runs = list(newest.values())
    return paginate(call, runs, shapes(call).check_run, envelope="check_runs")


# ---- commit statuses ------------------------------------------------------------------------------


@routes.post(f"{REPO}/statuses/{{sha}}", docs="commits/statuses#create-a-commit-status")
def create_status(call: Call) -> Response:
    body = call.body()
    sha = _commit_or_422(call, call.params["sha"])
    state = body.get("state")
    if state not in ("error", "failure", "pending", "success"):
        raise validation_failed("Status", "state", "custom", "state is not included in the list")
    description = body.get("description")
    if description is not None and len(description) > 140:
        raise validation_failed(
            "Status", "description", "custom", "description is too long (maximum is 140 characters)"
        )
    status = CommitStatus(
        id=call.world.next_id(),
        sha=sha,
        state=state,
        context=str(body.get("context") or "default"),
        description=description,
        target_url=body.get("target_url"),
        creator=call.user.login,
        created_at=call.world.clock(),
    )
    call.world.statuses.append(status)
    return Response(201, shapes(call).status(status))


@routes.get(
    f"{REPO}/commits/{{ref:path}}/statuses",
    docs="commits/statuses#list-commit-statuses-for-a-reference",
)
@routes.add(
    "GET",
    f"{REPO}/statuses/{{ref:path}}",  # the older address, which PyGithub uses
    docs="commits/statuses#list-commit-statuses-for-a-reference",
    same_as=f"{REPO}/commits/{{ref}}/statuses",
)
def list_statuses(call: Call) -> Response:
    sha = call.world.git.resolve(call.params["ref"])
    statuses = call.world.statuses_for(sha) if sha else []
    return paginate(call, statuses, shapes(call).status)


@routes.get(
    f"{REPO}/commits/{{ref:path}}/status",
    docs="commits/statuses#get-the-combined-status-for-a-specific-reference",
)
def combined_status(call: Call) -> Response:
    sha = call.world.git.resolve(call.params["ref"])
    if sha is None:
        raise not_found(f"No commit found for SHA: {call.params['ref']}")
    return Response(200, shapes(call).combined_status(sha))
