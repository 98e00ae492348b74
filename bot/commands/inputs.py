"""What the commands share: the `--repo` option, the repository a command runs in, reading a text
file, and printing problems."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import click

from bot.errors import BatonError, Problem, WorkspaceError

F = TypeVar("F", bound=Callable[..., Any])


def repo_option(help: str = "The repository's working copy.") -> Callable[[F], F]:
    """`--repo PATH`, the same on every command that works on a repository."""
    return click.option(
        "--repo",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path(),
        show_default=True,
        help=help,
    )


def repository_root(environ: Mapping[str, str]) -> Path:
    """Where a command finds the repository's files by default (`tickets/`, `.github/baton.yml`):
    the top of the working copy it runs in, as `run` does, else here. Relative to here, as the
    paths it prints are."""
    from bot.workspace import Git

    try:
        root = Git.open(Path.cwd(), environ).root
    except (WorkspaceError, OSError):  # not in a working copy, or no git to tell
        return Path()
    return Path(os.path.relpath(root))


def report(problems: list[Problem]) -> None:
    for problem in problems:
        click.echo(problem.render(), err=True)


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BatonError(f"cannot read {path}: {exc}", hint="pass a UTF-8 text file") from exc
