"""`baton plan` handing its draft over on GitHub, against the fake GitHub: with --push, and from
the workflow's two triggers (`baton plan --event`): a manual run's `plan` input and an issue
labelled `plan-for-agent`. The draft arrives as a pull request for a person to review; nobody
untrusted starts a plan, and nothing of the plan runs."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from bot.cli import cli
from tests.e2e.github_support import github_env, webhook_payload
from tests.e2e.plan_support import GOAL, GOOD, MISSING, project_files
from tests.fakes.github import FakeGitHub

BRANCH = "baton/plan-authors"


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeGitHub]:
    files = project_files(tmp_path, {1: MISSING, 2: GOOD})
    with FakeGitHub(tmp_path, files=files) as github:
        yield github


def baton(fake: FakeGitHub, tmp_path: Path, *args: str, **env: str) -> Result:
    work = tmp_path / "checkout"
    subprocess.run(["git", "clone", "-q", str(fake.git_dir), str(work)], check=True)
    home = tmp_path / "home"
    home.mkdir()
    result = CliRunner().invoke(
        cli, ["plan", *args, "--repo", str(work)], env=github_env(fake, HOME=str(home), **env)
    )
    assert "Traceback" not in result.output, result.output
    return result


def event(fake: FakeGitHub, tmp_path: Path, name: str, payload: dict[str, Any]) -> Result:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload))
    return baton(fake, tmp_path, "--event", GITHUB_EVENT_NAME=name, GITHUB_EVENT_PATH=str(path))


def assert_proposed(fake: FakeGitHub) -> None:
    """One pull request from the plan's branch, adding the chain file and the audit."""
    (pull,) = fake.pulls()
    assert pull.title == "Baton: plan for chain authors"
    assert "| 2 | `listing` | List authors with their books |" in str(pull.body)
    assert "- ✓ files to modify or read exist at the base" in str(pull.body)
    assert fake.read_file("tickets/authors.yml", ref=BRANCH) == GOOD
    assert fake.read_file("tickets/authors.yml") is None, "nothing lands before review"
    audits = [m for m in fake.commit_messages(BRANCH) if m == "baton: plan of chain authors"]
    assert audits


def test_push_proposes_the_checked_plan_as_a_pull_request(fake: FakeGitHub, tmp_path: Path) -> None:
    result = baton(fake, tmp_path, GOAL, "--chain", "authors", "--push")

    assert result.exit_code == 0, result.output
    assert f"proposed:   a pull request from {BRANCH}, for review" in result.stdout
    assert_proposed(fake)
    assert not (tmp_path / "checkout" / "tickets").exists(), "pushed, not written locally"


def asked_to_plan(shared_dir: Path, fake: FakeGitHub, sender: str) -> dict[str, Any]:
    """A manual run with the `plan` input, started by `sender`."""
    return webhook_payload(
        shared_dir,
        "workflow_dispatch.payload.json",
        fake,
        inputs={"plan": GOAL, "chain": "authors"},
        sender__login=sender,
    )


def test_a_manual_run_with_a_plan_input_proposes_its_plan(
    fake: FakeGitHub, tmp_path: Path, shared_dir: Path
) -> None:
    payload = asked_to_plan(shared_dir, fake, fake.admin_login)

    result = event(fake, tmp_path, "workflow_dispatch", payload)

    assert result.exit_code == 0, result.output
    assert "event: a plan asked by @octocat in a manual run" in result.stdout
    assert_proposed(fake)


def test_a_manual_run_started_by_someone_github_does_not_know_is_refused(
    fake: FakeGitHub, tmp_path: Path, shared_dir: Path
) -> None:
    """GitHub answers the permission lookup of a user who is no collaborator with a 404."""
    payload = asked_to_plan(shared_dir, fake, "stranger")

    result = event(fake, tmp_path, "workflow_dispatch", payload)

    assert result.exit_code == 0, result.output
    assert "no plan: the run was started by @stranger, who has none access" in result.stdout
    assert fake.pulls() == []


def test_a_manual_run_without_a_plan_input_plans_nothing(
    fake: FakeGitHub, tmp_path: Path, shared_dir: Path
) -> None:
    payload = webhook_payload(shared_dir, "workflow_dispatch.payload.json", fake, inputs={})

    result = event(fake, tmp_path, "workflow_dispatch", payload)

    assert result.exit_code == 0, result.output
    assert "a manual run without a `plan` input asks for no plan" in result.stdout
    assert fake.pulls() == []


def labelled(shared_dir: Path, fake: FakeGitHub, number: int, sender: str) -> dict[str, Any]:
    return webhook_payload(
        shared_dir,
        "issues/labeled.payload.json",
        fake,
        issue__number=number,
        issue__body=fake.issue(number).body,
        label__name="plan-for-agent",
        sender__login=sender,
    )


def test_an_issue_labelled_plan_for_agent_by_someone_trusted_is_planned(
    fake: FakeGitHub, tmp_path: Path, shared_dir: Path
) -> None:
    number = fake.add_issue("Authors", GOAL)
    fake.label_issue(number, "plan-for-agent", actor=fake.admin_login)

    result = event(fake, tmp_path, "issues", labelled(shared_dir, fake, number, "octocat"))

    assert result.exit_code == 0, result.output
    assert f"event: issue #{number} labelled by @octocat" in result.stdout
    assert_proposed(fake)
    (said,) = fake.comments_on(number)
    assert f"a pull request from `{BRANCH}` adds its tickets, for review" in said.body


def test_a_plan_label_from_someone_untrusted_is_refused_and_said_once(
    fake: FakeGitHub, tmp_path: Path, shared_dir: Path
) -> None:
    fake.add_user("mallory", role="triage")
    number = fake.add_issue("Authors", GOAL, author="mallory")
    fake.label_issue(number, "plan-for-agent", actor="mallory")

    result = event(fake, tmp_path, "issues", labelled(shared_dir, fake, number, "mallory"))

    assert result.exit_code == 0, result.output
    assert "no plan for issue" in result.stdout
    assert "@mallory, who has triage access" in result.stdout
    assert fake.pulls() == []
    assert not (tmp_path / "home" / ".planner-sessions").exists(), "no agent was asked"
    (said,) = fake.comments_on(number)
    assert "only when someone with write access applies the `plan-for-agent` label" in said.body
