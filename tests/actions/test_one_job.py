"""Baton's workflows run as Actions runs them: a chain is worked from its first ticket to its
last in ONE chain job by ONE agent session, each change validated inline in Baton's sandbox,
with a CLI-like agent whose sessions live in its HOME (a resume it cannot find fails, as Claude
Code's does). A chain longer than `max-minutes` is handed over to a dispatched run at once; a
killed job's chain is taken over by the next job at once."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from github import Auth, Github

from bot.knowledge import report_path
from bot.yaml_source import safe_load
from tests.actions import chains, events, substitutions
from tests.actions.chains import (
    CHAIN,
    LABEL,
    SHORT_BUDGET_MINUTES,
    SLOW_AGENT_SECONDS,
    WORKFLOW,
    attempts,
    chain_state,
    started,
)
from tests.actions.records import JobRun, WorkflowRun
from tests.actions.runner import Kill, Runner, WorkflowCall
from tests.fakes.cli_agent import chain_sessions
from tests.fakes.github import Dispatch, FakeGitHub
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


def runner(
    fake: FakeGitHub,
    root: Path,
    *,
    actions: dict[str, Path] | None = None,
    repositories: dict[str, Path] | None = None,
) -> Runner:
    """Each job on a machine of its own name, as on GitHub: a lease's holder is not told dead or
    alive by its process on this host, only by its run."""
    return Runner(
        fake,
        root,
        substitutions=substitutions.BATON,
        machines=True,
        actions=actions,
        repositories=repositories,
    )


def chain_job(run: WorkflowRun) -> JobRun:
    return run.job("run", chain=CHAIN)


def sessions(job: JobRun) -> dict[str, list[str]]:
    """The agent's sessions in that job's HOME for the chain (first lines of the prompts)."""
    assert job.workspace is not None
    return chain_sessions(job.workspace)


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
        "draft a plan": "skipped",
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
        "draft a plan": "skipped",
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
            "draft a plan": "skipped",
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


def baton_source(tmp_path: Path) -> str:
    """Baton's action in a repository of its own (`your-org/baton` to the runner); its commit."""
    source = tmp_path / "baton-source"
    source.mkdir()
    (source / "action.yml").write_text((ROOT / "action.yml").read_text())
    git = ["git", "-C", str(source)]
    subprocess.run(["git", "init", "-q", "-b", "main", str(source)], check=True)
    subprocess.run([*git, "add", "action.yml"], check=True)
    subprocess.run([*git, "commit", "-qm", "Baton"], check=True)
    return subprocess.run(
        [*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()


def the_caller() -> dict[str, Any]:
    """The calling workflow the reusable workflow's header shows, read as YAML."""
    header = []
    for line in REUSABLE.read_text().splitlines():
        if not line.startswith("#"):
            break
        header.append(line)
    start = header.index("#   on:")
    caller: dict[str, Any] = safe_load(
        "\n".join(line[4:] for line in header[start : header.index("#", start)])
    )
    return caller


def calling(sha: str, chain: str, **inputs: object) -> WorkflowCall:
    """The reusable workflow as its caller calls it for an event whose input `chain` is
    `chain`, with the caller job's permissions."""
    job = the_caller()["jobs"]["baton"]
    given = {"baton-repository": "your-org/baton", "baton-ref": sha, "agent": "claude"}
    return WorkflowCall(inputs={**given, "chain": chain, **inputs}, permissions=job["permissions"])


def test_the_reusable_workflow_works_a_chain_in_one_job(
    corrected: FakeGitHub, tmp_path: Path, shared_dir: Path
) -> None:
    """Called as its header shows; Baton's action checked out from a repository of its own."""
    fake = corrected
    sha = baton_source(tmp_path)
    actions = runner(
        fake, tmp_path / "actions", repositories={"your-org/baton": tmp_path / "baton-source"}
    )

    run = actions.run(
        REUSABLE, events.issue_labeled(shared_dir, fake, 1, LABEL), call=calling(sha, "")
    )

    assert run.results() == {
        "plan": "success",
        f"chain {CHAIN}": "success",
        "review followup": "skipped",
        "draft a plan": "skipped",
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


def test_the_reusable_workflow_hands_a_chain_over_through_its_caller(
    tmp_path: Path, shared_dir: Path
) -> None:
    """In a called workflow GITHUB_WORKFLOW_REF names the caller: the handover dispatches the
    caller's workflow, which takes the input `chain` as the header shows (the fake refuses a
    dispatch whose inputs the workflow does not declare), and the next run goes on."""
    caller = yaml.safe_dump(the_caller(), sort_keys=False).replace("true:", "on:", 1)
    with chains.repository(
        tmp_path, tickets=3, seconds=SLOW_AGENT_SECONDS, workflow_text=caller
    ) as fake:
        sha = baton_source(tmp_path)
        actions = runner(
            fake, tmp_path / "actions", repositories={"your-org/baton": tmp_path / "baton-source"}
        )
        labelled = events.issue_labeled(shared_dir, fake, 3, LABEL)

        runs = [
            actions.run(
                REUSABLE, labelled, call=calling(sha, "", **{"max-minutes": SHORT_BUDGET_MINUTES})
            )
        ]
        while (pending := fake.take_dispatches()) and len(runs) < 10:
            for dispatch in pending:
                assert dispatch.workflow == WORKFLOW, "the caller's workflow"
                assert dispatch.inputs == {"chain": CHAIN}
                runs.append(
                    actions.run(
                        REUSABLE,
                        events.dispatched(shared_dir, fake, dispatch),
                        call=calling(sha, CHAIN, **{"max-minutes": SHORT_BUDGET_MINUTES}),
                    )
                )

        assert len(runs) >= 2, "the chain did not fit its first job's budget"
        for run in runs:
            assert run.results()[f"chain {CHAIN}"] == "success", run.describe()
            check_hygiene(run)
        state = chain_state(fake)
        assert state.finished
        assert len(state.handovers) == len(runs) - 1
        assert all(h.dispatched for h in state.handovers)


def test_a_chain_longer_than_max_minutes_goes_on_in_a_dispatched_job(
    tmp_path: Path, shared_dir: Path
) -> None:
    """The chain job's budget (6 s here) is spent with work left: it dispatches the workflow for
    its chain at once, and the dispatched run's chain job recovers the session from the
    knowledge base (the CLI's session lived in the first job's HOME) and finishes the chain."""
    with chains.repository(
        tmp_path, tickets=3, seconds=SLOW_AGENT_SECONDS, max_minutes=SHORT_BUDGET_MINUTES
    ) as fake:
        actions = runner(fake, tmp_path / "actions")

        first = actions.run(WORKFLOW, events.issue_labeled(shared_dir, fake, 3, LABEL))

        assert first.results()[f"chain {CHAIN}"] == "success", first.describe()
        check_hygiene(first)
        job = chain_job(first)
        assert "it continues in a new job" in job.step("Run Baton").log
        (dispatch,) = fake.dispatches
        assert dispatch == Dispatch(
            WORKFLOW, "main", {"chain": CHAIN}, "github-actions[bot]", dispatch.created_at
        )
        dispatched = [(c.path, c.status) for c in job.api_calls if "/actions/" in c.path]
        assert dispatched == [
            (f"/repos/{fake.full_name}/actions/workflows/baton.yml/dispatches", 204)
        ]
        handed = chain_state(fake)
        assert not handed.finished
        assert [(h.run.id, h.dispatched) for h in handed.handovers] == [(first.run_id, True)]
        assert handed.lease is None, "let go for the next job"
        (session,) = sessions(job).values()

        later = actions.run_dispatched(lambda d: events.dispatched(shared_dir, fake, d))

        assert [run.event_name for run in later] == ["workflow_dispatch"] * len(later)
        for run in later:
            assert run.results() == {
                "plan": "success",
                "review followup": "skipped",
                "draft a plan": "skipped",
                f"chain {CHAIN}": "success",
            }, run.describe()
            assert run.job("plan").outputs == {"chains": f'["{CHAIN}"]'}
            check_hygiene(run)
        state = chain_state(fake)
        assert state.finished
        assert all(t.status == "passed" for t in state.tickets.values())
        assert len(fake.dispatches) == len(later), "every handover started a run"
        assert len(state.handovers) == len(later)
        # Each later job started with a fresh HOME: the first prompt to reach its agent recovered
        # the chain from the knowledge base, and the first job's session went no further. (A job
        # whose budget ran out while its agent worked leaves the next job only the validation of
        # that work: a job may end the chain without a prompt.)
        prompted = [run for run in later if sessions(chain_job(run))]
        assert prompted, "the first job never gets to the third ticket's prompt"
        assert [s.reason for s in state.sessions] == ["start"] + ["recovery"] * len(prompted)
        for run in prompted:
            (recovered,) = sessions(chain_job(run)).values()
            assert recovered[0].startswith("# Baton · recovery · ticket #")
        assert sessions(job) == {next(iter(sessions(job))): session}
        report = fake.read_file(f"knowledge/{report_path(state)}", "main")
        assert report is not None
        assert "continued in a new job" in report


def test_a_killed_jobs_chain_is_taken_over_by_the_next_job_at_once(
    tmp_path: Path, shared_dir: Path
) -> None:
    """The chain job's runner is lost during the second ticket's agent call: nothing gives the
    lease back. The next run (the hourly schedule's here) asks the Actions API about the
    holder's run, finds it completed, and takes the chain over at once, not when the lease
    expires."""
    with chains.repository(tmp_path, tickets=3, seconds=2) as fake:
        actions = runner(fake, tmp_path / "actions")

        def second_ticket_started() -> bool:
            text = fake.read_file("state.json", "baton/state")
            return text is not None and bool(chain_state(fake).tickets["#2"].attempts)

        first = actions.run(
            WORKFLOW,
            events.issue_labeled(shared_dir, fake, 3, LABEL),
            kill=Kill("run", second_ticket_started),
        )

        lost = chain_job(first)
        assert (lost.result, lost.reason) == ("cancelled", "killed: its runner was lost")
        assert lost.left_behind == []
        seen = fake.workflow_run(first.run_id)
        assert (seen.status, seen.conclusion) == ("completed", "cancelled")
        left = chain_state(fake)
        assert left.lease is not None, "a lost runner gives nothing back"
        assert left.lease.run is not None
        assert left.lease.run.id == first.run_id
        assert left.tickets["#1"].status == "passed"
        assert left.tickets["#2"].status != "passed"

        nxt = actions.run(WORKFLOW, events.schedule("17 * * * *"))

        assert nxt.results()[f"chain {CHAIN}"] == "success", nxt.describe()
        check_hygiene(nxt)
        job = chain_job(nxt)
        assert job.finished_at is not None
        assert job.finished_at < left.lease.until - timedelta(minutes=30), "not at the expiry"
        asked = [(c.method, c.path, c.status) for c in job.api_calls if "/actions/" in c.path]
        assert asked == [("GET", f"/repos/{fake.full_name}/actions/runs/{first.run_id}", 200)]
        log = job.step("Run Baton").log
        assert f"Actions run {first.run_id} held this chain and has finished" in log
        state = chain_state(fake)
        assert state.finished
        assert all(t.status == "passed" for t in state.tickets.values())
        assert state.lease is None
        assert [s.reason for s in state.sessions] == ["start", "recovery"]
        (recovered,) = sessions(job).values()
        assert recovered[0] == "# Baton · recovery · ticket #2"
        assert fake.dispatches == []


def comment_on_the_pull(fake: FakeGitHub, text: str, path: str) -> int:
    """A maintainer's review comment on line 1 of `path` in the chain's pull request; its id."""
    (pr,) = fake.pulls()
    human = Github(base_url=fake.url, auth=Auth.Token(fake.admin_token), retry=None, lazy=True)
    repo = human.get_repo(fake.full_name)
    pull = repo.get_pull(pr.number)
    comment = pull.create_review_comment(text, repo.get_commit(pull.head.sha), path, line=1)
    return int(comment.id)


def test_a_review_comment_after_the_chain_is_done_in_a_recovered_session(
    tmp_path: Path, shared_dir: Path
) -> None:
    """The review followup job is a runner of its own: the chain's CLI session is not there, so
    the followup goes to a session recovered from the knowledge base, and Baton answers in the
    comment's thread once the followup is validated."""
    with chains.repository(tmp_path, tickets=1) as fake:
        actions = runner(fake, tmp_path / "actions")
        done = actions.run(WORKFLOW, events.issue_labeled(shared_dir, fake, 1, LABEL))
        assert chain_state(fake).finished, done.describe()
        comment = comment_on_the_pull(fake, "Say why, too", "work/t1.txt")

        review = actions.run(WORKFLOW, events.review_comment(shared_dir, fake, comment))

        assert review.results() == {
            "plan": "skipped",
            "chain": "skipped",
            "review followup": "success",
            "draft a plan": "skipped",
        }, review.describe()
        check_hygiene(review)
        job = review.job("event")
        assert job.scopes == CHAIN_SCOPES
        key = f"review-{comment}"
        state = chain_state(fake)
        assert state.tickets[key].status == "passed"
        assert attempts(state)[key] == ["followup", "recovery"]
        (session,) = sessions(job).values()
        assert session == [f"# Baton · recovery · ticket {key}"]
        replies = [c for c in fake.review_comments_on(fake.pulls()[0].number) if c.in_reply_to]
        assert [r.in_reply_to for r in replies] == [comment]


def test_a_review_comment_while_the_chain_job_runs_goes_to_its_live_session(
    tmp_path: Path, shared_dir: Path
) -> None:
    """The review's run overlaps the chain's (their jobs are in different concurrency groups):
    its job adds the followup to the chain and leaves the chain to the job that holds it, whose
    live session does it after the chain's last ticket. (The agent's 3 s a call leave the
    review's job time to come while the chain job still works tickets 2 and 3.)"""
    with chains.repository(tmp_path, tickets=3, seconds=3) as fake:
        actions = runner(fake, tmp_path / "actions")
        runs: list[WorkflowRun] = []
        chain_run = threading.Thread(
            target=lambda: runs.append(
                actions.run(WORKFLOW, events.issue_labeled(shared_dir, fake, 3, LABEL))
            )
        )
        chain_run.start()
        try:
            deadline = time.monotonic() + 120
            while "baton:done" not in fake.labels_of(1) and time.monotonic() < deadline:
                time.sleep(0.1)
            comment = comment_on_the_pull(fake, "Say why, too", "work/t1.txt")

            review = actions.run(WORKFLOW, events.review_comment(shared_dir, fake, comment))
        finally:
            chain_run.join(timeout=300)
        (chained,) = runs

        assert review.results()["review followup"] == "success", review.describe()
        log = review.job("event").step("Run Baton").log
        assert f"another baton run is working this chain (Actions run {chained.run_id}" in log
        assert sessions(review.job("event")) == {}, "the review's own job sent nothing"
        assert chained.results()[f"chain {CHAIN}"] == "success", chained.describe()
        check_hygiene(review, chained)
        key = f"review-{comment}"
        state = chain_state(fake)
        assert state.tickets[key].status == "passed"
        assert attempts(state)[key] == ["followup"]
        (session,) = sessions(chain_job(chained)).values()
        assert session == [
            "# Baton · launch · ticket #1",
            "# Baton · followup · ticket #2",
            "# Baton · followup · ticket #3",
            f"# Baton · followup · ticket {key}",
        ]
