"""`baton plan`: from a goal to a checked chain file, drafted by the configured agent, handed
over for a person to approve (written locally, or a pull request with --push); and what it
prints: the checks, the problems, the tickets as a table."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.commands.inputs import repo_option
from bot.runtime import Project, Runtime

if TYPE_CHECKING:
    from bot.planning.plan_run import PlanOutcome


@click.command("plan")
@click.argument("goal", required=False)
@repo_option()
@click.option("--chain", help="The chain's name (default: made from the goal).")
@click.option(
    "--audit",
    "audit_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A Markdown audit to plan from, instead of the one Baton makes.",
)
@click.option(
    "--push",
    is_flag=True,
    help="Hand the plan over as a pull request on GitHub (GITHUB_REPOSITORY) for review.",
)
@click.option("--dry-run", is_flag=True, help="Make the audit and print the planner's prompt only.")
@click.option(
    "--event",
    "from_event",
    is_flag=True,
    help="Plan what the GitHub event asks (a workflow_dispatch `plan` input, or an issue "
    "labelled labels.plan by someone with write access); implies --push.",
)
@click.pass_obj
def plan_command(
    runtime: Runtime,
    goal: str | None,
    repo: Path,
    chain: str | None,
    audit_file: Path | None,
    push: bool,
    dry_run: bool,
    from_event: bool,
) -> None:
    """Draft the chain of tickets for GOAL with the configured agent, and check it.

    Nothing is run: locally the chain file is written to tickets/ for you to read and commit;
    with --push it arrives as a pull request."""
    from bot.errors import BatonError
    from bot.planning.plan_run import PlanOptions, run_plan

    project = Project.open(repo, runtime.environ)
    asked = None
    if from_event:
        from bot.planning.plan_event import event_goal

        asked = event_goal(runtime, project)
        click.echo(f"event: {asked.reason}")
        if asked.goal is None:
            sys.exit(0)
        goal, chain, push = asked.goal, asked.chain or chain, True
    if not goal:
        raise BatonError("no goal given", hint='say what the chain is for: baton plan "GOAL"')
    options = PlanOptions(goal, chain, audit_file, push=push, dry_run=dry_run)
    outcome = run_plan(runtime, project, options)
    if asked is not None and not dry_run:
        from bot.planning.plan_event import answer

        answer(runtime, project, asked, said(outcome))
    sys.exit(show(runtime, outcome))


def said(outcome: PlanOutcome) -> str:
    """What the issue that asked for the plan is told."""
    chain = outcome.request.chain
    if outcome.proposed:
        return (
            f"📝 Baton drafted the chain `{chain}`: a pull request from `{outcome.proposed}` "
            "adds its tickets, for review. Nothing runs until it is merged and its tickets "
            "are pushed."
        )
    return (
        f"✋ Baton could not draft a chain `{chain}` that passes its checks; the workflow "
        "run's log lists what was wrong."
    )


def show(runtime: Runtime, outcome: PlanOutcome) -> int:
    """The outcome on stdout; 1 when no plan was handed over."""
    from rich.console import Console
    from rich.markup import escape

    from bot.render.plan_view import checks_lines, not_checked, problem_lines, tickets_table

    console = Console(highlight=False, soft_wrap=True)
    request, draft = outcome.request, outcome.draft
    # Where the knowledge base keeps the audit once a plan is handed over: a dry run writes none.
    kept = f"at {outcome.base[:12]}" + (
        "" if draft is not None else "; a dry run writes it nowhere"
    )
    console.print(f"audit:      {escape(outcome.audit_file)} ({kept})")
    if draft is None:
        click.echo(outcome.prompt)
        click.echo("dry run: no agent was asked, nothing was written")
        return 0
    for line in draft.discarded:
        click.echo(f"warning: the planner changed {line!r}; only {request.path} is kept", err=True)
    if draft.error is not None:
        click.echo(f"error: the planner failed: {runtime.redact(draft.error)}", err=True)
    console.print(f"checks of {escape(request.path)}:")
    for line in checks_lines(draft.check.checks if draft.check else not_checked()):
        console.print(f"  {line}")
    for line in problem_lines(draft.problems, runtime.redact):
        click.echo(line, err=True)
    if draft.check is not None and draft.check.chain is not None and draft.ok:
        console.print(tickets_table(draft.check.chain, runtime.redact))
    corrections = max(draft.prompts - 1, 0)
    click.echo(f"planner:    {draft.prompts} prompt(s), {corrections} correction(s)")
    for line in problem_lines(draft.corrected, runtime.redact):
        click.echo(f"sent back:  {line}")
    if outcome.written:
        click.echo(f"written:    {outcome.written} and {outcome.audit_file}")
        click.echo("next:       read the tickets, change what you like, commit, then baton run")
        return 0
    if outcome.proposed:
        click.echo(f"proposed:   a pull request from {outcome.proposed}, for review")
        return 0
    if outcome.rejected:
        click.echo(f"refused:    the last draft is kept in {outcome.rejected}")
    return 1
