"""How every call to Slack is made, whatever Slack answers.

- Permanent failures (a wrong token, a missing scope, a channel the app is not in or that is
  archived, a webhook that is gone): one line naming the method, the error, the channel and the
  fix, then Slack is off for the rest of the run: no later call is made.
- Transient failures (429, 5xx, timeouts, resets): tried again after what `Retry-After` says (or
  a short backoff), at most `ATTEMPTS` times and `CALL_BUDGET` seconds a call, and `RUN_BUDGET`
  seconds in all; a request Slack may have carried out already (its answer was lost) is sent
  again only when sending it twice does nothing twice. After `TRIP` calls in a row were given up,
  the breaker lets no call through for `COOLDOWN` seconds.
- Each distinct failure (method, error, channel) is one warning, never one per event.
- Posts keep Slack's pace: one a `pace` seconds to a channel (or a webhook), Slack's documented
  "1 message per second per channel" (https://docs.slack.dev/reference/methods/chat.postMessage,
  "Rate limits"; https://docs.slack.dev/apis/web-api/rate-limits for webhooks), so that a chain
  meets no 429 at Slack's normal limits.

Waits end early when `stop` is set (the run's final flush ran out of time).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from bot.notify.slack_failures import SlackFailure
from bot.redact import Redactor

log = logging.getLogger(__name__)

ATTEMPTS = 3
CALL_BUDGET = 30.0
RUN_BUDGET = 120.0
TRIP = 3
COOLDOWN = 60.0
BACKOFF = 1.0  # the first wait without a Retry-After; doubled at each attempt
PACE = 1.0  # seconds between two posts to one channel

T = TypeVar("T")
_THEN = {
    "permanent": "Slack is off for this run",
    "transient": "tried again within bounds; the chain goes on",
    "refused": "that message is dropped; the chain goes on",
}


class Delivery:
    def __init__(
        self,
        redact: Redactor | None = None,
        *,
        stop: threading.Event | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], bool] | None = None,
        pace: float = PACE,
    ) -> None:
        """`sleep(seconds)` waits, True when the wait was cut short (by default: `stop`)."""
        self.redact = redact or Redactor()
        self.stop = stop or threading.Event()
        self.clock = clock
        self.sleep = sleep or self.stop.wait
        self.pace = pace
        self._next_post: dict[str, float] = {}  # a channel: when it may be posted to again
        self.off: SlackFailure | None = None  # the permanent failure that switched Slack off
        self._told: set[tuple[str, str, str | None]] = set()
        self._waited = 0.0  # seconds waited for Slack in this run
        self._given_up = 0  # calls in a row given up on transient failures
        self._closed_at = 0.0  # the breaker lets calls through again from then

    def call(
        self,
        method: str,
        channel: str | None,
        send: Callable[[], T],
        *,
        repeatable: bool,
        chain: str | None = None,
        paced: str | None = None,
    ) -> T:
        """`send()`'s answer, or the `SlackFailure` it was given up on. `repeatable`: sending
        the request twice does nothing twice (an update, a read), so a lost answer is retried.
        `paced`: the channel (or webhook) of a post, which waits for the channel's pace."""
        if self.off is not None:
            raise self.off
        if self.clock() < self._closed_at:
            raise SlackFailure(method, "circuit_open", channel=channel)
        waited = 0.0
        for attempt in range(1, ATTEMPTS + 1):
            if paced is not None and not self._keep_pace(paced):
                raise SlackFailure(method, "flush_ran_out", channel=channel)
            try:
                answer = send()
            except SlackFailure as exc:
                failure = exc.to(channel)
            else:
                self._given_up = 0
                return answer
            self._tell(failure, chain)
            if failure.kind == "permanent":
                self.off = failure
                raise failure
            wait = self._wait(failure, attempt, waited, repeatable)
            if wait is None or self.sleep(wait):
                break
            waited += wait
            self._waited += wait
        if failure.kind == "transient":
            self._given_up += 1
            if self._given_up >= TRIP:
                self._closed_at = self.clock() + max(COOLDOWN, failure.retry_after or 0.0)
                log.info("slack.breaker_open", extra={"seconds": COOLDOWN})
        raise failure

    def _keep_pace(self, channel: str) -> bool:
        """Wait for the channel's next post to be due, and book the one after; False when the
        wait was cut short."""
        wait = self._next_post.get(channel, 0.0) - self.clock()
        if wait > 0 and self.sleep(wait):
            return False
        self._next_post[channel] = self.clock() + self.pace
        return True

    def _wait(
        self, failure: SlackFailure, attempt: int, waited: float, repeatable: bool
    ) -> float | None:
        """How long to wait before the next attempt, or None when there is none."""
        if failure.kind != "transient" or attempt >= ATTEMPTS:
            return None
        if failure.reached and not repeatable:
            return None  # it may be in Slack already: the caller decides (see slack_chain)
        wait = (
            failure.retry_after if failure.retry_after is not None else BACKOFF * 2 ** (attempt - 1)
        )
        if waited + wait > CALL_BUDGET or self._waited + wait > RUN_BUDGET:
            return None
        return wait

    def _tell(self, failure: SlackFailure, chain: str | None) -> None:
        """One warning per distinct failure; the same failure again is a debug line."""
        fields = {
            "method": failure.method,
            "error": failure.error,
            "channel": failure.channel,
            "chain": chain,
        }
        if failure.status is not None:
            fields["status"] = str(failure.status)
        if failure.key in self._told:
            log.debug("slack.failed_again", extra=fields)
            return
        self._told.add(failure.key)
        fields["fix"] = self.redact(failure.fix)
        fields["then"] = _THEN[failure.kind]
        log.warning("slack.failed", extra={k: v for k, v in fields.items() if v is not None})
