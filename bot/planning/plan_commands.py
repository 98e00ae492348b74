"""The plan check of test commands: each ticket's (its own, or `validation.test_command`) must
start at the base commit. Only its program is judged, as before a run (`bot.programs`): a
program on PATH, or a file of the repository that the base commit has, executable. Nothing runs."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from bot.config import Config
from bot.errors import Problem
from bot.planning.drafted import Drafted
from bot.programs import missing_program, program_of


def commands_that_cannot_start(
    drafted: Drafted, config: Config, root: Path, environ: Mapping[str, str]
) -> list[Problem]:
    """Tickets whose test command cannot start. `root` is the working copy: an absolute
    program is looked for as it is, a relative one in the base commit's files."""
    found = []
    configured = config.validation.test_command
    for i, ticket in enumerate(drafted.tickets):
        command = ticket.test_command or configured
        why = _why_not(drafted, command, root, environ) if command else None
        if why is None:
            continue
        if ticket.test_command:
            message = (
                f"`{command}` cannot start: {why}; correct it, or drop it to use "
                "validation.test_command"
            )
        else:
            message = (
                f"validation.test_command `{command}` cannot start: {why}; give the ticket a "
                "test_command that starts, or fix validation.test_command in .github/baton.yml"
            )
        found.append(drafted.problem(i, ("test_command",), message))
    return found


def _why_not(drafted: Drafted, command: str, root: Path, environ: Mapping[str, str]) -> str | None:
    program = program_of(command)
    if program is None or "/" not in program or program.startswith("/"):
        return missing_program(command, root, environ)
    if not drafted.tree.has_file(program):
        return f"`{program}` does not exist at the base commit"
    if not drafted.tree.is_executable(program):
        return f"`{program}` is not executable at the base commit"
    return None
