"""The fake GitHub's request pipeline and its HTTP server.

One request goes: authenticate → injected fault → primary rate limit → the token's scopes →
endpoint → rewrite URLs to the fake's address → ETag and conditional answer → rate-limit headers →
recorded. The server is the standard library's threading HTTP server on 127.0.0.1, one request at
a time through the state; requests to the repository's git address go to `githttp` instead.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlsplit

from . import permissions
from .githttp import GitHttp
from .model import Token, User, World
from .protocol import API, DOCS, ApiError, Call, Request, Response, Route, Routes

_RATE_LIMIT_DOCS = f"{DOCS}/overview/rate-limits-for-the-rest-api"
DEFAULT_RATE_LIMIT = 5000


class FaultKind(StrEnum):
    """What an injected fault makes the fake answer instead of (or after) doing the request."""

    SECONDARY_RATE_LIMIT = "secondary_rate_limit"  # 403 with retry-after
    TOO_MANY_REQUESTS = "too_many_requests"  # 429 with retry-after
    PRIMARY_RATE_LIMIT = "primary_rate_limit"  # 403 with x-ratelimit-remaining: 0 and a reset
    SERVER_ERROR = "server_error"  # 500
    BAD_GATEWAY = "bad_gateway"  # 502, nothing done
    BAD_GATEWAY_AFTER_WRITE = "bad_gateway_after_write"  # the request takes effect, then 502
    CONFLICT = "conflict"  # 409, nothing done


@dataclass
class Fault:
    kind: FaultKind
    times: int
    method: str | None = None
    path: str | None = None  # a glob over the request path, e.g. "/repos/*/issues/*/comments"
    retry_after: int = 1

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method) and (
            self.path is None or fnmatch.fnmatchcase(path, self.path)
        )


class Served(NamedTuple):
    """One answered request; compares equal to a plain `(method, path, status)` tuple."""

    method: str
    path: str
    status: int


@dataclass(frozen=True)
class Exchange:
    """One request and the fake's answer, whole, for assertions and conformance checks."""

    method: str
    path: str  # as requested, without the query
    query: dict[str, list[str]]
    route: str | None  # the endpoint's path template in GitHub's OpenAPI description
    params: dict[str, str]
    request_headers: dict[str, str]
    request_body: bytes
    status: int
    response_headers: dict[str, str]
    response_body: bytes

    def json(self) -> Any:
        return json.loads(self.response_body) if self.response_body else None


@dataclass
class Bucket:
    limit: int
    reset: int
    used: int = 0

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)

    def snapshot(self) -> dict[str, int]:
        return {
            "limit": self.limit,
            "remaining": self.remaining,
            "used": self.used,
            "reset": self.reset,
        }

    def headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-used": str(self.used),
            "x-ratelimit-reset": str(self.reset),
            "x-ratelimit-resource": "core",
        }


def _b64url_json(part: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


# What an Api holds that is not its books (requests, units, rate limits, faults to come).
API_LIVE = frozenset({"world", "routes", "_base_url"})


class Api:
    """Answers requests from the world's state, and keeps the books tests read."""

    def __init__(self, world: World, routes: Routes, base_url: Callable[[], str]) -> None:
        self.world = world
        self.routes = routes
        self._base_url = base_url
        self.faults: list[Fault] = []
        self.buckets: dict[str, Bucket] = {}
        self.exchanges: list[Exchange] = []
        self.failures: list[Exception] = []  # the fake's own bugs, answered as 500s
        self.units = 0
        self._last_request_id = 0x0FFF

    # ---- the pipeline -------------------------------------------------------------------------------

    def handle(self, request: Request) -> tuple[int, dict[str, str], bytes]:
        with self.world.lock:
            path = self._canonical(request.path)
            found = self.routes.match(request.method, path)
            route, params = found if found else (None, {})
            bucket = self.bucket("anonymous", limit=60)
            try:
                user, token, bucket = self._authenticate(request, route)
                response = self._respond(
                    request, path, route=route, params=params, user=user, token=token, bucket=bucket
                )
            except ApiError as error:
                response = self._error(error, route)
            except Exception as error:  # noqa: BLE001 - a bug of the fake's own, kept for the test
                self.failures.append(error)
                response = self._error(ApiError(500, f"The fake GitHub failed: {error!r}"), route)
            status, headers, payload = self._finish(request, route, response, bucket)
            self.exchanges.append(
                Exchange(
                    request.method,
                    request.path,
                    request.query,
                    route.template if route else None,
                    params,
                    request.headers,
                    request.body,
                    status,
                    headers,
                    payload,
                )
            )
            return status, headers, payload

    def _respond(
        self,
        request: Request,
        path: str,
        *,
        route: Route | None,
        params: dict[str, str],
        user: User,
        token: Token | None,
        bucket: Bucket,
    ) -> Response:
        fault = next((f for f in self.faults if f.matches(request.method, path)), None)
        if fault is not None:
            fault.times -= 1
            if fault.times == 0:
                self.faults.remove(fault)
            if fault.kind is not FaultKind.BAD_GATEWAY_AFTER_WRITE:
                raise self._fault_error(fault, request, user, bucket)
        if bucket.remaining == 0 and route is not None and route.template != "/rate_limit":
            raise self._primary_limit_error(user, bucket)
        if route is None:
            raise ApiError(404, "Not Found", documentation_url=DOCS)
        repo = self.world.repo
        if "owner" in params and (
            params["owner"].lower() != repo.owner.lower()
            or params["repo"].lower() != repo.name.lower()
        ):
            raise ApiError(404, "Not Found")
        if token is not None and token.scopes is not None:
            needed = permissions.refusal(
                request.method, route.template, params, self.world, token.scopes
            )
            if needed is not None:
                raise ApiError(
                    403,
                    "Resource not accessible by integration",
                    headers={"X-Accepted-GitHub-Permissions": permissions.header(needed)},
                )
        call = Call(
            self.world,
            request,
            params,
            user,
            token,
            link_base=self._link_base(path),
            rate_limit=bucket.snapshot(),
        )
        response = route.handler(call)
        if fault is not None:  # BAD_GATEWAY_AFTER_WRITE: the work is done, the answer is lost
            raise self._fault_error(fault, request, user, bucket)
        return response

    def _canonical(self, path: str) -> str:
        """`/repositories/{id}/…` (the form GitHub's `Link` headers use) as `/repos/{owner}/{repo}/…`."""
        prefix = f"/repositories/{self.world.repo.id}"
        if path == prefix or path.startswith(prefix + "/"):
            return f"/repos/{self.world.repo.full_name}{path[len(prefix) :]}"
        return path

    def _link_base(self, path: str) -> str:
        prefix = f"/repos/{self.world.repo.full_name}"
        if path.lower().startswith(prefix.lower()):
            return f"{API}/repositories/{self.world.repo.id}{path[len(prefix) :]}"
        return f"{API}{path}"

    def _authenticate(
        self, request: Request, route: Route | None
    ) -> tuple[User, Token | None, Bucket]:
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        credential = credential.strip()
        if route is not None and route.auth == "jwt":
            self._check_jwt(scheme, credential)
            app = self.world.app
            bot = self.world.ensure_user(app.bot_login, type="Bot")
            return bot, None, self.bucket(f"app:{app.id}")
        if scheme.lower() not in ("token", "bearer") or not credential:
            raise ApiError(401, "Requires authentication")
        token = self.world.tokens.get(credential)
        if token is None:
            raise ApiError(401, "Bad credentials", documentation_url=DOCS)
        user = self.world.ensure_user(token.login)
        return user, token, self.bucket(user.login)

    def _check_jwt(self, scheme: str, credential: str) -> None:
        """A JWT's shape and claims (three base64url parts, `iss` is the app); not its signature."""
        undecodable = ApiError(401, "A JSON web token could not be decoded", documentation_url=DOCS)
        parts = credential.split(".")
        if scheme.lower() != "bearer" or len(parts) != 3:
            raise undecodable
        try:
            header, claims = _b64url_json(parts[0]), _b64url_json(parts[1])
        except (ValueError, binascii.Error):
            raise undecodable from None
        if not isinstance(header, dict) or not isinstance(claims, dict) or "iss" not in claims:
            raise undecodable
        now = int(self.world.clock().timestamp())
        if not isinstance(claims.get("exp"), int) or claims["exp"] <= now - 60:
            raise ApiError(
                401,
                "'Expiration time' claim ('exp') must be a numeric value representing the future "
                "time at which the assertion expires",
                documentation_url=DOCS,
            )
        app = self.world.app
        if str(claims["iss"]) not in (str(app.id), f"Iv1.{app.id:016x}"):
            raise ApiError(401, "Integration not found", documentation_url=DOCS)

    def bucket(self, key: str, *, limit: int = DEFAULT_RATE_LIMIT) -> Bucket:
        now = int(self.world.clock().timestamp())
        bucket = self.buckets.get(key)
        if bucket is None or bucket.reset <= now:
            bucket = Bucket(limit=bucket.limit if bucket else limit, reset=now + 3600)
            self.buckets[key] = bucket
        return bucket

    def _error(self, error: ApiError, route: Route | None) -> Response:
        docs = f"{DOCS}/{route.docs}" if route else DOCS
        return Response(error.status, error.body(docs), dict(error.headers))

    def _finish(
        self, request: Request, route: Route | None, response: Response, bucket: Bucket
    ) -> tuple[int, dict[str, str], bytes]:
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-GitHub-Media-Type": "github.v3; format=json",
            "X-GitHub-Api-Version-Selected": "2022-11-28",
            "X-GitHub-Request-Id": self._request_id(),
            "Vary": "Accept, Authorization, Cookie, X-GitHub-OTP",
        }
        payload = b""
        if response.body is not None:
            body = _rewrite(response.body, API, self._base_url())
            payload = json.dumps(body, ensure_ascii=False).encode()
            if response.status == 201 and isinstance(body, dict) and "url" in body:
                headers["Location"] = body["url"]  # unless the endpoint names another below
        status = response.status
        if request.method == "GET" and status == 200:
            etag = f'"{hashlib.sha256(payload).hexdigest()}"'
            headers["ETag"] = etag
            if _etag_matches(request.headers.get("if-none-match", ""), etag):
                status, payload = 304, b""
        free = status == 304 or (route is not None and route.template == "/rate_limit")
        if not free and response.headers.get("x-ratelimit-remaining") != "0":
            bucket.used += 1
            self.units += 1
        headers.update(bucket.headers())
        for name, value in response.headers.items():
            headers[name] = _rewrite(
                value.replace(f"<{API}", f"<{self._base_url()}"), API, self._base_url()
            )
        if not payload:
            headers.pop("Content-Type")
        return status, headers, payload

    def _request_id(self) -> str:
        self._last_request_id += 1
        return f"F4KE:{self._last_request_id:06X}"

    # ---- faults ---------------------------------------------------------------------------------------

    def _fault_error(self, fault: Fault, request: Request, user: User, bucket: Bucket) -> ApiError:
        wait = {"retry-after": str(fault.retry_after)}
        secondary = (
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try "
            "again. If you reach out to GitHub Support for help, please include the request ID "
            f"{self._request_id()}."
        )
        secondary_docs = f"{_RATE_LIMIT_DOCS}#about-secondary-rate-limits"
        match fault.kind:
            case FaultKind.SECONDARY_RATE_LIMIT:
                return ApiError(403, secondary, headers=wait, documentation_url=secondary_docs)
            case FaultKind.TOO_MANY_REQUESTS:
                return ApiError(429, secondary, headers=wait, documentation_url=secondary_docs)
            case FaultKind.PRIMARY_RATE_LIMIT:
                now = int(self.world.clock().timestamp())
                spent = Bucket(limit=bucket.limit, reset=now + fault.retry_after, used=bucket.limit)
                return self._primary_limit_error(user, spent)
            case FaultKind.SERVER_ERROR:
                return ApiError(500, "Server Error")
            case FaultKind.CONFLICT:
                return ApiError(409, _conflict_message(request))
            case FaultKind.BAD_GATEWAY | FaultKind.BAD_GATEWAY_AFTER_WRITE:
                return ApiError(502, "Server Error")

    def _primary_limit_error(self, user: User, bucket: Bucket) -> ApiError:
        who = (
            f"installation ID {self.world.app.installation_id}"
            if user.type == "Bot"
            else f"user ID {user.id}"
        )
        return ApiError(
            403,
            f"API rate limit exceeded for {who}. If you reach out to GitHub Support for help, "
            f"please include the request ID {self._request_id()}.",
            headers=bucket.headers(),
            documentation_url=f"{_RATE_LIMIT_DOCS}#about-primary-rate-limits",
        )


def _conflict_message(request: Request) -> str:
    """What GitHub says when a file changed under a write: `<path> does not match <sha>`."""
    _, _, path = request.path.partition("/contents/")
    try:
        sha = (json.loads(request.body) or {}).get("sha", "") if request.body else ""
    except (ValueError, AttributeError):
        sha = ""
    return f"{path} does not match {sha}".strip() if path else "Conflict"


def _etag_matches(header: str, etag: str) -> bool:
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()]
    return "*" in tags or etag in tags


def _rewrite(value: Any, old: str, new: str) -> Any:
    """Every string that starts with GitHub's address, pointed at the fake's instead."""
    if isinstance(value, str):
        return new + value[len(old) :] if value.startswith(old) else value
    if isinstance(value, list):
        return [_rewrite(item, old, new) for item in value]
    if isinstance(value, dict):
        return {key: _rewrite(item, old, new) for key, item in value.items()}
    return value


# ---- the HTTP server ------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = -1  # headers and body leave in one write, flushed after each request
    disable_nagle_algorithm = True
    server: _Server

    def _body(self) -> bytes:
        # git sends a large push in chunks, with no length
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline().strip():  # trailers, up to the blank line
                pass
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        body = self._body()
        url = urlsplit(self.path)
        headers = {name.lower(): value for name, value in self.headers.items()}
        git = self.server.git
        if git is not None and git.path_info(url.path) is not None:
            answer = git.handle(self.command, url.path, url.query, headers, body)
            status, answer_headers, payload = answer.status, answer.headers, answer.body
        else:
            request = Request(
                method=self.command,
                path=url.path,
                query=parse_qs(url.query, keep_blank_values=True),
                headers=headers,
                body=body,
            )
            status, answer_headers, payload = self.server.api.handle(request)
        self.send_response(status)
        for name, value in answer_headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload:
            self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the fake records every exchange instead."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, api: Api, git: GitHttp | None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.api = api
        self.git = git


@dataclass
class HttpServer:
    """The API (and, with `git`, the repository's git address) served on a free port of
    127.0.0.1 from a background thread."""

    api: Api
    git: GitHttp | None = None
    _server: _Server | None = None
    _thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        assert self._server is not None, "the server is not running"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._server = _Server(self.api, self.git)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="fake-github", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None
