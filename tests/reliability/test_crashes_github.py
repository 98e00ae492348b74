"""GitHub mode, killed at every action boundary: a three-ticket chain (the second ticket needs a
correction) is run once without interruption, then, for every boundary k, on a fresh fake GitHub
by a `baton run` process that dies after k saved actions, and a normal run after it. Each must end as the
uninterrupted run did: the same tickets and attempts, every report written once, one pull request,
one knowledge commit, a consistent state branch, and every prompt sent once in one session.

Each boundary is a test of its own, so that parallel workers share the sweep; the uninterrupted
run is made once (tests/once.py) and names the actions the sweep goes through."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bot.run_options import CRASH_EXIT
from tests.fakes.github import FakeGitHub
from tests.once import as_json, once_per_run
from tests.reliability.chain_support import (
    BRANCH,
    ROOT,
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


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The uninterrupted run, a whole process: the actions it logged, and its outcome."""

    def run(root: Path) -> dict[str, Any]:
        with new_github(root) as fake:
            add_chain(fake)
            work = checkout(fake, root / "checkout")
            argv, env = command(work, environment(fake, work))
            done = subprocess.run(
                [*argv[:3], "-v", *argv[3:]],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert done.returncode == 0, done.stderr
            actions = re.findall(r'^action\.start action="(.*)"$', done.stderr, re.MULTILINE)
            return {"actions": actions, "outcome": _outcome(fake, root / "agent.log")}

    return once_per_run(tmp_path_factory, "crashes-github-reference", run)


def test_the_uninterrupted_run_takes_the_actions_the_sweep_goes_through(reference: Any) -> None:
    outcome = reference["outcome"]
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
    assert reference["actions"] == list(ACTIONS)
    # Prepare, a send and a validation per attempt, and the finish: the last boundary.
    attempts = sum(len(a) for a in outcome["attempts"].values())
    assert len(ACTIONS) == 1 + 2 * attempts + 1


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_a_crash_after_any_action_in_github_mode_changes_nothing_in_the_end(
    boundary: int, reference: Any, tmp_path: Path, tally: Tally
) -> None:
    """A fresh fake GitHub and checkout; a `baton run` process killed after `boundary` actions,
    then a normal run, in this process (the crash was the process boundary)."""
    with new_github(tmp_path) as fake:
        add_chain(fake)
        work = checkout(fake, tmp_path / "checkout")
        crashed = run_process(fake, work, BATON_CRASH_AFTER_ACTIONS=str(boundary))
        assert crashed.returncode == CRASH_EXIT, f"at {boundary}: {crashed.stderr}"
        finished = books(fake).chain["finished"]
        assert finished is (boundary == len(ACTIONS)), "the finish is the last action"
        resumed = run_inline(fake, work)
        assert resumed.exit_code == 0, f"after a crash at {boundary}: {resumed.output}"
        outcome = _outcome(fake, tmp_path / "agent.log")
    tally.add("lost_or_duplicated", outcome["duplicates"])
    differing = {key: v for key, v in outcome.items() if reference["outcome"][key] != v}
    assert not differing, f"what differs from the uninterrupted run: {differing}"
    tally.add("crash_points")
