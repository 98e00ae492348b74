"""One job per chain on GitHub Actions: the chain is worked through in one process, validated
inline in the sandbox, with a CLI agent whose sessions live in its HOME (the chain's HOME in the
working copy, as long as the job's); a run out of time hands the chain over to a new job at once;
a lease whose run has finished is taken over at once; a review comment reaches a live session,
or a recovered one."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.issue_form import render_issue_body
from bot.tickets import Ticket, TicketFiles
from tests.e2e.github_support import checkout, run
from tests.fakes.cli_agent import NEEDS_CORRECTION, chain_sessions, home_cli_yaml
from tests.fakes.github import FakeGitHub
from tests.sandbox_support import require_bwrap

WORKFLOW = ".github/workflows/baton.yml"
RUN_ID = "7000000123"


def actions_env(run_id: str = RUN_ID, attempt: str = "1") -> dict[str, str]:
    """What a job of Baton's workflow sees, beyond what github_support gives every run."""
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_RUN_ID": run_id,
        "GITHUB_RUN_ATTEMPT": attempt,
        "GITHUB_WORKFLOW_REF": f"octo-org/widgets/{WORKFLOW}@refs/heads/main",
    }


def config(test_command: str = "test -d work") -> str:
    return home_cli_yaml() + textwrap.dedent(
        f"""\
        sandbox: bwrap
        validation:
          test_command: "{test_command}"
        """
    )


def add_ticket(fake: FakeGitHub, title: str, path: str, *, correction: bool = False) -> int:
    goal = f"Create {path}." + (f" {NEEDS_CORRECTION}" if correction else "")
    ticket = Ticket(goal=goal, files=TicketFiles(create=[path]))
    return fake.add_issue(
        title, render_issue_body(ticket), labels=["ready-for-agent"], milestone="Sprint 1"
    )


@pytest.fixture
def github(tmp_path: Path) -> Iterator[FakeGitHub]:
    require_bwrap()
    files = {"README.md": "# widgets\n", ".github/baton.yml": config()}
    with FakeGitHub(tmp_path, files=files) as fake:
        yield fake


def state(fake: FakeGitHub) -> dict[str, object]:
    text = fake.read_file("state.json", "baton/state")
    assert text is not None
    return dict(json.loads(text))


def test_inside_actions_a_chain_with_a_correction_passes_in_one_run_and_one_session(
    github: FakeGitHub, tmp_path: Path
) -> None:
    numbers = [
        add_ticket(github, "First", "work/a.txt"),
        add_ticket(github, "Second", "work/b.txt", correction=True),
        add_ticket(github, "Third", "work/c.txt"),
    ]
    work = checkout(github, tmp_path)

    result = run(github, work, **actions_env())

    assert result.exit_code == 0, result.output
    assert "waiting for the validation job" not in result.output
    for number in numbers:
        assert "baton:done" in github.labels_of(number)
    (session,) = chain_sessions(work).values()
    assert session == [
        "# Baton · launch · ticket #1",
        "# Baton · followup · ticket #2",
        "# Baton · correction · ticket #2",
        "# Baton · followup · ticket #3",
    ]
    assert github.check_runs() != []
