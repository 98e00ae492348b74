"""The Agent port: start a session with a prompt, or resume one; either way, a reply."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from bot.agents.result import AgentResult


class Agent(Protocol):
    name: str

    def start(
        self,
        prompt: str,
        workdir: Path,
        branch: str | None = None,
        *,
        test_command: str | None = None,
        session_key: str | None = None,
        chain: str | None = None,
    ) -> AgentResult:
        """Open a new session with this prompt and wait for the agent's answer. A CLI agent works
        in `workdir`; a cloud agent starts from `branch`, which Baton has pushed, and answers
        with the branch it pushed its work to. `test_command` is the ticket's: a CLI agent is
        allowed to run it (and no other command it was not otherwise allowed). `session_key`
        names this session of this chain, the same when the launch is sent again after a crash
        and another for a new chain of the same name: a cloud agent's id comes from it. `chain`
        names the chain the session is for (a cloud agent is named after it)."""
        ...

    def resume(
        self,
        session_id: str,
        prompt: str,
        workdir: Path,
        branch: str | None = None,
        *,
        test_command: str | None = None,
    ) -> AgentResult:
        """Send a followup to the session and wait for the answer."""
        ...

    def end_session(self, session_id: str) -> None:
        """The chain is finished: the session will not be resumed. A cloud agent puts its agent
        away; a CLI agent does nothing. Never raises."""
        ...
