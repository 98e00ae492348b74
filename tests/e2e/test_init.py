"""`baton init` end to end: a new git repository gets the workflow, the issue form, a config and
the conventions; what it writes passes Baton's own config check, zizmor and GitHub's schemas, and
running it again changes nothing. Also the plan job's side of Actions: `baton chains --json`
against the fake GitHub, read-only."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.agents.cli.versions import TESTED_VERSIONS
from bot.cli import cli
from bot.config import check_config
from bot.errors import BatonError
from bot.init import (
    ACTION_PLACEHOLDER,
    AGENT_KINDS,
    DEFAULT_SCHEDULE,
    check_schedule,
    init_repository,
    render,
    runs_per_day,
    template,
)
from bot.issue_form import render_issue_body
from bot.tickets import Ticket, TicketFiles
from bot.validation.rules import parse_rules
from tests.e2e.github_support import checkout, issue, run
from tests.e2e.helpers import ROOT, baton
from tests.fakes.github import FakeGitHub

BIN = Path(sys.executable).parent
FILES = [
    ".github/workflows/baton.yml",
    ".github/ISSUE_TEMPLATE/agent-ticket.yml",
    ".github/baton.yml",
    "knowledge/CONVENTIONS.md",
]


def _tool(name: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / name), *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def _empty_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "project"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    return repo


def _snapshot(repo: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(repo)): p.read_bytes()
        for p in sorted(repo.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(repo).parts
    }


def _outcomes(output: str) -> dict[str, str]:
    found = re.findall(r"^(created|kept|overwritten|unchanged)\s+(\S+)", output, re.MULTILINE)
    return {path: outcome for outcome, path in found}


def test_init_sets_up_an_empty_repository(tmp_path: Path) -> None:
    repo = _empty_repo(tmp_path)
    result = baton("init", "--repo", str(repo))
    assert result.returncode == 0, result.stderr
    assert _outcomes(result.stdout) == dict.fromkeys(FILES, "created")
    assert sorted(_snapshot(repo)) == sorted(FILES)
    # What is left to do, named: the action's reference, the secrets, the label.
    for needed in (
        "BATON_ACTION_REF",
        "ANTHROPIC_API_KEY",
        "SLACK_BOT_TOKEN",
        "SLACK_WEBHOOK_URL",
        "GitHub App",
        "ready-for-agent",
    ):
        assert needed in result.stdout, needed

    # With the agent it names installed (a stand-in for Claude Code that answers `--version`).
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "claude").write_text(f"#!/bin/sh\necho '{TESTED_VERSIONS['claude']} (Claude Code)'\n")
    (tools / "claude").chmod(0o755)
    path = f"{tools}:{os.environ['PATH']}"
    checked = baton("config", "check", str(repo / ".github" / "baton.yml"), env={"PATH": path})
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith(f"{repo / '.github' / 'baton.yml'}: ok\n")

    workflow = repo / ".github" / "workflows" / "baton.yml"
    zizmor = _tool("zizmor", "--offline", str(workflow), cwd=repo)
    assert zizmor.returncode == 0, zizmor.stdout + zizmor.stderr
    assert "No findings to report" in zizmor.stdout
    schema = _tool(
        "check-jsonschema", "--builtin-schema", "vendor.github-workflows", str(workflow), cwd=repo
    )
    assert schema.returncode == 0, schema.stdout + schema.stderr
    form = repo / ".github" / "ISSUE_TEMPLATE" / "agent-ticket.yml"
    schema = _tool(
        "check-jsonschema", "--builtin-schema", "vendor.github-issue-forms", str(form), cwd=repo
    )
    assert schema.returncode == 0, schema.stdout + schema.stderr

    text = workflow.read_text()
    assert "agent: claude" in text
    assert "ANTHROPIC_API_KEY: ${{ secrets.ANTHROPIC_API_KEY }}" in text
    # The plan, the chain job and the review followup (one job works a chain through), and the
    # draft of a new plan.
    assert text.count(ACTION_PLACEHOLDER) == 4
    assert "__BATON" not in text
    assert f'- cron: "{DEFAULT_SCHEDULE}"' in text


def test_init_twice_changes_nothing(tmp_path: Path) -> None:
    repo = _empty_repo(tmp_path)
    assert baton("init", "--repo", str(repo)).returncode == 0
    before = _snapshot(repo)
    again = baton("init", "--repo", str(repo), "--agent", "codex")
    assert again.returncode == 0, again.stderr
    assert _outcomes(again.stdout) == dict.fromkeys(FILES, "kept")
    assert _snapshot(repo) == before
    # What is left to do is for the agent of the configuration kept, not for --agent.
    assert (
        "note: .github/baton.yml is kept, and its agent.kind is claude: the next steps are for it "
        "(--force writes the files for codex)"
    ) in again.stdout
    assert "ANTHROPIC_API_KEY" in again.stdout
    assert "OPENAI_API_KEY" not in again.stdout


def test_force_overwrites(tmp_path: Path) -> None:
    repo = _empty_repo(tmp_path)
    assert baton("init", "--repo", str(repo)).returncode == 0
    conventions = repo / "knowledge" / "CONVENTIONS.md"
    conventions.write_text("# Ours\n")
    forced = baton("init", "--repo", str(repo), "--force")
    assert forced.returncode == 0, forced.stderr
    outcomes = _outcomes(forced.stdout)
    assert outcomes.pop("knowledge/CONVENTIONS.md") == "overwritten"
    assert set(outcomes.values()) == {"unchanged"}
    assert conventions.read_text() == template("CONVENTIONS.md")

    # Another agent, forced: the workflow and the config follow it.
    forced = baton("init", "--repo", str(repo), "--force", "--agent", "cursor")
    assert _outcomes(forced.stdout)[".github/baton.yml"] == "overwritten"
    assert "kind: cursor\n" in (repo / ".github" / "baton.yml").read_text()
    workflow = (repo / ".github" / "workflows" / "baton.yml").read_text()
    assert "CURSOR_API_KEY: ${{ secrets.CURSOR_API_KEY }}" in workflow
    assert "ANTHROPIC_API_KEY" not in workflow


def test_init_outside_a_git_repository_is_one_clear_error(tmp_path: Path) -> None:
    result = baton("init", "--repo", str(tmp_path))
    assert result.returncode != 0
    assert result.stderr.startswith("error: ")
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_bad_options_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    repo = _empty_repo(tmp_path)
    for args in (("--agent", "copilot"), ("--action-ref", "octo/baton@v1")):
        result = baton("init", "--repo", str(repo), *args)
        assert result.returncode == 1
        assert result.stderr.startswith("error: ")
        assert _snapshot(repo) == {}


def test_action_ref_pins_every_use_of_the_action(tmp_path: Path) -> None:
    repo = _empty_repo(tmp_path)
    ref = "octo/baton@" + "1234567890abcdef" * 2 + "12345678"
    result = baton("init", "--repo", str(repo), "--action-ref", ref)
    assert result.returncode == 0, result.stderr
    assert "Set BATON_ACTION_REF" not in result.stdout
    text = (repo / ".github" / "workflows" / "baton.yml").read_text()
    assert text.count(f"uses: {ref}\n") == 4
    assert "OWNER/baton@" not in text.replace("`uses: OWNER/baton@0000…`", "")


@pytest.mark.parametrize("agent", AGENT_KINDS)
def test_every_agent_kind_renders_valid_files(agent: str, tmp_path: Path) -> None:
    files = {item.path: item.text for item in render(agent)}
    config = tmp_path / "baton.yml"
    config.write_text(files[".github/baton.yml"])
    loaded, problems = check_config(config)
    assert problems == []
    assert loaded is not None
    assert loaded.agent.kind == agent
    workflow = files[".github/workflows/baton.yml"]
    assert "__BATON" not in workflow
    if agent == "command":
        assert "API_KEY" not in workflow, "a command agent's secrets are the user's to add"


@pytest.mark.parametrize(
    ("agent", "needed"),
    [
        ("claude", "--permission-mode acceptEdits"),
        ("codex", "--sandbox danger-full-access"),
        ("gemini", "--skip-trust --approval-mode auto_edit"),
        ("cursor-cli", "`agent`"),
        ("command", "agent.env"),
    ],
)
def test_init_says_what_each_agent_needs(agent: str, needed: str, tmp_path: Path) -> None:
    result = baton("init", "--repo", str(_empty_repo(tmp_path)), "--agent", agent)
    assert result.returncode == 0, result.stderr
    assert needed in result.stdout
    if agent in {"claude", "codex", "gemini"}:
        assert "bubblewrap" in result.stdout


def test_the_schedule_is_the_users(tmp_path: Path) -> None:
    """Hourly by default; any cron line GitHub runs, checked before anything is written."""
    repo = _empty_repo(tmp_path)
    init_repository(repo, os.environ, schedule="  5  9-17  * *  MON-FRI ")
    workflow = repo / ".github" / "workflows" / "baton.yml"
    text = workflow.read_text()
    assert '    - cron: "5 9-17 * * MON-FRI"\n' in text
    assert DEFAULT_SCHEDULE not in text
    schema = _tool(
        "check-jsonschema", "--builtin-schema", "vendor.github-workflows", str(workflow), cwd=repo
    )
    assert schema.returncode == 0, schema.stdout + schema.stderr

    (tmp_path / "other").mkdir()
    other = _empty_repo(tmp_path / "other")
    with pytest.raises(BatonError, match="fires more often than every 5 minutes"):
        init_repository(other, os.environ, schedule="*/2 * * * *")
    assert _snapshot(other) == {}


@pytest.mark.parametrize(
    ("schedule", "names"),
    [
        ("17 * * *", "five fields"),
        ("60 * * * *", "the minute field of --schedule has '60'"),
        ("0 24 * * *", "the hour field"),
        ("0 0 0 * *", "the day of the month field"),
        ("0 0 * 13 *", "the month field"),
        ("0 0 * * 7", "the day of the week field"),
        ("0 0 * * MON-SUN", "stands for no day of the week"),
        ("*/0 * * * *", "stands for no minute"),
        ("0 0 * * @weekly", "the day of the week field"),
        ("0,1 * * * *", "more often than every 5 minutes"),
        ("58,1 * * * *", "more often than every 5 minutes"),
    ],
)
def test_a_schedule_github_would_not_run_is_one_clear_error(schedule: str, names: str) -> None:
    with pytest.raises(BatonError, match=re.escape(names)) as raised:
        check_schedule(schedule)
    assert raised.value.hint


@pytest.mark.parametrize(
    "schedule", ["17 * * * *", "*/5 * * * *", "0 */2 1,15 JAN-jun *", "55,0 * * * SAT"]
)
def test_schedules_github_runs(schedule: str) -> None:
    assert check_schedule(schedule) == schedule


def test_how_often_a_schedule_runs() -> None:
    assert runs_per_day(DEFAULT_SCHEDULE) == 24, "the safety net: hourly"
    assert runs_per_day("*/15 * * * *") == 96
    assert runs_per_day("0 9-17 * * MON-FRI") == 9


def test_the_issue_form_in_the_package_is_this_repositorys() -> None:
    shipped = (ROOT / "bot" / "templates" / "agent-ticket.yml").read_bytes()
    assert shipped == (ROOT / ".github" / "ISSUE_TEMPLATE" / "agent-ticket.yml").read_bytes()
    assert template("agent-ticket.yml").encode() == shipped


def test_the_conventions_template_has_an_empty_rules_block() -> None:
    text = template("CONVENTIONS.md")
    assert "```baton-rules\n" in text
    assert parse_rules(text, "CONVENTIONS.md") == ([], [])
    # Its commented examples are real rules: uncommented, they parse without a problem.
    uncommented = re.sub(r"(?m)^# (?=- |  )", "", text)
    rules, problems = parse_rules(uncommented, "CONVENTIONS.md")
    assert problems == []
    assert [r.id for r in rules] == ["no-ad-hoc-mocks", "no-generated-files", "small-changes"]


# -- the plan job's matrix on GitHub -----------------------------------------------------------


def _chains(fake: FakeGitHub, work: Path, *args: str) -> list[str]:
    env = {
        "GITHUB_REPOSITORY": fake.full_name,
        "GITHUB_API_URL": fake.url,
        "GITHUB_TOKEN": fake.app_token,
    }
    result = CliRunner().invoke(cli, ["chains", "--json", "--repo", str(work), *args], env=env)
    assert result.exit_code == 0, result.output
    names: list[str] = json.loads(result.output)
    return names


def test_chains_on_github_are_read_only(github: FakeGitHub, tmp_path: Path) -> None:
    issue(github, "Scaffold", "work/scaffold.txt")  # in the milestone Sprint 1
    ticket = Ticket(goal="Create work/alone.txt.", files=TicketFiles(create=["work/alone.txt"]))
    alone = github.add_issue("Alone", render_issue_body(ticket), labels=["ready-for-agent"])
    github.add_issue("Not a ticket", "no label")
    work = checkout(github, tmp_path)

    github.reset_counters()
    assert _chains(github, work) == [f"issue-{alone}", "sprint-1"]
    assert {method for method, _, _ in github.requests} == {"GET"}, "the plan job only reads"

    assert run(github, work, "--chain", "sprint-1").exit_code == 0
    assert _chains(github, work) == [f"issue-{alone}"]
    assert _chains(github, work, "--include-finished") == [f"issue-{alone}", "sprint-1"]
    assert _chains(github, work, "--chain", "sprint-1") == []

    # A new ticket in the finished sprint opens it again.
    issue(github, "One more", "work/more.txt")
    assert _chains(github, work) == [f"issue-{alone}", "sprint-1"]


def test_the_schedule_is_set_from_the_command_line(tmp_path: Path) -> None:
    repo = _empty_repo(tmp_path)
    result = baton("init", "--repo", str(repo), "--schedule", "5 */2 * * *")
    assert result.returncode == 0, result.stderr
    workflow = (repo / ".github" / "workflows" / "baton.yml").read_text()
    assert '- cron: "5 */2 * * *"' in workflow
    refused = baton("init", "--repo", str(repo), "--force", "--schedule", "* * * *")
    assert refused.returncode != 0
    assert len(refused.stderr.splitlines()) == 1
    assert "schedule" in refused.stderr
    assert (repo / ".github" / "workflows" / "baton.yml").read_text() == workflow
