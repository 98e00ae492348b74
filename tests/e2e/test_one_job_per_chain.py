"""One job per chain on GitHub Actions: the chain is worked through in one process, validated
inline in the sandbox, with a CLI agent whose sessions live in its HOME (the chain's HOME in the
working copy, as long as the job's); a run out of time hands the chain over to a new job at once;
a lease whose run has finished is taken over at once; a review comment reaches a live session,
or a recovered one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from github import Auth, Github

from bot.issue_form import render_issue_body
from bot.tickets import Ticket, TicketFiles
from tests.e2e.github_support import checkout, github_env, run, webhook_payload
from tests.fakes.cli_agent import NEEDS_CORRECTION, chain_sessions, home_cli_yaml
from tests.fakes.github import FakeGitHub
from tests.sandbox_support import require_bwrap

ROOT = Path(__file__).resolve().parents[2]
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


# Baton's workflow as far as the API cares: it may be dispatched with a chain.
WORKFLOW_YML = """\
name: Baton
on:
  schedule: [{cron: "0 * * * *"}]
  workflow_dispatch:
    inputs:
      chain: {description: Only this chain, required: false, default: ""}
jobs:
  chain: {runs-on: ubuntu-latest, steps: [{run: baton run}]}
"""


def config(test_command: str = "test -d work", *, seconds: float = 0) -> str:
    return home_cli_yaml(seconds=seconds) + textwrap.dedent(
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
    files = {"README.md": "# widgets\n", ".github/baton.yml": config(), WORKFLOW: WORKFLOW_YML}
    with FakeGitHub(tmp_path, files=files) as fake:
        yield fake


@pytest.fixture
def slow(tmp_path: Path) -> Iterator[FakeGitHub]:
    """An agent that takes three seconds per call: a budget of six seconds is spent before the
    third ticket starts, and still leaves a busy machine the time to send the first prompt."""
    require_bwrap()
    files = {
        "README.md": "# widgets\n",
        ".github/baton.yml": config(seconds=3),
        WORKFLOW: WORKFLOW_YML,
    }
    with FakeGitHub(tmp_path, files=files) as fake:
        yield fake


def three_tickets(fake: FakeGitHub) -> list[int]:
    return [
        add_ticket(fake, "First", "work/a.txt"),
        add_ticket(fake, "Second", "work/b.txt"),
        add_ticket(fake, "Third", "work/c.txt"),
    ]


def job(fake: FakeGitHub, tmp_path: Path, name: str, *args: str, **env: str) -> Result:
    """One job on a fresh runner: a new checkout (so a new HOME for the agent), `baton run`."""
    work = checkout(fake, tmp_path / name)
    return run(fake, work, *args, **env)


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


# -- handover --------------------------------------------------------------------------------


def test_a_run_out_of_time_hands_the_chain_over_to_a_new_job_once(
    slow: FakeGitHub, tmp_path: Path
) -> None:
    numbers = three_tickets(slow)
    work = checkout(slow, tmp_path / "first")

    first = run(slow, work, "--max-minutes", "0.1", **actions_env())

    assert first.exit_code == 0, first.output
    assert "chain sprint-1 is not finished; it continues in a new job" in first.output
    (dispatch,) = slow.dispatches
    assert (dispatch.workflow, dispatch.ref, dict(dispatch.inputs)) == (
        WORKFLOW,
        "main",
        {"chain": "sprint-1"},
    )
    chain = state(slow)["chains"]["sprint-1"]  # type: ignore[index]
    assert chain["lease"] is None, "the new job may take the chain at once"
    (handover,) = chain["handovers"]
    assert handover["run"] == {"repository": slow.full_name, "id": int(RUN_ID), "attempt": 1}
    assert handover["dispatched"] is True
    assert "continued in a new job" in str(slow.pulls()[0].body)

    again = run(slow, work, "--max-minutes", "0.01", **actions_env())

    assert again.exit_code == 0, again.output
    assert len(slow.dispatches) == 1, "one handover per run and chain"

    # The dispatched run: a new job on a fresh runner, for that chain only.
    event = tmp_path / "dispatch.json"
    event.write_text(json.dumps({"inputs": dict(dispatch.inputs), "ref": "refs/heads/main"}))
    nxt = job(
        slow,
        tmp_path,
        "second",
        "--event",
        GITHUB_EVENT_NAME="workflow_dispatch",
        GITHUB_EVENT_PATH=str(event),
        **actions_env(run_id="7000000124"),
    )

    assert nxt.exit_code == 0, nxt.output
    for number in numbers:
        assert "baton:done" in slow.labels_of(number)
    assert len(slow.dispatches) == 1
    report = slow.read_file(f"knowledge/reports/{datetime.now(UTC):%Y-%m-%d}-sprint-1.md")
    assert report is not None
    assert "continued in a new job (a CLI agent's session lived in this job's HOME" in report


def test_without_actions_write_the_handover_is_one_warning_and_the_chain_waits(
    slow: FakeGitHub, tmp_path: Path
) -> None:
    three_tickets(slow)
    token = "ghs_jobWithoutActionsWrite000000000000000"
    scopes = {
        "contents": "write",
        "issues": "write",
        "pull_requests": "write",
        "checks": "write",
        "statuses": "write",
    }
    slow.add_user("github-actions[bot]", role="write", bot=True)
    slow.add_token(token, "github-actions[bot]", scopes=scopes)

    result = job(
        slow,
        tmp_path,
        "job",
        "--max-minutes",
        "0.01",
        GITHUB_TOKEN=token,
        BATON_BOT_LOGIN="github-actions[bot]",
        **actions_env(),
    )

    assert result.exit_code == 0, result.output
    assert slow.dispatches == []
    warnings = [line for line in result.output.splitlines() if "handover" in line]
    assert len(warnings) == 1, result.output
    assert "give the job `permissions: actions: write`" in warnings[0]
    assert "chain sprint-1 is not finished; run baton again to continue" in result.output
    (handover,) = state(slow)["chains"]["sprint-1"]["handovers"]  # type: ignore[index]
    assert handover["dispatched"] is False
    assert "403" in handover["error"]


# -- takeover --------------------------------------------------------------------------------


def leased_by(fake: FakeGitHub, run_id: int) -> None:
    """The chain's lease, as a job on another runner that holds it now would have left it."""
    data: dict[str, Any] = state(fake)
    data["chains"]["sprint-1"]["lease"] = {
        "owner": "fv-az123-456:4242:0badcafe",
        "until": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
        "run": {"repository": fake.full_name, "id": run_id, "attempt": 1},
    }
    fake.commit("baton/state", {"state.json": json.dumps(data, indent=1)}, "a job holds it")


def test_a_lease_held_by_a_finished_run_is_taken_over_at_once(
    github: FakeGitHub, tmp_path: Path
) -> None:
    numbers = three_tickets(github)
    started = job(github, tmp_path, "one", "--max-tickets", "1", **actions_env())
    assert started.exit_code == 0, started.output
    holder = github.add_workflow_run(run_id=7000000200, status="in_progress")
    leased_by(github, holder)

    respected = job(github, tmp_path, "two", **actions_env(run_id="7000000201"))

    assert respected.exit_code == 0, respected.output
    assert "another baton run is working this chain (Actions run 7000000200" in respected.output
    assert "baton:done" not in github.labels_of(numbers[1])

    github.set_workflow_run(holder, status="completed", conclusion="cancelled")
    taken = job(github, tmp_path, "three", **actions_env(run_id="7000000202"))

    assert taken.exit_code == 0, taken.output
    assert "Actions run 7000000200 held this chain and has finished: taking it over" in (
        taken.output
    )
    for number in numbers:
        assert "baton:done" in github.labels_of(number)
    asked = [r for r in github.requests if r.path.endswith("/actions/runs/7000000200")]
    assert [r.status for r in asked] == [200, 200]


def test_a_run_the_api_cannot_tell_of_holds_its_lease_until_expiry(
    github: FakeGitHub, tmp_path: Path
) -> None:
    numbers = three_tickets(github)
    assert job(github, tmp_path, "one", "--max-tickets", "1", **actions_env()).exit_code == 0
    leased_by(github, 7000000300)  # a run the API does not know (404)

    result = job(github, tmp_path, "two", **actions_env(run_id="7000000301"))

    assert result.exit_code == 0, result.output
    assert "another baton run is working this chain" in result.output
    assert "baton:done" not in github.labels_of(numbers[1])


# -- review comments -------------------------------------------------------------------------


def review_comment(
    fake: FakeGitHub, work: Path, shared_dir: Path, text: str, **env: str
) -> tuple[Result, int]:
    """A maintainer's review comment on the chain's pull request, and its `review followup` job
    in `work`; the result and the comment's id."""
    (pr,) = fake.pulls()
    human = Github(base_url=fake.url, auth=Auth.Token(fake.admin_token), retry=None, lazy=True)
    pull = human.get_repo(fake.full_name).get_pull(pr.number)
    commit = human.get_repo(fake.full_name).get_commit(pull.head.sha)
    comment = pull.create_review_comment(text, commit, "work/a.txt", line=1)
    payload = webhook_payload(
        shared_dir,
        "pull_request_review_comment/created.payload.json",
        fake,
        comment__id=comment.id,
        comment__body=text,
        comment__path="work/a.txt",
        comment__line=1,
        comment__user__login=fake.admin_login,
        pull_request__number=pr.number,
        pull_request__head__ref="baton/sprint-1",
    )
    path = work.parent / f"review-{comment.id}.json"
    path.write_text(json.dumps(payload))
    result = run(
        fake,
        work,
        "--event",
        GITHUB_EVENT_NAME="pull_request_review_comment",
        GITHUB_EVENT_PATH=str(path),
        **env,
    )
    return result, comment.id


def test_a_review_comment_goes_to_the_live_session_in_the_same_job(
    github: FakeGitHub, tmp_path: Path, shared_dir: Path
) -> None:
    add_ticket(github, "First", "work/a.txt")
    work = checkout(github, tmp_path / "job")
    assert run(github, work, **actions_env()).exit_code == 0

    result, comment = review_comment(github, work, shared_dir, "Say why, too", **actions_env())

    assert result.exit_code == 0, result.output
    (session,) = chain_sessions(work).values()
    assert session == [
        "# Baton · launch · ticket #1",
        f"# Baton · followup · ticket review-{comment}",
    ]


def test_a_review_comment_on_a_fresh_runner_ends_in_a_recovered_session_that_does_it(
    github: FakeGitHub, tmp_path: Path, shared_dir: Path
) -> None:
    add_ticket(github, "First", "work/a.txt")
    assert job(github, tmp_path, "chain", **actions_env()).exit_code == 0
    fresh = checkout(github, tmp_path / "review")  # the review followup job's runner

    result, comment = review_comment(
        github, fresh, shared_dir, "Say why, too", **actions_env(run_id="7000000400")
    )

    assert result.exit_code == 0, result.output
    key = f"review-{comment}"
    ticket = state(github)["chains"]["sprint-1"]["tickets"][key]  # type: ignore[index]
    assert ticket["status"] == "passed"
    lost, recovered = ticket["attempts"]
    assert lost["kind"] == "followup"
    assert "No conversation found with session ID" in lost["agent"]["error"]
    assert lost["agent"]["session_lost"] is True, "the ticket's own recovery is not spent"
    assert recovered["kind"] == "recovery"
    assert recovered["agent"]["ok"] is True
    (session,) = chain_sessions(fresh).values()
    assert session == [f"# Baton · recovery · ticket {key}"]
    replies = [c for c in github.review_comments_on(github.pulls()[0].number) if c.in_reply_to]
    assert [r.in_reply_to for r in replies] == [comment]


# A loaded machine can take minutes to bring the chain job to its pull request: the waits below
# are bounds for synchronisation, not measurements.
@pytest.mark.timeout(600)
def test_a_review_comment_while_the_chain_job_runs_goes_to_its_live_session(
    slow: FakeGitHub, tmp_path: Path, shared_dir: Path
) -> None:
    three_tickets(slow)
    slow.add_workflow_run(run_id=int(RUN_ID), status="in_progress")
    work = checkout(slow, tmp_path / "chain")
    chain_job = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--repo", str(work)],
        cwd=ROOT,
        env={**os.environ, **github_env(slow), **actions_env()},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 300
        while not slow.pulls() and chain_job.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        fresh = checkout(slow, tmp_path / "review")  # the review followup job's runner

        result, comment = review_comment(
            slow, fresh, shared_dir, "Say why, too", **actions_env(run_id="7000000500")
        )

        assert result.exit_code == 0, result.output
        assert "another baton run is working this chain (Actions run 7000000123" in result.output
        output, _ = chain_job.communicate(timeout=240)
    finally:
        if chain_job.poll() is None:
            chain_job.kill()
            chain_job.wait()
    assert chain_job.returncode == 0, output
    key = f"review-{comment}"
    ticket = state(slow)["chains"]["sprint-1"]["tickets"][key]  # type: ignore[index]
    assert ticket["status"] == "passed"
    assert [a["kind"] for a in ticket["attempts"]] == ["followup"]
    (session,) = chain_sessions(work).values()
    assert session == [
        "# Baton · launch · ticket #1",
        "# Baton · followup · ticket #2",
        "# Baton · followup · ticket #3",
        f"# Baton · followup · ticket {key}",
    ]
    assert chain_sessions(fresh) == {}, "the review's own job sent nothing"
