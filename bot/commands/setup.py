"""`baton init` (a repository set up for Baton) and `baton config check`."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.commands.inputs import repo_option, report, repository_root, working_copy
from bot.errors import ConfigError
from bot.runtime import Runtime

if TYPE_CHECKING:
    from bot.config import AgentConfig


@click.group()
def config() -> None:
    """Inspect the configuration."""


@config.command("check")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option(
    "--file-only",
    is_flag=True,
    help="Check the file (and the Cursor key), not what this machine has for a run (the agent "
    "CLI, the test command's program, the base branch): for a job that runs no agent.",
)
@click.pass_obj
def config_check(runtime: Runtime, path: Path | None, file_only: bool) -> None:
    """Validate .github/baton.yml (a missing file means every default).

    PATH is the file, or a repository's directory for its .github/baton.yml; by default, the
    .github/baton.yml of the working copy this runs in."""
    from bot.agents.cli.versions import check_version
    from bot.config import check_config
    from bot.preflight import problems as preflight

    path = _config_file(path, runtime.environ)
    loaded, problems = check_config(path)
    report(problems)
    if loaded is None:
        sys.exit(1)
    # What a run would fail on (bot.preflight): an error each, and exit 1 after the other checks.
    if not path.exists():
        click.echo(f"{path}: absent, every default applies")
    failing = (
        []
        if file_only
        else preflight(
            loaded, working_copy(path.resolve().parent, runtime.environ), runtime.environ, str(path)
        )
    )
    report(failing)
    if path.exists() and not failing:
        click.echo(f"{path}: ok")
    executable = any(p.field == "agent.executable" for p in failing)
    checked = None if executable or file_only else check_version(loaded.agent, runtime.environ)
    if checked is not None:  # a CLI agent: is it there, and is it a version the presets know?
        click.echo(
            f"agent: {checked.line}" if checked.tested else f"warning: agent: {checked.line}",
            err=not checked.tested,
        )
    if loaded.agent.kind == "cursor":
        _check_cursor(loaded.agent, runtime.environ)
    if failing:
        sys.exit(1)


def _config_file(path: Path | None, environ: Mapping[str, str]) -> Path:
    """The file to check. Only the usual place may be absent (every default applies there): any
    other name that is not there is a mistyped path, not a file of defaults."""
    from bot.config import DEFAULT_PATH

    if path is None:
        return repository_root(environ) / DEFAULT_PATH
    if path.is_dir():  # a folder of a working copy: the working copy's file
        git = working_copy(path, environ)
        return (git.root if git else path) / DEFAULT_PATH
    usual = path.parts[-2:] == DEFAULT_PATH.parts and (path.parent.parent / ".git").exists()
    if not path.exists() and not usual:
        raise ConfigError(
            f"{path} does not exist",
            hint=f"pass the configuration file, or nothing for the repository's {DEFAULT_PATH}",
        )
    return path


def _check_cursor(agent: AgentConfig, environ: Mapping[str, str]) -> None:
    if not environ.get("CURSOR_API_KEY"):
        click.echo("cursor: not checked: CURSOR_API_KEY is not set (it checks agent.model too)")
        return
    from bot.agents.cursor.settings import check_cursor_key, check_cursor_model

    click.echo(f"cursor: ok ({check_cursor_key(agent, environ)})")
    known, line = check_cursor_model(agent, environ)
    click.echo(f"cursor: {line}" if known else f"warning: cursor: {line}", err=not known)


@click.command("init")
@repo_option("The repository to set up.")
@click.option("--force", is_flag=True, help="Overwrite files that exist (default: keep them).")
@click.option(
    "--agent",
    "agent",
    default="claude",
    show_default=True,
    help="The agent kind: claude, codex, gemini, cursor-cli, cursor or command.",
)
@click.option(
    "--action-ref",
    help="The Baton action for the workflow, pinned: owner/baton@<full commit SHA> "
    "(default: a placeholder to set, BATON_ACTION_REF).",
)
@click.option(
    "--schedule",
    default="17 * * * *",
    show_default=True,
    help="The cron schedule of the safety-net run that picks up what a dropped event missed.",
)
@click.pass_obj
def init_command(
    runtime: Runtime, repo: Path, force: bool, agent: str, action_ref: str | None, schedule: str
) -> None:
    """Set up a repository for Baton in GitHub Actions: the workflow, the ticket issue form, a
    starter .github/baton.yml and knowledge/CONVENTIONS.md. Existing files are kept."""
    from bot.init import init_repository

    result = init_repository(
        repo, runtime.environ, agent=agent, force=force, action_ref=action_ref, schedule=schedule
    )
    width = max(len(f.path) for f in result.files)
    for written in result.files:
        click.echo(f"{written.outcome:<11} {written.path:<{width}}  {written.purpose}")
    for note in result.notes:
        click.echo(f"note: {note}")
    click.echo("\nNext:")
    for number, step in enumerate(result.next_steps(), start=1):
        click.echo(f"{number}. {step}")
