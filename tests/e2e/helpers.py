"""Helpers for end-to-end tests: a real repository with a chain file and an agent command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from bot.workspace import Git

ROOT = Path(__file__).resolve().parents[2]


def baton(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run baton as a whole process, the way people and CI do."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd or ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


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
    (path / ".github").mkdir()
    agent = f"{sys.executable} {path / 'agent.py'}"
    (path / ".github" / "baton.yml").write_text(
        json.dumps(
            {
                "agent": {
                    "kind": "command",
                    "command": f"{agent} {{prompt_file}}",
                    "timeout_minutes": timeout_minutes,
                    "env": list(agent_env),
                },
                "validation": {"test_command": test_command, "test_timeout_minutes": 1},
                "sandbox": sandbox,
            }
        )
    )
    git = Git(path)
    git.run("init", "-q", "-b", "main")
    git.commit_all("initial")
    return path


def status(repo: Path) -> Any:
    """The raw state file, as JSON."""
    return json.loads((repo / ".baton" / "state.json").read_text())
