"""Slack with a bot token: each chain has ONE message (in a channel, or a direct message to a
user) updated in place with the chain's progress, and a reply in its thread per ticket event.

Its channel and `ts` are kept in the chain's state, so the runs that follow (GitHub mode runs every
few minutes, each a new process) keep updating the same message. Slack is a report, never a gate:
every call goes through `Delivery` (failures by class, bounded retries, Slack off after a
permanent failure), and the chain goes on whatever Slack answers.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
import time
from collections.abc import Callable
from typing import Any

from bot.notify import Event, EventKind
from bot.notify.sender import Job, Sender
from bot.notify.slack import WebApi
from bot.notify.slack_delivery import PACE, Delivery
from bot.notify.slack_failures import SlackFailure
from bot.notify.slack_redact import MessageRedactor
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
# The chain's message carries Baton's identity of the chain in its metadata
# (https://docs.slack.dev/messaging/message-metadata), so that a post whose answer was lost is
# found in the channel's history and adopted rather than posted twice.
EVENT_TYPE = "baton_chain"
_CHANNEL_ID = re.compile(r"[CDG][A-Z0-9]{6,}")
LOOK_BACK = 120.0  # seconds of history before the lost post that are searched
# A post left unanswered (Baton stopped waiting) may still be carried out by Slack: it is looked
# for at each later event, and posted again only when it is not there this long after.
SETTLE = 60.0
LIST_PAGE = 200  # channels a page of conversations.list (Slack advises no more than 200)


def _digest(message: Message) -> str:
    return hashlib.sha256(json.dumps(message, sort_keys=True).encode()).hexdigest()


class SlackNotifier:
    """A bot token: the chain's message updated in place, a threaded reply per ticket event.
    Messages are built on the chain's thread (from the state as it is then) and sent by the
    sender's (bot.notify.sender); the chain never waits on Slack but at the final flush."""

    def __init__(
        self,
        api: WebApi,
        *,
        channel: str | None = None,
        user: str | None = None,
        links: Links | None = None,
        redact: Redactor | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], bool] | None = None,
        pace: float = PACE,
    ) -> None:
        """`clock`, `sleep`: as `Delivery` takes them; `pace`: seconds between two posts to the
        channel."""
        if not channel and not user:
            raise ValueError("a Slack channel or user is needed")
        self.api = api
        self.channel = channel
        self.user = user
        self.links = links or Links()
        self.redact = redact or Redactor()
        self.redacted = MessageRedactor(self.redact)
        self.sender = Sender("slack")
        self.clock = clock
        self.delivery = Delivery(
            self.redact, stop=self.sender.stop, clock=clock, sleep=sleep, pace=pace
        )
        self._dm: str | None = None
        self._threads: dict[str, tuple[str, str]] = {}  # chain: (channel id, ts)
        self._seen: set[str] = set()  # chains whose state this run has read the address from
        self._shown: dict[str, str] = {}  # chain: digest of what its message shows now
        self._ids: dict[str, str] = {}  # a channel as configured: its id, from Slack's answers
        # chain: a post of its message left unanswered (history to search from, when it was lost)
        self._unanswered: dict[str, tuple[float, float]] = {}

    @property
    def where(self) -> str:
        """The configured target, as a person wrote it (for the lines that name it)."""
        return self.channel or self.user or ""

    def flush(self, timeout: float) -> list[str]:
        return self.sender.flush(timeout)

    def notify(self, event: Event) -> None:
        if event.kind not in PROGRESS or self.delivery.off is not None:
            return
        state = event.state
        if state is None:  # no chain state to thread under: the event stands on its own
            if event.kind in THREADED:
                message = self.redacted(webhook_message(event, self.links))
                self.sender.submit(
                    Job(f"{event.kind} of {event.chain}", lambda: self._standalone(message))
                )
            return
        name = state.name
        if name not in self._seen:  # an earlier run's message, from the saved state
            self._seen.add(name)
            if state.slack_channel and state.slack_ts:
                self._threads[name] = (state.slack_channel, state.slack_ts)
                self._ids.setdefault(self.where, state.slack_channel)
        if name in self._threads:  # saved with the chain's next save
            state.slack_channel, state.slack_ts = self._threads[name]
        summary = self.redacted(chain_summary(state, self.links, event.report))
        self.sender.submit(
            Job(
                f"the message of chain {name}",
                lambda: self._show(state, summary),
                key=f"summary {name}",
            )
        )
        if event.kind in THREADED:
            reply = self.redacted(event_reply(event, self.links))
            what = f"a reply in chain {name}"
            self.sender.submit(Job(what, lambda: self._reply(state, summary, reply)))

    # -- on the sender's thread ----------------------------------------------------------------

    def _show(self, state: ChainState, summary: Message) -> bool:
        thread = self._thread(state, summary)
        if thread is None:
            return False
        if self._update(state.name, thread, summary) is not None:
            return True
        self._threads.pop(state.name, None)  # the message is gone: a new one
        return self._thread(state, summary) is not None

    def _reply(self, state: ChainState, summary: Message, reply: Message) -> bool:
        thread = self._thread(state, summary)
        if thread is None:
            return False
        return self._post(state.name, thread[0], reply, thread_ts=thread[1]) is not None

    def _standalone(self, message: Message) -> bool:
        channel = self._target()
        return channel is not None and self._post(None, channel, message) is not None

    def _thread(self, state: ChainState, summary: Message) -> tuple[str, str] | None:
        """The chain's message: known (from the state, or this run), else posted."""
        known = self._threads.get(state.name)
        if known is None:
            channel = self._target()
            known = self._post_chain(state, channel, summary) if channel else None
            if known is None:
                return None
            self._threads[state.name] = known
        state.slack_channel, state.slack_ts = known  # saved with the chain's next save
        return known

    def _identity(self, state: ChainState) -> dict[str, str]:
        return {
            "chain": state.name,
            "started_at": state.started_at.isoformat(),
            "repository": self.links.repository or "",
        }

    def _post_chain(
        self, state: ChainState, channel: str, summary: Message
    ) -> tuple[str, str] | None:
        """Post the chain's message; when the answer was lost (the post may have been carried
        out), look for it in the channel's history and adopt it. Post again only if it is not
        there and cannot come any more: Slack answered (a 5xx), or an unanswered post was not
        there `SETTLE` seconds on, or Baton cannot look."""
        unanswered = self._unanswered.get(state.name)
        if unanswered is not None:
            oldest, lost_at = unanswered
            try:
                found = self._look(state, channel, oldest)
            except (LookupError, SlackFailure):
                found = None
            if found is not None:
                return self._adopt(state, found)
            if self.clock() - lost_at < SETTLE:
                return None  # it may be carried out yet: looked for at the next event
            del self._unanswered[state.name]
            log.info("slack.chain_message_not_found", extra={"chain": state.name})
        metadata = {"event_type": EVENT_TYPE, "event_payload": self._identity(state)}
        for attempt in (1, 2):
            before = time.time()
            try:
                posted = self._send(state.name, channel, {"metadata": metadata, **summary})
            except SlackFailure as failure:
                if not failure.reached or attempt == 2:
                    return None
                try:
                    found = self._look(state, channel, before - LOOK_BACK)
                except LookupError:
                    continue  # the failure's line said what that costs: it may be twice
                except SlackFailure:
                    found = None  # Slack failed the look too: not there, as far as is known
                if found is not None:
                    self._shown[state.name] = _digest(summary)  # it was this post
                    return self._adopt(state, found)
                if failure.unanswered:
                    self._unanswered[state.name] = (before - LOOK_BACK, self.clock())
                    return None
                continue
            self._shown[state.name] = _digest(summary)
            log.info("slack.chain_message", extra={"chain": state.name, "channel": channel})
            return str(posted["channel"]), str(posted["ts"])
        return None

    def _adopt(self, state: ChainState, found: tuple[str, str]) -> tuple[str, str]:
        self._unanswered.pop(state.name, None)
        log.info("slack.chain_message_adopted", extra={"chain": state.name})
        return found

    def _look(self, state: ChainState, channel: str, oldest: float) -> tuple[str, str] | None:
        """The chain's message in the channel's recent history, by its metadata. LookupError
        when Baton cannot look (a scope, an unknown channel); the transient `SlackFailure` of a
        look that may work later."""
        channel_id = channel if _CHANNEL_ID.fullmatch(channel) else self._ids.get(channel)
        if channel_id is None:
            channel_id = self._channel_id(channel, state.name)
        if channel_id is None:
            raise LookupError(channel)
        try:
            history = self.delivery.call(
                "conversations.history",
                self.where,
                lambda: self.api.call(
                    "conversations.history",
                    channel=channel_id,
                    oldest=f"{oldest:.6f}",
                    limit=100,
                    include_all_metadata=True,
                ),
                repeatable=True,
                chain=state.name,
            )
        except SlackFailure as failure:
            if failure.kind == "transient":
                raise
            raise LookupError(channel) from failure
        identity = self._identity(state)
        for message in history.get("messages", []):
            metadata = message.get("metadata") or {}
            if (
                metadata.get("event_type") == EVENT_TYPE
                and metadata.get("event_payload") == identity
            ):
                return channel_id, str(message["ts"])
        return None

    def _channel_id(self, channel: str, chain: str) -> str | None:
        """The id of a channel given by name, from the channels the token sees: public ones
        (channels:read), then private ones (groups:read), a page at a time."""
        name = channel.removeprefix("#")
        for types in ("public_channel", "private_channel"):
            cursor = ""
            while True:
                try:
                    page = self.delivery.call(
                        "conversations.list",
                        self.where,
                        functools.partial(
                            self.api.call,
                            "conversations.list",
                            types=types,
                            exclude_archived=True,
                            limit=LIST_PAGE,
                            cursor=cursor or None,
                        ),
                        repeatable=True,
                        chain=chain,
                    )
                except SlackFailure:
                    return None
                for found in page.get("channels", []):
                    if found.get("name") == name:
                        self._ids[channel] = str(found["id"])
                        return self._ids[channel]
                cursor = (page.get("response_metadata") or {}).get("next_cursor") or ""
                if not cursor:
                    break
        log.warning(
            "slack.cannot_look",
            extra={
                "channel": channel,
                "fix": "no channel of that name among those the token sees: set "
                "notify.slack.channel to the channel's id (C…)",
            },
        )
        return None

    def _update(self, chain: str, thread: tuple[str, str], summary: Message) -> bool | None:
        """Show the chain as it is now in its message: whether it was shown, None when Slack no
        longer has that message (deleted), so that a new one is posted."""
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
                return None
            return False
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
        self, chain: str | None, channel: str, message: Message, thread_ts: str | None = None
    ) -> dict[str, Any] | None:
        try:
            return self._send(chain, channel, {"thread_ts": thread_ts, **message})
        except SlackFailure:
            return None

    def _send(self, chain: str | None, channel: str, fields: dict[str, Any]) -> dict[str, Any]:
        """One `chat.postMessage` (never repeated blindly: it may have been carried out), at
        Slack's pace for the channel; the channel's id it answers is kept."""
        posted = self.delivery.call(
            "chat.postMessage",
            self.where,
            lambda: self.api.call(
                "chat.postMessage", channel=channel, unfurl_links=False, **fields
            ),
            repeatable=False,
            chain=chain,
            paced=self.where,  # one channel, whether by name or id
        )
        self._ids[channel] = str(posted["channel"])
        return posted
