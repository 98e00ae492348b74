"""Commands Baton waits on (an agent's CLI, the test command): run with a timeout, in a process
group of their own killed whole when Baton stops, and killed by the kernel should Baton die."""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Mapping
from pathlib import Path

from bot.activity import watching
from bot.command_result import CommandResult
from bot.security import plain_output

# What a command's tail keeps: a line of megabytes would otherwise fill the state on every save.
TAIL_LINE_CHARS = 2_000
TAIL_CHARS = 32_000


def run_command(
    command: str | list[str],
    cwd: Path,
    timeout_s: float,
    *,
    env: Mapping[str, str] | None = None,
    tail_lines: int = 200,
    stdin_devnull: bool = True,
) -> tuple[CommandResult, str]:
    """Run a command (a shell string or an argv list) in its own process group; kill the whole
    group at the timeout, and when Baton stops while waiting (Ctrl-C, SIGTERM turned into
    SystemExit by the CLI, any error), then go on stopping. Returns the result (with the last
    `tail_lines` of output) and stdout.

    Should Baton be killed outright (SIGKILL), the command is killed by the kernel: the direct
    child asks for that (`_dying_with_baton`), and the sandbox kills everything inside its PID
    namespace with it. Unsandboxed, a grandchild that left the process group survives that."""
    argv = ["/bin/sh", "-c", command] if isinstance(command, str) else command
    shown = command if isinstance(command, str) else " ".join(command)
    argv, dying = _dying_with_baton(argv, cwd, env)
    started = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(
                argv,
                cwd=cwd,
                env=dict(env) if env is not None else None,
                stdin=subprocess.DEVNULL if stdin_devnull else None,
                stdout=out,
                stderr=err,
                start_new_session=True,
                # Where setpriv is missing: a prctl call looked up before the fork, safe with
                # threads.
                preexec_fn=dying,  # noqa: PLW1509
            )
        except (OSError, ValueError) as exc:  # ValueError: a NUL byte in an argument
            return CommandResult(command=shown, exit_code=None, duration_s=0.0, tail=str(exc)), ""
        timed_out = False
        try:
            with watching(out, err):  # the terminal's live line shows the last line written
                code: int | None = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(proc)
            code = None
        except BaseException:
            _kill_group(proc)
            raise
        duration = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    # Kept as plain text: a coloured test runner's escapes would reach prompts and reports.
    output = plain_output(stdout + ("\n" if stdout and stderr else "") + stderr)
    lines = deque(output.splitlines(), tail_lines)
    if timed_out:
        lines.append(f"[baton] timed out after {timeout_s:.0f}s; the process group was killed")
    result = CommandResult(
        command=shown,
        exit_code=code,
        duration_s=round(duration, 3),
        timed_out=timed_out,
        tail=_bounded_tail(lines),
    )
    return result, stdout


def _bounded_tail(lines: deque[str]) -> str:
    """The last lines, each cut to TAIL_LINE_CHARS and all together to TAIL_CHARS (from the end:
    the end of the output is what tells why a command failed)."""
    kept = [
        line
        if len(line) <= TAIL_LINE_CHARS
        else f"{line[:TAIL_LINE_CHARS]} [… {len(line) - TAIL_LINE_CHARS} more characters]"
        for line in lines
    ]
    tail = "\n".join(kept)
    return tail if len(tail) <= TAIL_CHARS else "[… earlier output cut]\n" + tail[-TAIL_CHARS:]


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


# Set in the child so that the kernel kills it (SIGKILL) when the thread of Baton's that started
# it ends, Baton killed outright included (Linux). `setpriv` asks for that, then a shell checks
# that Baton was still its parent when it did (else Baton was gone before the request counted)
# and becomes the command. Python could ask from the child itself (a `preexec_fn`), but then it
# forks where it would vfork: from a Baton of 100 MB, 9-50 ms of CPU a start instead of 3.
_GUARD = 'test "$PPID" = "$0" && exec "$@"; kill -KILL $$'
_PR_SET_PDEATHSIG = 1


def _dying_with_baton(
    argv: list[str], cwd: Path, env: Mapping[str, str] | None
) -> tuple[list[str], Callable[[], None] | None]:
    """The argv to start, and what the child must run before exec (None: nothing), for the
    command to die with Baton."""
    prctl = _prctl()
    if prctl is None:
        return argv, None
    setpriv = _setpriv()
    if setpriv is None or not _startable(argv[0], cwd, env):
        return argv, _die_with_parent(prctl)
    guard = [setpriv, "--pdeathsig", "KILL", "--", "/bin/sh", "-c", _GUARD, str(os.getpid())]
    return [*guard, *argv], None


def _startable(program: str, cwd: Path, env: Mapping[str, str] | None) -> bool:
    """Whether exec surely starts `program`: found as Popen looks for it (a path from the
    command's working directory, else a name on its PATH), a binary or a script whose
    interpreter is there. Anything else starts as Popen starts it, which says in its own words
    what is wrong (the shell would run a file that is no program as a script)."""
    folders = [""] if os.sep in program else os.get_exec_path(env)
    found = (cwd / folder / program for folder in folders)
    path = next((path for path in found if _is_program(path)), None)
    if path is None:
        return False
    try:
        with path.open("rb") as file:
            head = file.readline(256)
    except OSError:
        return False
    if head.startswith(b"\x7fELF"):
        return True
    interpreter = head.removeprefix(b"#!").split()[:1] if head.startswith(b"#!") else []
    return bool(interpreter) and _is_program(Path(os.fsdecode(interpreter[0])))


def _is_program(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


@functools.cache
def _setpriv() -> str | None:
    """util-linux's `setpriv`, if it is there and knows `--pdeathsig` (2.33 and later)."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    tried = subprocess.run(
        [setpriv, "--pdeathsig", "KILL", "--", "/bin/sh", "-c", ":"],
        capture_output=True,
        check=False,
    )
    return setpriv if tried.returncode == 0 else None


@functools.cache
def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return prctl


def _die_with_parent(prctl: Callable[..., int]) -> Callable[[], None]:
    """The same from Python, in the child before exec, where `setpriv` is missing. prctl is
    looked up in Baton: the child, forked from a process with threads, does nothing but the
    call."""
    parent = os.getpid()

    def arrange() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # Baton was gone before the request counted
            os.kill(os.getpid(), signal.SIGKILL)

    return arrange
