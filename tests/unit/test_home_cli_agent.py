"""The CLI-like test agent whose sessions live in its HOME (tests/fakes/agents/home_cli.py):
a session resumes only where its HOME is, as Claude Code's does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.agents.cli.agent import CliAgent
from bot.config import AgentConfig
from bot.redact import from_environment
from tests.fakes.cli_agent import HOME_CLI, NEEDS_CORRECTION, home_cli_agent, sessions_in


def _call(home: Path, work: Path, prompt: str, *extra: str) -> subprocess.CompletedProcess[str]:
    prompt_file = work.parent / "prompt.md"
    prompt_file.write_text(prompt)
    return subprocess.run(
        [sys.executable, str(HOME_CLI), str(prompt_file), *extra],
        cwd=work,
        env={"HOME": str(home), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )


PROMPT = "# Baton · {kind} · ticket #{n}\n\n### Files to create\n\n- work/a.txt\n{extra}"


def test_a_session_resumes_in_its_home_and_nowhere_else(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    home, fresh = tmp_path / "home", tmp_path / "fresh"
    first = _call(home, work, PROMPT.format(kind="launch", n=1, extra=""))
    assert first.returncode == 0, first.stderr
    sid = json.loads(first.stdout)["session_id"]
    second = _call(home, work, PROMPT.format(kind="followup", n=2, extra=""), "--resume", sid)
    assert json.loads(second.stdout)["session_id"] == sid
    assert sessions_in(home) == {
        sid: ["# Baton · launch · ticket #1", "# Baton · followup · ticket #2"]
    }
    assert (work / "work" / "a.txt").read_text().splitlines() == [
        "done by the agent for #1",
        "done by the agent for #2",
    ]

    gone = _call(fresh, work, PROMPT.format(kind="followup", n=3, extra=""), "--resume", sid)

    assert gone.returncode == 1
    assert gone.stdout == ""
    assert gone.stderr.strip() == f"No conversation found with session ID: {sid}"


def test_a_ticket_that_needs_a_correction_is_done_only_by_the_correction(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    home = tmp_path / "home"
    launch = _call(home, work, PROMPT.format(kind="launch", n=1, extra=NEEDS_CORRECTION))
    assert "did nothing yet" in json.loads(launch.stdout)["result"]
    assert not (work / "work" / "a.txt").exists()
    sid = json.loads(launch.stdout)["session_id"]
    _call(
        home, work, PROMPT.format(kind="correction", n=1, extra=NEEDS_CORRECTION), "--resume", sid
    )
    assert (work / "work" / "a.txt").read_text() == "done by the agent for #1\n"


def test_its_settings_name_both_commands() -> None:
    agent = home_cli_agent(python="python3", seconds=2)
    assert agent["command"] == f"python3 {HOME_CLI} {{prompt_file}} --seconds 2"
    assert agent["resume_command"] == f"{agent['command']} --resume {{session_id}}"


def test_baton_reads_a_resume_its_home_cannot_find_as_a_lost_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    agent = CliAgent(
        AgentConfig.model_validate(home_cli_agent()),
        environ=os.environ,
        redact=from_environment(os.environ),
    )
    prompt = PROMPT.format(kind="launch", n=1, extra="")

    started = agent.start(prompt, work)
    assert started.ok, started.error
    assert not started.session_lost
    assert agent.resume(str(started.session_id), prompt, work).ok

    monkeypatch.setenv("HOME", str(tmp_path / "fresh"))
    gone = agent.resume(str(started.session_id), prompt, work)

    assert not gone.ok
    assert gone.session_lost
    assert f"No conversation found with session ID: {started.session_id}" in str(gone.error)
