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


def _console_notifier() -> Any:
    from bot.notify.console import ConsoleNotifier

    return ConsoleNotifier()


def _print_outcome(run: Any) -> int:
    """The chains' tables on stdout; exit 1 when any ticket is blocked or skipped."""
    from rich.console import Console

    from bot.notify.console import chain_table

    console = Console(highlight=False)
    code = 0
    for state in run.chains:
        console.print(chain_table(state))
        if state.finished:
            click.echo(f"report: {run.report(state)}")
        if state.outcome == "blocked":
            code = 1
        elif state.outcome == "running":
            click.echo(f"chain {state.name} is not finished; run baton again to continue")
    return code


@cli.command("run")
@click.option(
    "--local",
    "local",
    is_flag=True,
    help="Run on a local git repository (the default outside GitHub Actions).",
)
@click.option(
    "--repo",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(),
    show_default=True,
    help="The repository's working copy.",
)
@click.option("--chain", help="Run only this chain.")
@click.option("--dry-run", is_flag=True, help="Print what would be done now, change nothing.")
@click.option(
    "--max-minutes",
    type=click.FloatRange(min=0, min_open=True),
    help="Start no new action after this long.",
)
@click.option(
    "--stats", is_flag=True, help="Print the GitHub requests and rate-limit units the run cost."
)
def run_command(
    local: bool,
    repo: Path,
    chain: str | None,
    dry_run: bool,
    max_minutes: float | None,
    stats: bool,
) -> None:
    """Reconcile: work every chain's next steps until nothing is left to do now.

    With GITHUB_REPOSITORY set (as in GitHub Actions) and no --local, tickets are the issues
    labelled for Baton; otherwise they are the repository's tickets/*.yml."""
    import os

    crash = os.environ.get("BATON_CRASH_AFTER_ACTIONS")  # fault injection for crash tests
    options: dict[str, Any] = {
        "chain": chain,
        "dry_run": dry_run,
        "max_minutes": max_minutes,
        "crash_after": int(crash) if crash else None,
    }
    if local or not os.environ.get("GITHUB_REPOSITORY"):
        from bot.local import run_local

        result: Any = run_local(repo, _console_notifier(), **options)
    else:
        from bot.github_mode import run_github

        result = run_github(repo, _console_notifier(), **options)
        _report(result.problems)
    if dry_run:
        for name, actions in result.planned.items():
            click.echo(f"{name}: " + ("; ".join(a.describe() for a in actions) or "nothing to do"))
    code = 0 if dry_run else _print_outcome(result)
    if stats and hasattr(result, "stats"):
        click.echo(result.stats.line())
    sys.exit(code)


@cli.command("status")
@click.option(
    "--repo", type=click.Path(file_okay=False, path_type=Path), default=Path(), show_default=True
)
@click.option("--json", "as_json", is_flag=True, help="The state as JSON (the status.json schema).")
def status_command(repo: Path, as_json: bool) -> None:
    """Print every chain's state from the store."""
    from rich.console import Console

    from bot.knowledge import status_json
    from bot.local import load_state
    from bot.notify.console import chain_table
    from bot.workspace import Git

    data = load_state(Git.open(repo).root)
    if as_json:
        click.echo(json.dumps(status_json(data), indent=2))
        return
    if not data.chains:
        click.echo("no chains have run here yet")
        return
    console = Console(highlight=False)
    for state in data.chains.values():
        console.print(chain_table(state))


@cli.command("demo")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to create the demo repository (default: a new temporary directory).",
)
def demo_command(directory: Path | None) -> None:
    """Run a whole chain offline on a small API project, with a scripted stand-in agent."""
    from bot.demo import run_demo

    sys.exit(_print_outcome(run_demo(directory, _console_notifier())))
