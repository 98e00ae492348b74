"""The CPU one `baton` process costs, command by command.

    python -m benchmarks.startup     these figures alone, written into benchmarks/results.json

The test suite and every Actions job start `baton` many times over, so what a process spends
before its work (Python, the libraries it imports, the models it builds) adds up. Each command
runs as a whole process, the way people and CI run it, on a small repository: a chain of one
ticket whose agent writes one file, its test command `true`; the GitHub-mode ones against the
fake GitHub (tests/fakes), with nothing labelled for Baton. A figure is the process's user and
system CPU seconds, with the processes it waited for (git, the agent), median of `repeat`.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from benchmarks.record import record
from tests.e2e.github_support import config_text, github_env
from tests.fakes.github import FakeGitHub

BATON = Path(sys.executable).with_name("baton")

AGENT = "import pathlib; pathlib.Path('a.txt').write_text('done\\n')\n"
TICKETS = """\
tickets:
  - key: first
    title: Do the first thing
    goal: Create a.txt.
    files: {create: [a.txt]}
"""


def process_cpu(argv: list[str], cwd: Path, env: Mapping[str, str] | None = None) -> float:
    """The CPU seconds of the process `argv` and of the processes it waited for; it must succeed."""
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(
            argv, cwd=cwd, env={**os.environ, **(env or {})}, stdout=out, stderr=out
        )
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            out.seek(0)
            raise RuntimeError(f"{argv} failed:\n{out.read().decode(errors='replace')}")
    return usage.ru_utime + usage.ru_stime


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def _commit_all(repo: Path, message: str) -> None:
    _git(repo, "add", "-A")
    _git(
        repo,
        "-c",
        "user.name=Bench",
        "-c",
        "user.email=bench@example.invalid",
        "commit",
        "-qm",
        message,
    )


def _repository(path: Path) -> Path:
    """A repository on `main` with one chain of one ticket, its agent a one-line script."""
    (path / "tickets").mkdir(parents=True)
    (path / "tickets" / "work.yml").write_text(TICKETS)
    (path / "agent.py").write_text(AGENT)
    config = {
        "agent": {"kind": "command", "command": f"{sys.executable} agent.py {{prompt_file}}"},
        "validation": {"test_command": "true"},
        "sandbox": "off",
    }
    (path / ".github").mkdir()
    (path / ".github" / "baton.yml").write_text(json.dumps(config))
    _git(path, "init", "-q", "-b", "main")
    _commit_all(path, "start")
    return path


def _median(measure: Callable[[], float], repeat: int) -> float:
    return round(statistics.median(measure() for _ in range(repeat)), 4)


def local_commands(root: Path, repeat: int) -> dict[str, float]:
    baton = str(BATON)
    repo = _repository(root / "repo")
    config = repo / ".github" / "baton.yml"
    counter = iter(range(10**6))

    def run_local() -> float:
        work = root / f"run-{next(counter)}"
        _git(root, "clone", "-q", str(repo), str(work))
        return process_cpu([baton, "run", "--local"], work)

    def init() -> float:
        fresh = root / f"init-{next(counter)}"
        fresh.mkdir()
        _git(fresh, "init", "-q", "-b", "main")
        return process_cpu([baton, "init", "--agent", "command"], fresh)

    # The change `baton review` reads, on a branch of its own: the runs start from `main`.
    _git(repo, "checkout", "-qb", "change")
    (repo / "src.py").write_text("print('hello')\n")
    _commit_all(repo, "change")
    _git(repo, "checkout", "-q", "main")
    return {
        "version": _median(lambda: process_cpu([baton, "--version"], root), repeat),
        "config_check": _median(
            lambda: process_cpu([baton, "config", "check", str(config)], root), repeat
        ),
        "chains_local": _median(lambda: process_cpu([baton, "chains", "--json"], repo), repeat),
        "review": _median(
            lambda: process_cpu([baton, "review", "--base", "main", "--head", "change"], repo),
            repeat,
        ),
        "init": _median(init, repeat),
        "run_local": _median(run_local, repeat),
    }


def github_commands(root: Path, repeat: int) -> dict[str, float]:
    """Against the fake GitHub, with no issue labelled for Baton: what a scheduled pass and the
    plan job of the workflow cost when there is nothing to do."""
    baton = str(BATON)
    files = {"README.md": "# bench\n", ".github/baton.yml": config_text(root / "agent.py")}
    with FakeGitHub(root, files=files) as fake:
        work = root / "checkout"
        subprocess.run(["git", "clone", "-q", str(fake.git_dir), str(work)], check=True)
        env = github_env(fake)
        return {
            "chains_github": _median(
                lambda: process_cpu([baton, "chains", "--json"], work, env), repeat
            ),
            "run_github": _median(lambda: process_cpu([baton, "run"], work, env), repeat),
        }


def startup_cpu(repeat: int = 1) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "local").mkdir()
        (root / "github").mkdir()
        figures: dict[str, Any] = {
            **local_commands(root / "local", repeat),
            **github_commands(root / "github", repeat),
        }
    figures["repeat"] = repeat
    return figures


def main() -> int:
    return record("startup_cpu", startup_cpu(repeat=5))


if __name__ == "__main__":
    sys.exit(main())
