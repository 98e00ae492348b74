"""The git processes Baton starts for a chain of three tickets in local mode (a counted figure).

    python -m benchmarks.git_calls     this figure alone, written into benchmarks/results.json

Each git process costs a few milliseconds of CPU (exec, the dynamic loader, page faults) besides
its start from Python. A `git` first on PATH records every call of Baton's own git (each carries
Baton's guard options, `bot.git_guard`) and runs the real one; the figure is their number, in all
and by git command, for one `baton run --local` that passes three tickets with a scripted agent
and a trivial test command.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from benchmarks.record import record
from bot.cli import cli
from bot.git_guard import OVERRIDES
from tests.e2e.helpers import make_repo

# Every git call of Baton's carries this option; the test helpers' plain git calls do not.
GUARD = "=".join(OVERRIDES[0])
AGENT = """\
import pathlib, re, sys
prompt = pathlib.Path(sys.argv[1]).read_text()
pathlib.Path(re.search(r"Only these files may change: `([^`]+)`", prompt).group(1)).write_text("ok")
"""
TICKETS = """\
tickets:
  - {key: one, title: One, goal: Create a.txt., files: {create: [a.txt]}}
  - {key: two, title: Two, goal: Create b.txt., files: {create: [b.txt]}, depends_on: [one]}
  - {key: three, title: Three, goal: Create c.txt., files: {create: [c.txt]}, depends_on: [two]}
"""
RECORDER = """\
#!/bin/sh
case " $* " in *" {guard} "*) printf '%s\\n' "$*" >> {log} ;; esac
exec {git} "$@"
"""


def _command(line: str) -> str:
    """The git command of a recorded call: the first word after git's own options."""
    words = line.split()
    i = 0
    while i < len(words) and words[i].startswith("-"):
        i += 2 if words[i] in {"-c", "-C"} else 1
    return words[i] if i < len(words) else "?"


def local_chain_git_calls() -> dict[str, Any]:
    """Baton's git calls for a local chain of three tickets: in all, and by git command."""
    git = shutil.which("git")
    if git is None:
        raise RuntimeError("git is not on PATH")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        repo = make_repo(
            root / "repo", agent_script=AGENT, tickets=TICKETS, test_command="true", sandbox="off"
        )
        log = root / "git-calls.log"
        recorder = root / "bin" / "git"
        recorder.parent.mkdir()
        recorder.write_text(
            RECORDER.format(guard=GUARD, log=shlex.quote(str(log)), git=shlex.quote(git))
        )
        recorder.chmod(0o755)
        path = f"{recorder.parent}{os.pathsep}{os.environ.get('PATH', '')}"
        result = CliRunner().invoke(
            cli, ["run", "--local", "--repo", str(repo)], env={"PATH": path}
        )
        if result.exit_code != 0:
            raise RuntimeError(result.output)
        state = json.loads((repo / ".baton" / "state.json").read_text())
        statuses = {t["status"] for t in state["chains"]["work"]["tickets"].values()}
        if statuses != {"passed"}:
            raise RuntimeError(f"the chain did not pass: {statuses}")
        calls = log.read_text().splitlines()
    by_command = Counter(_command(line) for line in calls)
    return {"tickets": 3, "calls": len(calls), "by_command": dict(by_command.most_common())}


def main() -> int:
    return record("git_calls", local_chain_git_calls())


if __name__ == "__main__":
    sys.exit(main())
