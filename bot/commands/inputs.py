"""What the commands share: the `--repo` option, reading a text file, and printing problems."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from bot.errors import BatonError, Problem

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


def report(problems: list[Problem]) -> None:
    for problem in problems:
        click.echo(problem.render(), err=True)


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BatonError(f"cannot read {path}: {exc}", hint="pass a UTF-8 text file") from exc
