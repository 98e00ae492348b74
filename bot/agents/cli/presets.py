"""The presets by `agent.kind`, where their executables are, and what each may see of Baton's
environment."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

from bot.agents.cli import claude, codex, cursor_cli, gemini
from bot.agents.cli.preset import Preset
from bot.agents.environment import agent_environment
from bot.config import AgentConfig
from bot.errors import ConfigError

PRESETS: dict[str, Preset] = {
    "claude": claude.PRESET,
    "codex": codex.PRESET,
    "cursor-cli": cursor_cli.PRESET,
    "gemini": gemini.PRESET,
}


def check_executable(
    kind: str, exe: str, environ: Mapping[str, str], fallback: str | None = None
) -> str:
    """The absolute path of `exe` (else `fallback`) on the environment's PATH."""
    path = environ.get("PATH")
    found = shutil.which(exe, path=path) or (
        shutil.which(fallback, path=path) if fallback else None
    )
    if found is None:
        also = f" (nor `{fallback}`)" if fallback else ""
        raise ConfigError(
            f"the {kind} agent's executable `{exe}`{also} is not installed or not on PATH",
            hint="install it, or set agent.executable (agent.command for `command`) in "
            ".github/baton.yml",
        )
    return str(Path(found).absolute())


def preset_executable(config: AgentConfig, environ: Mapping[str, str]) -> str:
    """The absolute path of a preset's executable: agent.executable, else the preset's name on
    PATH (else its older name); a ConfigError that says the fix when there is none."""
    preset = PRESETS[config.kind]
    if config.executable:
        return check_executable(config.kind, config.executable, environ)
    return check_executable(config.kind, preset.executable, environ, preset.fallback)


def agent_env(config: AgentConfig, environ: Mapping[str, str]) -> dict[str, str]:
    """The agent's environment: the basics, what its CLI documents, and agent.env."""
    preset = PRESETS.get(config.kind)
    names = [*config.env, *(preset.env_names if preset else ())]
    passed = agent_environment(environ, names, preset.env_prefixes if preset else ())
    return {**dict(preset.env_defaults if preset else ()), **passed}
