"""OpenAI's Responses API, as the scripted model endpoint speaks it (for Codex).

Shapes, from OpenAI's API reference (platform.openai.com/docs/api-reference/responses):
- `POST /v1/responses` with `stream: true` answers `text/event-stream`; each event is
  `event: <type>` + `data: <json>` with a `sequence_number` and no `[DONE]` sentinel
  ("Streaming events"): `response.created`, `response.in_progress`, per output item
  `response.output_item.added` … `response.output_item.done`, for text
  `response.content_part.added`, `response.output_text.delta`, `response.output_text.done`,
  `response.content_part.done`; for a function call `response.function_call_arguments.delta` /
  `.done`; for a custom tool `response.custom_tool_call_input.delta` / `.done`; last
  `response.completed` with the whole response and its `usage`.
- Output items ("Response object" > output): `message` (role `assistant`, content
  `output_text`), `function_call` (`call_id`, `name`, `arguments` as JSON text) and
  `custom_tool_call` (`call_id`, `name`, `input` as free text; the "Custom tools" guide).
- Request input items: `message` (role, content of `input_text`), `function_call_output` and
  `custom_tool_call_output` (`call_id`, `output`).
- Errors ("Error codes"): an HTTP status with `{"error": {"message", "type", "param", "code"}}`.

Which tools Codex offers, and in what form, is read from the request, never assumed: the
request's `tools`, or an `additional_tools` input item holding namespaces. Codex's default model
works in "code mode": its one tool is `exec`, a custom tool taking JavaScript whose description
declares the nested tools it may call (`tools.apply_patch(patch)`, `tools.exec_command({cmd})`).
A file write becomes Codex's own patch format ("*** Begin Patch" / "*** Add File: …"), which is
what its `apply_patch` tool takes.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes.models.script import (
    Call,
    Failure,
    RunCommand,
    Script,
    Turn,
    WriteFile,
)

ROUTES = [("POST", r"/v1/responses")]
KEY = "sk-scripted-endpoint-key"
_ids = itertools.count(1)
# A nested tool declared in code mode's `exec` description: `declare const tools: { name(`.
_NESTED = re.compile(r"declare const tools: \{ (\w+)\(")


def env(url: str) -> dict[str, str]:
    """The key Codex sends; its base URL comes from `config_toml` (see there)."""
    del url
    return {"OPENAI_API_KEY": KEY}


def config_toml(url: str) -> str:
    """A `config.toml` for CODEX_HOME that points Codex here. Codex reads its provider from its
    configuration, not from the environment; a provider of its own (rather than the built-in
    `openai` with another base URL) also makes it speak plain HTTP + SSE, not WebSockets.
    Nothing goes elsewhere: no update check, no analytics, and no plugins (their marketplace
    is fetched from github.com and chatgpt.com at start)."""
    return (
        'model_provider = "scripted"\n'
        "check_for_update_on_startup = false\n"
        "[analytics]\nenabled = false\n"
        "[features]\nplugins = false\n"
        "[model_providers.scripted]\n"
        'name = "Scripted"\n'
        f'base_url = "{url}/v1"\n'
        'env_key = "OPENAI_API_KEY"\n'
        'wire_api = "responses"\n'
    )


# --- reading the request ----------------------------------------------------------------------


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def _tools(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every tool offered, by name: top-level ones, tools in namespaces, and (code mode) the
    nested tools `exec` declares, recorded as `{"type": "nested"}`."""
    found: dict[str, dict[str, Any]] = {}

    def add(tools: Any) -> None:
        for tool in tools if isinstance(tools, list) else []:
            if not isinstance(tool, dict):
                continue
            if tool.get("type") == "namespace":
                add(tool.get("tools"))
                continue
            name = tool.get("name") or (tool.get("function") or {}).get("name")
            if isinstance(name, str):
                found[name] = tool
            if name == "exec" and tool.get("type") == "custom":
                for nested in _NESTED.findall(str(tool.get("description", ""))):
                    found.setdefault(nested, {"type": "nested", "name": nested})

    add(body.get("tools"))
    for item in body.get("input") or []:
        if isinstance(item, dict) and item.get("type") == "additional_tools":
            add(item.get("tools"))
    return found


def _call(path: str, body: dict[str, Any], tools: dict[str, dict[str, Any]]) -> Call:
    items = body.get("input")
    items = items if isinstance(items, list) else [{"role": "user", "content": items}]
    user_texts, results = [], []
    for item in items:
        if not isinstance(item, dict):
            continue
        kind = item.get("type", "message")
        if kind == "message" and item.get("role") == "user":
            user_texts.append(_text(item.get("content")))
        elif kind in {"function_call_output", "custom_tool_call_output"}:
            results.append(_text(item.get("output")))
    return Call("openai", path, body, user_texts, results, sorted(tools))


# --- writing the answer -----------------------------------------------------------------------


def _patch(step: WriteFile) -> str:
    """Codex's patch format: a whole new file (an existing one is replaced)."""
    lines = "".join(f"+{line}\n" for line in step.content.splitlines())
    return f"*** Begin Patch\n*** Add File: {step.path}\n{lines}*** End Patch\n"


def _code_mode(steps: list[WriteFile | RunCommand], tools: dict[str, dict[str, Any]]) -> str:
    """The JavaScript a model would hand `exec` to do the steps with the nested tools."""
    lines = []
    for step in steps:
        if isinstance(step, WriteFile) and "apply_patch" in tools:
            lines.append(f"text(await tools.apply_patch({json.dumps(_patch(step))}));")
        elif isinstance(step, RunCommand) and "exec_command" in tools:
            args = json.dumps({"cmd": step.command, "yield_time_ms": 30000})
            lines.append(
                f"{{ const r = await tools.exec_command({args});"
                " text(r.output); text(`exit code: ${r.exit_code}`); }"
            )
    return "\n".join(lines)


def _tool_items(
    steps: list[WriteFile | RunCommand], tools: dict[str, dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[str]]:
    """The output items that do the steps with the tools offered, and the steps no offered
    tool could do (the model says so instead, as a real one would)."""
    items: list[dict[str, Any]] = []
    missing: list[str] = []
    if tools.get("exec", {}).get("type") == "custom":
        source = _code_mode(steps, tools)
        if source:
            items.append(_custom("exec", source))
        doable = [s for s in steps if _nested_tool(s) in tools]
        missing = [_describe(s) for s in steps if s not in doable]
        return items, missing
    for step in steps:
        if isinstance(step, WriteFile) and "apply_patch" in tools:
            tool = tools["apply_patch"]
            if tool.get("type") == "custom":
                items.append(_custom("apply_patch", _patch(step)))
            else:
                items.append(_function("apply_patch", {"input": _patch(step)}))
        elif isinstance(step, RunCommand) and "exec_command" in tools:
            items.append(_function("exec_command", {"cmd": step.command}))
        elif isinstance(step, RunCommand) and "shell_command" in tools:
            items.append(_function("shell_command", {"command": step.command}))
        elif isinstance(step, RunCommand) and "shell" in tools:
            items.append(_function("shell", {"command": ["bash", "-lc", step.command]}))
        else:
            missing.append(_describe(step))
    return items, missing


def _nested_tool(step: WriteFile | RunCommand) -> str:
    return "apply_patch" if isinstance(step, WriteFile) else "exec_command"


def _describe(step: WriteFile | RunCommand) -> str:
    if isinstance(step, WriteFile):
        return f"I have no tool to write {step.path}."
    return f"I have no tool to run `{step.command}`."


def _custom(name: str, text: str) -> dict[str, Any]:
    n = next(_ids)
    return {
        "type": "custom_tool_call",
        "id": f"ctc_{n}",
        "call_id": f"call_{n}",
        "name": name,
        "input": text,
        "status": "completed",
    }


def _function(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    n = next(_ids)
    return {
        "type": "function_call",
        "id": f"fc_{n}",
        "call_id": f"call_{n}",
        "name": name,
        "arguments": json.dumps(arguments),
        "status": "completed",
    }


def _message(text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "id": f"msg_{next(_ids)}",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


def _response(rid: str, model: str, status: str, output: list[dict[str, Any]]) -> dict[str, Any]:
    response: dict[str, Any] = {
        "id": rid,
        "object": "response",
        "created_at": int(time.time()),
        "status": status,
        "model": model,
        "output": output,
        "error": None,
        "incomplete_details": None,
    }
    if status == "completed":
        response["usage"] = {
            "input_tokens": 100,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": 20,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": 120,
        }
    return response


def _events(model: str, output: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    rid = f"resp_{next(_ids)}"
    events: list[tuple[str, dict[str, Any]]] = [
        ("response.created", {"response": _response(rid, model, "in_progress", [])}),
        ("response.in_progress", {"response": _response(rid, model, "in_progress", [])}),
    ]
    for index, item in enumerate(output):
        item_id = item["id"]
        opened = {**item, "status": "in_progress"}
        where = {"item_id": item_id, "output_index": index}
        if item["type"] == "message":
            text = item["content"][0]["text"]
            opened["content"] = []
            part = {"type": "output_text", "text": "", "annotations": []}
            events += [
                ("response.output_item.added", {"output_index": index, "item": opened}),
                ("response.content_part.added", {**where, "content_index": 0, "part": part}),
                ("response.output_text.delta", {**where, "content_index": 0, "delta": text}),
                ("response.output_text.done", {**where, "content_index": 0, "text": text}),
                (
                    "response.content_part.done",
                    {**where, "content_index": 0, "part": {**part, "text": text}},
                ),
            ]
        elif item["type"] == "function_call":
            opened["arguments"] = ""
            events += [
                ("response.output_item.added", {"output_index": index, "item": opened}),
                ("response.function_call_arguments.delta", {**where, "delta": item["arguments"]}),
                (
                    "response.function_call_arguments.done",
                    {**where, "arguments": item["arguments"]},
                ),
            ]
        else:  # custom_tool_call
            opened["input"] = ""
            events += [
                ("response.output_item.added", {"output_index": index, "item": opened}),
                ("response.custom_tool_call_input.delta", {**where, "delta": item["input"]}),
                ("response.custom_tool_call_input.done", {**where, "input": item["input"]}),
            ]
        events.append(("response.output_item.done", {"output_index": index, "item": item}))
    events.append(("response.completed", {"response": _response(rid, model, "completed", output)}))
    return events


def _send_json(handler: BaseHTTPRequestHandler, status: int, data: dict[str, Any]) -> None:
    raw = json.dumps(data).encode()
    handler.send_response(status)
    handler.send_header("content-type", "application/json")
    handler.send_header("content-length", str(len(raw)))
    handler.end_headers()
    handler.wfile.write(raw)


def _send_events(handler: BaseHTTPRequestHandler, events: list[tuple[str, dict[str, Any]]]) -> None:
    chunks = []
    for sequence, (kind, data) in enumerate(events):
        payload = {"type": kind, "sequence_number": sequence, **data}
        chunks.append(f"event: {kind}\ndata: {json.dumps(payload)}\n\n")
    raw = "".join(chunks).encode()
    handler.send_response(200)
    handler.send_header("content-type", "text/event-stream")
    handler.send_header("content-length", str(len(raw)))
    handler.end_headers()
    handler.wfile.write(raw)


def _failure(handler: BaseHTTPRequestHandler, failure: Failure) -> None:
    _send_json(
        handler,
        failure.status,
        {
            "error": {
                "message": failure.message,
                "type": failure.kind,
                "param": None,
                "code": None,
            }
        },
    )


def handle(
    handler: BaseHTTPRequestHandler, match: re.Match[str], body: dict[str, Any], script: Script
) -> None:
    del match
    model = str(body.get("model") or "scripted")
    tools = _tools(body)
    if not tools:
        # Not the agent's conversation (a title, a summary, a memory): a short neutral answer.
        _send_events(handler, _events(model, [_message("OK.")]))
        return
    turn: Turn = script.next_turn(_call(handler.path, body, tools))
    if isinstance(turn.steps, Failure):
        _failure(handler, turn.steps)
        return
    items, missing = _tool_items(turn.tool_steps, tools)
    text = "\n".join(part for part in [*missing, turn.text] if part)
    output = [_message(text)] if text else []
    _send_events(handler, _events(model, [*output, *items]))
