"""`.baton/`, Baton's own files in the user's repository: never part of the user's commits, never
the agent's work. A newcomer runs a dry run, follows git's advice with `git add -A`, and runs for
real: nothing of `.baton/` is committed, found or blamed on the agent."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.demo import create_demo_repo
from tests.e2e.helpers import without_evidence


def _git(repo: Path, *args: str) -> str:
    identity = ("-c", "user.name=Newcomer", "-c", "user.email=newcomer@example.com")
    return subprocess.run(
        ["git", *identity, *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


def _baton_files_in_findings(repo: Path) -> list[str]:
    # On the chain's branch: the run returned the user to theirs.
    status = json.loads(_git(repo, "show", "baton/api-tests:knowledge/status.json"))
    return [
        f"{finding['rule']} {finding['file']}"
        for chain in status["chains"].values()
        for ticket in chain["tickets"]
        for attempt in ticket["attempts"]
        for finding in (attempt["validation"] or {}).get("findings", [])
        if (finding.get("file") or "").startswith(".baton")
    ]


def _run(repo: Path) -> None:
    result = CliRunner().invoke(cli, ["run", "--local", "--repo", str(repo)])
    assert result.exit_code == 0, result.output
    assert _baton_files_in_findings(repo) == []
    committed = _git(repo, "log", "--name-only", "--format=", "main..baton/api-tests")
    assert ".baton/" not in committed, "Baton's files are never committed as the agent's change"


@pytest.mark.parametrize(
    "command",
    [
        ["run", "--local", "--dry-run"],
        ["chains", "--local"],
        ["status"],
    ],
    ids=" ".join,
)
def test_baton_dir_ignores_itself_from_the_first_command(
    tmp_path: Path, command: list[str]
) -> None:
    repo = without_evidence(create_demo_repo(tmp_path / "demo", os.environ))
    result = CliRunner().invoke(cli, [*command, "--repo", str(repo)])
    assert result.exit_code == 0, result.output
    assert (repo / ".baton").is_dir()
    assert _git(repo, "status", "--porcelain", "--untracked-files=all") == ""


def test_a_dry_run_then_git_add_all_then_a_run_has_no_finding_about_baton_files(
    tmp_path: Path,
) -> None:
    repo = without_evidence(create_demo_repo(tmp_path / "demo", os.environ))
    dry = CliRunner().invoke(cli, ["run", "--local", "--repo", str(repo), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "--allow-empty", "-m", "what git status showed")
    assert "\n.baton/" not in "\n" + _git(repo, "ls-files")
    _run(repo)


def test_baton_files_committed_by_mistake_are_never_findings(tmp_path: Path) -> None:
    repo = without_evidence(create_demo_repo(tmp_path / "demo", os.environ))
    # What an earlier Baton left for `git add -A` to take: its lock files, with no .gitignore.
    (repo / ".baton").mkdir()
    (repo / ".baton" / "state.json.lock").write_text("")
    (repo / ".baton" / "run.lock").write_text("")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "Baton's files, by mistake")
    _run(repo)
    assert _git(repo, "ls-files", ".baton") == ".baton/run.lock\n.baton/state.json.lock\n"
