"""The Forge ports: plain verbs over plain data. The core decides what the outside world should
show (`bot.outbox`) and when (`bot.publishing`); an adapter only performs the verbs and never
reads or writes the chain's state.

`Forge` moves the chain's branch, reads what a validation job left and commits files the core
computed; `Reports` writes comments, labels, the pull request, check runs and reviews. Local mode
(`LocalForge`) keeps everything in the repository and reports nothing; GitHub mode is
`bot.forge.github`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from bot.errors import WorkspaceError
from bot.workspace import Git

Read = Callable[[str], str]
"""A file's text where the files are written, by repository path ("" when there is none)."""
Files = Callable[[Read], dict[str, str]]
"""The files to write, by repository path, computed from what is there now."""


@dataclass(frozen=True)
class CheckRun:
    """A completed check run: its annotations in the requests they go in (GitHub takes at most
    50 per request, and one request at least)."""

    name: str
    conclusion: Literal["success", "failure"]
    title: str
    summary: str
    batches: list[list[dict[str, Any]]]
    text: str | None = None


@dataclass(frozen=True)
class LabelledBody:
    """An issue's body as the `labeled` event that applied its trigger label carried it, and who
    applied the label: the ticket, when that person may start work (`bot.forge.github.frozen`)."""

    issue: int
    sender: str
    body: str


class Forge(Protocol):
    def open_branch(self, git: Git, branch: str) -> None:
        """Make `branch` (made by an earlier run) available in the working copy."""
        ...

    def push(self, git: Git, branch: str) -> None:
        """The working copy's HEAD is now `branch` (prepared, committed, returned to a
        checkpoint): publish it where it needs to be seen."""
        ...

    def fetch(self, git: Git, branch: str) -> None:
        """Bring a branch a cloud agent pushed into the working copy's FETCH_HEAD."""
        ...

    def check_run_texts(self, sha: str, name: str, external_id: str) -> list[tuple[int, str]]:
        """(id, text) of the completed check runs `name` with `external_id` on commit `sha`."""
        ...

    def publish_files(self, git: Git, files: Files, message: str) -> str | None:
        """Commit `files` where this forge keeps the knowledge base; the commit that holds them.
        Raises ProtectedBranch when it takes no direct writes."""
        ...

    def propose_files(
        self, git: Git, branch: str, files: Files, *, message: str, title: str, body: str
    ) -> str | None:
        """Offer `files` for people to accept (a pull request from `branch`, or a commit of its
        own); never rewrite theirs. The commit that holds them."""
        ...


class Reports(Protocol):
    """Writes people read. Each verb is safe to repeat: without a known id, a `lookup` finds what
    an earlier, interrupted try wrote (by its marker or external id) before anything is made."""

    def ensure_comment(
        self, issue: int, mark: str, body: str, known_id: int | None, *, lookup: bool
    ) -> int: ...

    def set_labels(self, issue: int, add: str | None, remove: list[str]) -> None:
        """Add `add`, remove `remove` (a label already gone is fine)."""
        ...

    def ensure_pull_request(
        self, known: int | None, *, base: str, head: str, title: str, body: str, lookup: bool
    ) -> int:
        """The open pull request from `head` with `body`: updated when known or found, else
        opened. Its number."""
        ...

    def ensure_check_run(
        self, sha: str, run: CheckRun, external_id: str, known_id: int | None, *, lookup: bool
    ) -> int:
        """A check run written once: the known or found one, else a new one. Raises Forbidden
        when the token may not write check runs (a personal token)."""
        ...

    def set_commit_status(self, sha: str, context: str, state: str, description: str) -> None: ...

    def ensure_review(
        self,
        pr: int,
        mark: str,
        commit: str | None,
        body: str,
        comments: list[dict[str, Any]],
        *,
        lookup: bool,
    ) -> int:
        """A pull-request review with comments on lines, written once; its id."""
        ...

    def reply(self, pr: int, body: str, comment_id: int | None) -> int:
        """Answer in a review comment's thread (`comment_id`), or on the pull request."""
        ...


class LocalForge:
    """Local mode: nothing to report; the knowledge base is committed on the chain's branch.

    With a `remote` (a cloud agent needs one to reach the code), the chain's branch is pushed
    there after every move and the agent's branches are fetched from it."""

    def __init__(self, remote: str | None = None) -> None:
        self.remote = remote

    def open_branch(self, _git: Git, _branch: str) -> None:
        return None

    def push(self, git: Git, branch: str) -> None:
        if self.remote:
            git.run("push", "-q", "--force", self.remote, f"HEAD:refs/heads/{branch}")

    def fetch(self, git: Git, branch: str) -> None:
        if not self.remote:
            raise WorkspaceError(
                f"the agent pushed `{branch}`, but this repository has no remote to fetch it from",
                hint="add the remote the agent pushes to (`git remote add origin URL`)",
            )
        git.run("fetch", "-q", self.remote, branch)

    def check_run_texts(self, _sha: str, _name: str, _external_id: str) -> list[tuple[int, str]]:
        return []  # local mode validates inline

    def publish_files(self, git: Git, files: Files, message: str) -> str | None:
        _write(Path(git.root), files)
        return git.commit_all(message)

    def propose_files(
        self, git: Git, _branch: str, files: Files, *, message: str, title: str, body: str
    ) -> str | None:
        """A commit of its own on the chain's branch: people take it or revert it."""
        del title, body  # a pull request's; a local commit has only its message
        if not _write(Path(git.root), files):
            return None
        return git.commit_all(message)


def _write(root: Path, files: Files) -> list[Path]:
    """`files` written into the working copy at `root`; their paths."""

    def read(path: str) -> str:
        file = root / path
        return file.read_text(encoding="utf-8") if file.exists() else ""

    paths = []
    for name, text in files(read).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths
