"""The endpoint's HTTP server: routes each request to its protocol module.

Protocol modules (anthropic.py, openai.py, gemini.py) each provide:
    ROUTES: list of (method, path regex)
    handle(handler, match, body, script) -> None   writes the whole response (JSON or SSE)
    env(url) -> dict[str, str]                     the variables that point its CLI here
"""

from __future__ import annotations

import importlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType, TracebackType
from typing import Any

from tests.fakes.models.script import Script

_PROTOCOLS = ("anthropic", "openai", "gemini")
_CLI_PROTOCOL = {"claude": "anthropic", "codex": "openai", "gemini": "gemini"}


def _modules() -> list[ModuleType]:
    found = []
    for name in _PROTOCOLS:
        try:
            found.append(importlib.import_module(f"tests.fakes.models.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"tests.fakes.models.{name}":
                raise
    return found


class ModelEndpoint:
    def __init__(self, script: Script) -> None:
        self.script = script
        self.unrouted: list[str] = []  # requests no protocol claimed: "METHOD path"
        self._modules = _modules()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def calls(self) -> list[Any]:
        return self.script.calls

    def env_for(self, cli: str) -> dict[str, str]:
        name = _CLI_PROTOCOL[cli]
        module = next(m for m in self._modules if m.__name__.endswith("." + name))
        return dict(module.env(self.url))

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                del format, args

            def _dispatch(self, method: str) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else {}
                except ValueError:
                    body = {}
                path = self.path.split("?", 1)[0]
                for module in endpoint._modules:
                    for route_method, pattern in module.ROUTES:
                        match = re.fullmatch(pattern, path)
                        if route_method == method and match:
                            module.handle(self, match, body, endpoint.script)
                            return
                endpoint.unrouted.append(f"{method} {self.path}")
                data = b'{"error": {"type": "not_found_error", "message": "not found"}}'
                self.send_response(404)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                self._dispatch("POST")

            def do_GET(self) -> None:
                self._dispatch("GET")

        return Handler

    def __enter__(self) -> ModelEndpoint:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()
