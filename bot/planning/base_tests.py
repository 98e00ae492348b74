"""The test command at the base commit, for the audit: run as validation runs it (the sandbox,
no credentials, its timeout and output lines), in a throwaway checkout of the base, so that the
working copy is never touched; and the counts its summary line gives, where it gives them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.command_result import CommandResult
from bot.config import Config
from bot.evidence.checkout import checkout
from bot.evidence.runner import Runner
from bot.sandbox import Sandbox
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
    run = Runner(config.validation, environ, sandbox, config.validation.run_as)
    with checkout(git, commit, run_as=run.run_as) as work:
        result = run(command, work, run.timeout_s)
    return BaseTests(result, counts_of(result.tail))
