"""How one `baton run` works its chains: the choices of the entry point, in one value."""

from __future__ import annotations

import os
import signal
from collections.abc import Mapping
from dataclasses import dataclass

from bot.state import RunRef

CRASH_EXIT = 86  # the exit status of an injected crash


@dataclass(frozen=True)
class Crashes:
    """Fault injection for the crash-safety tests, read from the environment by the entry point:
    die abruptly once `after` actions are saved (BATON_CRASH_AFTER_ACTIONS), or, with `pause`
    (BATON_PAUSE_AFTER_ACTIONS=1), stop (SIGSTOP) after every saved action, where a crash would
    leave the files as they are, for a test to copy them before it lets the run go on (SIGCONT)."""

    after: int | None = None
    pause: bool = False

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> Crashes:
        after = env.get("BATON_CRASH_AFTER_ACTIONS")
        return cls(int(after) if after else None, env.get("BATON_PAUSE_AFTER_ACTIONS") == "1")

    def after_action(self, done: int) -> None:
        """Called once the run has saved `done` actions."""
        if self.pause:
            os.kill(os.getpid(), signal.SIGSTOP)
        if self.after is not None and done >= self.after:
            os._exit(CRASH_EXIT)


NO_CRASHES = Crashes()


@dataclass
class RunOptions:
    dry_run: bool = False
    deadline: float | None = None  # time.monotonic() after which no new action starts
    crashes: Crashes = NO_CRASHES  # but in the crash-safety tests
    max_tickets: int | None = None  # start at most this many new tickets in this run
    cloud_agent: bool = False  # the agent works on its own copy and pushes a branch
    validate_in_job: bool = False  # the agent's code is tested in a job without secrets
    ticket_commands: bool = True  # a ticket may set its own test command (see issue_test_commands)
    # Inside GitHub Actions: this run, recorded with the chain's lease and its handovers.
    run: RunRef | None = None
