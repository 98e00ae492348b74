"""A benchmark run on its own (`python -m benchmarks.<name>`) writes its figures into
`benchmarks/results.json`, beside the others' (the file `benchmarks/run.py` writes whole)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).with_name("results.json")


def record(name: str, figures: dict[str, Any]) -> int:
    """Store `figures` under `name`, print them; the exit status (0)."""
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results[name] = figures
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    return 0


def record_checks(checks: dict[str, bool]) -> int:
    """Store `checks` among the file's `checks`, print them; the exit status (0)."""
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results["checks"] = {**results.get("checks", {}), **checks}
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(checks, indent=2))
    return 0
