"""On GitHub, the trigger label applied again to the issue of a blocked or skipped ticket retries
it, as `baton retry` does locally (`transitions.retried`). The `labeled` event only points at the
issue: the issue's timeline says who applied the label and when, and only a label that someone
trusted applied after the ticket stopped counts (not a replay of the label that started it)."""

from __future__ import annotations

import logging
from datetime import datetime

from bot import transitions
from bot.forge import LabelledBody
from bot.forge.github.intake import GitHubTickets
from bot.state import ChainState, StoreData, TicketState
from bot.store import Store

log = logging.getLogger(__name__)


def retry_relabelled(
    data: StoreData, event: LabelledBody | None, tickets: GitHubTickets, store: Store
) -> StoreData:
    """The state, with the ticket of the issue `event` labelled retried and saved when the label
    asks for it. A label from someone who may not start work is refused, in the log."""
    if event is None:
        return data
    key = f"#{event.issue}"
    stopped = [
        c
        for c in data.chains.values()
        if key in c.tickets and c.tickets[key].status in {"blocked", "skipped"}
    ]
    if not stopped:
        return data
    chain = stopped[0]
    labelling = tickets.trust.labelling(event.issue, tickets.config.labels.trigger)
    refusal = tickets.trust.label_refusal(labelling)
    if refusal is not None or labelling is None:
        log.warning("ticket.retry_refused", extra={"ticket": key, "reason": refusal})
        tickets.answer_once(
            event.issue,
            "retry",
            f"👋 {refusal or 'nobody can be found to have added the label'}. Baton retries a "
            "stopped ticket only when someone with write access applies the label again.",
        )
        return data
    # GitHub's times are whole seconds: a label within the second the ticket stopped is older.
    if labelling.at <= _stopped_at(chain, chain.tickets[key]).replace(microsecond=0):
        return data
    moved = transitions.retried(chain, key, labelling.login)
    saved = store.save(data.model_copy(update={"chains": {**data.chains, chain.name: moved.state}}))
    log.info("ticket.retried", extra={"chain": chain.name, "ticket": key, "by": labelling.login})
    return saved


def _stopped_at(chain: ChainState, ticket: TicketState) -> datetime:
    """When the ticket stopped; for a state from before that was recorded, its last attempt's
    end, else when the chain began."""
    ends = [a.finished_at for a in ticket.attempts if a.finished_at]
    return ticket.stopped_at or max(ends, default=chain.started_at)
