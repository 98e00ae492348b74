"""A fake GitHub REST API for tests: a real HTTP server on 127.0.0.1 over a real bare git repository.

Clients (PyGithub, httpx) talk to it exactly as they talk to GitHub; only the base URL differs::

    with FakeGitHub(tmp_path, files={"README.md": "# demo\\n"}) as github:
        number = github.add_issue("Add a health check", labels=["ready-for-agent"])
        client = Github(base_url=github.url, auth=Auth.Token(github.app_token), retry=None)
        client.get_repo(github.full_name).get_issue(number).create_comment("on it")
        assert [c.body for c in github.comments_on(number)] == ["on it"]

What it does as GitHub does, so that tests catch what GitHub would catch:

- One repository, `fake.full_name`, whose git data lives in a bare repository at `fake.git_dir`:
  tests may `git clone` and `git push` it by path, and the API sees every push. It is also served
  over HTTP at `fake.clone_url` (`{url}/{owner}/{name}.git`), where tokens count as on GitHub.
- Tokens map to users (`Authorization: token X` or `Bearer X`); an unknown token is `401 Bad
  credentials`. Tokens starting `ghs_` (`app_token_prefixes`) are app installation tokens; only
  those may write check runs. A token may carry scopes (a job's GITHUB_TOKEN: its job's
  `permissions`); outside them GitHub's `403 Resource not accessible by integration`.
  The app's JWT (three base64url parts with `iss`; the signature is not checked) buys new ones.
- Every response carries GitHub's rate-limit headers and every GET a strong `ETag`; `If-None-Match`
  answers `304` at no cost. `fake.requests`, `fake.units` and `fake.exchanges` keep the books.
- Faults can be injected: rate limits (secondary, 429, primary), 500, 502, a 502 after the write
  took effect, and a 409 on a contents write.
- Bodies name `https://api.github.com` as GitHub does; the server rewrites it to `fake.url`,
  and `Link` headers name pages by repository id (`/repositories/{id}/issues?page=2`) as GitHub's do.
- A bug of the fake's own is answered as a 500 and fails the test when the fake stops.
- Actions: `POST …/actions/workflows/{workflow_id}/dispatches` records a `workflow_dispatch`
  event (`fake.dispatches`; a runner of the workflows takes them with `fake.take_dispatches()`),
  and `GET …/actions/runs/{run_id}` reads the runs a test or that runner keeps with
  `fake.add_workflow_run` and `fake.set_workflow_run` (see _github/actions.py).
- `fake.checkpoint(where)` keeps all it holds (its repository copied into `where`), and
  `fake.restore(checkpoint)` puts it back, as if nothing had happened since.

Shapes follow GitHub's OpenAPI description; tests/integration/test_fake_github_conformance.py checks
every answer against it.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fakes._github import actions, checks, gitdata, issues, permissions, pulls, repos
from tests.fakes._github.githttp import GitHttp, GitRequest
from tests.fakes._github.gitrepo import BareRepo, Signature, TreeEntry
from tests.fakes._github.model import (
    ROLES,
    WORLD_LIVE,
    App,
    CheckRun,
    Comment,
    CommitStatus,
    Dispatch,
    Event,
    Issue,
    Repo,
    Review,
    ReviewComment,
    Token,
    WorkflowRun,
    World,
    copy_of,
    put_back,
    utc_now,
)
from tests.fakes._github.protocol import Routes
from tests.fakes._github.server import API_LIVE, Api, Exchange, Fault, FaultKind, HttpServer, Served

__all__ = [
    "CheckRun",
    "Checkpoint",
    "Comment",
    "CommitStatus",
    "Dispatch",
    "Event",
    "Exchange",
    "FakeGitHub",
    "FaultKind",
    "GitRequest",
    "Issue",
    "Review",
    "ReviewComment",
    "Served",
    "WorkflowRun",
]


def _all_routes() -> Routes:
    table = Routes()
    for module in (repos, issues, pulls, checks, gitdata, actions):
        table.extend(module.routes)
    return table


@dataclass(frozen=True)
class Checkpoint:
    """All a FakeGitHub held at one moment: its state, its books, a copy of its repository."""

    world: Mapping[str, Any]
    api: Mapping[str, Any]
    git: Path
    ahead: timedelta


class FakeGitHub:
    """One fake GitHub serving one repository. Use it as a context manager, or `start`/`stop`.

    Out of the box it knows three accounts: the organization that owns the repository
    (`owner`), a human admin (`admin_login`, personal token `admin_token`) and the app's bot
    (`bot_login`, installation token `app_token`, role write).
    """

    def __init__(
        self,
        root: Path,
        *,
        owner: str = "octo-org",
        repo: str = "widgets",
        files: Mapping[str, str | bytes] | None = None,
        default_branch: str = "main",
        private: bool = False,
        app_slug: str = "baton-bot",
        app_id: int = 424242,
        installation_id: int = 31337,
        app_token_prefixes: tuple[str, ...] = ("ghs_",),
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._app_token_prefixes = app_token_prefixes
        self._ahead = timedelta(0)  # how far `pass_time` moved GitHub's clock
        started = clock()
        git = BareRepo.create(
            root / "fake-github" / owner / f"{repo}.git",
            files if files is not None else {"README.md": f"# {repo}\n"},
            branch=default_branch,
            message="Initial commit",
            author=Signature("Octo Cat", "octocat@example.invalid", started),
        )
        self._world = World(
            repo=Repo(owner, repo, 1_000_000, default_branch, started, private=private),
            git=git,
            app=App(app_id, app_slug, app_slug.replace("-", " ").title(), owner, installation_id),
            clock=lambda: clock() + self._ahead,
        )
        self._world.ensure_user(owner, type="Organization", role="admin")
        self.admin_login = "octocat"
        self.admin_token = "ghp_fakeAdminPersonalAccessToken0000000000"
        self.add_user(self.admin_login, role="admin", token=self.admin_token)
        self.bot_login = self._world.app.bot_login
        self.app_token = "ghs_fakeInstallationToken00000000000000000"
        self.add_user(self.bot_login, role="write", bot=True, token=self.app_token)
        self._api = Api(self._world, _all_routes(), base_url=lambda: self.url)
        self._git_http = GitHttp(self._world, root / "fake-github")
        self._server = HttpServer(self._api, self._git_http)

    # ---- running --------------------------------------------------------------------------------------

    def start(self) -> FakeGitHub:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()
        self._world.git.close()

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
        if exc is None and self._api.failures:
            raise AssertionError(
                "the fake GitHub itself failed while answering; fix the fake:\n"
                + "\n".join(repr(error) for error in self._api.failures)
            ) from self._api.failures[0]

    def checkpoint(self, where: Path) -> Checkpoint:
        """All it holds now, its repository copied into `where` (a new directory)."""
        with self._world.lock:
            shutil.copytree(self.git_dir, where, symlinks=True)
            return Checkpoint(
                copy_of(self._world, WORLD_LIVE), copy_of(self._api, API_LIVE), where, self._ahead
            )

    def restore(self, checkpoint: Checkpoint) -> None:
        """Back to `checkpoint`: what was made since, in the API and in git, is gone."""
        with self._world.lock:
            self._world.git.close()
            shutil.rmtree(self.git_dir)
            shutil.copytree(checkpoint.git, self.git_dir, symlinks=True)
            # A new reader: the old one knows objects that may be gone.
            self._world.git = BareRepo(self.git_dir)
            put_back(self._world, checkpoint.world)
            put_back(self._api, checkpoint.api)
            self._ahead = checkpoint.ahead

    @property
    def url(self) -> str:
        """The API's base URL, e.g. `http://127.0.0.1:54321` (give it to clients as `base_url`)."""
        return self._server.url

    @property
    def git_dir(self) -> Path:
        """The bare repository behind the API; `git clone` and `git push` it by path."""
        return self._world.git_dir

    @property
    def server_url(self) -> str:
        """Where the web and git addresses are (`GITHUB_SERVER_URL`): the API's own address."""
        return self.url

    @property
    def clone_url(self) -> str:
        """The repository's git address over HTTP, as GitHub names it (`…/owner/name.git`)."""
        return f"{self.url}/{self.full_name}.git"

    @property
    def owner(self) -> str:
        return self._world.repo.owner

    @property
    def name(self) -> str:
        return self._world.repo.name

    @property
    def full_name(self) -> str:
        return self._world.repo.full_name

    @property
    def default_branch(self) -> str:
        return self._world.repo.default_branch

    @property
    def app_id(self) -> int:
        return self._world.app.id

    @property
    def installation_id(self) -> int:
        return self._world.app.installation_id

    # ---- people and tokens ----------------------------------------------------------------------------

    def add_user(
        self, login: str, *, role: str = "none", bot: bool = False, token: str | None = None
    ) -> str:
        """A GitHub account with a role on the repository (admin, maintain, write, triage, read,
        none); with `token`, that token authenticates as the account. Returns the login."""
        with self._world.lock:
            self._world.ensure_user(login, type="Bot" if bot else "User", role=role)
            if token is not None:
                self.add_token(token, login)
        return login

    def add_token(self, token: str, login: str, *, scopes: Mapping[str, str] | None = None) -> None:
        """`token` authenticates as `login`; it is an app token if it has an app token's prefix.

        With `scopes` (GitHub's permission names and `read` or `write`, e.g. `{"issues":
        "write"}`), the token may do only that, as a job's GITHUB_TOKEN may do only its job's
        `permissions`; `metadata: read` is always granted."""
        unknown = set(scopes or {}) - permissions.NAMES
        bad = {level for level in (scopes or {}).values() if level not in permissions.LEVELS}
        if unknown or bad:
            raise ValueError(f"unknown permissions or levels: {sorted(unknown | bad)}")
        with self._world.lock:
            self._world.ensure_user(login)
            app = token.startswith(self._app_token_prefixes)
            frozen = dict(scopes) if scopes is not None else None
            self._world.tokens[token] = Token(token, login, app=app, scopes=frozen)

    def revoke_token(self, token: str) -> None:
        """The token authenticates no more (as a job's GITHUB_TOKEN when the job ends)."""
        with self._world.lock:
            self._world.tokens.pop(token, None)

    def set_permission(self, login: str, role: str) -> None:
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        with self._world.lock:
            self._world.ensure_user(login, role=role)

    # ---- seeding --------------------------------------------------------------------------------------

    def add_label(
        self, name: str, *, color: str = "ededed", description: str | None = None
    ) -> None:
        with self._world.lock:
            self._world.ensure_label(name, color=color, description=description)

    def add_milestone(
        self,
        title: str,
        *,
        description: str | None = None,
        state: str = "open",
        due_on: datetime | None = None,
    ) -> int:
        """A milestone; returns its number."""
        with self._world.lock:
            return self._world.add_milestone(
                title, creator=self.admin_login, description=description, state=state, due_on=due_on
            ).number

    def add_issue(
        self,
        title: str,
        body: str | None = "",
        *,
        labels: Iterable[str] = (),
        milestone: int | str | None = None,
        author: str | None = None,
        assignees: Iterable[str] = (),
        state: str = "open",
        blocked_by: Iterable[int] = (),
        blocked_elsewhere: Iterable[tuple[str, int]] = (),
    ) -> int:
        """An issue as its author files it (labels are added by the author, with events).

        `milestone` is a number or a title (made if it does not exist). Returns the number."""
        with self._world.lock:
            world = self._world
            author = author or self.admin_login
            number = None
            if isinstance(milestone, str):
                found = [m for m in world.milestones.values() if m.title == milestone]
                number = found[0].number if found else self.add_milestone(milestone)
            elif milestone is not None:
                number = milestone
            issue = world.new_issue(
                title,
                author=author,
                body=body,
                labels=labels,
                milestone=number,
                assignees=assignees,
            )
            issue.blocked_by = list(blocked_by)
            issue.blocked_elsewhere = list(blocked_elsewhere)
            if state != "open":
                world.set_state(issue, state, actor=author)
            return issue.number

    def pass_time(self, seconds: float) -> None:
        """GitHub's clock moves on by `seconds`: what happens next is stamped later (its times
        are whole seconds, as GitHub's are, so two steps within one second share a time)."""
        with self._world.lock:
            self._ahead += timedelta(seconds=seconds)

    def label_issue(self, number: int, label: str, *, actor: str | None = None) -> None:
        """`actor` labels the issue (a `labeled` event, as when a maintainer applies a label)."""
        with self._world.lock:
            self._world.add_labels(self.issue(number), [label], actor=actor or self.admin_login)

    def unlabel_issue(self, number: int, label: str, *, actor: str | None = None) -> None:
        with self._world.lock:
            self._world.remove_label(self.issue(number), label, actor=actor or self.admin_login)

    def add_comment(self, number: int, body: str, *, author: str | None = None) -> int:
        """A comment on an issue or pull request; returns the comment's id."""
        with self._world.lock:
            issue = self.issue(number)
            return self._world.add_comment(issue, body, author=author or self.admin_login).id

    def close_issue(self, number: int, *, reason: str = "completed") -> None:
        """A maintainer closes the issue (`completed` or `not_planned`)."""
        with self._world.lock:
            self._world.set_state(
                self.issue(number), "closed", actor=self.admin_login, reason=reason
            )

    def block(self, number: int, *, by: int) -> None:
        """Issue `number` is blocked by issue `by` (GitHub's issue dependencies)."""
        with self._world.lock:
            self.issue(number).blocked_by.append(by)

    def create_branch(self, branch: str, at: str | None = None) -> str:
        """A branch at `at` (a branch name or SHA; default: the default branch). Returns its SHA."""
        with self._world.lock:
            git = self._world.git
            sha = git.resolve(at or self.default_branch)
            if sha is None:
                raise ValueError(f"no branch or commit named {at!r}")
            git.update_ref(f"refs/heads/{branch}", sha, None)
            return sha

    def commit(
        self,
        branch: str,
        files: Mapping[str, str | bytes | None],
        message: str = "Change files",
        *,
        base: str | None = None,
        author: str | None = None,
    ) -> str:
        """A commit on `branch` (made from `base`, default the default branch, if it does not
        exist) setting each path to its text, or deleting it for None — as a push would.
        Returns the commit's SHA."""
        with self._world.lock:
            git = self._world.git
            ref = f"refs/heads/{branch}"
            parent = git.ref(ref)
            start = parent or git.resolve(base or self.default_branch)
            if start is None:
                raise ValueError(f"no branch or commit named {base!r}")
            edits: dict[str, TreeEntry | None] = {}
            for path, content in files.items():
                if content is None:
                    edits[path] = None
                else:
                    data = content.encode() if isinstance(content, str) else content
                    edits[path] = TreeEntry("100644", "blob", git.write_blob(data), path)
            tree = git.edit_tree(git.read_commit(start).tree, edits)
            who = self._world.signature(author or self.admin_login)
            sha = git.commit_tree(tree, [start], message, author=who, committer=who)
            git.update_ref(ref, sha, parent)
            return sha

    def protect_branch(
        self,
        branch: str,
        *,
        required_checks: Iterable[str] = (),
        required_reviews: int | None = 1,
        enforce_admins: bool = False,
    ) -> None:
        """Classic branch protection, as `PUT .../branches/{branch}/protection` would set it."""
        checks_ = list(required_checks)
        with self._world.lock:
            self._world.protections[branch] = {
                "required_status_checks": {"strict": False, "contexts": checks_}
                if checks_
                else None,
                "enforce_admins": enforce_admins,
                "required_pull_request_reviews": (
                    {"required_approving_review_count": required_reviews}
                    if required_reviews is not None
                    else None
                ),
                "restrictions": None,
            }

    # ---- Actions: workflow runs and dispatches -------------------------------------------------------

    def add_workflow_run(
        self,
        workflow: str = ".github/workflows/baton.yml",
        *,
        run_id: int | None = None,
        event: str = "schedule",
        ref: str | None = None,
        actor: str | None = None,
        status: str = "in_progress",
        conclusion: str | None = None,
        run_attempt: int = 1,
    ) -> int:
        """A run of the workflow in file `workflow`, as Actions starts one (GitHub's API only
        reads runs): its id (`run_id`, or a new one), the event and ref it ran for, its status
        (queued, in_progress, completed, ...) and, once completed, its conclusion (success,
        failure, cancelled, timed_out, ...). Returns the run's id."""
        _check_run_status(status, conclusion)
        with self._world.lock:
            return self._world.add_workflow_run(
                workflow,
                run_id=run_id,
                event=event,
                ref=ref,
                actor=actor or self.admin_login,
                status=status,
                conclusion=conclusion,
                run_attempt=run_attempt,
            ).id

    def set_workflow_run(
        self,
        run_id: int,
        *,
        status: str | None = None,
        conclusion: str | None = None,
        run_attempt: int | None = None,
    ) -> None:
        """A run moves on: a new status (`completed` with its conclusion), or a re-run (a new
        attempt, queued or in progress again)."""
        with self._world.lock:
            run = self.workflow_run(run_id)
            new_status = status or run.status
            new_conclusion = conclusion if new_status == "completed" else None
            _check_run_status(new_status, new_conclusion)
            run.status, run.conclusion = new_status, new_conclusion
            if run_attempt is not None:
                run.run_attempt = run_attempt
                run.run_started_at = self._world.clock()
            run.updated_at = self._world.clock()

    def workflow_run(self, run_id: int) -> WorkflowRun:
        with self._world.lock:
            run = self._world.workflow_runs.get(run_id)
            if run is None:
                raise KeyError(f"no workflow run {run_id}")
            return run

    @property
    def dispatches(self) -> list[Dispatch]:
        """Every `workflow_dispatch` event created through the API, oldest first."""
        with self._world.lock:
            return list(self._world.dispatches)

    def take_dispatches(self) -> list[Dispatch]:
        """The dispatches not taken before, oldest first, now taken: what a runner of the
        repository's workflows has yet to start."""
        with self._world.lock:
            world = self._world
            new = world.dispatches[world.dispatches_taken :]
            world.dispatches_taken = len(world.dispatches)
            return new

    # ---- faults and limits ----------------------------------------------------------------------------

    def fail_next(
        self,
        kind: FaultKind | str,
        *,
        times: int = 1,
        method: str | None = None,
        path: str | None = None,
        retry_after: int = 1,
    ) -> None:
        """The next `times` requests matching `method` and `path` (a glob over the URL path, e.g.
        `/repos/*/issues/*/comments`) fail as `kind` says. `retry_after` is the `retry-after`
        header of rate-limit faults, and the seconds to the reset of a primary limit."""
        with self._world.lock:
            self._api.faults.append(Fault(FaultKind(kind), times, method, path, retry_after))

    def conflict_next_contents_put(self) -> None:
        """The next contents PUT answers 409 (the file moved on under it) and writes nothing."""
        self.fail_next(FaultKind.CONFLICT, method="PUT", path="/repos/*/contents/*")

    def set_rate_limit(
        self, login: str, *, limit: int | None = None, used: int | None = None
    ) -> None:
        """The primary rate limit of `login`'s requests (app installations share the bot's)."""
        with self._world.lock:
            bucket = self._api.bucket(login)
            if limit is not None:
                bucket.limit = limit
            if used is not None:
                bucket.used = used

    # ---- the books ------------------------------------------------------------------------------------

    @property
    def exchanges(self) -> list[Exchange]:
        """Every request and answer, whole, oldest first."""
        with self._world.lock:
            return list(self._api.exchanges)

    @property
    def git_requests(self) -> list[GitRequest]:
        """Every fetch and push over the repository's git address, oldest first."""
        with self._world.lock:
            return list(self._git_http.requests)

    @property
    def requests(self) -> list[Served]:
        """`(method, path, status)` of every request served, oldest first."""
        return [Served(e.method, e.path, e.status) for e in self.exchanges]

    @property
    def units(self) -> int:
        """Primary rate-limit units spent; a 304 and `GET /rate_limit` cost nothing."""
        with self._world.lock:
            return self._api.units

    @property
    def endpoints(self) -> list[tuple[str, str]]:
        """`(method, path template)` of every endpoint the fake serves, as GitHub's description
        names them."""
        return [(route.method, route.template) for route in self._api.routes.routes]

    def reset_counters(self) -> None:
        with self._world.lock:
            self._api.exchanges.clear()
            self._api.units = 0

    # ---- state, read back -----------------------------------------------------------------------------
    # The records returned are the fake's own: read them, do not change them.

    def issue(self, number: int) -> Issue:
        """An issue or pull request (`issue.pull` is set for a pull request)."""
        with self._world.lock:
            issue = self._world.issues.get(number)
            if issue is None:
                raise KeyError(f"no issue #{number}")
            return issue

    def labels_of(self, number: int) -> list[str]:
        return list(self.issue(number).labels)

    def events_of(self, number: int) -> list[Event]:
        return list(self.issue(number).events)

    def comments_on(self, number: int) -> list[Comment]:
        with self._world.lock:
            return self._world.comments_on(number)

    def pulls(self) -> list[Issue]:
        with self._world.lock:
            return self._world.pulls()

    def reviews_on(self, number: int) -> list[Review]:
        with self._world.lock:
            return [r for r in self._world.reviews.values() if r.pull_number == number]

    def review_comments_on(self, number: int) -> list[ReviewComment]:
        with self._world.lock:
            return [c for c in self._world.review_comments.values() if c.pull_number == number]

    def check_runs(self, sha: str | None = None) -> list[CheckRun]:
        with self._world.lock:
            runs = list(self._world.check_runs.values())
            return [r for r in runs if sha is None or r.head_sha == sha]

    def statuses(self, sha: str | None = None) -> list[CommitStatus]:
        with self._world.lock:
            return [s for s in self._world.statuses if sha is None or s.sha == sha]

    def branch_sha(self, branch: str) -> str | None:
        return self._world.git.ref(f"refs/heads/{branch}")

    def read_file(self, path: str, ref: str | None = None) -> str | None:
        """The text of `path` at `ref` (default: the default branch) in the bare repository."""
        git = self._world.git
        commit = git.resolve(ref or self.default_branch)
        entry = git.entry_at(commit, path) if commit else None
        if entry is None or entry.type != "blob":
            return None
        return git.read_blob(entry.sha).decode()

    def commit_messages(self, ref: str | None = None) -> list[str]:
        """Messages of the commits reachable from `ref`, newest first."""
        out = self._world.git.git("log", "--format=%B%x00", ref or self.default_branch)
        return [m.strip() for m in out.decode().split("\0") if m.strip()]

    def state(self) -> World:
        """The whole state (`World`), for the rare test that needs more than the helpers above."""
        return self._world


def _check_run_status(status: str, conclusion: str | None) -> None:
    if status not in actions.RUN_STATUSES:
        raise ValueError(f"status must be one of {', '.join(actions.RUN_STATUSES)}, not {status!r}")
    if status == "completed" and conclusion not in actions.RUN_CONCLUSIONS:
        raise ValueError(
            f"a completed run's conclusion must be one of {', '.join(actions.RUN_CONCLUSIONS)}"
        )
    if status != "completed" and conclusion is not None:
        raise ValueError("only a completed run has a conclusion")


def app_private_key() -> str:
    """A new private key in PEM, as GitHub gives an App's owner (the fake checks the JWT's
    shape and App id, not its signature)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
