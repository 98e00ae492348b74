"""The Forge port: where tickets come from and where results are reported.

The dispatcher calls these hooks at fixed points; an adapter makes the outside world reflect the
chain's state. Local mode keeps everything in the repository; GitHub mode (`bot.forge.github`)
reports on issues and pull requests and commits the knowledge base through the API.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from bot.knowledge import write_knowledge
from bot.state import ChainState, StoreData
from bot.workspace import Git


class Forge(Protocol):
    def open_chain(self, git: Git, state: ChainState) -> None:
        """Before a prepared chain continues: make its branch available in the working copy."""
        ...

    def pushed(self, git: Git, state: ChainState) -> None:
        """The chain's branch moved (prepared, an attempt committed, returned to a checkpoint)."""
        ...

    def stage(self, state: ChainState) -> None:
        """Just before a save: note in `state.reports` what `report` is about to create."""
        ...

    def report(self, state: ChainState) -> None:
        """Make the outside world reflect `state` (labels, comments, checks). Idempotent; may
        record what it wrote in `state.reports`, which the dispatcher saves with the next save."""
        ...

    def publish_knowledge(self, git: Git, state: ChainState, data: StoreData) -> str | None:
        """Write the knowledge base for a finished chain; return the commit that holds it."""
        ...


class LocalForge:
    """Local mode: nothing to report; the knowledge base is committed on the chain's branch."""

    def __init__(self, knowledge_dir: str) -> None:
        self.knowledge_dir = knowledge_dir

    def open_chain(self, _git: Git, _state: ChainState) -> None:
        return None

    def pushed(self, _git: Git, _state: ChainState) -> None:
        return None

    def stage(self, _state: ChainState) -> None:
        return None

    def report(self, _state: ChainState) -> None:
        return None

    def publish_knowledge(self, git: Git, state: ChainState, data: StoreData) -> str | None:
        write_knowledge(Path(git.root), self.knowledge_dir, data, state)
        return git.commit_all(f"baton: knowledge of chain {state.name}")
