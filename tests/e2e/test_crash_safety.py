"""Kill `baton run` after every action in turn, run it again, and compare with a run that was never
interrupted: same tickets, same attempts, same commits, one session, nothing lost or done twice.

Each boundary is a test of its own, so that parallel workers share the sweep; the uninterrupted
run is made once (tests/once.py) and names the actions the sweep goes through."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.demo import create_demo_repo
from bot.dispatcher import CRASH_EXIT
from bot.workspace import Git
from tests.e2e.helpers import baton, status, without_evidence
from tests.once import as_json, once_per_run
from tests.reliability.tally import Tally

# The demo's actions, as its uninterrupted run takes them (the books ticket needs a correction).
DEMO_ACTIONS = (
    "prepare the chain's branch",
    "send the launch prompt for test-helper",
    "validate test-helper",
    "send the followup prompt for health-tests",
    "validate health-tests",
    "send the followup prompt for books-tests",
    "validate books-tests",
    "send the correction prompt for books-tests",
    "validate books-tests",
    "send the followup prompt for authors-tests",
    "validate authors-tests",
    "send the followup prompt for error-tests",
    "validate error-tests",
    "write the knowledge base and finish the chain",
)
BOUNDARIES = [
    pytest.param(k, id=f"{k}-{re.sub(r'[^a-z]+', '-', action)}")
    for k, action in enumerate(DEMO_ACTIONS, start=1)
]


def _outcome(repo: Path) -> Any:
    chain = status(repo)["chains"]["api-tests"]
    return as_json(
        {
            "finished": chain["finished"],
            "sessions": [(s["number"], s["reason"]) for s in chain["sessions"]],
            "tickets": {
                key: (t["status"], [(a["kind"], a["tries"]) for a in t["attempts"]])
                for key, t in chain["tickets"].items()
            },
            # Commit subjects on the chain's branch, oldest first: no attempt was committed twice.
            "commits": Git(repo, os.environ)
            .run("log", "--reverse", "--format=%s", "main..baton/api-tests")
            .splitlines(),
            "clean": not Git(repo, os.environ).dirty_files(),
        }
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo repository, made once; each run works on a copy of it. Phase 3 is off: it
    runs within one action (a validation), so it adds no boundary, only time."""
    return without_evidence(create_demo_repo(tmp_path_factory.mktemp("demo") / "repo", os.environ))


def _copy(demo: Path, where: Path) -> Path:
    return Path(shutil.copytree(demo, where, symlinks=True))


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, demo: Path) -> Any:
    """The uninterrupted run: the actions it logged, and its outcome."""

    def run(where: Path) -> dict[str, Any]:
        repo = _copy(demo, where)
        done = baton("-v", "run", "--local", "--repo", str(repo))
        assert done.returncode == 0, done.stderr
        actions = re.findall(r'^action\.start action="(.*)"$', done.stderr, re.MULTILINE)
        return {"actions": actions, "outcome": _outcome(repo)}

    return once_per_run(tmp_path_factory, "crash-safety-reference", run)


def test_the_uninterrupted_run_takes_the_actions_the_sweep_goes_through(reference: Any) -> None:
    outcome = reference["outcome"]
    assert outcome["finished"]
    assert len(outcome["sessions"]) == 1
    assert reference["actions"] == list(DEMO_ACTIONS)
    # Prepare, a send and a validation per attempt (six in the demo), and the finish.
    attempts = sum(len(a) for _, a in outcome["tickets"].values())
    assert len(DEMO_ACTIONS) == 1 + 2 * attempts + 1


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_a_crash_after_any_action_changes_nothing_in_the_end(
    boundary: int, demo: Path, reference: Any, tmp_path: Path, tally: Tally
) -> None:
    repo = _copy(demo, tmp_path / "repo")
    crashed = baton(
        "run", "--local", "--repo", str(repo), env={"BATON_CRASH_AFTER_ACTIONS": str(boundary)}
    )
    assert crashed.returncode == CRASH_EXIT, crashed.stderr
    # The run after the crash needs no process of its own: the crash was one.
    resumed = CliRunner().invoke(cli, ["run", "--local", "--repo", str(repo)])
    assert resumed.exit_code == 0, f"after a crash at action {boundary}: {resumed.output}"
    assert _outcome(repo) == reference["outcome"], f"after a crash at action {boundary}"
    tally.add("crash_points")


def test_a_crash_point_past_the_last_action_is_never_reached(
    demo: Path, reference: Any, tmp_path: Path
) -> None:
    repo = _copy(demo, tmp_path / "repo")
    past = str(len(DEMO_ACTIONS) + 1)
    finished = baton("run", "--local", "--repo", str(repo), env={"BATON_CRASH_AFTER_ACTIONS": past})
    assert finished.returncode == 0, finished.stderr
    assert _outcome(repo) == reference["outcome"]
