"""What a failed call to Slack means, as data: its class (permanent, transient, or a refusal of
one message) and the fix a person can apply. No I/O here; `bot.notify.slack` turns slack-sdk's
errors into a `SlackFailure`, `bot.notify.slack_delivery` decides what to do with it.

The error codes are Slack's own: https://docs.slack.dev/reference/methods/chat.postMessage
(errors), https://docs.slack.dev/apis/web-api/ (every answer is `ok`/`error`, HTTP 200), and for
incoming webhooks the HTTP statuses of
https://docs.slack.dev/messaging/sending-messages-using-incoming-webhooks (handling errors).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

Kind = Literal["permanent", "transient", "refused"]

# The token, the app or the channel is wrong: no later call can succeed, Slack is off for the run.
# Each fix may name `{channel}` and `{needed}` (the scope Slack says is missing).
PERMANENT: dict[str, str] = {
    "invalid_auth": "SLACK_BOT_TOKEN is no token of this workspace: set the app's bot token "
    "(xoxb-…)",
    "not_authed": "no token reached Slack: set SLACK_BOT_TOKEN",
    "token_revoked": "the token was revoked: reinstall the app and set its new token",
    "token_expired": "the token expired: set a fresh bot token",
    "account_inactive": "the app's bot or workspace is deactivated: reinstall the app",
    "missing_scope": "the token lacks {needed}: add the scope to the app and reinstall it",
    "channel_not_found": "the token sees no channel {channel}: check notify.slack.channel (a "
    "private channel needs the app invited)",
    "not_in_channel": "invite the app to {channel} (/invite @the-app in the channel)",
    "is_archived": "{channel} is archived: unarchive it or set notify.slack.channel to another",
    "user_not_found": "notify.slack.user is no member of this workspace: set a member id (U…)",
    "access_denied": "the workspace refuses the app: ask an admin to allow it",
    "ekm_access_denied": "the workspace's admins suspended posting: ask an admin",
    # An incoming webhook answers with an HTTP status and a word.
    "action_prohibited": "the webhook may not post: create a new incoming webhook and set "
    "SLACK_WEBHOOK_URL",
    "invalid_token": "the webhook's app was removed: create a new incoming webhook and set "
    "SLACK_WEBHOOK_URL",
    "no_service": "SLACK_WEBHOOK_URL is no webhook any more: create a new one",
    "channel_is_archived": "the webhook's channel is archived: unarchive it or create a "
    "webhook for another channel",
    "posting_to_general_channel_denied": "only admins may post to the webhook's channel: "
    "create a webhook for another channel",
}
# A webhook's status when its body names nothing known.
WEBHOOK_PERMANENT_STATUS = frozenset({403, 404, 410})
# Slack is busy or broken for a while: try again later.
TRANSIENT = frozenset(
    {"ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable",
     "request_timeout", "timeout", "connection_reset", "connection_refused", "no_answer",
     "server_error"}
)  # fmt: skip
# Reads Baton can do without: a refusal of one of them costs what it was for, and Slack stays on.
LOOKUPS = {
    "conversations.history": "the token lacks {needed}: after a lost answer to the chain "
    "message's post Baton cannot look for it, and it may be posted twice; add the scope to the "
    "app and reinstall it",
    "conversations.list": "the token lacks {needed}: Baton cannot find the id of a channel "
    "given by name, so after a lost answer to the chain message's post it cannot look for it, "
    "and it may be posted twice; add the scope, or set notify.slack.channel to the channel's "
    "id (C…)",
}
TRANSIENT_FIX = "nothing if it passes; if it lasts, see https://slack-status.com"
REFUSED_FIX = "Slack refused one message Baton built: please report it (the chain goes on)"


@dataclass
class SlackFailure(Exception):
    """One call that failed: the method (`webhook` for an incoming webhook), Slack's error word
    (or what the network did), the HTTP status, and what the class of the failure needs to know.

    `reached`: Slack may have carried the request out (its answer was lost, or it answered 5xx),
    so sending it again may do it twice."""

    method: str
    error: str
    status: int | None = None
    retry_after: float | None = None
    reached: bool = False
    needed: str | None = None  # missing_scope: the scope Slack asked for
    channel: str | None = None

    def __str__(self) -> str:
        return f"{self.method}: {self.error}" + (f" ({self.status})" if self.status else "")

    def to(self, channel: str | None) -> SlackFailure:
        return replace(self, channel=channel) if channel and not self.channel else self

    @property
    def unanswered(self) -> bool:
        """Baton stopped waiting while Slack may still be at the request: it may carry it out
        yet (a dropped connection or a 5xx ended it)."""
        return self.error == "timeout"

    @property
    def kind(self) -> Kind:
        if self.method in LOOKUPS and self.error == "missing_scope":
            return "refused"
        if self.error in PERMANENT:
            return "permanent"
        if self.method == "webhook" and self.status in WEBHOOK_PERMANENT_STATUS:
            return "permanent"
        if self.error in TRANSIENT or self.status == 429 or (self.status or 0) >= 500:
            return "transient"
        return "refused"

    @property
    def fix(self) -> str:
        if self.method in LOOKUPS and self.error == "missing_scope":
            return LOOKUPS[self.method].format(needed=self.needed or "the scope Slack names")
        if self.kind == "permanent":
            template = PERMANENT.get(self.error, PERMANENT["no_service"])
            needed = self.needed or "the scope Slack names"
            return template.format(channel=self.channel or "the channel", needed=needed)
        return TRANSIENT_FIX if self.kind == "transient" else REFUSED_FIX

    @property
    def key(self) -> tuple[str, str, str | None]:
        """What makes two failures the same one, worth one line between them."""
        return (self.method, self.error, self.channel)
