"""Baton keeps Slack's pace: posts to a channel (chat.postMessage) and to a webhook go at most one
a second, as Slack documents (https://docs.slack.dev/reference/methods/chat.postMessage, "Rate
limits"; https://docs.slack.dev/apis/web-api/rate-limits), so a chain meets no 429 at Slack's
normal limits. The fake Slack enforces them (tests/fakes/slack_limits.py); time is moved by the
test where it can be, else shortened by the limits' time scale."""

from __future__ import annotations

from bot.config import Config, NotifyConfig, SlackConfig
from bot.notify import Event, Flushing, Notifier
from bot.notify.factory import build_notifiers
from bot.notify.slack import WebApi
from bot.notify.slack_chain import SlackNotifier
from bot.state import ChainState, TicketState
from tests.fakes.clock import Clock
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_limits import RateLimits

CHANNEL = "C0BATON001"
TICKETS = 12


def _chain(notifier: Notifier) -> None:
    """A chain's start and a ticket event per ticket: a post, then a reply per ticket."""
    state = ChainState(
        name="sprint-1",
        branch="baton/sprint-1",
        base_branch="main",
        tickets={f"#{n}": TicketState(key=f"#{n}", title=f"Ticket {n}") for n in range(TICKETS)},
    )
    notifier.notify(Event("chain_started", state.name, "started", state=state))
    for key in state.tickets:
        state.tickets[key].status = "passed"
        notifier.notify(Event("passed", state.name, "ok", ticket=key, state=state))
    assert isinstance(notifier, Flushing)
    assert notifier.flush(30) == []


def test_a_chains_posts_keep_slacks_pace_and_meet_no_429() -> None:
    clock = Clock()
    with FakeSlack(rate_limits=RateLimits(clock=clock)) as slack:
        notifier = SlackNotifier(
            WebApi(slack.token, slack.api_url), channel=CHANNEL, clock=clock, sleep=clock.sleep
        )
        _chain(notifier)

        assert slack.statuses("chat.postMessage") == [200] * (1 + TICKETS)
        assert 429 not in slack.statuses("chat.update")
        assert max(clock.slept) <= 1.0, "no slower than Slack's pace"


def test_the_pace_follows_a_slack_of_another_pace() -> None:
    """BATON_SLACK_POST_INTERVAL: the seconds between two posts to one channel that the Slack at
    BATON_SLACK_API_URL allows (here Slack's own, at a hundredth of its time)."""
    with FakeSlack(rate_limits=RateLimits(scale=0.01)) as slack:
        config = Config(notify=NotifyConfig(slack=SlackConfig(channel=CHANNEL)))
        env = {
            "SLACK_BOT_TOKEN": slack.token,
            "BATON_SLACK_API_URL": slack.api_url,
            "BATON_SLACK_POST_INTERVAL": "0.01",
        }
        [notifier] = build_notifiers(config, env).notifiers
        _chain(notifier)

        assert slack.statuses("chat.postMessage") == [200] * (1 + TICKETS)


def test_a_webhooks_posts_keep_slacks_pace() -> None:
    with FakeSlack(rate_limits=RateLimits(scale=0.01)) as slack:
        env = {"SLACK_WEBHOOK_URL": slack.webhook_url, "BATON_SLACK_POST_INTERVAL": "0.01"}
        [notifier] = build_notifiers(Config(), env).notifiers
        _chain(notifier)

        assert slack.statuses("webhook") == [200] * (1 + TICKETS)
