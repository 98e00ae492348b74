"""Crash `baton run` after every action in turn, run it again, and compare with a run that was never
interrupted: same tickets, same attempts, same commits, one session, nothing lost or done twice.

The uninterrupted run stops (SIGSTOP, BATON_PAUSE_AFTER_ACTIONS) after every action, where a crash
would leave the files as they are, and the repository is copied there before it goes on: one run
names the actions the sweep goes through and prepares every boundary. Each boundary is a test of
its own: the copy made after that action, put back where the run worked (the agent keeps its
sessions by that path, as the real CLIs do), is run again to the end. Real crashes (`os._exit`,
BATON_CRASH_AFTER_ACTIONS) leave what the paused run left, at a send and at a validation."""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.demo import create_demo_repo
from bot.run_options import CRASH_EXIT
from bot.workspace import Git
from tests.e2e.helpers import baton, status, without_evidence
from tests.once import as_json
from tests.paused_run import paused_run
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


@dataclass(frozen=True)
class Sweep:
    """The uninterrupted run: the actions it logged, its outcome, the repository copied after each
    action (`copies[k - 1]` after action k), and where it worked."""

    actions: list[str]
    outcome: Any
    copies: list[Path]
    where: Path


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory, demo: Path) -> Sweep:
    """Made once per worker: its boundaries put their copy back where it worked, one at a time."""
    root = tmp_path_factory.mktemp("sweep")
    where = _copy(demo, root / "repo")
    copies: list[Path] = []

    def copy(k: int) -> None:
        copies.append(_copy(where, root / f"after-{k}"))

    args = ["-v", "run", "--local", "--repo", str(where)]
    code, log = paused_run(args, os.environ, root / "stderr", copy)
    assert code == 0, log
    actions = re.findall(r'^action\.start action="(.*)"$', log, re.MULTILINE)
    return Sweep(actions, _outcome(where), copies, where)


def test_the_uninterrupted_run_takes_the_actions_the_sweep_goes_through(sweep: Sweep) -> None:
    outcome = sweep.outcome
    assert outcome["finished"]
    assert len(outcome["sessions"]) == 1
    assert sweep.actions == list(DEMO_ACTIONS)
    assert len(sweep.copies) == len(DEMO_ACTIONS), "one pause after every action"
    # Prepare, a send and a validation per attempt (six in the demo), and the finish.
    attempts = sum(len(a) for _, a in outcome["tickets"].values())
    assert len(DEMO_ACTIONS) == 1 + 2 * attempts + 1


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_a_crash_after_any_action_changes_nothing_in_the_end(
    boundary: int, sweep: Sweep, tally: Tally
) -> None:
    """What a crash after action `boundary` leaves, where the run worked, run again in this
    process (the crash was the process boundary)."""
    shutil.rmtree(sweep.where)
    _copy(sweep.copies[boundary - 1], sweep.where)
    resumed = CliRunner().invoke(cli, ["run", "--local", "--repo", str(sweep.where)])
    assert resumed.exit_code == 0, f"after a crash at action {boundary}: {resumed.output}"
    assert _outcome(sweep.where) == sweep.outcome, f"after a crash at action {boundary}"
    tally.add("crash_points")


@pytest.mark.parametrize("boundary", [2, 9], ids=["a-send", "a-validation"])
def test_a_real_crash_leaves_what_the_paused_run_left(
    boundary: int, demo: Path, sweep: Sweep, tmp_path: Path
) -> None:
    repo = _copy(demo, tmp_path / "repo")
    crashed = baton(
        "run", "--local", "--repo", str(repo), env={"BATON_CRASH_AFTER_ACTIONS": str(boundary)}
    )
    assert crashed.returncode == CRASH_EXIT, crashed.stderr
    assert _outcome(repo) == _outcome(sweep.copies[boundary - 1])


def test_a_crash_point_past_the_last_action_is_never_reached(
    demo: Path, sweep: Sweep, tmp_path: Path
) -> None:
    repo = _copy(demo, tmp_path / "repo")
    past = str(len(DEMO_ACTIONS) + 1)
    finished = baton("run", "--local", "--repo", str(repo), env={"BATON_CRASH_AFTER_ACTIONS": past})
    assert finished.returncode == 0, finished.stderr
    assert _outcome(repo) == sweep.outcome
