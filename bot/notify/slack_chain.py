"""Slack with a bot token: each chain has ONE message (in a channel, or a direct message to a
user) updated in place with the chain's progress, and a reply in its thread per ticket event.

Its channel and `ts` are kept in the chain's state, so the runs that follow (GitHub mode runs every
few minutes, each a new process) keep updating the same message. Slack is a report, never a gate:
every call goes through `Delivery` (failures by class, bounded retries, Slack off after a
permanent failure), and the chain goes on whatever Slack answers.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from bot.notify import Event, EventKind
from bot.notify.slack import WebApi
from bot.notify.slack_delivery import Delivery
from bot.notify.slack_failures import SlackFailure
from bot.redact import Redactor
from bot.render.links import Links
from bot.render.slack import Message, chain_summary, event_reply, webhook_message
from bot.state import ChainState

log = logging.getLogger(__name__)

# A reply in the chain's thread; the chain's message is updated on these and on the progress ones.
THREADED: frozenset[EventKind] = frozenset(
    {"passed", "correcting", "recovering", "blocked", "skipped", "chain_finished", "handed_over"}
)
PROGRESS: frozenset[EventKind] = THREADED | {"chain_started", "prompt_sent"}
# What chat.update answers when the chain's message is no longer there to update.
GONE = frozenset({"message_not_found", "cant_update_message"})


def redacted(message: Message, redact: Redactor) -> Message:
    """The message with every string in it (text and blocks) redacted."""

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return redact(value)
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return value

    return {"text": redact(message["text"]), "blocks": walk(message["blocks"])}


def _digest(message: Message) -> str:
    return hashlib.sha256(json.dumps(message, sort_keys=True).encode()).hexdigest()


class SlackNotifier:
    """A bot token: the chain's message updated in place, a threaded reply per ticket event."""

    def __init__(
        self,
        api: WebApi,
        *,
        channel: str | None = None,
        user: str | None = None,
        links: Links | None = None,
        redact: Redactor | None = None,
        delivery: Delivery | None = None,
    ) -> None:
        if not channel and not user:
            raise ValueError("a Slack channel or user is needed")
        self.api = api
        self.channel = channel
        self.user = user
        self.links = links or Links()
        self.redact = redact or Redactor()
        self.delivery = delivery or Delivery(self.redact)
        self._dm: str | None = None
        self._threads: dict[str, tuple[str, str]] = {}  # chain: (channel id, ts)
        self._shown: dict[str, str] = {}  # chain: digest of what its message shows now

    @property
    def where(self) -> str:
        """The configured target, as a person wrote it (for the lines that name it)."""
        return self.channel or self.user or ""

    def notify(self, event: Event) -> None:
        if event.kind not in PROGRESS or self.delivery.off is not None:
            return
        state = event.state
        if state is None:  # no chain state to thread under: the event stands on its own
            if event.kind in THREADED:
                self._standalone(event.chain, webhook_message(event, self.links))
            return
        summary = redacted(chain_summary(state, self.links, event.report), self.redact)
        thread = self._thread(state, summary)
        if thread is None:
            return
        if not self._update(state.name, thread, summary):  # the message is gone: a new one
            self._threads.pop(state.name, None)
            state.slack_channel = state.slack_ts = None
            thread = self._thread(state, summary)
            if thread is None:
                return
        if event.kind in THREADED:
            reply = redacted(event_reply(event, self.links), self.redact)
            self._post(state.name, thread[0], reply, thread_ts=thread[1])

    def _standalone(self, chain: str, message: Message) -> None:
        channel = self._target()
        if channel is not None:
            self._post(chain, channel, redacted(message, self.redact))

    def _thread(self, state: ChainState, summary: Message) -> tuple[str, str] | None:
        """The chain's message: known from the state (an earlier run) or this run, else posted."""
        known = self._threads.get(state.name)
        if state.slack_channel and state.slack_ts:
            known = (state.slack_channel, state.slack_ts)
        if known is None:
            channel = self._target()
            posted = self._post(state.name, channel, summary) if channel else None
            if posted is None:
                return None
            known = (str(posted["channel"]), str(posted["ts"]))
            self._shown[state.name] = _digest(summary)
            log.info("slack.chain_message", extra={"chain": state.name, "channel": known[0]})
        self._threads[state.name] = known
        state.slack_channel, state.slack_ts = known  # saved with the chain's next save
        return known

    def _update(self, chain: str, thread: tuple[str, str], summary: Message) -> bool:
        """Show the chain as it is now in its message; False when Slack no longer has that
        message (deleted), so that the caller posts a new one."""
        if self._shown.get(chain) == _digest(summary):
            return True
        channel, ts = thread
        try:
            self.delivery.call(
                "chat.update",
                self.where,
                lambda: self.api.call("chat.update", channel=channel, ts=ts, **summary),
                repeatable=True,
                chain=chain,
            )
        except SlackFailure as failure:
            if failure.error in GONE:
                log.info("slack.chain_message_gone", extra={"chain": chain})
                return False
        else:
            self._shown[chain] = _digest(summary)
        return True

    def _target(self) -> str | None:
        """The configured channel, or the direct-message channel opened with the user."""
        if self.channel:
            return self.channel
        if self._dm is None and self.user:
            user = self.user
            try:
                opened = self.delivery.call(
                    "conversations.open",
                    user,
                    lambda: self.api.call("conversations.open", users=user),
                    repeatable=True,
                )
            except SlackFailure:
                return None
            self._dm = str(opened["channel"]["id"])
        return self._dm

    def _post(
        self, chain: str, channel: str, message: Message, thread_ts: str | None = None
    ) -> dict[str, Any] | None:
        try:
            return self.delivery.call(
                "chat.postMessage",
                self.where,
                lambda: self.api.call(
                    "chat.postMessage",
                    channel=channel,
                    thread_ts=thread_ts,
                    unfurl_links=False,
                    **message,
                ),
                repeatable=False,
                chain=chain,
            )
        except SlackFailure:
            return None
