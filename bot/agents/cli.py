"""Headless CLI agents as subprocesses: Claude Code, Codex, Cursor CLI, Gemini, or any command.

Each preset knows how to start a session, how to resume one, and where its output says the
session id and whether the call failed (Claude can say `subtype: success` with `is_error: true`).
Every call has a timeout; the process group is killed when it runs out.
"""

from __future__ import annotations

import json
import shlex
import shutil
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.config import AgentConfig
from bot.errors import ConfigError
from bot.security import agent_env
from bot.state import AgentResult
from bot.workspace import run_command

MAX_PROMPT = 120_000  # one argv string may not exceed 128 KiB on Linux
_SUMMARY = 2_000


@dataclass(frozen=True)
class Reply:
    """What an agent's output says: its session, whether it failed, its summary and cost."""

    session_id: str | None
    is_error: bool
    summary: str
    cost_usd: float | None = None


def _json_objects(stdout: str) -> list[dict[str, Any]]:
    """Every JSON object in the output: the whole text, or one per line (JSON Lines)."""
    text = stdout.strip()
    try:
        whole = json.loads(text)
    except ValueError:
        whole = None
    if isinstance(whole, dict):
        return [whole]
    objects = []
    for line in text.splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict):
            objects.append(item)
    return objects


def _reply_from_result_json(stdout: str) -> Reply:
    """Claude Code, Cursor CLI and Gemini print one result object with a `session_id`."""
    objects = _json_objects(stdout)
    if not objects:
        raise ValueError("no JSON result in the agent's output")
    data = objects[-1]
    error = data.get("error")
    is_error = bool(data.get("is_error")) or (error not in (None, False, "", {}))
    summary = data.get("result") or data.get("response") or ""
    if isinstance(error, dict):
        summary = summary or str(error.get("message", error))
    elif error and not summary:
        summary = str(error)
    cost = data.get("total_cost_usd")
    session = data.get("session_id") or data.get("sessionId")
    return Reply(
        session_id=str(session) if session else None,
        is_error=is_error,
        summary=str(summary),
        cost_usd=float(cost) if isinstance(cost, int | float) else None,
    )


def _reply_from_codex_events(stdout: str) -> Reply:
    """Codex prints JSON Lines events: `thread.started` carries the id; failures are events."""
    session = None
    failure = None
    summary = ""
    for event in _json_objects(stdout):
        kind = event.get("type")
        if kind == "thread.started":
            session = event.get("thread_id")
        elif kind in {"turn.failed", "error"}:
            err = event.get("error") or event
            failure = str(err.get("message", err)) if isinstance(err, dict) else str(err)
        elif kind == "item.completed":
            item = event.get("item") or {}
            if item.get("type") in {"agent_message", "assistant_message"} and item.get("text"):
                summary = str(item["text"])
    if session is None and failure is None:
        raise ValueError("no thread.started event in the agent's output")
    return Reply(session_id=session, is_error=failure is not None, summary=failure or summary)


@dataclass(frozen=True)
class Preset:
    executable: str
    start: Callable[[str, str, list[str]], list[str]]  # (exe, prompt, extra) -> argv
    resume: Callable[[str, str, str, list[str]], list[str]]  # (exe, session, prompt, extra)
    parse: Callable[[str], Reply]
    keep_env: tuple[str, ...] = ()


PRESETS: dict[str, Preset] = {
    "claude": Preset(
        "claude",
        lambda exe, p, x: [exe, "-p", p, "--output-format", "json", *x],
        lambda exe, s, p, x: [exe, "-p", p, "--output-format", "json", "--resume", s, *x],
        _reply_from_result_json,
    ),
    "codex": Preset(
        "codex",
        lambda exe, p, x: [exe, "exec", "--json", "--sandbox", "workspace-write", *x, p],
        # Flags go before `resume`: codex ignores them after it.
        lambda exe, s, p, x: [
            exe,
            "exec",
            "--json",
            "--sandbox",
            "workspace-write",
            *x,
            "resume",
            s,
            p,
        ],
        _reply_from_codex_events,
    ),
    "cursor-cli": Preset(
        "cursor-agent",
        lambda exe, p, x: [exe, "-p", "--force", "--output-format", "json", *x, p],
        lambda exe, s, p, x: [
            exe,
            "-p",
            "--force",
            "--output-format",
            "json",
            "--resume",
            s,
            *x,
            p,
        ],
        _reply_from_result_json,
        keep_env=("CURSOR_API_KEY",),
    ),
    "gemini": Preset(
        "gemini",
        lambda exe, p, x: [exe, "-p", p, "--output-format", "json", *x],
        lambda exe, s, p, x: [exe, "-p", p, "--output-format", "json", "-r", s, *x],
        _reply_from_result_json,
    ),
}


class CliAgent:
    """One of the presets, or `command`: templates with {prompt_file}, {session_id}, {workdir}."""

    def __init__(self, config: AgentConfig) -> None:
        self.config = config
        self.name: str = config.kind
        self.timeout_s = config.timeout_minutes * 60
        if config.kind == "command":
            if not config.command:
                raise ConfigError(
                    "agent.kind is `command` but agent.command is not set",
                    hint="set agent.command to a template using {prompt_file}, e.g. "
                    "`my-agent --prompt-file {prompt_file}`",
                )
            self._check_executable(shlex.split(config.command)[0])
            self.preset: Preset | None = None
        else:
            self.preset = PRESETS[config.kind]
            self._check_executable(config.executable or self.preset.executable)

    def _check_executable(self, exe: str) -> None:
        if shutil.which(exe) is None:
            raise ConfigError(
                f"the {self.name} agent's executable `{exe}` is not installed or not on PATH",
                hint="install it, or set agent.executable (agent.command for `command`) in "
                ".github/baton.yml",
            )

    def start(self, prompt: str, workdir: Path) -> AgentResult:
        return self._call(None, prompt, workdir)

    def resume(self, session_id: str, prompt: str, workdir: Path) -> AgentResult:
        return self._call(session_id, prompt, workdir)

    def _call(self, session: str | None, prompt: str, workdir: Path) -> AgentResult:
        if len(prompt) > MAX_PROMPT:
            prompt = prompt[:MAX_PROMPT] + "\n\n[prompt truncated by Baton]"
        with tempfile.TemporaryDirectory(prefix="baton-prompt-") as tmp:
            prompt_file = Path(tmp) / "prompt.md"
            prompt_file.write_text(prompt, encoding="utf-8")
            argv, parse, keep, session = self._argv(session, prompt, prompt_file, workdir)
            result, stdout = run_command(
                argv, workdir, self.timeout_s, env=agent_env(keep=keep), tail_lines=40
            )
        if result.timed_out:
            return AgentResult(
                ok=False,
                session_id=session,
                error=f"timed out after {self.config.timeout_minutes:g} min",
                duration_s=result.duration_s,
            )
        try:
            reply = parse(stdout)
        except ValueError as exc:
            detail = result.tail.strip().splitlines()[-1:] or ["no output"]
            return AgentResult(
                ok=False,
                session_id=session,
                error=f"{exc} (exit {result.exit_code}; last line: {detail[0][:200]})",
                duration_s=result.duration_s,
            )
        failed = reply.is_error or result.exit_code != 0
        error = None
        if failed:
            error = reply.summary[:500] or f"exit {result.exit_code}"
            if result.exit_code not in (0, None):
                error = f"exit {result.exit_code}: {error}"
        return AgentResult(
            ok=not failed,
            session_id=reply.session_id or session,
            summary=reply.summary[:_SUMMARY],
            error=error,
            cost_usd=reply.cost_usd,
            duration_s=result.duration_s,
        )

    def _argv(
        self, session: str | None, prompt: str, prompt_file: Path, workdir: Path
    ) -> tuple[list[str], Callable[[str], Reply], tuple[str, ...], str | None]:
        extra = list(self.config.extra_args)
        if self.config.model:
            extra = ["--model", self.config.model, *extra]
        if self.preset is not None:
            exe = self.config.executable or self.preset.executable
            argv = (
                self.preset.resume(exe, session, prompt, extra)
                if session
                else self.preset.start(exe, prompt, extra)
            )
            return argv, self.preset.parse, self.preset.keep_env, session
        # Any other agent: Baton names the session when the agent does not, so resuming works.
        template = self.config.resume_command if session and self.config.resume_command else None
        template = template or str(self.config.command)
        session = session or f"baton-{uuid.uuid4().hex[:12]}"
        values = {"prompt_file": str(prompt_file), "session_id": session, "workdir": str(workdir)}
        argv = [_fill(part, values) for part in shlex.split(template)]
        return argv, _reply_from_command, (), session


def _fill(part: str, values: dict[str, str]) -> str:
    """Replace only the known placeholders: other braces in a template are the user's."""
    for name, value in values.items():
        part = part.replace("{" + name + "}", value)
    return part


def _reply_from_command(stdout: str) -> Reply:
    """A command may print a result object like Claude's; plain text is its summary."""
    try:
        return _reply_from_result_json(stdout)
    except ValueError:
        return Reply(session_id=None, is_error=False, summary=stdout.strip()[-_SUMMARY:])
