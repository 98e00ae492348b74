"""The Forge port on GitHub: the chain's branch pushed and fetched with git (push credentials
through the environment only), files committed through the git data API (what is there now is
read through git, which costs no rate limit), and pull requests proposing files."""

from __future__ import annotations

import base64
import contextlib

from bot.errors import Conflict, ForgeError, Unanswered, Unprocessable
from bot.forge import Files
from bot.forge.github import checks
from bot.forge.github.repo import Repo
from bot.workspace import Git, decoded


class GitHubForge:
    def __init__(
        self, repo: Repo, *, remote: str, push_token: str | None, default_branch: str
    ) -> None:
        self.repo = repo
        self.remote = remote
        self.push_token = push_token
        self.default_branch = default_branch

    def _git_env(self) -> dict[str, str]:
        """Push credentials through the environment only: never in git config, a URL or a log."""
        if not self.remote.startswith("http"):
            return {}
        # Without a token of its own (a GitHub App), git pushes with the installation's token.
        token = self.push_token or self.repo.api.git_token()
        if not token:
            return {}
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        return {
            "GIT_CONFIG_COUNT": "1",
            "GIT_CONFIG_KEY_0": "http.extraHeader",
            "GIT_CONFIG_VALUE_0": f"AUTHORIZATION: basic {basic}",
        }

    def open_branch(self, git: Git, branch: str) -> None:
        if git.run("rev-parse", "--verify", "-q", f"refs/heads/{branch}", check=False):
            return
        git.run_env(self._git_env(), "fetch", "-q", self.remote, f"{branch}:{branch}")

    def fetch(self, git: Git, branch: str) -> None:
        git.run_env(self._git_env(), "fetch", "-q", self.remote, branch)

    def push(self, git: Git, branch: str) -> None:
        git.run_env(
            self._git_env(), "push", "-q", "--force", self.remote, f"HEAD:refs/heads/{branch}"
        )

    def check_run_texts(self, sha: str, name: str, external_id: str) -> list[tuple[int, str]]:
        return checks.completed_texts(self.repo, sha, name, external_id)

    def publish_files(self, git: Git, files: Files, message: str) -> str | None:
        """One commit on the default branch. Raises ProtectedBranch when it takes none."""
        last: ForgeError | None = None
        for _ in range(3):
            try:
                return self._commit_files(git, self.default_branch, files, message)
            except (Conflict, Unprocessable, Unanswered) as exc:
                # Not a fast forward (someone pushed), or no answer (it may have happened):
                # either way, read the branch again: a commit already there is not made twice.
                last = exc
        if isinstance(last, Unanswered):
            raise last
        raise ForgeError(
            "the default branch kept moving while Baton committed its knowledge"
        ) from last

    def propose_files(
        self, git: Git, branch: str, files: Files, *, message: str, title: str, body: str
    ) -> str | None:
        """Commit on `branch` (made from the default branch when missing) and keep one open
        pull request for it."""
        api = self.repo.api
        base, _ = self._remote_head(git, self.default_branch)
        with contextlib.suppress(Unprocessable):  # it exists: build on it
            api.send(
                "POST", f"{self.repo.path}/git/refs", {"ref": f"refs/heads/{branch}", "sha": base}
            )
        sha = self._commit_files(git, branch, files, message, force=True)
        open_prs = api.get_json(
            f"{self.repo.path}/pulls", {"state": "open", "head": f"{self.repo.owner}:{branch}"}
        )
        if not open_prs and sha != base:
            gh = self.repo.gh_repo
            api.call(
                lambda: gh.create_pull(
                    base=self.default_branch, head=branch, title=title, body=body
                ),
                write=True,
            )
        return sha

    def _remote_head(self, git: Git, branch: str) -> tuple[str, str]:
        """The branch's head on the remote, fetched (git costs no rate limit), and its tree."""
        local = f"refs/baton/remote/{branch}"
        git.run_env(
            self._git_env(),
            "fetch",
            "-q",
            "--no-tags",
            self.remote,
            f"+refs/heads/{branch}:{local}",
        )
        head, tree = git.run("rev-parse", local, f"{local}^{{tree}}").split()
        return head, tree

    def _commit_files(
        self, git: Git, branch: str, files: Files, message: str, *, force: bool = False
    ) -> str:
        """One commit on `branch` with `files(read)` written over its tree (`read` gives a file's
        text there now); no commit when that changes nothing (a repeated run)."""
        head, tree = self._remote_head(git, branch)
        wanted = files(lambda path: decoded(git.files_at(head, [path])[path]))
        if not wanted:
            return head
        entries = [
            {"path": path, "mode": "100644", "type": "blob", "content": self.repo.redact(text)}
            for path, text in sorted(wanted.items())
        ]
        api, base = self.repo.api, self.repo.path
        new_tree = api.send("POST", f"{base}/git/trees", {"base_tree": tree, "tree": entries})[
            "sha"
        ]
        if new_tree == tree:
            return head
        commit = api.send(
            "POST", f"{base}/git/commits", {"message": message, "tree": new_tree, "parents": [head]}
        )["sha"]
        api.send("PATCH", f"{base}/git/refs/heads/{branch}", {"sha": commit, "force": force})
        return str(commit)
