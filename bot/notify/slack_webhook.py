"""Slack through an incoming webhook: one message per event worth one (a webhook can neither edit
nor thread), every send through `Delivery` (failures by class, bounded retries, off after a
permanent failure such as a webhook that was removed)."""

from __future__ import annotations

from bot.notify import Event, EventKind
from bot.notify.sender import Job, Sender
from bot.notify.slack import Webhook
from bot.notify.slack_chain import THREADED
from bot.notify.slack_delivery import PACE, Delivery
from bot.notify.slack_failures import SlackFailure
from bot.notify.slack_redact import MessageRedactor
from bot.redact import Redactor
from bot.render.links import Links
from bot.render.slack import Message, webhook_message

WEBHOOK: frozenset[EventKind] = THREADED | {"chain_started"}


class SlackWebhookNotifier:
    def __init__(
        self,
        webhook: Webhook,
        *,
        links: Links | None = None,
        redact: Redactor | None = None,
        pace: float = PACE,
    ) -> None:
        """`pace`: seconds between two posts to the webhook."""
        self.webhook = webhook
        self.links = links or Links()
        self.redact = redact or Redactor()
        self.redacted = MessageRedactor(self.redact)
        self.sender = Sender("slack-webhook")
        self.delivery = Delivery(self.redact, stop=self.sender.stop, pace=pace)

    def flush(self, timeout: float) -> list[str]:
        return self.sender.flush(timeout)

    def notify(self, event: Event) -> None:
        if event.kind not in WEBHOOK or self.delivery.off is not None:
            return
        message = self.redacted(webhook_message(event, self.links))
        what = f"{event.kind} of {event.chain}"
        self.sender.submit(Job(what, lambda: self._send(event.chain, message)))

    def _send(self, chain: str, message: Message) -> bool:
        # A post whose answer was lost is not sent again: it may be in Slack already.
        try:
            self.delivery.call(
                "webhook",
                None,
                lambda: self.webhook.send(message),
                repeatable=False,
                chain=chain,
                paced="webhook",
            )
        except SlackFailure:
            return False
        return True
