"""`baton retry`: a blocked or skipped ticket of a local chain back in the queue, with a fresh
budget, for the next `baton run` (see `transitions.retried`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot import transitions
from bot.errors import BatonError
from bot.local import run_lock
from bot.redact import Redactor
from bot.state import StoreData, TicketState
from bot.store import local_store
from bot.workspace import Git


@dataclass(frozen=True)
class Retried:
    """What a retry did: the ticket as it was, and the tickets queued with it."""

    chain: str
    ticket: TicketState
    also: list[str]


def retry_local(
    git: Git, key: str, chain: str | None, environ: Mapping[str, str], redact: Redactor
) -> Retried:
    """Retry ticket `key` (of `chain`, when given) in `.baton/state.json`, as the user of this
    working copy. Refused while a run works here: that run would not see it."""
    with run_lock(git.root):
        store = local_store(git.root, redact)
        data = store.load()
        name = chain_of(data, key, chain)
        state = data.chains[name]
        moved = transitions.retried(state, key, local_user(git, environ))
        store.save(data.model_copy(update={"chains": {**data.chains, name: moved.state}}))
    also = [k for k, t in moved.state.tickets.items() if k != key and t != state.tickets[k]]
    return Retried(name, state.tickets[key], also)


def chain_of(data: StoreData, key: str, chain: str | None) -> str:
    """The chain ticket `key` is in (`chain`, when given); one line naming what is wrong else."""
    if chain is not None and chain not in data.chains:
        known = ", ".join(sorted(data.chains)) or "none yet"
        raise BatonError(f"no chain named `{chain}` has run here", hint=f"the chains: {known}")
    names = [n for n, c in sorted(data.chains.items()) if key in c.tickets and chain in (None, n)]
    if not names:
        where = f"chain `{chain}`" if chain else "any chain that has run here"
        raise BatonError(
            f"no ticket `{key}` in {where}",
            hint="`baton status` lists the tickets (one no run has reached yet is queued: nothing "
            "to retry)",
        )
    if len(names) > 1:
        raise BatonError(
            f"ticket `{key}` is in chains {', '.join(names)}", hint="name one with --chain"
        )
    return names[0]


def local_user(git: Git, environ: Mapping[str, str]) -> str:
    """Who retried: the repository's git user, else the login."""
    name = git.run("config", "--get", "user.name", check=False)
    return name or environ.get("USER") or environ.get("LOGNAME") or "someone"
