"""What the commands share: the `--repo` option, the repository a command runs in, reading a text
file, and printing problems."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from bot.errors import BatonError, Problem, WorkspaceError

if TYPE_CHECKING:
    from bot.workspace import Git

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


def working_copy(folder: Path, environ: Mapping[str, str]) -> Git | None:
    """The working copy `folder` is in, if any."""
    from bot.workspace import Git

    try:
        return Git.open(folder, environ)
    except (WorkspaceError, OSError):  # not in a working copy, or no git to tell
        return None


def repository_root(environ: Mapping[str, str]) -> Path:
    """Where a command finds the repository's files by default (`tickets/`, `.github/baton.yml`):
    the top of the working copy it runs in, as `run` does, else here. Relative to here, as the
    paths it prints are."""
    git = working_copy(Path.cwd(), environ)
    return Path(os.path.relpath(git.root)) if git else Path()


def report(problems: list[Problem]) -> None:
    for problem in problems:
        click.echo(problem.render(), err=True)


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BatonError(f"cannot read {path}: {exc}", hint="pass a UTF-8 text file") from exc
