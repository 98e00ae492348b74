"""One repository on GitHub as Baton sees it: the client, the repository's name, the login Baton
writes as (its markers are trusted only in what that login wrote) and the redactor every text
goes through before it is sent."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.forge.github.client import GitHubApi
from bot.markers import has_marker
from bot.redact import Redactor


@dataclass
class Repo:
    api: GitHubApi
    full_name: str
    bot_login: str
    redact: Redactor

    @property
    def path(self) -> str:
        return f"/repos/{self.full_name}"

    @property
    def owner(self) -> str:
        return self.full_name.split("/")[0]

    @property
    def gh_repo(self) -> Any:
        return self.api.gh.get_repo(self.full_name)

    def comment_with_marker(self, number: int, mark: str) -> tuple[int, str] | None:
        """Baton's own comment carrying `mark` on issue or PR `number`: (id, body)."""
        for c in self.api.get_pages(f"{self.path}/issues/{number}/comments"):
            if has_marker(c.get("body"), (c.get("user") or {}).get("login"), self.bot_login, mark):
                return int(c["id"]), str(c.get("body") or "")
        return None

    def ensure_comment(
        self, number: int, mark: str, body: str, known_id: int | None, *, lookup: bool = True
    ) -> int:
        """Create or update Baton's comment carrying `mark`; returns its id. Without a known id,
        the comment is looked for first (unless `lookup` is off: it cannot exist yet)."""
        body = self.redact(body)
        issue = self.gh_repo.get_issue(number)
        found: tuple[int, str | None] | None = None
        if known_id:
            found = (known_id, None)
        elif lookup:
            found = self.comment_with_marker(number, mark)
        if found is not None:
            comment_id, old = found
            if old != body:
                comment = issue.get_comment(comment_id)
                self.api.call(lambda: comment.edit(body), write=True)
            return comment_id
        created = self.api.call(lambda: issue.create_comment(body), write=True)
        return int(created.id)


def bot_login_from_env(environ: Mapping[str, str]) -> str:
    return environ.get("BATON_BOT_LOGIN") or "github-actions[bot]"


def remote_url(full_name: str, environ: Mapping[str, str]) -> str:
    if environ.get("BATON_GIT_REMOTE"):
        return environ["BATON_GIT_REMOTE"]
    server = environ.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    return f"{server}/{full_name}.git"
