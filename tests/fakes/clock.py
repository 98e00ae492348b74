"""A clock the test moves: `clock()` is now; `clock.sleep(seconds)` moves it on at once, so code
that waits (Baton's pace, the fake Slack's rate limits) costs no time in a test."""

from __future__ import annotations

import threading


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now
        self.slept: list[float] = []  # each wait asked for
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> bool:
        """Waits `seconds`, at once; False: never interrupted (as `threading.Event.wait`)."""
        with self._lock:
            self.slept.append(seconds)
            self.now += seconds
        return False
