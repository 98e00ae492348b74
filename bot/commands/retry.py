"""`baton retry`: a blocked or skipped ticket back in the queue, with a fresh budget."""

from __future__ import annotations

from pathlib import Path

import click

from bot.commands.inputs import repo_option
from bot.runtime import Runtime


@click.command("retry")
@click.argument("key")
@click.option("--chain", help="The ticket's chain (needed when two chains have a ticket KEY).")
@repo_option()
@click.pass_obj
def retry_command(runtime: Runtime, key: str, chain: str | None, repo: Path) -> None:
    """Put the blocked or skipped ticket KEY back in the queue with a fresh budget of attempts
    and corrections, with the tickets skipped because of it; the next `baton run` works it.

    Its earlier attempts stay in the state and the chain's report, as history. Local mode (the
    state in .baton/); on GitHub, apply the trigger label to the issue again."""
    from bot.render.terminal import one_line
    from bot.retry import retry_local
    from bot.workspace import Git

    git = Git.open(repo, runtime.environ)
    done = retry_local(git, key, chain, runtime.environ, runtime.redact)
    was = done.ticket
    why = f": {one_line(runtime.redact(was.reason))}" if was.reason else ""
    click.echo(f"retried {done.chain}/{one_line(key)} (it was {was.status}{why})")
    for other in done.also:
        click.echo(f"queued again with it: {done.chain}/{one_line(other)} (skipped because of it)")
    click.echo(f"run `baton run --chain {done.chain}` to work it")
