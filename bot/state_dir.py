"""`.baton/`, Baton's own files in a working copy: the chain state, the run lock, the agents'
HOMEs. It ignores itself (a `.gitignore` of `*` inside it) from whichever command makes it first,
so `git add -A` never takes it into the project."""

from __future__ import annotations

import os
from pathlib import Path

STATE_DIR = ".baton"
_IGNORE_ALL = "# Baton's own files (state, locks, agent HOMEs): never part of the project\n*\n"


def in_state_dir(path: str | bytes) -> bool:
    """Whether a path from the working copy's top (as git lists it) is `.baton/` or in it."""
    return os.fsdecode(path).split("/")[0] == STATE_DIR


def state_dir(root: Path) -> Path:
    """`.baton/` of the working copy at `root`, made when missing, and ignoring itself (a
    directory an older Baton made gets its `.gitignore` too)."""
    path = root / STATE_DIR
    path.mkdir(exist_ok=True)
    ignore = path / ".gitignore"
    if not ignore.exists():
        ignore.write_text(_IGNORE_ALL, encoding="utf-8")
    return path
