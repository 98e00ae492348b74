"""The outbox performed: the writes `bot.outbox` computes, made through the Reports port after
the state is saved, and what they wrote recorded in the chain's state (saved with the next save).
Also the knowledge base and proposed conventions, computed here and committed through the Forge
port.
"""

from __future__ import annotations

import logging
from typing import Protocol

from bot.config import LabelsConfig
from bot.errors import Forbidden, ForgeError, ProtectedBranch
from bot.forge import Forge, Read, Reports
from bot.knowledge import knowledge_files
from bot.learning import Proposal, conventions_with_proposals
from bot.outbox import (
    Check,
    Comment,
    Labels,
    PullRequest,
    Redact,
    Reply,
    Review,
    Write,
    digest,
    intents,
    pull_request,
    ticket_writes,
)
from bot.state import ChainState, Report, StoreData
from bot.workspace import Git

log = logging.getLogger(__name__)

KNOWLEDGE_BRANCH = "baton/knowledge"
CONVENTIONS_BRANCH = "baton/conventions"

_FAILED = {
    Labels: "github.labels_failed",
    Comment: "github.report_failed",
    Check: "github.check_failed",
    Review: "github.review_failed",
    Reply: "github.reply_failed",
}


class Reporter(Protocol):
    def stage(self, state: ChainState) -> None:
        """Before a save: record in the state the writes about to be made."""
        ...

    def report(self, state: ChainState) -> None:
        """After a save: make the writes, recording what was written in the state."""
        ...


class Unreported:
    """Local mode: the chain is shown in the terminal and its knowledge files only."""

    def stage(self, _state: ChainState) -> None:
        return None

    def report(self, _state: ChainState) -> None:
        return None


class Publisher:
    """Reports one chain's progress: labels and a status comment per ticket, the chain's pull
    request, a check run (or commit status), a validation comment and a line review per
    validated attempt, the answer to a review. `labels` holds each issue's labels as last seen."""

    def __init__(
        self, reports: Reports, names: LabelsConfig, labels: dict[int, set[str]], redact: Redact
    ) -> None:
        self.reports = reports
        self.names = names
        self.labels = labels
        self.redact = redact
        self._new: set[str] = set()  # report keys staged in this process: no lookup needed
        self._checks_allowed = True

    def stage(self, state: ChainState) -> None:
        """Before a save: record the reports about to be created, so a crash after creating one
        is followed by a lookup, not a duplicate."""
        for key in intents(state):
            if key not in state.reports:
                state.reports[key] = Report(id=None, digest="")
                self._new.add(key)

    def report(self, state: ChainState) -> None:
        """Make the outside world reflect `state`; what was written goes to `state.reports`. A
        write that fails is logged and tried again at the next report."""
        pr = pull_request(state, self.redact)
        if pr is not None:
            self._pull_request(state, pr)
        for write in ticket_writes(state, self.names, self.labels, self.redact):
            try:
                self._perform(state, write)
            except ForgeError as exc:
                log.warning(_FAILED[type(write)], extra={"key": write.key, "error": str(exc)})
                self._unsure(write.key)

    def _unsure(self, key: str) -> None:
        """A write for `key` failed, perhaps after it happened (a 5xx or a lost answer): the
        next try looks for it first instead of writing it again."""
        self._new.discard(key)

    def _lookup(self, key: str) -> bool:
        """Staged in this process: it cannot exist yet, so no lookup is needed."""
        return key not in self._new

    def _pull_request(self, state: ChainState, pr: PullRequest) -> None:
        record = state.reports.get(pr.key)
        try:
            number = self.reports.ensure_pull_request(
                state.pr_number or (record.id if record else None),
                base=pr.base,
                head=pr.head,
                title=pr.title,
                body=pr.body,
                lookup=self._lookup(pr.key),
            )
        except ForgeError as exc:
            log.warning("github.pr_failed", extra={"chain": state.name, "error": str(exc)})
            self._unsure(pr.key)
            return
        state.pr_number = number
        state.reports[pr.key] = Report(id=number, digest=digest(pr.body))

    def _perform(self, state: ChainState, write: Write) -> None:
        record = state.reports.get(write.key)
        known = record.id if record else None
        if isinstance(write, Labels):
            self.reports.set_labels(write.issue, write.add, write.remove)
            current = self.labels.get(write.issue, set())
            self.labels[write.issue] = (current - write.stale) | {write.wanted}
            state.reports[write.key] = Report(id=write.issue, digest=write.wanted)
        elif isinstance(write, Comment):
            new_id = self.reports.ensure_comment(
                write.issue, write.mark, write.body, known, lookup=self._lookup(write.key)
            )
            state.reports[write.key] = Report(id=new_id, digest=digest(write.body))
        elif isinstance(write, Check):
            self._check(state, write, known)
        elif isinstance(write, Review):
            review_id = self.reports.ensure_review(
                write.pr,
                write.mark,
                write.commit,
                write.body,
                write.comments,
                lookup=self._lookup(write.key),
            )
            state.reports[write.key] = Report(id=review_id, digest=digest(write.body))
        else:
            reply_id = self.reports.reply(write.pr, write.body, write.comment_id)
            state.reports[write.key] = Report(id=reply_id, digest=digest(write.body))

    def _check(self, state: ChainState, write: Check, known: int | None) -> None:
        if self._checks_allowed:
            try:
                run_id = self.reports.ensure_check_run(
                    write.sha, write.run, write.key, known, lookup=self._lookup(write.key)
                )
                state.reports[write.key] = Report(id=run_id, digest=digest(write.run.summary))
                return
            except Forbidden:
                self._checks_allowed = False  # a personal token: commit statuses instead
        if write.status is not None:
            context, conclusion, description = write.status
            self.reports.set_commit_status(write.sha, context, conclusion, description)
            state.reports[write.key] = Report(id=None, digest=digest(description))


def publish_knowledge(
    forge: Forge, git: Git, folder: str, state: ChainState, data: StoreData, *, redact: Redact
) -> str | None:
    """All knowledge files of the run (redacted) in one commit where the forge keeps them; a
    protected branch gets a `baton/knowledge` pull request instead."""

    def files(read: Read) -> dict[str, str]:
        changelog = read(f"{folder}/CHANGELOG.md")
        context = read(f"{folder}/CONTEXT.md")
        return knowledge_files(folder, data, state, changelog, context, redact=redact)

    message = f"baton: knowledge of chain {state.name}"
    try:
        return forge.publish_files(git, files, message)
    except ProtectedBranch:
        return forge.propose_files(
            git,
            KNOWLEDGE_BRANCH,
            files,
            message=message,
            title="Baton: knowledge base",
            body="The default branch is protected, so Baton proposes its knowledge here.",
        )


def propose_conventions(
    forge: Forge, git: Git, state: ChainState, path: str, found: list[Proposal]
) -> list[str]:
    """Offer new conventions for people to accept (a pull request on `baton/conventions`, or a
    commit of its own); never rewrite theirs. Returns the ids of the proposals added."""
    added: list[str] = []

    def files(read: Read) -> dict[str, str]:
        text, new = conventions_with_proposals(read(path), found, state.name)
        added[:] = new
        return {path: text} if new else {}

    forge.propose_files(
        git,
        CONVENTIONS_BRANCH,
        files,
        message=f"baton: propose conventions learned in chain {state.name}",
        title="Baton: proposed conventions",
        body="What the last chains ran into, proposed as conventions with their evidence. "
        "Merge to adopt; edit or close to decide otherwise.",
    )
    return added
