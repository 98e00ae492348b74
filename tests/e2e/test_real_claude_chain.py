"""`baton run --local` with the real Claude Code (pinned in tests/agent_clis/), configured as the
README says (`agent: {kind: claude}` and a test command, nothing more), against the scripted model
endpoint: a chain of three tickets passes in one session, each ticket a followup in it."""

from __future__ import annotations

import json
from pathlib import Path

from bot.workspace import Git
from tests.e2e.helpers import baton, status
from tests.fakes.models import ModelEndpoint, Script, Turn, run, say, write
from tests.real_cli import OutboundTrap, real_cli

TEST_COMMAND = "python3 check.py"
CHECK = """\
import pathlib
lines = pathlib.Path("notes.txt").read_text().split()
assert lines == ["one", "two", "three"][: len(lines)], lines
print("check ok:", lines)
"""
TICKETS = """\
tickets:
  - key: one
    title: Start the notes
    goal: Create notes.txt holding the line `one`.
    files: {create: [notes.txt]}
  - key: two
    title: A second line
    goal: Add the line `two` to notes.txt.
    files: {modify: [notes.txt]}
    depends_on: [one]
  - key: three
    title: A third line
    goal: Add the line `three` to notes.txt.
    files: {modify: [notes.txt]}
    depends_on: [two]
"""


def test_a_three_ticket_chain_passes_in_one_claude_session(tmp_path: Path) -> None:
    claude = real_cli("claude")
    repo = tmp_path / "repo"
    (repo / "tickets").mkdir(parents=True)
    (repo / "tickets" / "work.yml").write_text(TICKETS)
    (repo / "check.py").write_text(CHECK)
    (repo / ".github").mkdir()
    config = {
        "agent": {"kind": "claude", "executable": str(claude), "timeout_minutes": 3},
        "validation": {"test_command": TEST_COMMAND, "test_timeout_minutes": 1},
    }
    (repo / ".github" / "baton.yml").write_text(json.dumps(config))
    git = Git(repo)
    git.run("init", "-q", "-b", "main")
    git.commit_all("initial")
    home = tmp_path / "home"
    home.mkdir()
    turns = []
    for text in ("one\n", "one\ntwo\n", "one\ntwo\nthree\n"):
        # Each ticket: an edit and the test command, then the answer.
        turns += [Turn(write("notes.txt", text), run(TEST_COMMAND)), Turn(say("Done; tests pass."))]

    with ModelEndpoint(Script(turns)) as endpoint, OutboundTrap() as trap:
        env = {"HOME": str(home), **endpoint.env_for("claude"), **trap.env}
        result = baton("run", "--local", "--repo", str(repo), env=env)

    assert result.returncode == 0, result.stderr
    chain = status(repo)["chains"]["work"]
    assert {key: t["status"] for key, t in chain["tickets"].items()} == dict.fromkeys(
        ("one", "two", "three"), "passed"
    )
    assert len(chain["sessions"]) == 1  # one session from the first ticket to the last
    kinds = [a["kind"] for t in chain["tickets"].values() for a in t["attempts"]]
    assert kinds == ["launch", "followup", "followup"]
    assert git.run("show", "baton/work:notes.txt") == "one\ntwo\nthree"
    assert endpoint.script.remaining == 0
    # The last ticket's requests still hold the first ticket's prompt: the same conversation.
    first_prompt = endpoint.calls[0].user_texts[-1]
    assert "Start the notes" in first_prompt
    assert first_prompt in endpoint.calls[-1].user_texts
    # Each ticket's test command ran inside the session, and nothing went anywhere else.
    assert sum("check ok:" in r for r in endpoint.calls[-1].tool_results) == 3
    assert endpoint.unrouted == []
    assert trap.requests == []


def test_a_refused_tool_blocks_with_its_fix_and_teaches_no_convention(tmp_path: Path) -> None:
    """Every call the model makes a shell command Baton did not grant: the CLI refuses it and
    exits 0, Baton fails the attempt naming the refusal and the fix, recovers once, blocks, and
    the knowledge base proposes nothing from it."""
    claude = real_cli("claude")
    repo = tmp_path / "repo"
    (repo / "tickets").mkdir(parents=True)
    (repo / "tickets" / "work.yml").write_text(TICKETS.split("  - key: two", maxsplit=1)[0])
    (repo / "check.py").write_text(CHECK)
    (repo / "knowledge").mkdir()
    (repo / "knowledge" / "CONVENTIONS.md").write_text("# Conventions\n\nPeople wrote this.\n")
    (repo / ".github").mkdir()
    config = {
        "agent": {"kind": "claude", "executable": str(claude), "timeout_minutes": 3},
        "validation": {"test_command": TEST_COMMAND, "test_timeout_minutes": 1},
    }
    (repo / ".github" / "baton.yml").write_text(json.dumps(config))
    git = Git(repo)
    git.run("init", "-q", "-b", "main")
    git.commit_all("initial")
    home = tmp_path / "home"
    home.mkdir()
    refused = [Turn(run("wget -q http://127.0.0.1:9/notes.txt")), Turn(say("Done."))]

    with ModelEndpoint(Script(refused * 2)) as endpoint, OutboundTrap() as trap:
        env = {"HOME": str(home), **endpoint.env_for("claude"), **trap.env}
        result = baton("run", "--local", "--repo", str(repo), env=env)

    assert result.returncode == 1, result.stderr
    ticket = status(repo)["chains"]["work"]["tickets"]["one"]
    assert ticket["status"] == "blocked"
    errors = [a["agent"]["error"] for a in ticket["attempts"]]
    assert len(errors) == 2  # the launch and its one recovery: no corrections of a refusal
    for error in errors:
        assert "refused Bash `wget" in error
        assert '"--allowedTools"' in error  # the fix
        assert "\n" not in error
    conventions = git.run("show", "baton/work:knowledge/CONVENTIONS.md")
    assert "Proposed" not in conventions
    assert endpoint.unrouted == []
    assert trap.requests == []
