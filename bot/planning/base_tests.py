"""The test command at the base commit, for the audit: run as validation runs it (the sandbox,
no credentials, its timeout and output lines), in a throwaway checkout of the base, so that the
working copy is never touched; and the counts its summary line gives, where it gives them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.command_result import CommandResult
from bot.config import Config
from bot.evidence.checkout import checkout
from bot.evidence.counts import counts_in_output
from bot.evidence.runner import Runner
from bot.sandbox import Sandbox
from bot.state import SuiteCounts
from bot.workspace import Git


@dataclass(frozen=True)
class BaseTests:
    """What the test command did at the base: its result and the counts its output ends with."""

    result: CommandResult
    counts: SuiteCounts | None  # None when its output gives none


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
    return BaseTests(result, counts_in_output(result.tail))
