"""Paths no ticket names unless the repository allows it (`allow_protected: true` in
`.github/baton.yml`): git's own files (hooks, config with the checkout's token), Baton's state,
the workflows (which hold the repository's secrets) and the action. A ticket is text anyone may
have written; changing these changes what runs with the repository's rights."""

from __future__ import annotations

from pathlib import PurePosixPath

from bot.globs import matches
from bot.tickets import TicketFiles

PROTECTED = (".git/**", ".baton/**", ".github/workflows/**", "action.yml", "action.yaml")
# A path under each protected pattern, to try a ticket's directory or glob on.
_SAMPLES = (
    ".git/config",
    ".git/hooks/pre-commit",
    ".baton/state.json",
    ".github/workflows/baton.yml",
    "action.yml",
    "action.yaml",
)
_ROOTS = frozenset({".git", ".baton", "action.yml", "action.yaml"})


def is_protected(pattern: str) -> bool:
    """True when `pattern` (a path or a glob of a ticket's files) names or reaches a protected
    path. Compared without case: on a case-insensitive file system `.GIT/config` is `.git/config`."""
    path = pattern.lower()
    parts = PurePosixPath(path).parts
    if not parts or parts[0] in _ROOTS or parts[:2] == (".github", "workflows"):
        return True
    # A directory above them (`.github`) or a glob (`**`, `.github/*/*.yml`) reaches them too.
    return any(matches(sample, path) for sample in _SAMPLES)


def protected_files(files: TicketFiles) -> list[tuple[str, int, str]]:
    """Each protected entry of a ticket's files: (list name, index, path)."""
    return [
        (name, i, path)
        for name in ("create", "modify", "read")
        for i, path in enumerate(getattr(files, name))
        if is_protected(path)
    ]


def protected_message(path: str) -> str:
    return (
        f"`{path}` is a protected path ({', '.join(PROTECTED[:4])}); a ticket names one only "
        "when the repository's .github/baton.yml sets `allow_protected: true`"
    )
