"""Following a run's event stream (v1): server-sent events, read until one says the run ended;
a dropped connection goes on from the last event seen. Whatever the stream cannot give (it is
gone, it sends an `error` event, it refuses to resume) is left to polling the run."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from bot.agents.cursor.http import Api, CursorApiError
from bot.agents.cursor.wire import ACTIVE, Run

log = logging.getLogger(__name__)

_CONNECTIONS = 5  # connections to a run's event stream before Baton polls instead
_READ_S = 60.0


@dataclass(frozen=True)
class SseEvent:
    event: str = "message"
    data: str = ""
    id: str | None = None

    def json(self) -> Any:
        try:
            return json.loads(self.data)
        except ValueError:
            return None


def parse_sse(lines: Iterable[str]) -> Iterator[SseEvent]:
    """Server-sent events from a stream's lines: `event:`, `data:` (joined by newlines), `id:`;
    a blank line ends an event; `:` lines are comments."""
    event, last_id = "message", None
    data: list[str] = []
    for raw in lines:
        line = raw.rstrip("\r\n")
        if not line:
            if data or event != "message":
                yield SseEvent(event, "\n".join(data), last_id)
            event, data = "message", []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            event = value
        elif field == "data":
            data.append(value)
        elif field == "id" and "\x00" not in value:
            last_id = value


def _event_status(event: SseEvent) -> str | None:
    data = event.json()
    if not isinstance(data, dict):
        return None
    status = data.get("status")
    if status is None and isinstance(data.get("run"), dict):
        status = data["run"].get("status")
    return str(status).upper() if status else None


def _error_fields(event: SseEvent) -> dict[str, str]:
    """An `error` event's `{code, message}`, for the log."""
    data = event.json()
    if not isinstance(data, dict):
        return {"error": event.data[:300]}
    return {"code": str(data.get("code") or ""), "error": str(data.get("message") or "")[:300]}


def follow(
    api: Api,
    run: Run,
    deadline: float,
    read: Callable[[Run], Run],
    pause: Callable[[float], None],
) -> Run | None:
    """Follow the run's event stream until it reports the end; on a dropped connection, go
    on from the last event seen (`Last-Event-ID`). None: poll instead (410, an `error` event,
    a resume refused with 400 `invalid_last_event_id`, too many drops, or the time ran out).
    `read` reads the run as it is now; `pause` waits (at most until the deadline) before a
    connection after an error."""
    path = f"/v1/agents/{run.agent_id}/runs/{run.run_id}/stream"
    last_id: str | None = None
    for _ in range(_CONNECTIONS):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        headers = {"Accept": "text/event-stream"}
        if last_id is not None:
            headers["Last-Event-ID"] = last_id
        try:
            with api.stream(path, headers, min(remaining, _READ_S)) as response:
                if response.status_code == 410:
                    log.info("cursor.stream_gone", extra={"run": run.run_id})
                    return None
                if not response.is_success:
                    error = api.error("GET", path, response)
                    if isinstance(error, CursorApiError) and error.code == "invalid_last_event_id":
                        log.info("cursor.stream_resume_refused", extra={"run": run.run_id})
                        return None
                    if not (isinstance(error, CursorApiError) and error.transient):
                        raise error
                    pause(deadline)
                    continue
                for event in parse_sse(response.iter_lines()):
                    if event.event == "error":
                        log.info(
                            "cursor.stream_error", extra={"run": run.run_id, **_error_fields(event)}
                        )
                        return None
                    last_id = event.id if event.id is not None else last_id
                    status = _event_status(event)
                    if (status and status not in ACTIVE) or event.event in {"done", "end"}:
                        current = read(run)
                        if not current.active:
                            return current
        except httpx.TransportError as exc:
            log.info("cursor.stream_dropped", extra={"run": run.run_id, "error": str(exc)})
    return None
