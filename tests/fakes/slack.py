"""A fake Slack for tests: the Web API methods Baton calls and an incoming webhook, as a real HTTP
server on 127.0.0.1, so slack-sdk talks to it exactly as it talks to Slack::

    with FakeSlack() as slack:
        client = WebClient(token=slack.token, base_url=slack.api_url)
        client.chat_postMessage(channel="#baton", text="hello")
        assert [m.text for m in slack.top_level(slack.channel_id("baton"))] == ["hello"]

What it does as Slack does:

- `POST /api/<method>` with a form- or JSON-encoded body; answers are JSON, `{"ok": true, ...}` or
  `{"ok": false, "error": "..."}` with HTTP 200, as Slack answers. `Authorization: Bearer <token>`
  is required (`not_authed`, `invalid_auth`).
- `chat.postMessage` takes a channel id, `#name`, a name or a user id (its direct message), answers
  the channel's id and a string `ts` ("1712345678.000100"); `thread_ts` must name a message of that
  channel. `chat.update` needs the channel's id and an existing `ts`. `conversations.open` opens a
  direct message with a known user. Blocks are checked against Block Kit's main limits
  (`invalid_blocks`).
- The incoming webhook at `fake.webhook_url` takes JSON and answers the text `ok`.
- Faults are scripted, one shot each (or `times`): a 429 with `Retry-After`, or a 500 (an HTML
  page, as a load balancer sends it), for a method or for the webhook.
- A stall (`hold`): requests wait unanswered; `release()` carries them out (a client that gave up
  on its answer meanwhile finds the post done later, as a request that reached Slack is), `drop()`
  ends them undone.
- The workspace can go wrong as Slack says it answers (the error codes of
  https://docs.slack.dev/reference/methods/chat.postMessage#errors and
  https://docs.slack.dev/reference/methods/chat.update#errors): a channel archived
  (`is_archived`), the app not in a channel (`not_in_channel`), a token revoked
  (`token_revoked`), a scope the token lacks (`missing_scope` with `needed` and `provided`, as
  https://docs.slack.dev/authentication/tokens describes the answer), and a webhook gone with the
  HTTP statuses of https://docs.slack.dev/messaging/sending-messages-using-incoming-webhooks
  (403 `action_prohibited`, 404 `no_service`, 410 `channel_is_archived`).
- Rate limits, when given (`FakeSlack(rate_limits=RateLimits(scale=0.01))`): each method's as
  Slack documents it, a 429 with `Retry-After` past it, on a time scale of the test's choosing
  (tests/fakes/slack_limits.py cites the pages). Without them, nothing is rate limited but what
  `fail_next` scripts.
- `messages`, `webhook_messages` and `calls` keep the books.
"""

from __future__ import annotations

import itertools
import json
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs

from tests.fakes.slack_limits import RateLimits

TOKEN = "xoxb-1111111111-2222222222-FaKeSlAcKtOkEnFoRtEsTs"
WEBHOOK_PATH = "/services/T0FAKE0001/B0FAKE0001/FaKeWeBhOoKsEcReT0000001"
BLOCK_TYPES = {"section", "header", "context", "divider", "actions", "image", "rich_text"}


@dataclass
class Message:
    channel: str
    ts: str
    text: str | None
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None
    edits: list[dict[str, Any]] = field(default_factory=list)  # what each chat.update replaced
    metadata: dict[str, Any] | None = None  # chat.postMessage's `metadata`, as it was sent


@dataclass(frozen=True)
class Call:
    """One answered request: `method` is the Web API method, or `webhook`."""

    method: str
    status: int
    error: str | None = None
    at: float = field(default_factory=time.monotonic)  # when it was answered


@dataclass
class _Fault:
    method: str
    status: int
    retry_after: float
    times: int = 1


# The scope each method needs of a bot token ("Scopes" on each method's page, e.g.
# https://docs.slack.dev/reference/methods/chat.postMessage,
# https://docs.slack.dev/reference/methods/conversations.open).
SCOPES = {
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "conversations.open": "im:write",
}
# conversations.history needs the history scope of the conversation's type
# (https://docs.slack.dev/reference/methods/conversations.history, "Scopes").
HISTORY_SCOPES = {"C": "channels:history", "G": "groups:history", "D": "im:history"}
# conversations.list needs the scope of each type of conversation it is asked for
# (https://docs.slack.dev/reference/methods/conversations.list, "Scopes").
LIST_SCOPES = {"public_channel": "channels:read", "private_channel": "groups:read"}
ALL_SCOPES = frozenset(
    {"chat:write", "im:write", "channels:history", "groups:history", "im:history",
     "channels:read", "groups:read"}
)  # fmt: skip


class FakeSlack:
    def __init__(
        self,
        *,
        token: str = TOKEN,
        channels: dict[str, str] | None = None,
        users: tuple[str, ...] = ("U0ALICE001",),
        rate_limits: RateLimits | None = None,
    ) -> None:
        self.token = token
        self.rate_limits = rate_limits
        self.channels = channels or {"baton": "C0BATON001"}  # name: id
        self.users = set(users)
        self.messages: list[Message] = []
        self.webhook_messages: list[dict[str, Any]] = []
        self.calls: list[Call] = []
        self._faults: list[_Fault] = []
        self.archived: set[str] = set()  # channel ids
        self.outside: set[str] = set()  # channel ids the app is not a member of
        self.scopes: set[str] = set(ALL_SCOPES)
        self.revoked = False
        self.webhook_gone: tuple[int, str] | None = None  # status and word it answers
        self._held: dict[str, threading.Event] = {}  # method: released when set
        self._lost: dict[str, int] = {}  # method: answers to lose after carrying it out
        self._stalled = threading.Condition()
        self._stalling = 0  # requests held now
        self._dropping = False
        self._ts = itertools.count(100)
        self._epoch = int(time.time())
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _handler(self))
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    @property
    def webhook_url(self) -> str:
        return f"{self.url}{WEBHOOK_PATH}"

    @property
    def post_interval(self) -> str:
        """BATON_SLACK_POST_INTERVAL for Baton to keep this Slack's pace: none without rate
        limits (nothing to wait for), Slack's second on their time scale with them."""
        return "0" if self.rate_limits is None else f"{self.rate_limits.scale:g}"

    # -- scripting and assertions ------------------------------------------------------------------

    def fail_next(
        self, method: str, status: int = 429, *, retry_after: float = 1, times: int = 1
    ) -> None:
        """The next `times` requests for `method` (or `webhook`) answer `status` (429 or 500)
        instead of being carried out."""
        with self._lock:
            self._faults.append(_Fault(method, status, retry_after, times))

    def hold(self, method: str) -> None:
        """Requests for `method` (or `webhook`) stall, unanswered, until `release()` (carried
        out then, even those a client gave up on: a request that reached Slack is done though
        no one reads the answer) or `drop()`."""
        self._held[method] = threading.Event()

    def lose_answer(self, method: str, times: int = 1) -> None:
        """The next `times` requests for `method` are carried out, then the connection drops
        before the answer: the client cannot know whether it was done."""
        self._lost[method] = self._lost.get(method, 0) + times

    def release(self) -> None:
        """Stalled requests go on; back once each was carried out and answered."""
        for gate in self._held.values():
            gate.set()
        self._held.clear()
        with self._stalled:
            self._stalled.wait_for(lambda: self._stalling == 0, timeout=5)

    def drop(self) -> None:
        """Stalled requests end without being carried out: their connections are closed."""
        self._dropping = True
        try:
            self.release()
        finally:
            self._dropping = False

    def archive(self, name: str) -> None:
        """Someone archives the channel: posts and updates answer `is_archived`."""
        self.archived.add(self.channel_id(name))

    def remove_app(self, name: str) -> None:
        """The app is removed from the channel: posts answer `not_in_channel`."""
        self.outside.add(self.channel_id(name))

    def remove_webhook(self, status: int = 410, word: str = "channel_is_archived") -> None:
        """The webhook answers `status` and `word` from now on (403, 404 or 410)."""
        self.webhook_gone = (status, word)

    def delete(self, channel: str, ts: str) -> None:
        """A person deletes a message (its thread's replies stay, as in Slack)."""
        with self._lock:
            self.messages = [m for m in self.messages if (m.channel, m.ts) != (channel, ts)]

    def channel_id(self, name: str) -> str:
        return self.channels[name.lstrip("#")]

    def dm_id(self, user: str) -> str:
        return "D" + user[1:]

    def top_level(self, channel: str) -> list[Message]:
        return [m for m in self.messages if m.channel == channel and m.thread_ts is None]

    def replies(self, channel: str, ts: str) -> list[Message]:
        return [m for m in self.messages if m.channel == channel and m.thread_ts == ts]

    def statuses(self, method: str) -> list[int]:
        return [c.status for c in self.calls if c.method == method]

    # -- the Web API -------------------------------------------------------------------------------

    def _fault(self, method: str) -> _Fault | None:
        for fault in self._faults:
            if fault.method == method:
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _next_ts(self) -> str:
        return f"{self._epoch}.{next(self._ts):06d}"

    def _is_id(self, channel: str) -> bool:
        return channel in self.channels.values() or any(
            self.dm_id(u) == channel for u in self.users
        )

    def _resolve(self, channel: str) -> str | None:
        """A channel id from what chat.postMessage accepts: an id, `#name`, a name, a user id."""
        if self._is_id(channel):
            return channel
        if channel in self.users:
            return self.dm_id(channel)
        return self.channels.get(channel.lstrip("#"))

    def _find(self, channel: str, ts: str) -> Message | None:
        return next((m for m in self.messages if m.channel == channel and m.ts == ts), None)

    def api(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        """One Web API call, authenticated already; the answer's body."""
        if self.revoked:
            return {"ok": False, "error": "token_revoked"}
        needed = SCOPES.get(method)
        if needed is not None and needed not in self.scopes:
            provided = ",".join(sorted(self.scopes))
            return {"ok": False, "error": "missing_scope", "needed": needed, "provided": provided}
        if method in {"chat.postMessage", "chat.update"}:
            return self._chat(method, args)
        readers = {
            "auth.test": self._auth_test,
            "conversations.open": self._open,
            "conversations.history": self._history,
            "conversations.list": self._list,
        }
        if method in readers:
            return readers[method](args)
        return {"ok": False, "error": "unknown_method"}

    def _list(self, args: dict[str, Any]) -> dict[str, Any]:
        """The workspace's channels of the `types` asked for (public_channel by default), a page
        of `limit` at a time with a `cursor` (https://docs.slack.dev/reference/methods/
        conversations.list and https://docs.slack.dev/apis/web-api/pagination); each type needs
        its scope, and a type the token lacks the scope of answers `missing_scope`. Private
        channels are the fake's `G…` ids."""
        types = str(args.get("types") or "public_channel").split(",")
        for kind in types:
            needed = LIST_SCOPES.get(kind)
            if needed is not None and needed not in self.scopes:
                provided = ",".join(sorted(self.scopes))
                return {
                    "ok": False,
                    "error": "missing_scope",
                    "needed": needed,
                    "provided": provided,
                }
        exclude = str(args.get("exclude_archived", "")).lower() in {"1", "true"}
        found = [
            {"id": cid, "name": name, "is_channel": True, "is_private": cid.startswith("G"),
             "is_archived": cid in self.archived}
            for name, cid in self.channels.items()
            if ("private_channel" if cid.startswith("G") else "public_channel") in types
            and not (exclude and cid in self.archived)
        ]  # fmt: skip
        start = int(str(args.get("cursor") or "0").removeprefix("next:"))
        limit = int(args.get("limit") or 100)
        page = found[start : start + limit]
        more = start + limit < len(found)
        cursor = f"next:{start + limit}" if more else ""
        return {"ok": True, "channels": page, "response_metadata": {"next_cursor": cursor}}

    def _auth_test(self, _args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": "https://fake.slack.com/", "team": "Fake", "user": "baton"}

    def _open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = str(args.get("users", "")).split(",")
        if len(users) != 1 or users[0] not in self.users:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "channel": {"id": self.dm_id(users[0])}}

    def _history(self, args: dict[str, Any]) -> dict[str, Any]:
        """The channel's top-level messages, newest first, from `oldest` on; `metadata` only
        with `include_all_metadata` (https://docs.slack.dev/reference/methods/conversations.history
        and https://docs.slack.dev/messaging/message-metadata)."""
        channel = str(args.get("channel", ""))
        if not self._is_id(channel):  # the method takes ids only
            return {"ok": False, "error": "channel_not_found"}
        needed = HISTORY_SCOPES.get(channel[:1], "channels:history")
        if needed not in self.scopes:
            provided = ",".join(sorted(self.scopes))
            return {"ok": False, "error": "missing_scope", "needed": needed, "provided": provided}
        oldest = float(args.get("oldest") or 0)
        limit = int(args.get("limit") or 100)
        with_metadata = str(args.get("include_all_metadata", "")).lower() in {"1", "true"}
        found = []
        for m in reversed(self.top_level(channel)):
            if float(m.ts) < oldest or len(found) >= limit:
                continue
            shown: dict[str, Any] = {"type": "message", "ts": m.ts, "text": m.text}
            if with_metadata and m.metadata is not None:
                shown["metadata"] = m.metadata
            found.append(shown)
        return {"ok": True, "messages": found, "has_more": False}

    def _chat(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        blocks = args.get("blocks")
        if isinstance(blocks, str):  # form-encoded: blocks travel as a JSON string
            try:
                blocks = json.loads(blocks)
            except json.JSONDecodeError:
                return {"ok": False, "error": "invalid_blocks_format"}
        text = args.get("text")
        if not text and not blocks:
            return {"ok": False, "error": "no_text"}
        if blocks is not None and (problem := check_blocks(blocks)):
            return {"ok": False, "error": "invalid_blocks", "errors": [problem]}
        if method == "chat.update":
            return self._update(str(args.get("channel", "")), str(args.get("ts", "")), text, blocks)
        posted = self._post(
            str(args.get("channel", "")), args.get("thread_ts") or None, text, blocks
        )
        metadata = args.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        if posted["ok"] and isinstance(metadata, dict):
            self.messages[-1].metadata = metadata
        return posted

    def _update(self, channel: str, ts: str, text: str | None, blocks: Any) -> dict[str, Any]:
        if not self._is_id(channel):  # chat.update takes no names
            return {"ok": False, "error": "channel_not_found"}
        if channel in self.archived:
            return {"ok": False, "error": "is_archived"}
        message = self._find(channel, ts)
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        message.edits.append({"text": message.text, "blocks": message.blocks})
        message.text, message.blocks = text, blocks or []
        return {"ok": True, "channel": channel, "ts": message.ts, "text": text}

    def _post(
        self, channel: str, thread_ts: str | None, text: str | None, blocks: Any
    ) -> dict[str, Any]:
        resolved = self._resolve(channel)
        if resolved is None:
            return {"ok": False, "error": "channel_not_found"}
        if resolved in self.archived:
            return {"ok": False, "error": "is_archived"}
        if resolved in self.outside:
            return {"ok": False, "error": "not_in_channel"}
        if thread_ts is not None and self._find(resolved, str(thread_ts)) is None:
            return {"ok": False, "error": "thread_not_found"}
        message = Message(resolved, self._next_ts(), text, blocks or [], thread_ts)
        self.messages.append(message)
        shown = {"type": "message", "text": text, "ts": message.ts, "bot_id": "B0BATON001"}
        if thread_ts:
            shown["thread_ts"] = thread_ts
        return {"ok": True, "channel": resolved, "ts": message.ts, "message": shown}


def _text_problem(obj: Any, limit: int, where: str, kinds: tuple[str, ...]) -> str | None:
    if not isinstance(obj, dict) or obj.get("type") not in kinds:
        return f"{where} must be a text object of type {'/'.join(kinds)}"
    text = obj.get("text")
    if not isinstance(text, str) or not 1 <= len(text) <= limit:
        return f"{where} must be 1 to {limit} characters"
    return None


def check_blocks(blocks: Any) -> str | None:  # noqa: PLR0911 -- one check after another
    """Block Kit's main rules, as Slack enforces them (`invalid_blocks` with the first problem)."""
    if not isinstance(blocks, list) or len(blocks) > 50:
        return "blocks must be a list of at most 50 blocks"
    for index, block in enumerate(blocks):
        where = f"blocks[{index}]"
        kind = block.get("type") if isinstance(block, dict) else None
        if kind not in BLOCK_TYPES:
            return f"{where}: unknown block type {kind!r}"
        if kind == "header":
            problem = _text_problem(block.get("text"), 150, f"{where}.text", ("plain_text",))
            if problem:
                return problem
        elif kind == "section":
            if "text" not in block and "fields" not in block:
                return f"{where} needs text or fields"
            if "text" in block and (
                problem := _text_problem(
                    block["text"], 3000, f"{where}.text", ("mrkdwn", "plain_text")
                )
            ):
                return problem
            fields = block.get("fields", [])
            if len(fields) > 10:
                return f"{where}.fields: at most 10"
            for i, item in enumerate(fields):
                if problem := _text_problem(
                    item, 2000, f"{where}.fields[{i}]", ("mrkdwn", "plain_text")
                ):
                    return problem
        elif kind == "context":
            elements = block.get("elements", [])
            if not 1 <= len(elements) <= 10:
                return f"{where}.elements: 1 to 10"
            for i, item in enumerate(elements):
                if problem := _text_problem(
                    item, 3000, f"{where}.elements[{i}]", ("mrkdwn", "plain_text")
                ):
                    return problem
    return None


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up on a stalled answer closed its end: nothing to print."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


JSON = "application/json; charset=utf-8"
HTML = "text/html"


def _handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the fake records every call instead."""

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            method = "webhook" if self.path == WEBHOOK_PATH else self.path.split("?")[0][5:]
            gate = fake._held.get(method)
            if gate is None:
                self._serve(raw)
                return
            with fake._stalled:  # a stall: the request waits, outside the fake's lock
                fake._stalling += 1
            try:
                gate.wait(30)
                if fake._dropping:
                    self.close_connection = True
                else:
                    self._serve(raw)
            finally:
                with fake._stalled:
                    fake._stalling -= 1
                    fake._stalled.notify_all()

        def do_GET(self) -> None:
            """Read methods such as conversations.history are called with GET and a query."""
            query = self.path.partition("?")[2]
            self._serve(query.encode())

        def _serve(self, raw: bytes) -> None:
            with fake._lock:
                if self.path == WEBHOOK_PATH:
                    self._webhook(raw)
                elif self.path.startswith("/api/"):
                    self._api(self.path.removeprefix("/api/").split("?")[0], raw)
                else:
                    self._send(404, b"no_service", HTML, Call("webhook", 404, "no_service"))

        def _send(
            self,
            status: int,
            body: bytes,
            kind: str,
            call: Call,
            headers: dict[str, str] | None = None,
        ) -> None:
            fake.calls.append(call)
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _injected(self, method: str) -> bool:
            fault = fake._fault(method)
            if fault is None:
                return False
            if fault.status == 429:
                self._too_many(method, fault.retry_after)
            else:
                page = b"<html><body><h1>500 Internal Server Error</h1></body></html>"
                self._send(fault.status, page, HTML, Call(method, fault.status, "server_error"))
            return True

        def _limited(self, method: str, channel: str) -> bool:
            """Past the method's rate limit (when the fake has them): a 429."""
            wait = fake.rate_limits.admit(method, channel) if fake.rate_limits else None
            if wait is not None:
                self._too_many(method, wait)
            return wait is not None

        def _too_many(self, method: str, retry_after: float) -> None:
            """A 429 with Retry-After; the Web API says why in JSON, a webhook in plain text."""
            webhook = method == "webhook"
            body = b"rate_limited" if webhook else b'{"ok":false,"error":"ratelimited"}'
            retry = {"Retry-After": f"{retry_after:g}"}
            self._send(
                429, body, HTML if webhook else JSON, Call(method, 429, "ratelimited"), retry
            )

        def _json(self, method: str, answer: dict[str, Any]) -> None:
            error = None if answer.get("ok") else str(answer.get("error"))
            self._send(200, json.dumps(answer).encode(), JSON, Call(method, 200, error))

        def _api(self, method: str, raw: bytes) -> None:
            if self._injected(method):
                return
            auth = self.headers.get("Authorization", "")
            if not auth.startswith("Bearer "):
                self._json(method, {"ok": False, "error": "not_authed"})
                return
            if auth.removeprefix("Bearer ") != fake.token:
                self._json(method, {"ok": False, "error": "invalid_auth"})
                return
            try:
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    args = json.loads(raw or b"{}")
                else:
                    args = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            except (json.JSONDecodeError, UnicodeDecodeError):
                self._json(method, {"ok": False, "error": "invalid_json"})
                return
            channel = str(args.get("channel", ""))
            if self._limited(method, fake._resolve(channel) or channel):
                return
            answer = fake.api(method, args)
            if fake._lost.get(method):
                fake._lost[method] -= 1
                fake.calls.append(Call(method, 0, "answer_lost"))
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)  # carried out, never answered
                return
            self._json(method, answer)

        def _webhook(self, raw: bytes) -> None:
            if self._injected("webhook") or self._limited("webhook", WEBHOOK_PATH):
                return
            if fake.webhook_gone is not None:
                status, word = fake.webhook_gone
                self._send(status, word.encode(), HTML, Call("webhook", status, word))
                return
            try:
                payload = json.loads(raw)
            except json.JSONDecodeError:
                payload = None
            if not isinstance(payload, dict):
                error = "invalid_payload"
            elif not payload.get("text") and not payload.get("blocks"):
                error = "no_text"
            elif "blocks" in payload and check_blocks(payload["blocks"]):
                error = "invalid_blocks"
            else:
                fake.webhook_messages.append(payload)
                self._send(200, b"ok", HTML, Call("webhook", 200))
                return
            self._send(400, error.encode(), HTML, Call("webhook", 400, error))

    return Handler
