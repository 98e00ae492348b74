"""HTTP for the fake GitHub: requests, responses, GitHub-shaped errors, routing and pagination.

Handlers build bodies with GitHub's own address (`API`); the server rewrites it to the fake's
address on the way out, exactly where a proxy in front of GitHub would.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote, urlencode

if TYPE_CHECKING:
    from .model import Token, User, World

T = TypeVar("T")

API = "https://api.github.com"
WEB = "https://github.com"
DOCS = "https://docs.github.com/rest"


class ApiError(Exception):
    """An error answer, shaped as GitHub shapes it: `{"message", "documentation_url", "status"}`."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        errors: list[Any] | None = None,
        headers: dict[str, str] | None = None,
        documentation_url: str | None = None,
    ) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = headers or {}
        self.documentation_url = documentation_url

    def body(self, docs: str) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message}
        if self.errors is not None:
            body["errors"] = self.errors
        body["documentation_url"] = self.documentation_url or docs
        body["status"] = str(self.status)
        return body


def not_found(message: str = "Not Found") -> ApiError:
    return ApiError(404, message)


def validation_failed(
    resource: str, field: str, code: str = "invalid", message: str | None = None
) -> ApiError:
    """422 with one structured error, as most create and update endpoints answer."""
    error: dict[str, Any] = {"resource": resource, "code": code, "field": field}
    if message is not None:
        error["message"] = message
    return ApiError(422, "Validation Failed", errors=[error])


def invalid_request(detail: str) -> ApiError:
    """422 for a body that breaks the endpoint's schema (GitHub's JSON-schema check)."""
    return ApiError(422, f"Invalid request.\n\n{detail}")


@dataclass
class Request:
    method: str
    path: str  # as sent, still percent-encoded, without the query
    query: dict[str, list[str]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def int_arg(self, name: str, default: int) -> int:
        value = self.arg(name)
        try:
            return int(value) if value is not None else default
        except ValueError:
            return default

    def json(self) -> Any:
        if not self.body.strip():
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            raise ApiError(400, "Problems parsing JSON") from None


@dataclass
class Response:
    status: int
    body: Any = None  # a JSON value, or None for no body
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Call:
    """What a handler gets: the world, the request, the path parameters and who is asking."""

    world: World
    request: Request
    params: dict[str, str]
    user: User
    token: Token | None  # None for a request signed with an app's JWT
    link_base: str  # where this resource's pages are, as GitHub's `Link` headers name it
    rate_limit: dict[str, int]  # the caller's core rate limit: limit, remaining, used, reset

    def body(self) -> dict[str, Any]:
        data = self.request.json()
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise invalid_request(f"For 'properties', {json.dumps(data)} is not an object.")
        return data

    def int_param(self, name: str) -> int:
        try:
            return int(self.params[name])
        except ValueError:
            raise not_found() from None


Handler = Callable[[Call], Response]


@dataclass(frozen=True)
class Route:
    method: str
    template: str  # as in GitHub's OpenAPI description, e.g. /repos/{owner}/{repo}/issues
    pattern: re.Pattern[str]
    handler: Handler
    docs: str
    auth: str  # "token", or "jwt" for the app endpoints

    @property
    def literal_length(self) -> int:
        return len(re.sub(r"\{[^}]+\}", "", self.template))


def _compile(template: str) -> tuple[str, re.Pattern[str]]:
    """`{name}` matches one segment; `{name:path}` matches the rest of the path, slashes too."""
    parts = []
    for piece in re.split(r"(\{[^}]+\})", template):
        if piece.startswith("{"):
            name, _, kind = piece[1:-1].partition(":")
            parts.append(f"(?P<{name}>.+)" if kind == "path" else f"(?P<{name}>[^/]+)")
        else:
            parts.append(re.escape(piece))
    return re.sub(r":path\}", "}", template), re.compile("".join(parts) + "/?")


class Routes:
    """A table of endpoints, filled by decorators in the endpoint modules."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(
        self,
        method: str,
        template: str,
        *,
        docs: str,
        auth: str = "token",
        same_as: str | None = None,
    ) -> Callable[[Handler], Handler]:
        """Register a handler. `same_as` names the documented template of an undocumented alias
        GitHub still serves (such as `GET /repos/{owner}/{repo}/statuses/{sha}`)."""

        def register(handler: Handler) -> Handler:
            spec_template, pattern = _compile(template)
            route = Route(method, same_as or spec_template, pattern, handler, docs, auth)
            self.routes.append(route)
            return handler

        return register

    def get(self, template: str, *, docs: str) -> Callable[[Handler], Handler]:
        return self.add("GET", template, docs=docs)

    def post(self, template: str, *, docs: str) -> Callable[[Handler], Handler]:
        return self.add("POST", template, docs=docs)

    def patch(self, template: str, *, docs: str) -> Callable[[Handler], Handler]:
        return self.add("PATCH", template, docs=docs)

    def put(self, template: str, *, docs: str) -> Callable[[Handler], Handler]:
        return self.add("PUT", template, docs=docs)

    def delete(self, template: str, *, docs: str) -> Callable[[Handler], Handler]:
        return self.add("DELETE", template, docs=docs)

    def extend(self, other: Routes) -> None:
        self.routes.extend(other.routes)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The most specific route for the request, with its decoded path parameters."""
        found = []
        for route in self.routes:
            if route.method != method:
                continue
            m = route.pattern.fullmatch(path)
            if m:
                found.append((route, {k: unquote(v) for k, v in m.groupdict().items()}))
        return max(found, key=lambda pair: pair[0].literal_length, default=None)


def paginate(
    call: Call,
    items: list[T],
    render: Callable[[T], Any] = lambda item: item,
    *,
    envelope: str | None = None,
) -> Response:
    """One page of `items` (`per_page` ≤ 100, default 30) with GitHub's `Link` header.

    Only the page is rendered. With `envelope`, the page is wrapped as GitHub wraps some lists:
    `{"total_count": n, envelope: [...]}`.
    """
    request = call.request
    per_page = min(max(request.int_arg("per_page", 30), 1), 100)
    page = max(request.int_arg("page", 1), 1)
    last = max(math.ceil(len(items) / per_page), 1)
    chunk = items[(page - 1) * per_page : page * per_page]
    headers = {}
    query = {key: values[-1] for key, values in request.query.items()}

    def link(number: int, rel: str) -> str:
        return f'<{call.link_base}?{urlencode({**query, "page": number})}>; rel="{rel}"'

    rels = []
    if page > 1:
        rels.append(link(min(page - 1, last), "prev"))
    if page < last:
        rels += [link(page + 1, "next"), link(last, "last")]
    if page > 1:
        rels.append(link(1, "first"))
    if rels:
        headers["Link"] = ", ".join(rels)
    page_body: Any = [render(item) for item in chunk]
    if envelope is not None:
        page_body = {"total_count": len(items), envelope: page_body}
    return Response(200, page_body, headers)
