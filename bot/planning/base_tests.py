"""The test command at the base commit, for the audit: run as validation runs it (the sandbox,
no credentials, its timeout and output lines), in a throwaway checkout of the base, so that the
working copy is never touched; and the counts its summary line gives, where it gives them."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.command_result import CommandResult
from bot.config import Config
from bot.sandbox import Sandbox
from bot.validation.command import run_test_command, share_with
from bot.workspace import Git

# pytest `3 passed, 1 failed`, jest `Tests: 1 failed, 3 passed, 4 total`, mocha `3 passing`,
# vitest `3 passed | 1 failed`, rspec `5 examples, 1 failure`, unittest `Ran 5 tests` and
# `FAILED (failures=1, errors=2)`.
_WORDS = (
    r"passed|failed|passing|failing|pending|skipped|deselected|xfailed|xpassed|errors?"
    r"|failures?|examples?|todo|total"
)
_COUNT = re.compile(rf"\b(\d+) ({_WORDS})\b|\bRan (\d+) (tests?)\b|\b({_WORDS})=(\d+)")


@dataclass(frozen=True)
class BaseTests:
    """What the test command did at the base: its result and the counts its output ends with."""

    result: CommandResult
    counts: tuple[tuple[int, str], ...]  # ((3, "passed"), (1, "failed")); () when none found


def counts_of(output: str) -> tuple[tuple[int, str], ...]:
    """The counts of the last line of `output` that has any, as written ("3 passed")."""
    for line in reversed(output.splitlines()):
        found = [(int(m[1] or m[3] or m[6]), m[2] or m[4] or m[5]) for m in _COUNT.finditer(line)]
        if found:
            return tuple(found)
    return ()


def run_base_tests(
    git: Git,
    commit: str,
    command: str,
    config: Config,
    *,
    environ: Mapping[str, str],
    sandbox: Sandbox,
) -> BaseTests:
    """Run `command` in a detached checkout of `commit` (removed afterwards), with the
    validation settings of `config`."""
    cfg = config.validation
    with tempfile.TemporaryDirectory(prefix="baton-audit-") as tmp:
        work = Path(tmp) / "base"
        git.run("worktree", "add", "-q", "--detach", str(work), commit)
        try:
            share_with(cfg.run_as, Path(tmp))
            result = run_test_command(
                command,
                work,
                cfg.test_timeout_minutes * 60,
                cfg.output_lines,
                run_as=cfg.run_as,
                environ=environ,
                sandbox=sandbox,
                network=cfg.network,
            )
        finally:
            git.run("worktree", "remove", "--force", str(work), check=False)
    return BaseTests(result, counts_of(result.tail))
