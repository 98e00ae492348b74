"""Issues, labels, events and timelines, issue comments, milestones and issue dependencies."""

from __future__ import annotations

import re
from typing import Any

from .common import (
    can_triage,
    issue_or_404,
    parse_time,
    required,
    shapes,
    text_field,
)
from .model import Comment, Event, Issue
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
_COLOR = re.compile(r"[0-9a-fA-F]{6}")


def _label_names(value: Any) -> list[str]:
    """Labels as GitHub accepts them: names, or objects with a `name`."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid_request(f"For 'properties/labels', {value!r} is not an array.")
    names = []
    for item in value:
        name = item.get("name") if isinstance(item, dict) else item
        if not isinstance(name, str) or not name.strip():
            raise validation_failed("Label", "name", "invalid")
        names.append(name.strip())
    return names


def _milestone_number(call: Call, value: Any) -> int | None:
    if value is None:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise validation_failed("Issue", "milestone", "invalid") from None
    if number not in call.world.milestones:
        raise validation_failed("Issue", "milestone", "invalid")
    return number


def _assignees(call: Call, body: dict[str, Any]) -> list[str] | None:
    if "assignees" in body:
        logins = body["assignees"] or []
    elif "assignee" in body:
        logins = [body["assignee"]] if body["assignee"] else []
    else:
        return None
    for login in logins:
        user = call.world.user(login) if isinstance(login, str) else None
        if user is None or user.role == "none":
            raise ApiError(
                422,
                "Validation Failed",
                errors=[
                    {"resource": "Issue", "code": "invalid", "field": "assignees", "value": login}
                ],
            )
    return [call.world.ensure_user(login).login for login in logins]


# ---- issues -----------------------------------------------------------------------------------------


def _selects(wanted: str | None, present: list[str]) -> bool:
    """GitHub's filter values: absent (anything), `*` (any), `none`, or one name."""
    if wanted is None:
        return True
    if wanted == "*":
        return bool(present)
    if wanted == "none":
        return not present
    return wanted.lower() in (p.lower() for p in present)


def _matches(call: Call, issue: Issue) -> bool:
    arg = call.request.arg
    labels = {n.strip().lower() for n in (arg("labels") or "").split(",") if n.strip()}
    since = parse_time(arg("since"), "since")
    return (
        arg("state", "open") in ("all", issue.state)
        and labels <= {n.lower() for n in issue.labels}
        and _selects(arg("milestone"), [str(issue.milestone)] if issue.milestone else [])
        and _selects(arg("assignee"), issue.assignees)
        and _selects(arg("creator"), [issue.user])
        and (since is None or issue.updated_at >= since)
    )


@routes.get(f"{REPO}/issues", docs="issues/issues#list-repository-issues")
def list_issues(call: Call) -> Response:
    issues = [i for i in call.world.issues.values() if _matches(call, i)]
    sort = call.request.arg("sort") or "created"
    key = {
        "updated": lambda i: (i.updated_at, i.number),
        "comments": lambda i: (len(call.world.comments_on(i.number)), i.number),
    }.get(sort, lambda i: (i.created_at, i.number))
    issues.sort(key=key, reverse=call.request.arg("direction", "desc") != "asc")
    return paginate(call, issues, shapes(call).issue)


@routes.post(f"{REPO}/issues", docs="issues/issues#create-an-issue")
def create_issue(call: Call) -> Response:
    body = call.body()
    title = body.get("title")
    if title is None or str(title).strip() == "":
        raise validation_failed("Issue", "title", "missing_field")
    text = text_field(body, "body", "Issue")
    triage = can_triage(call.user)  # others' labels, milestone and assignees are dropped
    issue = call.world.new_issue(
        str(title),
        author=call.user.login,
        body=text,
        labels=_label_names(body.get("labels")) if triage else (),
        milestone=_milestone_number(call, body.get("milestone")) if triage else None,
        assignees=(_assignees(call, body) or []) if triage else [],
    )
    return Response(201, shapes(call).issue(issue, detail=True))


@routes.get(f"{REPO}/issues/{{issue_number}}", docs="issues/issues#get-an-issue")
def get_issue(call: Call) -> Response:
    return Response(200, shapes(call).issue(issue_or_404(call), detail=True))


@routes.patch(f"{REPO}/issues/{{issue_number}}", docs="issues/issues#update-an-issue")
def update_issue(call: Call) -> Response:
    issue = issue_or_404(call)
    body = call.body()
    world, actor = call.world, call.user.login
    if "title" in body:
        if body["title"] is None or str(body["title"]).strip() == "":
            raise validation_failed("Issue", "title", "missing_field")
        issue.title = str(body["title"])
    if "body" in body:
        issue.body = text_field(body, "body", "Issue")
    if "state" in body:
        if body["state"] not in ("open", "closed"):
            raise validation_failed("Issue", "state", "invalid")
        world.set_state(issue, body["state"], actor=actor, reason=body.get("state_reason"))
    if can_triage(call.user):
        if "labels" in body:
            world.set_labels(issue, _label_names(body["labels"]), actor=actor)
        if "milestone" in body:
            world.set_milestone(issue, _milestone_number(call, body["milestone"]), actor=actor)
        assignees = _assignees(call, body)
        if assignees is not None:
            issue.assignees = assignees
    issue.updated_at = world.clock()
    return Response(200, shapes(call).issue(issue, detail=True))


@routes.post(
    f"{REPO}/issues/{{issue_number}}/assignees", docs="issues/assignees#add-assignees-to-an-issue"
)
def add_assignees(call: Call) -> Response:
    issue = issue_or_404(call)
    logins = _assignees(call, {"assignees": call.body().get("assignees") or []}) or []
    if can_triage(call.user):
        issue.assignees += [a for a in logins if a not in issue.assignees]
    return Response(201, shapes(call).issue(issue, detail=True))


@routes.delete(
    f"{REPO}/issues/{{issue_number}}/assignees",
    docs="issues/assignees#remove-assignees-from-an-issue",
)
def remove_assignees(call: Call) -> Response:
    issue = issue_or_404(call)
    gone = {str(a).lower() for a in call.body().get("assignees") or []}
    if can_triage(call.user):
        issue.assignees = [a for a in issue.assignees if a.lower() not in gone]
    return Response(200, shapes(call).issue(issue, detail=True))


# ---- labels -----------------------------------------------------------------------------------------


@routes.get(f"{REPO}/labels", docs="issues/labels#list-labels-for-a-repository")
def list_labels(call: Call) -> Response:
    labels = sorted(call.world.labels.values(), key=lambda label: label.name.lower())
    return paginate(call, labels, shapes(call).label)


@routes.post(f"{REPO}/labels", docs="issues/labels#create-a-label")
def create_label(call: Call) -> Response:
    body = call.body()
    name = str(required(body, "name")).strip()
    color = str(body.get("color") or "ededed")
    if not _COLOR.fullmatch(color):
        raise validation_failed("Label", "color", "invalid")
    if call.world.label(name) is not None:
        raise validation_failed("Label", "name", "already_exists")
    label = call.world.ensure_label(name, color=color.lower(), description=body.get("description"))
    return Response(201, shapes(call).label(label))


def _label_or_404(call: Call) -> Any:
    label = call.world.label(call.params["name"])
    if label is None:
        raise not_found()
    return label


@routes.get(f"{REPO}/labels/{{name}}", docs="issues/labels#get-a-label")
def get_label(call: Call) -> Response:
    return Response(200, shapes(call).label(_label_or_404(call)))


@routes.patch(f"{REPO}/labels/{{name}}", docs="issues/labels#update-a-label")
def update_label(call: Call) -> Response:
    label = _label_or_404(call)
    body = call.body()
    if "color" in body:
        if not _COLOR.fullmatch(str(body["color"])):
            raise validation_failed("Label", "color", "invalid")
        label.color = str(body["color"]).lower()
    if "description" in body:
        label.description = body["description"]
    if body.get("new_name"):
        new_name = str(body["new_name"])
        del call.world.labels[label.name.lower()]
        for issue in call.world.issues.values():
            issue.labels = [
                new_name if n.lower() == label.name.lower() else n for n in issue.labels
            ]
        label.name = new_name
        call.world.labels[new_name.lower()] = label
    return Response(200, shapes(call).label(label))


@routes.delete(f"{REPO}/labels/{{name}}", docs="issues/labels#delete-a-label")
def delete_label(call: Call) -> Response:
    label = _label_or_404(call)
    del call.world.labels[label.name.lower()]
    for issue in call.world.issues.values():
        issue.labels = [n for n in issue.labels if n.lower() != label.name.lower()]
    return Response(204)


def _labels_of(call: Call, issue: Issue) -> Response:
    return Response(200, shapes(call).issue_labels(issue))


def _labels_in_body(call: Call) -> list[str]:
    data = call.request.json()
    if isinstance(data, dict):
        data = data.get("labels")
    return _label_names(data)


@routes.get(f"{REPO}/issues/{{issue_number}}/labels", docs="issues/labels#list-labels-for-an-issue")
def list_issue_labels(call: Call) -> Response:
    issue = issue_or_404(call)
    return paginate(call, shapes(call).issue_labels(issue))


@routes.post(f"{REPO}/issues/{{issue_number}}/labels", docs="issues/labels#add-labels-to-an-issue")
def add_issue_labels(call: Call) -> Response:
    issue = issue_or_404(call)
    call.world.add_labels(issue, _labels_in_body(call), actor=call.user.login)
    return _labels_of(call, issue)


@routes.put(f"{REPO}/issues/{{issue_number}}/labels", docs="issues/labels#set-labels-for-an-issue")
def set_issue_labels(call: Call) -> Response:
    issue = issue_or_404(call)
    call.world.set_labels(issue, _labels_in_body(call), actor=call.user.login)
    return _labels_of(call, issue)


@routes.delete(
    f"{REPO}/issues/{{issue_number}}/labels", docs="issues/labels#remove-all-labels-from-an-issue"
)
def clear_issue_labels(call: Call) -> Response:
    issue = issue_or_404(call)
    call.world.set_labels(issue, [], actor=call.user.login)
    return Response(204)


@routes.delete(
    f"{REPO}/issues/{{issue_number}}/labels/{{name}}",
    docs="issues/labels#remove-a-label-from-an-issue",
)
def remove_issue_label(call: Call) -> Response:
    issue = issue_or_404(call)
    if not call.world.remove_label(issue, call.params["name"], actor=call.user.login):
        raise not_found("Label does not exist")
    return _labels_of(call, issue)


# ---- events and the timeline ------------------------------------------------------------------------


@routes.get(f"{REPO}/issues/{{issue_number}}/events", docs="issues/events#list-issue-events")
def list_issue_events(call: Call) -> Response:
    return paginate(call, issue_or_404(call).events, shapes(call).event)


@routes.get(f"{REPO}/issues/events", docs="issues/events#list-issue-events-for-a-repository")
def list_repo_events(call: Call) -> Response:
    pairs = sorted(
        ((event, issue) for issue in call.world.issues.values() for event in issue.events),
        key=lambda pair: -pair[0].id,
    )
    render = shapes(call)
    return paginate(
        call, pairs, lambda pair: {**render.event(pair[0]), "issue": render.issue(pair[1])}
    )


@routes.get(f"{REPO}/issues/events/{{event_id}}", docs="issues/events#get-an-issue-event")
def get_event(call: Call) -> Response:
    wanted = call.int_param("event_id")
    for issue in call.world.issues.values():
        for event in issue.events:
            if event.id == wanted:
                render = shapes(call)
                return Response(200, {**render.event(event), "issue": render.issue(issue)})
    raise not_found()


@routes.get(
    f"{REPO}/issues/{{issue_number}}/timeline",
    docs="issues/timeline#list-timeline-events-for-an-issue",
)
def list_timeline(call: Call) -> Response:
    issue = issue_or_404(call)
    items: list[Event | Comment] = [*issue.events, *call.world.comments_on(issue.number)]
    items.sort(key=lambda item: (item.created_at, item.id))
    render = shapes(call)
    return paginate(
        call,
        items,
        lambda item: (
            render.timeline_comment(item) if isinstance(item, Comment) else render.event(item)
        ),
    )


# ---- comments ---------------------------------------------------------------------------------------


def _comment_or_404(call: Call) -> Comment:
    comment = call.world.comments.get(call.int_param("comment_id"))
    if comment is None:
        raise not_found()
    return comment


def _comment_body(body: dict[str, Any]) -> str:
    text = text_field(body, "body", "IssueComment")
    if text is None or not text.strip():
        raise validation_failed("IssueComment", "body", "missing_field")
    return text


@routes.get(f"{REPO}/issues/{{issue_number}}/comments", docs="issues/comments#list-issue-comments")
def list_comments(call: Call) -> Response:
    issue = issue_or_404(call)
    since = parse_time(call.request.arg("since"), "since")
    comments = [
        c for c in call.world.comments_on(issue.number) if since is None or c.updated_at >= since
    ]
    return paginate(call, comments, shapes(call).comment)


@routes.post(
    f"{REPO}/issues/{{issue_number}}/comments", docs="issues/comments#create-an-issue-comment"
)
def create_comment(call: Call) -> Response:
    issue = issue_or_404(call)
    if issue.locked and not can_triage(call.user):
        raise ApiError(403, "Unable to create comment because issue is locked.")
    comment = call.world.add_comment(issue, _comment_body(call.body()), author=call.user.login)
    return Response(201, shapes(call).comment(comment))


@routes.get(f"{REPO}/issues/comments", docs="issues/comments#list-issue-comments-for-a-repository")
def list_repo_comments(call: Call) -> Response:
    since = parse_time(call.request.arg("since"), "since")
    comments = [c for c in call.world.comments.values() if since is None or c.updated_at >= since]
    key = (
        (lambda c: (c.updated_at, c.id))
        if call.request.arg("sort") == "updated"
        else (lambda c: (c.created_at, c.id))
    )
    comments.sort(key=key, reverse=call.request.arg("direction") == "desc")
    return paginate(call, comments, shapes(call).comment)


@routes.get(f"{REPO}/issues/comments/{{comment_id}}", docs="issues/comments#get-an-issue-comment")
def get_comment(call: Call) -> Response:
    return Response(200, shapes(call).comment(_comment_or_404(call)))


@routes.patch(
    f"{REPO}/issues/comments/{{comment_id}}", docs="issues/comments#update-an-issue-comment"
)
def update_comment(call: Call) -> Response:
    comment = _comment_or_404(call)
    comment.body = _comment_body(call.body())
    comment.updated_at = call.world.clock()
    return Response(200, shapes(call).comment(comment))


@routes.delete(
    f"{REPO}/issues/comments/{{comment_id}}", docs="issues/comments#delete-an-issue-comment"
)
def delete_comment(call: Call) -> Response:
    del call.world.comments[_comment_or_404(call).id]
    return Response(204)


# ---- milestones -------------------------------------------------------------------------------------


def _milestone_or_404(call: Call) -> Any:
    milestone = call.world.milestones.get(call.int_param("milestone_number"))
    if milestone is None:
        raise not_found()
    return milestone


@routes.get(f"{REPO}/milestones", docs="issues/milestones#list-milestones")
def list_milestones(call: Call) -> Response:
    state = call.request.arg("state", "open")
    milestones = [m for m in call.world.milestones.values() if state in ("all", m.state)]
    if call.request.arg("sort") == "completeness":
        render = shapes(call)
        milestones.sort(key=lambda m: render.milestone(m)["closed_issues"])
    else:  # due_on, the default; milestones without a due date come last
        milestones.sort(key=lambda m: (m.due_on is None, m.due_on or m.created_at, m.number))
    if call.request.arg("direction") == "desc":
        milestones.reverse()
    return paginate(call, milestones, shapes(call).milestone)


@routes.post(f"{REPO}/milestones", docs="issues/milestones#create-a-milestone")
def create_milestone(call: Call) -> Response:
    body = call.body()
    title = str(required(body, "title"))
    if any(m.title == title for m in call.world.milestones.values()):
        raise validation_failed("Milestone", "title", "already_exists")
    state = body.get("state", "open")
    if state not in ("open", "closed"):
        raise validation_failed("Milestone", "state", "invalid")
    milestone = call.world.add_milestone(
        title,
        creator=call.user.login,
        description=body.get("description"),
        state=state,
        due_on=parse_time(body.get("due_on"), "due_on"),
    )
    return Response(201, shapes(call).milestone(milestone))


@routes.get(f"{REPO}/milestones/{{milestone_number}}", docs="issues/milestones#get-a-milestone")
def get_milestone(call: Call) -> Response:
    return Response(200, shapes(call).milestone(_milestone_or_404(call)))


@routes.patch(
    f"{REPO}/milestones/{{milestone_number}}", docs="issues/milestones#update-a-milestone"
)
def update_milestone(call: Call) -> Response:
    milestone = _milestone_or_404(call)
    body = call.body()
    if "title" in body:
        milestone.title = str(body["title"])
    if "description" in body:
        milestone.description = body["description"]
    if "due_on" in body:
        milestone.due_on = parse_time(body["due_on"], "due_on")
    if "state" in body:
        if body["state"] not in ("open", "closed"):
            raise validation_failed("Milestone", "state", "invalid")
        milestone.state = body["state"]
        milestone.closed_at = call.world.clock() if milestone.state == "closed" else None
    milestone.updated_at = call.world.clock()
    return Response(200, shapes(call).milestone(milestone))


@routes.delete(
    f"{REPO}/milestones/{{milestone_number}}", docs="issues/milestones#delete-a-milestone"
)
def delete_milestone(call: Call) -> Response:
    milestone = _milestone_or_404(call)
    del call.world.milestones[milestone.number]
    for issue in call.world.issues.values():
        if issue.milestone == milestone.number:
            issue.milestone = None
    return Response(204)


# ---- dependencies -----------------------------------------------------------------------------------


@routes.get(
    f"{REPO}/issues/{{issue_number}}/dependencies/blocked_by",
    docs="issues/issue-dependencies#list-dependencies-an-issue-is-blocked-by",
)
def list_blocked_by(call: Call) -> Response:
    issue = issue_or_404(call)
    here = [
        shapes(call).issue(call.world.issues[n]) for n in issue.blocked_by if n in call.world.issues
    ]
    elsewhere = [shapes(call).issue_elsewhere(name, n) for name, n in issue.blocked_elsewhere]
    return paginate(call, [*here, *elsewhere])


@routes.get(
    f"{REPO}/issues/{{issue_number}}/dependencies/blocking",
    docs="issues/issue-dependencies#list-dependencies-an-issue-is-blocking",
)
def list_blocking(call: Call) -> Response:
    issue = issue_or_404(call)
    blocked = [i for i in call.world.issues.values() if issue.number in i.blocked_by]
    return paginate(call, blocked, shapes(call).issue)


def _issue_by_id(call: Call, issue_id: Any) -> Issue:
    for issue in call.world.issues.values():
        if str(issue.id) == str(issue_id):
            return issue
    raise not_found()


@routes.post(
    f"{REPO}/issues/{{issue_number}}/dependencies/blocked_by",
    docs="issues/issue-dependencies#add-a-dependency-an-issue-is-blocked-by",
)
def add_blocked_by(call: Call) -> Response:
    issue = issue_or_404(call)
    blocker = _issue_by_id(call, required(call.body(), "issue_id"))
    if blocker.number == issue.number:
        raise validation_failed(
            "IssueDependency", "issue_id", "invalid", "An issue cannot block itself"
        )
    if blocker.number not in issue.blocked_by:
        issue.blocked_by.append(blocker.number)
    location = f"{shapes(call).repo_api}/issues/{issue.number}/dependencies/blocked_by"
    return Response(201, shapes(call).issue(issue), {"Location": location})


@routes.delete(
    f"{REPO}/issues/{{issue_number}}/dependencies/blocked_by/{{issue_id}}",
    docs="issues/issue-dependencies#remove-dependency-an-issue-is-blocked-by",
)
def remove_blocked_by(call: Call) -> Response:
    issue = issue_or_404(call)
    blocker = _issue_by_id(call, call.params["issue_id"])
    if blocker.number not in issue.blocked_by:
        raise not_found()
    issue.blocked_by.remove(blocker.number)
    return Response(200, shapes(call).issue(issue))
