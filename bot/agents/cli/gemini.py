"""Gemini CLI: `--output-format stream-json` events, the approvals it must be given headless, its
fatal exit codes, and how to allow what it refused."""

from __future__ import annotations

import re
from typing import Any

from bot.agents.cli.output import (
    TARGET_KEYS,
    Refusal,
    Reply,
    as_session,
    error_message,
    json_objects,
)
from bot.agents.cli.preset import Preset, option_given
from bot.agents.cli.reasons import failure_detail, one_line
from bot.agents.cli.shell import shell_parts

# What it answers when asked to resume a session it does not have (see claude.SESSION_GONE): what
# the test fakes print, not yet measured with the real binary; re-check on upgrades.
_SESSION_GONE = re.compile(r"Invalid session identifier")
# The options that choose an approval mode: Gemini CLI takes the option once and fails on a
# second, so one in agent.extra_args replaces Baton's.
_APPROVAL_OPTIONS = ("--approval-mode", "--yolo", "-y")
# Gemini CLI's tool errors that mean it would not run the call (its ToolErrorType): a policy
# refused it (headless mode refuses whatever would need a confirmation), or no such tool was
# offered (excluded by its settings or its approval mode).
_REFUSED = frozenset({"policy_violation", "tool_not_registered"})


def reply_from_events(stdout: str) -> Reply:
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
    for event in json_objects(stdout, embedded=False):
        kind = event.get("type")
        if kind == "init":
            session = as_session(event.get("session_id"))
        elif kind == "message" and event.get("role") == "assistant":
            content = event.get("content")
            if isinstance(content, str):
                text.append(content)
        elif kind == "tool_use":
            tool = event.get("tool_name")
            given = event.get("parameters")
            given = given if isinstance(given, dict) else {}
            target = next((given[k] for k in TARGET_KEYS if isinstance(given.get(k), str)), "")
            calls[str(event.get("tool_id"))] = Refusal(str(tool) if tool else "a tool", target)
            text = []  # the summary is what it said after its last tool call
        elif kind == "tool_result" and event.get("status") == "error":
            error = event.get("error")
            if isinstance(error, dict) and error.get("type") in _REFUSED:
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
        summary = error_message(result.get("error")) or summary or "the agent stopped"
    return Reply(session_id=session, is_error=is_error, summary=summary, refusals=tuple(refusals))


def _grants(test_command: str | None) -> list[str]:
    """Gemini CLI in headless mode refuses to start in a folder it does not trust, and offers
    its model no tool that would need a confirmation: edits need --approval-mode auto_edit and
    the test command (each of its parts) an allow rule for its shell tool."""
    grants = ["--skip-trust", "--approval-mode", "auto_edit"]
    for part in shell_parts(test_command or ""):
        if "," not in part:  # the option splits its values at commas: such a part cannot be said
            grants += ["--allowed-tools", f"run_shell_command({part})"]
    return grants


def _fix(refusal: Refusal, test_command: str | None) -> str:
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


def _diagnosis(exit_code: int | None, output: str) -> str | None:
    """Gemini CLI's fatal exits before it prints any event, by their exit codes."""
    if exit_code == 55:
        return (
            "Gemini CLI would not work in an untrusted folder (exit 55), although Baton passes "
            "--skip-trust: GEMINI_RESTRICTED_MODE=true in the environment overrides that; unset "
            "it, or trust the working copy in ~/.gemini/trustedFolders.json"
        )
    if exit_code == 41:
        said = one_line(failure_detail(output))[:200] or "no sign-in"
        return (
            f"Gemini CLI could not sign in (exit 41): {said}; set GEMINI_API_KEY, and with "
            "GOOGLE_GEMINI_BASE_URL also choose the key in ~/.gemini/settings.json "
            '(`"security": {"auth": {"selectedType": "gemini-api-key"}}`)'
        )
    return None


def _flags(args: list[str]) -> list[str]:
    """`args` start with Baton's grants: --skip-trust, then --approval-mode auto_edit."""
    if args[1:3] == ["--approval-mode", "auto_edit"] and option_given(args[3:], _APPROVAL_OPTIONS):
        return [args[0], *args[3:]]
    return args


PRESET = Preset(
    "gemini",
    # Events, not one result object: only they say which tool calls it refused.
    lambda exe, p, x: [exe, "-p", p, "--output-format", "stream-json", *_flags(x)],
    lambda exe, s, p, x: [
        exe,
        "-p",
        p,
        "--output-format",
        "stream-json",
        "-r",
        s,
        *_flags(x),
    ],
    reply_from_events,
    grants=_grants,
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
    # Else it starts a second Node process of itself, to raise its heap limit: 1.2 s of CPU more
    # per call, measured on 0.61.0, for a limit a headless turn does not need.
    env_defaults=(("GEMINI_CLI_NO_RELAUNCH", "true"),),
    fix=_fix,
    diagnose=_diagnosis,
    session_gone=_SESSION_GONE,
)
