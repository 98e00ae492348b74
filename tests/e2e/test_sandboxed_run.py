"""`baton run` as a whole process, its agent and test command in the sandbox: neither reaches
Baton's secrets (its environment, its `/proc`, the real HOME's files), and Ctrl-C, SIGTERM or
SIGKILL of Baton leave no agent or test process behind, grandchildren included."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.e2e.helpers import ROOT, baton, make_repo, status, wait_for
from tests.sandbox_support import baton_env, install_probe, leaks, plant_home, require_bwrap

ONE_TICKET = """\
tickets:
  - key: probe
    title: Look around
    goal: Write what you see to seen/agent.json.
    files: {create: [seen/agent.json]}
"""


def test_neither_the_agent_nor_the_test_command_reaches_batons_secrets(tmp_path: Path) -> None:
    require_bwrap()
    home = tmp_path / "home"
    planted = plant_home(home)
    reads = " ".join(
        f"--read {planted[name]}" for name in ("netrc", "ssh", "gh", "cargo_credentials")
    )
    repo = tmp_path / "repo"
    repo.mkdir()
    install_probe(repo)
    # Ignored, so that it outlives Baton's return to the checkpoint (`git clean`).
    (repo / ".gitignore").write_text("test-seen.json\n")
    repo = make_repo(
        repo,
        agent_script=f"""\
            import subprocess, sys
            subprocess.run(
                [sys.executable, "sandbox_probe.py", "seen/agent.json", *{reads.split()!r}],
                check=True,
            )
        """,
        tickets=ONE_TICKET,
        test_command=f"{sys.executable} sandbox_probe.py test-seen.json {reads}",
    )
    # A new interpreter: what the sandbox must hide is Baton's own `/proc` entry and environment.
    result = baton("run", "--local", "--repo", str(repo), env=baton_env(home), cold=True)
    assert result.returncode == 0, result.stderr
    assert status(repo)["chains"]["work"]["tickets"]["probe"]["status"] == "passed"
    shown = subprocess.run(
        ["git", "-C", str(repo), "show", "baton/work:seen/agent.json"],
        capture_output=True,
        text=True,
        check=True,
    )
    for seen in (json.loads(shown.stdout), json.loads((repo / "test-seen.json").read_text())):
        assert leaks(seen) == [], "a secret of Baton's was reached"
        cmdlines = [found["cmdline"] for found in seen["proc"].values()]
        assert cmdlines, "it sees the processes of its own sandbox"
        assert not any("-m bot run" in line for line in cmdlines), "Baton's process is visible"
        for path, text in seen["files"].items():
            assert text.startswith("error"), f"{path} was readable"
        assert seen["git_write"].startswith("error")
        assert seen["state_visible"] is False


# -- processes die with Baton -----------------------------------------------------------------

# Starts a grandchild that outlives its parent's process group unless the group (or the
# sandbox) is killed, says where it is, and waits.
HANG = """\
import pathlib, subprocess, sys, time
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", "{marker}"])
pathlib.Path("ready").write_text("ready")
time.sleep(600)
"""
WRITE = """\
import pathlib
pathlib.Path("a.txt").write_text("done\\n")
"""
TICKET = """\
tickets:
  - key: first
    title: Do it
    goal: Create a.txt.
    files: {create: [a.txt]}
"""


def left_behind(*markers: str) -> list[str]:
    """Command lines of live processes that name any of `markers`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z" and any(marker in cmdline for marker in markers):
            found.append(f"{entry.name}: {cmdline}")
    return found


def _default_sigint() -> None:
    # As a terminal would start it: Ctrl-C raises KeyboardInterrupt in Baton.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("where", ["agent", "test command"])
@pytest.mark.parametrize(
    ("stop", "sandbox"),
    [
        (signal.SIGINT, "auto"),
        (signal.SIGTERM, "auto"),
        (signal.SIGKILL, "auto"),
        (signal.SIGINT, "off"),
        (signal.SIGTERM, "off"),
    ],
    ids=["ctrl-c", "sigterm", "sigkill", "ctrl-c-unsandboxed", "sigterm-unsandboxed"],
)
def test_stopping_baton_leaves_no_process_behind(
    tmp_path: Path, stop: signal.Signals, sandbox: str, where: str
) -> None:
    """Without the sandbox a SIGKILL of Baton can leave a grandchild behind (the kernel kills
    only the direct child): that case is not claimed, so not tested."""
    if sandbox == "auto":
        require_bwrap()
    marker = f"baton-test-{uuid.uuid4().hex}"
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "hang.py").write_text(HANG.format(marker=marker))
    repo = make_repo(
        repo,
        agent_script=HANG.format(marker=marker) if where == "agent" else WRITE,
        tickets=TICKET,
        test_command=f"{sys.executable} hang.py",
        timeout_minutes=10,
    )
    config = repo / ".github" / "baton.yml"
    settings = json.loads(config.read_text())
    settings["sandbox"] = sandbox
    settings["validation"]["test_timeout_minutes"] = 10
    config.write_text(json.dumps(settings))
    subprocess.run(["git", "-C", str(repo), "commit", "-qam", "sandbox"], check=True)
    with subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--local", "--repo", str(repo)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=_default_sigint,  # noqa: PLW1509 (one signal call before exec)
    ) as run:
        try:
            wait_for((repo / "ready").exists, 60, f"the {where} did not start")
            assert left_behind(marker), "the grandchild is running"
            run.send_signal(stop)
            code = run.wait(timeout=30)
        finally:
            run.kill()
        stderr = run.stderr.read().decode() if run.stderr else ""
    if stop == signal.SIGTERM:
        assert code == 128 + signal.SIGTERM, stderr
    assert "Traceback" not in stderr
    wait_for(
        lambda: not left_behind(marker, str(repo)),
        10,
        f"processes were left behind: {left_behind(marker, str(repo))}",
    )
