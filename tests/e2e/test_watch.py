"""`baton run --watch` reconciles forever from a machine you own, and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bot.demo import create_demo_repo
from tests.e2e.helpers import ROOT, without_evidence


def test_watch_works_the_chain_then_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    repo = without_evidence(create_demo_repo(tmp_path / "demo", os.environ))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot",
            "run",
            "--local",
            "--repo",
            str(repo),
            "--watch",
            "--interval",
            "0.2",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    state = repo / ".baton" / "state.json"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if state.exists() and json.loads(state.read_text())["chains"]["api-tests"]["finished"]:
                break
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.2)
        else:
            raise AssertionError("the chain did not finish under --watch")
        time.sleep(0.5)  # at least one idle pass after the chain finished
        assert proc.poll() is None, "--watch keeps going after the work is done"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "stopped: the last pass finished and the state is saved" in out
    tickets = json.loads(state.read_text())["chains"]["api-tests"]["tickets"].values()
    assert {t["status"] for t in tickets} == {"passed"}
