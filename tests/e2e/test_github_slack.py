"""GitHub mode with Slack: `baton run` against the fake GitHub, with a bot token and the fake
Slack's address in the environment, posts the chain's message and its thread, and keeps the
message's address in the chain's state for the runs that follow."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.github_support import AGENT, checkout, config_text, issue, run
from tests.fakes.github import FakeGitHub
from tests.fakes.slack import FakeSlack

NOTIFY = "notify:\n  slack:\n    channel: '#baton'\n"


@pytest.fixture
def github(tmp_path: Path) -> Iterator[FakeGitHub]:
    """The usual repository, its config naming a Slack channel."""
    agent = tmp_path / "agent.py"
    agent.write_text(AGENT)
    files = {"README.md": "# widgets\n", ".github/baton.yml": config_text(agent) + NOTIFY}
    with FakeGitHub(tmp_path, files=files) as fake:
        yield fake


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def test_a_github_chain_posts_its_thread_to_slack(
    github: FakeGitHub, slack: FakeSlack, tmp_path: Path
) -> None:
    first = issue(github, "Scaffold", "work/scaffold.txt")
    second = issue(github, "Build on it", "work/build.txt", [f"#{first}"])
    work = checkout(github, tmp_path)
    env = {
        "SLACK_BOT_TOKEN": slack.token,
        "BATON_SLACK_API_URL": slack.api_url,
        "BATON_SLACK_POST_INTERVAL": slack.post_interval,
    }

    result = run(github, work, **env)
    assert result.exit_code == 0, result.output
    assert slack.token not in result.output

    channel = slack.channel_id("#baton")
    [parent] = slack.top_level(channel)
    assert parent.edits, "the chain's message was updated in place"
    summary = json.dumps(parent.blocks, ensure_ascii=False)
    assert "Baton · chain sprint-1" in summary
    assert "*passed* · 2 of 2 passed" in summary
    [pr] = github.pulls()
    assert f"https://github.com/{github.full_name}/pull/{pr.number}" in summary
    replies = [m.blocks[0]["text"]["text"] for m in slack.replies(channel, parent.ts)]
    assert replies == [
        f":white_check_mark: *#{first}* Scaffold — passed",
        f":white_check_mark: *#{second}* Build on it — passed",
        ":checkered_flag: *Chain finished*",
    ]

    state = json.loads(github.read_file("state.json", "baton/state") or "{}")
    chain = state["chains"]["sprint-1"]
    assert (chain["slack_channel"], chain["slack_ts"]) == (channel, parent.ts)

    # The next scheduled run has nothing to do, and says nothing.
    again = run(github, work, **env)
    assert again.exit_code == 0, again.output
    assert len(slack.messages) == 4
