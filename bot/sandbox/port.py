"""The Sandbox port: how an agent call or a test command is confined.

A sandbox does not run anything: `wrap` turns a command and what it may reach (a
`Confinement`) into the argv and environment to run (`bot.processes.run_command` runs them), so
what a sandbox allows can be read, and tested, without starting a process.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, Protocol

from bot.sandbox.home import AgentFiles


@dataclass(frozen=True)
class Confinement:
    """What one command may reach besides the read-only system."""

    workdir: Path  # writable, but for its `.git` (read-only) and Baton's `.baton/` (hidden)
    env: Mapping[str, str]  # exactly this environment (HOME is the sandbox's to set)
    home: Path | None = None  # a HOME of its own, writable; None: a throwaway one
    network: bool = True
    readable: tuple[Path, ...] = ()  # more paths it may read (e.g. the prompt file)
    user: str | None = None  # run as this user (validation.run_as)


class Command(NamedTuple):
    """What to run: the argv and its whole environment."""

    argv: list[str]
    env: dict[str, str]


class Sandbox(Protocol):
    @property
    def active(self) -> bool:
        """True when commands run confined (an agent CLI may then leave out its own sandbox)."""
        ...

    def agent_home(self, homes_dir: Path, chain: str, files: AgentFiles) -> Path | None:
        """The HOME the agent of `chain` keeps from one call to the next (its sessions live
        there), made on first use under `homes_dir`; None where the agent uses the real one."""
        ...

    def wrap(self, argv: Sequence[str], confinement: Confinement) -> Command:
        """The command that runs `argv` confined as `confinement` says."""
        ...


def as_user(user: str, *, root: bool) -> list[str]:
    """The prefix that runs a command as `user`: runuser as root, `sudo -n` otherwise."""
    return ["runuser", "-u", user, "--"] if root else ["sudo", "-n", "-u", user, "--"]


def with_env(env: Mapping[str, str]) -> list[str]:
    """`env -i` with exactly `env`: a user switch does not carry the environment over."""
    return ["env", "-i", *(f"{k}={v}" for k, v in env.items())]
