"""Google's Gemini API, as the scripted model endpoint speaks it (for Gemini CLI).

Shapes, from the Gemini API reference (ai.google.dev/api):
- `POST /v1beta/models/{model}:generateContent` answers one `GenerateContentResponse`
  ("Generating content"): `candidates[{content: {role: "model", parts}, finishReason: "STOP",
  index}]`, `usageMetadata{promptTokenCount, candidatesTokenCount, totalTokenCount}`,
  `modelVersion`, `responseId`.
- `POST /v1beta/models/{model}:streamGenerateContent?alt=sse` answers the same objects as
  server-sent events, `data: <json>` each, the last one with the `finishReason` and usage.
- Parts ("Caching" > Content, Part): `{text}`, `{functionCall: {name, args}}` from the model,
  `{functionResponse: {name, response}}` from the client; tools are
  `tools[{functionDeclarations: [{name, description, parameters | parametersJsonSchema}]}]`.
- `POST /v1beta/models/{model}:countTokens` answers `{totalTokens}` ("Counting tokens").
- Errors ("Troubleshooting" > error codes): the HTTP status with
  `{"error": {"code", "message", "status"}}`, `status` the canonical name (INVALID_ARGUMENT …).

Which tools Gemini CLI offers is read from the request: with its default approval mode it
declares no write or shell tool at all, and then the model here cannot edit either. Requests
that declare no tools (its router's complexity score, its next-speaker check, a title) get a
neutral answer: JSON that fits the `responseJsonSchema` asked for, or a short text.
"""

from __future__ import annotations

import itertools
import json
import re
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes.models.script import Call, Failure, RunCommand, Script, Turn, WriteFile

ROUTES = [
    ("POST", r"/v1beta/models/(?P<model>[^/:]+):(?P<method>generateContent)"),
    ("POST", r"/v1beta/models/(?P<model>[^/:]+):(?P<method>streamGenerateContent)"),
    ("POST", r"/v1beta/models/(?P<model>[^/:]+):(?P<method>countTokens)"),
]
KEY = "scripted-gemini-key"
_ids = itertools.count(1)
_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def env(url: str) -> dict[str, str]:
    """The key and base URL Gemini CLI reads. It takes the base URL for a gateway of its own
    kind, which its headless mode refuses ("Invalid auth method selected"), unless its settings
    choose the API key: see `settings_json`."""
    return {"GEMINI_API_KEY": KEY, "GOOGLE_GEMINI_BASE_URL": url}


def settings_json() -> str:
    """`~/.gemini/settings.json` for a user who signs in with an API key, with nothing sent
    home: no usage statistics, no telemetry, no update check."""
    return json.dumps(
        {
            "security": {"auth": {"selectedType": "gemini-api-key"}},
            "privacy": {"usageStatisticsEnabled": False},
            "telemetry": {"enabled": False},
            "general": {"enableAutoUpdate": False, "enableAutoUpdateNotification": False},
        },
        indent=2,
    )


# --- reading the request ----------------------------------------------------------------------


def _tools(body: dict[str, Any]) -> list[str]:
    names = []
    for group in body.get("tools") or []:
        if isinstance(group, dict):
            for declaration in group.get("functionDeclarations") or []:
                if isinstance(declaration, dict) and isinstance(declaration.get("name"), str):
                    names.append(declaration["name"])
    return names


def _call(path: str, body: dict[str, Any], tools: list[str]) -> Call:
    user_texts, results = [], []
    for content in body.get("contents") or []:
        if not isinstance(content, dict) or content.get("role", "user") != "user":
            continue
        # Gemini CLI sends its session context and the prompt as two parts of one message:
        # each text part counts on its own, so the prompt is one of them as it was sent.
        for part in content.get("parts") or []:
            if not isinstance(part, dict):
                continue
            if isinstance(part.get("text"), str):
                user_texts.append(part["text"])
            response = part.get("functionResponse")
            if isinstance(response, dict):
                results.append(json.dumps(response.get("response"), sort_keys=True))
    return Call("gemini", path, body, user_texts, results, sorted(tools))


# --- writing the answer -----------------------------------------------------------------------


def _part(step: WriteFile | RunCommand, tools: list[str]) -> dict[str, Any] | str:
    """The functionCall part that does `step` with the CLI's own tool; else what the model
    says instead, having no tool for it."""
    if isinstance(step, WriteFile):
        if "write_file" in tools:
            call = {"name": "write_file", "args": {"file_path": step.path, "content": step.content}}
            return {"functionCall": call}
        return f"I have no tool to write {step.path}."
    if "run_shell_command" in tools:
        args = {"command": step.command, "description": "Run a command the task asks for."}
        return {"functionCall": {"name": "run_shell_command", "args": args}}
    return f"I have no tool to run `{step.command}`."


def _response(model: str, parts: list[dict[str, Any]], *, last: bool) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    answer: dict[str, Any] = {
        "candidates": [candidate],
        "modelVersion": model,
        "responseId": f"scripted-{next(_ids)}",
    }
    if last:
        candidate["finishReason"] = "STOP"
        answer["usageMetadata"] = {
            "promptTokenCount": 100,
            "candidatesTokenCount": 20,
            "totalTokenCount": 120,
        }
    return answer


def _fill(schema: Any) -> Any:
    """A value that fits a JSON schema (the OpenAPI-style one Gemini takes): enough for the
    CLI's own helper requests. Of an enum, "user" when it is one: the next-speaker check then
    hands the turn back, as a model that has finished would."""
    if not isinstance(schema, dict):
        return None
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return "user" if "user" in schema["enum"] else schema["enum"][0]
    kind = str(schema.get("type", "object")).lower()
    if kind == "object":
        properties = schema.get("properties") or {}
        return {name: _fill(sub) for name, sub in properties.items()}
    if kind == "array":
        return []
    if kind in {"integer", "number"}:
        return max(1, int(schema.get("minimum") or 1))
    if kind == "boolean":
        return False
    return "Nothing to add."


def _auxiliary(body: dict[str, Any]) -> str:
    config = body.get("generationConfig") or {}
    schema = config.get("responseJsonSchema") or config.get("responseSchema")
    if config.get("responseMimeType") == "application/json" or schema:
        return json.dumps(_fill(schema or {"type": "object"}))
    return "OK."


def _send_json(handler: BaseHTTPRequestHandler, status: int, data: Any) -> None:
    raw = json.dumps(data).encode()
    handler.send_response(status)
    handler.send_header("content-type", "application/json; charset=UTF-8")
    handler.send_header("content-length", str(len(raw)))
    handler.end_headers()
    handler.wfile.write(raw)


def _send(handler: BaseHTTPRequestHandler, method: str, answers: list[dict[str, Any]]) -> None:
    if method != "streamGenerateContent":
        # One object: the last chunk, holding the parts of them all.
        last = answers[-1]
        parts = [part for a in answers for part in a["candidates"][0]["content"]["parts"]]
        candidate = {**last["candidates"][0], "content": {"role": "model", "parts": parts}}
        _send_json(handler, 200, {**last, "candidates": [candidate]})
        return
    raw = "".join(f"data: {json.dumps(a)}\r\n\r\n" for a in answers).encode()
    handler.send_response(200)
    handler.send_header("content-type", "text/event-stream")
    handler.send_header("content-length", str(len(raw)))
    handler.end_headers()
    handler.wfile.write(raw)


def handle(
    handler: BaseHTTPRequestHandler, match: re.Match[str], body: dict[str, Any], script: Script
) -> None:
    model, method = match.group("model"), match.group("method")
    if method == "countTokens":
        _send_json(handler, 200, {"totalTokens": 100})
        return
    tools = _tools(body)
    if not tools:
        # Not the agent's conversation: a neutral answer, consuming no turn.
        _send(handler, method, [_response(model, [{"text": _auxiliary(body)}], last=True)])
        return
    turn: Turn = script.next_turn(_call(handler.path, body, tools))
    if isinstance(turn.steps, Failure):
        failure = turn.steps
        status = _STATUS.get(failure.status, "UNKNOWN")
        error = {"code": failure.status, "message": failure.message, "status": status}
        _send_json(handler, failure.status, {"error": error})
        return
    said: list[str] = []
    calls: list[dict[str, Any]] = []
    for step in turn.tool_steps:
        part = _part(step, tools)
        if isinstance(part, str):
            said.append(part)
        else:
            calls.append(part)
    text = "\n".join(part for part in [*said, turn.text] if part)
    answers = []
    if text:
        answers.append(_response(model, [{"text": text}], last=not calls))
    if calls:
        answers.append(_response(model, calls, last=True))
    if not answers:
        answers.append(_response(model, [{"text": ""}], last=True))
    _send(handler, method, answers)
