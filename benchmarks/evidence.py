"""What phase 3 (evidence) costs on the demo chain: mutants per second, and the share of the
chain's validation time it takes.

    python -m benchmarks.evidence     these figures alone, written into benchmarks/results.json

`baton demo` runs its chain (six tickets, one of them corrected after the sabotage check
caught tests of a canned answerer); each attempt that adds tests records its evidence in the
chain state: the mutants tried and the time the phase took (the base's measure, the unbroken
run of the ticket's tests, and every mutant). Mutants per second is all mutants tried over all
that time; the bound is `validation.evidence.budget_minutes` per attempt. Beside it, the CPU
time to choose the mutants of a Python file of some 5,000 lines that a ticket only names (every
line a candidate; only those taken are parsed).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from benchmarks.record import record
from bot.cli import cli
from bot.demo import demo_assets
from bot.evidence.mutations import candidates, choose

BIG_FILE_COPIES = 28  # of the demo's app.py (179 lines): some 5,000 lines


def choosing_in_a_big_file() -> dict[str, Any]:
    app = (demo_assets() / "project" / "src" / "bookshelf" / "app.py").read_text()
    text = "\n".join([app] * BIG_FILE_COPIES)
    started = time.process_time()
    found = candidates("big.py", text)
    chosen = choose("big.py", text, found, 10)
    return {
        "lines": text.count("\n") + 1,
        "candidates": len(found),
        "chosen": len(chosen),
        "cpu_seconds": round(time.process_time() - started, 3),
    }


def evidence_cost() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "demo"
        started = time.perf_counter()
        result = CliRunner().invoke(cli, ["demo", "--dir", str(repo)])
        wall = time.perf_counter() - started
        if result.exit_code != 0:
            raise RuntimeError(result.output)
        state = json.loads((repo / ".baton" / "state.json").read_text())
    attempts = [a for t in state["chains"]["api-tests"]["tickets"].values() for a in t["attempts"]]
    validations = [a["validation"] for a in attempts if a.get("validation")]
    found = [v["evidence"] for v in validations if v.get("evidence") and v["evidence"]["new_tests"]]
    tried = [m for e in found for m in e["mutants"] if m["killed"] is not None]
    seconds = sum(e["duration_s"] for e in found)
    tests = sum(v["command"]["duration_s"] for v in validations if v.get("command"))
    return {
        "attempts_with_new_tests": len(found),
        "mutants_tried": len(tried),
        "mutants_killed": sum(bool(m["killed"]) for m in tried),
        "evidence_seconds": round(seconds, 3),
        "mutants_per_second": round(len(tried) / seconds, 2) if seconds else None,
        "slowest_attempt_seconds": round(max((e["duration_s"] for e in found), default=0), 3),
        "phase1_seconds": round(tests, 3),
        "demo_wall_seconds": round(wall, 2),
        "choosing_in_a_big_file": choosing_in_a_big_file(),
    }


def main() -> int:
    for who in ("AUTHOR", "COMMITTER"):
        os.environ.setdefault(f"GIT_{who}_NAME", "Baton Benchmarks")
        os.environ.setdefault(f"GIT_{who}_EMAIL", "benchmarks@example.invalid")
    return record("evidence", evidence_cost())


if __name__ == "__main__":
    sys.exit(main())
