"""Today's `.github/workflows/baton.yml`, run as Actions runs it: a labelled issue (a chain of
one ticket) through the plan job, the chain job and the validation jobs, with a CLI-like agent
whose sessions live in its HOME. What these tests assert is today's behaviour: the chain job
sends one prompt and ends "waiting for the validation job", and the ticket passes only in the
next run; in a private repository the job that lists the attempts to validate is refused the
issues, and the reusable workflow has no validation jobs at all."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.issue_form import render_issue_body
from bot.tickets import Ticket, TicketFiles
from tests.actions import events, substitutions
from tests.actions.records import WorkflowRun
from tests.actions.runner import Runner, WorkflowCall
from tests.fakes.github import FakeGitHub

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ".github/workflows/baton.yml"
REUSABLE = ROOT / ".github" / "workflows" / "baton-reusable.yml"
RUN_SCOPES = {
    "contents": "write",
    "issues": "write",
    "pull_requests": "write",
    "checks": "write",
    "statuses": "write",
}

# A CLI agent as Claude Code behaves: its sessions are files under $HOME, and resuming a session
# that is not there fails ("No conversation found with session ID"). It writes the file the
# ticket asks for and answers with a result object.
AGENT = r"""
import json, os, pathlib, re, sys
args = sys.argv[1:]
if args[0] == "--resume":
    session, prompt_file = args[1], args[2]
else:
    prompt_file, session = args
store = pathlib.Path(os.environ["HOME"]) / ".fake-cli" / "sessions" / f"{session}.json"
if args[0] == "--resume" and not store.exists():
    print(f"No conversation found with session ID: {session}", file=sys.stderr)
    sys.exit(1)
prompt = pathlib.Path(prompt_file).read_text()
found = re.search(r"### Files to (?:create|modify)\n\n- (\S+)", prompt) or re.search(
    r"Only these files may change: `([^`]+)`", prompt
)
path = pathlib.Path(found.group(1))
path.parent.mkdir(parents=True, exist_ok=True)
with path.open("a") as out:
    out.write("done by the agent\n")
store.parent.mkdir(parents=True, exist_ok=True)
turns = json.loads(store.read_text()) if store.exists() else []
store.write_text(json.dumps([*turns, prompt.splitlines()[0]]))
print(json.dumps({"session_id": session, "is_error": False, "result": f"wrote {path}"}))
"""


def config(agent: Path) -> str:
    python = sys.executable
    return textwrap.dedent(
        f"""\
        agent:
          kind: command
          command: "{python} {agent} {{prompt_file}} {{session_id}}"
          resume_command: "{python} {agent} --resume {{session_id}} {{prompt_file}}"
        validation:
          test_command: "test -f work/hello.txt"
        """
    )


def repository(tmp_path: Path, *, private: bool) -> FakeGitHub:
    """Baton's own workflow and action, committed to the fake's repository with a config for
    the agent above, and one issue labelled for Baton."""
    agent = tmp_path / "agent.py"
    agent.write_text(AGENT)
    files = {
        "README.md": "# widgets\n",
        "action.yml": (ROOT / "action.yml").read_text(),
        WORKFLOW: (ROOT / WORKFLOW).read_text(),
        ".github/baton.yml": config(agent),
    }
    fake = FakeGitHub(tmp_path, files=files, private=private)
    ticket = Ticket(goal="Create work/hello.txt.", files=TicketFiles(create=["work/hello.txt"]))
    fake.add_issue("Say hello", render_issue_body(ticket), labels=["ready-for-agent"])
    return fake


@pytest.fixture
def public(tmp_path: Path) -> Iterator[FakeGitHub]:
    with repository(tmp_path, private=False) as fake:
        yield fake


@pytest.fixture
def private(tmp_path: Path) -> Iterator[FakeGitHub]:
    with repository(tmp_path, private=True) as fake:
        yield fake


def sessions(run: WorkflowRun, job_id: str) -> list[list[str]]:
    """The agent's sessions as it stored them in that job's HOME for it (first prompt lines)."""
    workspace = run.job(job_id, chain="issue-1").workspace
    assert workspace is not None
    stored = sorted(workspace.glob(".baton/homes/*/.fake-cli/sessions/*.json"))
    return [json.loads(path.read_text()) for path in stored]


def check_hygiene(run: WorkflowRun) -> None:
    """What every run must keep: nothing left running, no concurrency group overlapping, and
    each substitution still matching a step of the action."""
    assert all(job.left_behind == [] for job in run.jobs), run.describe()
    assert run.overlaps() == []
    assert {step for _, step in run.substituted} == {s.step for s in substitutions.BATON}


def test_a_labelled_issue_waits_for_the_validation_job_then_the_next_run(
    public: FakeGitHub, tmp_path: Path, shared_dir: Path
) -> None:
    runner = Runner(public, tmp_path / "actions", substitutions=substitutions.BATON)
    labelled = events.issue_labeled(shared_dir, public, 1, "ready-for-agent")

    run = runner.run(WORKFLOW, labelled)

    assert run.results() == {
        "plan": "success",
        "review followup": "skipped",
        "chain issue-1": "success",
        "attempts to validate": "success",
        "validate issue-1 #1": "success",
    }, run.describe()
    check_hygiene(run)
    plan, chain = run.job("plan"), run.job("run", chain="issue-1")
    assert plan.outputs == {"chains": '["issue-1"]'}
    assert plan.scopes == {"contents": "read", "issues": "read"}
    assert {c.method for c in plan.api_calls} == {"GET"}
    assert chain.scopes == RUN_SCOPES
    assert chain.concurrency == f"baton-{public.full_name}-issue-1"
    assert "waiting for the validation job" in chain.step("Run Baton").log
    assert sessions(run, "run") == [["# Baton · launch · ticket #1"]]
    awaiting = run.job("awaiting")
    assert json.loads(awaiting.outputs["awaiting"]) == [
        {"chain": "issue-1", "ticket": "#1", "attempt": 1}
    ]
    validate = run.job("validate", chain="issue-1", ticket="#1", attempt=1)
    assert validate.scopes == {"contents": "read", "checks": "write"}
    assert [(c.method, c.status) for c in validate.api_calls if c.method != "GET"] == [
        ("POST", 201)
    ]
    (check,) = public.check_runs()
    assert check.conclusion == "success"
    # The ticket is not done: the chain goes on only at the next trigger.
    assert "baton:running" in public.labels_of(1)
    assert "baton:done" not in public.labels_of(1)

    nxt = runner.run(WORKFLOW, events.schedule("*/15 * * * *"))

    assert nxt.results() == {
        "plan": "success",
        "review followup": "skipped",
        "chain issue-1": "success",
        "attempts to validate": "success",
        "validate": "skipped",
    }, nxt.describe()
    check_hygiene(nxt)
    assert nxt.job("awaiting").outputs == {"awaiting": "[]"}
    assert "baton:done" in public.labels_of(1)
    (pull,) = public.pulls()
    assert "Closes #1" in (pull.body or "")
    assert sessions(nxt, "run") == [], "the next job starts with a fresh HOME"


TEMPLATE = ROOT / "bot" / "templates" / "workflow.yml"


@pytest.mark.parametrize(
    "workflow", [WORKFLOW, TEMPLATE], ids=["baton.yml", "what baton init writes"]
)
def test_in_a_private_repository_the_awaiting_job_cannot_read_the_issues(
    private: FakeGitHub, tmp_path: Path, shared_dir: Path, workflow: str | Path
) -> None:
    # The template's `uses: OWNER/baton@…` is this checkout's action.
    runner = Runner(
        private,
        tmp_path / "actions",
        substitutions=substitutions.BATON,
        actions={"OWNER/baton": ROOT},
    )

    run = runner.run(workflow, events.issue_labeled(shared_dir, private, 1, "ready-for-agent"))

    assert run.results() == {
        "plan": "success",
        "review followup": "skipped",
        "chain issue-1": "success",
        "attempts to validate": "failure",
        "validate": "skipped",
    }, run.describe()
    check_hygiene(run)
    awaiting = run.job("awaiting")
    assert awaiting.scopes == {"contents": "read"}
    refused = [c for c in awaiting.api_calls if c.status == 403]
    assert [(c.method, c.path) for c in refused] == [("GET", f"/repos/{private.full_name}/issues")]
    assert "403: Resource not accessible by integration" in awaiting.step("Run Baton").log
    assert private.check_runs() == []
    assert "baton:running" in private.labels_of(1)


def test_the_reusable_workflow_has_no_job_that_validates(
    public: FakeGitHub, tmp_path: Path, shared_dir: Path
) -> None:
    """Called as its header shows; Baton's action checked out from a repository of its own."""
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
    runner = Runner(
        public,
        tmp_path / "actions",
        substitutions=substitutions.BATON,
        repositories={"your-org/baton": source},
    )
    call = WorkflowCall(
        inputs={"baton-repository": "your-org/baton", "baton-ref": sha, "agent": "claude"},
        permissions={k.replace("_", "-"): v for k, v in RUN_SCOPES.items()},
    )
    labelled = events.issue_labeled(shared_dir, public, 1, "ready-for-agent")

    for _ in range(2):  # the next run finds nothing new to validate either
        run = runner.run(REUSABLE, labelled, call=call)
        assert run.results() == {
            "plan": "success",
            "chain issue-1": "success",
            "review followup": "skipped",
        }, run.describe()
        check_hygiene(run)
        log = run.job("run", chain="issue-1").step("Run Baton").log
        assert "chain issue-1 is not finished" in log
    assert public.check_runs() == []
    assert "baton:running" in public.labels_of(1)
