"""Baton's own cost, measured against the limits it must live within.

    python -m benchmarks.run           every scenario, timings repeated (median)
    python -m benchmarks.run --quick   the counted targets exactly, nothing timed (CI)

Writes benchmarks/results.json and prints a table. Counted figures (rate-limit units, jobs,
sessions) must meet their targets (exit 1 otherwise); timings are recorded, never asserted: a busy
machine is no bug. The quick run, beside the tests in `./dev check`, times nothing: there a timing
would measure the tests' load. On GitHub Actions (benchmarks/actions.py): a chain worked by its
one job in the workflow simulation, with an agent of fixed duration; the quick mode runs the
3-ticket chain with a short agent and each `baton` forked from the tests' warm server, the full one
the 3- and 8-ticket chains with a longer one and each `baton` a new interpreter, as installed. Slack
(benchmarks/slack.py): its API calls per ticket (both modes); the full run also works a chain of
60 quick tickets without Slack, with Slack under its documented rate limits, and under each of
Slack's failures, some four minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from benchmarks import slack as slack_figures
from benchmarks.actions import chain_in_one_job, idle_day
from benchmarks.evidence import evidence_cost
from benchmarks.git_calls import local_chain_git_calls
from benchmarks.redaction import slowest_redaction
from benchmarks.rules import slowest_rule
from benchmarks.slack import CHAIN_MESSAGES, calls_per_ticket, slack_cost
from benchmarks.startup import startup_cpu
from bot.chain import Policy, plan
from bot.cli import cli
from bot.demo import create_demo_repo
from bot.issue_form import render_issue_body
from bot.ordering import work_order
from bot.redact import Redactor
from bot.state import ChainState, StoreData, TicketState
from bot.tickets import Ticket, TicketFiles
from tests.e2e.github_support import AGENT, config_text, github_env
from tests.fakes.github import FakeGitHub
from tests.reliability.test_secrets import CURSOR_API_KEY, HOSTILE

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results.json"
TARGETS = {
    "units_per_ticket_happy": 15,
    "idle_units": 0,
    "plan_cpu_seconds": 2.0,
    "plan_peak_mb": 200,
    "help_seconds": 0.3,
    "agent_overhead_share": 0.02,
    # On Actions: a chain that fits one job takes the plan job and its chain job, one session,
    # and its wall time is the agent's and the tests' time (recorded, not asserted); the
    # schedule, a safety net, starts at most one job an hour when there is nothing to do.
    "actions_jobs_per_chain": 2,
    "actions_sessions_per_chain": 1,
    "actions_wall_over_agent_and_tests": 1.05,
    "actions_idle_jobs_per_day": 24,
    # A rule's regex over a 100 kB hostile line (benchmarks/rules.py), CPU seconds: recorded.
    "rule_slowest_cpu_seconds": 1.0,
    # Baton's git processes for a local chain of 3 tickets (benchmarks/git_calls.py); two of them
    # return the user to the branch the run began on (a status, a checkout).
    "git_calls_chain_of_3": 40,
    # Slack (benchmarks/slack.py): one chain message whatever Slack does, and the chain's result
    # the same as without Slack under each of its failures.
    "slack_chain_messages": CHAIN_MESSAGES,
}
# The agent's and the test command's fixed durations (seconds) in the Actions simulation.
ACTIONS_QUICK = (1.0, 0.2)
ACTIONS_FULL = (20.0, 5.0)


def github_units(tickets: int, corrections: int) -> dict[str, Any]:
    """One chain of `tickets` issues; the first ticket's first `corrections` attempts fail."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        agent = root / "agent.py"
        # The test command fails while a marker file holds a positive count: corrections needed.
        agent.write_text(AGENT)
        budget = root / "fails"
        budget.write_text(str(corrections))
        test = f'{sys.executable} -c "import pathlib,sys; p=pathlib.Path({str(budget)!r}); n=int(p.read_text()); p.write_text(str(max(n-1,0))); sys.exit(1 if n>0 else 0)"'
        files = {
            "README.md": "# bench\n",
            ".github/baton.yml": config_text(agent).replace(
                "test -d work", test.replace('"', '\\"')
            ),
        }
        with FakeGitHub(root, files=files) as fake:
            for i in range(tickets):
                ticket = Ticket(
                    goal=f"Create work/{i}.txt.", files=TicketFiles(create=[f"work/{i}.txt"])
                )
                fake.add_issue(
                    f"Ticket {i}",
                    render_issue_body(ticket),
                    labels=["ready-for-agent"],
                    milestone="Bench",
                )
            work = root / "checkout"
            subprocess.run(["git", "clone", "-q", str(fake.git_dir), str(work)], check=True)
            env = github_env(fake, AGENT_LOG=str(work.parent / "agent.log"))
            fake.reset_counters()
            result = CliRunner().invoke(cli, ["run", "--repo", str(work), "--stats"], env=env)
            if result.exit_code != 0:
                raise RuntimeError(result.output)
            line = next(ln for ln in result.output.splitlines() if ln.startswith("GitHub:"))
            client_units = int(line.split(" requests, ")[1].split(" ")[0])
            run_units = fake.units
            fake.reset_counters()
            idle = CliRunner().invoke(cli, ["run", "--repo", str(work), "--stats"], env=env)
            idle_line = next(ln for ln in idle.output.splitlines() if ln.startswith("GitHub:"))
            return {
                "tickets": tickets,
                "corrections": corrections,
                "units_client": client_units,
                "units_fake": run_units,
                "units_per_ticket": round(run_units / tickets, 2),
                "idle_units_client": int(idle_line.split(" requests, ")[1].split(" ")[0]),
                "idle_units_fake": fake.units,
            }


def planning_pass(chains: int = 50, per_chain: int = 20) -> dict[str, Any]:
    """1,000 open tickets in 50 chains: one planning pass as a run makes it, from the stored state
    (JSON) to each chain's next action: CPU time and peak memory."""
    stored = StoreData()
    tickets_of: dict[str, list[Ticket]] = {}
    for c in range(chains):
        tickets = [
            Ticket(
                key=f"t{i}",
                title=f"Ticket {i} of chain {c}",
                goal=f"Make part {i} work, as described at length in the issue. " * 5,
                files=TicketFiles(create=[f"src/c{c}/f{i}.py"], read=["README.md"]),
                acceptance=[f"criterion {k}" for k in range(5)],
                depends_on=[f"t{i - 1}"] if i else [],
                chain=f"c{c}",
            )
            for i in range(per_chain)
        ]
        tickets_of[f"c{c}"] = tickets
        stored.chains[f"c{c}"] = ChainState(
            name=f"c{c}",
            branch=f"baton/c{c}",
            base_branch="main",
            prepared=True,
            tickets={str(t.key): TicketState(key=str(t.key), spec=t) for t in tickets},
        )
    text = stored.model_dump_json()
    tracemalloc.start()
    started = time.process_time()
    data = StoreData.model_validate_json(text)
    actions = [
        plan(data.chains[name], work_order(tickets), Policy())
        for name, tickets in tickets_of.items()
    ]
    cpu = time.process_time() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    if not all(actions):
        raise RuntimeError("a chain had nothing to do")
    return {
        "tickets": chains * per_chain,
        "chains": chains,
        "state_mb": round(len(text) / 2**20, 2),
        "cpu_seconds": round(cpu, 4),
        "peak_mb": round(peak / 2**20, 2),
    }


def redaction(repeat: int) -> dict[str, Any]:
    """Redacting text made to slow a scan down (the reliability tests' hostile texts): the
    slowest one's seconds (median of `repeat`)."""
    redact = Redactor([CURSOR_API_KEY])
    slowest = 0.0
    for text in HOSTILE:
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            redact(text)
            times.append(time.perf_counter() - started)
        slowest = max(slowest, statistics.median(times))
    return {"texts": len(HOSTILE), "slowest_seconds": round(slowest, 4), "repeat": repeat}


def _median_wall(argv: list[str], repeat: int, cwd: Path | None = None) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(argv, cwd=cwd, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 4)


def startup(repeat: int) -> dict[str, Any]:
    baton = str(Path(sys.executable).parent / "baton")
    with tempfile.TemporaryDirectory() as tmp:
        repo = create_demo_repo(Path(tmp) / "demo", os.environ)
        return {
            "help_seconds": _median_wall([baton, "--help"], repeat),
            "dry_run_seconds": _median_wall(
                [baton, "run", "--local", "--dry-run"], repeat, cwd=repo
            ),
            "repeat": repeat,
        }


def demo_chain_overhead(agent_seconds: float) -> dict[str, Any]:
    """The demo chain in local mode with an agent that takes a fixed time per run: the share of
    the chain's wall time spent outside the agent, and outside the agent and the tests (git,
    validation set-up, state, knowledge: the dispatcher's own)."""
    with tempfile.TemporaryDirectory() as tmp:
        repo = create_demo_repo(Path(tmp) / "demo", os.environ)
        config = repo / ".github" / "baton.yml"
        sleeper = Path(tmp) / "sleeper.py"
        sleeper.write_text(
            "import os, subprocess, sys, time\n"
            f"time.sleep({agent_seconds})\n"
            "sys.exit(subprocess.call([sys.executable, *sys.argv[1:]]))\n"
        )
        text = config.read_text().replace(f"{sys.executable} ", f"{sys.executable} {sleeper} ", 2)
        config.write_text(text)
        subprocess.run(["git", "-C", str(repo), "commit", "-qam", "slow agent"], check=True)
        started = time.perf_counter()
        result = CliRunner().invoke(cli, ["run", "--local", "--repo", str(repo)])
        total = time.perf_counter() - started
        if result.exit_code != 0:
            raise RuntimeError(result.output)
        state = json.loads((repo / ".baton" / "state.json").read_text())
        attempts = [
            a for t in state["chains"]["api-tests"]["tickets"].values() for a in t["attempts"]
        ]
        agent = sum(a["agent"]["duration_s"] for a in attempts)
        tests = sum(a["validation"]["command"]["duration_s"] for a in attempts)
        # Phase 3 runs the tests again (the base, the sabotage): test time, not the dispatcher's.
        evidence = sum((a["validation"]["evidence"] or {}).get("duration_s", 0) for a in attempts)
        setups = [a["validation"]["setup_s"] for a in attempts]
        reviews = [a["validation"]["review_s"] for a in attempts]
        outside = total - agent - tests - evidence
        return {
            "attempts": len(attempts),
            "total_seconds": round(total, 3),
            "agent_seconds": round(agent, 3),
            "test_seconds": round(tests, 3),
            "evidence_seconds": round(evidence, 3),
            "share_outside_agent": round((total - agent) / total, 4),
            "share_dispatcher_only": round(outside / total, 4),
            "first_validation_setup_seconds": setups[0],
            "second_validation_setup_seconds": setups[1],
            "review_seconds_median": round(statistics.median(reviews), 4),
        }


def _actions_rows(on_actions: dict[str, Any]) -> list[tuple[str, Any, str]]:
    three, eight, day = on_actions["chain_of_3"], on_actions["chain_of_8"], on_actions["idle_day"]
    chains = [three, eight] if eight else [three]

    def both(key: str) -> str:
        return " / ".join(str(c[key]) for c in chains)

    label = "3 / 8 tickets" if eight else "3 tickets"
    agent = (
        f"{three['agent_seconds_per_call']:g} s agent, {three['test_seconds_per_run']:g} s tests"
    )
    return [
        (f"Actions: jobs per chain ({label})", both("jobs_started"), "2"),
        (f"Actions: sessions per chain ({label})", both("sessions"), "1"),
        (
            f"Actions: wall / (agent + tests) ({label})",
            both("wall_over_agent_and_tests"),
            "<= 1.05",
        ),
        (f"Actions: overhead s per ticket ({agent})", both("overhead_seconds_per_ticket"), "-"),
        (f"Actions: units per chain ({label})", both("units"), "-"),
        ("Actions: idle jobs a day (hourly)", day["jobs"], "<= 24"),
        ("Actions: billed minutes per idle day", day["billed_runner_minutes"], "-"),
        ("Actions: units per idle pass (fresh)", three["idle"]["units"], "-"),
        ("Actions: units per idle day", day["units"], "-"),
    ]


def _timing_rows(results: dict[str, Any]) -> list[tuple[str, Any, str]]:
    if results["mode"] == "quick":
        return []  # the quick run times nothing
    overhead = results["overhead"]
    return [
        ("planning 1,000 tickets: CPU s", results["planning"]["cpu_seconds"], "< 2"),
        ("planning 1,000 tickets: peak MB", results["planning"]["peak_mb"], "< 200"),
        ("baton --help: s (median)", results["startup"]["help_seconds"], "< 0.3"),
        ("baton run --dry-run: s (median)", results["startup"]["dry_run_seconds"], "-"),
        ("redacting hostile text: s (slowest)", results["hostile_text"]["slowest_seconds"], "-"),
        (
            "validation set-up 1st / 2nd: s",
            f"{overhead['first_validation_setup_seconds']} / "
            f"{overhead['second_validation_setup_seconds']}",
            "-",
        ),
        ("convention review: s (median)", overhead["review_seconds_median"], "-"),
        ("dispatcher share of chain time", overhead["share_dispatcher_only"], "< 0.02"),
        (
            "slowest rule, 100 kB hostile line: CPU s",
            results["rules"]["slowest_cpu_seconds"],
            "< 1",
        ),
        (
            "slowest redaction, 100 kB hostile text: CPU s",
            results["redaction"]["slowest_cpu_seconds"],
            "< 1",
        ),
    ]


def _startup_rows(figures: dict[str, Any] | None) -> list[tuple[str, Any, str]]:
    if figures is None:
        return []
    commands = [k for k in figures if k != "repeat"]
    return [(f"CPU s of one process: {k.replace('_', ' ')}", figures[k], "-") for k in commands]


def _evidence_rows(figures: dict[str, Any] | None) -> list[tuple[str, Any, str]]:
    if figures is None:
        return []
    return [
        ("evidence on the demo: mutants per second", figures["mutants_per_second"], "-"),
        ("evidence on the demo: slowest attempt s", figures["slowest_attempt_seconds"], "-"),
    ]


def _slack_rows(slack: dict[str, Any]) -> list[tuple[str, Any, str]]:
    calls = slack["calls"]
    rows: list[tuple[str, Any, str]] = [
        (
            f"Slack: API calls per ticket ({calls['tickets']} tickets)",
            calls["calls_per_ticket"],
            "-",
        )
    ]
    beside = slack_figures.runs(slack)
    if beside:
        without = slack["without_slack"]
        rows.append(
            (
                f"Slack: chain of {without['tickets']}, s without Slack",
                without["chain_seconds"],
                "-",
            )
        )
    for name, run in beside.items():
        rows.append(
            (
                f"Slack: {name.replace('_', ' ')}: same result, wall ratio, flush s",
                f"{'yes' if run['result_same'] else 'NO'} {run['wall_ratio']} "
                f"{run['flush_seconds']:g}",
                "yes <= 1.1",
            )
        )
    return rows


def _time(label: str, fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    print(f"… {label}", file=sys.stderr)
    return fn()


def timings() -> dict[str, Any]:
    """The figures that are times and sizes, each median of a few rounds: recorded, never
    asserted."""
    return {
        "planning": _time("planning pass", planning_pass),
        "startup": _time("start-up", lambda: startup(7)),
        "hostile_text": _time("redaction of hostile text", lambda: redaction(7)),
        "overhead": _time("agent overhead", lambda: demo_chain_overhead(3.0)),
        "rules": _time("rules on hostile lines", lambda: slowest_rule(3)),
        "redaction": _time("redaction of hostile texts", lambda: slowest_redaction(3)),
        # Whole `baton` processes, some ten seconds a round.
        "startup_cpu": _time("CPU per command", lambda: startup_cpu(3)),
        # The demo chain with phase 3 on, some ten seconds.
        "evidence": _time("evidence on the demo", evidence_cost),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="counted targets only, nothing timed")
    args = parser.parse_args()
    os.environ.setdefault("BATON_GITHUB_WRITE_INTERVAL", "0")
    # The benchmarks' own commits need an identity; a fresh machine has none configured.
    for who in ("AUTHOR", "COMMITTER"):
        os.environ.setdefault(f"GIT_{who}_NAME", "Baton Benchmarks")
        os.environ.setdefault(f"GIT_{who}_EMAIL", "benchmarks@example.invalid")
    short = _time("units, a chain of 3", lambda: github_units(3, 0))
    longer = _time("units, a chain of 6", lambda: github_units(6, 0))
    corrected = _time("units, two corrections", lambda: github_units(3, 2))
    # What one more ticket costs, and what a chain costs whatever its length (the state branch
    # on the first run, the pull request, the knowledge commit, the polls).
    per_ticket = (longer["units_fake"] - short["units_fake"]) / (
        longer["tickets"] - short["tickets"]
    )
    results: dict[str, Any] = {
        "mode": "quick" if args.quick else "full",
        "units": {
            "per_ticket": round(per_ticket, 2),
            "per_chain": round(short["units_fake"] - per_ticket * short["tickets"], 2),
            "per_correction": round((corrected["units_fake"] - short["units_fake"]) / 2, 2),
            "chain_of_3": short,
            "chain_of_6": longer,
            "chain_of_3_two_corrections": corrected,
        },
        "git_calls": _time("git calls, a local chain of 3", local_chain_git_calls),
        # A 60-ticket chain ten times over, some at Slack's pace: the full run only.
        "slack": {"calls": _time("Slack calls per ticket", calls_per_ticket)}
        if args.quick
        else _time("Slack: a chain of 60, without Slack, with it, under its failures", slack_cost),
    }
    if not args.quick:
        results.update(timings())
    agent_s, test_s = ACTIONS_QUICK if args.quick else ACTIONS_FULL
    on_actions: dict[str, Any] = {
        "chain_of_3": _time(
            "Actions, a chain of 3",
            lambda: chain_in_one_job(3, agent_s, test_s, warm=args.quick),
        ),
        "chain_of_8": None
        if args.quick
        else _time("Actions, a chain of 8", lambda: chain_in_one_job(8, agent_s, test_s)),
    }
    on_actions["idle_day"] = idle_day(on_actions["chain_of_3"]["idle"])
    results["actions"] = on_actions
    results["targets"] = TARGETS
    runs = (short, longer, corrected)
    chain_runs = [r for r in (on_actions["chain_of_3"], on_actions["chain_of_8"]) if r]
    checks = {
        "units_per_ticket_happy": per_ticket <= TARGETS["units_per_ticket_happy"],
        "client_and_fake_agree": all(r["units_client"] == r["units_fake"] for r in runs),
        "idle_units": all(r["idle_units_fake"] == TARGETS["idle_units"] for r in runs),
        "actions_jobs_per_chain": all(
            r["jobs_started"] == TARGETS["actions_jobs_per_chain"] for r in chain_runs
        ),
        "actions_sessions_per_chain": all(
            r["sessions"] == TARGETS["actions_sessions_per_chain"] and r["dispatches"] == 0
            for r in chain_runs
        ),
        "actions_idle_jobs_per_day": on_actions["idle_day"]["jobs"]
        <= TARGETS["actions_idle_jobs_per_day"],
        "git_calls_chain_of_3": results["git_calls"]["calls"] <= TARGETS["git_calls_chain_of_3"],
        **slack_figures.checks(results["slack"]),
    }
    results["checks"] = checks
    # The full run's numbers are the ones the README shows; a quick run keeps its own file.
    target = RESULTS if not args.quick else RESULTS.with_name("results-quick.json")
    target.write_text(json.dumps(results, indent=2) + "\n")
    rows = [
        ("units per ticket (happy path)", results["units"]["per_ticket"], "<= 15"),
        ("units per chain (fixed)", results["units"]["per_chain"], "-"),
        ("units per correction", results["units"]["per_correction"], "-"),
        ("units, chain of 3 (all)", short["units_fake"], "-"),
        ("units, idle reconcile", max(r["idle_units_fake"] for r in runs), "0"),
        ("client and fake agree", checks["client_and_fake_agree"], "yes"),
        *_timing_rows(results),
        (
            "git processes, local chain of 3",
            results["git_calls"]["calls"],
            f"<= {TARGETS['git_calls_chain_of_3']}",
        ),
        *_startup_rows(results.get("startup_cpu")),
        *_evidence_rows(results.get("evidence")),
        *_slack_rows(results["slack"]),
        *_actions_rows(on_actions),
    ]
    width = max(len(name) for name, _, _ in rows)
    print(f"| {'figure':{width}} | {'measured':>14} | target |")
    print(f"| {'-' * width} | {'-' * 14} | ------ |")
    for name, value, goal in rows:
        print(f"| {name:{width}} | {value!s:>14} | {goal:6} |")
    failed = [k for k, ok in checks.items() if not ok]
    if failed:
        print("targets missed: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
