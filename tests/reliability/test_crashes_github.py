"""GitHub mode, crashed at every action boundary: a three-ticket chain (the second ticket needs a
correction) is run once without interruption, then from every boundary k again to its end, on
what a `baton run` process that died after k saved actions leaves. Each must end as the
uninterrupted run did: the same tickets and attempts, every report written once, one pull
request, one knowledge commit, a consistent state branch, and every prompt sent once in one
session.

The uninterrupted run stops after every action (tests/paused_run.py), where a crash would leave
GitHub and the checkout as they are: the fake GitHub keeps a checkpoint there, and the checkout
and the agent's log are copied. Each boundary is a test of its own, which puts them back and
runs on. Real crashes (`os._exit`) leave what the paused run left, at a send and at a validation."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.run_options import CRASH_EXIT
from tests.fakes.github import Checkpoint, FakeGitHub
from tests.once import as_json
from tests.paused_run import paused_run
from tests.reliability.chain_support import (
    BRANCH,
    add_chain,
    agent_calls,
    books,
    checkout,
    command,
    environment,
    new_github,
    run_inline,
    run_process,
)
from tests.reliability.tally import Tally

# The chain's actions, as its uninterrupted run takes them: #2's first try is corrected.
ACTIONS = (
    "prepare the chain's branch",
    "send the launch prompt for #1",
    "validate #1",
    "send the followup prompt for #2",
    "validate #2",
    "send the correction prompt for #2",
    "validate #2",
    "send the followup prompt for #3",
    "validate #3",
    "write the knowledge base and finish the chain",
)
BOUNDARIES = [
    pytest.param(k, id=f"{k}-{re.sub(r'[^a-z0-9]+', '-', action)}")
    for k, action in enumerate(ACTIONS, start=1)
]


def _outcome(fake: FakeGitHub, log: Path) -> Any:
    found = books(fake)
    chain = found.chain
    calls = [line.rsplit(" ", 1) for line in agent_calls(log)]
    since = f"{chain['base_commit']}..{BRANCH}"
    branch = subprocess.run(
        ["git", "--git-dir", str(fake.git_dir), "log", "--reverse", "--format=%s", since],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    # The state branch: one commit per save, revisions in order, the last one is state.json.
    saves = fake.commit_messages("baton/state")[::-1]
    assert saves == [f"baton: state revision {n}" for n in range(1, len(saves) + 1)]
    assert found.state["revision"] == len(saves)
    assert chain["checkpoint"] == found.chain_head, "the chain's branch is at its checkpoint"
    return as_json(
        {
            **found.outcome(),
            "attempts": {
                key: [(a["kind"], a["tries"]) for a in t["attempts"]]
                for key, t in chain["tickets"].items()
            },
            "prompts": [kind_key for kind_key, _ in calls],
            "agent_sessions": len({session for _, session in calls}),
            "chain_commits": branch,
            "duplicates": found.duplicates(),
        }
    )


@dataclass(frozen=True)
class Stop:
    """What the uninterrupted run left after one action: GitHub, the checkout, the agent's log."""

    github: Checkpoint
    work: Path
    log: str | None


@dataclass(frozen=True)
class Sweep:
    """The uninterrupted run: the actions it logged, its outcome, where it stopped; its fake
    GitHub, checkout and agent's log, which each boundary puts back as they were at its stop."""

    actions: list[str]
    outcome: Any
    stops: list[Stop]
    fake: FakeGitHub
    work: Path
    log: Path


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sweep]:
    """Made once per worker: its boundaries put their stop back, one at a time."""
    root = tmp_path_factory.mktemp("github-sweep")
    log = root / "agent.log"
    with new_github(root) as fake:
        add_chain(fake)
        work = checkout(fake, root / "checkout")
        stops: list[Stop] = []

        def keep(k: int) -> None:
            written = log.read_text() if log.exists() else None
            copied = Path(shutil.copytree(work, root / f"checkout-{k}", symlinks=True))
            stops.append(Stop(fake.checkpoint(root / f"github-{k}"), copied, written))

        argv, env = command(work, environment(fake, work, log))
        code, said = paused_run(["-v", *argv[3:]], env, root / "stderr", keep)
        assert code == 0, said
        actions = re.findall(r'^action\.start action="(.*)"$', said, re.MULTILINE)
        yield Sweep(actions, _outcome(fake, log), stops, fake, work, log)


def _put_back(sweep: Sweep, boundary: int) -> None:
    stop = sweep.stops[boundary - 1]
    sweep.fake.restore(stop.github)
    shutil.rmtree(sweep.work)
    shutil.copytree(stop.work, sweep.work, symlinks=True)
    sweep.log.unlink(missing_ok=True)
    if stop.log is not None:
        sweep.log.write_text(stop.log)


def test_the_uninterrupted_run_takes_the_actions_the_sweep_goes_through(sweep: Sweep) -> None:
    outcome = sweep.outcome
    assert outcome["finished"]
    assert outcome["duplicates"] == 0
    assert outcome["sessions"] == [[1, "start"]]
    assert outcome["attempts"] == {
        "#1": [["launch", 1]],
        "#2": [["followup", 1], ["correction", 1]],
        "#3": [["followup", 1]],
    }
    assert outcome["prompts"] == ["launch #1", "followup #2", "correction #2", "followup #3"]
    assert outcome["agent_sessions"] == 1
    assert set(outcome["status_comments"].values()) == {1}
    assert len(outcome["validation_comments"]) == 3
    assert len(outcome["check_runs"]) == 4
    assert (outcome["pulls"], outcome["knowledge_commits"]) == (1, 1)
    assert sweep.actions == list(ACTIONS)
    assert len(sweep.stops) == len(ACTIONS), "one stop after every action"
    # Prepare, a send and a validation per attempt, and the finish: the last boundary.
    attempts = sum(len(a) for a in outcome["attempts"].values())
    assert len(ACTIONS) == 1 + 2 * attempts + 1


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_a_crash_after_any_action_in_github_mode_changes_nothing_in_the_end(
    boundary: int, sweep: Sweep, tally: Tally
) -> None:
    """GitHub, the checkout and the agent's log as a crash after `boundary` actions leaves them,
    then a normal run, in this process (the crash was the process boundary)."""
    _put_back(sweep, boundary)
    finished = books(sweep.fake).chain["finished"]
    assert finished is (boundary == len(ACTIONS)), "the finish is the last action"
    resumed = run_inline(sweep.fake, sweep.work)
    assert resumed.exit_code == 0, f"after a crash at {boundary}: {resumed.output}"
    outcome = _outcome(sweep.fake, sweep.log)
    tally.add("lost_or_duplicated", outcome["duplicates"])
    differing = {key: v for key, v in outcome.items() if sweep.outcome[key] != v}
    assert not differing, f"what differs from the uninterrupted run: {differing}"
    tally.add("crash_points")


@pytest.mark.parametrize("boundary", [2, 7], ids=["a-send", "a-validation"])
def test_a_real_crash_leaves_what_the_paused_run_left(
    boundary: int, sweep: Sweep, tmp_path: Path
) -> None:
    with new_github(tmp_path) as fake:
        add_chain(fake)
        work = checkout(fake, tmp_path / "checkout")
        crashed = run_process(fake, work, BATON_CRASH_AFTER_ACTIONS=str(boundary))
        assert crashed.returncode == CRASH_EXIT, f"at {boundary}: {crashed.stderr}"
        left = _left(fake, tmp_path / "agent.log")
    _put_back(sweep, boundary)
    assert left == _left(sweep.fake, sweep.log)


def _left(fake: FakeGitHub, log: Path) -> Any:
    """What a run left mid-chain: what reached GitHub, its state's revision, the prompts sent."""
    found = books(fake)
    prompts = [line.rsplit(" ", 1)[0] for line in agent_calls(log)]
    return as_json({**found.outcome(), "revision": found.state["revision"], "prompts": prompts})
