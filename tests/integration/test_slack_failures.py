"""Slack's failures by class, through the real slack-sdk against the fake Slack: a permanent one
(a wrong or revoked token, a missing scope, a channel the app is not in or that is archived, a
webhook that is gone) is one line naming the method, the error, the channel and the fix, and then
Slack is off for the run; a transient one (429, 5xx) is tried again within bounds, and is one line
however many events meet it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from bot.config import Config, NotifyConfig, SlackConfig
from bot.notify import Event, EventKind, Flushing, Notifier
from bot.notify.factory import build_notifiers
from bot.state import ChainState, TicketState
from tests.fakes.slack import FakeSlack

EVENTS = 16


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(channels={"baton": "C0BATON001", "builds": "C0BUILDS01"}) as fake:
        yield fake


def _notifier(slack: FakeSlack, channel: str = "#baton", **env: str) -> Notifier:
    config = Config(notify=NotifyConfig(slack=SlackConfig(channel=channel)))
    environ = {
        "SLACK_BOT_TOKEN": slack.token,
        "BATON_SLACK_API_URL": slack.api_url,
        "BATON_SLACK_POST_INTERVAL": slack.post_interval,
        **env,
    }
    [notifier] = build_notifiers(config, environ).notifiers
    return notifier


def _webhook_env(slack: FakeSlack) -> dict[str, str]:
    return {
        "SLACK_WEBHOOK_URL": slack.webhook_url,
        "BATON_SLACK_POST_INTERVAL": slack.post_interval,
    }


def _webhook(slack: FakeSlack) -> Notifier:
    [notifier] = build_notifiers(Config(), _webhook_env(slack)).notifiers
    return notifier


def _chain_events(notifier: Notifier, count: int = EVENTS) -> ChainState:
    """A chain's start, then `count - 1` ticket events, each a reply and an update."""
    keys = [f"#{n}" for n in range(1, count)]
    state = ChainState(
        name="sprint-1",
        branch="baton/sprint-1",
        base_branch="main",
        tickets={k: TicketState(key=k, title=f"Ticket {k}") for k in keys},
    )
    notifier.notify(Event("chain_started", state.name, "started", state=state))
    for key in keys:
        state.tickets[key].status = "passed"
        kind: EventKind = "passed"
        notifier.notify(Event(kind, state.name, "ok", ticket=key, state=state))
    _flush(notifier)
    return state


def _flush(notifier: Notifier) -> list[str]:
    assert isinstance(notifier, Flushing)
    return notifier.flush(10)


def _failures(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [vars(r) for r in caplog.records if r.getMessage() == "slack.failed"]


@pytest.mark.parametrize(
    ("breaks", "error", "fix"),
    [
        pytest.param(
            lambda s: setattr(s, "token", "xoxb-0-0-other"),
            "invalid_auth",
            "SLACK_BOT_TOKEN is no token of this workspace",
            id="wrong-token",
        ),
        pytest.param(
            lambda s: setattr(s, "revoked", True),
            "token_revoked",
            "reinstall the app",
            id="revoked",
        ),
        pytest.param(
            lambda s: s.scopes.discard("chat:write"),
            "missing_scope",
            "the token lacks chat:write",
            id="missing-scope",
        ),
        pytest.param(
            lambda s: s.remove_app("baton"),
            "not_in_channel",
            "invite the app to #baton",
            id="not-in-channel",
        ),
        pytest.param(
            lambda s: s.archive("baton"),
            "is_archived",
            "#baton is archived",
            id="archived",
        ),
    ],
)
def test_a_permanent_failure_is_one_line_and_slack_is_off_for_the_run(
    slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
    breaks: Any,
    error: str,
    fix: str,
) -> None:
    notifier = _notifier(slack)
    breaks(slack)

    state = _chain_events(notifier)

    [failure] = _failures(caplog)
    assert (failure["method"], failure["error"]) == ("chat.postMessage", error)
    assert failure["channel"] == "#baton"
    assert fix in failure["fix"]
    assert failure["then"] == "Slack is off for this run"
    assert failure["levelno"] == logging.WARNING
    assert len(slack.calls) == 1, "no call after the first permanent failure"
    assert slack.messages == []
    assert state.slack_ts is None


def test_an_unknown_channel_names_the_channel_and_the_setting(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    _chain_events(_notifier(slack, "#nowhere"), 3)
    [failure] = _failures(caplog)
    assert (failure["error"], failure["channel"]) == ("channel_not_found", "#nowhere")
    assert "notify.slack.channel" in failure["fix"]
    assert len(slack.calls) == 1


def test_a_channel_archived_mid_chain_is_not_given_a_new_message_per_event(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    notifier = _notifier(slack)
    state = _chain_events(notifier, 2)
    slack.archive("baton")
    calls = len(slack.calls)

    for key in ("#1", "#1", "#1"):
        notifier.notify(Event("blocked", state.name, "no", ticket=key, state=state))
    _flush(notifier)

    assert len(slack.calls) == calls + 1, "one refused update, then nothing"
    assert [f["error"] for f in _failures(caplog)] == ["is_archived"]
    assert len(slack.top_level(slack.channel_id("baton"))) == 1


def test_a_server_error_on_an_update_is_tried_again_and_told_once(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    notifier = _notifier(slack)
    _chain_events(notifier, 1)  # the chain's message is there: the next events update it
    slack.fail_next("chat.update", 503, times=1)

    _chain_events(notifier, 3)

    assert slack.statuses("chat.update")[:2] == [503, 200]
    [failure] = _failures(caplog)
    assert (failure["method"], failure["error"], failure["status"]) == (
        "chat.update",
        "server_error",
        "503",
    )
    assert failure["then"] == "tried again within bounds; the chain goes on"


def test_a_rate_limit_storm_is_bounded_and_one_line(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """Every post answers 429: each call is tried a bounded number of times, then the breaker
    stops calling at all; the storm is one line."""
    notifier = _notifier(slack)
    slack.fail_next("chat.postMessage", 429, retry_after=0, times=1000)

    _chain_events(notifier)

    posts = slack.statuses("chat.postMessage")
    assert set(posts) == {429}
    assert len(posts) <= 9, "at most three calls of three attempts before the breaker opens"
    assert [f["error"] for f in _failures(caplog)] == ["ratelimited"]


def test_a_retry_after_longer_than_a_call_may_wait_is_not_waited(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    notifier = _notifier(slack)
    slack.fail_next("chat.postMessage", 429, retry_after=3600, times=1)

    _chain_events(notifier, 2)

    assert slack.statuses("chat.postMessage")[0] == 429
    assert [f["error"] for f in _failures(caplog)] == ["ratelimited"]


@pytest.mark.parametrize(
    ("status", "word", "fix"),
    [
        (410, "channel_is_archived", "the webhook's channel is archived"),
        (404, "no_service", "SLACK_WEBHOOK_URL is no webhook any more"),
        (403, "action_prohibited", "create a new incoming webhook"),
    ],
)
def test_a_webhook_that_is_gone_is_one_line_and_slack_is_off(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture, status: int, word: str, fix: str
) -> None:
    notifier = _webhook(slack)
    slack.remove_webhook(status, word)

    _chain_events(notifier, 5)

    [failure] = _failures(caplog)
    assert (failure["method"], failure["error"], failure["status"]) == (
        "webhook",
        word,
        str(status),
    )
    assert fix in failure["fix"]
    assert slack.statuses("webhook") == [status]


def test_the_chain_never_waits_on_slack_and_updates_coalesce(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """Slack stalls on the chain's first post: every event is handed over at once (the test
    would hang otherwise); once Slack answers, the replies arrive in order and the chain's
    message is updated far fewer times than there were events (only its newest state)."""
    notifier = _notifier(slack)
    slack.hold("chat.postMessage")
    state = ChainState(
        name="sprint-1",
        branch="baton/sprint-1",
        base_branch="main",
        tickets={f"#{n}": TicketState(key=f"#{n}", title=f"Ticket {n}") for n in range(1, 13)},
    )
    notifier.notify(Event("chain_started", state.name, "started", state=state))
    for key in state.tickets:
        state.tickets[key].status = "passed"
        notifier.notify(Event("passed", state.name, "ok", ticket=key, state=state))
    slack.release()
    assert _flush(notifier) == []

    [parent] = slack.top_level("C0BATON001")
    replies = [m.blocks[0]["text"]["text"] for m in slack.replies("C0BATON001", parent.ts)]
    assert replies == [f":white_check_mark: *#{n}* Ticket {n} — passed" for n in range(1, 13)]
    assert len(slack.statuses("chat.update")) <= 2, "the updates that waited were coalesced"
    assert "*passed* · 12 of 12 passed" not in str(parent.edits), "never an older state last"
    assert "12 of 12 passed" in parent.blocks[1]["text"]["text"]
    assert state.slack_ts == parent.ts


def test_the_final_flush_is_bounded_and_names_what_was_not_delivered(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    config = Config(notify=NotifyConfig(slack=SlackConfig(channel="#baton")))
    environ = {
        "SLACK_BOT_TOKEN": slack.token,
        "BATON_SLACK_API_URL": slack.api_url,
        "BATON_SLACK_POST_INTERVAL": slack.post_interval,
    }
    notifiers = build_notifiers(config, environ)
    slack.hold("chat.postMessage")
    state = ChainState(name="sprint-1", branch="b", base_branch="main")
    notifiers.notify(Event("chain_started", state.name, "started", state=state))
    notifiers.notify(Event("chain_finished", state.name, "done", state=state))

    undelivered = notifiers.flush(0.2)

    assert undelivered == [
        "the message of chain sprint-1",
        "a reply in chain sprint-1",
    ]
    [line] = [vars(r) for r in caplog.records if r.getMessage() == "notify.undelivered"]
    assert line["count"] == 2
    assert line["what"] == "the message of chain sprint-1; a reply in chain sprint-1"
    slack.release()
