"""What the end of a local run says under each chain: how to look at its work and merge it, and
how to retry a blocked ticket. Plain git and baton commands, to copy."""

from __future__ import annotations

from bot.render.terminal import one_line
from bot.state import ChainState


def next_steps(chain: ChainState) -> list[str]:
    if not chain.prepared:
        return []
    base, branch = chain.base_branch, chain.branch
    lines = [
        f"look at it: git log --oneline {base}..{branch}   (the change: git diff {base}...{branch})",
        f"merge it:   git merge {branch}   (on {base})",
    ]
    lines += [
        f"retry:      baton retry {one_line(t.key)} --chain {chain.name}"
        for t in chain.tickets.values()
        if t.status == "blocked"
    ]
    return lines
