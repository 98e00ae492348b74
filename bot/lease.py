"""Who is working a chain right now. Two runs over the same chain (an overlapping schedule, a
manual dispatch) must not both act: the first to save takes the chain's lease, and another run
that finds it held leaves the chain alone. The lease rides on saves Baton makes anyway, so an
idle run writes nothing. It lapses at its expiry, or at once when its holder is known to be gone
(a killed run must not hold its chain hostage): on this machine, when its process is no longer
alive; inside GitHub Actions, when the holder's Actions run has finished, as the caller's
`runs` (an observation of the Actions API, None when it cannot tell) says."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.state import ChainState, Lease, RunRef, StoreData, now
from bot.workflow_runs import RunSeen

# (a lease holder's run) -> the run as the Actions API sees it, or None when that cannot be told.
RunLookup = Callable[[RunRef], RunSeen | None]


def holder() -> str:
    """This run: its host, its process, and a nonce (process ids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _alive_here(owner: str) -> bool | None:
    """Whether the holder is alive, when it ran on this host; None when that cannot be told."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return None
    if int(pid) == os.getpid():
        return False  # an earlier run in this very process: runs here follow one another
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run_finished(held_by: RunRef, seen: RunSeen) -> bool:
    """Whether the holder's attempt of its Actions run is over: the run has completed, or it was
    re-run (GitHub re-runs only a completed run, so a later attempt means the holder's ended)."""
    return seen.status == "completed" or seen.attempt > held_by.attempt


def held_by_another(
    state: ChainState,
    me: str,
    at: datetime | None = None,
    *,
    runs: RunLookup | None = None,
) -> Lease | None:
    """The lease another live run holds on this chain, or None when this run may work it."""
    lease = state.lease
    if lease is None or lease.owner == me or lease.until <= (at or now()):
        return None
    alive = _alive_here(lease.owner)
    if alive is not None:
        return None if alive is False else lease
    if lease.run is not None and runs is not None:
        seen = runs(lease.run)
        if seen is not None and run_finished(lease.run, seen):
            return None
    return lease


def standing(
    state: ChainState, me: str, runs: RunLookup | None = None
) -> tuple[Lease | None, str | None]:
    """Another live run's lease on the chain (this run leaves the chain alone), or None; and
    what to tell people of it: that the chain is left alone, or taken over from a finished run."""
    lease = state.lease
    other = held_by_another(state, me, runs=runs)
    if other is not None:
        where = f"{other.run.describe()}, " if other.run else ""
        until = f"until {other.until:%H:%M:%S} UTC"
        return other, f"another baton run is working this chain ({where}{until}); leaving it alone"
    if lease and lease.run and lease.owner != me and lease.until > now():
        return None, f"{lease.run.describe()} held this chain and has finished: taking it over"
    return None, None


def take(state: ChainState, me: str, seconds: float, run: RunRef | None = None) -> ChainState:
    """The chain held by this run (`me`) for `seconds` from now."""
    lease = Lease(owner=me, until=now() + timedelta(seconds=seconds), run=run)
    return state.model_copy(update={"lease": lease})


def holds(state: ChainState, me: str) -> bool:
    return state.lease is not None and state.lease.owner == me


def released(state: ChainState) -> ChainState:
    """The chain let go of, so that the next run need not wait for the lease to lapse."""
    return state.model_copy(update={"lease": None})


def rebase(
    current: StoreData, ours: StoreData, name: str, seen: str | None, me: str
) -> StoreData | None:
    """What a run saves when the store moved on since it last read or wrote it: its chain `name`
    as it has it in `ours`, over the others' changes. Another run may have saved another chain
    (parallel chains share the store), or, while this run holds the chain's lease, added a
    ticket to it (a review followup): both are kept. `seen` is the chain as this run last read
    or wrote it (`fingerprint`). None when the chain itself changed otherwise (another run took
    it over): this run must read it again and plan anew."""
    mine = ours.chains[name]
    theirs = current.chains.get(name)
    held = theirs is not None and theirs.lease is not None and theirs.lease.owner == me
    if not held and fingerprint(theirs) != seen:
        return None
    merged = mine
    if theirs is not None and held:
        added = {key: t for key, t in theirs.tickets.items() if key not in mine.tickets}
        if added:
            merged = mine.model_copy(
                update={
                    "tickets": {**mine.tickets, **added},
                    "reviews": {**theirs.reviews, **mine.reviews},
                    "finished": False,
                }
            )
    proposals = [*current.proposals, *(p for p in ours.proposals if p not in current.proposals)]
    return current.model_copy(
        update={"chains": {**current.chains, name: merged}, "proposals": proposals}
    )


def fingerprint(chain: ChainState | None) -> str | None:
    """The chain as saved, to tell later whether another run changed it."""
    return chain.model_dump_json() if chain is not None else None
