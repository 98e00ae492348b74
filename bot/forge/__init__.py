"""The Forge port: where tickets come from and where results are reported.

The dispatcher calls these hooks at fixed points; an adapter makes the outside world reflect the
chain's state. Local mode keeps everything in the repository; GitHub mode (`bot.forge.github`)
reports on issues and pull requests and commits the knowledge base through the API.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from bot.errors import WorkspaceError
from bot.knowledge import write_knowledge
from bot.learning import Proposal, conventions_with_proposals
from bot.state import ChainState, StoreData, Validation
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

    def fetch(self, git: Git, branch: str) -> None:
        """Bring a branch a cloud agent pushed into the working copy's FETCH_HEAD."""
        ...

    def validation_result(self, state: ChainState, key: str, attempt: int) -> Validation | None:
        """The result a validation job reported for this attempt, if it has arrived."""
        ...

    def report(self, state: ChainState) -> None:
        """Make the outside world reflect `state` (labels, comments, checks). Idempotent; may
        record what it wrote in `state.reports`, which the dispatcher saves with the next save."""
        ...

    def publish_knowledge(self, git: Git, state: ChainState, data: StoreData) -> str | None:
        """Write the knowledge base for a finished chain; return the commit that holds it."""
        ...

    def propose_conventions(
        self, git: Git, state: ChainState, path: str, found: list[Proposal]
    ) -> list[str]:
        """Offer new conventions for people to accept (a separate commit, or a pull request);
        never rewrite theirs. Returns the ids of the proposals it added."""
        ...


class LocalForge:
    """Local mode: nothing to report; the knowledge base is committed on the chain's branch.

    With a `remote` (a cloud agent needs one to reach the code), the chain's branch is pushed
    there after every move and the agent's branches are fetched from it."""

    def __init__(self, knowledge_dir: str, remote: str | None = None) -> None:
        self.knowledge_dir = knowledge_dir
        self.remote = remote

    def open_chain(self, _git: Git, _state: ChainState) -> None:
        return None

    def pushed(self, git: Git, state: ChainState) -> None:
        if self.remote:
            git.run("push", "-q", "--force", self.remote, f"HEAD:refs/heads/{state.branch}")

    def fetch(self, git: Git, branch: str) -> None:
        if not self.remote:
            raise WorkspaceError(
                f"the agent pushed `{branch}`, but this repository has no remote to fetch it from",
                hint="add the remote the agent pushes to (`git remote add origin URL`)",
            )
        git.run("fetch", "-q", self.remote, branch)

    def stage(self, _state: ChainState) -> None:
        return None

    def validation_result(self, _state: ChainState, _key: str, _attempt: int) -> Validation | None:
        return None  # local mode validates inline

    def report(self, _state: ChainState) -> None:
        return None

    def publish_knowledge(self, git: Git, state: ChainState, data: StoreData) -> str | None:
        write_knowledge(Path(git.root), self.knowledge_dir, data, state)
        return git.commit_all(f"baton: knowledge of chain {state.name}")

    def propose_conventions(
        self, git: Git, state: ChainState, path: str, found: list[Proposal]
    ) -> list[str]:
        file = Path(git.root) / path
        existing = file.read_text(encoding="utf-8") if file.exists() else ""
        text, added = conventions_with_proposals(existing, found, state.name)
        if added:
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(text, encoding="utf-8")
            git.commit_all(f"baton: propose conventions learned in chain {state.name}")
        return added
