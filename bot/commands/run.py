"""`baton run` (a reconcile: once, from a GitHub event, or forever with --watch) and `baton demo`,
and the chains' tables they end with."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bot.commands.inputs import repo_option, report
from bot.errors import BatonError
from bot.run_options import Crashes
from bot.runtime import Project, Runtime

if TYPE_CHECKING:
    from bot.state import ChainState


def print_outcome(runtime: Runtime, run: Any) -> int:
    """The chains' tables on stdout; exit 1 when any ticket is blocked or skipped."""
    from rich.console import Console

    from bot.render.terminal import chain_table

    console = Console(highlight=False)
    code = 0
    handed_over = getattr(run, "handed_over", [])
    for state in run.chains:
        console.print(chain_table(state, runtime.redact))
        if state.finished:
            click.echo(f"report:     {run.report(state)}")
        for line in run.next_steps(state) if hasattr(run, "next_steps") else []:
            click.echo(line)
        if state.outcome == "blocked":
            code = 1
        elif state.name in handed_over:
            click.echo(f"chain {state.name} is not finished; it continues in a new job")
        elif state.outcome == "running":
            click.echo(f"chain {state.name} is not finished; run baton again to continue")
    return code


@click.command("run")
@click.option(
    "--local",
    "local",
    is_flag=True,
    help="Run on a local git repository (the default outside GitHub Actions).",
)
@repo_option()
@click.option("--chain", help="Run only this chain.")
@click.option("--dry-run", is_flag=True, help="Print what would be done now, change nothing.")
@click.option(
    "--max-minutes",
    type=click.FloatRange(min=0, min_open=True),
    help="Start no new action after this long. Inside GitHub Actions a chain with work left "
    "then continues in a new job of the same workflow (workflow_dispatch; actions: write).",
)
@click.option(
    "--stats", is_flag=True, help="Print the GitHub requests and rate-limit units the run cost."
)
@click.option(
    "--max-tickets",
    type=click.IntRange(min=1),
    help="Start at most this many new tickets in this run.",
)
@click.option("--watch", is_flag=True, help="Reconcile forever, a pass every --interval seconds.")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=900.0,
    show_default=True,
    help="Seconds between passes with --watch.",
)
@click.option(
    "--event",
    "from_event",
    is_flag=True,
    help="Do what the GitHub event asks (GITHUB_EVENT_NAME, GITHUB_EVENT_PATH).",
)
@click.pass_obj
def run_command(
    runtime: Runtime,
    local: bool,
    repo: Path,
    chain: str | None,
    dry_run: bool,
    max_minutes: float | None,
    stats: bool,
    max_tickets: int | None,
    watch: bool,
    interval: float,
    from_event: bool,
) -> None:
    """Reconcile: work every chain's next steps until nothing is left to do now.

    With GITHUB_REPOSITORY set (as in GitHub Actions) and no --local, tickets are the issues
    labelled for Baton; otherwise they are the repository's tickets/*.yml."""

    def once() -> int:
        try:
            return _run_once(
                runtime, local, repo, chain, dry_run, max_minutes, stats, from_event, max_tickets
            )
        finally:  # the run's one wait for its notifiers; what was not delivered is named
            runtime.flush_notifiers()

    if not watch:
        sys.exit(once())
    from bot.watch import Stop
    from bot.watch import watch as watch_forever

    stop = Stop()
    stop.install()
    code = watch_forever(lambda: _survive(runtime, once), interval, stop)
    click.echo("stopped: the last pass finished and the state is saved")
    sys.exit(code)


def _survive(runtime: Runtime, once: Callable[[], int]) -> int:
    """One pass inside --watch: an error is reported, and the next pass comes anyway. Each pass
    has a GitHub client of its own (its requests counted, its poll cache saved, per pass)."""
    try:
        return int(once())
    except BatonError as exc:
        click.echo(exc.line(), err=True)
        return 1
    finally:
        runtime.close()


def _run_once(
    runtime: Runtime,
    local: bool,
    repo: Path,
    chain: str | None,
    dry_run: bool,
    max_minutes: float | None,
    stats: bool,
    from_event: bool,
    max_tickets: int | None = None,
) -> int:
    env = runtime.environ
    project = Project.open(repo, runtime.environ)
    notifiers = runtime.notifiers(project.config)
    result: Any
    here = False  # a local run
    if from_event:
        from bot.github_event import run_event

        event = run_event(runtime, project, notifiers, max_minutes=max_minutes)
        click.echo(f"event: {event.route.action}: {event.route.reason}")
        if event.run is None:
            return 0
        result = event.run
        dry_run = event.route.dry_run
    else:
        options: dict[str, Any] = {
            "chain": chain,
            "dry_run": dry_run,
            "max_minutes": max_minutes,
            "crashes": Crashes.from_environment(env),  # none, but in the crash tests
            "max_tickets": max_tickets,
        }
        here = local or not env.get("GITHUB_REPOSITORY")
        if here:
            from bot.local import run_local

            result = run_local(runtime, project, notifiers, **options)
        else:
            from bot.github_mode import run_github

            result = run_github(runtime, project, notifiers, **options)
            report(result.problems)
    if dry_run:
        states = {state.name: state for state in result.chains}
        for name, actions in result.planned.items():
            steps = "; ".join(a.describe() for a in actions) or _idle(states.get(name))
            click.echo(f"{name}: {steps}")
        # This machine's programs matter to a local run; a GitHub job installs its own.
        return _preflight(runtime, project, result) if here else 0
    code = print_outcome(runtime, result)
    if stats and hasattr(result, "stats"):
        click.echo(result.stats.line())
    return code


def _idle(state: ChainState | None) -> str:
    """A chain with nothing to do: why, when a blocked ticket holds it."""
    blocked = [key for key, t in state.tickets.items() if t.status == "blocked"] if state else []
    if state is None or not blocked:
        return "nothing to do"
    from bot.render.next_steps import retry_command

    retries = "; ".join(retry_command(state, key) for key in blocked)
    return f"nothing to do: blocked at {', '.join(blocked)} (to queue again: {retries})"


def _preflight(runtime: Runtime, project: Project, result: Any) -> int:
    """After a dry run's plan, what the run itself would fail on (bot.preflight): 1 if any."""
    from bot.preflight import dirty, failing_before, problems, ticket_commands
    from bot.state import TERMINAL

    config, git, source = project.config, project.git, ".github/baton.yml"
    found = problems(config, git, runtime.environ, source)
    done = {
        (c.name, k) for c in result.chains for k, t in c.tickets.items() if t.status in TERMINAL
    }
    found += ticket_commands(result.files, done, git.root, runtime.environ)
    if git.branch() not in {chain.branch for chain in result.chains}:
        found += dirty(git, str(git.root))  # a run would refuse to leave it
    if not found and any(result.planned.values()):
        sandbox = runtime.sandbox(config)
        found += failing_before(
            git, config, source, sandbox=sandbox, environ=runtime.environ, redact=runtime.redact
        )
    report(found)
    return 1 if any(p.severity == "error" for p in found) else 0


@click.command("demo")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to create the demo repository (default: a new temporary directory).",
)
@click.pass_obj
def demo_command(runtime: Runtime, directory: Path | None) -> None:
    """Plan and run a whole chain offline on a small API project, with a scripted stand-in
    agent."""
    from bot.commands.plan import show
    from bot.demo import plan_demo, run_demo

    project, planned = plan_demo(runtime, directory)
    show(runtime, planned)
    sys.exit(print_outcome(runtime, run_demo(runtime, project)))
