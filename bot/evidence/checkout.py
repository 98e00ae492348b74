"""A throwaway checkout of one commit, beside the working copy, so that a test run there never
touches the working copy: the base of a ticket (its tests before the change), or the head under
sabotage. What git ignores at the top of the working copy (`node_modules`, `.venv`: what the
project installed) is linked in, so the checkout runs as the working copy does."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from bot.state_dir import STATE_DIR
from bot.validation.command import share_with
from bot.workspace import Git


@contextmanager
def checkout(
    git: Git, commit: str, *, run_as: str | None, reports: Iterable[str] = ()
) -> Iterator[Path]:
    """A detached checkout of `commit`, removed afterwards, the ignored top-level entries of
    the working copy linked into it, except where a report of the run (`reports`) goes."""
    own = {PurePosixPath(p).parts[0] for p in reports}
    with tempfile.TemporaryDirectory(prefix="baton-checkout-") as tmp:
        work = Path(tmp) / "work"
        git.run("worktree", "add", "-q", "--detach", str(work), commit)
        try:
            for name in _ignored_top(git):
                if name not in own and not (work / name).exists():
                    (work / name).symlink_to(git.root / name)
            share_with(run_as, Path(tmp))
            yield work
        finally:
            git.run("worktree", "remove", "--force", str(work), check=False)


def _ignored_top(git: Git) -> list[str]:
    out = git.run(
        "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory", strip=False
    )
    names = {p.rstrip("/").split("/")[0] for p in out.split("\0") if p}
    return sorted(n for n in names if n and n not in (".git", STATE_DIR))
