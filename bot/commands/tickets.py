"""`baton tickets`: parse, lint, push and pull tickets."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from bot.commands.inputs import read_text, repo_option, report, repository_root
from bot.errors import BatonError, Problem
from bot.runtime import Runtime


@click.group()
def tickets() -> None:
    """Parse, lint and sync tickets (issue bodies and tickets/*.yml chain files)."""


def _allow_protected(root: Path) -> bool:
    """Whether the repository at `root` (its .github/baton.yml, if any) lets tickets name
    protected paths; `baton config check` reports a config that does not load."""
    from bot.config import DEFAULT_PATH, check_config

    config, _ = check_config(root / DEFAULT_PATH)
    return config is not None and config.allow_protected


@tickets.command("parse")
@click.argument("path", default="-", type=click.Path(allow_dash=True, dir_okay=False))
@click.option("--title", help="The ticket's title (an issue's title is not part of its body).")
@click.pass_obj
def tickets_parse(runtime: Runtime, path: str, title: str | None) -> None:
    """Parse an issue body (a file, or - for stdin) and print the ticket as JSON."""
    from bot.issue_form import parse_issue_body

    body = sys.stdin.read() if path == "-" else read_text(Path(path))
    ticket, problems = parse_issue_body(
        body,
        title=title,
        source="<stdin>" if path == "-" else path,
        allow_protected=_allow_protected(repository_root(runtime.environ)),
    )
    report(problems)
    if ticket is None:
        sys.exit(1)
    click.echo(json.dumps(ticket.model_dump(mode="json"), indent=2, ensure_ascii=False))


@tickets.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.pass_obj
def tickets_lint(runtime: Runtime, paths: tuple[Path, ...]) -> None:
    """Check chain files (*.yml) and issue bodies (other files); a directory means its chain files.

    With no PATH, the tickets/ directory of the working copy this runs in. Exit 1 when any
    problem is an error."""
    from bot.chain_file import ChainFile, defined_twice, parse_chain_file
    from bot.issue_form import parse_issue_body

    root = repository_root(runtime.environ)
    files: list[Path] = []
    for path in paths or (root / "tickets",):
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix in {".yml", ".yaml"})
        elif path.exists():
            files.append(path)
        else:
            raise BatonError(f"{path} does not exist", hint="pass chain files or issue bodies")
    problems: list[Problem] = []
    chains: list[ChainFile] = []
    allow = _allow_protected(root)
    for file in files:
        if file.suffix in {".yml", ".yaml"}:
            chain, found = parse_chain_file(file, allow_protected=allow, lint=root)
            chains += [chain] if chain is not None else []
            problems += found
        else:
            problems += parse_issue_body(read_text(file), source=str(file), allow_protected=allow)[
                1
            ]
    problems += defined_twice(chains)
    report(problems)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    click.echo(f"{len(files)} file(s) checked: {errors} error(s), {warnings} warning(s)")
    if errors:
        sys.exit(1)


@tickets.command("push")
@repo_option()
@click.option("--ready", is_flag=True, help="Also add the trigger label, so Baton starts on them.")
@click.pass_obj
def tickets_push(runtime: Runtime, repo: Path, ready: bool) -> None:
    """Create or update one GitHub issue per ticket of tickets/*.yml (GITHUB_REPOSITORY)."""
    from bot.chain_file import load_chain_dir
    from bot.config import load_config
    from bot.forge.ticket_sync import push

    config = load_config(repo / ".github" / "baton.yml")
    chains = load_chain_dir(repo / config.tickets_dir, allow_protected=config.allow_protected)
    github = runtime.github()
    result = push(github.repo, chains, label=config.labels.trigger if ready else None)
    click.echo(
        f"{len(result.created)} created, {len(result.updated)} updated, "
        f"{len(result.unchanged)} unchanged"
    )


@tickets.command("pull")
@repo_option()
@click.pass_obj
def tickets_pull(runtime: Runtime, repo: Path) -> None:
    """Write the open issues Baton pushed, or whose trigger label someone with write access
    applied, to tickets/*.yml."""
    from bot.config import load_config
    from bot.forge.ticket_sync import pull

    config = load_config(repo / ".github" / "baton.yml")
    github = runtime.github()
    result = pull(
        github.repo,
        github.trust(config),
        config.labels.trigger,
        repo / config.tickets_dir,
        allow_protected=config.allow_protected,
    )
    for path in result.written:
        click.echo(f"wrote {path}")
    for refusal in result.refused:
        click.echo(refusal.render(), err=True)
