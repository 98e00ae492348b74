"""A flaky network between Baton and a fake service: an HTTP proxy on 127.0.0.1 that forwards every
request to the fake, except the ones a test told it to spoil.

    with FlakyProxy(fake.url) as proxy:
        proxy.next(Flake.RESET_AFTER, method="POST", path="/repos/*/issues/*/comments")
        ...  # point the client at proxy.url

What it can do to a matching request, once or `times` times:

- RESET: drop the connection (a TCP reset) before the request reaches the service: nothing done.
- RESET_AFTER: forward it, then drop the connection instead of answering: the work is done, the
  answer is lost (where duplicates hide).
- SLOW: forward it, then answer only after `seconds` (past the client's timeout).
- STRIP: forward it and answer without the headers named in `headers` (e.g. `retry-after`).
"""

from __future__ import annotations

import fnmatch
import http.client
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class Flake(StrEnum):
    RESET = "reset"
    RESET_AFTER = "reset_after"
    SLOW = "slow"
    STRIP = "strip"


@dataclass
class _Rule:
    flake: Flake
    method: str | None
    path: str | None
    times: int
    seconds: float
    headers: tuple[str, ...]
    after: int = 0  # matching requests let through first

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path is None or fnmatch.fnmatchcase(path, self.path)
        )


@dataclass
class FlakyProxy:
    upstream: str
    spoiled: list[tuple[str, str, Flake]] = field(default_factory=list)
    _rules: list[_Rule] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def next(
        self,
        flake: Flake,
        *,
        method: str | None = None,
        path: str | None = None,
        times: int = 1,
        seconds: float = 0.0,
        headers: tuple[str, ...] = (),
        after: int = 0,
    ) -> None:
        """Spoil the next `times` requests matching `method` and `path` (a glob over the path),
        once `after` of them went through."""
        with self._lock:
            self._rules.append(_Rule(flake, method, path, times, seconds, headers, after))

    @property
    def pending(self) -> int:
        """Spoils asked for and not yet done."""
        with self._lock:
            return sum(rule.times for rule in self._rules)

    def take(self, method: str, path: str) -> _Rule | None:
        with self._lock:
            rule = next((r for r in self._rules if r.matches(method, path)), None)
            if rule is None:
                return None
            if rule.after:
                rule.after -= 1
                return None
            rule.times -= 1
            if rule.times == 0:
                self._rules.remove(rule)
            self.spoiled.append((method, path, rule.flake))
            return rule

    # -- running --------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "the proxy is not running"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FlakyProxy:
        proxy = self

        class Handler(_Handler):
            owner = proxy

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="flaky-proxy", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FlakyProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A dropped connection is the point here, not an error to print."""


class _Handler(BaseHTTPRequestHandler):
    owner: FlakyProxy
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def _reset(self) -> None:
        """Close with a TCP reset (SO_LINGER 0), as a dropped connection does."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def _forward(self, body: bytes) -> tuple[int, str, list[tuple[str, str]], bytes]:
        target = urlsplit(self.owner.upstream)
        connection = http.client.HTTPConnection(target.hostname or "", target.port, timeout=60)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            connection.request(self.command, self.path, body=body or None, headers=headers)
            answer = connection.getresponse()
            payload = answer.read()
            return answer.status, answer.reason, answer.getheaders(), payload
        finally:
            connection.close()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        rule = self.owner.take(self.command, urlsplit(self.path).path)
        if rule is not None and rule.flake is Flake.RESET:
            self._reset()
            return
        status, reason, headers, payload = self._forward(body)
        if rule is not None and rule.flake is Flake.RESET_AFTER:
            self._reset()
            return
        if rule is not None and rule.flake is Flake.SLOW:
            time.sleep(rule.seconds)
        dropped = {h.lower() for h in rule.headers} if rule and rule.flake is Flake.STRIP else set()
        try:
            self.send_response(status, reason)
            for name, value in headers:
                if name.lower() not in _HOP_BY_HOP and name.lower() not in dropped:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()
        except OSError:  # the client gave up waiting (a timeout): that was the point
            self.close_connection = True

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve
