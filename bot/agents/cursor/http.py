"""Speaking to Cursor's API: one authenticated httpx client, its answers' errors classified by
status and code (never by message; v1's nested error bodies and v0's flat ones alike), transient
ones retried with a bound."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx
import stamina

from bot import __version__
from bot.errors import AgentError, ConfigError
from bot.tls import tls_context

T = TypeVar("T")

# Codes that mean the agent (the session) is gone for good. An expired agent can still be read,
# but it takes no more prompts (409 or 400 `agent_expired`).
DEAD_CODES = frozenset({"agent_not_found", "run_not_found", "agent_archived", "agent_expired"})
_RETRY_ATTEMPTS = 6
_RETRY_TIMEOUT_S = 600.0
_MAX_RETRY_AFTER_S = 300.0
_CODE = re.compile(r"[a-z][a-z0-9_]*")  # `agent_busy` is a code; "Too Many Requests" is not


class CursorApiError(AgentError):
    """The API answered with an error (or not at all: `status` None). `code` is its
    `error.code`; Baton classifies by these two, never by the message."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None,
        code: str | None = None,
        retry_after: float | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.code = code
        self.retry_after = retry_after

    @property
    def unanswered(self) -> bool:
        """No answer, or a server error: the request may have taken effect all the same."""
        return self.status is None or self.status >= 500

    @property
    def transient(self) -> bool:
        """Worth another try: no answer, a server error, or a rate limit (not a spent budget)."""
        if self.unanswered:
            return True
        return self.status == 429 and self.code != "usage_limit_exceeded"

    @property
    def dead(self) -> bool:
        """The agent or run does not exist (any more): its session cannot go on."""
        return self.status == 404 or self.code in DEAD_CODES

    def is_conflict(self, code: str) -> bool:
        return self.status == 409 and self.code == code


def retry_wait(exc: Exception) -> bool | float:
    """stamina's hook: retry what is transient, after `Retry-After` when the API says how long."""
    if not isinstance(exc, CursorApiError) or not exc.transient:
        return False
    if exc.retry_after is not None:
        return min(exc.retry_after, _MAX_RETRY_AFTER_S)
    return True


def retried(call: Callable[[], T]) -> T:
    """`call`, again after a transient error (bounded, with backoff; `Retry-After` honoured)."""
    retry = stamina.retry(
        on=retry_wait,
        attempts=_RETRY_ATTEMPTS,
        timeout=_RETRY_TIMEOUT_S,
        wait_initial=1.0,
        wait_max=30.0,
        wait_jitter=1.0,
    )
    return retry(call)()


def _retry_after(value: str | None) -> float | None:
    """`Retry-After` in seconds: a number, or an HTTP date."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


class Api:
    """One HTTP client for the API: authenticated, errors classified, transient ones retried."""

    def __init__(self, base_url: str, api_key: str, timeout_s: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = httpx.Client(
            base_url=self.base_url,
            auth=httpx.BasicAuth(api_key, ""),
            timeout=httpx.Timeout(timeout_s),
            headers={"User-Agent": f"baton/{__version__}"},
            verify=tls_context(),
        )

    def close(self) -> None:
        self._client.close()

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """One request, retried while the error is transient."""
        return retried(lambda: self.send(method, path, body))

    def send(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """One request, once."""
        try:
            response = self._client.request(method, path, json=body)
        except httpx.TransportError as exc:
            raise CursorApiError(
                f"{method} {path} got no answer ({type(exc).__name__}: {exc})", status=None
            ) from exc
        if not response.is_success:
            raise self.error(method, path, response)
        if not response.content:
            return {}
        try:
            data = response.json()
        except ValueError as exc:
            raise CursorApiError(
                f"{method} {path} answered {response.status_code} with a body that is not JSON",
                status=response.status_code,
            ) from exc
        return data if isinstance(data, dict) else {"items": data}

    def stream(self, path: str, headers: dict[str, str], read_s: float) -> Any:
        return self._client.stream(
            "GET", path, headers=headers, timeout=httpx.Timeout(30.0, read=read_s)
        )

    def error(self, method: str, path: str, response: httpx.Response) -> Exception:
        """The error an answer means: ConfigError for 401/403, CursorApiError otherwise."""
        status = response.status_code
        code, message = _error_body(response)
        detail = f"{status} {code}" if code else str(status)
        if status == 401:
            return ConfigError(
                f"CURSOR_API_KEY was rejected ({detail}) by {self.base_url}",
                hint="check that the key is current and complete (Cursor dashboard → "
                "Integrations → API keys), and that BATON_CURSOR_API_URL, if set, is the Cursor API",
            )
        if status == 403:
            return ConfigError(
                f"CURSOR_API_KEY may not {method} {path} ({detail}: {message or 'forbidden'})",
                hint="the key's account needs Cloud Agents enabled, and Cursor's GitHub app "
                "needs access to the repository (agent.cursor.repository)",
            )
        return CursorApiError(
            f"{method} {path} answered {detail}" + (f": {message}" if message else ""),
            status=status,
            code=code,
            retry_after=_retry_after(response.headers.get("Retry-After")),
            hint=(
                "the Cursor account's usage limit is reached: raise it or wait, then run baton again"
                if code == "usage_limit_exceeded"
                else None
            ),
        )


def _error_body(response: httpx.Response) -> tuple[str | None, str]:
    """An error answer's code and message, from either shape: v1 nests them (`{"error": {"code",
    "message"}}`), v0 and some gateways answer flat (`{"error": "agent_busy", "message": …}`, or
    only a message: `{"error": "Too Many Requests"}`)."""
    try:
        response.read()
    except httpx.HTTPError:
        return None, ""
    try:
        data = response.json()
    except ValueError:
        return None, response.text[:200]
    if not isinstance(data, dict):
        return None, response.text[:200]
    error = data.get("error")
    if isinstance(error, dict):
        code, message = error.get("code"), error.get("message")
    elif isinstance(error, str) and _CODE.fullmatch(error):
        code, message = error, data.get("message")
    else:
        code, message = None, data.get("message") or error
    return (str(code) if code else None), str(message or "")[:300]
