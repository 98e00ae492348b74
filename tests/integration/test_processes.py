"""Commands Baton waits on (bot/processes.py), started for real: killed by the kernel when Baton is
killed outright, whether `setpriv` asks for it or, where `setpriv` is missing, Python does; and a
program that cannot start is said so in Popen's own words, never run some other way."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.processes import run_command
from tests.e2e.helpers import wait_for
from tests.pids import alive

ROOT = Path(__file__).resolve().parents[2]
# Baton, with one command to wait on: a Python that writes its pid, then sleeps.
BATON = """
import sys
from pathlib import Path
from bot.processes import run_command
sleeper = "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(600)"
run_command([sys.executable, "-c", sleeper, sys.argv[1]], Path.cwd(), 600)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the kernel's parent-death signal")
@pytest.mark.parametrize("setpriv", ["setpriv", "no setpriv"])
def test_a_command_dies_with_baton_killed_outright(tmp_path: Path, setpriv: str) -> None:
    env = dict(os.environ)
    if setpriv == "no setpriv":
        env["PATH"] = str(tmp_path)  # nothing there: Python asks the kernel itself
    pid_file = tmp_path / "command.pid"
    with subprocess.Popen([sys.executable, "-c", BATON, str(pid_file)], cwd=ROOT, env=env) as baton:
        try:
            wait_for(lambda: pid_file.exists() and pid_file.read_text(), 30, "no command ran")
            command = int(pid_file.read_text())
            assert alive(command)
            baton.send_signal(signal.SIGKILL)
            baton.wait(timeout=30)
        finally:
            baton.kill()
    wait_for(lambda: not alive(command), 10, f"the command ({command}) outlived Baton")


@pytest.mark.parametrize(
    ("head", "error"),
    [
        ("#!/no/such/interpreter\n", "[Errno 2] No such file or directory"),
        ("echo run as a script\n", "[Errno 8] Exec format error"),
    ],
    ids=["missing interpreter", "no program"],
)
def test_a_program_that_cannot_start_is_said_so(tmp_path: Path, head: str, error: str) -> None:
    program = tmp_path / "agent"
    program.write_text(head)
    program.chmod(0o755)
    result, stdout = run_command([str(program)], tmp_path, 10)
    assert (result.exit_code, stdout) == (None, "")
    assert result.tail.startswith(error), result.tail
