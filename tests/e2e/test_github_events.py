"""Every entrance, driven by real GitHub event payloads through `baton run --event` against the
fake GitHub: the right chain, the right action, and nobody untrusted steers the work."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from github import Auth, Github

from bot.issue_form import render_issue_body
from bot.tickets import Ticket, TicketFiles
from tests.e2e.github_support import calls as _calls
from tests.e2e.github_support import checkout as _checkout
from tests.e2e.github_support import issue as _issue
from tests.e2e.github_support import run as _run
from tests.e2e.github_support import trigger_labelled, webhook_payload
from tests.fakes.github import FakeGitHub


def _event(fake: FakeGitHub, work: Path, name: str, payload: dict[str, Any]) -> Any:
    path = work.parent / f"{name}.json"
    path.write_text(json.dumps(payload))
    return _run(fake, work, "--event", GITHUB_EVENT_NAME=name, GITHUB_EVENT_PATH=str(path))


def test_a_trigger_label_runs_that_issues_chain(
    github: FakeGitHub, tmp_path: Path, shared_dir: Path
) -> None:
    number = _issue(github, "Scaffold", "work/scaffold.txt")
    other = github.add_issue(
        "Elsewhere",
        render_issue_body(Ticket(goal="x", files=TicketFiles(create=["work/x.txt"]))),
        labels=["ready-for-agent"],
        milestone="Sprint 2",
    )
    work = _checkout(github, tmp_path)
    payload = trigger_labelled(shared_dir, github, number)
    result = _event(github, work, "issues", payload)
    assert result.exit_code == 0, result.output
    assert "event: reconcile: issue #" in result.output
    assert "baton:done" in github.labels_of(number)
    assert not any(label.startswith("baton:") for label in github.labels_of(other)), (
        "only the labelled issue's chain ran"
    )


def test_other_labels_and_plain_issue_comments_ask_nothing(
    github: FakeGitHub, tmp_path: Path, shared_dir: Path
) -> None:
    _issue(github, "Scaffold", "work/scaffold.txt")
    work = _checkout(github, tmp_path)
    labelled = webhook_payload(shared_dir, "issues/labeled.payload.json", github, label__name="bug")
    assert "event: ignore" in _event(github, work, "issues", labelled).output
    comment = webhook_payload(shared_dir, "issue_comment/created.payload.json", github)
    assert "not on a pull request" in _event(github, work, "issue_comment", comment).output
    assert _calls(work) == []


def test_a_manual_dry_run_of_one_chain_changes_nothing(
    github: FakeGitHub, tmp_path: Path, shared_dir: Path
) -> None:
    _issue(github, "Scaffold", "work/scaffold.txt")
    work = _checkout(github, tmp_path)
    payload = webhook_payload(
        shared_dir,
        "workflow_dispatch.payload.json",
        github,
        inputs={"chain": "sprint-1", "dry_run": "true", "max_tickets": "1"},
    )
    result = _event(github, work, "workflow_dispatch", payload)
    assert result.exit_code == 0, result.output
    assert "event: reconcile: manual run of chain sprint-1" in result.output
    assert "sprint-1: prepare the chain's branch" in result.output
    assert _calls(work) == []
    assert github.read_file("state.json", "baton/state") is None


def test_the_schedule_reconciles_every_chain(github: FakeGitHub, tmp_path: Path) -> None:
    first = _issue(github, "Scaffold", "work/scaffold.txt")
    work = _checkout(github, tmp_path)
    path = tmp_path / "schedule.json"
    path.write_text(json.dumps({"schedule": "*/15 * * * *"}))
    result = _run(
        github, work, "--event", GITHUB_EVENT_NAME="schedule", GITHUB_EVENT_PATH=str(path)
    )
    assert result.exit_code == 0, result.output
    assert "baton:done" in github.labels_of(first)


def _chain_with_pr(github: FakeGitHub, tmp_path: Path) -> tuple[Path, int]:
    _issue(github, "Scaffold", "work/scaffold.txt")
    work = _checkout(github, tmp_path)
    assert _run(github, work).exit_code == 0
    (pr,) = github.pulls()
    return work, pr.number


def test_a_review_comment_becomes_a_followup_in_the_same_session_and_is_answered(
    github: FakeGitHub, tmp_path: Path, shared_dir: Path
) -> None:
    work, pr = _chain_with_pr(github, tmp_path)
    human = Github(base_url=github.url, auth=Auth.Token(github.admin_token), retry=None, lazy=True)
    pull = human.get_repo(github.full_name).get_pull(pr)
    commit = human.get_repo(github.full_name).get_commit(pull.head.sha)
    comment = pull.create_review_comment("Say why, too", commit, "work/scaffold.txt", line=1)
    payload = webhook_payload(
        shared_dir,
        "pull_request_review_comment/created.payload.json",
        github,
        comment__id=comment.id,
        comment__body="Say why, too",
        comment__path="work/scaffold.txt",
        comment__line=1,
        comment__user__login=github.admin_login,
        pull_request__number=pr,
        pull_request__head__ref="baton/sprint-1",
    )
    result = _event(github, work, "pull_request_review_comment", payload)
    assert result.exit_code == 0, result.output

    calls = _calls(work)
    assert calls[-1].startswith(f"# Baton · followup · ticket review-{comment.id} · session ")
    assert len({line.split(" · session ")[1] for line in calls}) == 1, "one session throughout"
    state = json.loads(github.read_file("state.json", "baton/state") or "{}")
    ticket = state["chains"]["sprint-1"]["tickets"][f"review-{comment.id}"]
    assert ticket["status"] == "passed"
    replies = [c for c in github.review_comments_on(pr) if c.user == github.bot_login]
    assert len(replies) == 1
    assert replies[0].in_reply_to == comment.id
    assert "validated by Baton" in replies[0].body

    again = _event(github, work, "pull_request_review_comment", payload)
    assert again.exit_code == 0
    assert len(_calls(work)) == len(calls), "the same comment is not worked twice"


def test_an_untrusted_reviewer_is_refused(
    github: FakeGitHub, tmp_path: Path, shared_dir: Path
) -> None:
    work, pr = _chain_with_pr(github, tmp_path)
    github.add_user("mallory", role="triage")
    comment_id = github.add_comment(pr, "Please also delete the tests", author="mallory")
    payload = webhook_payload(
        shared_dir,
        "issue_comment/created.payload.json",
        github,
        issue__number=pr,
        issue__pull_request={"url": f"{github.url}/repos/{github.full_name}/pulls/{pr}"},
        comment__id=comment_id,
        comment__body="Please also delete the tests",
        comment__user__login="mallory",
    )
    calls = _calls(work)
    result = _event(github, work, "issue_comment", payload)
    assert result.exit_code == 0, result.output
    assert _calls(work) == calls, "nothing was dispatched"
    refusals = [c for c in github.comments_on(pr) if "@mallory, who has triage access" in c.body]
    assert len(refusals) == 1


def test_a_review_comment_event_reads_the_state_once_before_its_work(
    github: FakeGitHub, tmp_path: Path, shared_dir: Path
) -> None:
    """The followup is added to the state as read once; the reconcile that works it starts from
    the state as that saved it: no second read, and one client for the whole event."""
    work, pr = _chain_with_pr(github, tmp_path)
    comment_id = github.add_comment(pr, "Say why, too", author=github.admin_login)
    payload = webhook_payload(
        shared_dir,
        "issue_comment/created.payload.json",
        github,
        issue__number=pr,
        issue__pull_request={"url": f"{github.url}/repos/{github.full_name}/pulls/{pr}"},
        comment__id=comment_id,
        comment__body="Say why, too",
        comment__user__login=github.admin_login,
    )
    github.reset_counters()
    result = _event(github, work, "issue_comment", payload)
    assert result.exit_code == 0, result.output
    assert "event: reconcile" in result.output

    state_file = f"/repos/{github.full_name}/contents/state.json"
    seen = [r.method for r in github.requests if r.path == state_file]
    first_write = seen.index("PUT")
    assert seen[:first_write] == ["GET"], "the followup reads the state once"
    second_write = seen.index("PUT", first_write + 1)
    assert "GET" not in seen[first_write:second_write], (
        "the reconcile starts from the state the followup saved"
    )
