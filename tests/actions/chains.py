"""A chain for Baton's workflow to work on the fake GitHub: the workflow and the composite action
as they are in this checkout, a configuration for the CLI-like agent whose sessions live in its
HOME (tests/fakes/agents/home_cli.py), and a milestone of labelled issues, one per ticket."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

from bot.issue_form import render_issue_body
from bot.state import ChainState
from bot.tickets import Ticket, TicketFiles
from tests.actions.records import JobRun, WorkflowRun
from tests.fakes.cli_agent import NEEDS_CORRECTION, home_cli_yaml
from tests.fakes.github import FakeGitHub

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ".github/workflows/baton.yml"
MILESTONE = "Sprint 1"
CHAIN = "sprint-1"  # the milestone's chain
LABEL = "ready-for-agent"
# A chain longer than its job's budget: each agent call takes half the chain job's `max-minutes`,
# so three tickets never fit one job, and a job on a busy machine still has the time to send its
# first prompt before the budget is spent.
SLOW_AGENT_SECONDS = 3
SHORT_BUDGET_MINUTES = 0.1


def config(*, seconds: float = 0, test_seconds: float = 0, sandbox: str | None = None) -> str:
    """`.github/baton.yml`: the CLI-like agent, `seconds` per call; a test command that takes
    `test_seconds`. Everything else is Baton's default (the sandbox, unless `sandbox` says
    otherwise, and inline validation)."""
    wait = f"sleep {test_seconds:g} && " if test_seconds else ""
    text = home_cli_yaml(seconds=seconds) + textwrap.dedent(
        f"""\
        validation:
          test_command: "{wait}test -d work"
        """
    )
    return text + (f"sandbox: {sandbox}\n" if sandbox else "")


def workflow(max_minutes: float | None = None) -> str:
    """Baton's workflow as this checkout has it; `max_minutes` replaces its chain jobs' budget."""
    text = (ROOT / WORKFLOW).read_text(encoding="utf-8")
    if max_minutes is None:
        return text
    text, count = re.subn(r'max-minutes: "\d+"', f'max-minutes: "{max_minutes:g}"', text)
    assert count == 2, "the chain job and the review followup each have a max-minutes"
    return text


def repository(
    root: Path,
    *,
    tickets: int = 3,
    corrections: frozenset[int] = frozenset(),
    seconds: float = 0,
    test_seconds: float = 0,
    max_minutes: float | None = None,
    private: bool = False,
    sandbox: str | None = None,
    workflow_text: str | None = None,
) -> FakeGitHub:
    """A fake GitHub (not started) with the workflow (`workflow_text`, or Baton's), the action,
    the configuration and a milestone of `tickets` labelled issues; a ticket whose index (from
    1) is in `corrections` passes only after one correction."""
    files = {
        "README.md": "# widgets\n",
        "action.yml": (ROOT / "action.yml").read_text(encoding="utf-8"),
        WORKFLOW: workflow(max_minutes) if workflow_text is None else workflow_text,
        ".github/baton.yml": config(seconds=seconds, test_seconds=test_seconds, sandbox=sandbox),
    }
    fake = FakeGitHub(root, files=files, private=private)
    for index in range(1, tickets + 1):
        goal = f"Create work/t{index}.txt."
        if index in corrections:
            goal += f" {NEEDS_CORRECTION}"
        ticket = Ticket(goal=goal, files=TicketFiles(create=[f"work/t{index}.txt"]))
        fake.add_issue(
            f"Ticket {index}", render_issue_body(ticket), labels=[LABEL], milestone=MILESTONE
        )
    return fake


def chain_state(fake: FakeGitHub, chain: str = CHAIN) -> ChainState:
    """The chain as Baton saved it on the `baton/state` branch."""
    text = fake.read_file("state.json", "baton/state")
    assert text is not None, "no state on the baton/state branch"
    return ChainState.model_validate(json.loads(text)["chains"][chain])


def started(*runs: WorkflowRun) -> list[JobRun]:
    """The jobs that started (on a runner: billed), in the runs' order."""
    return [job for run in runs for job in run.jobs if job.started_at is not None]


def attempts(state: ChainState) -> dict[str, list[str]]:
    """Each ticket's attempts, by kind, in order."""
    return {key: [a.kind for a in t.attempts] for key, t in state.tickets.items()}
