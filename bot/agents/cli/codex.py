"""Codex: `exec --json`, its JSON Lines events, its own sandbox, and what a refusal means there."""

from __future__ import annotations

import re
from typing import Any

from bot.agents.cli.output import Refusal, Reply, as_session, json_objects
from bot.agents.cli.preset import Preset, option_given

# What it answers when asked to resume a session it does not have (see claude.SESSION_GONE): what
# the test fakes print, not yet measured with the real binary; re-check on upgrades.
_SESSION_GONE = re.compile(r"No saved session found with ID")
# The options that choose its sandbox: Codex takes the option once and fails on a second, so one
# in agent.extra_args replaces Baton's.
_SANDBOX_OPTIONS = ("--sandbox", "-s", "--dangerously-bypass-approvals-and-sandbox")


def reply_from_events(stdout: str) -> Reply:
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
    for event in json_objects(stdout):
        kind = event.get("type")
        if not isinstance(kind, str):
            continue
        if kind == "thread.started":
            session = as_session(event.get("thread_id"))
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
                _refusals(item, refused)
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
_SANDBOX_FAILED = re.compile(r"codex-linux-sandbox|^bwrap: ", re.MULTILINE)


def _refusals(item: dict[str, Any], refused: dict[str, Refusal]) -> None:
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
        if status == "declined" or (status == "failed" and _SANDBOX_FAILED.search(output)):
            refused[f"run:{command}"] = Refusal("shell", command)
        elif status == "completed":
            refused.pop(f"run:{command}", None)


def _own_sandbox(confined: bool) -> list[str]:
    """Codex confines its own tools (bubblewrap and its `codex-linux-sandbox` helper on Linux):
    inside Baton's sandbox that nesting fails, and Baton's sandbox is the boundary there, so
    Codex runs unconfined inside it; without Baton's, Codex's own keeps it to the working copy."""
    return ["--sandbox", "danger-full-access" if confined else "workspace-write"]


def _fix(refusal: Refusal, test_command: str | None) -> str:
    del refusal, test_command  # Codex refuses nothing it is asked in `exec`: its sandbox failed
    return (
        "Codex's own sandbox could not run its tool: with bubblewrap installed Codex needs its "
        "codex-linux-sandbox helper, which it does not set up while CODEX_HOME (~/.codex) is in "
        "the temp directory, nor inside another sandbox; move CODEX_HOME out of the temp "
        "directory, or let Baton's sandbox confine Codex (it then runs with "
        "--sandbox danger-full-access)"
    )


def _flags(args: list[str]) -> list[str]:
    """`args` start with Baton's `--sandbox MODE` (Codex has no other grants)."""
    if args[:1] == ["--sandbox"] and option_given(args[2:], _SANDBOX_OPTIONS):
        return args[2:]
    return args


PRESET = Preset(
    "codex",
    lambda exe, p, x: [exe, "exec", "--json", *_flags(x), p],
    # Flags go before `resume`: codex ignores them after it.
    lambda exe, s, p, x: [exe, "exec", "--json", *_flags(x), "resume", s, p],
    reply_from_events,
    # Its key (either name), the OpenAI client's base URL and organization headers, and its
    # own settings (CODEX_HOME, CODEX_CA_CERTIFICATE, …).
    env_names=(
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "OPENAI_ORGANIZATION",
        "OPENAI_PROJECT",
    ),
    env_prefixes=("CODEX_",),
    fix=_fix,
    own_sandbox=_own_sandbox,
    session_gone=_SESSION_GONE,
)
