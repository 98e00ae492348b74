"""Pull requests, their reviews and review comments, files and commits."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .common import pull_or_404, required, shapes, text_field
from .model import Issue, PullInfo, Review, ReviewComment
from .protocol import ApiError, Call, Response, Routes, not_found, paginate, validation_failed

routes = Routes()
REPO = "/repos/{owner}/{repo}"
PULL = f"{REPO}/pulls/{{pull_number}}"
_HUNK = re.compile(r"@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")


def _unprocessable(*errors: str) -> ApiError:
    """The reviews endpoints' 422: a list of sentences, not structured errors."""
    return ApiError(422, "Unprocessable Entity", errors=list(errors))


# ---- where a comment lands in a diff ------------------------------------------------------------------


@dataclass(frozen=True)
class Anchor:
    diff_hunk: str
    position: int  # lines below the file's first @@ header, as GitHub counts them


def locate(patch: str, line: int, side: str) -> Anchor | None:
    """The hunk text up to `line` (of the new file for RIGHT, the old for LEFT), or None."""
    lines = patch.split("\n")
    hunk_start = 0
    old = new = 0
    for index, text in enumerate(lines):
        header = _HUNK.match(text)
        if header:
            hunk_start = index
            old, new = int(header.group(1)), int(header.group(2))
            continue
        marker = text[:1]
        here_old = old if marker in (" ", "-") else None
        here_new = new if marker in (" ", "+") else None
        if marker in (" ", "-"):
            old += 1
        if marker in (" ", "+"):
            new += 1
        if (side == "LEFT" and here_old == line) or (side != "LEFT" and here_new == line):
            return Anchor("\n".join(lines[hunk_start : index + 1]), index)
    return None


def _anchor(
    call: Call, issue: Issue, *, commit_id: str, path: str, line: int | None, side: str
) -> Anchor | str:
    """Where a comment on `path:line` (on the whole file for None) goes in the pull request's
    diff, or which part of the request is wrong: "path" or "line"."""
    git = call.world.git
    pull = call.world.refresh_pull(issue)
    base = git.merge_base(pull.base_sha, commit_id) or pull.base_sha
    diff = next((f for f in git.diff(base, commit_id) if f.filename == path), None)
    if diff is None or diff.patch is None:
        return "path"
    if line is None:
        return Anchor(diff.patch.split("\n", 1)[0], 1)
    anchor = locate(diff.patch, line, side)
    return anchor if anchor is not None else "line"


# ---- pull requests ------------------------------------------------------------------------------------


def _branch(call: Call, value: Any, field: str) -> str:
    """A branch of this repository named as `branch` or `owner:branch`."""
    if not isinstance(value, str) or not value:
        raise validation_failed("PullRequest", field, "missing_field")
    owner, _, branch = value.rpartition(":")
    if owner and owner.lower() != call.world.repo.owner.lower():
        raise validation_failed("PullRequest", field, "invalid")
    if call.world.git.ref(f"refs/heads/{branch}") is None:
        raise validation_failed("PullRequest", field, "invalid")
    return branch


@routes.get(f"{REPO}/pulls", docs="pulls/pulls#list-pull-requests")
def list_pulls(call: Call) -> Response:
    arg = call.request.arg
    state = arg("state", "open")
    owner = call.world.repo.owner.lower()
    head = arg("head")
    head_owner, _, head_branch = (head or "").partition(":")
    pulls = []
    for issue in call.world.pulls():
        assert issue.pull is not None
        if state not in ("all", issue.state):
            continue
        # GitHub ignores a `head` without its `owner:` part.
        if head_branch and (head_owner.lower() != owner or issue.pull.head_ref != head_branch):
            continue
        if arg("base") and issue.pull.base_ref != arg("base"):
            continue
        pulls.append(issue)
    sort = arg("sort", "created")
    pulls.sort(
        key=(lambda i: (i.updated_at, i.number))
        if sort != "created"
        else (lambda i: (i.created_at, i.number)),
        reverse=arg("direction", "desc") != "asc",
    )
    render = shapes(call)
    return paginate(call, pulls, lambda issue: render.pull(issue, simple=True))


@routes.post(f"{REPO}/pulls", docs="pulls/pulls#create-a-pull-request")
def create_pull(call: Call) -> Response:
    body = call.body()
    world = call.world
    head = _branch(call, body.get("head"), "head")
    base = _branch(call, body.get("base"), "base")
    title = body.get("title")
    if not title:
        raise validation_failed("PullRequest", "title", "missing_field")
    owner = world.repo.owner
    for issue in world.pulls():
        assert issue.pull is not None
        if issue.state == "open" and issue.pull.head_ref == head and issue.pull.base_ref == base:
            raise validation_failed(
                "PullRequest",
                "head",
                "custom",
                f"A pull request already exists for {owner}:{head}.",
            )
    head_sha = world.git.ref(f"refs/heads/{head}")
    base_sha = world.git.ref(f"refs/heads/{base}")
    assert head_sha is not None
    assert base_sha is not None
    if not world.git.commits_between(base_sha, head_sha):
        raise validation_failed(
            "PullRequest", "head", "custom", f"No commits between {base} and {head}"
        )
    issue = world.new_issue(
        str(title),
        author=call.user.login,
        body=text_field(body, "body", "PullRequest"),
        pull=PullInfo(
            head_ref=head,
            head_sha=head_sha,
            base_ref=base,
            base_sha=base_sha,
            draft=bool(body.get("draft", False)),
            maintainer_can_modify=bool(body.get("maintainer_can_modify", False)),
        ),
    )
    return Response(201, shapes(call).pull(issue))


@routes.get(PULL, docs="pulls/pulls#get-a-pull-request")
def get_pull(call: Call) -> Response:
    return Response(200, shapes(call).pull(pull_or_404(call)))


@routes.patch(PULL, docs="pulls/pulls#update-a-pull-request")
def update_pull(call: Call) -> Response:
    issue = pull_or_404(call)
    assert issue.pull is not None
    body = call.body()
    if "title" in body:
        if not body["title"]:
            raise validation_failed("PullRequest", "title", "missing_field")
        issue.title = str(body["title"])
    if "body" in body:
        issue.body = text_field(body, "body", "PullRequest")
    if "base" in body:
        issue.pull.base_ref = _branch(call, body["base"], "base")
    if "state" in body:
        if body["state"] not in ("open", "closed"):
            raise validation_failed("PullRequest", "state", "invalid")
        if (
            body["state"] == "open"
            and call.world.git.ref(f"refs/heads/{issue.pull.head_ref}") is None
        ):
            raise validation_failed(
                "PullRequest",
                "state",
                "custom",
                "state cannot be changed. The head branch was deleted.",
            )
        call.world.set_state(issue, body["state"], actor=call.user.login)
    issue.updated_at = call.world.clock()
    return Response(200, shapes(call).pull(issue))


@routes.get(f"{PULL}/files", docs="pulls/pulls#list-pull-requests-files")
def list_pull_files(call: Call) -> Response:
    issue = pull_or_404(call)
    pull = call.world.refresh_pull(issue)
    git = call.world.git
    base = git.merge_base(pull.base_sha, pull.head_sha) or pull.base_sha
    render = shapes(call)
    return paginate(
        call, git.diff(base, pull.head_sha), lambda f: render.diff_entry(f, pull.head_sha)
    )


@routes.get(f"{PULL}/commits", docs="pulls/pulls#list-commits-on-a-pull-request")
def list_pull_commits(call: Call) -> Response:
    issue = pull_or_404(call)
    pull = call.world.refresh_pull(issue)
    git = call.world.git
    base = git.merge_base(pull.base_sha, pull.head_sha) or pull.base_sha
    render = shapes(call)
    return paginate(
        call,
        git.commits_between(base, pull.head_sha),
        lambda sha: render.commit(git.read_commit(sha)),
    )


@routes.get(f"{PULL}/merge", docs="pulls/pulls#check-if-a-pull-request-has-been-merged")
def check_merged(call: Call) -> Response:
    issue = pull_or_404(call)
    assert issue.pull is not None
    return Response(204 if issue.pull.merged_at else 404)


# ---- review comments --------------------------------------------------------------------------------


def _review_comment_or_404(call: Call, issue: Issue | None = None) -> ReviewComment:
    comment = call.world.review_comments.get(call.int_param("comment_id"))
    if comment is None or (issue is not None and comment.pull_number != issue.number):
        raise not_found()
    return comment


def _new_review_comment(
    call: Call, issue: Issue, review: Review, *, body: str, path: str, line: int | None, side: str,
    start_line: int | None, anchor: Anchor, in_reply_to: int | None = None,
) -> ReviewComment:  # fmt: skip
    now = call.world.clock()
    comment = ReviewComment(
        id=call.world.next_id(),
        pull_number=issue.number,
        review_id=review.id,
        user=call.user.login,
        body=body,
        commit_id=review.commit_id,
        path=path,
        line=line,
        side=side,
        start_line=start_line,
        diff_hunk=anchor.diff_hunk,
        position=anchor.position,
        in_reply_to=in_reply_to,
        created_at=now,
        updated_at=now,
    )
    call.world.review_comments[comment.id] = comment
    return comment


def _new_review(call: Call, issue: Issue, *, body: str, state: str, commit_id: str) -> Review:
    review = Review(
        id=call.world.next_id(),
        pull_number=issue.number,
        user=call.user.login,
        body=body,
        state=state,
        commit_id=commit_id,
        submitted_at=None if state == "PENDING" else call.world.clock(),
    )
    call.world.reviews[review.id] = review
    return review


def _commit_in_pull(call: Call, issue: Issue, commit_id: Any) -> str:
    git = call.world.git
    pull = call.world.refresh_pull(issue)
    if (
        not isinstance(commit_id, str)
        or git.object_type(commit_id) != "commit"
        or not git.is_ancestor(commit_id, pull.head_sha)
    ):
        raise validation_failed(
            "PullRequestReviewComment",
            "commit_id",
            "custom",
            "commit_id is not part of the pull request",
        )
    return commit_id


@routes.get(f"{PULL}/comments", docs="pulls/comments#list-review-comments-on-a-pull-request")
def list_review_comments(call: Call) -> Response:
    issue = pull_or_404(call)
    comments = [c for c in call.world.review_comments.values() if c.pull_number == issue.number]
    return paginate(call, comments, shapes(call).review_comment)


@routes.post(f"{PULL}/comments", docs="pulls/comments#create-a-review-comment-for-a-pull-request")
def create_review_comment(call: Call) -> Response:
    issue = pull_or_404(call)
    body = call.body()
    if body.get("in_reply_to") is not None:
        return _reply(call, issue, int(body["in_reply_to"]), body)
    text = text_field(body, "body", "PullRequestReviewComment") or ""
    commit_id = _commit_in_pull(call, issue, required(body, "commit_id"))
    path = str(required(body, "path"))
    line = body.get("line")
    on_file = body.get("subject_type") == "file"
    if on_file:
        line = None
    elif not isinstance(line, int):
        raise validation_failed("PullRequestReviewComment", "line", "missing_field")
    side = str(body.get("side", "RIGHT"))
    anchor = _anchor(call, issue, commit_id=commit_id, path=path, line=line, side=side)
    if not isinstance(anchor, Anchor):
        field = f"pull_request_review_thread.{anchor}"
        problem = "must be part of the diff" if anchor == "line" else "is invalid"
        raise validation_failed("PullRequestReviewComment", field, "custom", f"{field} {problem}")
    review = _new_review(call, issue, body="", state="COMMENTED", commit_id=commit_id)
    comment = _new_review_comment(
        call, issue, review, body=text, path=path, line=line, side=side,
        start_line=body.get("start_line"), anchor=anchor,
    )  # fmt: skip
    return Response(201, shapes(call).review_comment(comment))


def _reply(call: Call, issue: Issue, target_id: int, body: dict[str, Any]) -> Response:
    target = call.world.review_comments.get(target_id)
    if target is None or target.pull_number != issue.number:
        raise not_found()
    root = call.world.review_comments.get(target.in_reply_to or target.id, target)
    text = text_field(body, "body", "PullRequestReviewComment") or ""
    if not text.strip():
        raise validation_failed("PullRequestReviewComment", "body", "missing_field")
    review = _new_review(call, issue, body="", state="COMMENTED", commit_id=root.commit_id)
    comment = _new_review_comment(
        call, issue, review, body=text, path=root.path, line=root.line, side=root.side,
        start_line=root.start_line, anchor=Anchor(root.diff_hunk, root.position or 1),
        in_reply_to=root.id,
    )  # fmt: skip
    return Response(201, shapes(call).review_comment(comment))


@routes.post(
    f"{PULL}/comments/{{comment_id}}/replies",
    docs="pulls/comments#create-a-reply-for-a-review-comment",
)
def reply_to_review_comment(call: Call) -> Response:
    issue = pull_or_404(call)
    return _reply(call, issue, call.int_param("comment_id"), call.body())


@routes.get(f"{REPO}/pulls/comments", docs="pulls/comments#list-review-comments-in-a-repository")
def list_repo_review_comments(call: Call) -> Response:
    return paginate(call, list(call.world.review_comments.values()), shapes(call).review_comment)


@routes.get(
    f"{REPO}/pulls/comments/{{comment_id}}",
    docs="pulls/comments#get-a-review-comment-for-a-pull-request",
)
def get_review_comment(call: Call) -> Response:
    return Response(200, shapes(call).review_comment(_review_comment_or_404(call)))


@routes.patch(
    f"{REPO}/pulls/comments/{{comment_id}}",
    docs="pulls/comments#update-a-review-comment-for-a-pull-request",
)
def update_review_comment(call: Call) -> Response:
    comment = _review_comment_or_404(call)
    comment.body = str(required(call.body(), "body"))
    comment.updated_at = call.world.clock()
    return Response(200, shapes(call).review_comment(comment))


@routes.delete(
    f"{REPO}/pulls/comments/{{comment_id}}",
    docs="pulls/comments#delete-a-review-comment-for-a-pull-request",
)
def delete_review_comment(call: Call) -> Response:
    del call.world.review_comments[_review_comment_or_404(call).id]
    return Response(204)


# ---- reviews --------------------------------------------------------------------------------------


_STATES = {"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "COMMENT": "COMMENTED"}


def _review_or_404(call: Call, issue: Issue) -> Review:
    review = call.world.reviews.get(call.int_param("review_id"))
    if review is None or review.pull_number != issue.number:
        raise not_found()
    return review


def _check_verdict(call: Call, issue: Issue, event: str, body: str, has_comments: bool) -> str:
    if event not in _STATES:
        raise _unprocessable(f"Event {event!r} is not one of APPROVE, REQUEST_CHANGES, COMMENT")
    if issue.user.lower() == call.user.login.lower():
        if event == "APPROVE":
            raise _unprocessable("Review Can not approve your own pull request")
        if event == "REQUEST_CHANGES":
            raise _unprocessable("Review Can not request changes on your own pull request")
    if event == "REQUEST_CHANGES" and not body.strip():
        raise _unprocessable("Review body is required when requesting changes")
    if event == "COMMENT" and not body.strip() and not has_comments:
        raise _unprocessable("Review body is required when commenting")
    return _STATES[event]


@routes.get(f"{PULL}/reviews", docs="pulls/reviews#list-reviews-for-a-pull-request")
def list_reviews(call: Call) -> Response:
    issue = pull_or_404(call)
    reviews = [
        r
        for r in call.world.reviews.values()
        if r.pull_number == issue.number and (r.state != "PENDING" or r.user == call.user.login)
    ]
    return paginate(call, reviews, shapes(call).review)


@routes.post(f"{PULL}/reviews", docs="pulls/reviews#create-a-review-for-a-pull-request")
def create_review(call: Call) -> Response:
    issue = pull_or_404(call)
    pull = call.world.refresh_pull(issue)
    body = call.body()
    text = text_field(body, "body", "PullRequestReview") or ""
    commit_id = _commit_in_pull(call, issue, body.get("commit_id") or pull.head_sha)
    drafts = body.get("comments") or []
    event = body.get("event")
    state = "PENDING" if event is None else _check_verdict(call, issue, event, text, bool(drafts))
    if state == "PENDING" and any(
        r.state == "PENDING" and r.pull_number == issue.number and r.user == call.user.login
        for r in call.world.reviews.values()
    ):
        raise _unprocessable("User can only have one pending review per pull request")
    anchors = []
    for draft in drafts:
        if not isinstance(draft, dict) or "path" not in draft or "body" not in draft:
            raise ApiError(422, "Invalid request.\n\nFor 'items', comments need a path and a body.")
        side = str(draft.get("side", "RIGHT"))
        line = draft.get("line")
        anchor = _anchor(
            call,
            issue,
            commit_id=commit_id,
            path=str(draft["path"]),
            line=int(line or 0),
            side=side,
        )
        if anchor == "path":
            raise _unprocessable(
                "Pull request review thread path is invalid and Pull request review thread diff hunk can't be blank"
            )
        if not isinstance(anchor, Anchor):
            raise _unprocessable(
                "Pull request review thread line must be part of the diff and Pull request review thread diff hunk can't be blank"
            )
        anchors.append((draft, int(line or 0), side, anchor))
    review = _new_review(call, issue, body=text, state=state, commit_id=commit_id)
    for draft, line, side, anchor in anchors:
        _new_review_comment(
            call, issue, review, body=str(draft["body"]), path=str(draft["path"]), line=line,
            side=side, start_line=draft.get("start_line"), anchor=anchor,
        )  # fmt: skip
    return Response(200, shapes(call).review(review))


@routes.get(f"{PULL}/reviews/{{review_id}}", docs="pulls/reviews#get-a-review-for-a-pull-request")
def get_review(call: Call) -> Response:
    return Response(200, shapes(call).review(_review_or_404(call, pull_or_404(call))))


@routes.put(
    f"{PULL}/reviews/{{review_id}}", docs="pulls/reviews#update-a-review-for-a-pull-request"
)
def update_review(call: Call) -> Response:
    review = _review_or_404(call, pull_or_404(call))
    review.body = str(required(call.body(), "body"))
    return Response(200, shapes(call).review(review))


@routes.delete(
    f"{PULL}/reviews/{{review_id}}", docs="pulls/reviews#delete-a-pending-review-for-a-pull-request"
)
def delete_review(call: Call) -> Response:
    review = _review_or_404(call, pull_or_404(call))
    if review.state != "PENDING":
        raise _unprocessable("Can not delete a non-pending pull request review")
    del call.world.reviews[review.id]
    for comment in [c for c in call.world.review_comments.values() if c.review_id == review.id]:
        del call.world.review_comments[comment.id]
    return Response(200, shapes(call).review(review))


@routes.post(
    f"{PULL}/reviews/{{review_id}}/events", docs="pulls/reviews#submit-a-review-for-a-pull-request"
)
def submit_review(call: Call) -> Response:
    issue = pull_or_404(call)
    review = _review_or_404(call, issue)
    body = call.body()
    if review.state != "PENDING":
        raise _unprocessable("Can not submit a non-pending review")
    if "body" in body:
        review.body = str(body["body"] or "")
    has_comments = any(c.review_id == review.id for c in call.world.review_comments.values())
    review.state = _check_verdict(
        call, issue, str(required(body, "event")), review.body, has_comments
    )
    review.submitted_at = call.world.clock()
    return Response(200, shapes(call).review(review))


@routes.put(
    f"{PULL}/reviews/{{review_id}}/dismissals",
    docs="pulls/reviews#dismiss-a-review-for-a-pull-request",
)
def dismiss_review(call: Call) -> Response:
    review = _review_or_404(call, pull_or_404(call))
    required(call.body(), "message")
    if review.state == "PENDING":
        raise _unprocessable("Can not dismiss a pending review")
    review.state = "DISMISSED"
    return Response(200, shapes(call).review(review))


@routes.get(
    f"{PULL}/reviews/{{review_id}}/comments",
    docs="pulls/reviews#list-comments-for-a-pull-request-review",
)
def list_review_comments_of_review(call: Call) -> Response:
    review = _review_or_404(call, pull_or_404(call))
    comments = [c for c in call.world.review_comments.values() if c.review_id == review.id]
    return paginate(call, comments, shapes(call).review_comment)
