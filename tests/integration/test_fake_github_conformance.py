"""The fake GitHub behaves like GitHub: the real PyGithub drives it through every endpoint, and
GitHub's own OpenAPI description (`../shared/github/rest-api-subset.json`) judges every answer."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import jwt
import pytest
from github import (
    Auth,
    BadCredentialsException,
    Github,
    GithubException,
    GithubIntegration,
    InputGitTreeElement,
    RateLimitExceededException,
    UnknownObjectException,
)

from tests.fakes.github import FakeGitHub, FaultKind, app_private_key

if TYPE_CHECKING:
    from tests.fakes.github_openapi import OpenApiChecker

APP_PY = """def answer():
    return 41


def question():
    return None


def everything():
    return [answer(), question()]
"""
FIXED_APP_PY = APP_PY.replace("41", "42")
FILES = {"README.md": "# widgets\n", "src/app.py": APP_PY, "docs/guide.md": "Read me first.\n"}
OUTSIDE_THE_DIFF = 10  # a line of src/app.py more than three lines away from the change


@pytest.fixture
def checker(shared_dir: Path) -> OpenApiChecker:
    # Imported here: openapi-core and werkzeug take ~0.3 s of CPU to import, and every worker
    # collects this module, while one runs it.
    from tests.fakes.github_openapi import OpenApiChecker  # noqa: PLC0415

    return OpenApiChecker(shared_dir / "github" / "rest-api-subset.json")


@pytest.fixture
def github(tmp_path: Path, checker: OpenApiChecker) -> Iterator[FakeGitHub]:
    """A running fake whose every answer, when the test is done, must match GitHub's description."""
    with FakeGitHub(tmp_path, files=FILES) as fake:
        yield fake
        problems = checker.all_problems(fake.exchanges)
    assert not problems, "the fake answered unlike GitHub:\n" + "\n".join(problems)


def client(fake: FakeGitHub, token: str | None = None, *, lazy: bool = False) -> Github:
    """PyGithub as Baton would build it, pointed at the fake, without retries or throttling."""
    return Github(
        base_url=fake.url,
        auth=Auth.Token(token or fake.app_token),
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
        lazy=lazy,
    )


def raw(fake: FakeGitHub, token: str | None = None) -> httpx.Client:
    """A plain HTTP client, for what PyGithub hides (headers, 304s, endpoints it lacks)."""
    return httpx.Client(
        base_url=fake.url,
        headers={"Authorization": f"Bearer {token or fake.app_token}"},
        timeout=10,
    )


def status_of(call: Callable[[], Any]) -> tuple[int, Any]:
    """The status and body of the GithubException `call` raises."""
    with pytest.raises(GithubException) as caught:
        call()
    return caught.value.status, caught.value.data


# ---- walks: each drives one area of the API the way Baton's adapter would ---------------------------


def walk_repository(fake: FakeGitHub) -> None:
    gh = client(fake)
    repo = gh.get_repo(fake.full_name)
    assert (repo.default_branch, repo.permissions.push, repo.permissions.admin) == (
        "main",
        True,
        False,
    )
    assert gh.get_rate_limit().resources.core.limit == 5000

    fake.add_user("maintainer", role="maintain")
    fake.add_user("triager", role="triage")
    fake.add_user("stranger")
    assert repo.get_collaborator_permission("octocat") == "admin"
    # The legacy `permission` maps maintain to write and triage to read; `role_name` is exact.
    assert repo.get_collaborator_permission("maintainer") == "write"
    assert repo.get_collaborator_role_name("maintainer") == "maintain"
    assert repo.get_collaborator_permission("triager") == "read"
    assert repo.get_collaborator_permission("stranger") == "read"  # the repository is public
    with pytest.raises(UnknownObjectException):
        repo.get_collaborator_permission("nobody-at-all")
    with pytest.raises(UnknownObjectException):
        gh.get_repo("octo-org/other")


def walk_app_installation(fake: FakeGitHub) -> None:
    pem = app_private_key()
    integration = GithubIntegration(
        auth=Auth.AppAuth(fake.app_id, pem),
        base_url=fake.url,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )
    token = integration.get_access_token(fake.installation_id).token
    assert token.startswith("ghs_")
    repo = client(fake, token).get_repo(fake.full_name)
    run = repo.create_check_run(name="from the app", head_sha=fake.branch_sha("main"))
    assert run.app.slug == "baton-bot"

    with pytest.raises(UnknownObjectException):
        integration.get_access_token(fake.installation_id + 1)
    with raw(fake, "not.a-jwt") as http:
        answer = http.post(f"/app/installations/{fake.installation_id}/access_tokens")
    assert answer.status_code == 401
    expired = jwt.encode({"iss": str(fake.app_id), "iat": 0, "exp": 600}, pem, algorithm="RS256")
    with raw(fake, expired) as http:
        answer = http.post(f"/app/installations/{fake.installation_id}/access_tokens")
    assert answer.status_code == 401


def walk_issues(fake: FakeGitHub) -> None:
    fake.add_label("ready-for-agent", color="0e8a16", description="Baton may work on it")
    gh = client(fake)
    repo = gh.get_repo(fake.full_name)

    sprint = repo.create_milestone("Sprint 7", description="Health checks")
    assert repo.get_milestone(sprint.number).title == "Sprint 7"
    sprint.edit("Sprint 7", description="Health checks and errors", due_on=date(2030, 1, 31))
    closed = repo.create_milestone("Sprint 6", state="closed")
    assert [m.title for m in repo.get_milestones(state="all")] == ["Sprint 7", "Sprint 6"]
    assert [m.title for m in repo.get_milestones()] == ["Sprint 7"]
    closed.delete()

    issue = repo.create_issue(
        "Add a health check",
        body="### Goal\n\nA `/health` endpoint.",
        labels=["ready-for-agent"],
        milestone=sprint,
        assignees=["octocat"],
    )
    other = repo.create_issue("Unrelated")
    assert (issue.number, other.number) == (1, 2)
    assert issue.user.login == fake.bot_login
    assert [i.number for i in repo.get_issues(labels=["ready-for-agent"], milestone=sprint)] == [1]
    assert [i.number for i in repo.get_issues()] == [2, 1]  # newest first, as GitHub sorts
    assert repo.get_issue(1).milestone.number == sprint.number

    issue.edit(title="Add a health check endpoint", state="closed", state_reason="completed")
    assert [i.number for i in repo.get_issues(state="closed")] == [1]
    issue.edit(state="open")
    issue.add_to_assignees("octocat")
    issue.remove_from_assignees("octocat")

    issue.add_to_labels("baton:queued")
    issue.remove_from_labels("baton:queued")
    issue.set_labels("ready-for-agent", "baton:running")
    assert [label.name for label in issue.get_labels()] == ["ready-for-agent", "baton:running"]
    issue.delete_labels()
    issue.set_labels("ready-for-agent")
    assert status_of(lambda: issue.remove_from_labels("not-there")) == (
        404,
        {
            "message": "Label does not exist",
            "documentation_url": "https://docs.github.com/rest/issues/labels#remove-a-label-from-an-issue",
            "status": "404",
        },
    )

    events = [
        (e.event, e.actor.login, e.label.name if e.label else None) for e in issue.get_events()
    ]
    assert ("labeled", fake.bot_login, "baton:queued") in events
    assert ("unlabeled", fake.bot_login, "baton:queued") in events
    note = issue.create_comment("The endpoint answers 200.")  # a comment is on the timeline too
    timeline = list(issue.get_timeline())
    assert {t.event for t in timeline} >= {
        "labeled",
        "unlabeled",
        "closed",
        "reopened",
        "commented",
    }
    commented = [t for t in timeline if t.event == "commented"]
    assert [(t.actor.login, t.created_at is not None) for t in commented] == [
        (fake.bot_login, True)
    ]
    note.delete()
    first = next(iter(repo.get_issues_events()))
    assert repo.get_issues_event(first.id).id == first.id

    bug = repo.create_label("bug", "d73a4a", "Something is broken")
    assert repo.get_label("bug").color == "d73a4a"
    bug.edit("defect", "b60205", "Something is broken")
    assert "defect" in [label.name for label in repo.get_labels()]
    repo.get_label("defect").delete()
    assert status_of(lambda: repo.create_label("ready-for-agent", "ffffff"))[0] == 422

    blocker = repo.get_issue(2)
    issue.add_blocked_by(blocker)
    assert [i.number for i in issue.get_blocked_by()] == [2]
    assert [i.number for i in blocker.get_blocking()] == [1]
    issue.remove_blocked_by(blocker)
    upstream = fake.add_issue("Follow upstream", "", blocked_elsewhere=[("someone/elsewhere", 7)])
    [elsewhere] = repo.get_issue(upstream).get_blocked_by()
    assert elsewhere.number == 7
    assert elsewhere.repository_url.endswith("/repos/someone/elsewhere")

    assert status_of(lambda: repo.get_issue(99))[0] == 404
    code, body = status_of(lambda: repo.create_issue(""))
    assert code == 422
    assert body["errors"] == [{"resource": "Issue", "code": "missing_field", "field": "title"}]


def walk_comments(fake: FakeGitHub) -> None:
    number = fake.add_issue("Add a health check", labels=["ready-for-agent"])
    repo = client(fake).get_repo(fake.full_name)
    issue = repo.get_issue(number)

    comment = issue.create_comment("<!-- baton:ticket=1 -->\nStarted.")
    assert (comment.user.login, comment.author_association) == (fake.bot_login, "NONE")
    human = client(fake, fake.admin_token).get_repo(fake.full_name).get_issue(number)
    assert human.create_comment("Thanks").author_association == "COLLABORATOR"
    assert [c.body for c in issue.get_comments()] == ["<!-- baton:ticket=1 -->\nStarted.", "Thanks"]
    assert len(list(repo.get_issues_comments())) == 2
    comment.edit("<!-- baton:ticket=1 -->\nDone.")
    assert issue.get_comment(comment.id).body.endswith("Done.")
    comment.delete()
    assert status_of(lambda: issue.get_comment(comment.id))[0] == 404
    assert status_of(lambda: issue.create_comment("x" * 65537))[0] == 422


def walk_pulls(fake: FakeGitHub) -> None:
    head = fake.commit("feature/answer", {"src/app.py": FIXED_APP_PY}, "Answer 42")
    fake.create_branch("empty")
    gh = client(fake)
    repo = gh.get_repo(fake.full_name)

    pr = repo.create_pull(title="Answer 42", body="Closes #1", head="feature/answer", base="main")
    assert (pr.head.sha, pr.changed_files, pr.additions, pr.deletions) == (head, 1, 1, 1)
    assert repo.get_issue(pr.number).pull_request is not None
    listed = repo.get_pulls(state="open", head=f"{fake.owner}:feature/answer", base="main")
    assert [p.number for p in listed] == [pr.number]
    assert [p.number for p in repo.get_pulls(head=f"{fake.owner}:other")] == []
    pr.edit(title="Answer 42, finally", body="Closes #1.")
    assert repo.get_pull(pr.number).title == "Answer 42, finally"
    assert [f.filename for f in pr.get_files()] == ["src/app.py"]
    assert [c.sha for c in pr.get_commits()] == [head]
    assert not pr.is_merged()

    comment = pr.create_review_comment("Why 42?", head, "src/app.py", line=2, side="RIGHT")
    assert comment.diff_hunk.endswith("+    return 42")
    reply = pr.create_review_comment_reply(comment.id, "Because.")
    assert reply.in_reply_to_id == comment.id
    on_file = pr.create_review_comment("Tidy file.", head, "src/app.py", subject_type="file")
    assert (on_file.subject_type, on_file.line) == ("file", None)
    assert [c.body for c in pr.get_review_comments()] == ["Why 42?", "Because.", "Tidy file."]
    assert len(list(repo.get_pulls_review_comments())) == 3
    pr.get_review_comment(reply.id).edit("Because it is.")
    pr.get_review_comment(reply.id).delete()
    code, body = status_of(
        lambda: pr.create_review_comment("x", head, "src/app.py", line=OUTSIDE_THE_DIFF)
    )
    assert code == 422
    assert body["errors"][0]["field"] == "pull_request_review_thread.line"

    review = pr.create_review(
        body="One remark.",
        event="COMMENT",
        comments=[{"path": "src/app.py", "line": 2, "body": "Name the number."}],
    )
    assert review.state == "COMMENTED"
    assert [r.id for r in pr.get_reviews()][-1] == review.id
    assert pr.get_review(review.id).body == "One remark."
    review.edit("One remark, kindly.")
    assert [c.body for c in pr.get_single_review_comments(review.id)] == ["Name the number."]
    code, body = status_of(lambda: pr.create_review(event="APPROVE"))
    assert (code, body["errors"]) == (422, ["Review Can not approve your own pull request"])
    code, body = status_of(
        lambda: pr.create_review(
            body="x", event="COMMENT", comments=[{"path": "README.md", "line": 1, "body": "x"}]
        )
    )
    assert code == 422

    maintainer = client(fake, fake.admin_token).get_repo(fake.full_name).get_pull(pr.number)
    approval = maintainer.create_review(body="Ship it.", event="APPROVE")
    approval.dismiss("Too early.")
    pending = maintainer.create_review(body="Thinking.")
    assert pending.state == "PENDING"
    assert status_of(lambda: maintainer.create_review(body="More thinking."))[0] == 422
    pending.delete()
    pending = maintainer.create_review(body="Thought it over.")
    with raw(fake, fake.admin_token) as http:
        url = f"/repos/{fake.full_name}/pulls/{pr.number}/reviews/{pending.id}/events"
        submitted = http.post(url, json={"event": "REQUEST_CHANGES"})
    assert submitted.json()["state"] == "CHANGES_REQUESTED"

    for head_branch, problem in [
        ("feature/answer", f"A pull request already exists for {fake.owner}:feature/answer."),
        ("no-such-branch", None),
        ("empty", "No commits between main and empty"),
    ]:
        code, body = status_of(partial(repo.create_pull, title="x", head=head_branch, base="main"))
        assert (code, body["errors"][0].get("message")) == (422, problem)
    pr.edit(state="closed")
    pr.edit(state="open")


def walk_checks_and_statuses(fake: FakeGitHub) -> None:
    sha = fake.branch_sha("main")
    assert sha is not None
    repo = client(fake).get_repo(fake.full_name)

    def annotations(count: int) -> list[dict[str, Any]]:
        return [
            {
                "path": "src/app.py",
                "start_line": 1,
                "end_line": 1,
                "annotation_level": "warning",
                "message": f"#{n}",
            }
            for n in range(count)
        ]

    run = repo.create_check_run(
        name="baton/validation",
        head_sha=sha,
        status="in_progress",
        output={
            "title": "Validating",
            "summary": "Running the tests",
            "annotations": annotations(50),
        },
    )
    run.edit(
        conclusion="failure",
        output={"title": "2 findings", "summary": "The tests fail", "annotations": annotations(10)},
    )
    again = repo.get_check_run(run.id)
    assert (again.status, again.conclusion, again.output.annotations_count) == (
        "completed",
        "failure",
        60,
    )
    assert len(list(again.get_annotations())) == 60
    code, body = status_of(
        lambda: repo.create_check_run(
            name="x",
            head_sha=sha,
            output={"title": "t", "summary": "s", "annotations": annotations(51)},
        )
    )
    assert (code, body["message"]) == (
        422,
        "Invalid request.\n\nNo more than 50 items are allowed; 51 were supplied.",
    )
    with raw(fake) as http:
        rerequested = http.post(f"/repos/{fake.full_name}/check-runs/{run.id}/rerequest")
    assert rerequested.status_code == 201

    commit = client(fake, lazy=True).get_repo(fake.full_name).get_commit(sha)
    assert [r.id for r in commit.get_check_runs(check_name="baton/validation")] == [run.id]
    commit.create_status("pending", context="baton", description="Validating")
    commit.create_status(
        "success", target_url="https://example.invalid/run/1", context="baton", description="Passed"
    )
    assert [s.state for s in commit.get_statuses()] == ["success", "pending"]
    combined = commit.get_combined_status()
    assert (combined.state, combined.total_count) == ("success", 1)
    assert status_of(lambda: commit.create_status("success", description="x" * 141))[0] == 422


def walk_contents_and_git(fake: FakeGitHub) -> None:
    repo = client(fake).get_repo(fake.full_name)

    app = repo.get_contents("src/app.py", ref="main")
    assert app.decoded_content.decode() == FILES["src/app.py"]
    assert [c.path for c in repo.get_contents("src")] == ["src/app.py"]
    assert status_of(lambda: repo.get_contents("missing.txt"))[0] == 404

    created = repo.create_file(
        "knowledge/CHANGELOG.md", "Start a changelog", "# Changelog\n", branch="main"
    )
    updated = repo.update_file(
        "knowledge/CHANGELOG.md",
        "Add a line",
        "# Changelog\n- one\n",
        created["content"].sha,
        branch="main",
    )
    assert fake.read_file("knowledge/CHANGELOG.md") == "# Changelog\n- one\n"
    repo.delete_file("knowledge/CHANGELOG.md", "Remove it", updated["content"].sha, branch="main")
    assert fake.read_file("knowledge/CHANGELOG.md") is None
    assert status_of(lambda: repo.create_file("x.md", "m", "x", branch="no-such-branch"))[0] == 404

    blob = repo.create_git_blob("state", "utf-8")
    assert base64.b64decode(repo.get_git_blob(blob.sha).content) == b"state"
    main = repo.get_git_commit(fake.branch_sha("main") or "")
    tree = repo.create_git_tree(
        [
            InputGitTreeElement("state/status.json", "100644", "blob", content='{"revision": 1}\n'),
            InputGitTreeElement("STATE.md", "100644", "blob", sha=blob.sha),
        ],
        base_tree=repo.get_git_tree(main.tree.sha),
    )
    assert {e.path for e in repo.get_git_tree(tree.sha, recursive=True).tree} >= {
        "state",
        "state/status.json",
    }
    commit = repo.create_git_commit("Save state", tree, [main])
    assert repo.get_git_commit(commit.sha).parents[0].sha == main.sha

    ref = repo.create_git_ref("refs/heads/baton/state", commit.sha)
    assert status_of(lambda: repo.create_git_ref("refs/heads/baton/state", commit.sha))[0] == 422
    assert repo.get_git_ref("heads/baton/state").object.sha == commit.sha
    assert [r.ref for r in repo.get_git_matching_refs("heads/baton")] == ["refs/heads/baton/state"]
    newer = repo.create_git_commit("Save state again", tree, [commit])
    ref.edit(newer.sha)
    ref.edit(main.sha, force=True)
    ref.delete()
    assert status_of(lambda: repo.get_git_ref("heads/baton/state"))[0] == 404

    branch = repo.get_branch("main")
    assert not branch.protected
    branch.edit_protection(strict=True, contexts=["baton"], required_approving_review_count=1)
    assert repo.get_branch("main").get_protection().required_status_checks.contexts == ["baton"]
    branch.remove_protection()
    assert status_of(lambda: repo.get_branch("no-such-branch"))[0] == 404

    fake.commit("feature/compare", {"src/app.py": FIXED_APP_PY, "docs/guide.md": None}, "Answer 42")
    comparison = repo.compare("main", "feature/compare")
    assert (comparison.status, comparison.ahead_by, comparison.behind_by) == ("ahead", 1, 0)
    files = {f.filename: (f.status, f.additions, f.deletions) for f in comparison.files}
    assert files == {"src/app.py": ("modified", 1, 1), "docs/guide.md": ("removed", 0, 1)}


WORKFLOW_YML = """\
name: Baton
on:
  schedule: [{cron: "0 * * * *"}]
  workflow_dispatch:
    inputs:
      chain: {description: The chain to run, required: false, default: ""}
jobs:
  run: {runs-on: ubuntu-latest, steps: [{run: "true"}]}
"""


def walk_actions(fake: FakeGitHub) -> None:
    fake.commit(
        "main",
        {".github/workflows/baton.yml": WORKFLOW_YML, ".github/workflows/ci.yml": "on: push\n"},
        "Add workflows",
    )
    workflows = f"/repos/{fake.full_name}/actions/workflows"
    fake.add_token("ghs_job", "github-actions[bot]", scopes={"actions": "write"})
    with raw(fake, "ghs_job") as http:
        answer = http.post(
            f"{workflows}/baton.yml/dispatches", json={"ref": "main", "inputs": {"chain": "s-1"}}
        )
        assert (answer.status_code, answer.content) == (204, b"")
        refused = [
            ({"ref": "main", "inputs": {"nope": "x"}}, "baton.yml", 422, "Unexpected inputs"),
            ({"ref": "no-such-branch"}, "baton.yml", 422, "No ref found for: no-such-branch"),
            ({"ref": "main"}, "ci.yml", 422, "does not have 'workflow_dispatch' trigger"),
            ({"ref": "main"}, "other.yml", 404, "Not Found"),
            ({"inputs": {}}, "baton.yml", 422, '"ref" wasn\'t supplied'),
        ]
        for body, workflow, status, message in refused:
            answer = http.post(f"{workflows}/{workflow}/dispatches", json=body)
            assert answer.status_code == status, answer.text
            assert message in answer.json()["message"]
    (dispatch,) = fake.take_dispatches()
    assert (dispatch.workflow, dispatch.ref, dict(dispatch.inputs)) == (
        ".github/workflows/baton.yml",
        "main",
        {"chain": "s-1"},
    )
    assert dispatch.actor == "github-actions[bot]"
    assert fake.take_dispatches() == []

    run_id = fake.add_workflow_run(event="workflow_dispatch", actor="github-actions[bot]")
    repo = client(fake).get_repo(fake.full_name)
    run = repo.get_workflow_run(run_id)
    assert (run.status, run.conclusion, run.run_attempt, run.event) == (
        "in_progress",
        None,
        1,
        "workflow_dispatch",
    )
    assert run.html_url.endswith(f"/{fake.full_name}/actions/runs/{run_id}")
    fake.set_workflow_run(run_id, status="completed", conclusion="cancelled")
    run = repo.get_workflow_run(run_id)
    assert (run.status, run.conclusion) == ("completed", "cancelled")
    assert status_of(lambda: repo.get_workflow_run(run_id + 999))[0] == 404
    fake.add_token("ghs_reader", "github-actions[bot]", scopes={"actions": "read"})
    with raw(fake, "ghs_reader") as http:
        answer = http.post(f"{workflows}/baton.yml/dispatches", json={"ref": "main"})
    assert answer.status_code == 403
    assert answer.headers["X-Accepted-GitHub-Permissions"] == "actions=write"


WALKS = [
    walk_repository,
    walk_app_installation,
    walk_issues,
    walk_comments,
    walk_pulls,
    walk_checks_and_statuses,
    walk_contents_and_git,
    walk_actions,
]


@pytest.mark.parametrize("walk", WALKS, ids=lambda walk: walk.__name__.removeprefix("walk_"))
def test_each_area_answers_as_github_does(
    github: FakeGitHub, walk: Callable[[FakeGitHub], None]
) -> None:
    walk(github)


def test_every_endpoint_of_the_fake_is_exercised(
    github: FakeGitHub, checker: OpenApiChecker
) -> None:
    """All walks in one fake: every endpoint it serves has given a documented answer at least
    once, so the conformance check has judged every kind of answer the fake gives."""
    for walk in WALKS:
        walk(github)
    answered = {(e.method, e.route) for e in github.exchanges if checker.documented(e)}
    assert set(github.endpoints) - answered == set()


# ---- behaviour that clients rely on -------------------------------------------------------------


def test_pagination_follows_link_headers(github: FakeGitHub) -> None:
    for n in range(65):
        github.add_issue(f"Issue {n}")
    gh = client(github)
    issues = gh.get_repo(github.full_name).get_issues(state="all")
    assert len(list(issues)) == 65
    pages = [e for e in github.exchanges if e.route == "/repos/{owner}/{repo}/issues"]
    assert [e.query.get("page") for e in pages] == [None, ["2"], ["3"]]
    # GitHub names the next page by repository id; clients must follow the link, not rebuild it.
    link = pages[0].response_headers["Link"]
    assert link.startswith(f"<{github.url}/repositories/")
    assert 'rel="next"' in link
    assert 'rel="last"' in link

    seen, url = 0, f"/repos/{github.full_name}/issues?per_page=50"
    with raw(github) as http:
        while url:
            answer = http.get(url)
            seen += len(answer.json())
            url = answer.links.get("next", {}).get("url", "")
    assert seen == 65


def test_a_repeated_conditional_get_is_a_free_304(github: FakeGitHub) -> None:
    number = github.add_issue("Add a health check", labels=["ready-for-agent"])
    repo = client(github).get_repo(github.full_name)

    listed = list(repo.get_issues(labels=["ready-for-agent"]))
    etag = listed[0].etag  # PyGithub keeps the list page's ETag on each item
    assert etag
    issue = repo.get_issue(number)
    units = github.units
    assert issue.update() is False  # PyGithub's own conditional request
    with raw(github) as http:
        answer = http.get(
            f"/repos/{github.full_name}/issues",
            params={"labels": "ready-for-agent"},
            headers={"If-None-Match": etag},
        )
        assert (answer.status_code, answer.content) == (304, b"")
        assert answer.headers["ETag"] == etag
        assert github.units == units  # neither 304 cost anything

        github.add_comment(number, "Something changed")
        changed = http.get(
            f"/repos/{github.full_name}/issues",
            params={"labels": "ready-for-agent"},
            headers={"If-None-Match": etag},
        )
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert github.units == units + 1
    assert issue.update() is True


def test_rate_limit_headers_and_counters(github: FakeGitHub) -> None:
    gh = client(github)
    repo = gh.get_repo(github.full_name)
    repo.create_issue("One")
    gh.get_rate_limit()
    assert github.units == 2  # GET /rate_limit is free
    assert github.requests == [
        ("GET", f"/repos/{github.full_name}", 200),
        ("POST", f"/repos/{github.full_name}/issues", 201),
        ("GET", "/rate_limit", 200),
    ]
    last = github.exchanges[1].response_headers
    assert (last["x-ratelimit-limit"], last["x-ratelimit-used"], last["x-ratelimit-remaining"]) == (
        "5000",
        "2",
        "4998",
    )
    assert last["x-ratelimit-resource"] == "core"
    assert int(last["x-ratelimit-reset"]) > time.time()

    github.set_rate_limit(github.bot_login, limit=3)
    repo.get_issue(1)
    with pytest.raises(RateLimitExceededException) as caught:
        repo.get_issue(1)
    assert caught.value.headers is not None
    assert caught.value.headers["x-ratelimit-remaining"] == "0"
    assert github.units == 3  # the refusal cost nothing
    other = client(github, github.admin_token).get_repo(github.full_name)
    assert other.get_issue(1).title == "One"  # limits are per account


def test_only_an_app_token_creates_check_runs(github: FakeGitHub) -> None:
    sha = github.branch_sha("main") or ""
    personal = client(github, github.admin_token).get_repo(github.full_name)
    with pytest.raises(GithubException) as caught:
        personal.create_check_run(name="baton", head_sha=sha)
    assert (caught.value.status, caught.value.data["message"]) == (
        403,
        "Resource not accessible by personal access token",
    )
    # A personal token falls back to commit statuses, which it may write.
    lazy = client(github, github.admin_token, lazy=True).get_repo(github.full_name)
    lazy.get_commit(sha).create_status("success", context="baton")
    client(github).get_repo(github.full_name).create_check_run(name="baton", head_sha=sha)
    assert [r.name for r in github.check_runs(sha)] == ["baton"]
    assert [s.context for s in github.statuses(sha)] == ["baton"]


def test_contents_writes_are_compare_and_swap(github: FakeGitHub) -> None:
    repo = client(github).get_repo(github.full_name)
    first = repo.create_file(".baton/state.json", "Save state", '{"revision": 1}\n', branch="main")
    stale = first["content"].sha
    repo.update_file(".baton/state.json", "Save state", '{"revision": 2}\n', stale, branch="main")

    code, body = status_of(
        lambda: repo.update_file(".baton/state.json", "Save", "{}\n", stale, branch="main")
    )
    assert (code, body["message"]) == (409, f".baton/state.json does not match {stale}")
    code, body = status_of(
        lambda: repo.create_file(".baton/state.json", "Save", "{}\n", branch="main")
    )
    assert (code, body["message"]) == (422, 'Invalid request.\n\n"sha" wasn\'t supplied.')

    current = repo.get_contents(".baton/state.json", ref="main").sha
    save = partial(repo.update_file, ".baton/state.json", "Save", "{}\n", current, branch="main")
    github.conflict_next_contents_put()
    assert status_of(save)[0] == 409  # once
    repo.update_file(".baton/state.json", "Save state", '{"revision": 3}\n', current, branch="main")
    assert github.read_file(".baton/state.json") == '{"revision": 3}\n'

    github.protect_branch("main", required_reviews=1)
    code, body = status_of(lambda: repo.create_file("new.md", "Add", "x", branch="main"))
    assert (code, body["message"]) == (409, "Changes must be made through a pull request.")


def test_refs_move_only_forward_unless_forced(github: FakeGitHub) -> None:
    main = github.branch_sha("main") or ""
    ahead = github.commit("work", {"a.txt": "a"}, "Work")
    aside = github.commit("aside", {"b.txt": "b"}, "Aside")
    repo = client(github).get_repo(github.full_name)
    ref = repo.get_git_ref("heads/work")

    code, body = status_of(lambda: ref.edit(aside))
    assert (code, body["message"]) == (422, "Update is not a fast forward")
    ref.edit(aside, force=True)
    assert github.branch_sha("work") == aside
    repo.get_git_ref("heads/main").edit(ahead)  # main → work's commit is a fast forward
    assert github.branch_sha("main") == ahead != main

    github.protect_branch("main", required_checks=["baton"], required_reviews=None)
    code, body = status_of(lambda: repo.get_git_ref("heads/main").edit(aside, force=True))
    assert (code, body["message"]) == (422, "Protected branch update failed for refs/heads/main.")


def test_a_pushed_branch_is_seen_by_the_api(github: FakeGitHub, tmp_path: Path) -> None:
    work = tmp_path / "clone"
    git = ["git", "-C", str(work)]
    subprocess.run(["git", "clone", "--quiet", str(github.git_dir), str(work)], check=True)
    subprocess.run([*git, "switch", "--quiet", "-c", "baton/sprint-7"], check=True)
    (work / "src" / "app.py").write_text(FIXED_APP_PY)
    subprocess.run([*git, "commit", "--quiet", "-am", "Answer 42"], check=True)
    subprocess.run([*git, "push", "--quiet", "origin", "baton/sprint-7"], check=True)
    pushed = subprocess.run(
        [*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()

    repo = client(github).get_repo(github.full_name)
    assert repo.get_branch("baton/sprint-7").commit.sha == pushed
    pr = repo.create_pull(
        title="Sprint 7", body="", head=f"{github.owner}:baton/sprint-7", base="main"
    )
    assert (pr.head.sha, pr.head.ref) == (pushed, "baton/sprint-7")

    (work / "README.md").write_text("# widgets, answered\n")
    subprocess.run([*git, "commit", "--quiet", "-am", "Say so"], check=True)
    subprocess.run([*git, "push", "--quiet", "origin", "baton/sprint-7"], check=True)
    assert repo.get_pull(pr.number).commits == 2  # the pull request follows its branch


def test_injected_faults(github: FakeGitHub) -> None:
    number = github.add_issue("Add a health check")
    issue = client(github).get_repo(github.full_name).get_issue(number)

    github.fail_next(FaultKind.SECONDARY_RATE_LIMIT, method="POST", retry_after=7)
    with pytest.raises(RateLimitExceededException) as caught:
        issue.create_comment("one")
    assert caught.value.status == 403
    assert caught.value.headers is not None
    assert caught.value.headers["retry-after"] == "7"
    assert "secondary rate limit" in caught.value.data["message"]

    github.fail_next(FaultKind.TOO_MANY_REQUESTS)
    assert status_of(lambda: issue.create_comment("two"))[0] == 429
    github.fail_next(FaultKind.PRIMARY_RATE_LIMIT, retry_after=30)
    with pytest.raises(RateLimitExceededException) as limited:
        issue.create_comment("three")
    assert limited.value.headers is not None
    assert int(limited.value.headers["x-ratelimit-reset"]) >= time.time() + 29
    github.fail_next(FaultKind.SERVER_ERROR, path="/repos/*/issues/*/comments", times=2)
    assert [status_of(lambda: issue.create_comment("four"))[0] for _ in range(2)] == [500, 500]
    github.fail_next(FaultKind.BAD_GATEWAY)
    assert status_of(lambda: issue.create_comment("five"))[0] == 502
    assert github.comments_on(number) == []  # none of those took effect

    # The write takes effect though its answer is lost: a retry must look before it writes.
    github.fail_next(FaultKind.BAD_GATEWAY_AFTER_WRITE, method="POST")
    assert status_of(lambda: issue.create_comment("six"))[0] == 502
    assert [c.body for c in github.comments_on(number)] == ["six"]
    issue.create_comment("seven")
    assert [c.body for c in github.comments_on(number)] == ["six", "seven"]


def test_credentials(github: FakeGitHub) -> None:
    with pytest.raises(BadCredentialsException):
        client(github, "ghp_unknown").get_repo(github.full_name)
    with httpx.Client(base_url=github.url) as http:
        anonymous = http.get(f"/repos/{github.full_name}")
    assert anonymous.status_code == 401
    assert json.loads(anonymous.content)["message"] == "Requires authentication"
    github.add_user("reader", role="read", token="github_pat_reader")
    github.add_token("ghs_actions", "github-actions[bot]")
    assert client(github, "github_pat_reader").get_repo(github.full_name).permissions.pull
    # Actions' GITHUB_TOKEN is an app's token too: it may write check runs.
    actions = client(github, "ghs_actions").get_repo(github.full_name)
    actions.create_check_run(name="ci", head_sha=github.branch_sha("main") or "")
    assert github.check_runs()[0].name == "ci"


def test_a_token_with_scopes_may_do_only_what_they_allow(github: FakeGitHub) -> None:
    """Actions' GITHUB_TOKEN: the job's `permissions`, and `metadata: read` always."""
    github.add_user("github-actions[bot]", role="write", bot=True)
    github.add_token(
        "ghs_job", "github-actions[bot]", scopes={"contents": "read", "issues": "read"}
    )
    number = github.add_issue("Add a health check")
    repo = client(github, "ghs_job").get_repo(github.full_name)
    assert repo.get_issue(number).title == "Add a health check"

    code, body = status_of(lambda: repo.create_label("flavour", "ededed"))
    assert (code, body) == (
        403,
        {
            "message": "Resource not accessible by integration",
            "documentation_url": "https://docs.github.com/rest/issues/labels#create-a-label",
            "status": "403",
        },
    )
    with raw(github, "ghs_job") as http:
        answer = http.post(
            f"/repos/{github.full_name}/issues/{number}/comments", json={"body": "x"}
        )
        assert answer.status_code == 403
        assert answer.headers["X-Accepted-GitHub-Permissions"] == "issues=write"
        sha = github.branch_sha("main")
        answer = http.post(
            f"/repos/{github.full_name}/check-runs", json={"name": "x", "head_sha": sha}
        )
        assert answer.headers["X-Accepted-GitHub-Permissions"] == "checks=write"
    assert github.comments_on(number) == []
    assert github.check_runs() == []
    # A public repository's pull requests are anyone's to read, whatever the token's scopes.
    assert list(repo.get_pulls()) == []

    github.revoke_token("ghs_job")
    with pytest.raises(BadCredentialsException):
        client(github, "ghs_job").get_repo(github.full_name)


def test_in_a_private_repository_every_read_needs_its_scope(
    tmp_path: Path, checker: OpenApiChecker
) -> None:
    with FakeGitHub(tmp_path, files=FILES, private=True) as fake:
        fake.add_user("github-actions[bot]", role="write", bot=True)
        fake.add_token("ghs_job", "github-actions[bot]", scopes={"contents": "read"})
        number = fake.add_issue("Add a health check")
        repo = client(fake, "ghs_job").get_repo(fake.full_name)  # metadata: read
        assert repo.get_contents("README.md").decoded_content == b"# widgets\n"
        code, body = status_of(lambda: repo.get_issue(number))
        assert (code, body["message"]) == (403, "Resource not accessible by integration")
        problems = checker.all_problems(fake.exchanges)
    assert not problems, "\n".join(problems)


def test_git_over_http_counts_the_token(github: FakeGitHub, tmp_path: Path) -> None:
    github.add_user("github-actions[bot]", role="write", bot=True)
    github.add_token("ghs_reader", "github-actions[bot]", scopes={"contents": "read"})
    github.add_token("ghs_writer", "github-actions[bot]", scopes={"contents": "write"})
    github.add_user("reader", role="read", token="github_pat_reader")
    work = tmp_path / "clone"

    def git(*args: str, token: str | None = None) -> subprocess.CompletedProcess[str]:
        extra = []
        if token is not None:
            basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
            extra = ["-c", f"http.extraHeader=AUTHORIZATION: basic {basic}"]
        return subprocess.run(
            ["git", *extra, *args],
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp_path,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
        )

    assert git("clone", "-q", github.clone_url, str(work)).returncode == 0  # public: anyone
    (work / "src" / "app.py").write_text(FIXED_APP_PY)
    assert git("-C", str(work), "commit", "-qam", "Answer 42").returncode == 0
    push = ["-C", str(work), "push", "-q", "origin", "HEAD:refs/heads/answer"]

    refused = git(*push, token="ghs_reader")
    assert refused.returncode != 0
    assert "Permission to octo-org/widgets.git denied to github-actions[bot]." in refused.stderr
    assert "denied to reader" in git(*push, token="github_pat_reader").stderr
    assert git(*push, token="ghs_unknown").returncode != 0
    assert git(*push).returncode != 0  # nobody may push anonymously
    assert [r.status for r in github.git_requests][-2:] == [401, 401]
    assert github.branch_sha("answer") is None

    assert git(*push, token="ghs_writer").returncode == 0
    assert github.branch_sha("answer") is not None
    assert [(r.service, r.login, r.status) for r in github.git_requests][-2:] == [
        ("git-receive-pack", "github-actions[bot]", 200),
        ("git-receive-pack", "github-actions[bot]", 200),
    ]
