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

from bot.agents.environment import agent_environment
from bot.agents.result import AgentResult
from bot.config import AgentConfig
from bot.errors import ConfigError
from bot.redact import from_environment
from bot.sandbox import AGENT_FILES, AgentFiles, Confinement, NoSandbox, Sandbox
from bot.security import strip_ansi, visible_text
from bot.workspace import STATE_DIR, run_command

MAX_PROMPT = 120_000  # UTF-8 bytes: one argv string may not exceed 128 KiB on Linux
_TRUNCATED = "\n\n[prompt truncated by Baton]"
_SUMMARY = 2_000
# Keys of a result object (Claude, Cursor, Gemini); any other JSON in the output is not one.
_RESULT_KEYS = frozenset({"session_id", "sessionId", "result", "response", "error", "is_error"})
# A line that reports a failure: "Error: …", "ERROR: …", "TypeError: …", "fatal: …".
_ERROR_LINE = re.compile(r"^(?:\w*error|\w*exception|fatal|panic)\b", re.IGNORECASE)
# What a CLI answers when asked to resume a session it does not have: its sessions live in its
# HOME, and a new job's runner has a fresh one. Claude Code's answer is measured with the real
# binary (exit 1); a `command` agent is read as Claude Code is. The others are what the test
# fakes print for those CLIs, not yet measured with the real binaries: re-check on upgrades.
_CLAUDE_SESSION_GONE = re.compile(r"No conversation found with session ID")
_CODEX_SESSION_GONE = re.compile(r"No saved session found with ID")
_CURSOR_SESSION_GONE = re.compile(r"\bchat not found\b")
_GEMINI_SESSION_GONE = re.compile(r"Invalid session identifier")


@dataclass(frozen=True)
class Refusal:
    """A tool call the CLI refused its model (a permission it was not given): `target` is the
    path or command the call named, when it named one."""

    tool: str
    target: str = ""


@dataclass(frozen=True)
class Reply:
    """What an agent's output says: its session, whether it failed, its summary and cost, and
    what its CLI refused to do (a call can exit 0 and report success with every edit refused)."""

    session_id: str | None
    is_error: bool
    summary: str
    cost_usd: float | None = None
    refusals: tuple[Refusal, ...] = ()


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
    return " ".join(visible_text(strip_ansi(text)).split())


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
    output = strip_ansi(output)  # a coloured `Error:` is still an error line
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
        refusals=_permission_denials(data.get("permission_denials")),
    )


# Where a refused call's input names what it was after: a file, a command, an address.
_TARGET_KEYS = ("file_path", "notebook_path", "path", "command", "url", "pattern")


def _permission_denials(value: Any) -> tuple[Refusal, ...]:
    """Claude Code's `permission_denials`: `[{tool_name, tool_use_id, tool_input}]`."""
    if not isinstance(value, list):
        return ()
    refusals = []
    for item in value:
        if not isinstance(item, dict):
            refusals.append(Refusal("a tool"))  # still a refusal, however it is written
            continue
        tool = item.get("tool_name")
        given = item.get("tool_input")
        given = given if isinstance(given, dict) else {}
        target = next((given[k] for k in _TARGET_KEYS if isinstance(given.get(k), str)), "")
        refusals.append(Refusal(str(tool) if tool else "a tool", target))
    return tuple(refusals)


def _reply_from_codex_events(stdout: str) -> Reply:
    """Codex prints JSON Lines events: `thread.started` carries the id, and the turn ends with
    `turn.completed` or `turn.failed`; output without either is a turn that never finished.

    A completed turn can still have done nothing: when Codex's own sandbox cannot run its tools
    (bubblewrap without its `codex-linux-sandbox` helper, or inside another sandbox), every write
    is a `file_change` item with status `failed`, and the call exits 0. Such a write (one not
    made later after all) and a command Codex declined or its sandbox stopped are refusals."""
    session = None
    failure = None
    completed = False
    summary = ""
    refused: dict[str, Refusal] = {}  # by what was refused: a later success takes it back
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
            else:
                _codex_refusals(item, refused)
    if session is None and failure is None:
        raise ValueError("no thread.started event in the agent's output")
    if not completed and failure is None:
        raise ValueError("the turn did not finish: no turn.completed event in the agent's output")
    return Reply(
        session_id=session,
        is_error=not completed,
        summary=failure or summary,
        refusals=tuple(refused.values()),
    )


# What a command's output says when Codex's sandbox, not the command, failed.
_CODEX_SANDBOX_FAILED = re.compile(r"codex-linux-sandbox|^bwrap: ", re.MULTILINE)


def _codex_refusals(item: dict[str, Any], refused: dict[str, Refusal]) -> None:
    """Update `refused` with one completed item: Codex's `file_change` (`changes[{path}]`,
    `status`) and `command_execution` (`command`, `aggregated_output`, `status`)."""
    status = item.get("status")
    if item.get("type") == "file_change":
        changes = item.get("changes")
        for change in changes if isinstance(changes, list) else []:
            path = change.get("path") if isinstance(change, dict) else None
            if not isinstance(path, str):
                continue
            if status == "failed":
                refused[f"write:{path}"] = Refusal("apply_patch", path)
            elif status == "completed":
                refused.pop(f"write:{path}", None)
    elif item.get("type") == "command_execution":
        command = str(item.get("command") or "")
        output = str(item.get("aggregated_output") or "")
        if status == "declined" or (status == "failed" and _CODEX_SANDBOX_FAILED.search(output)):
            refused[f"run:{command}"] = Refusal("shell", command)
        elif status == "completed":
            refused.pop(f"run:{command}", None)


# Gemini CLI's tool errors that mean it would not run the call (its ToolErrorType): a policy
# refused it (headless mode refuses whatever would need a confirmation), or no such tool was
# offered (excluded by its settings or its approval mode).
_GEMINI_REFUSED = frozenset({"policy_violation", "tool_not_registered"})


def _reply_from_gemini_events(stdout: str) -> Reply:
    """Gemini CLI's `--output-format stream-json`: JSON Lines events `init` (with the
    `session_id`), `message` (the assistant's text, in deltas), `tool_use` (`tool_name`,
    `tool_id`, `parameters`), `tool_result` (`tool_id`, `status`, `error{type, message}`) and
    last `result` (`status` success or error, `error{type, message}`). A call that exits 0 can
    have had every edit refused: only its `tool_result` errors say so."""
    session = None
    result: dict[str, Any] | None = None
    text: list[str] = []
    calls: dict[str, Refusal] = {}
    refusals = []
    for event in _json_objects(stdout, embedded=False):
        kind = event.get("type")
        if kind == "init":
            session = _session(event.get("session_id"))
        elif kind == "message" and event.get("role") == "assistant":
            content = event.get("content")
            if isinstance(content, str):
                text.append(content)
        elif kind == "tool_use":
            tool = event.get("tool_name")
            given = event.get("parameters")
            given = given if isinstance(given, dict) else {}
            target = next((given[k] for k in _TARGET_KEYS if isinstance(given.get(k), str)), "")
            calls[str(event.get("tool_id"))] = Refusal(str(tool) if tool else "a tool", target)
            text = []  # the summary is what it said after its last tool call
        elif kind == "tool_result" and event.get("status") == "error":
            error = event.get("error")
            if isinstance(error, dict) and error.get("type") in _GEMINI_REFUSED:
                refusals.append(calls.get(str(event.get("tool_id")), Refusal("a tool")))
        elif kind == "result":
            result = event
    if result is None:
        if session is None:
            raise ValueError("no init event in the agent's output")
        raise ValueError("the turn did not finish: no result event in the agent's output")
    is_error = result.get("status") != "success"
    summary = "".join(text).strip()
    if is_error:
        summary = _error_message(result.get("error")) or summary or "the agent stopped"
    return Reply(session_id=session, is_error=is_error, summary=summary, refusals=tuple(refusals))


def _shell_parts(command: str) -> list[str]:
    """The simple commands of a shell command line, as written: split at `&&`, `||`, `;`, `|`,
    `&` and newlines outside quotes (Claude Code checks each part of a compound command on its
    own, so each needs its own rule)."""
    parts, current, quote, index = [], "", "", 0
    while index < len(command):
        char = command[index]
        if quote:
            current += char
            if char == "\\" and quote == '"' and index + 1 < len(command):
                current += command[index + 1]
                index += 1
            elif char == quote:
                quote = ""
        elif char == "\\" and index + 1 < len(command):
            current += command[index : index + 2]
            index += 1
        elif char in "'\"":
            quote, current = char, current + char
        elif char == "&" and (
            current.endswith((">", "<")) or command[index + 1 : index + 2] == ">"
        ):
            current += char  # a redirection (2>&1, &>file), not a separator
        elif char in ";|&\n":
            parts.append(current)
            current = ""
            if command[index : index + 2] in {"&&", "||"}:
                index += 1
        else:
            current += char
        index += 1
    parts.append(current)
    return [part.strip() for part in parts if part.strip()]


def _no_grants(test_command: str | None) -> list[str]:
    del test_command
    return []


def _claude_grants(test_command: str | None) -> list[str]:
    """Claude Code in `-p` mode refuses every edit and every shell command it was not granted,
    and still exits 0: edits in the working copy are granted, and the test command (each of its
    parts, with any arguments after them) as a shell command; nothing else."""
    grants = ["--permission-mode", "acceptEdits"]
    rules = [f"Bash({part}:*)" for part in _shell_parts(test_command or "")]
    # One argument: the option takes a list, and would swallow the words after it.
    return [*grants, "--allowedTools", ",".join(rules)] if rules else grants


def _generic_fix(refusal: Refusal, test_command: str | None) -> str:
    del test_command
    return f"allow {refusal.tool} with agent.extra_args, as the CLI's documentation says"


_CLAUDE_EDITS = frozenset({"Write", "Edit", "MultiEdit", "NotebookEdit"})


def _claude_fix(refusal: Refusal, test_command: str | None) -> str:
    rule = refusal.tool
    if refusal.tool in _CLAUDE_EDITS:
        where = (
            "Baton grants edits inside the working copy (--permission-mode acceptEdits, unless "
            "agent.extra_args sets another mode)"
        )
    elif refusal.tool == "Bash":
        words = refusal.target.split()
        rule = f"Bash({words[0]}:*)" if words else "Bash"
        where = (
            f"Baton grants only the test command `{test_command}` as a shell command"
            if test_command
            else "no test command is set (validation.test_command), so no shell command is granted"
        )
    else:
        where = f"Baton grants no {refusal.tool}"
    return f'{where}; allow it with agent.extra_args: ["--allowedTools", "{rule}"]'


def _codex_sandbox(confined: bool) -> list[str]:
    """Codex confines its own tools (bubblewrap and its `codex-linux-sandbox` helper on Linux):
    inside Baton's sandbox that nesting fails, and Baton's sandbox is the boundary there, so
    Codex runs unconfined inside it; without Baton's, Codex's own keeps it to the working copy."""
    return ["--sandbox", "danger-full-access" if confined else "workspace-write"]


def _codex_fix(refusal: Refusal, test_command: str | None) -> str:
    del refusal, test_command  # Codex refuses nothing it is asked in `exec`: its sandbox failed
    return (
        "Codex's own sandbox could not run its tool: with bubblewrap installed Codex needs its "
        "codex-linux-sandbox helper, which it does not set up while CODEX_HOME (~/.codex) is in "
        "the temp directory, nor inside another sandbox; move CODEX_HOME out of the temp "
        "directory, or let Baton's sandbox confine Codex (it then runs with "
        "--sandbox danger-full-access)"
    )


def _gemini_grants(test_command: str | None) -> list[str]:
    """Gemini CLI in headless mode refuses to start in a folder it does not trust, and offers
    its model no tool that would need a confirmation: edits need --approval-mode auto_edit and
    the test command (each of its parts) an allow rule for its shell tool."""
    grants = ["--skip-trust", "--approval-mode", "auto_edit"]
    for part in _shell_parts(test_command or ""):
        if "," not in part:  # the option splits its values at commas: such a part cannot be said
            grants += ["--allowed-tools", f"run_shell_command({part})"]
    return grants


def _gemini_fix(refusal: Refusal, test_command: str | None) -> str:
    if refusal.tool == "run_shell_command":
        words = refusal.target.split()
        rule = f"run_shell_command({words[0]})" if words else "run_shell_command"
        where = (
            f"Baton allows only the test command `{test_command}` as a shell command"
            if test_command
            else "no test command is set (validation.test_command), so no shell command is allowed"
        )
    else:
        # Not offered, or refused by a policy: its approval mode or its own settings.
        return (
            f"Gemini CLI gives its model {refusal.tool} only in --approval-mode auto_edit (which "
            "Baton passes) or yolo, and only where its settings allow it; set no other mode in "
            "agent.extra_args, and allow it in ~/.gemini (tools.exclude, tools.core, policies)"
        )
    return f'{where}; allow it with agent.extra_args: ["--allowed-tools", "{rule}"]'


def _gemini_diagnosis(exit_code: int | None, output: str) -> str | None:
    """Gemini CLI's fatal exits before it prints any event, by their exit codes."""
    if exit_code == 55:
        return (
            "Gemini CLI would not work in an untrusted folder (exit 55), although Baton passes "
            "--skip-trust: GEMINI_RESTRICTED_MODE=true in the environment overrides that; unset "
            "it, or trust the working copy in ~/.gemini/trustedFolders.json"
        )
    if exit_code == 41:
        said = _one_line(_failure_detail(output))[:200] or "no sign-in"
        return (
            f"Gemini CLI could not sign in (exit 41): {said}; set GEMINI_API_KEY, and with "
            "GOOGLE_GEMINI_BASE_URL also choose the key in ~/.gemini/settings.json "
            '(`"security": {"auth": {"selectedType": "gemini-api-key"}}`)'
        )
    return None


# The options that choose a sandbox (Codex) or an approval mode (Gemini CLI): each CLI takes its
# option once and fails on a second, so one in agent.extra_args replaces Baton's.
_CODEX_SANDBOX_OPTIONS = ("--sandbox", "-s", "--dangerously-bypass-approvals-and-sandbox")
_GEMINI_APPROVAL_OPTIONS = ("--approval-mode", "--yolo", "-y")


def _given(args: list[str], options: tuple[str, ...]) -> bool:
    return any(a in options or a.startswith(tuple(f"{o}=" for o in options)) for a in args)


def _codex_flags(args: list[str]) -> list[str]:
    """`args` start with Baton's `--sandbox MODE` (Codex has no other grants)."""
    if args[:1] == ["--sandbox"] and _given(args[2:], _CODEX_SANDBOX_OPTIONS):
        return args[2:]
    return args


def _gemini_flags(args: list[str]) -> list[str]:
    """`args` start with Baton's grants: --skip-trust, then --approval-mode auto_edit."""
    if args[1:3] == ["--approval-mode", "auto_edit"] and _given(args[3:], _GEMINI_APPROVAL_OPTIONS):
        return [args[0], *args[3:]]
    return args


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
    # An older name of the executable, run when `executable` is not on PATH.
    fallback: str | None = None
    # (refusal, test command) -> how to allow what the CLI refused.
    fix: Callable[[Refusal, str | None], str] = _generic_fix
    # (Baton's sandbox confines the CLI) -> flags for the CLI's own sandbox, put with `grants`.
    own_sandbox: Callable[[bool], list[str]] = _no_sandbox_flags
    # (exit code, the end of its output) -> the cause and its fix for a call that failed, where
    # the exit code says more than the output (a CLI that stops before printing any JSON).
    diagnose: Callable[[int | None, str], str | None] = _no_diagnosis
    # What its output says when a resumed session is not there (see AgentResult.session_lost).
    session_gone: re.Pattern[str] | None = None


PRESETS: dict[str, Preset] = {
    "claude": Preset(
        "claude",
        lambda exe, p, x: [exe, "-p", p, "--output-format", "json", *x],
        lambda exe, s, p, x: [exe, "-p", p, "--output-format", "json", "--resume", s, *x],
        _reply_from_result_json,
        grants=_claude_grants,
        # Claude Code's documented settings: its provider's variables, its own, and the
        # switches that keep it to the conversation (telemetry, updates, error reports).
        env_names=(
            "CLAUDE_CONFIG_DIR",
            "MAX_THINKING_TOKENS",
            "MAX_MCP_OUTPUT_TOKENS",
            "USE_BUILTIN_RIPGREP",
        ),
        env_prefixes=("ANTHROPIC_", "CLAUDE_CODE_", "DISABLE_", "BASH_", "MCP_", "VERTEX_REGION_"),
        fix=_claude_fix,
        session_gone=_CLAUDE_SESSION_GONE,
    ),
    "codex": Preset(
        "codex",
        lambda exe, p, x: [exe, "exec", "--json", *_codex_flags(x), p],
        # Flags go before `resume`: codex ignores them after it.
        lambda exe, s, p, x: [exe, "exec", "--json", *_codex_flags(x), "resume", s, p],
        _reply_from_codex_events,
        # Its key (either name), the OpenAI client's base URL and organization headers, and its
        # own settings (CODEX_HOME, CODEX_CA_CERTIFICATE, …).
        env_names=(
            "OPENAI_API_KEY",
            "OPENAI_BASE_URL",
            "OPENAI_ORGANIZATION",
            "OPENAI_PROJECT",
        ),
        env_prefixes=("CODEX_",),
        fix=_codex_fix,
        own_sandbox=_codex_sandbox,
        session_gone=_CODEX_SESSION_GONE,
    ),
    "cursor-cli": Preset(
        "agent",
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
        env_names=("CURSOR_API_KEY",),
        fallback="cursor-agent",  # its name before it became `agent`
        session_gone=_CURSOR_SESSION_GONE,
    ),
    "gemini": Preset(
        "gemini",
        # Events, not one result object: only they say which tool calls it refused.
        lambda exe, p, x: [exe, "-p", p, "--output-format", "stream-json", *_gemini_flags(x)],
        lambda exe, s, p, x: [
            exe,
            "-p",
            p,
            "--output-format",
            "stream-json",
            "-r",
            s,
            *_gemini_flags(x),
        ],
        _reply_from_gemini_events,
        grants=_gemini_grants,
        # Its keys and base URLs (Gemini API and Vertex AI), Google Cloud's project and
        # credentials, and its own settings (GEMINI_MODEL, GEMINI_CLI_HOME, …).
        env_names=(
            "GOOGLE_API_KEY",
            "GOOGLE_GEMINI_BASE_URL",
            "GOOGLE_VERTEX_BASE_URL",
            "GOOGLE_GENAI_USE_VERTEXAI",
            "GOOGLE_GENAI_USE_GCA",
            "GOOGLE_GENAI_API_VERSION",
            "GOOGLE_CLOUD_PROJECT",
            "GOOGLE_CLOUD_PROJECT_ID",
            "GOOGLE_CLOUD_LOCATION",
            "GOOGLE_APPLICATION_CREDENTIALS",
        ),
        env_prefixes=("GEMINI_",),
        fix=_gemini_fix,
        diagnose=_gemini_diagnosis,
        session_gone=_GEMINI_SESSION_GONE,
    ),
}


# The versions the presets were tested with, as `--version` reports them (Cursor's CLI is not on
# npm, so no version of it has been).
TESTED_VERSIONS = {"claude": "2.1.197", "codex": "0.171.0", "gemini": "0.61.0"}


def _check_executable(kind: str, exe: str, fallback: str | None = None) -> str:
    found = shutil.which(exe) or (shutil.which(fallback) if fallback else None)
    if found is None:
        also = f" (nor `{fallback}`)" if fallback else ""
        raise ConfigError(
            f"the {kind} agent's executable `{exe}`{also} is not installed or not on PATH",
            hint="install it, or set agent.executable (agent.command for `command`) in "
            ".github/baton.yml",
        )
    return str(Path(found).absolute())


def preset_executable(config: AgentConfig) -> str:
    """The absolute path of a preset's executable: agent.executable, else the preset's name on
    PATH (else its older name); a ConfigError that says the fix when there is none."""
    preset = PRESETS[config.kind]
    if config.executable:
        return _check_executable(config.kind, config.executable)
    return _check_executable(config.kind, preset.executable, preset.fallback)


def agent_env(config: AgentConfig) -> dict[str, str]:
    """The agent's environment: the basics, what its CLI documents, and agent.env."""
    preset = PRESETS.get(config.kind)
    names = [*config.env, *(preset.env_names if preset else ())]
    return agent_environment(names, preset.env_prefixes if preset else ())


class CliAgent:
    """One of the presets, or `command`: templates with {prompt_file}, {session_id}, {workdir}.

    `test_command` is the command the agent may run to test its work (a call can name the
    ticket's own instead); a preset grants its CLI that and edits in the working copy."""

    def __init__(
        self,
        config: AgentConfig,
        test_command: str | None = None,
        *,
        sandbox: Sandbox | None = None,
    ) -> None:
        self.config = config
        self.name: str = config.kind
        self.timeout_s = config.timeout_minutes * 60
        self.test_command = test_command
        # None runs the agent unconfined; the entry points pass the sandbox they opened.
        self.sandbox: Sandbox = sandbox or NoSandbox()
        self.files = AGENT_FILES.get(config.kind, AgentFiles())
        # Files the configuration names (a script, the executable) and their directories (a
        # script's modules and data): the agent must read them wherever they are, the sandbox's
        # private /tmp and hidden HOME included (the sandbox never shows a HOME whole).
        self.named_paths: tuple[Path, ...] = ()
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
                    named = [Path(w) for w in _template_words(key, template) if _named_file(w)]
                    self.named_paths += tuple(p for f in named for p in (f, f.parent))
            self.preset: Preset | None = None
            self.executable = ""
        else:
            self.preset = PRESETS[config.kind]
            # Resolved once, here: a relative path means the same file when the agent runs in
            # the working copy, and the check below is the one that counts.
            self.executable = preset_executable(config)
            self.named_paths = (Path(self.executable), Path(self.executable).parent)

    def _check_executable(self, exe: str) -> str:
        return _check_executable(self.name, exe)

    def start(
        self,
        prompt: str,
        workdir: Path,
        branch: str | None = None,
        *,
        test_command: str | None = None,
    ) -> AgentResult:
        # A CLI agent works in the working copy itself; the branch names its chain's HOME.
        return self._call(None, prompt, workdir, test_command or self.test_command, branch)

    def resume(
        self,
        session_id: str,
        prompt: str,
        workdir: Path,
        branch: str | None = None,
        *,
        test_command: str | None = None,
    ) -> AgentResult:
        return self._call(session_id, prompt, workdir, test_command or self.test_command, branch)

    def environment(self) -> dict[str, str]:
        """What the agent's process sees of Baton's environment (bot.agents.environment)."""
        return agent_env(self.config)

    def _call(
        self,
        session: str | None,
        prompt: str,
        workdir: Path,
        test_command: str | None,
        branch: str | None = None,
    ) -> AgentResult:
        resuming = session is not None
        if self.preset is not None:
            prompt = _argv_safe(prompt)  # a command reads its prompt from a file instead
        with tempfile.TemporaryDirectory(prefix="baton-prompt-") as tmp:
            prompt_file = Path(tmp) / "prompt.md"
            prompt_file.write_text(prompt, encoding="utf-8")
            argv, parse, session = self._argv(session, prompt, prompt_file, workdir, test_command)
            # The chain's own HOME, kept between calls: the CLI's sessions are stored there.
            home = self.sandbox.agent_home(workdir / STATE_DIR / "homes", branch or "-", self.files)
            confined = Confinement(
                workdir, self.environment(), home=home, readable=(Path(tmp), *self.named_paths)
            )
            command = self.sandbox.wrap(argv, confined)
            result, stdout = run_command(
                command.argv, workdir, self.timeout_s, env=command.env, tail_lines=40
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
        gone = self.preset.session_gone if self.preset else _CLAUDE_SESSION_GONE
        lost = resuming and result.exit_code != 0 and bool(gone and gone.search(result.tail))
        try:
            reply = parse(stdout)
        except ValueError as exc:
            detail = _one_line(_failure_detail(result.tail)) or "no output"
            known = self._diagnosis(result.exit_code, result.tail)
            return AgentResult(
                ok=False,
                session_id=session,
                error=from_environment()(known or f"{exc} (exit {result.exit_code}): {detail}"),
                duration_s=result.duration_s,
                session_lost=lost,
            )
        failed = reply.is_error or result.exit_code != 0 or bool(reply.refusals)
        error = None
        if reply.refusals:
            # Refused calls are the cause to report even when the CLI says it succeeded.
            error = self._refused(reply.refusals, test_command)
        elif failed:
            # The agent's own account of its failure; else what its output says (stderr, for
            # an agent that only exited non-zero), else its summary.
            own = _one_line(reply.summary) if reply.is_error else ""
            detail = own or _one_line(_failure_detail(result.tail)) or _one_line(reply.summary)
            error = detail[:500] or "no output"
            if result.exit_code != 0:
                error = f"exit {result.exit_code}: {error}"
            error = self._diagnosis(result.exit_code, result.tail) or error
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
            summary=redact(strip_ansi(reply.summary)[:_SUMMARY]),
            error=redact(error) if error else None,
            cost_usd=reply.cost_usd,
            duration_s=result.duration_s,
            session_lost=failed and lost,
        )

    def _diagnosis(self, exit_code: int | None, output: str) -> str | None:
        """The preset's own account of a failed call, when its exit code tells one."""
        if self.preset is None or exit_code in (None, 0):
            return None
        found = self.preset.diagnose(exit_code, output)
        return _one_line(found) if found else None

    def _refused(self, refusals: tuple[Refusal, ...], test_command: str | None) -> str:
        """One line: what the CLI refused, and how to allow it."""
        first = refusals[0]
        target = f" `{_one_line(first.target)[:160]}`" if first.target else ""
        more = f" (and {len(refusals) - 1} more)" if len(refusals) > 1 else ""
        fix = self.preset.fix(first, test_command) if self.preset else _generic_fix(first, None)
        return f"{self.name} refused {_one_line(first.tool)[:60]}{target}{more}: {fix}"

    def _argv(
        self,
        session: str | None,
        prompt: str,
        prompt_file: Path,
        workdir: Path,
        test_command: str | None,
    ) -> tuple[list[str], Callable[[str], Reply], str | None]:
        extra = list(self.config.extra_args)
        if self.config.model:
            extra = ["--model", self.config.model, *extra]
        if self.preset is not None:
            exe = self.executable
            own = self.preset.own_sandbox(self.sandbox.active)
            extra = [*self.preset.grants(test_command), *own, *extra]
            argv = (
                self.preset.resume(exe, session, prompt, extra)
                if session
                else self.preset.start(exe, prompt, extra)
            )
            return argv, self.preset.parse, session
        # Any other agent: Baton names the session when the agent does not, so resuming works.
        key = "resume_command" if session and self.config.resume_command else "command"
        template = str(
            self.config.resume_command if key == "resume_command" else self.config.command
        )
        session = session or f"baton-{uuid.uuid4().hex[:12]}"
        values = {"prompt_file": str(prompt_file), "session_id": session, "workdir": str(workdir)}
        argv = [_fill(part, values) for part in _template_words(key, template)]
        return [*argv, *self.config.extra_args], _reply_from_command, session


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
