"""`baton run --watch`: the same reconcile pass as the schedule, forever, from a machine you own.

SIGTERM or SIGINT ask it to stop: the pass under way finishes its current action (the state is
saved after every action anyway) and the loop ends cleanly instead of starting another one.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType

log = logging.getLogger(__name__)


class Stop:
    """Set by SIGTERM/SIGINT; the loop looks at it between passes and while it waits."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def install(self) -> None:
        def handler(signum: int, _frame: FrameType | None) -> None:
            log.info("watch.stop_requested", extra={"signal": signum})
            self.event.set()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)


def watch(run_once: Callable[[], int], interval: float, stop: Stop) -> int:
    """Run passes `interval` seconds apart until stopped; the exit code of the last pass."""
    code = 0
    passes = 0
    while not stop.event.is_set():
        code = run_once()
        passes += 1
        log.info("watch.pass_done", extra={"pass": passes, "code": code})
        stop.event.wait(interval)
    return code
