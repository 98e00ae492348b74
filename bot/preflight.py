"""What a run would fail on, found before it starts: `baton config check` and `baton run
--dry-run` look for it, so that no agent call is spent before a missing program, an empty agent
command, a base branch that does not exist or a dirty working copy stops the run."""

from __future__ import annotations

import os
import shlex
import shutil
from collections.abc import Mapping
from pathlib import Path

from bot.config import Config
from bot.errors import ConfigError, Problem
from bot.workspace import Git

# The shell's own words: a test command that starts with one of them runs whatever follows.
_SHELL_WORDS = frozenset(
    {"cd", "export", "set", "unset", "source", ".", "exec", "env", "time", "true", "false"}
    | {"test", "[", "if", "for", "while", "case", "{", "(", "!"}
)


def program_of(command: str) -> str | None:
    """The program a shell command line starts, when it plainly names one: its first word past
    any `VAR=value`, not a word of the shell itself."""
    try:
        words = shlex.split(command, comments=True)
    except ValueError:
        return None  # the shell says it better
    words = [w for w in words if "=" not in w.split("/")[0]] or [""]  # `VAR=x cmd`
    program = words[0]
    if not program or program in _SHELL_WORDS or any(c in program for c in "$`*?;|&<>"):
        return None
    return program


def missing_program(command: str, workdir: Path, environ: Mapping[str, str]) -> str | None:
    """Why `command` (run by `sh -c` in `workdir`) cannot start, or None: its program is not on
    PATH, or is a file that is not there or not executable. Only the program is judged; what the
    shell would do with the rest it does itself."""
    program = program_of(command)
    if program is None:
        return None
    if "/" in program:
        path = workdir / program
        if not path.is_file():
            return f"`{program}` does not exist in the repository"
        if not os.access(path, os.X_OK):
            return f"`{program}` is not executable (chmod +x it, or run it through its interpreter)"
        return None
    if shutil.which(program, path=environ.get("PATH", os.defpath)) is None:
        return f"`{program}` is not on PATH"
    return None


def problems(
    config: Config, git: Git | None, environ: Mapping[str, str], source: str
) -> list[Problem]:
    """What in `config` (and the repository of `git`, when there is one) would fail a run."""
    found: list[Problem] = []

    def error(field: str, message: str) -> None:
        found.append(Problem("error", field, message, source))

    agent = config.agent
    if agent.kind == "command" and not (agent.command or "").strip():
        error("agent.command", "is empty: set the command that runs your agent on {prompt_file}")
    if agent.kind not in {"command", "cursor"}:
        # The CLI presets only here: validation imports this module for `missing_program`.
        from bot.agents.cli.presets import preset_executable  # noqa: PLC0415

        try:
            preset_executable(agent, environ)
        except ConfigError as exc:
            error("agent.executable", exc.message + (f"; {exc.hint}" if exc.hint else ""))
    command = config.validation.test_command
    root = git.root if git is not None else Path.cwd()
    why = missing_program(command, root, environ) if command else None
    if why:
        error("validation.test_command", f"{why}: it would fail every ticket (exit 127)")
    base = config.branches.base
    if (
        git is not None
        and base
        and git.call("rev-parse", "-q", "--verify", f"{base}^{{commit}}").returncode
    ):
        error("branches.base", f"`{base}` is not a branch or commit of {git.root}")
    return found


def dirty(git: Git, source: str) -> list[Problem]:
    """The working copy's uncommitted changes, which a run refuses to carry onto a chain."""
    changed = git.dirty_files()
    if not changed:
        return []
    shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
    return [
        Problem(
            "error", "working copy", f"uncommitted changes ({shown}): commit or stash them", source
        )
    ]
