"""How tests use the CLI-like agent of `agents/home_cli.py`, whose sessions live in its HOME:
the `agent:` settings that run it through Baton's `command` kind, and its sessions read back.

Inside Baton's sandbox the agent's HOME is the chain's own, `.baton/homes/<chain>/` in the
working copy, so a new working copy (a new job on a fresh runner) cannot resume a session an
earlier one started. With `sandbox: off` it is whatever HOME Baton was given.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HOME_CLI = Path(__file__).resolve().parent / "agents" / "home_cli.py"
NEEDS_CORRECTION = "[fake-cli: needs a correction]"  # in a ticket's text: one correction


def home_cli_agent(*, python: str = sys.executable, seconds: float = 0) -> dict[str, Any]:
    """The `agent:` section of `.github/baton.yml`; `seconds` per call, for a fixed duration."""
    wait = f" --seconds {seconds:g}" if seconds else ""
    run = f"{python} {HOME_CLI} {{prompt_file}}{wait}"
    return {
        "kind": "command",
        "command": run,
        "resume_command": f"{run} --resume {{session_id}}",
    }


def home_cli_yaml(*, python: str = sys.executable, seconds: float = 0, indent: int = 0) -> str:
    """The same as YAML lines (`agent:` and its keys), indented by `indent` spaces."""
    pad = " " * indent
    lines = [f"{pad}agent:"]
    for key, value in home_cli_agent(python=python, seconds=seconds).items():
        lines.append(f"{pad}  {key}: {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def sessions_in(home: Path) -> dict[str, list[str]]:
    """The sessions stored under one HOME: id -> the first line of each prompt, in order."""
    found = {}
    for path in sorted((home / ".sessions").glob("*")):
        data = json.loads(path.read_text(encoding="utf-8"))
        found[str(data["id"])] = list(data["turns"])
    return found


def chain_sessions(workspace: Path) -> dict[str, list[str]]:
    """Every session of the chains' HOMEs in a working copy (Baton's sandbox keeps them in
    `.baton/homes/<chain>/`)."""
    found: dict[str, list[str]] = {}
    for home in sorted((workspace / ".baton" / "homes").glob("*")):
        if home.is_dir() and not home.name.startswith("."):
            found |= sessions_in(home)
    return found
