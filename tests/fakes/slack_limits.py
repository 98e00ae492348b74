"""Slack's rate limits, as its documentation states them, for the fake Slack.

https://docs.slack.dev/apis/web-api/rate-limits: limits apply "per API method per workspace per
app"; each Web API method has a tier (Tier 1: 1+ a minute, Tier 2: 20+, Tier 3: 50+, Tier 4:
100+, each with "occasional bursts"), chat.postMessage a special limit ("one message per second
per channel", "short bursts >1 allowed", and a workspace-wide limit above that), and incoming
webhooks "1 per second" with short bursts. Past a limit, Slack answers HTTP 429 with a
`Retry-After` header, the seconds to wait (whole seconds).

Each limit is a token bucket: `burst` requests at once, then `per_minute` a minute. Where the
documentation gives no number (the size of a "short burst", the workspace-wide limit), the
number here says so.

The time scale: `scale` is how long a second of Slack's lasts here, so that a test or a
benchmark stays short (0.01: a limit of one a second lets one through every 10 ms, and
`Retry-After` says 0.01 for a second; 1, the default: Slack's own pace and whole seconds). The
clock can be given, for tests that move time themselves.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    per_minute: float
    burst: float
    per_channel: bool = False  # one bucket per channel (or webhook), not one per method


def tier(number: int) -> Limit:
    """A Web API tier: its requests a minute, and a minute's worth at once for its bursts."""
    per_minute = {1: 1, 2: 20, 3: 50, 4: 100}[number]
    return Limit(per_minute, per_minute)


_EPSILON = 1e-6  # a clock's rounding is no request too many
SHORT_BURST = 3  # "short bursts >1 allowed": the documentation gives no number
DOCUMENTED: Mapping[str, tuple[Limit, ...]] = {
    # https://docs.slack.dev/reference/methods/chat.postMessage (Rate limits: Special): "1
    # message per second to a specific channel", and "several hundred messages per minute" to
    # the workspace (300 here).
    "chat.postMessage": (Limit(60, SHORT_BURST, per_channel=True), Limit(300, 300)),
    # https://docs.slack.dev/reference/methods/chat.update: Tier 3.
    "chat.update": (tier(3),),
    # https://docs.slack.dev/reference/methods/conversations.open: Tier 3.
    "conversations.open": (tier(3),),
    # https://docs.slack.dev/reference/methods/conversations.history: Tier 3 (internal apps;
    # commercially distributed apps outside the Marketplace have a lower one since 2025).
    "conversations.history": (tier(3),),
    # https://docs.slack.dev/reference/methods/conversations.list: Tier 2.
    "conversations.list": (tier(2),),
    # https://docs.slack.dev/messaging/sending-messages-using-incoming-webhooks and the rate
    # limits page: "1 per second", short bursts allowed, per webhook.
    "webhook": (Limit(60, SHORT_BURST, per_channel=True),),
}


class RateLimits:
    def __init__(
        self,
        limits: Mapping[str, tuple[Limit, ...]] = DOCUMENTED,
        *,
        scale: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = limits
        self.scale = scale
        self.clock = clock
        self._buckets: dict[tuple[str, int, str], tuple[float, float]] = {}  # level, when
        self._lock = threading.Lock()

    def admit(self, method: str, channel: str) -> float | None:
        """None when the request may go through (it is counted), else the seconds (on this
        clock) `Retry-After` names: Slack's whole seconds, times the scale."""
        limits = self.limits.get(method, ())
        with self._lock:
            now = self.clock()
            levels = []
            for index, limit in enumerate(limits):
                key = (method, index, channel if limit.per_channel else "")
                level, then = self._buckets.get(key, (limit.burst, now))
                rate = limit.per_minute / 60 / self.scale  # requests a second of this clock
                levels.append((key, min(limit.burst, level + (now - then) * rate), rate))
            waits = [(1 - level) / rate for _, level, rate in levels if level < 1 - _EPSILON]
            if waits:
                return math.ceil(max(waits) / self.scale - _EPSILON) * self.scale
            for key, level, _ in levels:
                self._buckets[key] = (level - 1, now)
        return None
