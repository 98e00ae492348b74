"""Claude Code: `-p` with one JSON result object (which Cursor CLI and a `command` print too), the
permissions it must be granted, and how to allow what it refused."""

from __future__ import annotations

import re
from typing import Any

from bot.agents.cli.output import (
    TARGET_KEYS,
    Refusal,
    Reply,
    as_cost,
    as_session,
    error_message,
    json_objects,
)
from bot.agents.cli.preset import Preset
from bot.agents.cli.shell import shell_parts

# What a CLI answers when asked to resume a session it does not have: its sessions live in its
# HOME, and a new job's runner has a fresh one. Claude Code's answer is measured with the real
# binary (exit 1); a `command` agent is read as Claude Code is.
SESSION_GONE = re.compile(r"No conversation found with session ID")
# Keys of a result object (Claude, Cursor, Gemini); any other JSON in the output is not one.
_RESULT_KEYS = frozenset({"session_id", "sessionId", "result", "response", "error", "is_error"})


def reply_from_result_json(stdout: str, *, embedded: bool = True) -> Reply:
    """Claude Code, Cursor CLI and Gemini print one result object with a `session_id`."""
    objects = [o for o in json_objects(stdout, embedded=embedded) if _RESULT_KEYS & o.keys()]
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
            error_message(error)
            or summary
            or "; ".join(details)
            or (f"the agent stopped: {data['subtype']}" if data.get("subtype") else "")
        )
    return Reply(
        session_id=as_session(data.get("session_id") or data.get("sessionId")),
        is_error=is_error,
        summary=str(summary),
        cost_usd=as_cost(data.get("total_cost_usd")),
        refusals=_permission_denials(data.get("permission_denials")),
    )


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
        target = next((given[k] for k in TARGET_KEYS if isinstance(given.get(k), str)), "")
        refusals.append(Refusal(str(tool) if tool else "a tool", target))
    return tuple(refusals)


def _grants(test_command: str | None) -> list[str]:
    """Claude Code in `-p` mode refuses every edit and every shell command it was not granted,
    and still exits 0: edits in the working copy are granted, and the test command (each of its
    parts, with any arguments after them) as a shell command; nothing else."""
    grants = ["--permission-mode", "acceptEdits"]
    rules = [f"Bash({part}:*)" for part in shell_parts(test_command or "")]
    # One argument: the option takes a list, and would swallow the words after it.
    return [*grants, "--allowedTools", ",".join(rules)] if rules else grants


_EDITS = frozenset({"Write", "Edit", "MultiEdit", "NotebookEdit"})


def _fix(refusal: Refusal, test_command: str | None) -> str:
    rule = refusal.tool
    if refusal.tool in _EDITS:
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


PRESET = Preset(
    "claude",
    lambda exe, p, x: [exe, "-p", p, "--output-format", "json", *x],
    lambda exe, s, p, x: [exe, "-p", p, "--output-format", "json", "--resume", s, *x],
    reply_from_result_json,
    grants=_grants,
    # Claude Code's documented settings: its provider's variables, its own, and the
    # switches that keep it to the conversation (telemetry, updates, error reports).
    env_names=(
        "CLAUDE_CONFIG_DIR",
        "MAX_THINKING_TOKENS",
        "MAX_MCP_OUTPUT_TOKENS",
        "USE_BUILTIN_RIPGREP",
    ),
    env_prefixes=("ANTHROPIC_", "CLAUDE_CODE_", "DISABLE_", "BASH_", "MCP_", "VERTEX_REGION_"),
    fix=_fix,
    session_gone=SESSION_GONE,
)
