"""Phase 1, the command check: the test command must pass, within its time, without secrets.

It runs in the sandbox: no secrets in its environment, Baton's processes out of sight, a HOME
of its own and no network unless `validation.network`. Clearing the environment is no boundary
on its own: without a sandbox, a process can read its parent's initial environment
(`/proc/<pid>/environ`) when it runs as the same user. With `run_as`, the command runs as
another user (runuser as root, `sudo -n` otherwise), who can read none of Baton's.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from bot.command_result import CommandResult
from bot.errors import ConfigError
from bot.processes import run_command
from bot.programs import program_of
from bot.sandbox import Confinement, NoSandbox, Sandbox
from bot.security import command_env


def run_test_command(
    command: str,
    workdir: Path,
    timeout_s: float,
    tail_lines: int,
    run_as: str | None = None,
    *,
    environ: Mapping[str, str],
    sandbox: Sandbox | None = None,
    network: bool = False,
) -> CommandResult:
    """Run the test command in `workdir`, with Baton's environment (`environ`) less every
    credential."""
    env = command_env(environ)
    if run_as is not None:
        if os.geteuid() != 0:
            _check_sudo(run_as)
        env = {k: v for k, v in env.items() if k not in {"HOME", "USER", "LOGNAME"}}
        env.update(HOME=str(workdir), USER=run_as, LOGNAME=run_as)
    confined = Confinement(
        workdir, env, network=network, user=run_as, readable=_named_program(command)
    )
    wrapped = (sandbox or NoSandbox()).wrap(["/bin/sh", "-c", command], confined)
    result, _ = run_command(
        wrapped.argv, workdir, timeout_s, env=wrapped.env, tail_lines=tail_lines
    )
    return result.model_copy(update={"command": command})


def _named_program(command: str) -> tuple[Path, ...]:
    """The program the command names by its absolute path, and its directory: brought back into
    the sandbox where it would be hidden (an interpreter in a virtual environment under /tmp)."""
    program = program_of(command)
    if program is None or not Path(program).is_absolute() or not Path(program).is_file():
        return ()
    return Path(program), Path(program).parent


def _check_sudo(user: str) -> None:
    check = subprocess.run(["sudo", "-n", "true"], capture_output=True, check=False)
    if check.returncode != 0:
        raise ConfigError(
            f"cannot run the test command as `{user}`: sudo asks for a password here",
            hint="allow passwordless sudo for the runner, or drop validation.run_as",
        )


def share_with(user: str | None, path: Path) -> None:
    """Let `user` write in the working copy it tests (a temporary copy, never the user's own)."""
    if user is None:
        return
    for root, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            full = Path(root) / name
            if not full.is_symlink():
                full.chmod(
                    full.stat().st_mode | 0o777 if full.is_dir() else full.stat().st_mode | 0o666
                )
    path.chmod(path.stat().st_mode | 0o777)
