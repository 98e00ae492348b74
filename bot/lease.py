"""Who is working a chain right now. Two runs over the same chain (an overlapping schedule, a
manual dispatch) must not both act: the first to save takes the chain's lease, and another run
that finds it held leaves the chain alone. The lease rides on saves Baton makes anyway, so an
idle run writes nothing; it lapses at its expiry, or at once when its holder on this machine is
no longer alive (a killed run must not hold its chain hostage)."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta

from bot.state import ChainState, Lease, now


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


def held_by_another(state: ChainState, me: str, at: datetime | None = None) -> Lease | None:
    """The lease another live run holds on this chain, or None when this run may work it."""
    lease = state.lease
    if lease is None or lease.owner == me or lease.until <= (at or now()):
        return None
    return None if _alive_here(lease.owner) is False else lease


def take(state: ChainState, me: str, seconds: float) -> None:
    state.lease = Lease(owner=me, until=now() + timedelta(seconds=seconds))
