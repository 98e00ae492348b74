"""The Reports port on GitHub: comments on issues and pull requests, the status labels, the
chain's pull request, check runs (or commit statuses), line reviews and review replies. Each
verb writes what it is given; what to write, and when, is the core's (`bot.publishing`)."""

from __future__ import annotations

import contextlib
from functools import partial
from typing import Any

from bot.errors import NotFound
from bot.forge import CheckRun
from bot.forge.github import checks
from bot.forge.github.repo import Repo
from bot.markers import has_marker


class GitHubReports:
    def __init__(self, repo: Repo) -> None:
        self.repo = repo

    def ensure_comment(
        self, issue: int, mark: str, body: str, known_id: int | None, *, lookup: bool
    ) -> int:
        return self.repo.ensure_comment(issue, mark, body, known_id, lookup=lookup)

    def set_labels(self, issue: int, add: str | None, remove: list[str]) -> None:
        issue_obj = self.repo.gh_repo.get_issue(issue)
        if add is not None:
            self.repo.api.call(lambda: issue_obj.add_to_labels(add), write=True)
        for label in remove:
            with contextlib.suppress(NotFound):  # already gone is fine
                self.repo.api.call(partial(issue_obj.remove_from_labels, label), write=True)

    def ensure_pull_request(
        self, known: int | None, *, base: str, head: str, title: str, body: str, lookup: bool
    ) -> int:
        body = self.repo.redact(body)
        gh = self.repo.gh_repo
        number = known
        if number is None and lookup:
            open_prs = self.repo.api.get_json(
                f"{self.repo.path}/pulls", {"state": "open", "head": f"{self.repo.owner}:{head}"}
            )
            number = int(open_prs[0]["number"]) if open_prs else None
        if number is None:
            pr = self.repo.api.call(
                lambda: gh.create_pull(base=base, head=head, title=title, body=body), write=True
            )
            return int(pr.number)
        pull = gh.get_pull(number)
        self.repo.api.call(lambda: pull.edit(body=body), write=True)
        return number

    def ensure_check_run(
        self, sha: str, run: CheckRun, external_id: str, known_id: int | None, *, lookup: bool
    ) -> int:
        existing = known_id
        if existing is None and lookup:
            existing = checks.find_check_run(self.repo, sha, run.name, external_id)
        if existing is None:
            existing = checks.create_check_run(self.repo, sha, run, external_id)
        return existing

    def set_commit_status(self, sha: str, context: str, state: str, description: str) -> None:
        checks.set_commit_status(self.repo, sha, context, state, description)

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
        path = f"{self.repo.path}/pulls/{pr}/reviews"
        login = self.repo.bot_login
        existing = None
        if lookup:
            existing = next(
                (
                    r["id"]
                    for r in self.repo.api.get_pages(path)
                    if has_marker(r.get("body"), (r.get("user") or {}).get("login"), login, mark)
                ),
                None,
            )
        if existing is None:
            answer = self.repo.api.send(
                "POST",
                path,
                {
                    "commit_id": commit,
                    "body": self.repo.redact(body),
                    "event": "COMMENT",
                    "comments": [{**c, "body": self.repo.redact(str(c["body"]))} for c in comments],
                },
            )
            existing = answer["id"]
        return int(existing)

    def reply(self, pr: int, body: str, comment_id: int | None) -> int:
        body = self.repo.redact(body)
        pull = self.repo.gh_repo.get_pull(pr)
        if comment_id is not None:
            thread = comment_id
            reply = self.repo.api.call(
                lambda: pull.create_review_comment_reply(thread, body), write=True
            )
        else:
            reply = self.repo.api.call(lambda: pull.create_issue_comment(body), write=True)
        return int(reply.id)
