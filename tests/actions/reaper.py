"""Runs one step's command and finds every process it leaves behind.

    python reaper.py REPORT TIMEOUT_SECONDS -- COMMAND...

It makes itself a child subreaper (Linux `PR_SET_CHILD_SUBREAPER`), so a process the command
started that outlives it (a daemon, a double fork, a new session) becomes its child instead of
init's. When the command ends (or its time is up: then the command's whole process group is
killed first), every such process is written to REPORT as JSON (`pid`, `argv`), killed and
reaped. The exit code is the command's, or 124 on a timeout, as `timeout(1)` says.

SIGUSR1 loses the step as a lost runner loses it: the command's process group and every process
it started are killed at once (SIGKILL, nothing gets to clean up), none is reported as left
behind, and the exit code is 137.

A standalone script (only the standard library): the runner starts it as a process of its own.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36
TIMED_OUT = 124
KILLED = 137


def children_of(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == parent and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def argv_of(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main(argv: list[str]) -> int:
    report, seconds, separator, *command = argv
    if separator != "--" or not command:
        print(__doc__, file=sys.stderr)
        return 2
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        print("reaper: cannot become a child subreaper", file=sys.stderr)
        return 2
    killed = False
    proc: subprocess.Popen[bytes] | None = None

    def lose(_signum: int, _frame: object) -> None:
        nonlocal killed
        killed = True
        if proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

    signal.signal(signal.SIGUSR1, lose)
    proc = subprocess.Popen(command, start_new_session=True)
    if killed:
        os.killpg(proc.pid, signal.SIGKILL)
    try:
        code = proc.wait(timeout=float(seconds))
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        code = TIMED_OUT
    time.sleep(0.05)  # an orphan is reparented as its parent exits: let that land
    _reap()
    left = (
        [] if killed else [{"pid": pid, "argv": argv_of(pid)} for pid in children_of(os.getpid())]
    )
    Path(report).write_text(json.dumps(left), encoding="utf-8")
    for _ in range(50):  # killing one may orphan its own children: repeat until none is left
        pids = children_of(os.getpid())
        if not pids:
            break
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.02)
        _reap()
    # The last ones killed may have died since: reaped here, none outlives the step as a zombie.
    _reap()
    return KILLED if killed else code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
