"""GitHub mode, killed at every action boundary: a three-ticket chain (the second ticket needs a
correction) is run once without interruption, then, for every boundary k, on a fresh fake GitHub
by a `baton run` process that dies after k saved actions, and a normal run after it. Each must end as the
uninterrupted run did: the same tickets and attempts, every report written once, one pull request,
one knowledge commit, a consistent state branch, and every prompt sent once in one session."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from bot.dispatcher import CRASH_EXIT
from tests.fakes.github import FakeGitHub
from tests.reliability.chain_support import (
    BRANCH,
    add_chain,
    agent_calls,
    books,
    checkout,
    new_github,
    run_inline,
    run_process,
)
from tests.reliability.conftest import Tally


def _outcome(fake: FakeGitHub, log: Path) -> dict[str, Any]:
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
    return {
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


def _run(root: Path, crash_after: int | None) -> tuple[bool | None, dict[str, Any]]:
    """A fresh fake GitHub and checkout; a `baton run` process killed after `crash_after`
    actions (if any), then a normal run. Whether the chain was finished when the process died
    (None: not killed), and the outcome."""
    with new_github(root) as fake:
        add_chain(fake)
        work = checkout(fake, root / "checkout")
        finished = None
        if crash_after is not None:
            crashed = run_process(fake, work, BATON_CRASH_AFTER_ACTIONS=str(crash_after))
            assert crashed.returncode == CRASH_EXIT, f"at {crash_after}: {crashed.stderr}"
            finished = books(fake).chain["finished"]
        resumed = run_inline(fake, work)
        assert resumed.exit_code == 0, f"after a crash at {crash_after}: {resumed.output}"
        return finished, _outcome(fake, root / "agent.log")


def test_a_crash_after_any_action_in_github_mode_changes_nothing_in_the_end(
    tmp_path: Path, tally: Tally
) -> None:
    finished, reference = _run(tmp_path / "reference", None)
    assert finished is None
    assert reference["finished"]
    assert reference["duplicates"] == 0
    assert reference["sessions"] == [(1, "start")]
    assert reference["attempts"] == {
        "#1": [("launch", 1)],
        "#2": [("followup", 1), ("correction", 1)],
        "#3": [("followup", 1)],
    }
    assert reference["prompts"] == ["launch #1", "followup #2", "correction #2", "followup #3"]
    assert reference["agent_sessions"] == 1
    assert set(reference["status_comments"].values()) == {1}
    assert len(reference["validation_comments"]) == 3
    assert len(reference["check_runs"]) == 4
    assert (reference["pulls"], reference["knowledge_commits"]) == (1, 1)

    # Prepare, a send and a validation per attempt, and the finish: the last boundary.
    attempts = sum(len(a) for a in reference["attempts"].values())
    boundaries = 1 + 2 * attempts + 1
    differing = {}
    for k in range(1, boundaries + 1):
        finished, outcome = _run(tmp_path / f"crash-{k}", k)
        assert finished is (k == boundaries), f"the finish is the last action, not {k}"
        if outcome != reference:
            differing[k] = {key: v for key, v in outcome.items() if reference[key] != v}
        tally.add("lost_or_duplicated", outcome["duplicates"])
    tally.add("crash_points", boundaries - len(differing))
    assert not differing, f"outcomes that differ from the uninterrupted run: {differing}"
