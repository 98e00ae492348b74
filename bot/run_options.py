"""How one `baton run` works its chains: the choices of the entry point, in one value."""

from __future__ import annotations

from dataclasses import dataclass

from bot.state import RunRef


@dataclass
class RunOptions:
    dry_run: bool = False
    deadline: float | None = None  # time.monotonic() after which no new action starts
    # Fault injection for crash-safety tests: die abruptly after this many saved actions.
    crash_after: int | None = None
    max_tickets: int | None = None  # start at most this many new tickets in this run
    cloud_agent: bool = False  # the agent works on its own copy and pushes a branch
    validate_in_job: bool = False  # the agent's code is tested in a job without secrets
    ticket_commands: bool = True  # a ticket may set its own test command (see issue_test_commands)
    # Inside GitHub Actions: this run, recorded with the chain's lease and its handovers.
    run: RunRef | None = None
