"""`baton demo`: a whole chain, offline, on a small API project with zero tests.

First `baton plan` drafts the chain with the stand-in agent: its first draft names a file the
project does not have, the plan check refuses it, and the correction fixes it; the demo then
approves the plan (commits it), as a person would after reading it, and runs the chain.

The agent is a scripted stand-in (examples/demo/agent/demo_agent.py) that speaks the headless
CLI-agent protocol and applies prepared changes; its first try at one ticket breaks a convention,
so the demo shows a correction followup. Everything else is the real Baton: git, the test
command, validation, state and the knowledge base.
"""

from __future__ import annotations

import shlex
import shutil
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from bot.errors import BatonError
from bot.local import LocalRun, run_local
from bot.planning.plan_run import PlanOptions, PlanOutcome, run_plan
from bot.runtime import Project, Runtime
from bot.workspace import Git

CHAIN = "api-tests"
GOAL = (
    "Take the Bookshelf API from zero tests to full coverage of its endpoints: a shared "
    "in-process test client first, then tests for each area and for the error paths."
)


def demo_assets() -> Path:
    """examples/demo, from a source checkout or from the installed package."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "examples" / "demo", here / "_demo"):
        if (candidate / "project").is_dir():
            return candidate
    raise BatonError("the demo files are missing from this installation", hint="reinstall baton")


def demo_config(assets: Path) -> str:
    python = shlex.quote(sys.executable)
    chain = shlex.quote(str(assets / "project" / "tickets" / f"{CHAIN}.yml"))
    agent = f"{python} {shlex.quote(str(assets / 'agent' / 'demo_agent.py'))} --chain-file {chain}"
    return (
        "# Written by `baton demo`. With a real agent, replace the `agent:` block, e.g.\n"
        "#   agent: {kind: claude}        or        agent: {kind: cursor-cli}\n"
        "agent:\n"
        "  kind: command\n"
        f'  command: "{agent} --prompt-file {{prompt_file}} --workdir {{workdir}}"\n'
        f'  resume_command: "{agent} --prompt-file {{prompt_file}} --workdir {{workdir}} --resume {{session_id}}"\n'
        "  timeout_minutes: 2\n"
        "validation:\n"
        f'  test_command: "{python} tools/run_tests.py"\n'
        "  coverage: coverage.json\n"
        "  test_timeout_minutes: 2\n"
        "  max_corrections: 2\n"
        "  evidence:\n"
        f'    tests_command: "{python} tools/run_tests.py {{tests}}"\n'
        "    mutants: 6\n"
        "    budget_minutes: 1\n"
    )


def create_demo_repo(
    directory: Path | None, environ: Mapping[str, str], *, tickets: bool = True
) -> Path:
    """A new repository with the demo's project, committed (`environ`: Baton's, for git);
    without its chain file unless `tickets`."""
    assets = demo_assets()
    target = directory or Path(tempfile.mkdtemp(prefix="baton-demo-"))
    if target.exists() and any(target.iterdir()):
        raise BatonError(f"{target} is not empty", hint="pass --dir with a new or empty directory")
    skip = shutil.ignore_patterns() if tickets else shutil.ignore_patterns("tickets")
    shutil.copytree(assets / "project", target, dirs_exist_ok=True, ignore=skip)
    (target / ".github").mkdir(exist_ok=True)
    (target / ".github" / "baton.yml").write_text(demo_config(assets), encoding="utf-8")
    git = Git(target, environ)
    git.run("init", "-q", "-b", "main")
    git.commit_all("Bookshelf API, before Baton")
    return target


def plan_demo(runtime: Runtime, directory: Path | None) -> tuple[Project, PlanOutcome]:
    """The demo's repository, its chain planned and the plan approved (committed: a person's
    step, which the demo takes for them)."""
    target = create_demo_repo(directory, runtime.environ, tickets=False)
    print(f"demo repository: {target}", file=sys.stderr)
    project = Project.open(target, runtime.environ)
    planned = run_plan(runtime, project, PlanOptions(GOAL, chain=CHAIN))
    if planned.written is None:
        raise BatonError(
            f"the demo's plan was refused: {planned.draft.error if planned.draft else 'no draft'}",
            hint="reinstall baton: the demo's files are not as shipped",
        )
    project.git.commit_all(f"Plan of chain {CHAIN}, approved")
    return project, planned


def run_demo(runtime: Runtime, project: Project) -> LocalRun:
    """The demo's chain, worked; the repository stays on the chain's branch, to be looked at."""
    return run_local(runtime, project, runtime.console(), return_home=False)
