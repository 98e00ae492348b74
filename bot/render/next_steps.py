"""What the end of a local run says under each chain: how to look at its work and merge it, and
how to retry a blocked ticket. Plain git and baton commands, to copy."""

from __future__ import annotations

import shlex
from pathlib import Path

from bot.render.terminal import one_line
from bot.state import ChainState


def next_steps(chain: ChainState, elsewhere: Path | None = None) -> list[str]:
    """`elsewhere`: the repository, when the run was not started inside it (the demo's, or one
    named by --repo): the commands name it, so that they work where they are copied."""
    if not chain.prepared:
        return []
    base, branch = chain.base_branch, chain.branch
    git = git_command(elsewhere)
    repo = "" if elsewhere is None else f" --repo {shlex.quote(str(elsewhere))}"
    lines = []
    if any(t.status == "passed" for t in chain.tickets.values()):  # else there is no work in it
        lines += [
            f"look at it: {git} log --oneline {base}..{branch}   "
            f"(the change: {git} diff {base}...{branch})",
            f"merge it:   {git} merge {branch}   (on {base})",
        ]
    lines += [
        f"retry:      {retry_command(chain, t.key)}{repo}"
        for t in chain.tickets.values()
        if t.status == "blocked"
    ]
    return lines


def retry_command(chain: ChainState, key: str) -> str:
    """The command that puts a blocked ticket of `chain` back in the queue."""
    return f"baton retry {shlex.quote(one_line(key))} --chain {chain.name}"


def git_command(elsewhere: Path | None) -> str:
    return "git" if elsewhere is None else f"git -C {shlex.quote(str(elsewhere))}"
