"""Which files of a change are its tests, and which code those tests are meant to test.

The code under test is what the ticket names to read or modify (or creates) and what the change
touched, less tests, test support (a `tests/` directory, fixtures) and files that are not code."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

from bot.globs import is_glob, matches_any
from bot.tickets import Ticket
from bot.validation.diff import Change

CODE = frozenset(
    [
        ".py",
        ".js",
        ".mjs",
        ".cjs",
        ".jsx",
        ".ts",
        ".tsx",
        ".go",
        ".java",
        ".kt",
        ".c",
        ".h",
        ".cc",
        ".cpp",
        ".cs",
        ".rs",
        ".swift",
        ".scala",
        ".php",
        ".rb",
    ]
)
# Directories that hold tests and their support code, never the code under test.
_TEST_DIRS = frozenset({"tests", "test", "spec", "__tests__", "testdata", "fixtures", "__mocks__"})


@dataclass(frozen=True)
class Target:
    """A file the sabotage may break, and the lines it may break: those the change added, or
    every line (None) for a file the ticket only names."""

    path: str
    lines: frozenset[int] | None


def is_code(path: str) -> bool:
    return PurePosixPath(path).suffix in CODE


def is_test_support(path: str, test_files: Iterable[str]) -> bool:
    parts = PurePosixPath(path).parts
    return matches_any(path, list(test_files)) or any(p in _TEST_DIRS for p in parts[:-1])


def new_tests(change: Change, test_files: list[str]) -> list[str]:
    """The test files the change added or changed, in path order."""
    return sorted(
        f.path
        for f in change.files
        if f.status != "deleted" and not f.binary and matches_any(f.path, test_files)
    )


def added_tests(change: Change, test_files: list[str]) -> list[str]:
    """The test files the change created."""
    return [p for p in new_tests(change, test_files) if (f := change.file(p)) and f.is_new]


def targets(
    change: Change, ticket: Ticket, test_files: list[str], present: set[str]
) -> list[Target]:
    """The code under test, in path order: files that exist at head (`present`)."""
    named = [*ticket.files.modify, *ticket.files.create, *ticket.files.read]
    paths = {p for p in named if not is_glob(p)}
    paths |= {p for p in present for g in named if is_glob(g) and matches_any(p, [g])}
    paths |= {f.path for f in change.files if f.status != "deleted"}
    out = []
    for path in sorted(paths & present):
        if not is_code(path) or is_test_support(path, test_files):
            continue
        changed = change.file(path)
        lines = None if changed is None or changed.is_new else frozenset(changed.added)
        if lines is not None and not lines:
            lines = None  # only lines removed: the whole file is fair game
        out.append(Target(path, lines))
    return out
