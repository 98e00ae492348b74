"""What a run would fail on, found before it starts: `baton config check` and `baton run
--dry-run` look for it, so that no agent call is spent before a missing program, an agent
command that is empty or cannot start, a base branch that does not exist or a dirty working copy
stops the run."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from bot.agents.cli.command import named_paths
from bot.agents.cli.presets import preset_executable
from bot.chain_file import ChainFile
from bot.config import Config
from bot.errors import ConfigError, Problem
from bot.planning.base_tests import run_base_tests
from bot.programs import missing_program
from bot.sandbox import Sandbox
from bot.workspace import Git

_PYTEST_NONE = 5  # pytest's exit status when it collected no test


def problems(
    config: Config, git: Git | None, environ: Mapping[str, str], source: str
) -> list[Problem]:
    """What in `config` (and the repository of `git`, when there is one) would fail a run."""
    found: list[Problem] = []

    def error(field: str, message: str) -> None:
        found.append(Problem("error", field, message, source))

    agent = config.agent
    try:
        if agent.kind == "command" and not (agent.command or "").strip():
            error(
                "agent.command", "is empty: set the command that runs your agent on {prompt_file}"
            )
        elif agent.kind == "command":
            named_paths(agent, environ)  # its templates, their executables there
        elif agent.kind != "cursor":
            preset_executable(agent, environ)
    except ConfigError as exc:
        field = "agent.command" if agent.kind == "command" else "agent.executable"
        error(field, exc.message + (f"; {exc.hint}" if exc.hint else ""))
    command = config.validation.test_command
    root = git.root if git is not None else Path.cwd()
    why = missing_program(command, root, environ) if command else None
    if why:
        error("validation.test_command", f"{why}: it would fail every ticket (exit 127)")
    base = config.branches.base
    if (
        git is not None
        and base
        and git.call("rev-parse", "-q", "--verify", f"{base}^{{commit}}").returncode
    ):
        error("branches.base", f"`{base}` is not a branch or commit of {git.root}")
    return found


def ticket_commands(
    chains: Iterable[ChainFile], done: set[tuple[str, str]], root: Path, environ: Mapping[str, str]
) -> list[Problem]:
    """A ticket's own test command that cannot start, for each ticket not `done` (chain, key):
    it would fail every attempt of that ticket, after its agent call."""
    found: list[Problem] = []
    for chain in chains:
        for ticket in chain.tickets:
            command = ticket.test_command
            why = missing_program(command, root, environ) if command else None
            if why and (chain.name, str(ticket.key)) not in done:
                message = f"{why}: it would fail every attempt of the ticket (exit 127)"
                found.append(Problem("error", f"{ticket.key}.test_command", message, chain.path))
    return found


def failing_before(
    git: Git,
    config: Config,
    source: str,
    *,
    sandbox: Sandbox,
    environ: Mapping[str, str],
    redact: Callable[[str], str],
) -> list[Problem]:
    """The test command on HEAD, before any change, as the audit runs it (a checkout of its own,
    the sandbox). Failing there, it fails every attempt until a change makes it pass: a warning,
    as a ticket may be meant to. Its last line of output is quoted, redacted as all output Baton
    shows."""
    command = config.validation.test_command
    if not command:
        return []
    result = run_base_tests(
        git, git.head(), command, config, environ=environ, sandbox=sandbox
    ).result
    if result.ok:
        return []
    last = next((line.strip() for line in reversed(result.tail.splitlines()) if line.strip()), "")
    if result.timed_out:
        how = "it timed out"
    elif result.exit_code == _PYTEST_NONE and re.search(r"\bpytest\b", command):
        how = f"exit {_PYTEST_NONE}: pytest collected no tests"
    else:
        how = f"exit {result.exit_code}" + (f": {redact(last)[:160]}" if last else "")
    message = (
        f"fails before any change ({how}): every attempt fails until a change makes it pass. "
        "Fine if the first ticket is to; else fix the command or the tests first"
    )
    return [Problem("warning", "validation.test_command", message, source)]


def dirty(git: Git, source: str) -> list[Problem]:
    """The working copy's uncommitted changes, which a run refuses to carry onto a chain."""
    changed = git.dirty_files()
    if not changed:
        return []
    shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
    return [
        Problem(
            "error", "working copy", f"uncommitted changes ({shown}): commit or stash them", source
        )
    ]
