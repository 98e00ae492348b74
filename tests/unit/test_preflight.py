"""What a run would fail on, found before an agent call is spent on it (bot.preflight), and a test
command that could not start told apart from one that failed (bot.validation.run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.command_result import CommandResult
from bot.errors import ConfigError
from bot.programs import missing_program, program_of
from bot.validation.run import check_started


@pytest.mark.parametrize(
    ("command", "program"),
    [
        ("pytest -q", "pytest"),
        ("CI=1 npm test", "npm"),
        ("./run-tests.sh --fast", "./run-tests.sh"),
        ("cd api && make test", None),  # the shell's own word: the rest is the shell's
        ("$RUNNER tests", None),
        ("", None),
        ("echo 'unclosed", None),
    ],
)
def test_the_program_a_command_starts(command: str, program: str | None) -> None:
    assert program_of(command) == program


def test_a_program_is_missing_when_neither_on_path_nor_in_the_repository(tmp_path: Path) -> None:
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "runner").write_text("#!/bin/sh\n")
    (tools / "runner").chmod(0o755)
    (tmp_path / "script.sh").write_text("#!/bin/sh\n")
    env = {"PATH": str(tools)}
    assert missing_program("runner -q", tmp_path, env) is None
    assert missing_program("other -q", tmp_path, env) == "`other` is not on PATH"
    assert missing_program("./script.sh", tmp_path, env) == (
        "`./script.sh` is not executable (chmod +x it, or run it through its interpreter)"
    )
    assert missing_program("./gone.sh", tmp_path, env) == (
        "`./gone.sh` does not exist in the repository"
    )


def _result(exit_code: int, tail: str) -> CommandResult:
    return CommandResult(command="runner -q", exit_code=exit_code, duration_s=0.1, tail=tail)


def test_a_program_the_sandbox_does_not_show_is_a_configuration_error(tmp_path: Path) -> None:
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "runner").write_text("#!/bin/sh\n")
    (tools / "runner").chmod(0o755)
    env = {"PATH": str(tools)}  # Baton sees it; the shell in the sandbox did not
    with pytest.raises(ConfigError, match="`runner` is not found inside the sandbox"):
        check_started("runner -q", _result(127, "sh: 1: runner: not found\n"), tmp_path, env)


def test_a_test_that_fails_with_127_of_its_own_is_the_agents_to_fix(tmp_path: Path) -> None:
    """The runner started; something it ran was missing: a failing test, not a setup error."""
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "runner").write_text("#!/bin/sh\n")
    (tools / "runner").chmod(0o755)
    env = {"PATH": str(tools)}
    check_started("runner -q", _result(127, "sh: 1: jq: not found\n"), tmp_path, env)
    check_started("runner -q", _result(1, "runner: not found\n"), tmp_path, env)
