"""Phase 1, the command check: the test command must pass, within its time, without secrets."""

from __future__ import annotations

from pathlib import Path

from bot.security import command_env
from bot.state import CommandResult
from bot.workspace import run_command


def run_test_command(
    command: str, workdir: Path, timeout_s: float, tail_lines: int
) -> CommandResult:
    result, _ = run_command(command, workdir, timeout_s, env=command_env(), tail_lines=tail_lines)
    return result
