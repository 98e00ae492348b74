"""Shared by the GitHub-mode end-to-end tests: a repository on the fake GitHub whose config
runs a small scripted agent, its checkout, and `baton run` with the right environment."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from bot.cli import cli
from bot.issue_form import render_issue_body
from bot.tickets import Ticket, TicketFiles
from tests.fakes.github import FakeGitHub

AGENT = """\
import json, os, pathlib, re, sys
prompt = pathlib.Path(sys.argv[1]).read_text()
with open(os.environ["AGENT_LOG"], "a") as log:
    log.write(prompt.splitlines()[0] + " · session " + sys.argv[2] + "\\n")
kind, key = re.match(r"# Baton · (\\w+) · ticket (\\S+)", prompt).groups()
found = re.search(r"### Files to (?:create|modify)\\n\\n- (\\S+)", prompt) or re.search(
    r"Only these files may change: `([^`]+)`", prompt
)
path = pathlib.Path(found.group(1))
path.parent.mkdir(parents=True, exist_ok=True)
with path.open("a") as out:
    out.write(f"done by the agent for {key}\\n")
print(json.dumps({"session_id": sys.argv[2], "is_error": False, "result": f"wrote {path}"}))
"""


def config_text(
    agent: Path, test_command: str = "test -d work", *, where: str = "auto", sandbox: str = "off"
) -> str:
    """`.github/baton.yml` for a `command` agent running the script `agent`. Unsandboxed by
    default: the scripted agent writes its log and prompt copies outside the working copy,
    which the sandbox forbids (tests/e2e/test_sandboxed_run.py shows what it confines)."""
    return textwrap.dedent(
        f"""\
        sandbox: {sandbox}
        agent:
          kind: command
          command: "{sys.executable} {agent} {{prompt_file}} {{session_id}}"
          env: [AGENT_LOG, PROMPT_COPIES]
        validation:
          where: {where}
          test_command: "{test_command}"
        """
    )


def github_env(fake: FakeGitHub, **extra: str) -> dict[str, str]:
    """What `baton` needs to work against the fake GitHub (writes unspaced, for speed)."""
    return {
        "GITHUB_REPOSITORY": fake.full_name,
        "GITHUB_API_URL": fake.url,
        "GITHUB_TOKEN": fake.app_token,
        "BATON_BOT_LOGIN": fake.bot_login,
        "BATON_GIT_REMOTE": str(fake.git_dir),
        "BATON_GITHUB_WRITE_INTERVAL": "0",
        **extra,
    }


def issue(fake: FakeGitHub, title: str, path: str, depends: list[str] | None = None) -> int:
    ticket = Ticket(
        goal=f"Create {path}.", files=TicketFiles(create=[path]), depends_on=depends or []
    )
    return fake.add_issue(
        title, render_issue_body(ticket), labels=["ready-for-agent"], milestone="Sprint 1"
    )


def checkout(fake: FakeGitHub, tmp_path: Path) -> Path:
    work = tmp_path / "checkout"
    subprocess.run(["git", "clone", "-q", str(fake.git_dir), str(work)], check=True)
    return work


def run(fake: FakeGitHub, work: Path, *args: str, **extra: str) -> Result:
    env = github_env(fake, AGENT_LOG=str(work.parent / "agent.log"), **extra)
    return CliRunner().invoke(cli, ["run", "--repo", str(work), *args], env=env)


def calls(work: Path) -> list[str]:
    log = work.parent / "agent.log"
    return log.read_text().splitlines() if log.exists() else []


def webhook_payload(
    shared_dir: Path, name: str, fake: FakeGitHub, **changes: Any
) -> dict[str, Any]:
    """A real payload from GitHub's examples, moved to the fake's repository; `a__b=v` sets
    `payload["a"]["b"] = v`."""
    data: dict[str, Any] = json.loads((shared_dir / "github" / "webhooks" / name).read_text())
    repo = data["repository"]
    repo["full_name"], repo["name"] = fake.full_name, fake.name
    repo["owner"]["login"] = fake.owner
    for path, value in changes.items():
        target = data
        keys = path.split("__")
        for key in keys[:-1]:
            target = target.setdefault(key, {})
        target[keys[-1]] = value
    return data


def trigger_labelled(
    shared_dir: Path, fake: FakeGitHub, number: int, milestone: str = "Sprint 1"
) -> dict[str, Any]:
    """The `labeled` event of the trigger label on issue `number`, of `milestone`."""
    return webhook_payload(
        shared_dir,
        "issues/labeled.payload.json",
        fake,
        issue__number=number,
        issue__milestone__title=milestone,
        label__name="ready-for-agent",
    )
