"""The sender that delivers notifications off the chain's path: in order, bounded, updates
coalesced, and a flush that names what it could not deliver."""

from __future__ import annotations

import threading

from bot.notify.sender import Job, Sender


def test_jobs_are_delivered_in_order_and_a_waiting_update_is_replaced() -> None:
    sender = Sender("test")
    gate = threading.Event()
    done: list[str] = []

    def job(name: str, key: str | None = None, wait: bool = False) -> Job:
        def send() -> bool:
            if wait:
                gate.wait(5)
            done.append(name)
            return True

        return Job(name, send, key)

    sender.submit(job("first", wait=True))  # holds the sender while the rest queue
    sender.submit(job("update 1", key="u"))
    sender.submit(job("reply a"))
    sender.submit(job("update 2", key="u"))
    sender.submit(job("reply b"))
    gate.set()

    assert sender.flush(5) == []
    assert done == ["first", "update 2", "reply a", "reply b"]


def test_a_full_queue_and_a_slow_job_are_named_by_the_flush() -> None:
    sender = Sender("test", capacity=2)
    gate = threading.Event()
    sender.submit(Job("stuck", lambda: gate.wait(5)))
    for n in range(4):
        sender.submit(Job(f"queued {n}", lambda: True))

    undelivered = sender.flush(0.1)

    assert sorted(undelivered) == ["queued 0", "queued 1", "queued 2", "queued 3", "stuck"]
    assert sender.stop.is_set(), "the job still running is told to stop waiting"
    gate.set()


def test_a_job_that_fails_is_named() -> None:
    sender = Sender("test")
    sender.submit(Job("refused", lambda: False))
    assert sender.flush(5) == ["refused"]
    assert sender.flush(5) == [], "named once"
