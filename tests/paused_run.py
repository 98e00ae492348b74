"""`baton` as a whole process that stops itself after every saved action
(BATON_PAUSE_AFTER_ACTIONS): where a crash would leave the files, and GitHub, as they are. The
crash sweeps copy what a crash there leaves, then let the run go on (SIGCONT)."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Mapping
from pathlib import Path


def paused_run(
    args: list[str], env: Mapping[str, str], log: Path, at_stop: Callable[[int], None]
) -> tuple[int, str]:
    """`python -m bot ARGS` with `env`, its stderr in `log`; `at_stop(k)` once it has stopped after
    its k-th action. Its exit status and its log."""
    argv = [sys.executable, "-m", "bot", *args]
    with log.open("wb") as err:
        spawned = [(os.POSIX_SPAWN_DUP2, err.fileno(), 2)]
        pid = os.posix_spawn(
            sys.executable, argv, {**env, "BATON_PAUSE_AFTER_ACTIONS": "1"}, file_actions=spawned
        )
    stops = 0
    try:
        while True:
            _, status = os.waitpid(pid, os.WUNTRACED)
            if not os.WIFSTOPPED(status):
                return os.waitstatus_to_exitcode(status), log.read_text()
            stops += 1
            at_stop(stops)
            os.kill(pid, signal.SIGCONT)
    except BaseException:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise
