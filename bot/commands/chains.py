"""`baton chains` and `baton status`: what the chains are doing, for people and for a workflow's
matrix."""

from __future__ import annotations

import json
from pathlib import Path

import click

from bot.commands.inputs import repo_option
from bot.errors import BatonError
from bot.runtime import Project, Runtime


@click.command("chains")
@repo_option()
@click.option(
    "--local",
    is_flag=True,
    help="The chain files of tickets/ (the default outside GitHub Actions).",
)
@click.option(
    "--json", "as_json", is_flag=True, help="A JSON list, for a workflow's strategy.matrix.chain."
)
@click.option("--include-finished", is_flag=True, help="Finished chains too.")
@click.option(
    "--awaiting",
    is_flag=True,
    help="Instead: the attempts waiting for a validation job, as JSON (the validate job's matrix).",
)
@click.option(
    "--chain", help="Only this chain, if it has work (an error if no chain has the name)."
)
@click.pass_obj
def chains_command(
    runtime: Runtime,
    repo: Path,
    local: bool,
    as_json: bool,
    include_finished: bool,
    awaiting: bool,
    chain: str | None,
) -> None:
    """Print the chains that have work now, one a line (or as JSON).

    With GITHUB_REPOSITORY set and no --local, the chains are those of the issues labelled for
    Baton and of the state on GitHub (read-only: it needs contents: read and issues: read);
    otherwise those of the repository's tickets/*.yml and .baton/state.json."""
    from bot.workflow_matrix import awaiting_validation, issue_chains, pending_chains

    project = Project.open(repo, runtime.environ)
    if local or not runtime.environ.get("GITHUB_REPOSITORY"):
        from bot.chain_file import load_chain_dir
        from bot.store import load_state

        root = project.git.root
        tickets_dir = root / project.config.tickets_dir
        allow = project.config.allow_protected
        files = load_chain_dir(tickets_dir, allow_protected=allow) if tickets_dir.is_dir() else []
        found = {c.name: [str(t.key) for t in c.tickets] for c in files}
        data = load_state(root)
    else:
        data, found = issue_chains(runtime, project)
    if awaiting:
        click.echo(json.dumps(awaiting_validation(list(data.chains.values()))))
        return
    names = pending_chains(data, found, include_finished=include_finished)
    if chain is not None:
        every = pending_chains(data, found, include_finished=True)
        if chain not in every:
            raise BatonError(
                f"no chain named `{chain}`",
                hint=f"the chains here are: {', '.join(every) or 'none'}",
            )
        names = [chain] if chain in names else []
    if as_json:
        click.echo(json.dumps(names))
    else:
        for name in names:
            click.echo(name)
        if not names:  # on stderr: what a script reads stays empty
            click.echo("no chain has work now", err=True)


@click.command("status")
@repo_option()
@click.option("--json", "as_json", is_flag=True, help="The state as JSON (the status.json schema).")
@click.option("--ticket", help="Show this ticket in full: every attempt, its findings and output.")
@click.option("--attempts", is_flag=True, help="Show every attempt of every ticket, briefly.")
@click.pass_obj
def status_command(
    runtime: Runtime, repo: Path, as_json: bool, ticket: str | None, attempts: bool
) -> None:
    """Print every chain's state from the store."""
    from rich.console import Console

    from bot.knowledge import status_json
    from bot.render.attempts import every_attempt, ticket_detail
    from bot.render.terminal import chain_table
    from bot.store import load_state
    from bot.workspace import Git

    data = load_state(Git.open(repo, runtime.environ).root)
    if as_json:
        click.echo(json.dumps(status_json(data), indent=2))
        return
    if not data.chains:
        click.echo("no chains have run here yet")
        return
    if ticket is not None:
        found = [(c, c.tickets[ticket]) for c in data.chains.values() if ticket in c.tickets]
        if not found:
            known = ", ".join(k for c in data.chains.values() for k in c.tickets)
            raise BatonError(f"no ticket `{ticket}` in any chain", hint=f"the tickets: {known}")
        click.echo("\n\n".join(ticket_detail(c, t, runtime.redact) for c, t in found))
        return
    if attempts:
        click.echo("\n\n".join(every_attempt(c, runtime.redact) for c in data.chains.values()))
        return
    console = Console(highlight=False)
    for state in data.chains.values():
        console.print(chain_table(state, runtime.redact))
