"""Every string of a Slack message redacted, on the chain's thread as the message is built.

A chain's message is built again at every event, and all of it but a line or two is what it was:
each distinct string is redacted once (remembered, up to `REMEMBERED` of them), so that what
Slack costs the chain's thread does not grow with the chain's length at every event.
"""

from __future__ import annotations

from typing import Any

from bot.redact import Redactor
from bot.render.slack import Message

REMEMBERED = 4096


class MessageRedactor:
    def __init__(self, redact: Redactor) -> None:
        self.redact = redact
        self._done: dict[str, str] = {}  # a string as built: as redacted

    def __call__(self, message: Message) -> Message:
        """The message with every string in it (text and blocks) redacted."""
        return {"text": self.text(message["text"]), "blocks": self._walk(message["blocks"])}

    def text(self, text: str) -> str:
        done = self._done.get(text)
        if done is None:
            if len(self._done) >= REMEMBERED:
                self._done.clear()
            done = self._done[text] = self.redact(text)
        return done

    def _walk(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self._walk(v) for v in value]
        if isinstance(value, dict):
            return {k: self._walk(v) for k, v in value.items()}
        return value
