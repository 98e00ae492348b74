"""Baton's workflows run as Actions runs them: a chain is worked from its first ticket to its
last in ONE chain job by ONE agent session, each change validated inline in Baton's sandbox,
with a CLI-like agent whose sessions live in its HOME (a resume it cannot find fails, as Claude
Code's does). A chain longer than `max-minutes` is handed over to a dispatched run at once; a
killed job's chain is taken over by the next job at once."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.actions import chains, events, substitutions
from tests.actions.chains import CHAIN, LABEL, WORKFLOW, attempts, chain_state, started
from tests.actions.records import WorkflowRun
from tests.actions.runner import Runner, WorkflowCall
from tests.fakes.cli_agent import chain_sessions
from tests.fakes.github import FakeGitHub
from tests.sandbox_support import require_bwrap

ROOT = chains.ROOT
TEMPLATE = ROOT / "bot" / "templates" / "workflow.yml"
REUSABLE = ROOT / ".github" / "workflows" / "baton-reusable.yml"
CHAIN_SCOPES = {
    "contents": "write",
    "issues": "write",
    "pull_requests": "write",
    "checks": "write",
    "statuses": "write",
    "actions": "write",
}


@pytest.fixture(autouse=True)
def _bwrap() -> None:
    require_bwrap()  # Baton's default sandbox, which the action installs


@pytest.fixture
def corrected(tmp_path: Path) -> Iterator[FakeGitHub]:
    """Three tickets in one milestone; the second passes after one correction."""
    with chains.repository(tmp_path, corrections=frozenset({2})) as fake:
        yield fake


def runner(fake: FakeGitHub, root: Path, **kwargs: object) -> Runner:
    return Runner(fake, root, substitutions=substitutions.BATON, **kwargs)  # type: ignore[arg-type]


def check_hygiene(*runs: WorkflowRun) -> None:
    """What every run must keep: nothing left running, no concurrency group overlapping, and
    each substitution still matching a step of the action."""
    for run in runs:
        assert all(job.left_behind == [] for job in run.jobs), run.describe()
        assert run.overlaps() == []
        if started(run):
            assert {step for _, step in run.substituted} == {s.step for s in substitutions.BATON}


def test_a_chain_with_a_correction_passes_in_one_job_and_one_session(
    corrected: FakeGitHub, tmp_path: Path, shared_dir: Path
) -> None:
    fake = corrected
    actions = runner(fake, tmp_path / "actions")

    run = actions.run(WORKFLOW, events.issue_labeled(shared_dir, fake, 3, LABEL))

    assert run.results() == {
        "plan": "success",
        "review followup": "skipped",
        f"chain {CHAIN}": "success",
    }, run.describe()
    check_hygiene(run)
    assert [job.job_id for job in started(run)] == ["plan", "run"]
    plan, chain = run.job("plan"), run.job("run", chain=CHAIN)
    assert plan.outputs == {"chains": f'["{CHAIN}"]'}
    assert plan.scopes == {"contents": "read", "issues": "read"}
    assert chain.scopes == CHAIN_SCOPES
    assert chain.concurrency == f"baton-{fake.full_name}-{CHAIN}"
    log = chain.step("Run Baton").log
    assert "waiting for the validation job" not in log
    # One session, in the chain's HOME in this job's working copy, took every prompt.
    assert chain.workspace is not None
    (session,) = chain_sessions(chain.workspace).values()
    assert session == [
        "# Baton · launch · ticket #1",
        "# Baton · followup · ticket #2",
        "# Baton · correction · ticket #2",
        "# Baton · followup · ticket #3",
    ]
    state = chain_state(fake)
    assert state.finished
    assert [s.reason for s in state.sessions] == ["start"]
    assert attempts(state) == {
        "#1": ["launch"],
        "#2": ["followup", "correction"],
        "#3": ["followup"],
    }
    assert all(a.validation is not None for t in state.tickets.values() for a in t.attempts)
    assert state.lease is None, "the job gave the chain back"
    for number in (1, 2, 3):
        assert "baton:done" in fake.labels_of(number)
    (pull,) = fake.pulls()
    assert all(f"Closes #{n}" in (pull.body or "") for n in (1, 2, 3))
    assert len(fake.check_runs()) == 4, "a check run per validated attempt"
    assert fake.dispatches == [], "the chain fitted in one job: no handover"

    # The hourly safety net then finds nothing to do: one plan job, no chain job.
    idle = actions.run(WORKFLOW, events.schedule("17 * * * *"))

    assert idle.results() == {
        "plan": "success",
        "review followup": "skipped",
        "chain": "skipped",
    }, idle.describe()
    assert idle.job("plan").outputs == {"chains": "[]"}
    assert [job.job_id for job in started(idle)] == ["plan"]
    check_hygiene(idle)


@pytest.mark.parametrize(
    "workflow", [WORKFLOW, TEMPLATE], ids=["baton.yml", "what baton init writes"]
)
def test_in_a_private_repository_the_chain_job_works_the_chain(
    tmp_path: Path, shared_dir: Path, workflow: str | Path
) -> None:
    """The plan job reads the issues (`issues: read`), the chain job does the rest: nothing
    needs a job without the token's scopes. The template's `uses: OWNER/baton@…` is this
    checkout's action."""
    with chains.repository(tmp_path, tickets=2, private=True) as fake:
        actions = runner(fake, tmp_path / "actions", actions={"OWNER/baton": ROOT})

        run = actions.run(workflow, events.issue_labeled(shared_dir, fake, 2, LABEL))

        assert run.results() == {
            "plan": "success",
            "review followup": "skipped",
            f"chain {CHAIN}": "success",
        }, run.describe()
        check_hygiene(run)
        refused = [
            (job.job_id, call.method, call.path)
            for job in run.jobs
            for call in job.api_calls
            if call.status in (401, 403)
        ]
        assert refused == [], run.describe()
        chain = run.job("run", chain=CHAIN)
        assert chain.scopes == CHAIN_SCOPES
        assert chain.workspace is not None
        (session,) = chain_sessions(chain.workspace).values()
        assert session == ["# Baton · launch · ticket #1", "# Baton · followup · ticket #2"]
        assert chain_state(fake).finished


def test_the_reusable_workflow_works_a_chain_in_one_job(
    corrected: FakeGitHub, tmp_path: Path, shared_dir: Path
) -> None:
    """Called as its header shows; Baton's action checked out from a repository of its own."""
    fake = corrected
    source = tmp_path / "baton-source"
    source.mkdir()
    (source / "action.yml").write_text((ROOT / "action.yml").read_text())
    git = ["git", "-C", str(source)]
    subprocess.run(["git", "init", "-q", "-b", "main", str(source)], check=True)
    subprocess.run([*git, "add", "action.yml"], check=True)
    subprocess.run([*git, "commit", "-qm", "Baton"], check=True)
    sha = subprocess.run(
        [*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    actions = runner(fake, tmp_path / "actions", repositories={"your-org/baton": source})
    call = WorkflowCall(
        inputs={"baton-repository": "your-org/baton", "baton-ref": sha, "agent": "claude"},
        permissions={k.replace("_", "-"): v for k, v in CHAIN_SCOPES.items()},
    )

    run = actions.run(REUSABLE, events.issue_labeled(shared_dir, fake, 1, LABEL), call=call)

    assert run.results() == {
        "plan": "success",
        f"chain {CHAIN}": "success",
        "review followup": "skipped",
    }, run.describe()
    check_hygiene(run)
    chain = run.job("run", chain=CHAIN)
    assert chain.scopes == CHAIN_SCOPES
    assert chain.workspace is not None
    (session,) = chain_sessions(chain.workspace / "repo").values()
    assert len(session) == 4
    state = chain_state(fake)
    assert state.finished
    assert attempts(state)["#2"] == ["followup", "correction"]
