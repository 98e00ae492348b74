"""Headless CLI agents as subprocesses: Claude Code, Codex, Cursor CLI, Gemini, or any command.

Each preset knows how to start a session, how to resume one, and where its output says the
session id and whether the call failed (Claude can say `subtype: success` with `is_error: true`).
Every call has a timeout; the process group is killed when it runs out.

An agent's output is untrusted: whatever it prints (garbage, JSON nested a thousand deep, fields of
the wrong type) becomes a reply or a reason for failing, never an exception; what it says is
redacted before Baton keeps it, and a failure's reason is one line of visible text.
"""

from __future__ import annotations

import json
import math
import re
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
from bot.redact import from_environment
from bot.security import agent_env, visible_text
from bot.state import AgentResult
from bot.workspace import run_command

MAX_PROMPT = 120_000  # UTF-8 bytes: one argv string may not exceed 128 KiB on Linux
_TRUNCATED = "\n\n[prompt truncated by Baton]"
_SUMMARY = 2_000
# Keys of a result object (Claude, Cursor, Gemini); any other JSON in the output is not one.
_RESULT_KEYS = frozenset({"session_id", "sessionId", "result", "response", "error", "is_error"})
# A line that reports a failure: "Error: …", "ERROR: …", "TypeError: …", "fatal: …".
_ERROR_LINE = re.compile(r"^(?:\w*error|\w*exception|fatal|panic)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Reply:
    """What an agent's output says: its session, whether it failed, its summary and cost."""

    session_id: str | None
    is_error: bool
    summary: str
    cost_usd: float | None = None


def _json_objects(stdout: str, *, embedded: bool = True) -> list[dict[str, Any]]:
    """Every JSON object in the output: the whole text, one per line (JSON Lines), or else
    (`embedded`) objects inside other text, such as a pretty-printed one after a notice."""
    text = stdout.strip()
    try:
        whole = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested too deeply to be a reply
        whole = None
    if isinstance(whole, dict):
        return [whole]
    objects = []
    for line in text.splitlines():
        try:
            item = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if isinstance(item, dict):
            objects.append(item)
    if objects or not embedded:
        return objects
    return _embedded_json_objects(text)


def _embedded_json_objects(text: str) -> list[dict[str, Any]]:
    decoder = json.JSONDecoder()
    objects = []
    index = text.find("{")
    while index != -1:
        try:
            item, end = decoder.raw_decode(text, index)
        except (ValueError, RecursionError):
            index = text.find("{", index + 1)
            continue
        if isinstance(item, dict):
            objects.append(item)
        index = text.find("{", end)
    return objects


def _session(value: Any) -> str | None:
    """A session id is text (or a number); anything else in its place is no id at all."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value) or None


def _cost(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and value >= 0 else None


def _one_line(text: str) -> str:
    """Visible text on one line: a reason is shown in tables and logs, where a second line could
    pass for a line of Baton's own (or for a CI system's command, such as `::error::`)."""
    return " ".join(visible_text(text).split())


def _error_message(error: Any) -> str | None:
    if isinstance(error, dict):
        return str(error.get("message") or error)
    if error and isinstance(error, str):
        return error
    return None


def _failure_detail(output: str) -> str:
    """What a failed call's output says went wrong: an error a JSON object reports (Gemini
    prints its errors as JSON on stderr), else the last plain line that reports an error (not
    the stack trace under it), else the last plain line; empty when there is none."""
    for item in reversed(_embedded_json_objects(output)):
        message = _error_message(item.get("error"))
        if message:
            return message[:300]
    lines = [line.strip() for line in output.splitlines()]
    plain = [line for line in lines if line and not line.startswith(("{", "}", '"'))]
    for line in reversed(plain):
        if _ERROR_LINE.match(line):
            return line[:300]
    return plain[-1][:300] if plain else ""


def _reply_from_result_json(stdout: str, *, embedded: bool = True) -> Reply:
    """Claude Code, Cursor CLI and Gemini print one result object with a `session_id`."""
    objects = [o for o in _json_objects(stdout, embedded=embedded) if _RESULT_KEYS & o.keys()]
    if not objects:
        raise ValueError("no JSON result in the agent's output")
    data = objects[-1]
    error = data.get("error")
    is_error = bool(data.get("is_error")) or (error not in (None, False, "", {}))
    summary = data.get("result") or data.get("response") or ""
    if is_error:
        # Claude's error_* results have no `result`: `errors` and the subtype say what happened.
        errors = data.get("errors")
        details = [str(e) for e in errors] if isinstance(errors, list) else []
        summary = (
            _error_message(error)
            or summary
            or "; ".join(details)
            or (f"the agent stopped: {data['subtype']}" if data.get("subtype") else "")
        )
    return Reply(
        session_id=_session(data.get("session_id") or data.get("sessionId")),
        is_error=is_error,
        summary=str(summary),
        cost_usd=_cost(data.get("total_cost_usd")),
    )


def _reply_from_codex_events(stdout: str) -> Reply:
    """Codex prints JSON Lines events: `thread.started` carries the id, and the turn ends with
    `turn.completed` or `turn.failed`; output without either is a turn that never finished."""
    session = None
    failure = None
    completed = False
    summary = ""
    for event in _json_objects(stdout):
        kind = event.get("type")
        if not isinstance(kind, str):
            continue
        if kind == "thread.started":
            session = _session(event.get("thread_id"))
        elif kind == "turn.completed":
            completed, failure = True, None
        elif kind in {"turn.failed", "error"}:
            err = event.get("error") or event
            failure = str(err.get("message", err)) if isinstance(err, dict) else str(err)
            completed = False
        elif kind == "item.completed":
            item = event.get("item")
            if not isinstance(item, dict):
                continue
            if item.get("type") in {"agent_message", "assistant_message"} and item.get("text"):
                summary = str(item["text"])
    if session is None and failure is None:
        raise ValueError("no thread.started event in the agent's output")
    if not completed and failure is None:
        raise ValueError("the turn did not finish: no turn.completed event in the agent's output")
    return Reply(session_id=session, is_error=not completed, summary=failure or summary)


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
            if config.model:
                raise ConfigError(
                    "agent.model applies to the preset agents, not to `command`",
                    hint="write the model into agent.command (and agent.resume_command)",
                )
            for key, template in (
                ("command", config.command),
                ("resume_command", config.resume_command),
            ):
                if template:
                    self._check_executable(_template_words(key, template)[0])
            self.preset: Preset | None = None
            self.executable = ""
        else:
            self.preset = PRESETS[config.kind]
            # Resolved once, here: a relative path means the same file when the agent runs in
            # the working copy, and the check below is the one that counts.
            self.executable = self._check_executable(config.executable or self.preset.executable)

    def _check_executable(self, exe: str) -> str:
        found = shutil.which(exe)
        if found is None:
            raise ConfigError(
                f"the {self.name} agent's executable `{exe}` is not installed or not on PATH",
                hint="install it, or set agent.executable (agent.command for `command`) in "
                ".github/baton.yml",
            )
        return str(Path(found).absolute())

    def start(self, prompt: str, workdir: Path, branch: str | None = None) -> AgentResult:
        del branch  # a CLI agent works in the working copy itself
        return self._call(None, prompt, workdir)

    def resume(
        self, session_id: str, prompt: str, workdir: Path, branch: str | None = None
    ) -> AgentResult:
        del branch
        return self._call(session_id, prompt, workdir)

    def _call(self, session: str | None, prompt: str, workdir: Path) -> AgentResult:
        if self.preset is not None:
            prompt = _argv_safe(prompt)  # a command reads its prompt from a file instead
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
        if result.exit_code is None:
            return AgentResult(
                ok=False,
                session_id=session,
                error=f"could not start `{argv[0]}`: {_one_line(result.tail)[:300]}",
                duration_s=result.duration_s,
            )
        try:
            reply = parse(stdout)
        except ValueError as exc:
            detail = _one_line(_failure_detail(result.tail)) or "no output"
            return AgentResult(
                ok=False,
                session_id=session,
                error=from_environment()(f"{exc} (exit {result.exit_code}): {detail}"),
                duration_s=result.duration_s,
            )
        failed = reply.is_error or result.exit_code != 0
        error = None
        if failed:
            # The agent's own account of its failure; else what its output says (stderr, for
            # an agent that only exited non-zero), else its summary.
            own = _one_line(reply.summary) if reply.is_error else ""
            detail = own or _one_line(_failure_detail(result.tail)) or _one_line(reply.summary)
            error = detail[:500] or "no output"
            if result.exit_code != 0:
                error = f"exit {result.exit_code}: {error}"
        elif not (reply.session_id or session):
            failed = True
            error = (
                f"the agent's reply names no session, so Baton cannot continue it "
                f"(is `{argv[0]}` too old to report its session id?)"
            )
        redact = from_environment()  # what the agent says may quote a credential
        return AgentResult(
            ok=not failed,
            session_id=reply.session_id or session,
            summary=redact(reply.summary[:_SUMMARY]),
            error=redact(error) if error else None,
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
            exe = self.executable
            argv = (
                self.preset.resume(exe, session, prompt, extra)
                if session
                else self.preset.start(exe, prompt, extra)
            )
            return argv, self.preset.parse, self.preset.keep_env, session
        # Any other agent: Baton names the session when the agent does not, so resuming works.
        key = "resume_command" if session and self.config.resume_command else "command"
        template = str(
            self.config.resume_command if key == "resume_command" else self.config.command
        )
        session = session or f"baton-{uuid.uuid4().hex[:12]}"
        values = {"prompt_file": str(prompt_file), "session_id": session, "workdir": str(workdir)}
        argv = [_fill(part, values) for part in _template_words(key, template)]
        return [*argv, *self.config.extra_args], _reply_from_command, (), session


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


def _argv_safe(prompt: str) -> str:
    """The prompt as one argv string: no NUL (exec cannot pass one), at most MAX_PROMPT bytes."""
    prompt = prompt.replace("\x00", "")
    data = prompt.encode("utf-8", "surrogatepass")
    if len(data) <= MAX_PROMPT:
        return prompt
    return data[:MAX_PROMPT].decode("utf-8", "ignore") + _TRUNCATED


def _fill(part: str, values: dict[str, str]) -> str:
    """Replace only the known placeholders: other braces in a template are the user's."""
    for name, value in values.items():
        part = part.replace("{" + name + "}", value)
    return part


def _reply_from_command(stdout: str) -> Reply:
    """A command may print a result object like Claude's; plain text is its summary."""
    try:
        return _reply_from_result_json(stdout, embedded=False)
    except ValueError:
        return Reply(session_id=None, is_error=False, summary=stdout.strip()[-_SUMMARY:])
