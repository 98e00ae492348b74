"""A review comment on a chain's pull request, from someone who may steer the work, becomes a
followup ticket of that chain. The event's payload is only a hint: the comment's author, text and
pull request are read back from the API."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.config import Config
from bot.errors import NotFound, StateConflict
from bot.events import ReviewRequest, as_recorded, record_path, review_ticket
from bot.forge.github.repo import Repo
from bot.github_objects import GitHub
from bot.markers import marker
from bot.state import ChainState, ReviewRef, StoreData, TicketState
from bot.store import Store
from bot.tickets import Ticket


@dataclass(frozen=True)
class Queued:
    """The chain the followup joined, and the state as it was saved with it."""

    chain: str
    state: StoreData


def queue_review(github: GitHub, config: Config, hint: ReviewRequest) -> Queued | None:
    """Add a trusted review comment to its chain as a followup ticket; None when the pull
    request is not a chain's, the comment is gone or the commenter may not steer work."""
    repo, store = github.repo, github.store
    data = store.load()
    if not any(
        c.pr_number == hint.pr or (hint.head and c.branch == hint.head)
        for c in data.chains.values()
    ):
        return None  # not a chain's pull request, even by the payload's word
    request = _as_recorded(repo, hint)
    chain = _chain_of_pull(repo, data, request.pr) if request else None
    if request is None or chain is None:
        return None
    refusal = github.trust(config).refusal(
        request.author, request.author_is_bot, "the review comment is from"
    )
    if refusal:
        # One answer per person and pull request: a flood of comments costs one write.
        who = re.sub(r"[^A-Za-z0-9_.-]", "-", request.author)  # markers take no brackets
        mark = marker(f"pr={request.pr}", f"refused={who}")
        repo.ensure_comment(
            request.pr,
            mark,
            f"{mark}\n👋 {refusal}. Baton takes review followups only from people with "
            "write access to this repository.",
            None,
        )
        return None
    ticket = review_ticket(request, chain, repo.redact)
    review = ReviewRef(
        comment_id=request.comment_id, kind=request.kind, pr=request.pr, author=request.author
    )
    return Queued(chain.name, _add_review(store, data, chain.name, ticket, review))


def _add_review(
    store: Store, data: StoreData, name: str, ticket: Ticket, review: ReviewRef
) -> StoreData:
    """Add the review's ticket to its chain, once; the state with it. The chain's own job may be
    saving the state at the same time (it holds the chain, and picks the ticket up at its next
    save): a conflict is read again and the ticket added to what is there now."""
    key = str(ticket.key)
    for _ in range(5):
        chain = data.chains[name]
        if key in chain.tickets:
            return data
        chain.tickets[key] = TicketState(key=key, title=ticket.title, spec=ticket)
        chain.reviews[key] = review
        chain.finished = False
        try:
            return store.save(data.model_copy(update={"chains": {**data.chains, name: chain}}))
        except StateConflict:
            data = store.load()
    raise StateConflict(
        f"the state of chain {name} kept changing while Baton added the review followup {key}",
        hint="run the review's workflow again: the comment is added once",
    )


def _as_recorded(repo: Repo, hint: ReviewRequest) -> ReviewRequest | None:
    """The review request as the API's record of its comment says it; None when GitHub has no
    such comment (any more)."""
    try:
        record = repo.api.get_json(f"{repo.path}{record_path(hint)}")
    except NotFound:
        return None
    return as_recorded(hint, record) if isinstance(record, dict) else None


def _chain_of_pull(repo: Repo, data: StoreData, pr: int) -> ChainState | None:
    """The chain whose pull request `pr` is: by the number the state recorded, or, for a chain
    that has not recorded one yet, by the pull request's head branch as the API says it."""
    chain = next((c for c in data.chains.values() if c.pr_number == pr), None)
    unnumbered = [c for c in data.chains.values() if c.pr_number is None]
    if chain is not None or not unnumbered:
        return chain
    try:
        pull = repo.api.get_json(f"{repo.path}/pulls/{pr}")
    except NotFound:
        return None
    head = ((pull or {}).get("head") or {}).get("ref")
    return next((c for c in unnumbered if head and c.branch == head), None)
