"""A fake LLM endpoint on 127.0.0.1 that speaks both shapes Baton's reviewer uses: Anthropic's
Messages API (`POST /v1/messages`, `x-api-key`, `anthropic-version`) and OpenAI's chat completions
(`POST /v1/chat/completions`, `Authorization: Bearer`).

The model is a function of the prompt: `answer(prompt) -> text`, so a test can play an honest model
or a compromised one. `delay` holds every answer back (a slow model), `status` answers an API error
in the provider's error shape, `raw` replaces the whole response body.

    with FakeLlm(answer=lambda prompt: '{"findings": []}') as llm:
        ...  # point the reviewer at llm.url
        assert "ignore your instructions" in llm.requests[0].prompt
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

Answer = Callable[[str], str]


@dataclass(frozen=True)
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def prompt(self) -> str:
        """The user's message."""
        messages = [m for m in self.body.get("messages", []) if m.get("role") == "user"]
        return str(messages[-1]["content"]) if messages else ""

    @property
    def system(self) -> str:
        if "system" in self.body:
            return str(self.body["system"])
        messages = [m for m in self.body.get("messages", []) if m.get("role") == "system"]
        return str(messages[0]["content"]) if messages else ""


def _anthropic(model: str, text: str) -> dict[str, Any]:
    return {
        "id": "msg_01FakeFakeFakeFakeFakeFake",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 100, "output_tokens": len(text) // 4 + 1},
    }


def _openai(model: str, text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110},
    }


def _error(path: str, status: int, message: str) -> dict[str, Any]:
    if path == "/v1/messages":
        kind = {401: "authentication_error", 429: "rate_limit_error"}.get(status, "api_error")
        return {"type": "error", "error": {"type": kind, "message": message}}
    return {"error": {"message": message, "type": "invalid_request_error", "code": None}}


class FakeLlm:
    def __init__(
        self,
        answer: str | Answer = '{"findings": []}',
        *,
        delay: float = 0.0,
        status: int = 200,
        raw: bytes | None = None,
        api_key: str = "sk-test-fake-key-0000000000000000",
    ) -> None:
        self.answer: Answer = (lambda _prompt: answer) if isinstance(answer, str) else answer
        self.delay = delay
        self.status = status
        self.raw = raw
        self.api_key = api_key
        self.requests: list[Recorded] = []
        self.answered = 0  # answers sent, once their `delay` was over
        self._stop = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeLlm:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()  # wakes answers held back by `delay`
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _respond(
        self, path: str, headers: dict[str, str], body: dict[str, Any]
    ) -> tuple[int, bytes]:
        if path == "/v1/messages":
            if headers.get("x-api-key") != self.api_key:
                return 401, json.dumps(_error(path, 401, "invalid x-api-key")).encode()
            if not headers.get("anthropic-version"):
                return 400, json.dumps(_error(path, 400, "anthropic-version is required")).encode()
        elif path == "/v1/chat/completions":
            if headers.get("authorization") != f"Bearer {self.api_key}":
                return 401, json.dumps(_error(path, 401, "Incorrect API key provided")).encode()
        else:
            return 404, json.dumps(_error(path, 404, f"no route {path}")).encode()
        self.requests.append(Recorded(path, headers, body))
        if self.delay and self._stop.wait(self.delay):
            return 503, b"{}"
        self.answered += 1
        if self.status >= 400:
            return self.status, json.dumps(_error(path, self.status, "fake failure")).encode()
        if self.raw is not None:
            return 200, self.raw
        text = self.answer(self.requests[-1].prompt)
        model = str(body.get("model", "fake-model"))
        shape = _anthropic if path == "/v1/messages" else _openai
        return 200, json.dumps(shape(model, text)).encode()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    body = {}
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, payload = fake._respond(self.path, headers, body)
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up (a timeout): nothing to answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
