"""The warm `baton` of the tests (tests/warm_baton.py) is a `python -m bot` process in all a test
can see: the same output, exit status, environment, working directory and standard input, an
injected crash ends it the same way, and a timeout kills it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.run_options import CRASH_EXIT
from tests.e2e.helpers import ROOT, TWO_TICKETS, make_repo, wait_for
from tests.warm_baton import run_baton, write_shim

ONE_TICKET = """\
tickets:
  - {key: first, title: Do it, goal: Create a.txt., files: {create: [a.txt]}}
"""
CRLF_BODY = "### Goal\r\n\r\nShip it\r\n\r\n### Depends on\r\n\r\n#1, #abc\r\n"


def _cold(args: list[str], cwd: Path, env: dict[str, str], stdin: str = "") -> tuple[int, str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


def _warm(args: list[str], cwd: Path, env: dict[str, str], stdin: str = "") -> tuple[int, str, str]:
    done = run_baton(args, cwd=cwd, env=env, input=stdin, timeout=60)
    return done.returncode, done.stdout, done.stderr


def test_warm_baton_answers_as_python_m_bot(tmp_path: Path) -> None:
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "baton.yml").write_text("agent: {kind: command}\n")
    env = {**os.environ, "PATH": f"{tmp_path}:/usr/bin:/bin"}
    cases: list[tuple[list[str], Path, str]] = [
        (["--version"], ROOT, ""),
        (["tickets", "parse"], ROOT, CRLF_BODY),
        # Relative to the working directory it is given, with the PATH it is given.
        (["config", "check", ".github/baton.yml"], tmp_path, ""),
        (["no-such-command"], ROOT, ""),  # a usage error: click's SystemExit(2)
    ]
    warm = [_warm(args, cwd, env, stdin) for args, cwd, stdin in cases]
    assert warm == [_cold(args, cwd, env, stdin) for args, cwd, stdin in cases]
    assert warm[1] == (
        1,
        "",
        "<stdin>:5: error: Depends on: '#abc' is not an issue reference; write #12, "
        "owner/repo#3 or an issue URL\n",
    )
    assert warm[2][0] == 1
    assert warm[2][2].startswith(".github/baton.yml:"), warm[2]


def test_an_injected_crash_ends_the_warm_process_as_it_ends_a_cold_one(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        agent_script="import pathlib; pathlib.Path('notes.txt').write_text('one')\n",
        tickets=TWO_TICKETS,
        test_command="true",
    )
    args = ["run", "--local", "--repo", str(repo)]
    env = {**os.environ, "BATON_CRASH_AFTER_ACTIONS": "1"}
    crashed = run_baton(args, cwd=ROOT, env=env, timeout=60)
    assert crashed.returncode == CRASH_EXIT, crashed.stderr


def test_a_warm_process_past_its_timeout_is_killed(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        agent_script="import time; time.sleep(60)\n",
        tickets=TWO_TICKETS,
        test_command="true",
    )
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            run_baton(
                ["run", "--local", "--repo", str(repo)], cwd=ROOT, env=dict(os.environ), timeout=3
            )
    finally:  # the agent outlives Baton killed, as it outlives a cold process killed
        subprocess.run(["pkill", "-f", str(repo / "agent.py")], check=False)


def test_a_steps_baton_that_leaves_a_process_running_fails_and_names_it(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        agent_script=f"""\
            import pathlib, subprocess, sys
            sleep = "import time; time.sleep(600)"
            subprocess.Popen([sys.executable, "-c", sleep, "{tmp_path}"], start_new_session=True)
            pathlib.Path("a.txt").write_text("one")
        """,
        tickets=ONE_TICKET,
        test_command="true",
        sandbox="off",  # in the sandbox, nothing outlives the agent
    )
    baton = tmp_path / "bin" / "baton"
    baton.parent.mkdir()
    write_shim(baton)

    done = subprocess.run(
        [str(baton), "run", "--local", "--repo", str(repo)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 125, done.stderr
    assert f"baton left processes running:\n  {sys.executable} -c " in done.stderr
    assert not _running(f"time.sleep.600. {tmp_path}"), "what it left running was killed"


def test_a_steps_baton_dies_with_the_steps_process(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        agent_script="import pathlib, time; pathlib.Path('ready').write_text('1'); time.sleep(600)\n",
        tickets=ONE_TICKET,
        test_command="true",
    )
    baton = tmp_path / "bin" / "baton"
    baton.parent.mkdir()
    write_shim(baton)
    with subprocess.Popen([str(baton), "run", "--local", "--repo", str(repo)]) as step:
        wait_for((repo / "ready").exists, 60, "the agent did not start")
        step.kill()  # as a lost runner's processes die: SIGKILL, nothing cleans up
    wait_for(
        lambda: not _running(str(repo / "agent.py")), 10, "the agent did not die with its step"
    )


def _running(marker: str) -> bool:
    found = subprocess.run(["pgrep", "-f", marker], capture_output=True, check=False)
    return found.stdout != b""
