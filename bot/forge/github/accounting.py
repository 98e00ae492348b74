"""What a run cost on GitHub: requests made and rate-limit units spent, by route."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field


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


class RequestCounter(logging.Handler):
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
