"""JSON bodies shaped as GitHub's REST API shapes them, built from the fake's state.

Each method returns one schema of GitHub's OpenAPI description (named in its docstring) with every
property that schema requires. URLs use GitHub's own address; the server rewrites them.
"""

from __future__ import annotations

import base64
import json
import textwrap
import zlib
from datetime import datetime
from typing import Any
from urllib.parse import quote

from .gitrepo import Commit, FileDiff, TreeEntry
from .model import (
    CheckRun,
    Comment,
    CommitStatus,
    Event,
    Issue,
    Label,
    Milestone,
    Review,
    ReviewComment,
    User,
    WorkflowRun,
    World,
    node_id,
)
from .protocol import API, WEB

# The legacy `permission` GitHub reports for each role: maintain counts as write, triage as read.
LEGACY_PERMISSION = {
    "admin": "admin",
    "maintain": "write",
    "write": "write",
    "triage": "read",
    "read": "read",
    "none": "none",
}
_RANK = {
    role: rank for rank, role in enumerate(("none", "read", "triage", "write", "maintain", "admin"))
}
_UNSIGNED = {
    "verified": False,
    "reason": "unsigned",
    "signature": None,
    "payload": None,
    "verified_at": None,
}


def timestamp(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def encode_content(data: bytes) -> str:
    """Base64 in lines of 60 characters, each ending in a newline, as GitHub sends file content."""
    text = base64.b64encode(data).decode()
    return "".join(f"{line}\n" for line in textwrap.wrap(text, 60))


def role_permissions(role: str) -> dict[str, bool]:
    rank = _RANK.get(role, 0)
    return {
        "admin": rank >= _RANK["admin"],
        "maintain": rank >= _RANK["maintain"],
        "push": rank >= _RANK["write"],
        "triage": rank >= _RANK["triage"],
        "pull": rank >= _RANK["read"],
    }


class Shapes:
    def __init__(self, world: World) -> None:
        self.world = world

    # ---- addresses ----------------------------------------------------------------------------------

    @property
    def repo_api(self) -> str:
        return f"{API}/repos/{self.world.repo.full_name}"

    @property
    def repo_web(self) -> str:
        return f"{WEB}/{self.world.repo.full_name}"

    # ---- people -------------------------------------------------------------------------------------

    def user(self, login: str) -> dict[str, Any]:
        """simple-user"""
        user = self.world.ensure_user(login)
        url = f"{API}/users/{quote(user.login)}"
        html = (
            f"{WEB}/apps/{user.login.removesuffix('[bot]')}"
            if user.type == "Bot"
            else f"{WEB}/{user.login}"
        )
        return {
            "login": user.login,
            "id": user.id,
            "node_id": node_id("User", user.id),
            "avatar_url": f"https://avatars.githubusercontent.com/u/{user.id}?v=4",
            "gravatar_id": "",
            "url": url,
            "html_url": html,
            "followers_url": f"{url}/followers",
            "following_url": f"{url}/following{{/other_user}}",
            "gists_url": f"{url}/gists{{/gist_id}}",
            "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{url}/subscriptions",
            "organizations_url": f"{url}/orgs",
            "repos_url": f"{url}/repos",
            "events_url": f"{url}/events{{/privacy}}",
            "received_events_url": f"{url}/received_events",
            "type": user.type,
            "user_view_type": "public",
            "site_admin": False,
        }

    def association(self, login: str) -> str:
        """author-association of `login` on this repository."""
        user = self.world.user(login)
        if user is None or user.type == "Bot":
            return "NONE"
        if user.login.lower() == self.world.repo.owner.lower():
            return "OWNER"
        return "COLLABORATOR" if user.role != "none" else "NONE"

    def collaborator_permission(self, user: User, role: str) -> dict[str, Any]:
        """repository-collaborator-permission"""
        return {
            "permission": LEGACY_PERMISSION[role],
            "role_name": role,
            "user": {
                **self.user(user.login),
                "permissions": role_permissions(role),
                "role_name": role,
            },
        }

    def app(self) -> dict[str, Any]:
        """integration"""
        app = self.world.app
        return {
            "id": app.id,
            "slug": app.slug,
            "client_id": f"Iv1.{app.id:016x}",
            "node_id": node_id("App", app.id),
            "owner": self.user(app.owner),
            "name": app.name,
            "description": None,
            "external_url": f"{WEB}/apps/{app.slug}",
            "html_url": f"{WEB}/apps/{app.slug}",
            "created_at": timestamp(self.world.repo.created_at),
            "updated_at": timestamp(self.world.repo.created_at),
            "permissions": {
                "checks": "write",
                "contents": "write",
                "issues": "write",
                "metadata": "read",
                "pull_requests": "write",
                "statuses": "write",
            },
            "events": ["check_run", "issue_comment", "issues", "pull_request"],
        }

    # ---- the repository -----------------------------------------------------------------------------

    def repository(self, viewer: User | None = None) -> dict[str, Any]:
        """full-repository (also a valid `repository` and `minimal-repository`)"""
        repo = self.world.repo
        api = self.repo_api
        open_issues = sum(1 for i in self.world.issues.values() if i.state == "open")
        created = timestamp(repo.created_at)
        body: dict[str, Any] = {
            "id": repo.id,
            "node_id": node_id("Repository", repo.id),
            "name": repo.name,
            "full_name": repo.full_name,
            "private": repo.private,
            "owner": self.user(repo.owner),
            "html_url": self.repo_web,
            "description": repo.description,
            "fork": False,
            "url": api,
            **{
                f"{name}_url": f"{api}/{path}"
                for name, path in {
                    "archive": "{archive_format}{/ref}",
                    "assignees": "assignees{/user}",
                    "blobs": "git/blobs{/sha}",
                    "branches": "branches{/branch}",
                    "collaborators": "collaborators{/collaborator}",
                    "comments": "comments{/number}",
                    "commits": "commits{/sha}",
                    "compare": "compare/{base}...{head}",
                    "contents": "contents/{+path}",
                    "contributors": "contributors",
                    "deployments": "deployments",
                    "downloads": "downloads",
                    "events": "events",
                    "forks": "forks",
                    "git_commits": "git/commits{/sha}",
                    "git_refs": "git/refs{/sha}",
                    "git_tags": "git/tags{/sha}",
                    "hooks": "hooks",
                    "issue_comment": "issues/comments{/number}",
                    "issue_events": "issues/events{/number}",
                    "issues": "issues{/number}",
                    "keys": "keys{/key_id}",
                    "labels": "labels{/name}",
                    "languages": "languages",
                    "merges": "merges",
                    "milestones": "milestones{/number}",
                    "notifications": "notifications{?since,all,participating}",
                    "pulls": "pulls{/number}",
                    "releases": "releases{/id}",
                    "stargazers": "stargazers",
                    "statuses": "statuses/{sha}",
                    "subscribers": "subscribers",
                    "subscription": "subscription",
                    "tags": "tags",
                    "teams": "teams",
                    "trees": "git/trees{/sha}",
                }.items()
            },
            "git_url": f"git://github.com/{repo.full_name}.git",
            "ssh_url": f"git@github.com:{repo.full_name}.git",
            "clone_url": f"{self.repo_web}.git",
            "svn_url": self.repo_web,
            "mirror_url": None,
            "homepage": None,
            "language": None,
            "size": 0,
            "forks": 0,
            "forks_count": 0,
            "stargazers_count": 0,
            "watchers": 0,
            "watchers_count": 0,
            "subscribers_count": 0,
            "network_count": 0,
            "open_issues": open_issues,
            "open_issues_count": open_issues,
            "default_branch": repo.default_branch,
            "topics": [],
            "has_issues": True,
            "has_projects": False,
            "has_wiki": False,
            "has_pages": False,
            "has_downloads": True,
            "has_discussions": False,
            "archived": False,
            "disabled": False,
            "visibility": "private" if repo.private else "public",
            "pushed_at": created,
            "created_at": created,
            "updated_at": created,
            "license": None,
            "allow_forking": True,
            "is_template": False,
            "web_commit_signoff_required": False,
        }
        if viewer is not None:
            body["permissions"] = role_permissions(viewer.role)
        return body

    # ---- issues -------------------------------------------------------------------------------------

    def label(self, label: Label) -> dict[str, Any]:
        """label"""
        return {
            "id": label.id,
            "node_id": node_id("Label", label.id),
            "url": f"{self.repo_api}/labels/{quote(label.name)}",
            "name": label.name,
            "color": label.color,
            "default": label.default,
            "description": label.description,
        }

    def issue_labels(self, issue: Issue) -> list[dict[str, Any]]:
        return [self.label(label) for name in issue.labels if (label := self.world.label(name))]

    def milestone(self, milestone: Milestone) -> dict[str, Any]:
        """milestone"""
        issues = [i for i in self.world.issues.values() if i.milestone == milestone.number]
        url = f"{self.repo_api}/milestones/{milestone.number}"
        return {
            "url": url,
            "html_url": f"{self.repo_web}/milestone/{milestone.number}",
            "labels_url": f"{url}/labels",
            "id": milestone.id,
            "node_id": node_id("Milestone", milestone.id),
            "number": milestone.number,
            "title": milestone.title,
            "description": milestone.description,
            "creator": self.user(milestone.creator),
            "open_issues": sum(1 for i in issues if i.state == "open"),
            "closed_issues": sum(1 for i in issues if i.state == "closed"),
            "state": milestone.state,
            "created_at": timestamp(milestone.created_at),
            "updated_at": timestamp(milestone.updated_at),
            "due_on": timestamp(milestone.due_on),
            "closed_at": timestamp(milestone.closed_at),
        }

    @staticmethod
    def reactions(url: str) -> dict[str, Any]:
        """reaction-rollup"""
        names = ("+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes")
        return {"url": f"{url}/reactions", "total_count": 0, **dict.fromkeys(names, 0)}

    def issue_elsewhere(self, full_name: str, number: int) -> dict[str, Any]:
        """An open issue of another repository, as GitHub lists it among an issue's blockers:
        the same shape, its URLs that repository's."""
        stand_in = Issue(
            number,
            9_000_000 + number,
            f"Upstream #{number}",
            None,
            self.world.repo.owner,
            self.world.clock(),
            self.world.clock(),
        )
        text = json.dumps(self.issue(stand_in))
        owner_api = self.repo_api.rsplit("/", 2)[0]
        owner_web = self.repo_web.rsplit("/", 2)[0]
        text = text.replace(self.repo_api, f"{owner_api}/{full_name}")
        text = text.replace(self.repo_web, f"{owner_web}/{full_name}")
        shape: dict[str, Any] = json.loads(text)
        shape["comments"] = 0
        summary = shape["issue_dependencies_summary"]
        summary.update(blocking=1, total_blocking=1, blocked_by=0, total_blocked_by=0)
        return shape

    def issue(self, issue: Issue, *, detail: bool = False) -> dict[str, Any]:
        """issue (a pull request's issue carries `pull_request`)"""
        url = f"{self.repo_api}/issues/{issue.number}"
        kind = "pull" if issue.pull else "issues"
        milestone = self.world.milestones.get(issue.milestone) if issue.milestone else None
        blocking = [i for i in self.world.issues.values() if issue.number in i.blocked_by]
        body: dict[str, Any] = {
            "url": url,
            "repository_url": self.repo_api,
            "labels_url": f"{url}/labels{{/name}}",
            "comments_url": f"{url}/comments",
            "events_url": f"{url}/events",
            "html_url": f"{self.repo_web}/{kind}/{issue.number}",
            "id": issue.id,
            "node_id": node_id("Issue", issue.id),
            "number": issue.number,
            "title": issue.title,
            "user": self.user(issue.user),
            "labels": self.issue_labels(issue),
            "state": issue.state,
            "locked": issue.locked,
            "assignee": self.user(issue.assignees[0]) if issue.assignees else None,
            "assignees": [self.user(login) for login in issue.assignees],
            "milestone": self.milestone(milestone) if milestone else None,
            "comments": len(self.world.comments_on(issue.number)),
            "created_at": timestamp(issue.created_at),
            "updated_at": timestamp(issue.updated_at),
            "closed_at": timestamp(issue.closed_at),
            "author_association": self.association(issue.user),
            "active_lock_reason": None,
            "body": issue.body,
            "reactions": self.reactions(url),
            "timeline_url": f"{url}/timeline",
            "performed_via_github_app": None,
            "state_reason": issue.state_reason,
            "sub_issues_summary": {"total": 0, "completed": 0, "percent_completed": 0},
            "issue_dependencies_summary": {
                "blocked_by": len(issue.blocked_elsewhere)  # open, as far as the fake knows
                + sum(
                    1
                    for n in issue.blocked_by
                    if n in self.world.issues and self.world.issues[n].state == "open"
                ),
                "total_blocked_by": len(issue.blocked_by) + len(issue.blocked_elsewhere),
                "blocking": sum(1 for i in blocking if i.state == "open"),
                "total_blocking": len(blocking),
            },
        }
        if issue.pull is not None:
            html = f"{self.repo_web}/pull/{issue.number}"
            body["draft"] = issue.pull.draft
            body["pull_request"] = {
                "url": f"{self.repo_api}/pulls/{issue.number}",
                "html_url": html,
                "diff_url": f"{html}.diff",
                "patch_url": f"{html}.patch",
                "merged_at": timestamp(issue.pull.merged_at),
            }
        if detail:
            body["closed_by"] = self.user(issue.closed_by) if issue.closed_by else None
        return body

    def comment(self, comment: Comment) -> dict[str, Any]:
        """issue-comment"""
        url = f"{self.repo_api}/issues/comments/{comment.id}"
        issue = self.world.issues[comment.issue_number]
        kind = "pull" if issue.pull else "issues"
        return {
            "url": url,
            "html_url": f"{self.repo_web}/{kind}/{issue.number}#issuecomment-{comment.id}",
            "issue_url": f"{self.repo_api}/issues/{issue.number}",
            "id": comment.id,
            "node_id": node_id("IssueComment", comment.id),
            "user": self.user(comment.user),
            "created_at": timestamp(comment.created_at),
            "updated_at": timestamp(comment.updated_at),
            "author_association": self.association(comment.user),
            "body": comment.body,
            "reactions": self.reactions(url),
            "performed_via_github_app": None,
        }

    def event(self, event: Event) -> dict[str, Any]:
        """labeled-issue-event, unlabeled-issue-event, state-change-issue-event and the like"""
        body: dict[str, Any] = {
            "id": event.id,
            "node_id": node_id("LabeledEvent", event.id),
            "url": f"{self.repo_api}/issues/events/{event.id}",
            "actor": self.user(event.actor),
            "event": event.event,
            "commit_id": None,
            "commit_url": None,
            "created_at": timestamp(event.created_at),
            "performed_via_github_app": None,
        }
        if event.label is not None:
            body["label"] = {"name": event.label.name, "color": event.label.color}
        if event.milestone_title is not None:
            body["milestone"] = {"title": event.milestone_title}
        if event.event == "closed":
            body["state_reason"] = event.state_reason
        return body

    def timeline_comment(self, comment: Comment) -> dict[str, Any]:
        """timeline-comment-event"""
        return {
            **self.comment(comment),
            "event": "commented",
            "actor": self.user(comment.user),
        }

    # ---- pull requests ------------------------------------------------------------------------------

    def _pull_end(self, ref: str, sha: str) -> dict[str, Any]:
        owner = self.world.repo.owner
        return {
            "label": f"{owner}:{ref}",
            "ref": ref,
            "sha": sha,
            "user": self.user(owner),
            "repo": self.repository(),
        }

    def pull(self, issue: Issue, *, simple: bool = False) -> dict[str, Any]:
        """pull-request, or pull-request-simple for lists"""
        pull = self.world.refresh_pull(issue)
        n = issue.number
        url = f"{self.repo_api}/pulls/{n}"
        html = f"{self.repo_web}/pull/{n}"
        labels = self.issue_labels(issue)
        if simple:  # the list schema wants a string description
            labels = [{**label, "description": label["description"] or ""} for label in labels]
        milestone = self.world.milestones.get(issue.milestone) if issue.milestone else None
        body: dict[str, Any] = {
            "url": url,
            "id": pull_id(issue),
            "node_id": node_id("PullRequest", pull_id(issue)),
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "issue_url": f"{self.repo_api}/issues/{n}",
            "commits_url": f"{url}/commits",
            "review_comments_url": f"{url}/comments",
            "review_comment_url": f"{self.repo_api}/pulls/comments{{/number}}",
            "comments_url": f"{self.repo_api}/issues/{n}/comments",
            "statuses_url": f"{self.repo_api}/statuses/{pull.head_sha}",
            "number": n,
            "state": issue.state,
            "locked": issue.locked,
            "title": issue.title,
            "user": self.user(issue.user),
            "body": issue.body,
            "labels": labels,
            "milestone": self.milestone(milestone) if milestone else None,
            "active_lock_reason": None,
            "created_at": timestamp(issue.created_at),
            "updated_at": timestamp(issue.updated_at),
            "closed_at": timestamp(issue.closed_at),
            "merged_at": timestamp(pull.merged_at),
            "merge_commit_sha": pull.merge_commit_sha,
            "assignee": self.user(issue.assignees[0]) if issue.assignees else None,
            "assignees": [self.user(login) for login in issue.assignees],
            "requested_reviewers": [],
            "requested_teams": [],
            "head": self._pull_end(pull.head_ref, pull.head_sha),
            "base": self._pull_end(pull.base_ref, pull.base_sha),
            "_links": {
                rel: {"href": href}
                for rel, href in {
                    "self": url,
                    "html": html,
                    "issue": f"{self.repo_api}/issues/{n}",
                    "comments": f"{self.repo_api}/issues/{n}/comments",
                    "review_comments": f"{url}/comments",
                    "review_comment": f"{self.repo_api}/pulls/comments{{/number}}",
                    "commits": f"{url}/commits",
                    "statuses": f"{self.repo_api}/statuses/{pull.head_sha}",
                }.items()
            },
            "author_association": self.association(issue.user),
            "auto_merge": None,
            "draft": pull.draft,
        }
        if simple:
            return body
        git = self.world.git
        base = git.merge_base(pull.base_sha, pull.head_sha) or pull.base_sha
        files = git.diff(base, pull.head_sha)
        body.update(
            {
                "merged": pull.merged_at is not None,
                "mergeable": True if issue.state == "open" else None,
                "rebaseable": True if issue.state == "open" else None,
                "mergeable_state": "clean" if issue.state == "open" else "unknown",
                "merged_by": None,
                "comments": len(self.world.comments_on(n)),
                "review_comments": sum(
                    1 for c in self.world.review_comments.values() if c.pull_number == n
                ),
                "maintainer_can_modify": pull.maintainer_can_modify,
                "commits": len(git.commits_between(base, pull.head_sha)),
                "additions": sum(f.additions for f in files),
                "deletions": sum(f.deletions for f in files),
                "changed_files": len(files),
            }
        )
        return body

    def review(self, review: Review) -> dict[str, Any]:
        """pull-request-review"""
        pull_url = f"{self.repo_api}/pulls/{review.pull_number}"
        html = f"{self.repo_web}/pull/{review.pull_number}#pullrequestreview-{review.id}"
        body: dict[str, Any] = {
            "id": review.id,
            "node_id": node_id("PullRequestReview", review.id),
            "user": self.user(review.user),
            "body": review.body,
            "state": review.state,
            "html_url": html,
            "pull_request_url": pull_url,
            "author_association": self.association(review.user),
            "_links": {"html": {"href": html}, "pull_request": {"href": pull_url}},
            "commit_id": review.commit_id,
        }
        if review.submitted_at is not None:
            body["submitted_at"] = timestamp(review.submitted_at)
        return body

    def review_comment(self, comment: ReviewComment) -> dict[str, Any]:
        """pull-request-review-comment (also a valid `review-comment`)"""
        url = f"{self.repo_api}/pulls/comments/{comment.id}"
        pull_url = f"{self.repo_api}/pulls/{comment.pull_number}"
        html = f"{self.repo_web}/pull/{comment.pull_number}#discussion_r{comment.id}"
        body: dict[str, Any] = {
            "url": url,
            "pull_request_review_id": comment.review_id,
            "id": comment.id,
            "node_id": node_id("PullRequestReviewComment", comment.id),
            "diff_hunk": comment.diff_hunk,
            "path": comment.path,
            "position": comment.position,
            "original_position": comment.position or 1,
            "commit_id": comment.commit_id,
            "original_commit_id": comment.commit_id,
            "user": self.user(comment.user),
            "body": comment.body,
            "created_at": timestamp(comment.created_at),
            "updated_at": timestamp(comment.updated_at),
            "html_url": html,
            "pull_request_url": pull_url,
            "author_association": self.association(comment.user),
            "_links": {
                "self": {"href": url},
                "html": {"href": html},
                "pull_request": {"href": pull_url},
            },
            "reactions": self.reactions(url),
            "start_line": comment.start_line,
            "original_start_line": comment.start_line,
            "start_side": "RIGHT" if comment.start_line else None,
            "side": comment.side,
            "subject_type": "line" if comment.line else "file",
        }
        if comment.line is not None:  # a comment on a whole file has no line
            body["line"] = body["original_line"] = comment.line
        if comment.in_reply_to is not None:
            body["in_reply_to_id"] = comment.in_reply_to
        return body

    # ---- checks and statuses ------------------------------------------------------------------------

    def check_run(self, run: CheckRun) -> dict[str, Any]:
        """check-run"""
        url = f"{self.repo_api}/check-runs/{run.id}"
        pulls = [
            {
                "id": pull_id(issue),
                "number": issue.number,
                "url": f"{self.repo_api}/pulls/{issue.number}",
                "head": self._minimal_end(pull.head_ref, pull.head_sha),
                "base": self._minimal_end(pull.base_ref, pull.base_sha),
            }
            for issue in self.world.pulls()
            if issue.state == "open"
            and (pull := self.world.refresh_pull(issue)).head_sha == run.head_sha
        ]
        return {
            "id": run.id,
            "head_sha": run.head_sha,
            "node_id": node_id("CheckRun", run.id),
            "external_id": run.external_id,
            "url": url,
            "html_url": f"{self.repo_web}/runs/{run.id}",
            "details_url": run.details_url,
            "status": run.status,
            "conclusion": run.conclusion,
            "started_at": timestamp(run.started_at),
            "completed_at": timestamp(run.completed_at),
            "output": {
                "title": run.title,
                "summary": run.summary,
                "text": run.text,
                "annotations_count": len(run.annotations),
                "annotations_url": f"{url}/annotations",
            },
            "name": run.name,
            "check_suite": {"id": self.world.check_suite_id(run.head_sha)},
            "app": self.app(),
            "pull_requests": pulls,
        }

    # ---- Actions ------------------------------------------------------------------------------------

    def workflow_run(self, run: WorkflowRun) -> dict[str, Any]:
        """workflow-run (GitHub's description of "Get a workflow run", docs.github.com/rest/
        actions/workflow-runs#get-a-workflow-run; not in the subset: see actions_spec.py)"""
        url = f"{self.repo_api}/actions/runs/{run.id}"
        suite = self.world.check_suite_id(f"run:{run.id}")
        head = None
        if run.head_sha:
            commit = self.world.git.read_commit(run.head_sha)
            head = {
                "id": commit.sha,
                "tree_id": commit.tree,
                "message": commit.message.rstrip("\n"),
                "timestamp": timestamp(commit.committer.date),
                "author": {"name": commit.author.name, "email": commit.author.email},
                "committer": {"name": commit.committer.name, "email": commit.committer.email},
            }
        repository = self.repository()
        return {
            "id": run.id,
            "name": run.name,
            "node_id": node_id("WorkflowRun", run.id),
            "check_suite_id": suite,
            "check_suite_node_id": node_id("CheckSuite", suite),
            "head_branch": run.head_branch,
            "head_sha": run.head_sha,
            "path": run.workflow,
            "run_number": run.run_number,
            "run_attempt": run.run_attempt,
            "referenced_workflows": [],
            "event": run.event,
            "status": run.status,
            "conclusion": run.conclusion,
            "workflow_id": run.workflow_id,
            "url": url,
            "html_url": f"{self.repo_web}/actions/runs/{run.id}",
            "pull_requests": [],
            "created_at": timestamp(run.created_at),
            "updated_at": timestamp(run.updated_at),
            "actor": self.user(run.actor),
            "triggering_actor": self.user(run.actor),
            "run_started_at": timestamp(run.run_started_at),
            "jobs_url": f"{url}/jobs",
            "logs_url": f"{url}/logs",
            "check_suite_url": f"{self.repo_api}/check-suites/{suite}",
            "artifacts_url": f"{url}/artifacts",
            "cancel_url": f"{url}/cancel",
            "rerun_url": f"{url}/rerun",
            "previous_attempt_url": (
                f"{url}/attempts/{run.run_attempt - 1}" if run.run_attempt > 1 else None
            ),
            "workflow_url": f"{self.repo_api}/actions/workflows/{run.workflow_id}",
            "head_commit": head,
            "repository": repository,
            "head_repository": repository,
            "display_title": run.name,
        }

    def _minimal_end(self, ref: str, sha: str) -> dict[str, Any]:
        repo = self.world.repo
        return {
            "ref": ref,
            "sha": sha,
            "repo": {"id": repo.id, "name": repo.name, "url": self.repo_api},
        }

    def annotation(self, run: CheckRun, annotation: dict[str, Any]) -> dict[str, Any]:
        """check-annotation"""
        return {
            "path": annotation["path"],
            "start_line": annotation["start_line"],
            "end_line": annotation["end_line"],
            "start_column": annotation.get("start_column"),
            "end_column": annotation.get("end_column"),
            "annotation_level": annotation["annotation_level"],
            "title": annotation.get("title"),
            "message": annotation["message"],
            "raw_details": annotation.get("raw_details"),
            "blob_href": f"{self.repo_web}/blob/{run.head_sha}/{quote(annotation['path'])}",
        }

    def status(self, status: CommitStatus, *, simple: bool = False) -> dict[str, Any]:
        """status, or simple-commit-status inside a combined status"""
        creator = self.world.ensure_user(status.creator)
        body: dict[str, Any] = {
            "url": f"{self.repo_api}/statuses/{status.sha}",
            "avatar_url": f"https://avatars.githubusercontent.com/u/{creator.id}?v=4",
            "id": status.id,
            "node_id": node_id("StatusContext", status.id),
            "state": status.state,
            "description": status.description,
            "target_url": status.target_url,
            "context": status.context,
            "created_at": timestamp(status.created_at),
            "updated_at": timestamp(status.created_at),
        }
        if not simple:
            body["creator"] = self.user(status.creator)
        return body

    def combined_status(self, sha: str) -> dict[str, Any]:
        """combined-commit-status: the newest status of each context"""
        latest: dict[str, CommitStatus] = {}
        for status in self.world.statuses_for(sha):
            latest.setdefault(status.context, status)
        states = {s.state for s in latest.values()}
        if states & {"error", "failure"}:
            state = "failure"
        elif not states or "pending" in states:
            state = "pending"
        else:
            state = "success"
        return {
            "state": state,
            "statuses": [self.status(s, simple=True) for s in latest.values()],
            "sha": sha,
            "total_count": len(latest),
            "repository": self.repository(),
            "commit_url": f"{self.repo_api}/commits/{sha}",
            "url": f"{self.repo_api}/commits/{sha}/status",
        }

    # ---- git ----------------------------------------------------------------------------------------

    @staticmethod
    def _person(who: Any) -> dict[str, Any]:
        return {"name": who.name, "email": who.email, "date": timestamp(who.date)}

    def _parents(self, commit: Commit) -> list[dict[str, Any]]:
        return [
            {
                "sha": p,
                "url": f"{self.repo_api}/commits/{p}",
                "html_url": f"{self.repo_web}/commit/{p}",
            }
            for p in commit.parents
        ]

    def git_commit(self, commit: Commit) -> dict[str, Any]:
        """git-commit"""
        return {
            "sha": commit.sha,
            "node_id": node_id("Commit", int(commit.sha[:8], 16)),
            "url": f"{self.repo_api}/git/commits/{commit.sha}",
            "html_url": f"{self.repo_web}/commit/{commit.sha}",
            "author": self._person(commit.author),
            "committer": self._person(commit.committer),
            "tree": {"sha": commit.tree, "url": f"{self.repo_api}/git/trees/{commit.tree}"},
            "message": commit.message,
            "parents": [
                {**p, "url": f"{self.repo_api}/git/commits/{p['sha']}"}
                for p in self._parents(commit)
            ],
            "verification": dict(_UNSIGNED),
        }

    def _account(self, email: str) -> dict[str, Any]:
        for user in self.world.users.values():
            if user.noreply_email == email:
                return self.user(user.login)
        return {}

    def commit(self, commit: Commit) -> dict[str, Any]:
        """commit (the REST commit, with the git commit inside)"""
        return {
            "sha": commit.sha,
            "node_id": node_id("Commit", int(commit.sha[:8], 16)),
            "url": f"{self.repo_api}/commits/{commit.sha}",
            "html_url": f"{self.repo_web}/commit/{commit.sha}",
            "comments_url": f"{self.repo_api}/commits/{commit.sha}/comments",
            "commit": {
                "url": f"{self.repo_api}/git/commits/{commit.sha}",
                "author": self._person(commit.author),
                "committer": self._person(commit.committer),
                "message": commit.message.rstrip("\n"),
                "tree": {"sha": commit.tree, "url": f"{self.repo_api}/git/trees/{commit.tree}"},
                "comment_count": 0,
                "verification": dict(_UNSIGNED),
            },
            "author": self._account(commit.author.email),
            "committer": self._account(commit.committer.email),
            "parents": self._parents(commit),
        }

    def git_ref(self, ref: str, sha: str, kind: str) -> dict[str, Any]:
        """git-ref"""
        plural = {"commit": "commits", "tag": "tags", "tree": "trees", "blob": "blobs"}[kind]
        return {
            "ref": ref,
            "node_id": node_id("Ref", zlib.crc32(ref.encode())),
            "url": f"{self.repo_api}/git/{quote(ref)}",
            "object": {"sha": sha, "type": kind, "url": f"{self.repo_api}/git/{plural}/{sha}"},
        }

    def tree_entry(self, entry: TreeEntry) -> dict[str, Any]:
        kind = {"blob": "blobs", "tree": "trees"}.get(entry.type)
        body: dict[str, Any] = {
            "path": entry.path,
            "mode": entry.mode,
            "type": entry.type,
            "sha": entry.sha,
        }
        if entry.size is not None:
            body["size"] = entry.size
        if kind:
            body["url"] = f"{self.repo_api}/git/{kind}/{entry.sha}"
        return body

    def tree(self, sha: str, entries: list[TreeEntry]) -> dict[str, Any]:
        """git-tree"""
        return {
            "sha": sha,
            "url": f"{self.repo_api}/git/trees/{sha}",
            "tree": [self.tree_entry(e) for e in entries],
            "truncated": False,
        }

    def blob(self, sha: str, data: bytes) -> dict[str, Any]:
        """blob"""
        return {
            "sha": sha,
            "node_id": node_id("Blob", int(sha[:8], 16)),
            "size": len(data),
            "url": f"{self.repo_api}/git/blobs/{sha}",
            "content": encode_content(data),
            "encoding": "base64",
        }

    def content_entry(self, path: str, entry: TreeEntry, ref: str) -> dict[str, Any]:
        """one item of content-directory; with `content`, a content-file"""
        kind = {"blob": "file", "tree": "dir", "commit": "submodule"}[entry.type]
        if entry.mode == "120000":
            kind = "symlink"
        url = f"{self.repo_api}/contents/{quote(path)}?ref={quote(ref, safe='')}"
        git_url = f"{self.repo_api}/git/{'trees' if kind == 'dir' else 'blobs'}/{entry.sha}"
        html = f"{self.repo_web}/{'tree' if kind == 'dir' else 'blob'}/{quote(ref)}/{quote(path)}"
        return {
            "type": kind,
            "size": entry.size or 0,
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "sha": entry.sha,
            "url": url,
            "git_url": git_url,
            "html_url": html,
            "download_url": (
                f"https://raw.githubusercontent.com/{self.world.repo.full_name}/{quote(ref)}/{quote(path)}"
                if kind == "file"
                else None
            ),
            "_links": {"self": url, "git": git_url, "html": html},
        }

    def content_file(self, path: str, entry: TreeEntry, ref: str, data: bytes) -> dict[str, Any]:
        """content-file"""
        return {
            **self.content_entry(path, entry, ref),
            "content": encode_content(data),
            "encoding": "base64",
        }

    def file_commit(
        self, commit: Commit, content: tuple[str, TreeEntry, str] | None
    ) -> dict[str, Any]:
        """file-commit: what a contents PUT or DELETE answers"""
        git_commit = self.git_commit(commit)
        return {
            "content": self.content_entry(*content) if content else None,
            "commit": {
                **git_commit,
                "parents": [
                    {**p, "html_url": f"{self.repo_web}/commit/{p['sha']}"}
                    for p in git_commit["parents"]
                ],
            },
        }

    def diff_entry(self, diff: FileDiff, head: str) -> dict[str, Any]:
        """diff-entry"""
        body: dict[str, Any] = {
            "sha": diff.sha,
            "filename": diff.filename,
            "status": diff.status,
            "additions": diff.additions,
            "deletions": diff.deletions,
            "changes": diff.additions + diff.deletions,
            "blob_url": f"{self.repo_web}/blob/{head}/{quote(diff.filename)}",
            "raw_url": f"{self.repo_web}/raw/{head}/{quote(diff.filename)}",
            "contents_url": f"{self.repo_api}/contents/{quote(diff.filename)}?ref={head}",
        }
        if diff.patch is not None:
            body["patch"] = diff.patch
        return body

    # ---- branches -----------------------------------------------------------------------------------

    def protection(self, branch: str, settings: dict[str, Any]) -> dict[str, Any]:
        """protected-branch (also a valid `branch-protection`)"""
        url = f"{self.repo_api}/branches/{quote(branch)}/protection"
        body: dict[str, Any] = {
            "url": url,
            "enforce_admins": {
                "url": f"{url}/enforce_admins",
                "enabled": bool(settings.get("enforce_admins")),
            },
            "required_signatures": {"url": f"{url}/required_signatures", "enabled": False},
            **{
                name: {"enabled": bool(settings.get(name))}
                for name in (
                    "required_linear_history",
                    "allow_force_pushes",
                    "allow_deletions",
                    "block_creations",
                    "required_conversation_resolution",
                    "lock_branch",
                    "allow_fork_syncing",
                )
            },
        }
        checks = settings.get("required_status_checks")
        if checks:
            contexts = required_contexts(settings)
            body["required_status_checks"] = {
                "url": f"{url}/required_status_checks",
                "strict": bool(checks.get("strict")),
                "contexts": contexts,
                "contexts_url": f"{url}/required_status_checks/contexts",
                "checks": [{"context": c, "app_id": None} for c in contexts],
            }
        reviews = settings.get("required_pull_request_reviews")
        if reviews is not None:
            body["required_pull_request_reviews"] = {
                "url": f"{url}/required_pull_request_reviews",
                "dismiss_stale_reviews": bool(reviews.get("dismiss_stale_reviews")),
                "require_code_owner_reviews": bool(reviews.get("require_code_owner_reviews")),
                "require_last_push_approval": bool(reviews.get("require_last_push_approval")),
                "required_approving_review_count": int(
                    reviews.get("required_approving_review_count", 1)
                ),
            }
        return body

    def branch(self, name: str, commit: Commit) -> dict[str, Any]:
        """branch-with-protection"""
        settings = self.world.protection(name)
        contexts = required_contexts(settings or {})
        url = f"{self.repo_api}/branches/{quote(name)}"
        return {
            "name": name,
            "commit": self.commit(commit),
            "_links": {"self": url, "html": f"{self.repo_web}/tree/{quote(name)}"},
            "protected": settings is not None,
            "protection": {
                "enabled": settings is not None,
                "required_status_checks": {
                    "enforcement_level": "non_admins" if contexts else "off",
                    "contexts": contexts,
                    "checks": [{"context": c, "app_id": None} for c in contexts],
                },
            },
            "protection_url": f"{url}/protection",
        }


def required_contexts(settings: dict[str, Any]) -> list[str]:
    """The status checks a protection setting requires, given as `contexts` or as `checks`."""
    checks = settings.get("required_status_checks") or {}
    contexts = list(checks.get("contexts") or [])
    named = [c["context"] for c in checks.get("checks") or []]
    return contexts + [c for c in named if c not in contexts]


def pull_id(issue: Issue) -> int:
    """A pull request's own id, distinct from its issue's id as on GitHub."""
    return issue.id + 500_000_000
