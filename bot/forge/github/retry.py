"""Retries only for what is transient: rate limits always (honouring `retry-after` and
`x-ratelimit-reset`), 5xx and lost connections only for reads. A write that failed after it
happened must be found, not repeated."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

import requests
import stamina
from github import GithubException
from urllib3.exceptions import NewConnectionError

T = TypeVar("T")

MAX_WAIT_S = 15 * 60  # longer than this, a run stops and the schedule picks the work up later
SECONDARY_WAIT_S = 60.0


def _wait_for(exc: Exception) -> float | bool:
    """stamina's hook: how long to wait before retrying, or False when the error is final."""
    if not isinstance(exc, GithubException):
        return isinstance(exc, ConnectionError | TimeoutError | OSError)
    headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
    message = str(exc.data.get("message", "") if isinstance(exc.data, dict) else exc.data).lower()
    if exc.status in (403, 429):
        if "retry-after" in headers:
            return float(headers["retry-after"])
        if headers.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in headers:
            wait = float(headers["x-ratelimit-reset"]) - time.time() + 1
            return max(wait, 1.0) if wait <= MAX_WAIT_S else False
        if exc.status == 429 or "rate limit" in message:
            return SECONDARY_WAIT_S * (1 + random.random())  # noqa: S311 - jitter, not secrets
        return False
    return exc.status >= 500


def _never_sent(exc: Exception) -> bool:
    """A transport error that came before the request left (no connection was made): sending
    it again cannot repeat it. A reset or a timeout after sending may come after it happened."""
    if isinstance(exc, requests.exceptions.ConnectTimeout | ConnectionRefusedError):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError) and exc.args:
        return isinstance(getattr(exc.args[0], "reason", None), NewConnectionError)
    return False


def retrying(fn: Callable[[], T], *, write: bool = False, attempts: int = 5) -> T:
    """Call `fn`, retrying rate limits always, and 5xx or connection errors only for reads: a
    write that failed after it happened must be found, not repeated (the callers look first).
    A write is sent again after a connection error only when it never left."""

    def hook(exc: Exception) -> float | bool:
        wait = _wait_for(exc)
        if write and isinstance(exc, GithubException) and exc.status >= 500:
            return False
        if write and not isinstance(exc, GithubException) and not _never_sent(exc):
            return False
        return wait

    for attempt in stamina.retry_context(
        on=hook, attempts=attempts, timeout=timedelta(seconds=MAX_WAIT_S), wait_max=SECONDARY_WAIT_S
    ):
        with attempt:
            return fn()
    raise AssertionError("unreachable: stamina raises after the last attempt")  # pragma: no cover
