"""Slack, through slack-sdk (the only module that imports it).

With a bot token, each chain has ONE message (in a channel, or a direct message to a user) that is
updated in place with the chain's progress, and a reply in its thread per ticket event. Its channel
and `ts` are kept in the chain's state, so the runs that follow (GitHub mode runs every few minutes,
each a new process) keep updating the same message. With an incoming webhook, which can neither edit
nor thread, each event is a message of its own.

Slack is a report, never a gate: a 429 waits what `Retry-After` says (bounded) and tries again; any
other failure is logged, redacted, and the chain goes on. slack-sdk logs through a logger of ours
that redacts the token and the webhook URL from every line.
"""

from __future__ import annotations

import hashlib
import json
import logging
import socket
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.error import URLError
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web import SlackResponse
from slack_sdk.webhook import WebhookClient

from bot.notify import Event, EventKind
from bot.redact import Redactor
from bot.render.links import Links
from bot.render.slack import Message, chain_summary, event_reply, webhook_message
from bot.state import ChainState

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"
TIMEOUT_SECONDS = 10
MAX_RETRY_AFTER = 60.0  # a longer rate-limit wait is given up: the chain must not stall on Slack
RATE_LIMIT_RETRIES = 2

# A reply in the chain's thread; the chain's message is updated on these and on the progress ones.
THREADED: frozenset[EventKind] = frozenset(
    {"passed", "correcting", "recovering", "blocked", "skipped", "chain_finished", "handed_over"}
)
PROGRESS: frozenset[EventKind] = THREADED | {"chain_started", "prompt_sent"}
# Through a webhook, one message per event worth a message.
WEBHOOK: frozenset[EventKind] = THREADED | {"chain_started"}
# What chat.update answers when the chain's message is no longer there to update.
GONE = frozenset({"message_not_found", "channel_not_found", "is_archived", "cant_update_message"})


# -- what slack-sdk logs ------------------------------------------------------------------------


class _RedactingFilter(logging.Filter):
    """Redacts every record slack-sdk logs (it logs request URLs, bodies and errors), and keeps
    them at DEBUG: Baton's own `slack.failed` warning is the one line a failure is worth."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        self._redact = Redactor()

    def add(self, secrets: Iterable[str]) -> None:
        self._secrets |= {s for s in secrets if s}
        self._redact = Redactor(self._secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self._redact(record.getMessage()), None
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


sdk_log = logging.getLogger(f"{__name__}.sdk")  # slack-sdk logs here, never to its own loggers
_sdk_filter = _RedactingFilter()
sdk_log.addFilter(_sdk_filter)


# -- 429 ------------------------------------------------------------------------------------------


def _retry_after(response: HttpResponse) -> float:
    for name, values in response.headers.items():
        if name.lower() == "retry-after" and values:
            try:
                return max(0.0, float(values[0]))
            except ValueError:
                break
    return 1.0


class RetryAfterHandler(RetryHandler):
    """On 429, wait what `Retry-After` says and try again, at most `max_retry_count` times and
    never for longer than `max_wait` seconds (Slack did nothing with a rate-limited request, so
    sending it again is safe). Other statuses are not retried: a 500 may have posted the message."""

    def __init__(
        self, max_retry_count: int = RATE_LIMIT_RETRIES, max_wait: float = MAX_RETRY_AFTER
    ) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        del state, request, error  # the handler interface's; only the response matters here
        return (
            response is not None
            and response.status_code == 429
            and _retry_after(response) <= self.max_wait
        )

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        del request, error
        wait = _retry_after(response) if response is not None else 1.0
        log.info("slack.rate_limited", extra={"retry_after": wait})
        time.sleep(wait)
        state.next_attempt_requested = True
        state.increment_current_attempt()


# Web API methods that change nothing when sent twice.
IDEMPOTENT = frozenset({"chat.update", "conversations.open", "auth.test"})


class ConnectionRetryHandler(ConnectionErrorRetryHandler):
    """A dropped connection is tried again only when sending again is harmless: the connection
    was refused (nothing reached Slack), or the method changes nothing the second time. A post
    whose answer was lost may have been posted: sent again, it would be posted twice."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        reason = error.reason if isinstance(error, URLError) else error
        if isinstance(reason, ConnectionRefusedError | socket.gaierror):
            return True
        return urlsplit(request.url).path.rstrip("/").rsplit("/", 1)[-1] in IDEMPOTENT


def _retry_handlers() -> list[RetryHandler]:
    return [ConnectionRetryHandler(), RetryAfterHandler()]


# -- clients --------------------------------------------------------------------------------------


def web_client(token: str, base_url: str | None = None) -> WebClient:
    """A Web API client; `base_url` (BATON_SLACK_API_URL) points it at a proxy or a test server."""
    _sdk_filter.add([token])
    url = (base_url or DEFAULT_API_URL).rstrip("/") + "/"
    return WebClient(
        token=token,
        base_url=url,
        timeout=TIMEOUT_SECONDS,
        logger=sdk_log,
        retry_handlers=_retry_handlers(),
    )


def webhook_client(url: str) -> WebhookClient:
    _sdk_filter.add([url, urlsplit(url).path])  # the URL, and its path (the secret part)
    return WebhookClient(
        url, timeout=TIMEOUT_SECONDS, logger=sdk_log, retry_handlers=_retry_handlers()
    )


def _redacted_json(value: Any, redact: Redactor) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [_redacted_json(v, redact) for v in value]
    if isinstance(value, dict):
        return {k: _redacted_json(v, redact) for k, v in value.items()}
    return value


def _redacted(message: Message, redact: Redactor) -> Message:
    """The message with every string in it (text and blocks) redacted."""
    return {"text": redact(message["text"]), "blocks": _redacted_json(message["blocks"], redact)}


def _digest(message: Message) -> str:
    return hashlib.sha256(json.dumps(message, sort_keys=True).encode()).hexdigest()


# -- the notifiers --------------------------------------------------------------------------------


class SlackNotifier:
    """A bot token: the chain's message updated in place, a threaded reply per ticket event."""

    def __init__(
        self,
        client: WebClient,
        *,
        channel: str | None = None,
        user: str | None = None,
        links: Links | None = None,
        redact: Redactor | None = None,
    ) -> None:
        if not channel and not user:
            raise ValueError("a Slack channel or user is needed")
        self.client = client
        self.channel = channel
        self.user = user
        self.links = links or Links()
        self.redact = redact or Redactor()
        self._dm: str | None = None
        self._threads: dict[str, tuple[str, str]] = {}  # chain: (channel id, ts)
        self._shown: dict[str, str] = {}  # chain: digest of what its message shows now

    def notify(self, event: Event) -> None:
        if event.kind not in PROGRESS:
            return
        state = event.state
        if state is None:  # no chain state to thread under: the event stands on its own
            channel = self._target() if event.kind in THREADED else None
            if channel is not None:
                self._post(event.chain, channel, webhook_message(event, self.links))
            return
        summary = chain_summary(state, self.links, event.report)
        thread = self._thread(state, summary)
        if thread is None:
            return
        if not self._update(state, thread, summary):  # the message is gone: a new one
            self._threads.pop(state.name, None)
            state.slack_channel = state.slack_ts = None
            thread = self._thread(state, summary)
            if thread is None:
                return
        channel, ts = thread
        if event.kind in THREADED:
            self._post(state.name, channel, event_reply(event, self.links), thread_ts=ts)

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

    def _update(self, state: ChainState, thread: tuple[str, str], summary: Message) -> bool:
        """Show the chain as it is now in its message; False when Slack no longer has that
        message (deleted, or its channel archived), so that the caller posts a new one."""
        if self._shown.get(state.name) == _digest(summary):
            return True
        channel, ts = thread
        body = _redacted(summary, self.redact)
        try:
            self.client.chat_update(channel=channel, ts=ts, **body)
        except SlackApiError as exc:
            if exc.response.get("error") in GONE:
                log.info("slack.chain_message_gone", extra={"chain": state.name})
                return False
            self._failed(state.name, "chat.update", exc)
        except (SlackClientError, OSError) as exc:
            self._failed(state.name, "chat.update", exc)
        else:
            self._shown[state.name] = _digest(summary)
        return True

    def _target(self) -> str | None:
        """The configured channel, or the direct-message channel opened with the user."""
        if self.channel:
            return self.channel
        if self._dm is None and self.user:
            user = self.user
            opened = self._call(
                None, "conversations.open", lambda: self.client.conversations_open(users=user)
            )
            if opened is not None:
                self._dm = str(opened["channel"]["id"])
        return self._dm

    def _post(
        self, chain: str, channel: str, message: Message, thread_ts: str | None = None
    ) -> SlackResponse | None:
        body = _redacted(message, self.redact)
        return self._call(
            chain,
            "chat.postMessage",
            lambda: self.client.chat_postMessage(
                channel=channel, thread_ts=thread_ts, unfurl_links=False, **body
            ),
        )

    def _call(
        self, chain: str | None, method: str, call: Callable[[], SlackResponse]
    ) -> SlackResponse | None:
        """One Web API call; a failure is logged (redacted) and answered with None."""
        try:
            response = call()
        except (SlackClientError, OSError) as exc:
            self._failed(chain, method, exc)
            return None
        log.debug("slack.sent", extra={"chain": chain, "method": method})
        return response

    def _failed(self, chain: str | None, method: str, exc: Exception) -> None:
        error = self.redact(str(exc))
        log.warning("slack.failed", extra={"chain": chain, "method": method, "error": error})


class SlackWebhookNotifier:
    """An incoming webhook: one message per event (a webhook can neither thread nor edit)."""

    def __init__(
        self, client: WebhookClient, *, links: Links | None = None, redact: Redactor | None = None
    ) -> None:
        self.client = client
        self.links = links or Links()
        self.redact = redact or Redactor()

    def notify(self, event: Event) -> None:
        if event.kind not in WEBHOOK:
            return
        message = _redacted(webhook_message(event, self.links), self.redact)
        try:
            response = self.client.send(
                text=message["text"], blocks=message["blocks"], unfurl_links=False
            )
        except (SlackClientError, OSError) as exc:
            error = self.redact(str(exc))
        else:
            if response.status_code == 200:
                return
            error = self.redact(f"{response.status_code} {response.body}")
        log.warning(
            "slack.failed", extra={"chain": event.chain, "method": "webhook", "error": error}
        )
