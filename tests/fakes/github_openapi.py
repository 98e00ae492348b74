"""Checks the fake GitHub's answers against GitHub's own OpenAPI description (openapi-core).

An answer the description documents is validated by openapi-core against that operation and
status. An error status the description leaves out (GitHub answers far more 4xx and 5xx than it
documents) must still have GitHub's error shape. Timeline and event items get a stricter check
than the description's loose `anyOf`: each is validated against the schema its `event` names.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_schema_validator import OAS30Validator
from werkzeug.datastructures import Headers, ImmutableMultiDict

from tests.fakes._github.actions_spec import with_actions
from tests.fakes._github.server import Exchange

GITHUB = "https://api.github.com"

# The schema each kind of issue event has, for the items of events and timeline lists.
EVENT_SCHEMAS = {
    "labeled": "labeled-issue-event",
    "unlabeled": "unlabeled-issue-event",
    "milestoned": "milestoned-issue-event",
    "demilestoned": "demilestoned-issue-event",
    "closed": "state-change-issue-event",
    "reopened": "state-change-issue-event",
    "commented": "timeline-comment-event",
}


EVENT_LISTS = {
    "/repos/{owner}/{repo}/issues/events",
    "/repos/{owner}/{repo}/issues/{issue_number}/events",
    "/repos/{owner}/{repo}/issues/{issue_number}/timeline",
}


@dataclass
class _Request:
    """What openapi-core needs of a request to find its operation."""

    method: str
    path: str
    path_pattern: str
    host_url: str = GITHUB
    body: bytes | None = None
    content_type: str = "application/json"
    parameters: RequestParameters = field(
        default_factory=lambda: RequestParameters(
            query=ImmutableMultiDict(), header=Headers(), cookie=ImmutableMultiDict(), path={}
        )
    )


@dataclass
class _Response:
    status_code: int
    data: bytes | None
    headers: Headers
    content_type: str


@cache
def _load(path: Path) -> tuple[dict[str, Any], OpenAPI]:
    # The cut lacks the Actions operations the fake serves: they come from GitHub's REST
    # documentation (tests/fakes/_github/actions_spec.py, which names its sources).
    spec = with_actions(json.loads(path.read_text()))
    return spec, OpenAPI.from_dict(spec)


class OpenApiChecker:
    def __init__(self, spec_path: Path) -> None:
        self.spec, self.openapi = _load(spec_path)

    def _schema_errors(self, name: str, value: Any) -> list[str]:
        document = {"$ref": f"#/components/schemas/{name}", "components": self.spec["components"]}
        return [
            f"{'/'.join(map(str, error.absolute_path)) or '(body)'}: {error.message}"
            for error in OAS30Validator(document).iter_errors(value)
        ]

    def documented(self, exchange: Exchange) -> bool:
        """Whether GitHub's description documents this status for this operation."""
        if exchange.route is None:
            return False
        operation = self.spec["paths"].get(exchange.route, {}).get(exchange.method.lower())
        return operation is not None and str(exchange.status) in operation["responses"]

    def _response_schema(self, exchange: Exchange) -> dict[str, Any]:
        assert exchange.route is not None
        response = self.spec["paths"][exchange.route][exchange.method.lower()]["responses"][
            str(exchange.status)
        ]
        if "$ref" in response:
            response = self.spec["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
        schema: dict[str, Any] = (
            response.get("content", {}).get("application/json", {}).get("schema", {})
        )
        return schema

    def problems(self, exchange: Exchange) -> list[str]:
        """What is wrong with one answer, as readable lines; empty when it is right."""
        where = f"{exchange.method} {exchange.path} → {exchange.status}"
        if exchange.route is not None and exchange.route not in self.spec["paths"]:
            return [f"{where}: {exchange.route} is not in GitHub's description"]
        if exchange.status == 304:
            return [f"{where}: a 304 has a body"] if exchange.response_body else []
        if not self.documented(exchange):
            if exchange.status < 400:
                return [f"{where}: status not documented for this operation"]
            schema = "validation-error" if exchange.status == 422 else "basic-error"
            body = exchange.json()
            errors = self._schema_errors(schema, body)
            if (
                not isinstance(body, dict)
                or not body.get("message")
                or not body.get("documentation_url")
            ):
                errors.append("an error needs a message and a documentation_url")
            return [f"{where}: {e}" for e in errors]
        return [f"{where}: {e}" for e in self._validate(exchange)]

    def _validate(self, exchange: Exchange) -> list[str]:
        assert exchange.route is not None
        schema = self._response_schema(exchange)
        # Two shapes of GitHub's description that openapi-core cannot follow. A directory listing
        # (an array) is told from a file by a discriminator that maps `array` to its schema:
        target = schema.get("discriminator", {}).get("mapping", {}).get("array")
        if target and isinstance(exchange.json(), list):
            return self._schema_errors(target.rsplit("/", 1)[-1], exchange.json())
        # And some errors are `oneOf` schemas that any error body satisfies all of at once:
        if exchange.status >= 400 and "oneOf" in schema:
            members = [ref["$ref"].rsplit("/", 1)[-1] for ref in schema["oneOf"]]
            found = [self._schema_errors(member, exchange.json()) for member in members]
            return (
                []
                if any(not errors for errors in found)
                else [e for errors in found for e in errors]
            )
        request = _Request(exchange.method.lower(), exchange.path, exchange.route)
        headers = Headers(list(exchange.response_headers.items()))
        response = _Response(
            exchange.status,
            exchange.response_body or None,
            headers,
            headers.get("Content-Type", "application/json").lower(),
        )
        try:
            self.openapi.validate_response(request, response)
        except Exception as error:  # noqa: BLE001 - every kind of invalid answer is reported
            details = getattr(error, "__cause__", None)
            return [f"{error}" + (f" ({details})" if details else "")]
        problems = []
        if exchange.route in EVENT_LISTS and exchange.status == 200:
            for index, item in enumerate(exchange.json()):
                name = EVENT_SCHEMAS.get(item.get("event"))
                if name is None:
                    problems.append(f"[{index}]: no schema known for event {item.get('event')!r}")
                    continue
                problems += [f"[{index}] {e}" for e in self._schema_errors(name, item)]
        return problems

    def all_problems(self, exchanges: Iterable[Exchange]) -> list[str]:
        return [problem for exchange in exchanges for problem in self.problems(exchange)]
