"""GitHub mode: issues as tickets, reports on issues and the chain's pull request, state on a
`baton/state` branch, the knowledge base committed through the git data API.

Every write is repeatable: what Baton wrote is recorded in the chain's state (`reports`), found
again by a hidden marker when the record is missing, and only rewritten when it changed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from github import InputGitTreeElement

from bot.chain_file import ChainFile
from bot.config import Config
from bot.errors import BatonError, ForgeError, Problem, StateConflict, WorkspaceError
from bot.forge.github_api import GitHubApi
from bot.forge.names import chain_of_issue, issue_number
from bot.handover import HandoverError
from bot.issue_form import parse_issue_body
from bot.knowledge import knowledge_files
from bot.learning import Proposal, conventions_with_proposals
from bot.lease import RunSeen
from bot.markers import has_marker, marker
from bot.redact import Redactor
from bot.render.checks import check_run, commit_status
from bot.render.comments import (
    line_review,
    pr_body,
    review_marker,
    status_comment,
    validation_comment,
)
from bot.state import TERMINAL, ChainState, Report, RunRef, StoreData, TicketState, Validation
from bot.tickets import Ticket
from bot.workspace import Git

log = logging.getLogger(__name__)

VALIDATION_CHECK = "baton-validation"
RESULT_FENCE = "\n```json baton-validation\n"


def validation_id(chain: str, key: str, attempt: int) -> str:
    return f"validation:{chain}:{key}:{attempt}"


def validation_text(validation: Validation) -> str:
    """A check run's text carrying the validation as data for the next reconcile."""
    return f"The result, for Baton to read:{RESULT_FENCE}{validation.model_dump_json()}\n```"


def parse_validation_text(text: str) -> Validation | None:
    _, sep, rest = text.partition(RESULT_FENCE)
    if not sep:
        return None
    try:
        return Validation.model_validate_json(rest.split("\n```")[0])
    except ValueError:
        return None


STATE_BRANCH = "baton/state"
STATE_FILE = "state.json"
KNOWLEDGE_BRANCH = "baton/knowledge"
CONVENTIONS_BRANCH = "baton/conventions"
TRUSTED = {"admin", "maintain", "write"}
_RUNNING = {"running", "validating", "correcting", "recovering"}


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


_OWN_MARKER = re.compile(r"\s*<!-- baton:[A-Za-z0-9_.:=#/-]+ -->\s*$")


def ticket_body(body: str) -> str:
    """An issue's body as a ticket: without the hidden key `tickets push` ends it with, which
    the form's last field would otherwise read as its value."""
    return _OWN_MARKER.sub("", body)


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


# -- tickets from issues -----------------------------------------------------------------------


@dataclass
class IssueTickets:
    """What the labelled issues say: tickets grouped into chains, and the issues refused."""

    chains: dict[str, list[Ticket]] = field(default_factory=dict)
    labels: dict[int, set[str]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def chain_files(self) -> list[ChainFile]:
        return [
            ChainFile(name=name, path="github", description=None, tickets=tickets)
            for name, tickets in sorted(self.chains.items())
        ]


class GitHubTickets:
    def __init__(self, repo: Repo, config: Config) -> None:
        self.repo = repo
        self.config = config
        self._permissions: dict[str, str] = {}

    def load(self, claimed: dict[str, Ticket]) -> IssueTickets:
        """Open issues with the trigger label. Claimed tickets keep the body as it was claimed;
        new ones must come from a trusted labeller and parse, or are answered once and left."""
        found = IssueTickets()
        issues = self.poll()
        for issue in sorted(issues, key=lambda i: int(i["number"])):
            if issue.get("pull_request"):
                continue
            number = int(issue["number"])
            key = f"#{number}"
            found.labels[number] = {str(label["name"]) for label in issue.get("labels") or []}
            ticket = claimed.get(key) or self._claim(issue, found)
            if ticket is not None:
                found.chains.setdefault(str(ticket.chain), []).append(ticket)
        return found

    def poll(self) -> list[dict[str, Any]]:
        """The open issues carrying the trigger label (a conditional GET per page)."""
        return self.repo.api.get_pages(
            f"{self.repo.path}/issues", {"state": "open", "labels": self.config.labels.trigger}
        )

    def _claim(self, issue: dict[str, Any], found: IssueTickets) -> Ticket | None:
        number = int(issue["number"])
        refusal = self._untrusted(number)
        if refusal:
            found.problems.append(Problem("warning", "trust", refusal, f"#{number}"))
            self._answer_once(
                number,
                "trust",
                f"👋 {refusal}. Baton starts work only for people "
                "with write access to this repository; one of them can re-apply the label.",
            )
            return None
        chain = chain_of_issue(issue)
        ticket, problems = parse_issue_body(
            ticket_body(str(issue.get("body") or "")),
            title=str(issue.get("title") or ""),
            key=f"#{number}",
            chain=chain,
            source=f"#{number}",
        )
        invalid = self.config.labels.invalid
        if ticket is None:
            found.problems += problems
            lines = [p.render() for p in problems if p.severity == "error"]
            self._answer_once(
                number,
                "invalid",
                "⚠️ Baton cannot work this ticket until its body is fixed:\n\n"
                + "\n".join(f"- {line}" for line in lines)
                + "\n\nEdit the issue; Baton reads it again on its next run.",
            )
            if invalid not in found.labels[number]:
                issue_obj = self.repo.gh_repo.get_issue(number)
                self.repo.api.call(lambda: issue_obj.add_to_labels(invalid), write=True)
            return None
        if invalid in found.labels[number]:
            issue_obj = self.repo.gh_repo.get_issue(number)
            self.repo.api.call(lambda: issue_obj.remove_from_labels(invalid), write=True)
        summary = issue.get("issue_dependencies_summary") or {}
        blocked = self._blocked_by(number) if summary.get("blocked_by", 1) else []
        deps = list(ticket.depends_on) + blocked
        return ticket.model_copy(update={"depends_on": self._local_refs(deps)})

    def _untrusted(self, number: int) -> str | None:
        """Why the person who added the trigger label may not start work, or None."""
        events = self.repo.api.get_pages(f"{self.repo.path}/issues/{number}/events")
        labelled = [
            e
            for e in events
            if e.get("event") == "labeled"
            and (e.get("label") or {}).get("name") == self.config.labels.trigger
        ]
        if not labelled:
            return "the trigger label's author could not be found"
        actor = labelled[-1].get("actor") or {}
        login = str(actor.get("login") or "")
        is_bot = actor.get("type") == "Bot" or login.endswith("[bot]")
        return self.refusal(login, is_bot, "the label was added by")

    def refusal(self, login: str, is_bot: bool, what: str) -> str | None:
        """Why `login` may not start or steer work (write, maintain or admin needed), or None."""
        if is_bot:
            if login in self.config.trust.allowed_bots:
                return None
            return f"{what} the bot `{login}`, which is not in trust.allowed_bots"
        if login not in self._permissions:
            data = self.repo.api.get_json(f"{self.repo.path}/collaborators/{login}/permission")
            # `role_name` is exact; the older `permission` says write for maintain, read for triage.
            self._permissions[login] = str(
                data.get("role_name") or data.get("permission") or "none"
            )
        if self._permissions[login] not in TRUSTED:
            return f"{what} @{login}, who has {self._permissions[login]} access"
        return None

    def _blocked_by(self, number: int) -> list[str]:
        try:
            items = self.repo.api.get_json(
                f"{self.repo.path}/issues/{number}/dependencies/blocked_by"
            )
        except ForgeError as exc:  # older servers have no issue dependencies
            if exc.status in (404, 410):
                return []
            raise
        return [f"#{i['number']}" for i in items or []]

    def _local_refs(self, refs: list[str]) -> list[str]:
        """`#12`, `owner/repo#12` and issue URLs of this repository, as `#12`; others dropped."""
        out: list[str] = []
        own = self.repo.full_name.lower()
        for ref in refs:
            m = re.fullmatch(r"#(\d+)", ref) or re.fullmatch(
                r"(?:https?://[^/]+/)?([\w.-]+/[\w.-]+)(?:#|/(?:issues|pull)/)(\d+)/?", ref
            )
            if m is None:
                continue
            if m.re.groups == 2 and m.group(1).lower() != own:
                continue  # another repository's issue: not part of this chain
            number = m.group(m.re.groups)
            if f"#{number}" not in out:
                out.append(f"#{number}")
        return out

    def _answer_once(self, number: int, topic: str, text: str) -> None:
        mark = marker(f"issue={number}", topic)
        body = f"{mark}\n{text}"
        existing = self.repo.comment_with_marker(number, mark)
        if existing is None or existing[1] != self.repo.redact(body):
            self.repo.ensure_comment(number, mark, body, existing[0] if existing else None)


# -- state on a branch -------------------------------------------------------------------------


class GitHubStore:
    """StoreData as `state.json` on the `baton/state` branch; compare-and-swap by the file's sha."""

    def __init__(self, repo: Repo) -> None:
        self.repo = repo
        self._sha: str | None = None
        self._revision: int | None = None

    def load(self) -> StoreData:
        try:
            data = self.repo.api.get_json(
                f"{self.repo.path}/contents/{STATE_FILE}", {"ref": STATE_BRANCH}
            )
        except ForgeError as exc:
            if exc.status == 404:
                self._sha, self._revision = None, 0
                return StoreData()
            raise
        self._sha = str(data["sha"])
        text = base64.b64decode(data["content"]).decode("utf-8")
        store = StoreData.model_validate(json.loads(text))
        self._revision = store.revision
        return store

    def save(self, data: StoreData) -> StoreData:
        if self._revision is not None and data.revision != self._revision:
            raise StateConflict(
                f"state revision {data.revision} is not the one loaded ({self._revision})",
                hint="re-read the state and plan again",
            )
        saved = data.model_copy(update={"revision": data.revision + 1})
        # The state is committed to the repository: no secret may ride in it (test output, ...).
        text = self.repo.redact(saved.model_dump_json(indent=1)) + "\n"
        try:
            result = self._write(text, f"baton: state revision {saved.revision}")
        except ForgeError as exc:
            if not _unanswered(exc):
                raise
            # The write may have happened: what the branch holds now says whether it did.
            landed = self._peek()
            if landed is not None and landed[1] == text:
                result = landed[0]
            elif (landed[0] if landed else None) == self._sha:
                result = self._write(text, f"baton: state revision {saved.revision}")
            else:
                raise _conflict() from exc
        self._sha, self._revision = str(result), saved.revision
        return saved

    def _write(self, text: str, message: str) -> str:
        """state.json written over the sha loaded (compare-and-swap); the new blob's sha."""
        repo = self.repo.gh_repo
        try:
            if self._sha is None:
                return self._create_branch(text, message)
            sha = self._sha
            return str(
                self.repo.api.call(
                    lambda: repo.update_file(STATE_FILE, message, text, sha, branch=STATE_BRANCH),
                    write=True,
                )["content"].sha
            )
        except ForgeError as exc:
            if exc.status in (409, 422):
                raise _conflict() from exc
            raise

    def _peek(self) -> tuple[str, str] | None:
        """state.json as the branch has it now: (blob sha, text), or None when there is none."""
        try:
            data = self.repo.api.get_json(
                f"{self.repo.path}/contents/{STATE_FILE}", {"ref": STATE_BRANCH}
            )
        except ForgeError as exc:
            if exc.status == 404:
                return None
            raise
        return str(data["sha"]), base64.b64decode(data["content"]).decode("utf-8")

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


def _conflict() -> StateConflict:
    return StateConflict(
        "the state on GitHub changed since it was read (another run saved it)",
        hint="re-read the state and plan again",
    )


def _unanswered(exc: ForgeError) -> bool:
    """A write that failed without a clear answer (a 5xx, a lost connection) may have happened."""
    return exc.status is None or exc.status >= 500


def _tree_element(path: str, sha: str) -> Any:
    return InputGitTreeElement(path, "100644", "blob", sha=sha)


# -- reports and the chain's branch ------------------------------------------------------------


class GitHubForge:
    """Reports one chain's progress: labels and a status comment per ticket, the chain's pull
    request, a check run (or commit status) and a validation comment per validated attempt."""

    def __init__(
        self,
        repo: Repo,
        config: Config,
        *,
        labels: dict[int, set[str]],
        remote: str,
        push_token: str | None,
        default_branch: str,
    ) -> None:
        self.repo = repo
        self.config = config
        self.labels = labels
        self.remote = remote
        self.push_token = push_token
        self.default_branch = default_branch
        self._new: set[str] = set()  # report keys staged in this process: no lookup needed
        self._checks_allowed = True

    # The branch -----------------------------------------------------------------------------

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

    def open_chain(self, git: Git, state: ChainState) -> None:
        git.exclude_state_dir()  # a new checkout (the next Action run) has Baton's files too
        if git.run("rev-parse", "--verify", "-q", f"refs/heads/{state.branch}", check=False):
            return
        git.run_env(self._git_env(), "fetch", "-q", self.remote, f"{state.branch}:{state.branch}")

    def fetch(self, git: Git, branch: str) -> None:
        git.run_env(self._git_env(), "fetch", "-q", self.remote, branch)

    def pushed(self, git: Git, state: ChainState) -> None:
        git.run_env(
            self._git_env(), "push", "-q", "--force", self.remote, f"HEAD:refs/heads/{state.branch}"
        )

    # Reports -------------------------------------------------------------------------------

    def stage(self, state: ChainState) -> None:
        """Before a save: record the reports about to be created, so a crash after creating one
        is followed by a lookup, not a duplicate."""
        for key in self._wanted(state):
            if key not in state.reports:
                state.reports[key] = Report(id=None, digest="")
                self._new.add(key)

    def _unsure(self, key: str) -> None:
        """A write for `key` failed, perhaps after it happened (a 5xx or a lost answer): the
        next try looks for it first instead of writing it again."""
        self._new.discard(key)

    def _wanted(self, state: ChainState) -> list[str]:
        keys = []
        for t in state.tickets.values():
            validated = any(a.validation for a in t.attempts)
            if issue_number(t.key) is not None and (t.status in TERMINAL or validated):
                keys.append(f"status:{t.key}")
            if state.pr_number and t.last and t.last.validation:
                keys.append(f"validation:{t.key}")
            for a in t.attempts:
                if a.validation is not None:
                    keys.append(f"check:{t.key}:{a.number}")
                if state.pr_number and line_review(t, a) is not None:
                    keys.append(f"review:{t.key}:{a.number}")
        if self._has_work(state):
            keys.append("pr")
        return keys

    @staticmethod
    def _has_work(state: ChainState) -> bool:
        return any(
            a.commit and a.commit != state.base_commit
            for t in state.tickets.values()
            for a in t.attempts
        )

    def report(self, state: ChainState) -> None:
        numbers = {t.key: n for t in state.tickets.values() if (n := issue_number(t.key))}
        if self._has_work(state):
            self._pull_request(state, numbers)
        for t in state.tickets.values():
            number = numbers.get(t.key)
            if number is not None:
                self._labels(state, t, number)
            if number is not None and (
                t.status in TERMINAL or any(a.validation for a in t.attempts)
            ):
                body = status_comment(state, t)
                self._comment(
                    state, f"status:{t.key}", number, marker(f"ticket={t.key}", "status"), body
                )
            validation = validation_comment(t, t.title) if state.pr_number else None
            if state.pr_number and validation:
                mark = marker(f"ticket={t.key}", "validation")
                self._comment(state, f"validation:{t.key}", state.pr_number, mark, validation)
            for attempt in t.attempts:
                if attempt.validation is not None:
                    self._check(state, t, attempt.number)
                if state.pr_number:
                    self._line_review(state, t, attempt.number)
            if t.status == "passed" and t.key in state.reviews:
                self._reply(state, t)

    def _line_review(self, state: ChainState, t: TicketState, number: int) -> None:
        """Findings on lines become one pull-request review per attempt, written once (a
        repeated run finds it by its marker)."""
        key = f"review:{t.key}:{number}"
        record = state.reports.get(key)
        attempt = t.attempts[number - 1]
        review = line_review(t, attempt)
        if record is None or record.digest or review is None or state.pr_number is None:
            return
        body, comments = review
        pr = state.pr_number
        path = f"{self.repo.path}/pulls/{pr}/reviews"
        try:
            existing = None
            if key not in self._new:
                mark = review_marker(t.key, number)
                existing = next(
                    (
                        r["id"]
                        for r in self.repo.api.get_pages(path)
                        if has_marker(
                            r.get("body"),
                            (r.get("user") or {}).get("login"),
                            self.repo.bot_login,
                            mark,
                        )
                    ),
                    None,
                )
            if existing is None:
                answer = self.repo.api.send(
                    "POST",
                    path,
                    {
                        "commit_id": attempt.validation.commit if attempt.validation else None,
                        "body": self.repo.redact(body),
                        "event": "COMMENT",
                        "comments": [
                            {**c, "body": self.repo.redact(str(c["body"]))} for c in comments
                        ],
                    },
                )
                existing = answer["id"]
        except ForgeError as exc:
            log.warning("github.review_failed", extra={"key": key, "error": str(exc)})
            self._unsure(key)
            return
        state.reports[key] = Report(id=int(existing), digest=digest(body))

    def _reply(self, state: ChainState, t: TicketState) -> None:
        """Answer a review in its thread once its followup is validated."""
        key = f"reply:{t.key}"
        if key in state.reports and state.reports[key].digest:
            return
        ref = state.reviews[t.key]
        last = t.last
        said = (last.agent.summary if last and last.agent else "").strip().splitlines()
        body = self.repo.redact(
            f"{marker(f'reply={t.key}')}\n@{ref.author} done in `{(t.checkpoint or '')[:10]}`, "
            f"validated by Baton." + (f"\n\n> {said[0][:500]}" if said else "")
        )
        pull = self.repo.gh_repo.get_pull(ref.pr)
        try:
            if ref.kind == "review_comment":
                reply = self.repo.api.call(
                    lambda: pull.create_review_comment_reply(ref.comment_id, body), write=True
                )
            else:
                reply = self.repo.api.call(lambda: pull.create_issue_comment(body), write=True)
        except ForgeError as exc:
            log.warning("github.reply_failed", extra={"key": key, "error": str(exc)})
            return
        state.reports[key] = Report(id=int(reply.id), digest=digest(body))

    def _comment(self, state: ChainState, key: str, number: int, mark: str, body: str) -> None:
        """Create or update one of Baton's comments unless the record says it is already so.
        Nothing is created before its intent was saved (`stage`): a crash can then never leave
        a comment that the next run does not know to look for."""
        record = state.reports.get(key)
        wanted = digest(body)
        if record is None or record.digest == wanted:
            return
        try:
            new_id = self.repo.ensure_comment(
                number,
                mark,
                body,
                record.id if record else None,
                # Staged in this process: it cannot exist yet, so no lookup is needed.
                lookup=key not in self._new,
            )
        except ForgeError as exc:
            log.warning("github.report_failed", extra={"key": key, "error": str(exc)})
            self._unsure(key)
            return
        state.reports[key] = Report(id=new_id, digest=wanted)

    def _labels(self, state: ChainState, t: TicketState, number: int) -> None:
        names = self.config.labels
        wanted = {
            "queued": names.queued,
            "passed": names.done,
            "blocked": names.blocked,
            "skipped": names.blocked,
        }.get(t.status, names.running)
        key = f"labels:{t.key}"
        record = state.reports.get(key)
        if record is not None and record.digest == wanted:
            return
        current = self.labels.get(number, set())
        stale = {names.queued, names.running, names.done, names.blocked} - {wanted}
        issue = self.repo.gh_repo.get_issue(number)
        try:
            if wanted not in current or record is not None:
                self.repo.api.call(lambda: issue.add_to_labels(wanted), write=True)
            for label in sorted(stale & (current | ({record.digest} if record else set()))):
                self._remove_label(issue, label)
        except ForgeError as exc:
            log.warning("github.labels_failed", extra={"issue": number, "error": str(exc)})
            return
        self.labels[number] = (current - stale) | {wanted}
        state.reports[key] = Report(id=number, digest=wanted)

    def _remove_label(self, issue: Any, label: str) -> None:
        try:
            self.repo.api.call(lambda: issue.remove_from_labels(label), write=True)
        except ForgeError as exc:
            if exc.status != 404:  # already gone is fine
                raise

    def _pull_request(self, state: ChainState, numbers: dict[str, int]) -> None:
        body = self.repo.redact(pr_body(state, numbers))
        record = state.reports.get("pr")
        if record is not None and record.digest == digest(body) and state.pr_number:
            return
        repo = self.repo.gh_repo
        try:
            number = state.pr_number or (record.id if record else None)
            if number is None and "pr" not in self._new:
                owner = self.repo.full_name.split("/")[0]
                open_prs = self.repo.api.get_json(
                    f"{self.repo.path}/pulls", {"state": "open", "head": f"{owner}:{state.branch}"}
                )
                number = int(open_prs[0]["number"]) if open_prs else None
            if number is None:
                pr = self.repo.api.call(
                    lambda: repo.create_pull(
                        base=state.base_branch,
                        head=state.branch,
                        title=f"Baton: chain {state.name}",
                        body=body,
                    ),
                    write=True,
                )
                number = int(pr.number)
            else:
                pull = repo.get_pull(number)
                self.repo.api.call(lambda: pull.edit(body=body), write=True)
        except ForgeError as exc:
            log.warning("github.pr_failed", extra={"chain": state.name, "error": str(exc)})
            self._unsure("pr")
            return
        state.pr_number = number
        state.reports["pr"] = Report(id=number, digest=digest(body))

    def _check(self, state: ChainState, t: TicketState, attempt_number: int) -> None:
        key = f"check:{t.key}:{attempt_number}"
        record = state.reports.get(key)
        if record is not None and record.digest:
            return  # a check run is written once per validated attempt
        view = t.model_copy(update={"attempts": t.attempts[:attempt_number]})
        output = check_run(view, t.title)
        validation = t.attempts[attempt_number - 1].validation
        if output is None or validation is None or validation.commit is None:
            return
        sha = validation.commit
        repo = self.repo.gh_repo
        try:
            if self._checks_allowed:
                try:
                    existing = record.id if record else None
                    if existing is None and key not in self._new:
                        existing = self._find_check(sha, output.name, key)
                    if existing is None:
                        batches = output.batches()
                        run = self.repo.api.call(
                            lambda: repo.create_check_run(
                                name=output.name,
                                head_sha=sha,
                                status="completed",
                                conclusion=output.conclusion,
                                external_id=key,
                                output={
                                    "title": output.title,
                                    "summary": self.repo.redact(output.summary),
                                    "annotations": batches[0],
                                },
                            ),
                            write=True,
                        )
                        for batch in batches[1:]:
                            more = {
                                "title": output.title,
                                "summary": self.repo.redact(output.summary),
                                "annotations": batch,
                            }
                            self.repo.api.call(partial(run.edit, output=more), write=True)
                        existing = int(run.id)
                    state.reports[key] = Report(id=existing, digest=digest(output.summary))
                    return
                except ForgeError as exc:
                    if exc.status != 403:
                        raise
                    self._checks_allowed = False  # a personal token: commit statuses instead
            status = commit_status(view)
            if status is not None:
                context, conclusion, description = status
                commit = repo.get_commit(sha)
                self.repo.api.call(
                    lambda: commit.create_status(
                        conclusion, description=description, context=context
                    ),
                    write=True,
                )
                state.reports[key] = Report(id=None, digest=digest(description))
        except ForgeError as exc:
            log.warning("github.check_failed", extra={"key": key, "error": str(exc)})
            self._unsure(key)

    def _find_check(self, sha: str, name: str, key: str) -> int | None:
        data = self.repo.api.get_json(
            f"{self.repo.path}/commits/{sha}/check-runs", {"check_name": name}
        )
        for run in (data or {}).get("check_runs", []):
            if run.get("external_id") == key:
                return int(run["id"])
        return None

    # Validation in a job of its own ----------------------------------------------------------

    def validation_result(self, state: ChainState, key: str, attempt: int) -> Validation | None:
        """The result `baton validate` left as a check run on the attempt's commit."""
        ts = state.tickets[key]
        sha = ts.attempts[attempt - 1].validation_requested
        if not sha:
            return None
        data = self.repo.api.get_json(
            f"{self.repo.path}/commits/{sha}/check-runs", {"check_name": VALIDATION_CHECK}
        )
        wanted = validation_id(state.name, key, attempt)
        for run in (data or {}).get("check_runs", []):
            if run.get("external_id") != wanted or run.get("status") != "completed":
                continue
            found = parse_validation_text((run.get("output") or {}).get("text") or "")
            if found is not None:
                return found
            log.warning("github.validation_unreadable", extra={"key": key, "run": run.get("id")})
        return None

    # Knowledge ----------------------------------------------------------------------------

    def publish_knowledge(self, git: Git, state: ChainState, data: StoreData) -> str | None:
        """All knowledge files of the run in one commit on the default branch (git data API; what
        is there now is read through git, which costs no rate limit); a protected branch gets a
        `baton/knowledge` pull request instead."""
        folder = self.config.knowledge.dir

        def files(read: Callable[[str], str]) -> dict[str, str]:
            changelog = read(f"{folder}/CHANGELOG.md")
            context = read(f"{folder}/CONTEXT.md")
            return knowledge_files(folder, data, state, changelog, context)

        message = f"baton: knowledge of chain {state.name}"
        last: ForgeError | None = None
        for _ in range(3):
            try:
                return self._commit_files(git, self.default_branch, files, message)
            except ForgeError as exc:
                text = str(exc).lower()
                if "protected" in text or "pull request" in text:
                    return self._via_pull_request(
                        git,
                        KNOWLEDGE_BRANCH,
                        files,
                        message=message,
                        title="Baton: knowledge base",
                        body="The default branch is protected, so Baton proposes its knowledge here.",
                    )
                # 422: not a fast forward, someone pushed; no answer: it may have happened.
                # Either way, read the branch again: a commit already there is not made twice.
                if exc.status not in (409, 422) and not _unanswered(exc):
                    raise
                last = exc
        if last is not None and _unanswered(last):
            raise last
        raise ForgeError(
            "the default branch kept moving while Baton committed its knowledge"
        ) from last

    def propose_conventions(
        self, git: Git, state: ChainState, path: str, found: list[Proposal]
    ) -> list[str]:
        """Proposed conventions go to people as a pull request on `baton/conventions`."""
        added: list[str] = []

        def files(read: Callable[[str], str]) -> dict[str, str]:
            text, new = conventions_with_proposals(read(path), found, state.name)
            added[:] = new
            return {path: text} if new else {}

        self._via_pull_request(
            git,
            CONVENTIONS_BRANCH,
            files,
            message=f"baton: propose conventions learned in chain {state.name}",
            title="Baton: proposed conventions",
            body="What the last chains ran into, proposed as conventions with their evidence. "
            "Merge to adopt; edit or close to decide otherwise.",
        )
        return added

    def _remote_head(self, git: Git, branch: str) -> str:
        """The branch's head on the remote, fetched (git costs no rate limit)."""
        local = f"refs/baton/remote/{branch}"
        git.run_env(
            self._git_env(),
            "fetch",
            "-q",
            "--no-tags",
            self.remote,
            f"+refs/heads/{branch}:{local}",
        )
        return git.run("rev-parse", local)

    def _commit_files(
        self,
        git: Git,
        branch: str,
        files: Callable[[Callable[[str], str]], dict[str, str]],
        message: str,
        *,
        force: bool = False,
    ) -> str:
        """One commit on `branch` with `files(read)` written over its tree (`read` gives a file's
        text there now); no commit when that changes nothing (a repeated run)."""
        head = self._remote_head(git, branch)
        tree = git.run("rev-parse", f"{head}^{{tree}}")
        wanted = files(lambda path: git.run("show", f"{head}:{path}", check=False, strip=False))
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

    def _via_pull_request(
        self,
        git: Git,
        branch: str,
        files: Callable[[Callable[[str], str]], dict[str, str]],
        *,
        message: str,
        title: str,
        body: str,
    ) -> str:
        """Commit on `branch` (made from the default branch when missing) and keep one open
        pull request for it."""
        repo = self.repo.gh_repo
        api = self.repo.api
        base = self._remote_head(git, self.default_branch)
        try:
            api.send(
                "POST", f"{self.repo.path}/git/refs", {"ref": f"refs/heads/{branch}", "sha": base}
            )
        except ForgeError as exc:
            if exc.status != 422:  # it exists: build on it
                raise
        sha = self._commit_files(git, branch, files, message, force=True)
        owner = self.repo.full_name.split("/")[0]
        open_prs = api.get_json(
            f"{self.repo.path}/pulls", {"state": "open", "head": f"{owner}:{branch}"}
        )
        if not open_prs and sha != base:
            api.call(
                lambda: repo.create_pull(
                    base=self.default_branch, head=branch, title=title, body=body
                ),
                write=True,
            )
        return sha

    def _read_file(self, path: str, ref: str) -> str:
        try:
            data = self.repo.api.get_json(f"{self.repo.path}/contents/{path}", {"ref": ref})
        except ForgeError as exc:
            if exc.status == 404:
                return ""
            raise
        return base64.b64decode(data["content"]).decode("utf-8")


# -- the runs of Baton's workflow ----------------------------------------------------------------


def workflow_file(workflow_ref: str | None) -> str | None:
    """The file name of the workflow GITHUB_WORKFLOW_REF names
    (`owner/repo/.github/workflows/baton.yml@refs/heads/main` -> `baton.yml`), or None."""
    path = (workflow_ref or "").partition("@")[0]
    name = path.rsplit("/", 1)[-1]
    if "/.github/workflows/" not in f"/{path}" or not name.endswith((".yml", ".yaml")):
        return None
    return name


class GitHubJobs:
    """Runs of Baton's workflow through the Actions API: whether a lease holder's run has
    finished (`actions: read`), and a new run of this workflow for a chain (`actions: write`)."""

    def __init__(self, repo: Repo, *, workflow_ref: str | None, default_branch: str) -> None:
        self.repo = repo
        self.workflow_ref = workflow_ref
        self.default_branch = default_branch

    def workflow_run(self, run: RunRef) -> RunSeen | None:
        if run.repository.lower() != self.repo.full_name.lower():
            return None  # the state is this repository's: its holders ran here
        try:
            data = self.repo.api.get_json(f"/repos/{run.repository}/actions/runs/{run.id}")
        except BatonError as exc:  # no `actions: read`, no such run, no answer: cannot tell
            log.info("github.run_unknown", extra={"run": run.id, "error": str(exc)})
            return None
        status = data.get("status") if isinstance(data, dict) else None
        if not isinstance(status, str):
            return None
        attempt = data.get("run_attempt")
        conclusion = data.get("conclusion")
        return RunSeen(
            status=status,
            attempt=attempt if isinstance(attempt, int) else 1,
            conclusion=conclusion if isinstance(conclusion, str) else None,
        )

    def dispatch_chain(self, chain: str) -> None:
        workflow = workflow_file(self.workflow_ref)
        if workflow is None:
            raise HandoverError(
                f"GITHUB_WORKFLOW_REF ({self.workflow_ref or 'unset'}) names no workflow file",
                hint="run baton from a workflow of this repository",
            )
        body = {"ref": self.default_branch, "inputs": {"chain": chain}}
        try:
            self.repo.api.send(
                "POST", f"{self.repo.path}/actions/workflows/{workflow}/dispatches", body
            )
        except ForgeError as exc:
            raise _dispatch_error(workflow, exc) from exc


def _dispatch_error(workflow: str, exc: ForgeError) -> HandoverError:
    if exc.status == 403:
        return HandoverError(
            f"GitHub refused to start {workflow} again (403)",
            hint="give the job `permissions: actions: write`",
        )
    if exc.status in (404, 422):
        return HandoverError(
            f"GitHub would not start {workflow} for the chain ({exc.message})",
            hint=f"{workflow} on the default branch needs `on: workflow_dispatch` with an input "
            "`chain`",
        )
    return HandoverError(f"GitHub did not start {workflow} again ({exc.message})")


def bot_login_from_env(environ: dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    return env.get("BATON_BOT_LOGIN") or "github-actions[bot]"


def remote_url(full_name: str, environ: dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    if env.get("BATON_GIT_REMOTE"):
        return env["BATON_GIT_REMOTE"]
    server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    return f"{server}/{full_name}.git"


def workspace_path(path: Path) -> Git:
    git = Git.open(path)
    if not git.has_commits():
        raise WorkspaceError(f"{git.root} has no commits", hint="check the repository out first")
    return git
