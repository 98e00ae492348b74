"""`baton run --local` with the real Codex and Gemini CLIs (pinned in tests/agent_clis/),
configured as the README says (`agent: {kind: codex|gemini}` and a test command, nothing more),
against the scripted model endpoint: a chain of three tickets passes in one session, each ticket
a followup in it. Once unconfined (`sandbox: off`) and once in Baton's bubblewrap sandbox.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.workspace import Git
from tests.e2e.helpers import baton, status
from tests.fakes.models import ModelEndpoint, Script, Turn, gemini, openai, run, say, write
from tests.real_cli import OutboundTrap, real_cli
from tests.sandbox_support import require_bwrap

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


def make_repo(repo: Path, kind: str, sandbox: str) -> Git:
    (repo / "tickets").mkdir(parents=True)
    (repo / "tickets" / "work.yml").write_text(TICKETS)
    (repo / "check.py").write_text(CHECK)
    (repo / ".github").mkdir()
    config = {
        "sandbox": sandbox,
        "agent": {"kind": kind, "executable": str(real_cli(kind)), "timeout_minutes": 3},
        "validation": {"test_command": TEST_COMMAND, "test_timeout_minutes": 1},
    }
    (repo / ".github" / "baton.yml").write_text(json.dumps(config))
    git = Git(repo)
    git.run("init", "-q", "-b", "main")
    git.commit_all("initial")
    return git


def user_home(home: Path, kind: str, url: str) -> None:
    """The CLI's own configuration, as its user keeps it: Codex's model provider (the endpoint)
    in ~/.codex/config.toml, Gemini CLI's choice of an API key in ~/.gemini/settings.json."""
    if kind == "codex":
        (home / ".codex").mkdir(parents=True)
        (home / ".codex" / "config.toml").write_text(openai.config_toml(url))
    else:
        (home / ".gemini").mkdir(parents=True)
        (home / ".gemini" / "settings.json").write_text(gemini.settings_json())


@pytest.mark.parametrize("sandbox", ["off", "bwrap"])
@pytest.mark.parametrize("kind", ["codex", "gemini"])
def test_a_three_ticket_chain_passes_in_one_session(
    kind: str, sandbox: str, tmp_path: Path
) -> None:
    if sandbox == "bwrap":
        require_bwrap()
    git = make_repo(tmp_path / "repo", kind, sandbox)
    home = tmp_path / "home"
    # The temp directory apart from HOME, as on a user's machine: Codex sets up the helper of
    # its own sandbox only outside it.
    temp = tmp_path / "tmp"
    temp.mkdir()
    turns = []
    for text in ("one\n", "one\ntwo\n", "one\ntwo\nthree\n"):
        # Each ticket: an edit and the test command, then the answer.
        turns += [Turn(write("notes.txt", text), run(TEST_COMMAND)), Turn(say("Done; tests pass."))]

    with ModelEndpoint(Script(turns)) as endpoint, OutboundTrap() as trap:
        user_home(home, kind, endpoint.url)
        env = {"HOME": str(home), "TMPDIR": str(temp), **endpoint.env_for(kind), **trap.env}
        result = baton("run", "--local", "--repo", str(git.root), env=env)

    assert result.returncode == 0, result.stderr
    chain = status(git.root)["chains"]["work"]
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
    # Each ticket's test command ran inside the session, and nothing went anywhere else. (A
    # resumed Gemini CLI 0.61 sends each earlier tool result twice: counted once here.)
    assert len({r for r in endpoint.calls[-1].tool_results if "check ok:" in r}) == 3
    assert endpoint.unrouted == []
    assert trap.requests == []
