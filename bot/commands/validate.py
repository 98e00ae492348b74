"""`baton validate`: the validation job of one attempt."""

from __future__ import annotations

from pathlib import Path

import click

from bot.commands.inputs import repo_option
from bot.runtime import Project, Runtime


@click.command("validate")
@repo_option()
@click.option("--chain", required=True, help="The chain of the attempt.")
@click.option("--ticket", required=True, help="The ticket's key, e.g. #12.")
@click.option(
    "--attempt", type=click.IntRange(min=1), required=True, help="The attempt's number, from 1."
)
@click.option(
    "--run-as",
    help="Run the test command as this user (e.g. nobody), who cannot read Baton's environment.",
)
@click.pass_obj
def validate_command(
    runtime: Runtime, repo: Path, chain: str, ticket: str, attempt: int, run_as: str | None
) -> None:
    """The validation job: test and review one attempt, without secrets, and report it as a check
    run for the next reconcile. --repo is a checkout of the default branch."""
    from bot.validate_job import validate_attempt

    found = validate_attempt(
        runtime,
        Project.open(repo, runtime.environ),
        chain=chain,
        key=ticket,
        attempt=attempt,
        run_as=run_as,
    )
    click.echo(f"{chain}/{ticket} attempt {attempt}: {found.summary()}")
