"""What Baton knows of one CLI: how to start and resume it, what its output says, what to grant it,
and how to allow what it refused."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.agents.cli.output import Refusal, Reply
from bot.agents.cli.reasons import generic_fix


def _no_grants(test_command: str | None) -> list[str]:
    del test_command
    return []


def option_given(args: list[str], options: tuple[str, ...]) -> bool:
    """Whether `args` hold one of `options`, alone or as `--option=value`."""
    return any(a in options or a.startswith(tuple(f"{o}=" for o in options)) for a in args)


def _no_sandbox_flags(confined: bool) -> list[str]:
    del confined
    return []


def _no_diagnosis(exit_code: int | None, output: str) -> str | None:
    del exit_code, output
    return None


@dataclass(frozen=True)
class Preset:
    executable: str
    start: Callable[[str, str, list[str]], list[str]]  # (exe, prompt, extra) -> argv
    resume: Callable[[str, str, str, list[str]], list[str]]  # (exe, session, prompt, extra)
    parse: Callable[[str], Reply]
    # Flags that let the CLI edit the working copy and run the test command: (test command) ->
    # flags, put before the model and agent.extra_args (which can override them).
    grants: Callable[[str | None], list[str]] = _no_grants
    # The variables its CLI documents (key, base URL, configuration): by name and by prefix.
    env_names: tuple[str, ...] = ()
    env_prefixes: tuple[str, ...] = ()
    # Settings Baton gives its CLI unless the environment passes the variable itself.
    env_defaults: tuple[tuple[str, str], ...] = ()
    # An older name of the executable, run when `executable` is not on PATH.
    fallback: str | None = None
    # (refusal, test command) -> how to allow what the CLI refused.
    fix: Callable[[Refusal, str | None], str] = generic_fix
    # (Baton's sandbox confines the CLI) -> flags for the CLI's own sandbox, put with `grants`.
    own_sandbox: Callable[[bool], list[str]] = _no_sandbox_flags
    # (exit code, the end of its output) -> the cause and its fix for a call that failed, where
    # the exit code says more than the output (a CLI that stops before printing any JSON).
    diagnose: Callable[[int | None, str], str | None] = _no_diagnosis
    # What its output says when a resumed session is not there (see AgentResult.session_lost).
    session_gone: re.Pattern[str] | None = None
