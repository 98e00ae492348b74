"""Shared by the reliability tests: a three-ticket chain in GitHub mode on the fake GitHub (the
second ticket needs one correction), an agent that is a real subprocess and logs every prompt it
gets, `baton run` in process or as a whole process, and the books of what reached GitHub."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from bot.cli import cli
from bot.issue_form import render_issue_body
from bot.markers import markers_in
from bot.tickets import Ticket, TicketFiles
from tests.fakes.github import FakeGitHub
from tests.warm_baton import run_baton

ROOT = Path(__file__).resolve().parents[2]
CHAIN = "sprint-1"
BRANCH = f"baton/{CHAIN}"

# The agent: one line per prompt in $AGENT_LOG ("kind key session"), then the ticket's file.
# Its first try at `Build` leaves a TODO, which the test command refuses: one correction.
AGENT = """\
import json, os, pathlib, re, sys, time
prompt = pathlib.Path(sys.argv[1]).read_text()
kind, key = re.match(r"# Baton · (\\w+) · ticket (\\S+)", prompt).groups()
first = not os.path.exists(os.environ["AGENT_LOG"])
with open(os.environ["AGENT_LOG"], "a") as log:
    log.write(f"{kind} {key} {sys.argv[2]}\\n")
gate = os.environ.get("AGENT_FIRST_GATE")
if first and gate:  # the first prompt takes until the test opens the gate (a file appears)
    deadline = time.monotonic() + 60
    while not os.path.exists(gate) and time.monotonic() < deadline:
        time.sleep(0.02)
found = re.search(r"### Files to (?:create|modify)\\n\\n- (\\S+)", prompt) or re.search(
    r"Only these files may change: `([^`]+)`", prompt
)
path = pathlib.Path(found.group(1))
path.parent.mkdir(parents=True, exist_ok=True)
todo = "TODO\\n" if kind != "correction" and path.name == "build.txt" else ""
path.write_text(f"done by the agent for {key}\\n{todo}")
print(json.dumps({"session_id": sys.argv[2], "is_error": False, "result": f"wrote {path}"}))
"""
TEST_COMMAND = "test -d work && ! grep -rq TODO work"
TITLES = {"Scaffold": "work/scaffold.txt", "Build": "work/build.txt", "Finish": "work/finish.txt"}


def config_text(
    agent: Path, *, extra: str = "", test_command: str = TEST_COMMAND, test_minutes: float = 1
) -> str:
    return (
        textwrap.dedent(
            f"""\
            # The scripted agent logs outside the working copy, which the sandbox forbids.
            sandbox: off
            agent:
              kind: command
              command: "{sys.executable} {agent} {{prompt_file}} {{session_id}}"
              env: [AGENT_LOG, AGENT_FIRST_GATE]
              timeout_minutes: 1
            validation:
              test_command: '{test_command}'
              test_timeout_minutes: {test_minutes}
            """
        )
        + extra
    )


def new_github(
    root: Path, *, extra: str = "", test_command: str = TEST_COMMAND, test_minutes: float = 1
) -> FakeGitHub:
    """A fake GitHub (start it, or use it as a context manager) whose repository runs the
    logging agent; `extra` is more of .github/baton.yml."""
    root.mkdir(parents=True, exist_ok=True)
    agent = root / "agent.py"
    agent.write_text(AGENT)
    config = config_text(agent, extra=extra, test_command=test_command, test_minutes=test_minutes)
    return FakeGitHub(root, files={"README.md": "# widgets\n", ".github/baton.yml": config})


def add_chain(fake: FakeGitHub, titles: dict[str, str] | None = None) -> list[int]:
    """The chain's issues, each depending on the one before, in one milestone."""
    numbers: list[int] = []
    for title, path in (titles or TITLES).items():
        ticket = Ticket(
            goal=f"Create {path}.",
            files=TicketFiles(create=[path]),
            depends_on=[f"#{numbers[-1]}"] if numbers else [],
        )
        numbers.append(
            fake.add_issue(
                title, render_issue_body(ticket), labels=["ready-for-agent"], milestone="Sprint 1"
            )
        )
    return numbers


def checkout(fake: FakeGitHub, where: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(fake.git_dir), str(where)], check=True)
    return where


def environment(fake: FakeGitHub, work: Path, log: Path | None = None) -> dict[str, str]:
    return {
        "AGENT_LOG": str(log or work.parent / "agent.log"),
        "GITHUB_REPOSITORY": fake.full_name,
        "GITHUB_API_URL": fake.url,
        "GITHUB_TOKEN": fake.app_token,
        "BATON_BOT_LOGIN": fake.bot_login,
        "BATON_GIT_REMOTE": str(fake.git_dir),
        "BATON_GITHUB_WRITE_INTERVAL": "0",
    }


def run_inline(fake: FakeGitHub, work: Path, *args: str, **extra: str) -> Result:
    """`baton run` in this process (quick; for runs that are not killed)."""
    env: dict[str, str | None] = {**environment(fake, work), **extra}
    return CliRunner().invoke(cli, ["run", "--repo", str(work), *args], env=env)


def command(work: Path, env: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """The argv and environment of `baton run` as a whole process."""
    return [sys.executable, "-m", "bot", "run", "--repo", str(work)], {**os.environ, **env}


def run_process(
    fake: FakeGitHub, work: Path, *, timeout: float = 120, **extra: str
) -> subprocess.CompletedProcess[str]:
    """`baton run` as a whole process (a warm one: tests/warm_baton.py)."""
    argv, env = command(work, {**environment(fake, work), **extra})
    return run_baton(argv[3:], cwd=ROOT, env=env, timeout=timeout)


def agent_calls(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


@dataclass(frozen=True)
class Books:
    """What reached GitHub, counted: every duplicate shows as a count above one."""

    state: dict[str, Any]
    status_comments: Counter[str]
    validation_comments: Counter[str]
    check_runs: Counter[str]
    pulls: int
    knowledge_commits: int
    chain_head: str | None

    @property
    def chain(self) -> dict[str, Any]:
        return dict(self.state["chains"][CHAIN])

    def outcome(self) -> dict[str, Any]:
        """What must come out the same however often the run was interrupted."""
        chain = self.chain
        return {
            "finished": chain["finished"],
            "sessions": [(s["number"], s["reason"]) for s in chain["sessions"]],
            "tickets": {
                key: (t["status"], [a["kind"] for a in t["attempts"]])
                for key, t in chain["tickets"].items()
            },
            "status_comments": dict(self.status_comments),
            "validation_comments": dict(self.validation_comments),
            "check_runs": dict(self.check_runs),
            "pulls": self.pulls,
            "knowledge_commits": self.knowledge_commits,
        }

    def duplicates(self) -> int:
        """Writes that happened more than once (they must not)."""
        counts = [
            *self.status_comments.values(),
            *self.validation_comments.values(),
            *self.check_runs.values(),
            self.pulls,
            self.knowledge_commits,
        ]
        return sum(max(n - 1, 0) for n in counts)


def books(fake: FakeGitHub) -> Books:
    state = json.loads(fake.read_file("state.json", "baton/state") or '{"chains": {}}')
    status: Counter[str] = Counter()
    validation: Counter[str] = Counter()
    world = fake.state()
    with world.lock:
        comments = [c for number in list(world.issues) for c in world.comments_on(number)]
    for comment in comments:
        if comment.user != fake.bot_login:
            continue
        for mark in markers_in(comment.body):
            if mark.startswith("ticket=") and mark.endswith(":status"):
                status[mark] += 1
            if mark.startswith("ticket=") and mark.endswith(":validation"):
                validation[mark] += 1
    checks = Counter(run.external_id for run in fake.check_runs())
    knowledge = sum(m.startswith("baton: knowledge of chain") for m in fake.commit_messages("main"))
    return Books(
        state=state,
        status_comments=status,
        validation_comments=validation,
        check_runs=checks,
        pulls=sum(p.pull is not None and p.pull.head_ref == BRANCH for p in fake.pulls()),
        knowledge_commits=knowledge,
        chain_head=fake.branch_sha(BRANCH),
    )
