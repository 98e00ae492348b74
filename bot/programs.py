"""The program a shell command line starts, and whether it can: a test command that cannot start
is the configuration's fault, found before a run (`bot.preflight`) and told apart from a failing
test after one (`bot.validation.run`)."""

from __future__ import annotations

import itertools
import os
import shlex
import shutil
from collections.abc import Mapping
from pathlib import Path

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
    # Past the assignments that lead it (`VAR=x cmd`).
    program = next(itertools.dropwhile(lambda w: "=" in w.split("/")[0], words), "")
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
