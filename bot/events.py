"""What a GitHub event asks of Baton (`baton run --event`). Pure: the payload in, a route out.

Events are hints, not the truth: the concurrency group drops some, so every route ends in a
reconcile of what the repository says now. A payload only points at things: who wrote a comment, what
it says and where it is are read back from the API (`as_recorded`), and the trust check of that
author happens where the API is at hand (`bot.github_mode`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Literal

from bot.forge import LabelledBody
from bot.forge.names import chain_of_issue
from bot.security import Redact, clean_untrusted
from bot.state import ChainState
from bot.tickets import Ticket, TicketFiles


@dataclass(frozen=True)
class ReviewRequest:
    """A review comment on a chain's pull request, to become a followup in the chain's session.
    As the payload tells it, it is a hint (`head` stays one); `as_recorded` makes it the truth."""

    comment_id: int
    kind: Literal["review_comment", "review", "comment"]
    pr: int
    head: str | None
    author: str
    author_is_bot: bool
    body: str
    path: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class Route:
    action: Literal["reconcile", "review", "ignore"]
    reason: str
    chain: str | None = None  # only this chain; None: every chain
    dry_run: bool = False
    max_tickets: int | None = None
    review: ReviewRequest | None = None
    labelled: LabelledBody | None = None  # the body as the trigger label found it


def _is_bot(user: dict[str, Any]) -> bool:
    return user.get("type") == "Bot" or str(user.get("login", "")).endswith("[bot]")


def _truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() in {"true", "1", "yes"}


def _int_or_none(value: Any) -> int | None:
    text = str(value).strip() if value is not None else ""
    return int(text) if re.fullmatch(r"\d+", text) else None


def route(event: str, payload: dict[str, Any], *, trigger_label: str, bot_login: str) -> Route:
    if event in {"schedule", "workflow_dispatch", "issues"}:
        return _reconcile(event, payload, trigger_label)
    comment = payload.get("comment") or payload.get("review") or {}
    user = comment.get("user") or {}
    if str(user.get("login", "")).lower() == bot_login.lower():
        return Route("ignore", "Baton's own comment")
    return _review(event, payload, comment)


def _reconcile(event: str, payload: dict[str, Any], trigger_label: str) -> Route:
    if event == "schedule":
        return Route("reconcile", "scheduled reconcile of every chain")
    if event == "workflow_dispatch":
        inputs = payload.get("inputs") or {}
        chain = str(inputs.get("chain") or "").strip() or None
        return Route(
            "reconcile",
            f"manual run of {f'chain {chain}' if chain else 'every chain'}",
            chain=chain,
            dry_run=_truthy(inputs.get("dry_run")),
            max_tickets=_int_or_none(inputs.get("max_tickets")),
        )
    action = payload.get("action")
    label = (payload.get("label") or {}).get("name")
    if action != "labeled" or label != trigger_label:
        return Route("ignore", f"issues.{action} with label {label!r} asks nothing")
    issue = payload.get("issue") or {}
    number = _int_or_none(issue.get("number"))
    return Route(
        "reconcile",
        f"issue #{issue.get('number')} was labelled {trigger_label}",
        chain=chain_of_issue(issue),
        labelled=LabelledBody(
            issue=number,
            sender=str((payload.get("sender") or {}).get("login") or ""),
            body=str(issue.get("body") or ""),
        )
        if number is not None
        else None,
    )


def _review(event: str, payload: dict[str, Any], comment: dict[str, Any]) -> Route:
    action = payload.get("action")
    pull = payload.get("pull_request") or {}
    kind: Literal["review_comment", "review", "comment"]
    if event == "pull_request_review_comment" and action == "created":
        kind = "review_comment"
    elif event == "pull_request_review" and action == "submitted":
        if (comment.get("state") or "").lower() != "changes_requested":
            return Route("ignore", "a review without requested changes asks nothing")
        kind = "review"
    elif event == "issue_comment" and action == "created":
        issue = payload.get("issue") or {}
        if not issue.get("pull_request"):
            return Route("ignore", "a comment on an issue, not on a pull request")
        pull = {"number": issue.get("number")}
        kind = "comment"
    else:
        return Route("ignore", f"{event}.{action} asks nothing of Baton")
    body = str(comment.get("body") or "").strip()
    if not body:
        return Route("ignore", "an empty review asks nothing")
    user = comment.get("user") or {}
    request = ReviewRequest(
        comment_id=int(comment["id"]),
        kind=kind,
        pr=int(pull["number"]),
        head=(pull.get("head") or {}).get("ref"),
        author=str(user.get("login", "")),
        author_is_bot=_is_bot(user),
        body=body,
        path=comment.get("path"),
        line=comment.get("line") or comment.get("original_line"),
    )
    return Route("review", f"{kind.replace('_', ' ')} by @{request.author}", review=request)


def record_path(request: ReviewRequest) -> str:
    """Where the API keeps the comment the event names, below the repository's path."""
    if request.kind == "review_comment":
        return f"/pulls/comments/{request.comment_id}"
    if request.kind == "review":
        return f"/pulls/{request.pr}/reviews/{request.comment_id}"
    return f"/issues/comments/{request.comment_id}"


def as_recorded(request: ReviewRequest, record: dict[str, Any]) -> ReviewRequest | None:
    """The request as GitHub's own record of the comment says it: its author, its text and its
    pull request come from the API, never from the payload, so a payload that names someone else
    or another pull request steers nothing. None when the record asks nothing of that pull request."""
    where = str(record.get("pull_request_url") or record.get("issue_url") or "")
    if not re.search(rf"/(?:pulls|issues)/{request.pr}/?$", where):
        return None
    if request.kind == "review" and str(record.get("state") or "").upper() != "CHANGES_REQUESTED":
        return None
    body = str(record.get("body") or "").strip()
    if not body:
        return None
    user = record.get("user") or {}
    on_file = request.kind == "review_comment"
    return replace(
        request,
        author=str(user.get("login", "")),
        author_is_bot=_is_bot(user),
        body=body,
        path=record.get("path") if on_file else None,
        line=(record.get("line") or record.get("original_line")) if on_file else None,
    )


def review_ticket(request: ReviewRequest, chain: ChainState, redact: Redact) -> Ticket:
    """The review comment as a ticket of its chain: worked in the chain's session, validated like
    any other. Its scope is the commented file, or everything the chain's tickets may change.
    `redact`: the run's redactor."""
    where = f" on {request.path}:{request.line}" if request.path else ""
    scope = (
        [request.path]
        if request.path
        else sorted({p for t in chain.tickets.values() if t.spec for p in t.spec.scope})
    )
    return Ticket(
        key=f"review-{request.comment_id}",
        title=f"Review by @{request.author}{where}",
        goal="A reviewer asked for a change on the chain's pull request. Address this comment:"
        f"\n\n{clean_untrusted(request.body, redact)}",
        context=f"The comment is on `{request.path}`, line {request.line}."
        if request.path
        else None,
        files=TicketFiles(modify=scope),
        chain=chain.name,
    )
