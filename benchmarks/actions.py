"""Baton on GitHub Actions, measured in the workflow simulation of tests/actions: Baton's own
workflow run as Actions runs it (each job in a fresh clone and HOME, its token scoped to its
permissions), against the fake GitHub, with the CLI-like agent of tests/fakes/agents/home_cli.py
taking a fixed time per call and a test command taking a fixed time per run.

- A chain that fits one job: its wall time over the agent's and the tests' time, the jobs that
  started (billed), the sessions and attempts, the rate-limit units.
- An idle pass of the schedule (the safety net): what one costs from a fresh runner, and so a
  day of them.

The runner's own set-up is not GitHub's: installing Baton and the agent is emulated (see
tests/actions/substitutions.py), so a job starts in about a second here and in about a minute on
a GitHub-hosted runner. The chain's own time is Baton's `Run Baton` step.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from pathlib import Path
from typing import Any

from bot.init import DEFAULT_SCHEDULE, runs_per_day
from bot.sandbox.bwrap import probe
from tests.actions import chains, events, substitutions
from tests.actions.chains import CHAIN, chain_state, started
from tests.actions.records import WorkflowRun
from tests.actions.runner import Runner

# GitHub bills each job of a GitHub-hosted runner rounded up to a whole minute.
BILLED_MINUTE = 60.0


def sandbox() -> str | None:
    """Baton's default sandbox where bubblewrap works here, else `off` (said in the results)."""
    exe = shutil.which("bwrap")
    return None if exe is not None and probe(exe) is None else "off"


def _seconds(run: WorkflowRun) -> float:
    begun = [j.started_at for j in run.jobs if j.started_at is not None]
    ended = [j.finished_at for j in run.jobs if j.finished_at is not None]
    return (max(ended) - min(begun)).total_seconds() if begun else 0.0


def chain_in_one_job(
    tickets: int, agent_seconds: float, test_seconds: float, *, warm: bool = False
) -> dict[str, Any]:
    """A milestone of `tickets` labelled issues, started by one trigger (the schedule's event,
    which needs no webhook example), worked by the chain job; then an idle pass. `warm`: each
    `baton` a child of the tests' warm server (tests/warm_baton.py), as in the tests, for a run
    that only counts; else a new interpreter, as installed, for one that times Baton's steps."""
    mode = sandbox()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with chains.repository(
            root,
            tickets=tickets,
            seconds=agent_seconds,
            test_seconds=test_seconds,
            sandbox=mode,
        ) as fake:
            steps = substitutions.BATON if warm else substitutions.BATON_AS_INSTALLED
            runner = Runner(fake, root / "actions", substitutions=steps)
            fake.reset_counters()
            run = runner.run(chains.WORKFLOW, events.schedule(DEFAULT_SCHEDULE))
            units = fake.units
            job = run.job("run", chain=CHAIN)
            if job.result != "success":
                raise RuntimeError(run.describe() + "\n" + job.log[-4000:])
            state = chain_state(fake)
            if not state.finished:
                raise RuntimeError(f"the chain did not finish in one job:\n{job.log[-4000:]}")
            tries = [a for t in state.tickets.values() for a in t.attempts]
            agent = sum(a.agent.duration_s for a in tries if a.agent)
            tests = sum(
                a.validation.command.duration_s
                for a in tries
                if a.validation and a.validation.command
            )
            baton = job.step("Run Baton").seconds
            whole = _seconds(run)
            idle = [_idle_pass(runner, fake) for _ in range(2)]
    jobs = started(run)
    return {
        "tickets": tickets,
        "agent_seconds_per_call": agent_seconds,
        "test_seconds_per_run": test_seconds,
        "sandbox": mode or "bwrap",
        "jobs_started": len(jobs),
        "jobs": [j.job_id for j in jobs],
        "sessions": len(state.sessions),
        "attempts": len(tries),
        "dispatches": len(fake.dispatches),
        "agent_seconds": round(agent, 3),
        "test_seconds": round(tests, 3),
        "baton_step_seconds": round(baton, 3),
        "run_seconds": round(whole, 3),
        "wall_over_agent_and_tests": round(baton / (agent + tests), 4),
        "run_wall_over_agent_and_tests": round(whole / (agent + tests), 4),
        "overhead_seconds_per_ticket": round((baton - agent - tests) / tickets, 3),
        "units": units,
        "idle": idle[0],
        "idle_again": idle[1],
    }


def _idle_pass(runner: Runner, fake: Any) -> dict[str, Any]:
    """One run of the schedule with nothing to do, on fresh runners."""
    fake.reset_counters()
    run = runner.run(chains.WORKFLOW, events.schedule(DEFAULT_SCHEDULE))
    if run.job("plan").outputs != {"chains": "[]"}:
        raise RuntimeError("an idle pass found work:\n" + run.describe())
    jobs = started(run)
    return {
        "jobs_started": len(jobs),
        "units": fake.units,
        "requests": len(fake.requests),
        "job_seconds": round(sum(_job_seconds(j) for j in jobs), 3),
        "billed_minutes": sum(math.ceil(max(_job_seconds(j), 1) / BILLED_MINUTE) for j in jobs),
    }


def _job_seconds(job: Any) -> float:
    if job.started_at is None or job.finished_at is None:
        return 0.0
    return float((job.finished_at - job.started_at).total_seconds())


def idle_day(idle: dict[str, Any], schedule: str = DEFAULT_SCHEDULE) -> dict[str, Any]:
    """A day with nothing to do: the schedule's runs, each one idle pass."""
    runs = runs_per_day(schedule)
    return {
        "schedule": schedule,
        "runs": runs,
        "jobs": runs * idle["jobs_started"],
        "billed_runner_minutes": runs * idle["billed_minutes"],
        "units": runs * idle["units"],
    }
