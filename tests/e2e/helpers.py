"""Helpers for end-to-end tests: a real repository with a chain file and an agent command or a
real agent CLI, and `baton` run as a whole process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.workspace import Git
from tests.fakes.models import ModelEndpoint, Script, Turn
from tests.real_cli import TEST_COMMAND, OutboundTrap, real_cli, write_user_config
from tests.warm_baton import run_baton

ROOT = Path(__file__).resolve().parents[2]

# Two tickets, the second depending on the first, each creating a file.
TWO_TICKETS = """\
tickets:
  - key: first
    title: Do the first thing
    goal: Create a.txt.
    files: {create: [a.txt]}
  - key: second
    title: Build on it
    goal: Create b.txt.
    files: {create: [b.txt]}
    depends_on: [first]
"""
# What the real agent CLIs are given to do: three tickets, each adding a line to notes.txt, and
# the test command's script (check.py), which checks the lines so far.
NOTES_TICKETS = """\
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
NOTES_CHECK = """\
import pathlib
lines = pathlib.Path("notes.txt").read_text().split()
assert lines == ["one", "two", "three"][: len(lines)], lines
print("check ok:", lines)
"""


def baton(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, cold: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run baton as a whole process, the way people and CI do: a warm one (tests/warm_baton.py),
    or with `cold` a new interpreter, for a test that reads the process's initial environment."""
    environ = {**os.environ, **(env or {})}
    if not cold:
        return run_baton(list(args), cwd=cwd or ROOT, env=environ, timeout=300)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd or ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def without_evidence(repo: Path) -> Path:
    """The demo's repository with phase 3 off, for a test of something else: its sabotage check
    runs the demo's tests some fifty times a chain (tests/e2e/test_demo.py runs it)."""
    config = repo / ".github" / "baton.yml"
    text = config.read_text()
    config.write_text(text.replace("  evidence:\n", "  evidence:\n    enabled: false\n", 1))
    Git(repo, os.environ).commit_all("Phase 3 off")
    return repo


def make_repo(
    path: Path,
    *,
    agent_script: str,
    tickets: str,
    test_command: str,
    timeout_minutes: float = 1,
    agent_env: tuple[str, ...] = (),
    sandbox: str = "auto",
) -> Path:
    """A repository with one chain file and an agent that runs `agent_script` (Python source),
    which sees the variables named in `agent_env` (agent.env) besides the basics; `sandbox` as
    the setting says (`off` for an agent that reaches files outside the working copy)."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "agent.py").write_text(textwrap.dedent(agent_script))
    (path / "tickets").mkdir()
    (path / "tickets" / "work.yml").write_text(textwrap.dedent(tickets))
    agent = f"{sys.executable} {path / 'agent.py'}"
    commit_with_config(
        path,
        {
            "agent": {
                "kind": "command",
                "command": f"{agent} {{prompt_file}}",
                "timeout_minutes": timeout_minutes,
                "env": list(agent_env),
            },
            "validation": {"test_command": test_command, "test_timeout_minutes": 1},
            "sandbox": sandbox,
        },
    )
    return path


def make_cli_repo(
    path: Path, kind: str, *, tickets: str = NOTES_TICKETS, sandbox: str | None = None
) -> Git:
    """A repository with one chain file (`tickets`), NOTES_CHECK as check.py, and the real CLI
    `kind` configured as the README says: `agent: {kind: ...}` and the test command, nothing
    more (but `sandbox`, when given). What `path` already holds is committed too."""
    (path / "tickets").mkdir(parents=True)
    (path / "tickets" / "work.yml").write_text(tickets)
    (path / "check.py").write_text(NOTES_CHECK)
    config: dict[str, Any] = {
        "agent": {"kind": kind, "executable": str(real_cli(kind)), "timeout_minutes": 3},
        "validation": {"test_command": TEST_COMMAND, "test_timeout_minutes": 1},
    }
    if sandbox is not None:
        config["sandbox"] = sandbox
    return commit_with_config(path, config)


def commit_with_config(path: Path, config: dict[str, Any]) -> Git:
    """`config` as .github/baton.yml, and everything in `path` committed on main, a new repo."""
    (path / ".github").mkdir()
    (path / ".github" / "baton.yml").write_text(json.dumps(config))
    git = Git(path, os.environ)
    git.run("init", "-q", "-b", "main")
    git.commit_all("initial")
    return git


def run_with_cli(
    kind: str, git: Git, home: Path, turns: list[Turn], env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], ModelEndpoint, OutboundTrap]:
    """`baton run --local` in `git`'s repository with `env` besides, the real CLI `kind` using
    `home` (configured as its user would, for the scripted endpoint) and the model answering
    with `turns`. Returns the run, the endpoint and the trap of whatever went elsewhere."""
    with ModelEndpoint(Script(turns)) as endpoint, OutboundTrap() as trap:
        write_user_config(home, kind, endpoint.url)
        cli_env = {"HOME": str(home), **(env or {}), **endpoint.env_for(kind), **trap.env}
        result = baton("run", "--local", "--repo", str(git.root), env=cli_env)
    return result, endpoint, trap


def assert_passed_in_one_session(
    result: subprocess.CompletedProcess[str], git: Git, endpoint: ModelEndpoint
) -> None:
    """The run passed the NOTES_TICKETS chain in one session of the CLI's, each ticket after the
    first a followup in it, with every scripted turn."""
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


def status(repo: Path) -> Any:
    """The raw state file, as JSON."""
    return json.loads((repo / ".baton" / "state.json").read_text())


def wait_for(check: Callable[[], Any], seconds: float, what: str) -> None:
    """Polls `check` until it holds; a test failure naming `what` if it never does in time."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {seconds:g} s")
        time.sleep(0.1)
