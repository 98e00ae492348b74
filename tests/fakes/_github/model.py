"""The fake GitHub's state: plain records, and the few operations both the API and tests use.

Everything a request can change lives in one `World`, guarded by one lock. Operations that GitHub
performs with side effects (adding a label records a `labeled` event, a label that does not exist
yet is created) live here, so seeding a test and calling the API leave the same traces.
"""

from __future__ import annotations

import base64
import copy
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .gitrepo import BareRepo, Signature

ROLES = ("admin", "maintain", "write", "triage", "read", "none")
DEFAULT_LABEL_COLOR = "ededed"


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def node_id(kind: str, number: int) -> str:
    return base64.b64encode(f"{len(kind):02d}:{kind}{number}".encode()).decode()


@dataclass
class User:
    login: str
    id: int
    type: str = "User"  # "Bot" for an app's bot account, "Organization" for an org
    role: str = "none"  # the user's role on the repository: one of ROLES

    @property
    def noreply_email(self) -> str:
        return f"{self.id}+{self.login}@users.noreply.github.com"


@dataclass(frozen=True)
class Token:
    token: str
    login: str
    app: bool  # an app installation token (or Actions' GITHUB_TOKEN), not a personal token
    # The permissions of a restricted token (e.g. a job's GITHUB_TOKEN, `{"issues": "write"}`),
    # by GitHub's names; None: whatever the account may do (see permissions.py).
    scopes: Mapping[str, str] | None = None


@dataclass
class Label:
    id: int
    name: str
    color: str
    description: str | None
    default: bool = False


@dataclass
class Milestone:
    number: int
    id: int
    title: str
    description: str | None
    state: str
    due_on: datetime | None
    creator: str
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None


@dataclass
class Event:
    """An issue event: labeled, unlabeled, closed, reopened, milestoned, demilestoned."""

    id: int
    event: str
    actor: str
    created_at: datetime
    label: Label | None = None
    milestone_title: str | None = None
    state_reason: str | None = None


@dataclass
class Comment:
    id: int
    issue_number: int
    body: str
    user: str
    created_at: datetime
    updated_at: datetime


@dataclass
class PullInfo:
    """What makes an issue a pull request. The head follows its branch while the branch exists."""

    head_ref: str
    head_sha: str
    base_ref: str
    base_sha: str
    draft: bool = False
    maintainer_can_modify: bool = False
    merged_at: datetime | None = None
    merge_commit_sha: str | None = None


@dataclass
class Issue:
    number: int
    id: int
    title: str
    body: str | None
    user: str
    created_at: datetime
    updated_at: datetime
    state: str = "open"
    state_reason: str | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    labels: list[str] = field(default_factory=list)  # names, in the order they were added
    milestone: int | None = None
    assignees: list[str] = field(default_factory=list)
    locked: bool = False
    events: list[Event] = field(default_factory=list)
    blocked_by: list[int] = field(default_factory=list)  # issue numbers
    # Issues of repositories this fake does not hold: (owner/name, number).
    blocked_elsewhere: list[tuple[str, int]] = field(default_factory=list)
    pull: PullInfo | None = None


@dataclass
class Review:
    id: int
    pull_number: int
    user: str
    body: str
    state: str  # APPROVED | CHANGES_REQUESTED | COMMENTED | PENDING | DISMISSED
    commit_id: str
    submitted_at: datetime | None


@dataclass
class ReviewComment:
    id: int
    pull_number: int
    review_id: int
    user: str
    body: str
    commit_id: str
    path: str
    line: int | None
    side: str
    start_line: int | None
    diff_hunk: str
    position: int | None
    in_reply_to: int | None
    created_at: datetime
    updated_at: datetime


@dataclass
class CheckRun:
    id: int
    name: str
    head_sha: str
    status: str
    conclusion: str | None
    started_at: datetime | None
    completed_at: datetime | None
    details_url: str | None
    external_id: str | None
    title: str | None = None
    summary: str | None = None
    text: str | None = None
    annotations: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class CommitStatus:
    id: int
    sha: str
    state: str
    context: str
    description: str | None
    target_url: str | None
    creator: str
    created_at: datetime


@dataclass
class WorkflowRun:
    """A run of one of the repository's workflows, as Actions keeps it: set by a test or by the
    Actions runner of tests/actions (GitHub's API only reads runs; Actions makes them)."""

    id: int
    workflow: str  # the workflow file's path, e.g. `.github/workflows/baton.yml`
    workflow_id: int
    name: str
    event: str
    head_branch: str | None
    head_sha: str
    run_number: int
    actor: str
    status: str  # queued | in_progress | completed (also waiting, requested, pending)
    conclusion: str | None  # once completed: success, failure, cancelled, timed_out, ...
    run_attempt: int
    created_at: datetime
    updated_at: datetime
    run_started_at: datetime


@dataclass(frozen=True)
class Dispatch:
    """A `workflow_dispatch` event created through the API: the workflow to start, on which ref,
    with which inputs, and who asked."""

    workflow: str  # the workflow file's path, e.g. `.github/workflows/baton.yml`
    ref: str
    inputs: Mapping[str, Any]
    actor: str
    created_at: datetime


@dataclass
class App:
    id: int
    slug: str
    name: str
    owner: str
    installation_id: int

    @property
    def bot_login(self) -> str:
        return f"{self.slug}[bot]"


@dataclass
class Repo:
    owner: str
    name: str
    id: int
    default_branch: str
    created_at: datetime
    description: str | None = "A repository served by the fake GitHub"
    private: bool = False

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


def copy_of(holder: object, live: frozenset[str]) -> dict[str, Any]:
    """A deep copy of all `holder` holds but the attributes named in `live` (its locks, processes
    and callbacks), for `put_back` (`FakeGitHub.checkpoint`)."""
    return copy.deepcopy({k: v for k, v in vars(holder).items() if k not in live})


def put_back(holder: object, state: Mapping[str, Any]) -> None:
    vars(holder).update(copy.deepcopy(dict(state)))


# What a World holds that is no state of GitHub's: never copied, never put back.
WORLD_LIVE = frozenset({"lock", "git", "clock"})


class World:
    """All the fake's state. Hold `lock` while reading or changing it."""

    def __init__(
        self, *, repo: Repo, git: BareRepo, app: App, clock: Callable[[], datetime]
    ) -> None:
        self.lock = threading.RLock()
        self.repo = repo
        self.git = git
        self.app = app
        self.clock = clock
        # The last numbers given (plain numbers, so that `copy_of` copies them).
        self._last_id = repo.id
        self._last_issue_number = 0  # shared by pull requests, never reused
        self._last_milestone_number = 0
        self.users: dict[str, User] = {}
        self.tokens: dict[str, Token] = {}
        self.labels: dict[str, Label] = {}
        self.milestones: dict[int, Milestone] = {}
        self.issues: dict[int, Issue] = {}
        self.comments: dict[int, Comment] = {}
        self.reviews: dict[int, Review] = {}
        self.review_comments: dict[int, ReviewComment] = {}
        self.check_runs: dict[int, CheckRun] = {}
        self.check_suites: dict[str, int] = {}
        self.statuses: list[CommitStatus] = []
        self.protections: dict[str, dict[str, Any]] = {}
        self.workflow_runs: dict[int, WorkflowRun] = {}
        self.workflow_ids: dict[str, int] = {}  # workflow file path -> its id
        self.dispatches: list[Dispatch] = []
        self.dispatches_taken = 0  # how many of `dispatches` a runner has started

    @property
    def git_dir(self) -> Path:
        return self.git.path

    def next_id(self) -> int:
        self._last_id += 1
        return self._last_id

    # ---- users ------------------------------------------------------------------------------------

    def user(self, login: str) -> User | None:
        return self.users.get(login.lower())

    def ensure_user(self, login: str, *, type: str | None = None, role: str | None = None) -> User:
        user = self.user(login)
        if user is None:
            kind = type or ("Bot" if login.endswith("[bot]") else "User")
            user = User(login=login, id=self.next_id(), type=kind)
            self.users[login.lower()] = user
        if role is not None:
            if role not in ROLES:
                raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
            user.role = role
        return user

    def signature(self, login: str) -> Signature:
        user = self.ensure_user(login)
        return Signature(login, user.noreply_email, self.clock())

    # ---- labels and milestones --------------------------------------------------------------------

    def label(self, name: str) -> Label | None:
        return self.labels.get(name.lower())

    def ensure_label(
        self, name: str, *, color: str = DEFAULT_LABEL_COLOR, description: str | None = None
    ) -> Label:
        label = self.label(name)
        if label is None:
            label = Label(self.next_id(), name, color, description)
            self.labels[name.lower()] = label
        return label

    def add_milestone(
        self,
        title: str,
        *,
        creator: str,
        description: str | None = None,
        state: str = "open",
        due_on: datetime | None = None,
    ) -> Milestone:
        now = self.clock()
        self._last_milestone_number += 1
        number = self._last_milestone_number
        milestone = Milestone(
            number, self.next_id(), title, description, state, due_on, creator, now, now
        )
        if state == "closed":
            milestone.closed_at = now
        self.milestones[number] = milestone
        return milestone

    # ---- issues -----------------------------------------------------------------------------------

    def new_issue(
        self,
        title: str,
        *,
        author: str,
        body: str | None = None,
        labels: Iterable[str] = (),
        milestone: int | None = None,
        assignees: Iterable[str] = (),
        pull: PullInfo | None = None,
    ) -> Issue:
        now = self.clock()
        self.ensure_user(author)
        self._last_issue_number += 1
        issue = Issue(
            number=self._last_issue_number,
            id=self.next_id(),
            title=title,
            body=body,
            user=author,
            created_at=now,
            updated_at=now,
            milestone=milestone,
            assignees=list(assignees),
            pull=pull,
        )
        self.issues[issue.number] = issue
        if milestone is not None:
            self._event(
                issue, "milestoned", author, milestone_title=self.milestones[milestone].title
            )
        self.add_labels(issue, labels, actor=author)
        return issue

    def _event(self, issue: Issue, kind: str, actor: str, **details: Any) -> None:
        self.ensure_user(actor)
        issue.events.append(Event(self.next_id(), kind, actor, self.clock(), **details))
        issue.updated_at = self.clock()

    def add_labels(self, issue: Issue, names: Iterable[str], *, actor: str) -> None:
        """Add labels (creating unknown ones, as GitHub does), each with a `labeled` event."""
        for name in names:
            label = self.ensure_label(name)
            if label.name.lower() not in (n.lower() for n in issue.labels):
                issue.labels.append(label.name)
                self._event(issue, "labeled", actor, label=label)

    def remove_label(self, issue: Issue, name: str, *, actor: str) -> bool:
        for present in issue.labels:
            if present.lower() == name.lower():
                issue.labels.remove(present)
                label = self.label(present) or Label(0, present, DEFAULT_LABEL_COLOR, None)
                self._event(issue, "unlabeled", actor, label=label)
                return True
        return False

    def set_labels(self, issue: Issue, names: Iterable[str], *, actor: str) -> None:
        wanted = list(dict.fromkeys(names))
        for present in list(issue.labels):
            if present.lower() not in (n.lower() for n in wanted):
                self.remove_label(issue, present, actor=actor)
        self.add_labels(issue, wanted, actor=actor)

    def set_milestone(self, issue: Issue, number: int | None, *, actor: str) -> None:
        if issue.milestone == number:
            return
        if issue.milestone is not None and issue.milestone in self.milestones:
            title = self.milestones[issue.milestone].title
            self._event(issue, "demilestoned", actor, milestone_title=title)
        issue.milestone = number
        if number is not None:
            self._event(issue, "milestoned", actor, milestone_title=self.milestones[number].title)

    def set_state(self, issue: Issue, state: str, *, actor: str, reason: str | None = None) -> None:
        if issue.state == state:
            return
        issue.state = state
        if state == "closed":
            issue.closed_at = self.clock()
            issue.closed_by = actor
            issue.state_reason = reason or "completed"
            self._event(issue, "closed", actor, state_reason=issue.state_reason)
        else:
            issue.closed_at = None
            issue.closed_by = None
            issue.state_reason = "reopened"
            self._event(issue, "reopened", actor)

    def add_comment(self, issue: Issue, body: str, *, author: str) -> Comment:
        now = self.clock()
        self.ensure_user(author)
        comment = Comment(self.next_id(), issue.number, body, author, now, now)
        self.comments[comment.id] = comment
        issue.updated_at = now
        return comment

    def comments_on(self, number: int) -> list[Comment]:
        return [c for c in self.comments.values() if c.issue_number == number]

    # ---- pull requests ----------------------------------------------------------------------------

    def refresh_pull(self, issue: Issue) -> PullInfo:
        """Move the pull request's head and base to where their branches are now."""
        assert issue.pull is not None
        pull = issue.pull
        if pull.merged_at is None:
            head = self.git.ref(f"refs/heads/{pull.head_ref}")
            if head is not None:
                pull.head_sha = head
            base = self.git.ref(f"refs/heads/{pull.base_ref}")
            if base is not None:
                pull.base_sha = base
        return pull

    def pulls(self) -> list[Issue]:
        return [issue for issue in self.issues.values() if issue.pull is not None]

    # ---- checks and statuses ----------------------------------------------------------------------

    def check_runs_for(self, sha: str) -> list[CheckRun]:
        return [run for run in self.check_runs.values() if run.head_sha == sha]

    def check_suite_id(self, sha: str) -> int:
        """Check runs on one commit share a check suite, as runs of one app do on GitHub."""
        if sha not in self.check_suites:
            self.check_suites[sha] = self.next_id()
        return self.check_suites[sha]

    def statuses_for(self, sha: str) -> list[CommitStatus]:
        """Newest first, as GitHub lists them."""
        return sorted((s for s in self.statuses if s.sha == sha), key=lambda s: -s.id)

    # ---- branches ---------------------------------------------------------------------------------

    def protection(self, branch: str) -> dict[str, Any] | None:
        return self.protections.get(branch)

    # ---- workflows and their runs -------------------------------------------------------------

    def workflow_id(self, path: str) -> int:
        """The id of the workflow in file `path`, the same for every run of it."""
        if path not in self.workflow_ids:
            self.workflow_ids[path] = self.next_id()
        return self.workflow_ids[path]

    def add_workflow_run(
        self,
        workflow: str,
        *,
        run_id: int | None = None,
        event: str,
        ref: str | None,
        actor: str,
        status: str,
        conclusion: str | None,
        run_attempt: int,
    ) -> WorkflowRun:
        branch = (ref or self.repo.default_branch).removeprefix("refs/heads/")
        sha = self.git.resolve(branch) or self.git.resolve(self.repo.default_branch) or ""
        number = 1 + sum(r.workflow == workflow for r in self.workflow_runs.values())
        now = self.clock()
        self.ensure_user(actor)
        run = WorkflowRun(
            id=run_id if run_id is not None else self.next_id(),
            workflow=workflow,
            workflow_id=self.workflow_id(workflow),
            name=Path(workflow).stem,
            event=event,
            head_branch=branch,
            head_sha=sha,
            run_number=number,
            actor=actor,
            status=status,
            conclusion=conclusion,
            run_attempt=run_attempt,
            created_at=now,
            updated_at=now,
            run_started_at=now,
        )
        self.workflow_runs[run.id] = run
        return run
