"""Baton's workflow drafts a plan as Actions runs it: the `draft` job, from a manual run's `plan`
input or an issue labelled `plan-for-agent` by someone with write access, runs the scripted
planner (tests/fakes/agents/planner_cli.py, a `command` agent whose sessions live in the job's
HOME), has its first draft refused by the plan check and corrected in the same session, and
hands the plan over as a pull request adding the chain file and the audit. No chain runs."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.actions import events, substitutions
from tests.actions.chains import ROOT, WORKFLOW
from tests.actions.records import WorkflowRun
from tests.actions.runner import Runner
from tests.e2e.plan_support import GOAL, GOOD, MISSING, project_files
from tests.fakes.github import FakeGitHub
from tests.sandbox_support import require_bwrap

BRANCH = "baton/plan-authors"
DRAFT_ONLY = {
    "plan": "skipped",
    "chain": "skipped",
    "review followup": "skipped",
    "draft a plan": "success",
}


@pytest.fixture(autouse=True)
def _bwrap() -> None:
    require_bwrap()  # each job on a machine of its own name


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeGitHub]:
    """The planning project with Baton's workflow and action; its planner's first draft names a
    file that does not exist, its second is good."""
    files = {
        **project_files(tmp_path, {1: MISSING, 2: GOOD}),
        "action.yml": (ROOT / "action.yml").read_text(encoding="utf-8"),
        WORKFLOW: (ROOT / WORKFLOW).read_text(encoding="utf-8"),
    }
    with FakeGitHub(tmp_path, files=files) as github:
        yield github


def runner(fake: FakeGitHub, root: Path) -> Runner:
    return Runner(fake, root, substitutions=substitutions.BATON, machines=True)


def changed_on_the_branch(fake: FakeGitHub) -> list[str]:
    out = subprocess.run(
        ["git", "-C", str(fake.git_dir), "diff", "--name-only", f"main...{BRANCH}"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.split()


def check_drafted(run: WorkflowRun, fake: FakeGitHub) -> None:
    """Only the draft job ran; it left one pull request adding the chain file and the audit,
    from one planner session (the plan, then its correction); nothing of the plan ran."""
    assert run.results() == DRAFT_ONLY, run.describe()
    draft = run.job("draft")
    assert all(job.left_behind == [] for job in run.jobs), run.describe()
    assert draft.scopes == {"contents": "write", "issues": "write", "pull_requests": "write"}
    (pull,) = fake.pulls()
    assert pull.title == "Baton: plan for chain authors"
    assert fake.read_file("tickets/authors.yml", ref=BRANCH) == GOOD
    changed = changed_on_the_branch(fake)
    assert "tickets/authors.yml" in changed
    assert [p for p in changed if p.startswith("knowledge/audits/")], changed
    assert fake.read_file("tickets/authors.yml") is None, "nothing lands before review"
    assert draft.directory is not None
    (session,) = (draft.directory / "home" / ".planner-sessions").iterdir()
    prompts = json.loads(session.read_text())["prompts"]
    assert [p.splitlines()[0] for p in prompts] == [
        "# Baton · plan · chain authors",
        "# Baton · correction · chain authors",
    ]
    assert fake.read_file("state.json", "baton/state") is None, "no chain was run"
    assert fake.dispatches == []


def test_a_manual_run_with_a_plan_input_drafts_a_pull_request(
    fake: FakeGitHub, tmp_path: Path, shared_dir: Path
) -> None:
    dispatched = events.workflow_dispatch(shared_dir, fake, {"plan": GOAL, "chain": "authors"})

    run = runner(fake, tmp_path / "actions").run(WORKFLOW, dispatched)

    check_drafted(run, fake)
    log = run.job("draft").step("Run Baton").log
    assert f"event: a plan asked by @{fake.admin_login} in a manual run" in log


def test_an_issue_labelled_plan_for_agent_by_someone_trusted_drafts_a_pull_request(
    fake: FakeGitHub, tmp_path: Path, shared_dir: Path
) -> None:
    number = fake.add_issue("Authors", GOAL)
    fake.label_issue(number, "plan-for-agent", actor=fake.admin_login)

    run = runner(fake, tmp_path / "actions").run(
        WORKFLOW, events.issue_labeled(shared_dir, fake, number, "plan-for-agent")
    )

    check_drafted(run, fake)
    (said,) = fake.comments_on(number)
    assert f"a pull request from `{BRANCH}` adds its tickets, for review" in said.body
