"""Delivery off the chain's path: a notifier hands its messages, built already, to a `Sender`,
and one thread of the sender's own delivers them in order while the chain goes on.

- The queue is bounded (`CAPACITY`): past it, a message is not queued but named at the end.
- A job with a `key` (the chain's message, updated in place) replaces the one with the same key
  still waiting: only the newest state is sent, in the place of the oldest.
- `flush(timeout)`, once at the end of a run, waits at most `timeout` seconds for the queue to
  empty, then names what was not delivered; a wait for Slack still under way ends (`stop`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

CAPACITY = 500


@dataclass(frozen=True)
class Job:
    what: str  # what it delivers, to name it if it is never delivered
    send: Callable[[], bool]  # True when delivered
    key: str | None = None  # a later job with the same key replaces this one while it waits


class Sender:
    def __init__(self, name: str, capacity: int = CAPACITY) -> None:
        self.name = name
        self.capacity = capacity
        self.stop = threading.Event()  # the final flush ran out of time: waits end now
        self._jobs: deque[Job] = deque()
        self._busy: Job | None = None
        self._lost: list[str] = []  # given up on, or no room in the queue
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def submit(self, job: Job) -> None:
        with self._cond:
            if job.key is not None:
                for index, waiting in enumerate(self._jobs):
                    if waiting.key == job.key:
                        self._jobs[index] = job
                        return
            if len(self._jobs) >= self.capacity:
                self._lost.append(job.what)
                return
            self._jobs.append(job)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._jobs:
                    self._cond.wait()
                job = self._busy = self._jobs.popleft()
                self.stop.clear()  # a job queued after a flush gave up waits again
            delivered = False
            try:
                delivered = job.send()
            except Exception:  # a notifier must never kill its sender
                log.exception("notify.send_failed", extra={"what": job.what})
            with self._cond:
                if not delivered:
                    self._lost.append(job.what)
                self._busy = None
                self._cond.notify_all()

    def flush(self, timeout: float) -> list[str]:
        """Wait up to `timeout` seconds for everything queued to be delivered; what was not
        (given up on, still queued, or still being sent when the time was up)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._jobs or self._busy is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            busy = [self._busy.what] if self._busy is not None else []
            key = self._busy.key if self._busy is not None else None
            # A newer state of the message being sent is the same message: named once.
            waiting = [job.what for job in self._jobs if key is None or job.key != key]
            undelivered = self._lost + busy + waiting
            if busy:
                self.stop.set()
            self._jobs.clear()
            self._lost = []
        return undelivered
