"""The scripted endpoint's Anthropic shapes, as Anthropic's API documentation gives them (the
sources are named in tests/fakes/models/anthropic.py): a client that follows the documentation
reads the same answer from the stream as from the JSON."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.fakes.models import ModelEndpoint, Script, Turn, fail, run, say, write

SYSTEM = "You are an agent.\n\n# Environment\n - Primary working directory: /work/repo\n"
TOOLS = [{"name": n, "input_schema": {"type": "object"}} for n in ("Read", "Write", "Bash")]


def request(endpoint: ModelEndpoint, **body: Any) -> httpx.Response:
    body = {"model": "claude-test", "max_tokens": 1024, "system": SYSTEM, **body}
    body.setdefault("messages", [{"role": "user", "content": "Do it."}])
    headers = {"x-api-key": "k", "anthropic-version": "2023-06-01"}
    return httpx.post(f"{endpoint.url}/v1/messages", json=body, headers=headers, timeout=10)


def events(response: httpx.Response) -> list[tuple[str, dict[str, Any]]]:
    """SSE records: `event:` and `data:` lines, a blank line after each."""
    found = []
    for record in response.text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in record.splitlines())
        data = json.loads(fields["data"])
        assert data["type"] == fields["event"]
        found.append((fields["event"], data))
    return found


def from_stream(stream: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """The Message a client builds from the events, as the streaming documentation says."""
    message: dict[str, Any] = {}
    partial: dict[int, str] = {}
    for kind, data in stream:
        if kind == "message_start":
            message = data["message"]
        elif kind == "content_block_start":
            message["content"].append(data["content_block"])
        elif kind == "content_block_delta":
            block, delta = message["content"][data["index"]], data["delta"]
            if delta["type"] == "text_delta":
                block["text"] += delta["text"]
            else:
                partial[data["index"]] = partial.get(data["index"], "") + delta["partial_json"]
        elif kind == "content_block_stop" and data["index"] in partial:
            message["content"][data["index"]]["input"] = json.loads(partial[data["index"]])
        elif kind == "message_delta":
            message.update(data["delta"])
    return message


def test_a_turn_streams_as_the_message_it_answers_as_json() -> None:
    turn = Turn(say("Writing it."), write("notes.txt", "one\n"), run("make test"))
    with ModelEndpoint(Script([turn, turn])) as endpoint:
        streamed = request(endpoint, tools=TOOLS, stream=True)
        plain = request(endpoint, tools=TOOLS)

    assert streamed.headers["content-type"] == "text/event-stream"
    stream = events(streamed)
    kinds = [kind for kind, _ in stream]
    assert kinds[:2] == ["message_start", "ping"]
    assert kinds[-2:] == ["message_delta", "message_stop"]
    assert stream[0][1]["message"]["content"] == []
    message = from_stream(stream)
    expected = plain.json()
    assert plain.headers["request-id"].startswith("req_")
    assert message["stop_reason"] == expected["stop_reason"] == "tool_use"
    strip = [{k: v for k, v in b.items() if k != "id"} for b in expected["content"]]
    assert [{k: v for k, v in b.items() if k != "id"} for b in message["content"]] == strip
    assert strip == [
        {"type": "text", "text": "Writing it."},
        {"type": "tool_use", "name": "Read", "input": {"file_path": "/work/repo/notes.txt"}},
        {
            "type": "tool_use",
            "name": "Write",
            "input": {"file_path": "/work/repo/notes.txt", "content": "one\n"},
        },
        {
            "type": "tool_use",
            "name": "Bash",
            "input": {"command": "make test", "description": "Run it"},
        },
    ]


def test_requests_without_tools_get_a_short_answer_and_take_no_turn() -> None:
    with ModelEndpoint(Script([Turn(say("The real answer."))])) as endpoint:
        aside = request(endpoint, max_tokens=1)
        counted = httpx.post(
            f"{endpoint.url}/v1/messages/count_tokens",
            json={"model": "claude-test", "messages": [{"role": "user", "content": "hi"}]},
        )
        main = request(endpoint, tools=TOOLS)

    assert aside.json()["content"] == [{"type": "text", "text": "OK."}]
    assert aside.json()["stop_reason"] == "end_turn"
    assert isinstance(counted.json()["input_tokens"], int)
    assert main.json()["content"] == [{"type": "text", "text": "The real answer."}]
    assert [call.tools for call in endpoint.calls] == [["Read", "Write", "Bash"]]


def test_a_failure_is_the_documented_error_with_its_status() -> None:
    script = Script(
        [Turn(fail(429, "Number of requests has exceeded your rate limit", "rate_limit_error"))]
    )
    with ModelEndpoint(script) as endpoint:
        answer = request(endpoint, tools=TOOLS, stream=True)

    assert answer.status_code == 429
    body = answer.json()
    assert body["type"] == "error"
    assert body["error"] == {
        "type": "rate_limit_error",
        "message": "Number of requests has exceeded your rate limit",
    }
    assert body["request_id"].startswith("req_")


def test_a_tool_the_cli_did_not_offer_is_not_called() -> None:
    with ModelEndpoint(Script([Turn(write("notes.txt", "one\n"))])) as endpoint:
        answer = request(endpoint, tools=[{"name": "Read", "input_schema": {"type": "object"}}])

    assert answer.json()["stop_reason"] == "end_turn"
    assert answer.json()["content"] == [
        {"type": "text", "text": "(no Write tool was offered: notes.txt stays unwritten)"}
    ]


def test_the_call_records_what_the_cli_sent() -> None:
    messages = [
        {"role": "user", "content": [{"type": "text", "text": "First."}]},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {}}],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "ran"},
                {"type": "text", "text": "Second."},
            ],
        },
    ]
    with ModelEndpoint(Script([Turn(say("ok"))])) as endpoint:
        request(endpoint, tools=TOOLS, messages=messages)

    [call] = endpoint.calls
    assert (call.protocol, call.path) == ("anthropic", "/v1/messages")
    assert call.user_texts == ["First.", "Second."]
    assert call.tool_results == ["ran"]
