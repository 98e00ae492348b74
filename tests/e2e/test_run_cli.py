"""`baton run --dry-run` and `baton status` on a real repository."""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from pathlib import Path

from click.testing import CliRunner

from bot.cli import cli
from bot.demo import create_demo_repo
from bot.workspace import Git
from tests.e2e.helpers import baton, make_repo, status, without_evidence


def test_dry_run_prints_the_next_action_and_changes_nothing(tmp_path: Path) -> None:
    repo = without_evidence(create_demo_repo(tmp_path / "demo", os.environ))
    head = Git(repo, os.environ).head()
    result = CliRunner().invoke(cli, ["run", "--local", "--repo", str(repo), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "api-tests: prepare the chain's branch" in result.output
    assert Git(repo, os.environ).head() == head
    assert Git(repo, os.environ).branch() == "main"
    assert not (repo / ".baton" / "state.json").exists()


def test_status_before_and_after_a_run(tmp_path: Path) -> None:
    repo = without_evidence(create_demo_repo(tmp_path / "demo", os.environ))
    runner = CliRunner()
    assert (
        "no chains have run here yet" in runner.invoke(cli, ["status", "--repo", str(repo)]).output
    )
    assert runner.invoke(cli, ["run", "--local", "--repo", str(repo)]).exit_code == 0
    table = runner.invoke(cli, ["status", "--repo", str(repo)])
    assert table.exit_code == 0
    assert "books-tests" in table.output
    assert "passed" in table.output
    as_json = json.loads(runner.invoke(cli, ["status", "--repo", str(repo), "--json"]).output)
    assert as_json["schema_version"] == 1
    assert as_json["chains"]["api-tests"]["outcome"] == "passed"
    dry = runner.invoke(cli, ["run", "--local", "--repo", str(repo), "--dry-run"])
    assert "api-tests: nothing to do" in dry.output


def test_run_outside_a_repository_is_one_clear_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["run", "--local", "--repo", str(tmp_path)])
    assert result.exit_code == 1
    assert "is not a git working copy" in result.output
    assert "Traceback" not in result.output


def test_a_chain_file_that_does_not_parse_is_its_line_said_once(tmp_path: Path) -> None:
    """The located problem says "error" itself: not `error: file:9: error: …`. An unclosed `[`
    is found lines later; the message says where it began, and a tab says it is one."""
    repo = without_evidence(create_demo_repo(tmp_path / "demo", os.environ))
    broken = repo / "tickets" / "broken.yml"
    for text, expected in [
        (
            "chain: b\ntickets:\n  - key: b\n    files: {modify: [a.py,\n    goal: g\n",
            "broken.yml:6: error: yaml: invalid YAML: did not find expected ',' or ']', while "
            "parsing a flow sequence that begins on line 4\n",
        ),
        (
            "chain: b\ntickets:\n\t- key: b\n",
            "broken.yml:3: error: yaml: invalid YAML: found character that cannot start any "
            "token while scanning for the next token; it is a tab: indent with spaces\n",
        ),
    ]:
        broken.write_text(text, encoding="utf-8")
        Git(repo, os.environ).commit_all("a broken chain file")
        result = CliRunner().invoke(cli, ["run", "--local", "--repo", str(repo), "--dry-run"])
        assert result.exit_code == 1
        assert result.stderr == f"{broken.parent}/{expected}"


def test_uncommitted_changes_stop_the_run_before_anything_happens(tmp_path: Path) -> None:
    repo = without_evidence(create_demo_repo(tmp_path / "demo", os.environ))
    (repo / "README.md").write_text("local edit\n")
    result = CliRunner().invoke(cli, ["run", "--local", "--repo", str(repo)])
    assert result.exit_code == 1
    assert "uncommitted changes (README.md)" in result.output
    assert (repo / "README.md").read_text() == "local edit\n"
    assert Git(repo, os.environ).branch() == "main"


def test_a_missing_agent_executable_is_a_configuration_error(tmp_path: Path) -> None:
    repo = without_evidence(create_demo_repo(tmp_path / "demo", os.environ))
    (repo / ".github" / "baton.yml").write_text(
        "agent:\n  kind: claude\n  executable: no-such-agent-here\n"
        "validation:\n  test_command: 'true'\n"
    )
    Git(repo, os.environ).commit_all("use claude")
    result = CliRunner().invoke(cli, ["run", "--local", "--repo", str(repo)])
    assert result.exit_code == 1
    assert "`no-such-agent-here` is not installed" in result.output
    assert not (repo / ".baton" / "state.json").exists(), "nothing was started"


def test_a_dry_run_finds_what_the_run_would_fail_on(tmp_path: Path) -> None:
    """After the plan, each thing the run would stop on: an error line each, and exit 1."""
    repo = without_evidence(create_demo_repo(tmp_path / "demo", os.environ))
    config = repo / ".github" / "baton.yml"
    config.write_text(config.read_text() + "branches:\n  base: develop\n")
    git = Git(repo, os.environ)
    git.run("commit", "-qam", "a base that is not there")
    (repo / "README.md").write_text("local edit\n")
    result = CliRunner().invoke(cli, ["run", "--local", "--repo", str(repo), "--dry-run"])

    assert result.exit_code == 1
    assert result.stdout == "api-tests: prepare the chain's branch\n"
    assert result.stderr.splitlines() == [
        f".github/baton.yml: error: branches.base: `develop` is not a branch or commit of {repo}",
        f"{repo}: error: working copy: uncommitted changes (README.md): commit or stash them",
    ]
    assert git.branch() == "main"


def test_a_dry_run_warns_of_a_test_command_that_fails_before_any_change(tmp_path: Path) -> None:
    """Every attempt would fail until a change makes it pass: said before an agent is called.
    A warning, as a ticket may be meant to make it pass; the working copy is left as it was."""
    repo = without_evidence(create_demo_repo(tmp_path / "demo", os.environ))
    config = repo / ".github" / "baton.yml"
    text = re.sub(r"(?m)^  test_command: .*$", "", config.read_text())
    config.write_text(text + "  test_command: sh -c 'echo no tests ran in 0.01s; exit 5'\n")
    git = Git(repo, os.environ)
    git.commit_all("a test command that finds no tests")
    head = git.head()
    result = CliRunner().invoke(cli, ["run", "--local", "--repo", str(repo), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "api-tests: prepare the chain's branch\n"
    assert result.stderr == (
        ".github/baton.yml: warning: validation.test_command: fails before any change (exit 5: "
        "no tests ran in 0.01s): every attempt fails until a change makes it pass. Fine if the "
        "first ticket is to; else fix the command or the tests first\n"
    )
    assert (git.head(), git.branch(), git.dirty_files()) == (head, "main", [])
    # pytest's own word for it, whatever its last line says.
    (repo / "notes").mkdir()
    (repo / "notes" / "README.md").write_text("no tests here\n")
    runner = f"{shlex.quote(sys.executable)} -m pytest -q -p no:cacheprovider notes"
    config.write_text(text + f"  test_command: {runner}\n")
    git.commit_all("a test command that collects no test")
    result = CliRunner().invoke(cli, ["run", "--local", "--repo", str(repo), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "fails before any change (exit 5: pytest collected no tests): " in result.stderr


def test_a_dry_run_finds_a_tickets_own_test_command_that_cannot_start(tmp_path: Path) -> None:
    """A ticket's test command, like the configuration's, would fail every attempt after its
    agent call: the dry run names it."""
    repo = without_evidence(create_demo_repo(tmp_path / "demo", os.environ))
    extra = repo / "tickets" / "extra.yml"
    extra.write_text(
        "tickets:\n  - key: one\n    title: One\n    goal: g\n    files: {create: [one.txt]}\n"
        "    test_command: no-such-runner --fast\n",
        encoding="utf-8",
    )
    Git(repo, os.environ).commit_all("a ticket whose test command is not installed")
    result = CliRunner().invoke(cli, ["run", "--local", "--repo", str(repo), "--dry-run"])
    assert result.exit_code == 1
    assert "extra: prepare the chain's branch" in result.stdout
    assert result.stderr == (
        f"{extra}: error: one.test_command: `no-such-runner` is not on PATH: it would fail every "
        "attempt of the ticket (exit 127)\n"
    )


WRITE_A = """\
import pathlib
pathlib.Path("a.txt").write_text("done\\n")
"""


def test_a_test_command_that_cannot_start_stops_the_run_and_sends_no_correction(
    tmp_path: Path,
) -> None:
    """Exit 127 is the configuration's, not the agent's: one line, no correction; once the
    program is there, the next run validates the same answer and the ticket passes."""
    one = "tickets:\n  - key: first\n    title: A\n    goal: Create a.txt.\n"
    tickets = one + "    files: {create: [a.txt]}\n"
    repo = make_repo(
        tmp_path / "repo",
        agent_script=WRITE_A,
        tickets=tickets,
        test_command="no-such-runner",
        sandbox="off",  # the runner is installed where a sandbox would not show it
    )
    stopped = baton("run", "--local", "--repo", str(repo))

    assert stopped.returncode == 1
    assert (
        "error: the test command `no-such-runner` cannot start: `no-such-runner` is not on PATH; "
        "fix validation.test_command (or the ticket's), then run baton again"
    ) in stopped.stderr
    (attempt,) = status(repo)["chains"]["work"]["tickets"]["first"]["attempts"]
    assert (attempt["kind"], attempt["validation"]) == ("launch", None)

    tools = tmp_path / "bin"  # the user installs the runner
    tools.mkdir()
    (tools / "no-such-runner").write_text("#!/bin/sh\nexit 0\n")
    (tools / "no-such-runner").chmod(0o755)
    path = f"{tools}:{os.environ['PATH']}"
    again = baton("run", "--local", "--repo", str(repo), env={"PATH": path})
    assert again.returncode == 0, again.stderr
    first = status(repo)["chains"]["work"]["tickets"]["first"]
    assert first["status"] == "passed"
    assert [a["kind"] for a in first["attempts"]] == ["launch"]


def test_status_shows_one_ticket_in_full_and_every_attempt(tmp_path: Path) -> None:
    repo = without_evidence(create_demo_repo(tmp_path / "demo", os.environ))
    runner = CliRunner()
    assert runner.invoke(cli, ["run", "--local", "--repo", str(repo)]).exit_code == 0

    one = runner.invoke(cli, ["status", "--repo", str(repo), "--ticket", "books-tests"])
    assert one.exit_code == 0
    assert one.output.startswith("ticket books-tests of chain api-tests: ")
    assert "attempt 1 (followup, session 1):" in one.output
    assert "major tests/mocks.py [scope.outside] changed, but the ticket" in one.output
    assert "attempt 2 (correction, session 1):" in one.output
    every = runner.invoke(cli, ["status", "--repo", str(repo), "--attempts"])
    assert every.exit_code == 0
    assert every.output.count("  attempt ") == 6
    unknown = runner.invoke(cli, ["status", "--repo", str(repo), "--ticket", "nope"])
    assert unknown.exit_code == 1
    assert unknown.output.startswith("error: no ticket `nope` in any chain; the tickets: ")
