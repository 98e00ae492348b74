"""Small real repositories for the planning tests: real git in a temporary directory, committed
at a fixed time by a fixed author, so that commit ids (and the snapshots showing them) are the
same on every run."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from bot.workspace import Git

_FIXED = {
    "GIT_AUTHOR_DATE": "2026-05-02T14:30:00+00:00",
    "GIT_COMMITTER_DATE": "2026-05-02T14:30:00+00:00",
}


def commit_files(root: Path, files: Mapping[str, str], executable: tuple[str, ...] = ()) -> str:
    """Write `files` (path -> text) in `root`, make a git repository there if there is none, and
    commit them all; `executable` files get their x bit. Returns the commit id."""
    if not (root / ".git").exists():
        root.mkdir(parents=True, exist_ok=True)
        _git(root, "init", "-q", "-b", "main")
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if name in executable:
            path.chmod(0o755)
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "files")
    return _git(root, "rev-parse", "HEAD")


def open_git(root: Path) -> Git:
    return Git.open(root, dict(os.environ))


def _git(root: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", *args],
        cwd=root,
        env={**os.environ, **_FIXED},
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout.strip()
