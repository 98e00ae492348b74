"""Anthropic's Messages API, as the scripted model: what Claude Code talks to.

Shapes, from Anthropic's API documentation:
- Request and response: "Messages" (POST /v1/messages), platform.claude.com/docs/en/api/messages:
  `{model, max_tokens, messages: [{role, content: str | [blocks]}], system?, tools?, stream?}`;
  the answer is a Message `{id, type: "message", role: "assistant", model, content: [blocks],
  stop_reason, stop_sequence, usage: {input_tokens, output_tokens}}`; blocks are
  `{type: "text", text}` and `{type: "tool_use", id, name, input}`; the client answers a tool call
  with a user block `{type: "tool_result", tool_use_id, content: str | [text blocks], is_error?}`.
- Streaming: "Streaming messages", platform.claude.com/docs/en/build-with-claude/streaming:
  SSE `event: <type>` + `data: <json>`, in the order message_start (the Message with empty content),
  ping, per block content_block_start / content_block_delta (`text_delta` with `text`, or
  `input_json_delta` with `partial_json`: the tool input as JSON text, in pieces) /
  content_block_stop, then message_delta (`delta: {stop_reason, stop_sequence}`, `usage:
  {output_tokens}`) and message_stop. A tool_use block starts with `input: {}`.
- Errors: "Errors", platform.claude.com/docs/en/api/errors: the HTTP status with
  `{"type": "error", "error": {"type", "message"}, "request_id"}`, and a `request-id` header on
  every response.
- Token counting: "Count tokens in a message", platform.claude.com/docs/en/api/messages-count-tokens:
  POST /v1/messages/count_tokens with a Messages body (no max_tokens) → `{"input_tokens": n}`.

Tools are Claude Code's own, named as it declares them in `tools`: `Write {file_path (absolute),
content}` (after a `Read {file_path}` of the same file, since its Write refuses to overwrite a file
it has not read; a Read of a missing file only answers an error result), and `Bash {command,
description}`. A step whose tool the CLI did not offer becomes a sentence saying so.

Main-conversation requests carry tools; the others (no tools: titles, topic checks, a quota probe
with max_tokens 1) get a short neutral answer and consume no turn.
"""

from __future__ import annotations

import json
import re
import uuid
from http.server import BaseHTTPRequestHandler
from pathlib import PurePosixPath
from typing import Any

from tests.fakes.models.script import Call, Failure, RunCommand, Script, Turn, WriteFile

ROUTES = [("POST", r"/v1/messages"), ("POST", r"/v1/messages/count_tokens")]
NEUTRAL = "OK."
API_KEY = "sk-ant-api03-scripted-endpoint-key"
# Claude Code's environment block in its system prompt names the session's directory.
# (2.1.197: " - Primary working directory: /path" under "# Environment").
_WORKDIR = re.compile(r"^\s*(?:-\s*)?(?:Primary )?[Ww]orking directory:\s*(/.*?)\s*$", re.MULTILINE)


def env(url: str) -> dict[str, str]:
    """The endpoint, a key, and Claude Code kept to it: no telemetry, error reporting, update
    checks or other traffic that is not the conversation."""
    return {
        "ANTHROPIC_BASE_URL": url,
        "ANTHROPIC_API_KEY": API_KEY,
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_ERROR_REPORTING": "1",
        "DISABLE_AUTOUPDATER": "1",
        "DISABLE_BUG_COMMAND": "1",
        "DISABLE_NON_ESSENTIAL_MODEL_CALLS": "1",
    }


def handle(
    handler: BaseHTTPRequestHandler, match: re.Match[str], body: dict[str, Any], script: Script
) -> None:
    if match.group(0).endswith("/count_tokens"):
        _send_json(handler, 200, {"input_tokens": max(1, len(json.dumps(body)) // 4)})
        return
    tools = [str(t.get("name")) for t in body.get("tools") or [] if isinstance(t, dict)]
    model = str(body.get("model") or "claude-scripted")
    if not tools:
        _answer(handler, body, _message(model, [_text(NEUTRAL)], "end_turn"))
        return
    call = Call(
        protocol="anthropic",
        path=match.group(0),
        body=body,
        user_texts=_user_texts(body),
        tool_results=_tool_results(body),
        tools=tools,
    )
    turn = script.next_turn(call)
    if isinstance(turn.steps, Failure):
        failure = turn.steps
        error = {"type": failure.kind, "message": failure.message}
        _send_json(handler, failure.status, {"type": "error", "error": error, **_request_id()})
        return
    try:
        blocks = _blocks(turn, tools, _workdir(body))
    except ValueError as exc:  # the script cannot be played here: a loud 400, never a pass
        error = {"type": "invalid_request_error", "message": f"scripted endpoint: {exc}"}
        _send_json(handler, 400, {"type": "error", "error": error, **_request_id()})
        return
    stop = "tool_use" if any(b["type"] == "tool_use" for b in blocks) else "end_turn"
    _answer(handler, body, _message(model, blocks, stop))


def _blocks(turn: Turn, tools: list[str], workdir: str | None) -> list[dict[str, Any]]:
    blocks = [_text(turn.text)] if turn.text else []
    for step in turn.tool_steps:
        if isinstance(step, WriteFile):
            if "Write" not in tools:
                blocks.append(_text(f"(no Write tool was offered: {step.path} stays unwritten)"))
                continue
            if workdir is None:
                raise ValueError("the request names no working directory to write in")
            path = str(PurePosixPath(workdir, step.path))
            if "Read" in tools:
                blocks.append(_tool_use("Read", {"file_path": path}))
            blocks.append(_tool_use("Write", {"file_path": path, "content": step.content}))
        elif isinstance(step, RunCommand):
            if "Bash" not in tools:
                blocks.append(_text(f"(no Bash tool was offered: `{step.command}` stays unrun)"))
                continue
            blocks.append(_tool_use("Bash", {"command": step.command, "description": "Run it"}))
    return blocks or [_text(NEUTRAL)]


def _workdir(body: dict[str, Any]) -> str | None:
    """The directory from the system prompt (text or text blocks), else from the messages."""
    system = body.get("system")
    texts = [system] if isinstance(system, str) else []
    if isinstance(system, list):
        texts += [str(b.get("text", "")) for b in system if isinstance(b, dict)]
    for message in body.get("messages") or []:
        texts += _texts(message.get("content"), "text") if isinstance(message, dict) else []
    for text in texts:
        found = _WORKDIR.search(text)
        if found:
            return found.group(1)
    return None


def _texts(content: Any, kind: str) -> list[str]:
    if isinstance(content, str):
        return [content] if kind == "text" else []
    if not isinstance(content, list):
        return []
    found = []
    for block in content:
        if not isinstance(block, dict) or block.get("type") != kind:
            continue
        if kind == "text":
            found.append(str(block.get("text", "")))
        else:  # a tool_result's content is text or a list of text blocks
            found.append("\n".join(_texts(block.get("content"), "text")))
    return found


def _user_texts(body: dict[str, Any]) -> list[str]:
    users = [
        m for m in body.get("messages") or [] if isinstance(m, dict) and m.get("role") == "user"
    ]
    return [text for m in users for text in _texts(m.get("content"), "text")]


def _tool_results(body: dict[str, Any]) -> list[str]:
    users = [
        m for m in body.get("messages") or [] if isinstance(m, dict) and m.get("role") == "user"
    ]
    return [text for m in users for text in _texts(m.get("content"), "tool_result")]


def _text(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def _tool_use(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "tool_use",
        "id": f"toolu_{uuid.uuid4().hex[:24]}",
        "name": name,
        "input": arguments,
    }


def _message(model: str, blocks: list[dict[str, Any]], stop: str) -> dict[str, Any]:
    return {
        "id": f"msg_{uuid.uuid4().hex[:24]}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": blocks,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": 100, "output_tokens": 10},
    }


def _answer(handler: BaseHTTPRequestHandler, body: dict[str, Any], message: dict[str, Any]) -> None:
    if body.get("stream"):
        _send_sse(handler, _events(message))
    else:
        _send_json(handler, 200, message)


def _events(message: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The Message as the documented event sequence; text and tool input in two pieces each, as
    a client must join deltas, not take the first."""
    start = {**message, "content": [], "stop_reason": None, "stop_sequence": None}
    start["usage"] = {**message["usage"], "output_tokens": 1}
    events: list[tuple[str, dict[str, Any]]] = [
        ("message_start", {"type": "message_start", "message": start}),
        ("ping", {"type": "ping"}),
    ]
    for index, block in enumerate(message["content"]):
        if block["type"] == "tool_use":
            opening = {**block, "input": {}}
            data = json.dumps(block["input"])
            deltas = [{"type": "input_json_delta", "partial_json": part} for part in _halves(data)]
        else:
            opening = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": part} for part in _halves(block["text"])]
        events.append(
            (
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": opening},
            )
        )
        events += [
            ("content_block_delta", {"type": "content_block_delta", "index": index, "delta": d})
            for d in deltas
        ]
        events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    delta = {"stop_reason": message["stop_reason"], "stop_sequence": None}
    usage = {"output_tokens": message["usage"]["output_tokens"]}
    events.append(("message_delta", {"type": "message_delta", "delta": delta, "usage": usage}))
    events.append(("message_stop", {"type": "message_stop"}))
    return events


def _halves(text: str) -> list[str]:
    middle = len(text) // 2
    return [part for part in (text[:middle], text[middle:]) if part]


def _request_id() -> dict[str, str]:
    return {"request_id": f"req_{uuid.uuid4().hex[:24]}"}


def _send_json(handler: BaseHTTPRequestHandler, status: int, data: dict[str, Any]) -> None:
    _send(handler, status, "application/json", json.dumps(data).encode())


def _send_sse(handler: BaseHTTPRequestHandler, events: list[tuple[str, dict[str, Any]]]) -> None:
    # The whole stream at once, with its length: each event still arrives as its own SSE record.
    text = "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events)
    _send(handler, 200, "text/event-stream", text.encode())


def _send(handler: BaseHTTPRequestHandler, status: int, kind: str, data: bytes) -> None:
    handler.send_response(status)
    handler.send_header("content-type", kind)
    handler.send_header("request-id", _request_id()["request_id"])
    handler.send_header("content-length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)
