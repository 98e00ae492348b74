"""Slack through slack-sdk, the only module that imports it: a Web API call or a webhook post,
answered with Slack's answer or a `SlackFailure` that says what happened (Slack's error word, the
HTTP status, `Retry-After`, and whether the request may have been carried out).

slack-sdk retries nothing here (`bot.notify.slack_delivery` decides what to try again, and
when), and logs through a logger of ours that redacts the token and the webhook URL from every
line and keeps it at DEBUG: Baton's own `slack.failed` line is what a failure is worth.
"""

from __future__ import annotations

import logging
import re
import socket
from collections.abc import Iterable, Mapping
from http.client import HTTPException
from typing import Any
from urllib.error import URLError
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.webhook import WebhookClient

from bot.notify.slack_failures import SlackFailure
from bot.redact import Redactor
from bot.render.slack import Message

DEFAULT_API_URL = "https://slack.com/api/"
TIMEOUT_SECONDS = 10.0  # notify.slack.timeout_seconds' default
_WORD = re.compile(r"[a-z_]{2,60}")


class _RedactingFilter(logging.Filter):
    """Redacts every record slack-sdk logs (it logs request URLs, bodies and errors)."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        self._redact = Redactor()

    def add(self, secrets: Iterable[str]) -> None:
        self._secrets |= {s for s in secrets if s}
        self._redact = Redactor(self._secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self._redact(record.getMessage()), None
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


sdk_log = logging.getLogger(f"{__name__}.sdk")  # slack-sdk logs here, never to its own loggers
_sdk_filter = _RedactingFilter()
sdk_log.addFilter(_sdk_filter)


def _retry_after(headers: Mapping[str, Any]) -> float | None:
    for name, value in headers.items():
        if name.lower() == "retry-after":
            try:
                return max(0.0, float(value[0] if isinstance(value, list) else value))
            except (TypeError, ValueError, IndexError):
                return None
    return None


def _word(text: object) -> str | None:
    """Slack's error word, when a body is one (an HTML page from a proxy is not)."""
    return text if isinstance(text, str) and _WORD.fullmatch(text) else None


def _by_status(status: int) -> str:
    return "ratelimited" if status == 429 else "server_error" if status >= 500 else f"http_{status}"


def _network(method: str, exc: BaseException) -> SlackFailure:
    """A request that got no answer: refused (nothing reached Slack) or lost on the way back."""
    reason = exc.reason if isinstance(exc, URLError) else exc
    if isinstance(reason, ConnectionRefusedError | socket.gaierror):
        return SlackFailure(method, "connection_refused")
    if isinstance(reason, TimeoutError):
        return SlackFailure(method, "timeout", reached=True)
    return SlackFailure(method, "connection_reset", reached=True)


class WebApi:
    """Slack's Web API: `call("chat.postMessage", channel=…, text=…)` answers Slack's answer
    (`ok` is true) or raises `SlackFailure`."""

    def __init__(
        self, token: str, base_url: str | None = None, *, timeout: float = TIMEOUT_SECONDS
    ) -> None:
        _sdk_filter.add([token])
        self.client = WebClient(
            token=token,
            base_url=(base_url or DEFAULT_API_URL).rstrip("/") + "/",
            timeout=timeout,  # type: ignore[arg-type]  # urllib takes a float
            logger=sdk_log,
            retry_handlers=[],
        )

    def call(self, method: str, **args: Any) -> dict[str, Any]:
        send = getattr(self.client, method.replace(".", "_"))
        try:
            response = send(**args)
        except SlackApiError as exc:
            status = int(exc.response.status_code)
            data = exc.response.data if isinstance(exc.response.data, dict) else {}
            raise SlackFailure(
                method,
                _word(data.get("error")) or _by_status(status),
                status=status,
                retry_after=_retry_after(exc.response.headers or {}),
                reached=status >= 500,
                needed=str(data["needed"]) if data.get("needed") else None,
            ) from exc
        except (SlackClientError, OSError, HTTPException) as exc:
            raise _network(method, exc) from exc
        return dict(response.data)


class Webhook:
    """An incoming webhook: `send(message)` posts it or raises `SlackFailure`."""

    def __init__(self, url: str, *, timeout: float = TIMEOUT_SECONDS) -> None:
        _sdk_filter.add([url, urlsplit(url).path])  # the URL, and its path (the secret part)
        self.client = WebhookClient(
            url,
            timeout=timeout,  # type: ignore[arg-type]  # urllib takes a float
            logger=sdk_log,
            retry_handlers=[],
        )

    def send(self, message: Message) -> None:
        try:
            response = self.client.send(
                text=message["text"], blocks=message["blocks"], unfurl_links=False
            )
        except (SlackClientError, OSError, HTTPException) as exc:
            raise _network("webhook", exc) from exc
        status = response.status_code
        if status != 200:
            raise SlackFailure(
                "webhook",
                _word((response.body or "").strip()) or _by_status(status),
                status=status,
                retry_after=_retry_after(response.headers or {}),
                reached=status >= 500,
            )
