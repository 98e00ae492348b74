"""Tickets from issues: the open issues carrying the trigger label, parsed as tickets and grouped
into chains by milestone. An issue from someone who may not start work, or whose body does not
parse, is answered once and left."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.chain_file import ChainFile
from bot.config import Config
from bot.errors import NotFound, Problem
from bot.forge import LabelledBody
from bot.forge.github.frozen import body_at_label, changed_answer
from bot.forge.github.repo import Repo
from bot.forge.github.trust import NO_LABELLER, Trust
from bot.forge.names import chain_of_issue
from bot.issue_form import parse_issue_body
from bot.markers import marker
from bot.tickets import Ticket

_OWN_MARKER = re.compile(r"\s*<!-- baton:[A-Za-z0-9_.:=#/-]+ -->\s*$")


def ticket_body(body: str) -> str:
    """An issue's body as a ticket: without the hidden key `tickets push` ends it with, which
    the form's last field would otherwise read as its value."""
    return _OWN_MARKER.sub("", body)


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
        self.trust = Trust(repo, config.trust)

    def load(self, claimed: dict[str, Ticket], event: LabelledBody | None = None) -> IssueTickets:
        """Open issues with the trigger label. Claimed tickets keep the body as it was claimed;
        new ones must come from a trusted labeller, unchanged since the label (`event`: the body
        the labeled event carried), and parse, or are answered once and left."""
        found = IssueTickets()
        issues = self.poll()
        for issue in sorted(issues, key=lambda i: int(i["number"])):
            if issue.get("pull_request"):
                continue
            number = int(issue["number"])
            key = f"#{number}"
            found.labels[number] = {str(label["name"]) for label in issue.get("labels") or []}
            ticket = claimed.get(key) or self._claim(issue, found, event)
            if ticket is not None:
                found.chains.setdefault(str(ticket.chain), []).append(ticket)
        return found

    def poll(self) -> list[dict[str, Any]]:
        """The open issues carrying the trigger label (a conditional GET per page)."""
        return self.repo.api.get_pages(
            f"{self.repo.path}/issues", {"state": "open", "labels": self.config.labels.trigger}
        )

    def _claim(
        self, issue: dict[str, Any], found: IssueTickets, event: LabelledBody | None
    ) -> Ticket | None:
        number = int(issue["number"])
        labelling = self.trust.labelling(number, self.config.labels.trigger)
        refusal = self.trust.label_refusal(labelling)
        if refusal or labelling is None:
            refusal = refusal or NO_LABELLER
            found.problems.append(Problem("warning", "trust", refusal, f"#{number}"))
            self.answer_once(
                number,
                "trust",
                f"👋 {refusal}. Baton starts work only for people "
                "with write access to this repository; one of them can re-apply the label.",
            )
            return None
        body = body_at_label(issue, labelling, event, bot_login=self.repo.bot_login)
        if body is None:
            found.problems.append(
                Problem("warning", "trust", "changed after the trigger label", f"#{number}")
            )
            self.answer_once(number, "changed", changed_answer(self.config.labels.trigger))
            self._unlabel(number, found)
            return None
        chain = chain_of_issue(issue)
        ticket, problems = parse_issue_body(
            ticket_body(body),
            title=str(issue.get("title") or ""),
            key=f"#{number}",
            chain=chain,
            source=f"#{number}",
            allow_protected=self.config.allow_protected,
        )
        blocked: list[str] = []
        if ticket is not None:
            summary = issue.get("issue_dependencies_summary") or {}
            blocked = self._blocked_by(number) if summary.get("blocked_by", 1) else []
            problems += self._foreign(ticket.depends_on, "Depends on", f"#{number}")
            problems += self._foreign(blocked, "Blocked by", f"#{number}")
            ticket = None if any(p.severity == "error" for p in problems) else ticket
        invalid = self.config.labels.invalid
        if ticket is None:
            found.problems += problems
            lines = [p.render() for p in problems if p.severity == "error"]
            self.answer_once(
                number,
                "invalid",
                "⚠️ Baton cannot work this ticket until its body is fixed:\n\n"
                + "\n".join(f"- {line}" for line in lines)
                + "\n\nEdit the issue; then someone with write access can apply the "
                f"`{self.config.labels.trigger}` label again.",
            )
            if invalid not in found.labels[number]:
                issue_obj = self.repo.gh_repo.get_issue(number)
                self.repo.api.call(lambda: issue_obj.add_to_labels(invalid), write=True)
            self._unlabel(number, found)
            return None
        if invalid in found.labels[number]:
            issue_obj = self.repo.gh_repo.get_issue(number)
            self.repo.api.call(lambda: issue_obj.remove_from_labels(invalid), write=True)
        deps = list(ticket.depends_on) + blocked
        return ticket.model_copy(update={"depends_on": self._local_refs(deps)})

    def _foreign(self, refs: list[str], field: str, source: str) -> list[Problem]:
        """A dependency on another repository's issue (in the body, or GitHub's "blocked by"
        relationship) is refused: Baton waits only for issues it can watch cheaply, those of
        this repository."""
        return [
            Problem(
                "error",
                field,
                f"{ref} is in another repository; Baton waits only for issues of "
                f"{self.repo.full_name}: remove it, and add the ticket once that work is done",
                source,
            )
            for ref in refs
            if not self._local_refs([ref])
        ]

    def issue_state(self, number: int) -> str | None:
        """An issue a ticket waits for: `open`, `closed` (done) or `not_planned`; None when there
        is no such issue. A conditional GET, which costs no rate limit while the issue is as it
        was (an ETag answered 304)."""
        try:
            issue = self.repo.api.get_json(f"{self.repo.path}/issues/{number}")
        except NotFound:
            return None
        if issue.get("state") != "closed":
            return "open"
        return "not_planned" if issue.get("state_reason") == "not_planned" else "closed"

    def _blocked_by(self, number: int) -> list[str]:
        try:
            items = self.repo.api.get_json(
                f"{self.repo.path}/issues/{number}/dependencies/blocked_by"
            )
        except NotFound:  # older servers have no issue dependencies
            return []
        # A blocker may be another repository's issue: named in full, never as a local #N.
        own = f"/repos/{self.repo.full_name}".lower()
        return [
            f"#{i['number']}"
            if str(i.get("repository_url", "")).lower().endswith(own)
            else f"{str(i.get('repository_url', '')).split('/repos/')[-1]}#{i['number']}"
            for i in items or []
        ]

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

    def _unlabel(self, number: int, found: IssueTickets) -> None:
        """Take the trigger label off: a later edit is worked only once it is applied again."""
        trigger = self.config.labels.trigger
        issue_obj = self.repo.gh_repo.get_issue(number)
        self.repo.api.call(lambda: issue_obj.remove_from_labels(trigger), write=True)
        found.labels[number].discard(trigger)

    def answer_once(self, number: int, topic: str, text: str) -> None:
        """Say `text` on issue `number` once per `topic`: a run after it finds it said."""
        mark = marker(f"issue={number}", topic)
        body = f"{mark}\n{text}"
        existing = self.repo.comment_with_marker(number, mark)
        if existing is None or existing[1] != self.repo.redact(body):
            self.repo.ensure_comment(number, mark, body, existing[0] if existing else None)
