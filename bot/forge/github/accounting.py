"""What a run cost on GitHub: requests made and rate-limit units spent, by route."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from github import Github
from github.Auth import AppInstallationAuth


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


class RequestCounter:
    """Counts each HTTP exchange as its answer arrives: a `requests` response hook on the
    sessions of one client's connections, so that clients in one process count apart."""

    def __init__(self, stats: RequestStats) -> None:
        self.stats = stats
        self._lock = threading.Lock()

    def __call__(self, response: requests.Response, *_args: Any, **_kwargs: Any) -> None:
        verb = response.request.method or ""
        status, headers = response.status_code, response.headers
        # A refusal for the primary limit (403/429 with nothing remaining) spends no unit, as a
        # 304 does not; every other answer, errors included, spends one.
        refused = status in (403, 429) and headers.get("x-ratelimit-remaining") == "0"
        with self._lock:
            self.stats.requests += 1
            if status == 304:
                self.stats.not_modified += 1
            elif not refused:
                self.stats.units += 1
            if verb != "GET":
                self.stats.writes += 1
            route = f"{verb} {(response.request.path_url or '').split('?', maxsplit=1)[0]}"
            self.stats.by_route[route] = self.stats.by_route.get(route, 0) + 1
            if "x-ratelimit-remaining" in headers:
                self.stats.remaining = int(headers["x-ratelimit-remaining"])


# PyGithub's own name for the connection class a requester builds its connections from.
_CONNECTION_CLASS = "_Requester__connectionClass"


def count_requests(gh: Github, counter: RequestCounter) -> None:
    """Have `counter` see every answer to this client: its requester's, and, with a GitHub App,
    the installation-token requests (PyGithub sends them through a requester of their own).

    PyGithub offers no per-client transport hook: `Requester.injectConnectionClasses` changes
    every requester in the process, so clients would count each other's requests. Each of this
    client's requesters is given a connection class of its own instead, through the private
    attribute holding it; a renamed attribute fails here, loudly, rather than counting nothing."""
    requesters = [gh.requester]
    auth = gh.requester.auth
    if isinstance(auth, AppInstallationAuth):
        integration = vars(auth).get("_AppInstallationAuth__integration")
        if integration is None:
            raise RuntimeError("PyGithub's AppInstallationAuth no longer holds its integration")
        requesters.append(integration.requester)
    for requester in requesters:
        if _CONNECTION_CLASS not in vars(requester):
            raise RuntimeError(f"PyGithub's Requester no longer has {_CONNECTION_CLASS}")
        setattr(requester, _CONNECTION_CLASS, _counted(vars(requester)[_CONNECTION_CLASS], counter))


def _counted(connect: Callable[..., Any], counter: RequestCounter) -> Callable[..., Any]:
    """A connection class whose connections' sessions report each answer to `counter`."""

    def connection(*args: Any, **kwargs: Any) -> Any:
        made = connect(*args, **kwargs)
        made.session.hooks["response"].append(counter)
        return made

    return connection
