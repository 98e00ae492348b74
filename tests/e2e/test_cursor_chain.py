"""A whole chain in local mode with the Cursor backend, against the fake Cursor API: `baton run
--local` launches one agent, sends every later ticket (and every correction) as a run on it,
fetches the branch the agent pushed to `origin` and validates it; an agent that expires is
replaced by a new one. What the agent is told: to go back to Baton's last validated commit only
after work that was not kept, that only pushed commits count, and in a recovery what failed
before, never the attempt being sent."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import stamina
from click.testing import CliRunner, Result

from bot.cli import cli
from tests.fakes.cursor import FakeCursor, RunScript
from tests.fakes.slack import FakeSlack

TICKETS = """\
tickets:
  - key: first
    title: Start the notes
    goal: Create a.txt.
    files: {create: [a.txt]}
  - key: second
    title: Go on
    goal: Create b.txt.
    files: {create: [b.txt]}
    depends_on: [first]
  - key: third
    title: Finish
    goal: Create c.txt.
    files: {create: [c.txt]}
    depends_on: [second]
"""
FILES = {"first": "a.txt", "second": "b.txt", "third": "c.txt"}
HEADER = re.compile(r"^# Baton · (\w+) · ticket (\S+)$")


@pytest.fixture(autouse=True)
def _fast_retries() -> Iterator[None]:
    with stamina.set_testing(True, attempts=3):
        yield


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    bare = tmp_path / "origin.git"
    _git(tmp_path, "init", "-q", "--bare", str(bare))
    return bare


@pytest.fixture
def repo(tmp_path: Path, origin: Path) -> Path:
    """A project whose `origin` is the bare repository the fake agent clones and pushes to."""
    path = tmp_path / "project"
    (path / "tickets").mkdir(parents=True)
    (path / "tickets" / "work.yml").write_text(TICKETS)
    (path / ".github").mkdir()
    (path / ".github" / "baton.yml").write_text(
        textwrap.dedent(
            """\
            agent:
              kind: cursor
              timeout_minutes: 1
              cursor: {poll_max_seconds: 0.02}
            validation:
              test_command: "true"
              max_corrections: 1
            """
        )
    )
    (path / "README.md").write_text("# project\n")
    _git(path, "init", "-q", "-b", "main")
    _git(path, "add", "-A")
    _git(path, "commit", "-qm", "initial")
    _git(path, "remote", "add", "origin", str(origin))
    _git(path, "push", "-q", "origin", "main")
    return path


def agent_work(prompt: str, checkout: Path) -> str:
    """What the fake agent does: the ticket's file; on `second`'s first try also a stray file
    outside the ticket's scope, which the correction removes."""
    match = HEADER.match(prompt.splitlines()[0])
    assert match, prompt[:200]
    kind, key = match.groups()
    (checkout / FILES[key]).write_text(f"{key}: {kind}\n")
    stray = checkout / "stray.txt"
    if kind == "correction":
        stray.unlink(missing_ok=True)
        return f"removed stray.txt for {key}"
    return f"{kind} of {key}: wrote {FILES[key]}"


def sloppy_work(prompt: str, checkout: Path) -> str:
    summary = agent_work(prompt, checkout)
    if prompt.startswith("# Baton · followup · ticket second"):
        (checkout / "stray.txt").write_text("not in the ticket\n")
    return summary


def run(
    repo: Path, cursor: FakeCursor, *options: str, more: dict[str, str] | None = None
) -> Result:
    env = {
        "CURSOR_API_KEY": cursor.key,
        "BATON_CURSOR_API_URL": cursor.url,
        "GITHUB_REPOSITORY": None,  # the repository is `origin`
        **(more or {}),
    }
    return CliRunner().invoke(cli, ["run", "--local", "--repo", str(repo), *options], env=env)


def state(repo: Path) -> Any:
    return json.loads((repo / ".baton" / "state.json").read_text())["chains"]["work"]


def committed_report(repo: Path) -> str:
    """The chain's report, as committed on its branch (the run ends on the user's branch)."""
    show = ["git", "-C", str(repo), "show", "baton/work:knowledge/reports/"]
    (name,) = [n for n in subprocess.check_output(show, text=True).split() if n.endswith(".md")]
    return subprocess.check_output([*show[:-1], f"{show[-1]}{name}"], text=True)


def kinds(chain: Any, key: str) -> list[str]:
    return [a["kind"] for a in chain["tickets"][key]["attempts"]]


def test_a_chain_is_one_launch_and_a_followup_per_later_ticket(repo: Path, origin: Path) -> None:
    with FakeCursor(remote=origin, work=agent_work) as cursor:
        result = run(repo, cursor)
        assert result.exit_code == 0, result.output

        (launch,) = cursor.launches
        assert launch.body["repos"] == [{"url": str(origin), "startingRef": "baton/work"}]
        assert launch.body["prompt"]["text"].startswith("# Baton · launch · ticket first")
        (agent_id,) = cursor.agents
        followups = cursor.followups
        assert [f.path for f in followups] == [f"/v1/agents/{agent_id}/runs"] * 2
        assert [f.body["prompt"]["text"].splitlines()[0] for f in followups] == [
            "# Baton · followup · ticket second",
            "# Baton · followup · ticket third",
        ]
        run_ids = [r.id for r in cursor.agents[agent_id].runs]

    chain = state(repo)
    assert chain["finished"] is True
    assert {k: t["status"] for k, t in chain["tickets"].items()} == dict.fromkeys(FILES, "passed")
    assert [(s["number"], s["id"], s["backend"]) for s in chain["sessions"]] == [
        (1, agent_id, "cursor")
    ]
    assert [kinds(chain, key) for key in FILES] == [["launch"], ["followup"], ["followup"]]
    attempts = [chain["tickets"][key]["attempts"][0] for key in FILES]
    assert [a["agent"]["run_id"] for a in attempts] == run_ids
    assert {a["agent"]["branch"] for a in attempts} == {f"cursor/{agent_id}"}
    # Baton validated exactly what the agent pushed, and the chain's branch holds all of it.
    assert attempts[-1]["commit"] == chain["checkpoint"]
    assert chain["checkpoint"] == _git(origin, "rev-parse", f"cursor/{agent_id}")
    assert [_git(repo, "show", f"baton/work:{name}") for name in FILES.values()] == [
        "first: launch",
        "second: followup",
        "third: followup",
    ]


def test_a_change_outside_the_scope_gets_a_correction_in_the_same_session(
    repo: Path, origin: Path
) -> None:
    with FakeCursor(remote=origin, work=sloppy_work) as cursor:
        result = run(repo, cursor)
        assert result.exit_code == 0, result.output
        assert len(cursor.launches) == 1
        (agent_id,) = cursor.agents
        prompts = [f.body["prompt"]["text"] for f in cursor.followups]

    assert [p.splitlines()[0] for p in prompts] == [
        "# Baton · followup · ticket second",
        "# Baton · correction · ticket second",
        "# Baton · followup · ticket third",
    ]
    assert "stray.txt" in prompts[1], "the correction names what to fix"
    chain = state(repo)
    assert {t["status"] for t in chain["tickets"].values()} == {"passed"}
    assert len(chain["sessions"]) == 1
    assert chain["sessions"][0]["id"] == agent_id
    assert kinds(chain, "second") == ["followup", "correction"]
    failed, fixed = chain["tickets"]["second"]["attempts"]
    assert [(f["rule"], f["file"]) for f in failed["validation"]["findings"]] == [
        ("scope.outside", "stray.txt")
    ]
    assert fixed["validation"]["changed_files"] == ["b.txt"]
    assert fixed["agent"]["session_id"] == agent_id
    assert _git(repo, "ls-tree", "--name-only", "baton/work", "stray.txt") == ""


def test_an_expired_agent_is_replaced_by_a_new_one_and_the_chain_passes(
    repo: Path, origin: Path
) -> None:
    with FakeCursor(remote=origin, work=agent_work) as cursor:
        cursor.script(RunScript(), RunScript(polls=2, status="EXPIRED"), RunScript())
        result = run(repo, cursor)
        assert result.exit_code == 0, result.output

        first_launch, recovery = cursor.launches
        assert recovery.body["prompt"]["text"].startswith("# Baton · recovery · ticket second")
        assert recovery.body["repos"][0]["startingRef"] == "baton/work"
        assert recovery.body["agentId"] != first_launch.body["agentId"]
        expired_id, new_id = first_launch.body["agentId"], recovery.body["agentId"]
        assert cursor.agents[expired_id].runs[-1].status == "EXPIRED"
        followups = cursor.followups
        assert [f.path for f in followups] == [
            f"/v1/agents/{expired_id}/runs",  # second: the run that expired
            f"/v1/agents/{new_id}/runs",  # third: the new session goes on
        ]

    chain = state(repo)
    assert {t["status"] for t in chain["tickets"].values()} == {"passed"}
    assert [(s["id"], s["reason"]) for s in chain["sessions"]] == [
        (expired_id, "start"),
        (new_id, "recovery"),
    ]
    assert kinds(chain, "second") == ["followup", "recovery"]
    dead = chain["tickets"]["second"]["attempts"][0]["agent"]
    assert dead["ok"] is False
    assert f"cursor agent {expired_id}, run" in dead["error"]
    assert "ended EXPIRED" in dead["error"]
    assert chain["tickets"]["second"]["recovered"] is True
    assert _git(repo, "show", "baton/work:b.txt") == "second: recovery"


# -- what the agent is told ---------------------------------------------------------------------


def _commit(repo: Path) -> None:
    subprocess.run(["git", "commit", "-qam", "tickets"], cwd=repo, check=True)


REVERT = "did not pass, and its work is not kept"


def test_a_followup_after_a_passed_ticket_asks_for_no_revert(repo: Path, origin: Path) -> None:
    with FakeCursor(remote=origin, work=agent_work) as cursor:
        result = run(repo, cursor)
        assert result.exit_code == 0, result.output
        prompts = [f.body["prompt"]["text"] for f in cursor.followups]

    assert len(prompts) == 2
    assert [REVERT in p for p in prompts] == [False, False]


def test_every_prompt_says_that_only_pushed_commits_count(repo: Path, origin: Path) -> None:
    with FakeCursor(remote=origin, work=stubborn_work) as cursor:
        run(repo, cursor)
        prompts = [r.body["prompt"]["text"] for r in cursor.launches + cursor.followups]

    kinds = {p.splitlines()[0].split(" · ")[1] for p in prompts}
    assert kinds == {"launch", "followup", "correction", "recovery"}
    for prompt in prompts:
        assert "Baton validates only what you pushed" in prompt
        assert "uncommitted; Baton commits them" not in prompt


# The same chain, written in an order other than the one it is worked in.
BACKWARDS = """\
tickets:
  - key: third
    title: Finish
    goal: Create c.txt.
    files: {create: [c.txt]}
    depends_on: [second]
  - key: second
    title: Go on
    goal: Create b.txt.
    files: {create: [b.txt]}
    depends_on: [first]
  - key: first
    title: Start the notes
    goal: Create a.txt.
    files: {create: [a.txt]}
"""


def test_no_revert_whatever_order_the_tickets_are_written_in(repo: Path, origin: Path) -> None:
    (repo / "tickets" / "work.yml").write_text(BACKWARDS)
    _commit(repo)
    with FakeCursor(remote=origin, work=agent_work) as cursor:
        result = run(repo, cursor)
        assert result.exit_code == 0, result.output
        prompts = [f.body["prompt"]["text"] for f in cursor.followups]

    assert [p.splitlines()[0] for p in prompts] == [
        "# Baton · followup · ticket second",
        "# Baton · followup · ticket third",
    ]
    assert [REVERT in p for p in prompts] == [False, False]


# Three tickets where the last does not need the second.
INDEPENDENT = TICKETS.replace("depends_on: [second]", "depends_on: [first]")


def stubborn_work(prompt: str, checkout: Path) -> str:
    """`second` always leaves a file outside its scope: it is blocked after its correction. Told
    to go back to a commit, the agent does so first, as the prompt asks."""
    if match := re.search(r"run `git reset --hard ([0-9a-f]{40})`", prompt):
        _git(checkout, "reset", "-q", "--hard", match.group(1))
    summary = agent_work(prompt, checkout)
    if "ticket second" in prompt.splitlines()[0]:
        (checkout / "stray.txt").write_text("not in the ticket\n")
    return summary


def test_after_a_blocked_ticket_the_next_goes_back_to_the_last_validated_commit(
    repo: Path, origin: Path
) -> None:
    (repo / "tickets" / "work.yml").write_text(INDEPENDENT)
    _commit(repo)
    with FakeCursor(remote=origin, work=stubborn_work) as cursor:
        run(repo, cursor)
        prompts = [f.body["prompt"]["text"] for f in cursor.followups]
        recovery = cursor.launches[1].body["prompt"]["text"]

    chain = state(repo)
    assert {k: t["status"] for k, t in chain["tickets"].items()} == {
        "first": "passed",
        "second": "blocked",
        "third": "passed",
    }
    # The second ticket's session is replaced once (a recovery launch) before it is blocked.
    assert [p.splitlines()[0] for p in prompts] == [
        "# Baton · followup · ticket second",
        "# Baton · correction · ticket second",
        "# Baton · correction · ticket second",
        "# Baton · followup · ticket third",
    ]
    first = chain["tickets"]["first"]["checkpoint"]
    assert [REVERT in p for p in prompts] == [False, False, False, True]
    assert f"git reset --hard {first}" in prompts[3]
    assert "c.txt" in _git(repo, "ls-tree", "--name-only", "baton/work")
    assert "stray.txt" not in _git(repo, "ls-tree", "--name-only", "baton/work")
    # The recovery tells what failed before it, not the attempt it is.
    assert recovery.startswith("# Baton · recovery · ticket second")
    failed = recovery.split("What failed on `second`:\n", 1)[1].split("\n\n", 1)[0]
    assert [line.split(":")[0] for line in failed.splitlines()] == [
        "- attempt 1 (followup)",
        "- attempt 2 (correction)",
    ]


def test_a_chain_begun_anew_after_its_state_is_lost_launches_an_agent_of_its_own(
    repo: Path, origin: Path
) -> None:
    """The first ticket's launch prompt is the same both times: only the chain's own key tells
    the two agents apart."""
    with FakeCursor(remote=origin, work=agent_work) as cursor:
        assert run(repo, cursor, "--max-tickets", "1").exit_code == 0
        shutil.rmtree(repo / ".baton")
        _git(repo, "checkout", "-q", "main")
        _git(repo, "branch", "-q", "-D", "baton/work")
        again = run(repo, cursor)
        assert again.exit_code == 0, again.output
        first, second = cursor.launches
        runs = {agent_id: len(agent.runs) for agent_id, agent in cursor.agents.items()}

    assert second.body["prompt"] == first.body["prompt"]
    assert second.status == 201, "a new agent, not the older chain's adopted"
    assert runs == {first.body["agentId"]: 1, second.body["agentId"]: 3}
    chain = state(repo)
    assert [s["id"] for s in chain["sessions"]] == [second.body["agentId"]]
    assert [kinds(chain, key) for key in FILES] == [["launch"], ["followup"], ["followup"]]


@pytest.mark.parametrize("refusal", [409, 400], ids=["409", "400"])
def test_an_agent_that_expires_between_tickets_is_recovered_once(
    repo: Path, origin: Path, refusal: int
) -> None:
    """The agent expires after `first` passed: the followup for `second` is refused with
    `agent_expired`, the session is dead, and `second` is recovered in a new agent."""
    with FakeCursor(remote=origin, work=agent_work) as cursor:
        cursor.expiry_status = refusal
        cursor.script(RunScript(expire_after=True))
        result = run(repo, cursor)
        assert result.exit_code == 0, result.output

        first_launch, recovery = cursor.launches
        expired_id, new_id = first_launch.body["agentId"], recovery.body["agentId"]
        assert recovery.body["prompt"]["text"].startswith("# Baton · recovery · ticket second")
        refused = cursor.calls("POST", f"/v1/agents/{expired_id}/runs")
        assert [r.status for r in refused] == [refusal]
        assert [f.path for f in cursor.followups] == [f"/v1/agents/{new_id}/runs"]

    chain = state(repo)
    assert chain["finished"] is True
    assert {t["status"] for t in chain["tickets"].values()} == {"passed"}
    assert [(s["id"], s["reason"]) for s in chain["sessions"]] == [
        (expired_id, "start"),
        (new_id, "recovery"),
    ]
    assert [kinds(chain, key) for key in FILES] == [
        ["launch"],
        ["followup", "recovery"],
        ["followup"],
    ]
    dead = chain["tickets"]["second"]["attempts"][0]["agent"]
    assert dead["ok"] is False
    assert f"{refusal} agent_expired" in dead["error"]
    assert [_git(repo, "show", f"baton/work:{name}") for name in FILES.values()] == [
        "first: launch",
        "second: recovery",
        "third: followup",
    ]


def test_an_agent_that_expires_during_the_launch_is_recovered_once(
    repo: Path, origin: Path
) -> None:
    with FakeCursor(remote=origin, work=agent_work) as cursor:
        cursor.script(RunScript(status="EXPIRED"))
        result = run(repo, cursor)
        assert result.exit_code == 0, result.output
        first_launch, recovery = cursor.launches
        new_id = recovery.body["agentId"]
        assert recovery.body["prompt"]["text"].startswith("# Baton · recovery · ticket first")
        assert cursor.calls("POST", f"/v1/agents/{first_launch.body['agentId']}/runs") == []
        assert [f.path for f in cursor.followups] == [f"/v1/agents/{new_id}/runs"] * 2

    chain = state(repo)
    assert {t["status"] for t in chain["tickets"].values()} == {"passed"}
    assert [s["reason"] for s in chain["sessions"]] == ["start", "recovery"]
    assert [kinds(chain, key) for key in FILES] == [
        ["launch", "recovery"],
        ["followup"],
        ["followup"],
    ]


def _configure(repo: Path, extra: str) -> None:
    config = repo / ".github" / "baton.yml"
    config.write_text(config.read_text() + extra)
    _git(repo, "commit", "-qam", "configure")


def test_an_unknown_model_stops_the_run_before_any_launch_and_again_on_a_rerun(
    repo: Path, origin: Path
) -> None:
    config = repo / ".github" / "baton.yml"
    config.write_text(config.read_text().replace("kind: cursor", "kind: cursor\n  model: nope"))
    _git(repo, "commit", "-qam", "an unknown model")
    with FakeCursor(remote=origin, work=agent_work) as cursor:
        results = [run(repo, cursor), run(repo, cursor)]
        assert cursor.calls("POST", "/v1/agents") == []

    for result in results:
        assert result.exit_code != 0
        errors = [line for line in result.output.splitlines() if line.startswith("error:")]
        assert len(errors) == 1, result.output
        assert "agent.model `nope`" in errors[0]
        assert "composer-1, claude-4.5-sonnet" in errors[0]
        assert "run baton again" not in result.output


def test_token_usage_is_in_the_state_the_report_and_slack(repo: Path, origin: Path) -> None:
    _configure(repo, "notify:\n  slack:\n    channel: '#baton'\n")
    with (
        FakeCursor(remote=origin, work=agent_work, default=RunScript(tokens=(1200, 300))) as cursor,
        FakeSlack() as slack,
    ):
        env = {
            "SLACK_BOT_TOKEN": slack.token,
            "BATON_SLACK_API_URL": slack.api_url,
            "BATON_SLACK_POST_INTERVAL": slack.post_interval,
        }
        result = run(repo, cursor, more=env)
        assert result.exit_code == 0, result.output
        (summary,) = slack.top_level(slack.channel_id("#baton"))

    chain = state(repo)
    attempts = [a for t in chain["tickets"].values() for a in t["attempts"]]
    assert [(a["agent"]["input_tokens"], a["agent"]["output_tokens"]) for a in attempts] == [
        (1200, 300)
    ] * 3
    report = committed_report(repo)
    assert "Agent tokens: 3,600 in, 900 out" in report
    assert report.count("tokens 1,200 in, 300 out") == 3
    shown = json.dumps(summary.blocks)
    assert shown.count("1,500 tokens") == 3, shown


def test_usage_not_enabled_leaves_no_figures_and_the_chain_passes(repo: Path, origin: Path) -> None:
    with FakeCursor(remote=origin, work=agent_work, default=RunScript(tokens=(1, 1))) as cursor:
        cursor.usage_available = False
        result = run(repo, cursor)
        assert result.exit_code == 0, result.output
        assert {r.status for r in cursor.calls("GET", "/v1/agents/*/usage")} == {403}

    assert "cursor.usage" not in result.output, "no figures, and nothing said"
    chain = state(repo)
    assert {t["status"] for t in chain["tickets"].values()} == {"passed"}
    for ticket in chain["tickets"].values():
        for attempt in ticket["attempts"]:
            assert attempt["agent"]["input_tokens"] is None
            assert attempt["agent"]["output_tokens"] is None
    report = committed_report(repo)
    assert "tokens" not in report


def test_the_agent_is_named_after_the_chain_and_archived_once_at_its_end(
    repo: Path, origin: Path
) -> None:
    with FakeCursor(remote=origin, work=agent_work) as cursor:
        result = run(repo, cursor)
        assert result.exit_code == 0, result.output
        again = run(repo, cursor)  # the chain is finished: nothing to do, nothing archived again
        assert again.exit_code == 0, again.output

        (launch,) = cursor.launches
        assert launch.body["name"] == "baton/work"
        (agent_id,) = cursor.agents
        (archived,) = cursor.calls("POST", "/v1/agents/*/archive")
        assert archived.path == f"/v1/agents/{agent_id}/archive"
        assert cursor.agents[agent_id].archived

    assert state(repo)["finished"] is True


def test_a_failing_archive_is_a_warning_and_the_run_still_succeeds(
    repo: Path, origin: Path
) -> None:
    with FakeCursor(remote=origin, work=agent_work) as cursor:
        cursor.fail(500, "internal_error", path="/v1/agents/*/archive", times=10)
        result = run(repo, cursor)
        assert result.exit_code == 0, result.output
        assert cursor.calls("POST", "/v1/agents/*/archive")

    warnings = [line for line in result.output.splitlines() if "cursor.archive_failed" in line]
    assert len(warnings) == 1, result.output
    chain = state(repo)
    assert chain["finished"] is True
    assert {t["status"] for t in chain["tickets"].values()} == {"passed"}
