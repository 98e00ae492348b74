"""Small helpers the endpoint modules share."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .model import Issue, User
from .protocol import ApiError, Call, invalid_request, not_found, validation_failed
from .shapes import Shapes

MAX_BODY = 65536  # issue and comment bodies
MAX_CHECK_TEXT = 65535  # check-run title, summary and text

_TRIAGE_ROLES = ("admin", "maintain", "write", "triage")


def shapes(call: Call) -> Shapes:
    return Shapes(call.world)


def issue_or_404(call: Call, name: str = "issue_number") -> Issue:
    issue = call.world.issues.get(call.int_param(name))
    if issue is None:
        raise not_found()
    return issue


def pull_or_404(call: Call) -> Issue:
    issue = call.world.issues.get(call.int_param("pull_number"))
    if issue is None or issue.pull is None:
        raise not_found()
    return issue


def can_triage(user: User) -> bool:
    """May set labels, milestones and assignees (GitHub silently drops them for others)."""
    return user.role in _TRIAGE_ROLES


def can_write(user: User) -> bool:
    return user.role in ("admin", "maintain", "write")


def required(body: dict[str, Any], name: str) -> Any:
    """A property the endpoint's schema requires, with GitHub's schema-check answer when absent."""
    if name not in body or body[name] is None:
        raise invalid_request(f'"{name}" wasn\'t supplied.')
    return body[name]


def text_field(
    body: dict[str, Any], name: str, resource: str, *, limit: int = MAX_BODY
) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid_request(f"For 'properties/{name}', {value!r} is not a string.")
    if len(value) > limit:
        raise validation_failed(
            resource, name, "custom", f"{name} is too long (maximum is {limit} characters)"
        )
    return value


def parse_time(value: Any, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise invalid_request(f"For 'properties/{field}', {value!r} is not a date-time.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def forbidden(message: str = "Resource not accessible by integration") -> ApiError:
    return ApiError(403, message)
