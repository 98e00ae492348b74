"""The `baton` command. Thin: it parses arguments, builds the runtime once from the environment,
configures logging once, and calls the library; a BatonError anywhere below becomes one line on
stderr and its exit code.

The commands live in `bot.commands`; heavy modules are imported inside them, so that
`baton --help` stays quick.
"""

from __future__ import annotations

import os
from typing import Any

import click

from bot import __version__
from bot.commands.chains import chains_command, status_command
from bot.commands.plan import plan_command
from bot.commands.retry import retry_command
from bot.commands.review import review_command
from bot.commands.run import demo_command, run_command
from bot.commands.setup import config, init_command
from bot.commands.tickets import tickets
from bot.commands.validate import validate_command
from bot.errors import BatonError
from bot.logs import configure
from bot.runtime import Runtime


class _Group(click.Group):
    """Turns a BatonError anywhere below into one line on stderr and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BatonError as exc:
            click.echo(exc.line(), err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="baton")
@click.option("-v", "--verbose", is_flag=True, help="Log Baton's debug events too.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """Baton hands a chain of tickets to one coding-agent session and checks every step."""
    # The one read of the environment: everything below gets it from the runtime.
    runtime = Runtime.from_environ(os.environ)
    configure(runtime.redact, verbose=verbose)
    ctx.obj = runtime
    ctx.call_on_close(runtime.close)


for command in (
    tickets,
    run_command,
    retry_command,
    validate_command,
    config,
    status_command,
    demo_command,
    review_command,
    chains_command,
    init_command,
    plan_command,
):
    cli.add_command(command)


def main() -> None:
    _exit_on_sigterm()
    cli(prog_name="baton")


def _exit_on_sigterm() -> None:
    """SIGTERM (a cancelled CI job, `kill`) unwinds like Ctrl-C: the agent or test command under
    way is killed with its whole process group (`bot.processes.run_command`), and Baton exits
    with 143. `--watch` puts its own handler in place: there it stops between passes."""
    import signal  # noqa: PLC0415
    from types import FrameType  # noqa: PLC0415

    def stop(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
