"""A careful GitHub client: PyGithub underneath, with every request counted, polls made as
conditional GETs (a 304 costs no rate limit), retries only for what is transient, and GitHub's
refusals raised as typed errors (`bot.errors`). Only this package's modules import `github`."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import requests
from github import Auth, Github, GithubException, RateLimitExceededException

from bot.errors import (
    BatonError,
    ConfigError,
    Conflict,
    Forbidden,
    ForgeError,
    NotFound,
    ProtectedBranch,
    RateLimited,
    ServerError,
    Unanswered,
    Unprocessable,
)
from bot.forge.github.accounting import RequestCounter, RequestStats, count_requests
from bot.forge.github.retry import retrying

log = logging.getLogger(__name__)
T = TypeVar("T")


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
        count_requests(self.gh, RequestCounter(self.stats))

    def close(self) -> None:
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
            raise _as_error(exc) from exc
        except (requests.exceptions.RequestException, ConnectionError, TimeoutError) as exc:
            # No answer (a refused or dropped connection, a timeout): for a write, "may have
            # happened".
            raise Unanswered(
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


_KINDS: dict[int, type[ForgeError]] = {
    403: Forbidden,
    404: NotFound,
    410: NotFound,
    409: Conflict,
    422: Unprocessable,
    429: RateLimited,
}


def _as_error(exc: GithubException) -> BatonError:
    """GitHub's answer as the error it means; the one place its status and text are read."""
    message = exc.data.get("message") if isinstance(exc.data, dict) else None
    if exc.status == 401:
        return ConfigError(
            "GitHub rejected the token (401 Bad credentials)",
            hint="check GITHUB_TOKEN or the GitHub App's credentials",
        )
    text = f"GitHub answered {exc.status}: {message or exc.data}"
    said = str(message or "").lower()
    kind = _KINDS.get(exc.status, ServerError if exc.status >= 500 else ForgeError)
    if isinstance(exc, RateLimitExceededException):
        kind = RateLimited
    elif exc.status in (403, 409, 422) and ("protected" in said or "pull request" in said):
        # "Protected branch update failed", "Changes must be made through a pull request"
        kind = ProtectedBranch
    if kind is ServerError:
        hint = "GitHub failed on its side; run baton again later: it continues where it stopped"
        return ServerError(text, status=exc.status, hint=hint)
    return kind(text, status=exc.status)
