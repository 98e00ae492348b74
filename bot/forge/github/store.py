"""The state's file on GitHub: `state.json` on the `baton/state` branch, read and written through
the contents API, whose blob sha is the version a write must be made over."""

from __future__ import annotations

import base64
from typing import Any

from github import InputGitTreeElement

from bot.errors import NotFound
from bot.forge.github.repo import Repo

STATE_BRANCH = "baton/state"
STATE_FILE = "state.json"


class GitHubStateFile:
    where = f"{STATE_FILE} on the {STATE_BRANCH} branch"

    def __init__(self, repo: Repo) -> None:
        self.repo = repo

    def read(self) -> tuple[str, bytes] | None:
        try:
            data = self.repo.api.get_json(
                f"{self.repo.path}/contents/{STATE_FILE}", {"ref": STATE_BRANCH}
            )
        except NotFound:
            return None
        return str(data["sha"]), base64.b64decode(data["content"])

    def write(self, text: str, message: str, version: str | None) -> str:
        if version is None:
            return self._create_branch(text, message)
        repo = self.repo.gh_repo
        return str(
            self.repo.api.call(
                lambda: repo.update_file(STATE_FILE, message, text, version, branch=STATE_BRANCH),
                write=True,
            )["content"].sha
        )

    def _create_branch(self, text: str, message: str) -> str:
        """The first save: an orphan branch holding only state.json."""
        repo = self.repo.gh_repo
        api = self.repo.api
        blob = api.call(lambda: repo.create_git_blob(text, "utf-8"), write=True)
        tree = api.call(
            lambda: repo.create_git_tree([_tree_element(STATE_FILE, blob.sha)]),
            write=True,
        )
        commit = api.call(lambda: repo.create_git_commit(message, tree, []), write=True)
        api.call(lambda: repo.create_git_ref(f"refs/heads/{STATE_BRANCH}", commit.sha), write=True)
        return str(blob.sha)


def _tree_element(path: str, sha: str) -> Any:
    return InputGitTreeElement(path, "100644", "blob", sha=sha)
