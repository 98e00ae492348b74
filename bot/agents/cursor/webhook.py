"""Cursor's v0 `statusChange` webhooks: check the signature, drop repeats, read the event.

Pure functions and one small bounded set; whatever receives the HTTP request (a server, a
function behind a gateway) hands the raw body and the headers here, then tells the waiting
`CursorAgent` with `notify` so it reads the run at once instead of at its next poll.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

SIGNATURE_HEADER = "X-Webhook-Signature"
ID_HEADER = "X-Webhook-ID"
_PREFIX = "sha256="


def sign(secret: str, body: bytes) -> str:
    """The signature header's value for `body`: `sha256=<hex HMAC-SHA256 of the raw body>`."""
    return _PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_webhook(secret: str, body: bytes, signature_header: str | None) -> bool:
    """Whether `signature_header` is the HMAC-SHA256 of the raw `body` under `secret`."""
    if not secret or not signature_header or not signature_header.startswith(_PREFIX):
        return False
    return hmac.compare_digest(sign(secret, body).encode(), signature_header.strip().encode())


class WebhookDeduper:
    """Remembers the last `capacity` delivery ids: deliveries may repeat, and a repeat is dropped."""

    def __init__(self, capacity: int = 1024) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._seen: OrderedDict[str, None] = OrderedDict()

    def first_time(self, delivery_id: str) -> bool:
        """True the first time an id is seen (and remembers it); False for a repeat."""
        if delivery_id in self._seen:
            self._seen.move_to_end(delivery_id)
            return False
        self._seen[delivery_id] = None
        if len(self._seen) > self.capacity:
            self._seen.popitem(last=False)
        return True

    def __len__(self) -> int:
        return len(self._seen)


@dataclass(frozen=True)
class StatusChange:
    """A `statusChange` event: which agent, and its new status (FINISHED, ERROR)."""

    delivery_id: str
    agent_id: str
    status: str
    summary: str = ""


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)


def accept_delivery(
    secret: str, deduper: WebhookDeduper, headers: Mapping[str, str], body: bytes
) -> StatusChange | None:
    """The status change a delivery carries, or None when it must be ignored: a bad signature,
    no delivery id, a repeat, another event, or a body that is not one."""
    if not verify_webhook(secret, body, _header(headers, SIGNATURE_HEADER)):
        return None
    delivery = _header(headers, ID_HEADER)
    if not delivery:
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("event") != "statusChange":
        return None
    agent_id, status = data.get("id"), data.get("status")
    if not isinstance(agent_id, str) or not isinstance(status, str):
        return None
    # Only a well-formed event uses up its id, so a broken first delivery does not hide a good one.
    if not deduper.first_time(delivery):
        return None
    summary = data.get("summary")
    return StatusChange(delivery, agent_id, status, summary if isinstance(summary, str) else "")
