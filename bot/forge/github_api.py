"""A careful GitHub client: PyGithub underneath, with every request counted, polls made as
conditional GETs (a 304 costs no rate limit), and retries only for what is transient, honouring
`retry-after` and `x-ratelimit-reset`. Only this package's modules import `github`."""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import github
import requests
import stamina
from github import Auth, Github, GithubException
from urllib3.exceptions import NewConnectionError

from bot.errors import BatonError, ConfigError, ForgeError

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_WAIT_S = 15 * 60  # longer than this, a run stops and the schedule picks the work up later
SECONDARY_WAIT_S = 60.0


@dataclass
class RequestStats:
    """What a run cost: requests made, rate-limit units spent (a 304 is free), by kind."""

    requests: int = 0
    units: int = 0
    not_modified: int = 0
    writes: int = 0
    remaining: int | None = None
    by_route: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        left = f", {self.remaining} left this hour" if self.remaining is not None else ""
        return (
            f"GitHub: {self.requests} requests, {self.units} rate-limit units "
            f"({self.not_modified} answered 304, {self.writes} writes){left}"
        )


class _Counter(logging.Handler):
    """Counts PyGithub's requests from its own request log: one record per HTTP exchange."""

    def __init__(self, stats: RequestStats) -> None:
        super().__init__(logging.DEBUG)
        self.stats = stats
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.INFO:  # PyGithub's own notices go on as usual
            logging.getLogger("github").handle(record)
        args = record.args
        if not isinstance(args, tuple) or len(args) < 8 or "==>" not in str(record.msg):
            return
        verb, url, status, headers = args[0], str(args[3]), args[6], args[7]
        headers = headers if isinstance(headers, dict) else {}
        # A refusal for the primary limit (403/429 with nothing remaining) spends no unit, as a
        # 304 does not; every other answer, errors included, spends one.
        refused = status in (403, 429) and str(headers.get("x-ratelimit-remaining")) == "0"
        with self._lock:
            self.stats.requests += 1
            if status == 304:
                self.stats.not_modified += 1
            elif not refused:
                self.stats.units += 1
            if verb != "GET":
                self.stats.writes += 1
            route = f"{verb} {url.split('?', maxsplit=1)[0]}"
            self.stats.by_route[route] = self.stats.by_route.get(route, 0) + 1
            if "x-ratelimit-remaining" in headers:
                self.stats.remaining = int(headers["x-ratelimit-remaining"])


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


class EtagCache:
    """Bodies of polled GETs by URL, with their ETags; kept in a file between runs."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.entries: dict[str, tuple[str, Any]] = {}
        if path is not None and path.exists():
            try:
                raw = json.loads(path.read_text(encoding="utf-8"))
                self.entries = {k: (v[0], v[1]) for k, v in raw.items()}
            except (OSError, ValueError, TypeError, IndexError):
                log.warning("github.etag_cache_unreadable", extra={"path": str(path)})

    def save(self) -> None:
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps(self.entries), encoding="utf-8")


@dataclass(frozen=True)
class Credentials:
    token: str | None = None
    app_id: str | None = None
    private_key: str | None = None
    installation_id: int | None = None


class GitHubApi:
    def __init__(
        self,
        api_url: str,
        credentials: Credentials,
        *,
        write_interval: float = 1.0,
        cache_path: Path | None = None,
        timeout: int = 30,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.stats = RequestStats()
        self.cache = EtagCache(cache_path)
        self.gh = Github(
            base_url=self.api_url,
            auth=_auth(credentials, self.api_url),
            retry=None,  # retries are ours: bounded, and never a blind repeat of a write
            seconds_between_requests=None,
            seconds_between_writes=write_interval or None,
            per_page=100,
            lazy=True,
            timeout=timeout,
        )
        self._counter = _Counter(self.stats)
        # The request log is read for counting, and kept from the run's own log: it is verbose.
        requester_log = logging.getLogger("github.Requester")
        requester_log.addHandler(self._counter)
        requester_log.setLevel(logging.DEBUG)
        requester_log.propagate = False

    def close(self) -> None:
        logging.getLogger("github.Requester").removeHandler(self._counter)
        self.cache.save()
        self.gh.close()

    def git_token(self) -> str | None:
        """The token git pushes with: the token itself, or the GitHub App installation's current
        token (PyGithub mints it, and renews it before its hour runs out)."""
        auth = self.gh.requester.auth
        if isinstance(auth, Auth.Token | Auth.AppInstallationAuth):
            return self.call(lambda: auth.token)
        return None

    def call(self, fn: Callable[[], T], *, write: bool = False) -> T:
        try:
            return retrying(fn, write=write)
        except GithubException as exc:
            raise _as_forge_error(exc) from exc
        except (requests.exceptions.RequestException, ConnectionError, TimeoutError) as exc:
            # No answer (a refused or dropped connection, a timeout): a ForgeError without a
            # status, which callers treat as "may have happened" for a write.
            raise ForgeError(
                f"GitHub did not answer at {self.api_url} ({type(exc).__name__})",
                hint="check the network and GITHUB_API_URL; run baton again: it continues "
                "where it stopped",
            ) from exc

    def send(self, verb: str, path: str, body: dict[str, Any]) -> Any:
        """A write (POST, PATCH, PUT) of a JSON body to `path`; its JSON answer."""

        def request() -> tuple[dict[str, Any], Any]:
            return self.gh.requester.requestJsonAndCheck(verb, self.api_url + path, input=body)

        return self.call(request, write=True)[1]

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """A conditional GET of `path` (relative to the API): the cached body when unchanged."""
        key = path + (
            "?" + "&".join(f"{k}={v}" for k, v in sorted(params.items())) if params else ""
        )
        cached = self.cache.entries.get(key)
        headers = {"If-None-Match": cached[0]} if cached else {}

        def request() -> tuple[dict[str, Any], Any]:
            return self.gh.requester.requestJsonAndCheck(
                "GET", self.api_url + path, parameters=params, headers=headers
            )

        response_headers, data = self.call(request)
        if data is None and cached is not None:  # 304 Not Modified
            return cached[1]
        etag = response_headers.get("etag")
        if etag:
            self.cache.entries[key] = (etag, data)
        return data

    def get_pages(self, path: str, params: dict[str, Any] | None = None) -> list[Any]:
        """Every page of a list, each page a conditional GET (stops at the first short page)."""
        items: list[Any] = []
        page = 1
        while True:
            batch = self.get_json(path, {**(params or {}), "per_page": 100, "page": page})
            items += batch or []
            if not batch or len(batch) < 100:
                return items
            page += 1


def _auth(credentials: Credentials, api_url: str) -> Auth.Auth:
    if credentials.token:
        return Auth.Token(credentials.token)
    if credentials.app_id and credentials.private_key and credentials.installation_id:
        # PyGithub renews the installation token before its hour runs out.
        app = Auth.AppAuth(credentials.app_id, credentials.private_key)
        return Auth.AppInstallationAuth(app, credentials.installation_id)
    raise ConfigError(
        "no GitHub credentials",
        hint="set GITHUB_TOKEN, or BATON_GITHUB_APP_ID, BATON_GITHUB_APP_PRIVATE_KEY and "
        f"BATON_GITHUB_APP_INSTALLATION_ID (API: {api_url})",
    )


def _as_forge_error(exc: GithubException) -> BatonError:
    message = exc.data.get("message") if isinstance(exc.data, dict) else None
    if exc.status == 401:
        return ConfigError(
            "GitHub rejected the token (401 Bad credentials)",
            hint="check GITHUB_TOKEN or the GitHub App's credentials",
        )
    hint = (
        "GitHub failed on its side; run baton again later: it continues where it stopped"
        if exc.status >= 500
        else None
    )
    return ForgeError(
        f"GitHub answered {exc.status}: {message or exc.data}", status=exc.status, hint=hint
    )


__all__ = ["Credentials", "GitHubApi", "RequestStats", "github", "retrying"]
