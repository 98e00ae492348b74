"""Logging as the `baton` command configures it: one line per event with its fields on stderr,
warnings unless `-v`, and never a secret."""

from __future__ import annotations

import subprocess
from pathlib import Path

from click.testing import CliRunner, Result

from bot.cli import cli
from bot.redact import REDACTED
from tests.e2e.github_support import github_env
from tests.fakes.github import FakeGitHub

CHAIN = "chain: books\ntickets:\n  - key: list\n    title: List\n    goal: List books.\n"
NO_SLACK: dict[str, str | None] = {"SLACK_BOT_TOKEN": None, "SLACK_WEBHOOK_URL": None}


def _repo(path: Path) -> Path:
    (path / "tickets").mkdir(parents=True)
    (path / "tickets" / "books.yml").write_text(CHAIN)
    (path / ".github").mkdir()  # an agent that is there: a dry run finds a missing one
    (path / ".github" / "baton.yml").write_text("agent: {kind: command, command: 'true'}\n")
    for argv in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "start"],
    ):
        subprocess.run(["git", "-C", str(path), *argv], check=True)
    return path


def _dry_run(repo: Path, *flags: str, env: dict[str, str | None]) -> Result:
    args = [*flags, "run", "--local", "--dry-run", "--repo", str(repo)]
    return CliRunner().invoke(cli, args, env={"GITHUB_REPOSITORY": None, **env})


def test_a_warning_shows_its_event_and_fields(tmp_path: Path) -> None:
    result = _dry_run(_repo(tmp_path / "repo"), env={**NO_SLACK, "SLACK_BOT_TOKEN": "xoxb-1-2-3"})
    assert result.exit_code == 0, result.output
    assert (
        'slack.off reason="SLACK_BOT_TOKEN is set but notify.slack has no channel or user"\n'
        in result.stderr
    )


def test_debug_events_show_only_with_verbose(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    quiet = _dry_run(repo, env=NO_SLACK)
    assert quiet.exit_code == 0, quiet.output
    assert "slack.off" not in quiet.stderr
    for flag in ("-v", "--verbose"):
        verbose = _dry_run(repo, flag, env=NO_SLACK)
        assert verbose.exit_code == 0, verbose.output
        assert 'slack.off reason="neither SLACK_BOT_TOKEN nor SLACK_WEBHOOK_URL"' in (
            verbose.stderr
        )


def test_a_secret_in_a_field_is_redacted(github: FakeGitHub, tmp_path: Path) -> None:
    """The poll cache's path names a directory whose name is the value of a secret variable:
    the warning about the unreadable cache shows the path, without the secret."""
    secret = "key-for-the-cursor-api-0123456789"
    work = tmp_path / secret / "checkout"
    subprocess.run(["git", "clone", "-q", str(github.git_dir), str(work)], check=True)
    (work / ".baton").mkdir()
    (work / ".baton" / "github-etags.json").write_text("{not json")
    env = github_env(github, CURSOR_API_KEY=secret)
    result = CliRunner().invoke(cli, ["chains", "--repo", str(work)], env=env)
    assert result.exit_code == 0, result.output
    assert secret not in result.output
    [line] = [line for line in result.stderr.splitlines() if "etag_cache_unreadable" in line]
    assert line == (
        f"github.etag_cache_unreadable path={tmp_path}/{REDACTED}/checkout/.baton/github-etags.json"
    )
