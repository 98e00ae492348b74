"""The chain's lease: one run works a chain at a time; a dead holder on this machine lets go."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import timedelta

from bot.lease import held_by_another, holder, take
from bot.state import ChainState, Lease, now


def _chain() -> ChainState:
    return ChainState(name="c", branch="baton/c", base_branch="main")


def test_a_live_holder_on_this_machine_keeps_the_chain() -> None:
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        state = _chain()
        state.lease = Lease(
            owner=f"{socket.gethostname()}:{other.pid}:live", until=now() + timedelta(hours=1)
        )
        assert held_by_another(state, holder()) is not None
        assert held_by_another(state, state.lease.owner) is None, "the holder itself may go on"
    finally:
        other.kill()
        other.wait()


def test_an_earlier_run_in_this_process_holds_nothing() -> None:
    state = _chain()
    state = take(state, holder(), 60)
    assert held_by_another(state, holder()) is None


def test_an_expired_lease_is_free() -> None:
    state = _chain()
    state.lease = Lease(owner="elsewhere:1:abc", until=now() - timedelta(seconds=1))
    assert held_by_another(state, holder()) is None


def test_a_dead_holder_on_this_machine_lets_go_at_once() -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    state = _chain()
    state.lease = Lease(
        owner=f"{socket.gethostname()}:{gone.stdout.strip()}:dead", until=now() + timedelta(hours=1)
    )
    assert held_by_another(state, holder()) is None


def test_a_holder_on_another_machine_is_trusted_until_expiry() -> None:
    state = _chain()
    state.lease = Lease(owner="another-runner:1:abc", until=now() + timedelta(hours=1))
    assert held_by_another(state, holder()) is not None
