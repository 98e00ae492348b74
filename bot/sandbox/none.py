"""No sandbox (`sandbox: off`, or bubblewrap missing outside CI): commands run as they are, with
the environment they are given, the real HOME and the network. Only the user switch of
`validation.run_as` is done here, as it is in the sandbox."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.sandbox.home import AgentFiles
from bot.sandbox.port import Command, Confinement, as_user, with_env


@dataclass(frozen=True)
class NoSandbox:
    # Baton runs as root: runuser switches users, not sudo.
    root: bool = field(default_factory=lambda: os.geteuid() == 0)

    @property
    def active(self) -> bool:
        return False

    def agent_home(self, homes_dir: Path, chain: str, files: AgentFiles) -> Path | None:
        del homes_dir, chain, files  # the agent keeps the real HOME, as it would without Baton
        return None

    def wrap(self, argv: Sequence[str], confinement: Confinement) -> Command:
        env = dict(confinement.env)
        if confinement.user is None:
            return Command(list(argv), env)
        prefix = as_user(confinement.user, root=self.root)
        return Command([*prefix, *with_env(env), *argv], env)
