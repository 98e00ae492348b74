"""Baton's own cost, measured against the limits it must live within.

    python -m benchmarks.run           every scenario, timings repeated (median)
    python -m benchmarks.run --quick   the counted targets exactly, timings once (CI)

Writes benchmarks/results.json and prints a table. Counted figures (rate-limit units) must meet
their targets (exit 1 otherwise); timings are recorded, never asserted: a busy machine is no bug.
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

from bot.chain import Policy, plan
from bot.cli import cli
from bot.demo import create_demo_repo
from bot.issue_form import render_issue_body
from bot.ordering import work_order
from bot.state import ChainState, TicketState
from bot.tickets import Ticket, TicketFiles
from tests.e2e.github_support import AGENT, config_text
from tests.fakes.github import FakeGitHub

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results.json"
TARGETS = {
    "units_per_ticket_happy": 15,
    "idle_units": 0,
    "plan_cpu_seconds": 2.0,
    "plan_peak_mb": 200,
    "help_seconds": 0.3,
    "agent_overhead_share": 0.02,
}


def _github_env(fake: FakeGitHub, work: Path) -> dict[str, str]:
    return {
        "AGENT_LOG": str(work.parent / "agent.log"),
        "GITHUB_REPOSITORY": fake.full_name,
        "GITHUB_API_URL": fake.url,
        "GITHUB_TOKEN": fake.app_token,
        "BATON_BOT_LOGIN": fake.bot_login,
        "BATON_GIT_REMOTE": str(fake.git_dir),
        "BATON_GITHUB_WRITE_INTERVAL": "0",
    }


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
            env = _github_env(fake, work)
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
    """1,000 open tickets in 50 chains: one planning pass over all of them, CPU time and peak
    memory (the chains' states and tickets built first, outside the measurement)."""
    work = []
    for c in range(chains):
        tickets = [
            Ticket(
                key=f"t{i}",
                goal=f"goal {i}",
                files=TicketFiles(create=[f"f{i}.py"]),
                depends_on=[f"t{i - 1}"] if i else [],
                chain=f"c{c}",
            )
            for i in range(per_chain)
        ]
        state = ChainState(
            name=f"c{c}",
            branch=f"baton/c{c}",
            base_branch="main",
            prepared=True,
            tickets={str(t.key): TicketState(key=str(t.key), spec=t) for t in tickets},
        )
        work.append((state, tickets))
    tracemalloc.start()
    started = time.process_time()
    actions = [plan(state, work_order(tickets), Policy()) for state, tickets in work]
    cpu = time.process_time() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert all(a for a in actions)
    return {
        "tickets": chains * per_chain,
        "chains": chains,
        "cpu_seconds": round(cpu, 4),
        "peak_mb": round(peak / 2**20, 2),
    }


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
        repo = create_demo_repo(Path(tmp) / "demo")
        return {
            "help_seconds": _median_wall([baton, "--help"], repeat),
            "dry_run_seconds": _median_wall(
                [baton, "run", "--local", "--dry-run"], repeat, cwd=repo
            ),
            "repeat": repeat,
        }


def demo_chain_overhead() -> dict[str, Any]:
    """The demo chain in local mode with an agent that takes a fixed time per run: the share of
    the chain's wall time spent outside the agent (git, validation set-up, state, knowledge)."""
    with tempfile.TemporaryDirectory() as tmp:
        repo = create_demo_repo(Path(tmp) / "demo")
        config = repo / ".github" / "baton.yml"
        sleeper = Path(tmp) / "sleeper.py"
        sleeper.write_text(
            "import os, subprocess, sys, time\n"
            "time.sleep(1.0)\n"
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
        validations = [a["validation"]["command"]["duration_s"] for a in attempts]
        outside = total - agent - tests
        return {
            "attempts": len(attempts),
            "total_seconds": round(total, 3),
            "agent_seconds": round(agent, 3),
            "test_seconds": round(tests, 3),
            "share_outside_agent": round((total - agent) / total, 4),
            "share_dispatcher_only": round(outside / total, 4),
            "first_validation_seconds": validations[0],
            "second_validation_seconds": validations[1],
        }


def _time(label: str, fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    print(f"… {label}", file=sys.stderr)
    return fn()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="counted targets only; timings once")
    args = parser.parse_args()
    os.environ.setdefault("BATON_GITHUB_WRITE_INTERVAL", "0")
    repeat = 1 if args.quick else 7
    results: dict[str, Any] = {
        "mode": "quick" if args.quick else "full",
        "units_happy": _time("units, happy path", lambda: github_units(3, 0)),
        "units_corrections": _time("units, two corrections", lambda: github_units(3, 2)),
        "planning": _time("planning pass", planning_pass),
        "startup": _time("start-up", lambda: startup(repeat)),
        "overhead": _time("agent overhead", demo_chain_overhead),
        "targets": TARGETS,
    }
    checks = {
        "units_per_ticket_happy": results["units_happy"]["units_per_ticket"]
        <= TARGETS["units_per_ticket_happy"],
        "client_and_fake_agree": all(
            results[k]["units_client"] == results[k]["units_fake"]
            for k in ("units_happy", "units_corrections")
        ),
        "idle_units": results["units_happy"]["idle_units_fake"] == TARGETS["idle_units"],
    }
    results["checks"] = checks
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    rows = [
        (
            "units per ticket, happy path",
            results["units_happy"]["units_per_ticket"],
            f"≤ {TARGETS['units_per_ticket_happy']}",
        ),
        (
            "units per ticket, two corrections",
            results["units_corrections"]["units_per_ticket"],
            "-",
        ),
        ("units, idle reconcile", results["units_happy"]["idle_units_fake"], "0"),
        ("planning pass, 1,000 tickets: CPU s", results["planning"]["cpu_seconds"], "< 2"),
        ("planning pass: peak MB", results["planning"]["peak_mb"], "< 200"),
        ("baton --help: s", results["startup"]["help_seconds"], "< 0.3"),
        ("baton run --dry-run: s", results["startup"]["dry_run_seconds"], "-"),
        (
            "validation set-up: first / second s",
            f"{results['overhead']['first_validation_seconds']} / {results['overhead']['second_validation_seconds']}",
            "-",
        ),
        ("dispatcher share of chain time", results["overhead"]["share_dispatcher_only"], "< 0.02"),
    ]
    print(f"{'figure':40} {'measured':>12}  target")
    for name, value, target in rows:
        print(f"{name:40} {value!s:>12}  {target}")
    failed = [k for k, ok in checks.items() if not ok]
    if failed:
        print("targets missed: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
