"""What a version of the API does for the agent (`v1.V1`, `v0.V0`), and which agent and run a
call is about."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.agents.cursor.wire import Run


@dataclass
class Where:
    """Which agent and run a call is about, as far as it got: every error names them."""

    agent_id: str | None = None
    run_id: str | None = None
    # The id Baton chose for a new agent (see `v1.derive_agent_id`): v1 sends it as `agentId`,
    # v0 names the agent's branch with it, and either finds the agent by it after a lost answer.
    key: str | None = None

    def __str__(self) -> str:
        agent = f"cursor agent {self.agent_id or '(not created)'}"
        return f"{agent}, run {self.run_id}" if self.run_id else agent


class ApiVersion(Protocol):
    # Whether a run has an event stream to follow (else Baton polls).
    streams: bool

    def launch(self, where: Where, prompt: str, branch: str | None, name: str | None) -> Run:
        """Make the agent, starting from `branch`, with its first prompt and, where the version
        takes one, its `name`; `where` learns its id (and its run's)."""
        ...

    def followup(self, where: Where, prompt: str) -> Run:
        """Send the agent of `where` its next prompt."""
        ...

    def current(self, agent_id: str) -> Run:
        """The agent's latest run, as it is now."""
        ...

    def read(self, run: Run) -> Run:
        """The run as it is now."""
        ...

    def cancel(self, run: Run) -> Run | None:
        """Cancel a run that outlived its call: the run as it then is (CANCELLED, or ended on its
        own just before the cancel reached it), or None when it could not be cancelled."""
        ...

    def tokens(self, run: Run) -> tuple[int, int] | None:
        """The ended run's (input, output) tokens; None when the API has none to give."""
        ...

    def end(self, agent_id: str) -> None:
        """The chain is over: put its agent away, where the version can."""
        ...
