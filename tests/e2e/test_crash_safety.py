"""Kill `baton run` after every action in turn, run it again, and compare with a run that was never
interrupted: same tickets, same attempts, same commits, one session, nothing lost or done twice."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from bot.demo import create_demo_repo
from bot.dispatcher import CRASH_EXIT
from bot.workspace import Git
from tests.e2e.helpers import baton, status


def _outcome(repo: Path) -> dict[str, Any]:
    chain = status(repo)["chains"]["api-tests"]
    return {
        "finished": chain["finished"],
        "sessions": [(s["number"], s["reason"]) for s in chain["sessions"]],
        "tickets": {
            key: (t["status"], [(a["kind"], a["tries"]) for a in t["attempts"]])
            for key, t in chain["tickets"].items()
        },
        # Commit subjects on the chain's branch, oldest first: no attempt was committed twice.
        "commits": Git(repo, os.environ)
        .run("log", "--reverse", "--format=%s", "main..HEAD")
        .splitlines(),
        "clean": not Git(repo, os.environ).dirty_files(),
    }


def test_a_crash_after_any_action_changes_nothing_in_the_end(tmp_path: Path) -> None:
    reference_repo = create_demo_repo(tmp_path / "reference", os.environ)
    assert baton("run", "--local", "--repo", str(reference_repo)).returncode == 0
    reference = _outcome(reference_repo)
    assert reference["finished"]
    assert len(reference["sessions"]) == 1

    boundary = 0
    while True:
        boundary += 1
        repo = create_demo_repo(tmp_path / f"crash-{boundary}", os.environ)
        crashed = baton(
            "run", "--local", "--repo", str(repo), env={"BATON_CRASH_AFTER_ACTIONS": str(boundary)}
        )
        if crashed.returncode == 0:
            break  # past the last action: the run finished before the crash point
        assert crashed.returncode == CRASH_EXIT, crashed.stderr
        resumed = baton("run", "--local", "--repo", str(repo))
        assert resumed.returncode == 0, f"after a crash at action {boundary}: {resumed.stderr}"
        assert _outcome(repo) == reference, f"after a crash at action {boundary}"
    # Prepare, a send and a validation per attempt (six in the demo), and the finish.
    attempts = sum(len(a) for _, a in reference["tickets"].values())
    assert boundary - 1 == 1 + 2 * attempts + 1
