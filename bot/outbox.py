"""What people should see of a chain, computed from its state: the outbox of desired writes.

Every write has a key (`status:#12`, `check:#12:2`, `pr`, ...) under which `state.reports`
records what was written: its id outside, and a digest, so a write that changed nothing is not
in the outbox. The writes that create something are staged first (`intents`): the record is
saved before the write is made, so a crash after it is followed by a lookup, not a duplicate.
Pure functions: `bot.publishing` performs the writes through the Forge port.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.config import LabelsConfig
from bot.forge import CheckRun
from bot.forge.names import issue_number
from bot.markers import marker
from bot.render.checks import check_run, commit_status
from bot.render.comments import (
    line_review,
    pr_body,
    review_marker,
    status_comment,
    validation_comment,
)
from bot.state import TERMINAL, ChainState, TicketState

Redact = Callable[[str], str]


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class PullRequest:
    base: str
    head: str
    title: str
    body: str  # redacted: its digest is of what GitHub holds
    key: str = "pr"


@dataclass(frozen=True)
class Labels:
    key: str
    issue: int
    wanted: str
    add: str | None
    remove: list[str]
    stale: frozenset[str]


@dataclass(frozen=True)
class Comment:
    key: str
    issue: int
    mark: str
    body: str


@dataclass(frozen=True)
class Check:
    """A check run for a validated attempt, or the commit status where check runs are refused."""

    key: str
    sha: str
    run: CheckRun
    status: tuple[str, str, str] | None  # (context, state, description)


@dataclass(frozen=True)
class Review:
    key: str
    pr: int
    mark: str
    commit: str | None
    body: str
    comments: list[dict[str, Any]]


@dataclass(frozen=True)
class Reply:
    key: str
    pr: int
    comment_id: int | None  # a review comment's thread; None: on the pull request
    body: str  # redacted: its digest is of what GitHub holds


Write = Labels | Comment | Check | Review | Reply


def has_work(state: ChainState) -> bool:
    return any(
        a.commit and a.commit != state.base_commit
        for t in state.tickets.values()
        for a in t.attempts
    )


def intents(state: ChainState) -> list[str]:
    """The keys of the writes that create something, to be recorded before they are made."""
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
    if has_work(state):
        keys.append("pr")
    return keys


def pull_request(state: ChainState, redact: Redact) -> PullRequest | None:
    """The chain's pull request, once the chain has work, unless it already says this."""
    if not has_work(state):
        return None
    numbers = issue_numbers(state)
    body = redact(pr_body(state, numbers))
    record = state.reports.get("pr")
    if record is not None and record.digest == digest(body) and state.pr_number:
        return None
    return PullRequest(state.base_branch, state.branch, f"Baton: chain {state.name}", body)


def issue_numbers(state: ChainState) -> dict[str, int]:
    return {t.key: n for t in state.tickets.values() if (n := issue_number(t.key))}


def ticket_writes(
    state: ChainState, names: LabelsConfig, current: dict[int, set[str]], redact: Redact
) -> list[Write]:
    """Every write the tickets want now, in order: per ticket its labels, status comment and
    validation comment, per attempt its check run and line review, then the review's answer.
    `current` holds each issue's labels as last seen."""
    out: list[Write] = []
    numbers = issue_numbers(state)
    for t in state.tickets.values():
        number = numbers.get(t.key)
        if number is not None:
            out += _labels(state, t, number, names, current.get(number, set()))
        if number is not None and (t.status in TERMINAL or any(a.validation for a in t.attempts)):
            mark = marker(f"ticket={t.key}", "status")
            out += _comment(state, f"status:{t.key}", number, mark, status_comment(state, t))
        validation = validation_comment(t, t.title) if state.pr_number else None
        if state.pr_number and validation:
            mark = marker(f"ticket={t.key}", "validation")
            out += _comment(state, f"validation:{t.key}", state.pr_number, mark, validation)
        for attempt in t.attempts:
            if attempt.validation is not None:
                out += _check(state, t, attempt.number, redact)
            if state.pr_number:
                out += _review(state, t, attempt.number)
        if t.status == "passed" and t.key in state.reviews:
            out += _reply(state, t, redact)
    return out


def _labels(
    state: ChainState, t: TicketState, number: int, names: LabelsConfig, current: set[str]
) -> list[Write]:
    wanted = {
        "queued": names.queued,
        "passed": names.done,
        "blocked": names.blocked,
        "skipped": names.blocked,
    }.get(t.status, names.running)
    key = f"labels:{t.key}"
    record = state.reports.get(key)
    if record is not None and record.digest == wanted:
        return []
    stale = {names.queued, names.running, names.done, names.blocked} - {wanted}
    # Added again when a record exists: the label may have been taken off since.
    add = wanted if wanted not in current or record is not None else None
    remove = sorted(stale & (current | ({record.digest} if record else set())))
    return [Labels(key, number, wanted, add, remove, frozenset(stale))]


def _comment(state: ChainState, key: str, number: int, mark: str, body: str) -> list[Write]:
    """Only a staged comment is written (see `intents`): a crash can then never leave a comment
    that the next run does not know to look for."""
    record = state.reports.get(key)
    if record is None or record.digest == digest(body):
        return []
    return [Comment(key, number, mark, body)]


def _check(state: ChainState, t: TicketState, attempt_number: int, redact: Redact) -> list[Write]:
    key = f"check:{t.key}:{attempt_number}"
    record = state.reports.get(key)
    if record is not None and record.digest:
        return []  # a check run is written once per validated attempt
    view = t.model_copy(update={"attempts": t.attempts[:attempt_number]})
    output = check_run(view, t.title, redact)
    validation = t.attempts[attempt_number - 1].validation
    if output is None or validation is None or validation.commit is None:
        return []
    run = CheckRun(
        name=output.name,
        conclusion=output.conclusion,
        title=output.title,
        summary=output.summary,
        batches=output.batches(),
    )
    return [Check(key, validation.commit, run, commit_status(view, redact))]


def _review(state: ChainState, t: TicketState, number: int) -> list[Write]:
    """Findings on lines become one pull-request review per attempt, written once."""
    key = f"review:{t.key}:{number}"
    record = state.reports.get(key)
    attempt = t.attempts[number - 1]
    review = line_review(t, attempt)
    if record is None or record.digest or review is None or state.pr_number is None:
        return []
    body, comments = review
    commit = attempt.validation.commit if attempt.validation else None
    return [Review(key, state.pr_number, review_marker(t.key, number), commit, body, comments)]


def _reply(state: ChainState, t: TicketState, redact: Redact) -> list[Write]:
    """Answer a review in its thread once its followup is validated."""
    key = f"reply:{t.key}"
    if key in state.reports and state.reports[key].digest:
        return []
    ref = state.reviews[t.key]
    last = t.last
    said = (last.agent.summary if last and last.agent else "").strip().splitlines()
    body = redact(
        f"{marker(f'reply={t.key}')}\n@{ref.author} done in `{(t.checkpoint or '')[:10]}`, "
        f"validated by Baton." + (f"\n\n> {said[0][:500]}" if said else "")
    )
    thread = ref.comment_id if ref.kind == "review_comment" else None
    return [Reply(key, ref.pr, thread, body)]
