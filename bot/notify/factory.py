"""Which notifiers a run has: the console one it is given, and Slack when the environment holds
its secret (SLACK_BOT_TOKEN, or SLACK_WEBHOOK_URL). Without one, there is no Slack notifier, a
debug line says so, and nothing fails."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from bot.config import Config, SlackConfig
from bot.notify import Notifier, Notifiers
from bot.notify.slack_delivery import PACE
from bot.redact import Redactor, from_environment
from bot.render.links import Links

log = logging.getLogger(__name__)


def build_notifiers(
    config: Config,
    environ: Mapping[str, str],
    console: Notifier | None = None,
    redact: Redactor | None = None,
) -> Notifiers:
    """`redact`: the run's redactor (by default, one for the secrets `environ` holds)."""
    notifiers = [console] if console is not None else []
    redact = redact or from_environment(environ)
    slack = slack_notifier(config.notify.slack, environ, redact)
    if slack is not None:
        notifiers.append(slack)
    # Inside Actions: annotations for blocked tickets and the chain's table in the job summary.
    from bot.notify.actions import ActionsNotifier  # noqa: PLC0415 - it imports this module

    actions = ActionsNotifier.from_environment(environ, redact=redact)
    if actions is not None:
        notifiers.append(actions)
    return Notifiers(notifiers)


def slack_notifier(
    config: SlackConfig, environ: Mapping[str, str], redact: Redactor
) -> Notifier | None:
    """A bot token with a channel or user: the threaded notifier; else a webhook: one message per
    event; else none. BATON_SLACK_API_URL replaces Slack's Web API address (proxies, tests), and
    BATON_SLACK_POST_INTERVAL Slack's pace: the seconds between two posts to one channel."""
    token = environ.get("SLACK_BOT_TOKEN", "").strip()
    webhook = environ.get("SLACK_WEBHOOK_URL", "").strip()
    target = config.channel or config.user
    if not token and not webhook:
        log.debug("slack.off", extra={"reason": "neither SLACK_BOT_TOKEN nor SLACK_WEBHOOK_URL"})
        return None
    if token and not target and not webhook:
        log.warning(
            "slack.off",
            extra={"reason": "SLACK_BOT_TOKEN is set but notify.slack has no channel or user"},
        )
        return None
    # slack_sdk loads only when Slack is configured.
    from bot.notify.slack import WebApi, Webhook  # noqa: PLC0415
    from bot.notify.slack_chain import SlackNotifier  # noqa: PLC0415
    from bot.notify.slack_webhook import SlackWebhookNotifier  # noqa: PLC0415

    links = Links.from_environment(environ)
    pace = _seconds(environ.get("BATON_SLACK_POST_INTERVAL", ""), PACE)
    if token and target:
        api = WebApi(
            token, environ.get("BATON_SLACK_API_URL") or None, timeout=config.timeout_seconds
        )
        log.debug("slack.on", extra={"mode": "bot", "target": target})
        return SlackNotifier(
            api, channel=config.channel, user=config.user, links=links, redact=redact, pace=pace
        )
    log.debug("slack.on", extra={"mode": "webhook"})
    hook = Webhook(webhook, timeout=config.timeout_seconds)
    return SlackWebhookNotifier(hook, links=links, redact=redact, pace=pace)


def _seconds(text: str, default: float) -> float:
    if not text.strip():
        return default
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if 0 <= seconds <= 60:
        return seconds
    log.warning(
        "slack.pace_ignored",
        extra={
            "value": text,
            "fix": f"set BATON_SLACK_POST_INTERVAL to seconds from 0 to 60, or unset it ({default:g})",
        },
    )
    return default
