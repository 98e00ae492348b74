"""The Agent port: start a session with a prompt, or resume one; either way, a reply."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from bot.state import AgentResult


class Agent(Protocol):
    name: str

    def start(self, prompt: str, workdir: Path) -> AgentResult:
        """Open a new session with this prompt and wait for the agent's answer."""
        ...

    def resume(self, session_id: str, prompt: str, workdir: Path) -> AgentResult:
        """Send a followup to the session and wait for the answer."""
        ...
