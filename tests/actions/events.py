"""The events a workflow listens to, with payloads from GitHub's own examples
(`../shared/github/webhooks/`) moved onto the fake GitHub's repository."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.e2e.github_support import webhook_payload
from tests.fakes.github import Dispatch, FakeGitHub


@dataclass(frozen=True)
class Event:
    """An event as the runner gets it. `ref` and `sha` are what `GITHUB_REF` and `GITHUB_SHA`
    say (None: the default branch and its newest commit when the run starts, as for `issues`,
    `issue_comment`, `schedule` and most events)."""

    name: str
    payload: dict[str, Any] = field(default_factory=dict)
    ref: str | None = None
    sha: str | None = None
    actor: str = "octocat"


def example(shared_dir: Path, name: str, fake: FakeGitHub) -> dict[str, Any]:
    """GitHub's example payload `name` (e.g. `issues/labeled.payload.json`), its repository
    the fake's, default branch included."""
    payload = webhook_payload(shared_dir, name, fake)
    payload["repository"]["default_branch"] = fake.default_branch
    return payload


def issue_labeled(shared_dir: Path, fake: FakeGitHub, number: int, label: str) -> Event:
    """`issues` / `labeled`: `label` was put on issue `number` (as the fake has it now)."""
    issue = fake.issue(number)
    payload = example(shared_dir, "issues/labeled.payload.json", fake)
    payload["issue"].update(number=number, title=issue.title, body=issue.body or "")
    payload["issue"]["labels"] = [{"name": name} for name in issue.labels]
    payload["label"]["name"] = label
    payload["sender"]["login"] = fake.admin_login
    return Event("issues", payload, actor=fake.admin_login)


def schedule(cron: str) -> Event:
    """A `schedule` event; GitHub's payload names the cron line that fired."""
    return Event("schedule", {"schedule": cron}, actor="github-actions[bot]")


def workflow_dispatch(
    shared_dir: Path, fake: FakeGitHub, inputs: dict[str, Any] | None = None
) -> Event:
    """A manual dispatch on the default branch with `inputs` (their values as GitHub sends them:
    strings), started by the admin (the payload's sender)."""
    payload = example(shared_dir, "workflow_dispatch.payload.json", fake)
    payload["inputs"] = dict(inputs or {})
    payload["ref"] = f"refs/heads/{fake.default_branch}"
    payload["sender"]["login"] = fake.admin_login
    return Event("workflow_dispatch", payload, actor=fake.admin_login)


def dispatched(shared_dir: Path, fake: FakeGitHub, dispatch: Dispatch) -> Event:
    """The `workflow_dispatch` event of a dispatch made through the API (by Baton, with the job's
    GITHUB_TOKEN): its inputs, on its ref, by whoever made it."""
    payload = example(shared_dir, "workflow_dispatch.payload.json", fake)
    ref = dispatch.ref if dispatch.ref.startswith("refs/") else f"refs/heads/{dispatch.ref}"
    payload["inputs"] = {k: str(v) for k, v in dispatch.inputs.items()}
    payload["ref"] = ref
    payload["workflow"] = dispatch.workflow
    payload["sender"]["login"] = dispatch.actor
    return Event("workflow_dispatch", payload, ref=ref, actor=dispatch.actor)


def review_comment(shared_dir: Path, fake: FakeGitHub, comment: int) -> Event:
    """`pull_request_review_comment` / `created`: the review comment `comment` on a pull request
    (as the fake has them), written by the admin."""
    found = [
        (pull, c)
        for pull in fake.pulls()
        for c in fake.review_comments_on(pull.number)
        if c.id == comment
    ]
    if len(found) != 1:
        raise KeyError(f"no review comment {comment} on a pull request")
    pull, written = found[0]
    assert pull.pull is not None
    payload = example(shared_dir, "pull_request_review_comment/created.payload.json", fake)
    payload["comment"].update(id=comment, body=written.body, path=written.path, line=written.line)
    payload["comment"]["user"]["login"] = written.user
    payload["pull_request"]["number"] = pull.number
    payload["pull_request"]["head"]["ref"] = pull.pull.head_ref
    payload["sender"]["login"] = written.user
    return Event("pull_request_review_comment", payload, actor=written.user)
