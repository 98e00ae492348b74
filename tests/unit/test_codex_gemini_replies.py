"""Codex's JSON events and Gemini CLI's stream-json events, read as Baton reads them: recorded
lines from the real CLIs (Codex 0.171.0, Gemini CLI 0.61.0) say what each parser must find, and
random events with the same vocabulary and the wrong types show that whatever a CLI prints
becomes a reply or a ValueError (a failed call), never another exception."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.agents.cli.codex import reply_from_events as reply_from_codex_events
from bot.agents.cli.gemini import reply_from_events as reply_from_gemini_events
from bot.agents.cli.output import Refusal, Reply

CODEX_SANDBOX_FAILED = """\
{"type":"thread.started","thread_id":"01a23ad8-2387-7960-819f-ee1ce2436380"}
{"type":"turn.started"}
{"type":"item.started","item":{"id":"item_0","type":"file_change","changes":[{"path":"/w/notes.txt","kind":"add"}],"status":"in_progress"}}
{"type":"item.completed","item":{"id":"item_0","type":"file_change","changes":[{"path":"/w/notes.txt","kind":"add"}],"status":"failed"}}
{"type":"item.completed","item":{"id":"item_1","type":"agent_message","text":"Done: wrote notes.txt."}}
{"type":"turn.completed","usage":{"input_tokens":200,"cached_input_tokens":0,"output_tokens":40}}
"""
CODEX_OK = """\
{"type":"thread.started","thread_id":"01a23ad9-379e-7aa0-b76d-988d4192d5bb"}
{"type":"turn.started"}
{"type":"item.completed","item":{"id":"item_0","type":"file_change","changes":[{"path":"/w/notes.txt","kind":"add"}],"status":"failed"}}
{"type":"item.completed","item":{"id":"item_1","type":"file_change","changes":[{"path":"/w/notes.txt","kind":"add"}],"status":"completed"}}
{"type":"item.completed","item":{"id":"item_2","type":"command_execution","command":"/bin/bash -lc 'python3 check.py'","aggregated_output":"check ok\\n","exit_code":1,"status":"failed"}}
{"type":"item.completed","item":{"id":"item_3","type":"agent_message","text":"Done."}}
{"type":"turn.completed","usage":{"input_tokens":200,"cached_input_tokens":0,"output_tokens":40}}
"""
CODEX_COMMAND_IN_NO_SANDBOX = """\
{"type":"thread.started","thread_id":"t1"}
{"type":"item.completed","item":{"id":"item_0","type":"command_execution","command":"/bin/bash -lc 'touch a'","aggregated_output":"bwrap: execvp codex-linux-sandbox: No such file or directory\\n","exit_code":1,"status":"failed"}}
{"type":"turn.completed","usage":{}}
"""
GEMINI_REFUSED = """\
{"type":"init","timestamp":"2026-12-03T07:43:03.968Z","session_id":"55940448-61d9-4793-85a1-c2855bfb0c40","model":"auto"}
{"type":"message","timestamp":"2026-12-03T07:43:03.970Z","role":"user","content":"write notes"}
{"type":"tool_use","timestamp":"2026-12-03T07:43:04.067Z","tool_name":"write_file","tool_id":"write_file__write_file_1796283784021_0","parameters":{"file_path":"a.txt","content":"x\\n"}}
{"type":"tool_use","timestamp":"2026-12-03T07:43:04.071Z","tool_name":"run_shell_command","tool_id":"run_shell_command__run_shell_command_1796283784067_1","parameters":{"command":"ls -la","description":"Run a command the task asks for."}}
{"type":"tool_result","timestamp":"2026-12-03T07:43:04.153Z","tool_id":"write_file__write_file_1796283784021_0","status":"success"}
{"type":"tool_result","timestamp":"2026-12-03T07:43:04.153Z","tool_id":"run_shell_command__run_shell_command_1796283784067_1","status":"error","output":"Tool execution denied by policy.","error":{"type":"policy_violation","message":"Tool execution denied by policy."}}
{"type":"message","timestamp":"2026-12-03T07:43:04.169Z","role":"assistant","content":"done","delta":true}
{"type":"result","timestamp":"2026-12-03T07:43:04.170Z","status":"success","stats":{"total_tokens":360,"input_tokens":300,"output_tokens":60,"cached":0,"input":300,"duration_ms":202,"tool_calls":2}}
"""
GEMINI_UNREGISTERED = """\
{"type":"init","timestamp":"2026-12-03T07:59:09.349Z","session_id":"da46b49c","model":"auto"}
{"type":"tool_use","timestamp":"2026-12-03T07:59:09.404Z","tool_name":"write_file","tool_id":"w0","parameters":{"file_path":"n.txt","content":"a\\n"}}
{"type":"tool_result","timestamp":"2026-12-03T07:59:09.432Z","tool_id":"w0","status":"error","output":"Tool \\"write_file\\" not found.","error":{"type":"tool_not_registered","message":"Tool \\"write_file\\" not found."}}
{"type":"tool_result","timestamp":"2026-12-03T07:59:09.433Z","tool_id":"w1","status":"error","error":{"type":"edit_no_occurrence_found","message":"Failed to edit"}}
{"type":"message","timestamp":"2026-12-03T07:59:09.448Z","role":"assistant","content":"do","delta":true}
{"type":"message","timestamp":"2026-12-03T07:59:09.448Z","role":"assistant","content":"ne","delta":true}
{"type":"result","timestamp":"2026-12-03T07:59:09.450Z","status":"success","stats":{}}
"""
GEMINI_API_ERROR = """\
{"type":"init","timestamp":"2026-12-03T07:43:28.453Z","session_id":"77017722","model":"auto"}
{"type":"message","timestamp":"2026-12-03T07:43:28.456Z","role":"user","content":"write notes"}
{"type":"result","timestamp":"2026-12-03T07:43:28.600Z","status":"error","error":{"type":"unknown","message":"[API Error: {\\"error\\":{\\"code\\":400,\\"message\\":\\"bad request here\\",\\"status\\":\\"INVALID_ARGUMENT\\"}}]"},"stats":{}}
"""

RECORDED = [
    (
        reply_from_codex_events,
        CODEX_SANDBOX_FAILED,
        Reply(
            "01a23ad8-2387-7960-819f-ee1ce2436380",
            is_error=False,
            summary="Done: wrote notes.txt.",
            refusals=(Refusal("apply_patch", "/w/notes.txt"),),
        ),
    ),
    # A write that failed once and then succeeded, and a test that failed: nothing refused.
    (
        reply_from_codex_events,
        CODEX_OK,
        Reply("01a23ad9-379e-7aa0-b76d-988d4192d5bb", is_error=False, summary="Done."),
    ),
    (
        reply_from_codex_events,
        CODEX_COMMAND_IN_NO_SANDBOX,
        Reply(
            "t1",
            is_error=False,
            summary="",
            refusals=(Refusal("shell", "/bin/bash -lc 'touch a'"),),
        ),
    ),
    (
        reply_from_gemini_events,
        GEMINI_REFUSED,
        Reply(
            "55940448-61d9-4793-85a1-c2855bfb0c40",
            is_error=False,
            summary="done",
            refusals=(Refusal("run_shell_command", "ls -la"),),
        ),
    ),
    # A tool it does not offer is refused; an edit that did not match is the model's to fix.
    (
        reply_from_gemini_events,
        GEMINI_UNREGISTERED,
        Reply(
            "da46b49c", is_error=False, summary="done", refusals=(Refusal("write_file", "n.txt"),)
        ),
    ),
    (
        reply_from_gemini_events,
        GEMINI_API_ERROR,
        Reply(
            "77017722",
            is_error=True,
            summary='[API Error: {"error":{"code":400,"message":"bad request here","status":'
            '"INVALID_ARGUMENT"}}]',
        ),
    ),
]


@pytest.mark.parametrize(("parse", "output", "expected"), RECORDED)
def test_recorded_events_read_as_the_cli_meant_them(
    parse: Callable[[str], Reply], output: str, expected: Reply
) -> None:
    assert parse(output) == expected


def test_gemini_events_that_never_end_are_a_turn_that_did_not_finish() -> None:
    started = GEMINI_REFUSED.splitlines()[0]
    with pytest.raises(ValueError, match="no result event"):
        reply_from_gemini_events(started)
    with pytest.raises(ValueError, match="no init event"):
        reply_from_gemini_events("Loaded cached credentials.\n")


KEYS = [
    "type",
    "thread_id",
    "session_id",
    "item",
    "status",
    "changes",
    "path",
    "command",
    "aggregated_output",
    "text",
    "error",
    "message",
    "role",
    "content",
    "tool_name",
    "tool_id",
    "parameters",
    "file_path",
]
WORDS = [
    "thread.started",
    "turn.completed",
    "turn.failed",
    "item.completed",
    "error",
    "file_change",
    "command_execution",
    "agent_message",
    "failed",
    "completed",
    "init",
    "message",
    "assistant",
    "tool_use",
    "tool_result",
    "result",
    "success",
    "policy_violation",
    "tool_not_registered",
    "bwrap: x",
]
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.sampled_from(WORDS), st.text()
)
VALUES: st.SearchStrategy[Any] = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS), inner, max_size=5)
    ),
    max_leaves=20,
)
EVENTS = st.lists(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=6), max_size=8)


@pytest.mark.parametrize("parse", [reply_from_codex_events, reply_from_gemini_events])
@given(events=EVENTS)
def test_any_events_are_a_reply_or_a_failed_call(
    parse: Callable[[str], Reply], events: list[dict[str, Any]]
) -> None:
    output = "\n".join(json.dumps(event) for event in events)
    try:
        reply = parse(output)
    except ValueError:
        return
    assert isinstance(reply.summary, str)
    assert all(isinstance(r.tool, str) and isinstance(r.target, str) for r in reply.refusals)
