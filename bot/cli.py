"""The `baton` command. Thin: it parses arguments, loads config and calls the library.

Heavy modules are imported inside the commands so that `baton --help` stays quick.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from bot import __version__
from bot.errors import BatonError, Problem


class _Group(click.Group):
    """Turns a BatonError anywhere below into one line on stderr and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BatonError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)


def _report(problems: list[Problem]) -> None:
    for problem in problems:
        click.echo(problem.render(), err=True)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="baton")
def cli() -> None:
    """Baton hands a chain of tickets to one coding-agent session and checks every step."""


@cli.group(cls=_Group)
def tickets() -> None:
    """Parse, lint and sync tickets (issue bodies and tickets/*.yml chain files)."""


@tickets.command("parse")
@click.argument("path", default="-", type=click.Path(allow_dash=True, dir_okay=False))
@click.option("--title", help="The ticket's title (an issue's title is not part of its body).")
def tickets_parse(path: str, title: str | None) -> None:
    """Parse an issue body (a file, or - for stdin) and print the ticket as JSON."""
    from bot.issue_form import parse_issue_body

    body = sys.stdin.read() if path == "-" else _read_text(Path(path))
    ticket, problems = parse_issue_body(
        body, title=title, source="<stdin>" if path == "-" else path
    )
    _report(problems)
    if ticket is None:
        sys.exit(1)
    click.echo(json.dumps(ticket.model_dump(mode="json"), indent=2, ensure_ascii=False))


@tickets.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
def tickets_lint(paths: tuple[Path, ...]) -> None:
    """Check chain files (*.yml) and issue bodies (other files); a directory means its chain files.

    With no PATH, the tickets/ directory. Exit 1 when any problem is an error."""
    from bot.chain_file import parse_chain_file
    from bot.issue_form import parse_issue_body

    files: list[Path] = []
    for path in paths or (Path("tickets"),):
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix in {".yml", ".yaml"})
        elif path.exists():
            files.append(path)
        else:
            raise BatonError(f"{path} does not exist", hint="pass chain files or issue bodies")
    problems: list[Problem] = []
    for file in files:
        if file.suffix in {".yml", ".yaml"}:
            problems += parse_chain_file(file)[1]
        else:
            problems += parse_issue_body(_read_text(file), source=str(file))[1]
    _report(problems)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    click.echo(f"{len(files)} file(s) checked: {errors} error(s), {warnings} warning(s)")
    if errors:
        sys.exit(1)


@cli.group(cls=_Group)
def config() -> None:
    """Inspect the configuration."""


@config.command("check")
@click.argument("path", default=".github/baton.yml", type=click.Path(path_type=Path))
def config_check(path: Path) -> None:
    """Validate .github/baton.yml (a missing file means every default)."""
    from bot.config import check_config

    loaded, problems = check_config(path)
    _report(problems)
    if loaded is None:
        sys.exit(1)
    click.echo(f"{path}: ok" if path.exists() else f"{path}: absent, every default applies")


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BatonError(f"cannot read {path}: {exc}", hint="pass a UTF-8 text file") from exc


def main() -> None:
    cli(prog_name="baton")
