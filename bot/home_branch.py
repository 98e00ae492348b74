"""Where a local run starts and ends. New chains branch from the branch the user was on when the
run began (or `branches.base`); at its end, whatever happened, the run puts the user back there.

When the user was on a chain's own branch (looking at its work), new chains start from that
chain's base rather than from another chain's work, and the run ends on that chain's branch,
where the user was."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from bot.config import Config
from bot.errors import BatonError
from bot.state import StoreData
from bot.workspace import Git, Status

log = logging.getLogger(__name__)


def start_base(current: str | None, config: Config, data: StoreData) -> str | None:
    """The base of the chains this run starts: `branches.base`, else `current`, the branch
    checked out now (None when HEAD is detached), else that chain's base when it is a chain's
    branch."""
    if config.branches.base is not None:
        return config.branches.base
    own = [c.base_branch for c in data.chains.values() if c.branch == current]
    return own[0] if own else current


@contextlib.contextmanager
def returning(git: Git, now: Status) -> Iterator[None]:
    """Back to the branch (or the detached commit) checked out `now` once the block ends, also
    after an error. A working copy left with uncommitted changes (a run stopped mid-attempt)
    stays where it is: leaving would lose them; the log says so."""
    home = now.branch or str(now.head)
    try:
        yield
    finally:
        _go_back(git, home, detached=now.branch is None)


def _go_back(git: Git, home: str, *, detached: bool) -> None:
    try:
        now = git.status()
        here = now.head if detached and now.branch is None else now.branch
        if here == home:
            return
        if now.dirty:
            log.warning("run.not_returned", extra={"branch": now.branch, "home": home})
            return
        git.switch(home)
    except BatonError as exc:  # the run's own outcome (or error) matters more
        log.warning("run.not_returned", extra={"home": home, "error": str(exc)})
