"""Which version of a CLI agent is installed, and whether the presets were tested with it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.agents.cli.presets import PRESETS, agent_env, preset_executable
from bot.config import AgentConfig
from bot.errors import ConfigError
from bot.processes import run_command
from bot.security import strip_ansi

# The versions the presets were tested with, as `--version` reports them (Cursor's CLI is not on
# npm, so no version of it has been).
TESTED_VERSIONS = {"claude": "2.1.197", "codex": "0.171.0", "gemini": "0.61.0"}
TIMEOUT_S = 20  # a Node CLI's first start on a cold disk takes a few seconds
_VERSION = re.compile(r"\b\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?")


@dataclass(frozen=True)
class VersionCheck:
    tested: bool  # the version the presets were tested with
    line: str  # what to tell the user, one line


def check_version(
    config: AgentConfig, environ: Mapping[str, str], cwd: Path | None = None
) -> VersionCheck | None:
    """Run the configured CLI's `--version` (briefly; with the agent's own environment); None
    for an agent that is not a preset."""
    if config.kind not in PRESETS:
        return None
    kind = config.kind
    try:
        exe = preset_executable(config, environ)
    except ConfigError as exc:
        return VersionCheck(False, str(exc))
    result, stdout = run_command(
        [exe, "--version"],
        cwd or Path.cwd(),
        TIMEOUT_S,
        env=agent_env(config, environ),
        tail_lines=5,
    )
    if result.timed_out or result.exit_code != 0:
        why = f"timed out after {TIMEOUT_S} s" if result.timed_out else f"exit {result.exit_code}"
        return VersionCheck(False, f"`{exe} --version` failed ({why}); is it the {kind} CLI?")
    found = _VERSION.search(strip_ansi(stdout or result.tail))
    version = found.group(0) if found else "an unknown version"
    tested = TESTED_VERSIONS.get(kind)
    if tested is None:
        return VersionCheck(False, f"{kind} {version}: no version of it was tested with Baton")
    if version == tested:
        return VersionCheck(True, f"{kind} {version}: the version Baton's presets were tested with")
    return VersionCheck(
        False,
        f"{kind} {version}: Baton's presets were tested with {tested}; "
        "try one chain before relying on it",
    )
