"""`command`: any program, from templates with {prompt_file}, {session_id} and {workdir}."""

from __future__ import annotations

import shlex
import uuid
from collections.abc import Mapping
from pathlib import Path

from bot.agents.cli.claude import reply_from_result_json
from bot.agents.cli.output import SUMMARY, Reply
from bot.agents.cli.presets import check_executable
from bot.config import AgentConfig
from bot.errors import ConfigError


def named_paths(config: AgentConfig, environ: Mapping[str, str]) -> tuple[Path, ...]:
    """Check a `command` agent's settings; the files its templates name (a script, the
    executable) and their directories (a script's modules and data)."""
    if not config.command:
        raise ConfigError(
            "agent.kind is `command` but agent.command is not set",
            hint="set agent.command to a template using {prompt_file}, e.g. "
            "`my-agent --prompt-file {prompt_file}`",
        )
    if config.model:
        raise ConfigError(
            "agent.model applies to the preset agents, not to `command`",
            hint="write the model into agent.command (and agent.resume_command)",
        )
    paths: tuple[Path, ...] = ()
    for key, template in (
        ("command", config.command),
        ("resume_command", config.resume_command),
    ):
        if template:
            check_executable(config.kind, _template_words(key, template)[0], environ)
            named = [Path(w) for w in _template_words(key, template) if _named_file(w)]
            paths += tuple(p for f in named for p in (f, f.parent))
    return paths


def command_argv(
    config: AgentConfig, session: str | None, prompt_file: Path, workdir: Path
) -> tuple[list[str], str]:
    """The command line of one call, and its session: Baton names the session when the agent
    does not, so resuming works."""
    key = "resume_command" if session and config.resume_command else "command"
    template = str(config.resume_command if key == "resume_command" else config.command)
    session = session or f"baton-{uuid.uuid4().hex[:12]}"
    values = {"prompt_file": str(prompt_file), "session_id": session, "workdir": str(workdir)}
    argv = [_fill(part, values) for part in _template_words(key, template)]
    return [*argv, *config.extra_args], session


def reply_from_command(stdout: str) -> Reply:
    """A command may print a result object like Claude's; plain text is its summary."""
    try:
        return reply_from_result_json(stdout, embedded=False)
    except ValueError:
        return Reply(session_id=None, is_error=False, summary=stdout.strip()[-SUMMARY:])


def _template_words(key: str, template: str) -> list[str]:
    try:
        words = shlex.split(template)
    except ValueError as exc:
        raise ConfigError(
            f"agent.{key} is not a valid command line: {exc}",
            hint="check its quotes; it is split like a shell command, without a shell",
        ) from exc
    if not words:
        raise ConfigError(f"agent.{key} is empty", hint="name the agent's command in it")
    return words


def _named_file(word: str) -> bool:
    return "{" not in word and Path(word).is_absolute() and Path(word).is_file()


def _fill(part: str, values: dict[str, str]) -> str:
    """Replace only the known placeholders: other braces in a template are the user's."""
    for name, value in values.items():
        part = part.replace("{" + name + "}", value)
    return part
