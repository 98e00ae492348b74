"""One chain message whatever the network does: the chain's message carries Baton's identity of
the chain in Slack's message metadata; when the answer to its post is lost (the post was carried
out, the connection dropped), Baton finds it in the channel's history and adopts it instead of
posting a second one. Without the history scope, one line says what that costs."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from bot.config import Config, NotifyConfig, SlackConfig
from bot.notify import Event, Flushing, Notifier
from bot.notify.factory import build_notifiers
from bot.notify.slack import WebApi
from bot.notify.slack_chain import SETTLE, SlackNotifier
from bot.state import ChainState, TicketState
from tests.fakes.clock import Clock
from tests.fakes.slack import FakeSlack

CHANNEL = "C0BATON001"


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def _notifier(slack: FakeSlack, channel: str = CHANNEL, timeout: float = 10) -> Notifier:
    config = Config(
        notify=NotifyConfig(slack=SlackConfig(channel=channel, timeout_seconds=timeout))
    )
    environ = {
        "SLACK_BOT_TOKEN": slack.token,
        "BATON_SLACK_API_URL": slack.api_url,
        "BATON_SLACK_POST_INTERVAL": slack.post_interval,
    }
    [notifier] = build_notifiers(config, environ).notifiers
    return notifier


def _chain() -> ChainState:
    return ChainState(
        name="sprint-1",
        branch="baton/sprint-1",
        base_branch="main",
        tickets={k: TicketState(key=k, title=f"Ticket {k}") for k in ("#1", "#2")},
    )


def _passed(notifier: Notifier, state: ChainState, key: str) -> None:
    state.tickets[key].status = "passed"
    notifier.notify(Event("passed", state.name, "ok", ticket=key, state=state))


def _run(notifier: Notifier) -> ChainState:
    state = _chain()
    notifier.notify(Event("chain_started", state.name, "started", state=state))
    for key in state.tickets:
        state.tickets[key].status = "passed"
        notifier.notify(Event("passed", state.name, "ok", ticket=key, state=state))
    assert isinstance(notifier, Flushing)
    assert notifier.flush(10) == []
    return state


def _lines(caplog: pytest.LogCaptureFixture, name: str) -> list[dict[str, Any]]:
    return [vars(r) for r in caplog.records if r.getMessage() == name]


def test_the_chain_message_carries_the_chains_identity(slack: FakeSlack) -> None:
    state = _run(_notifier(slack))
    [parent] = slack.top_level(CHANNEL)
    assert parent.metadata == {
        "event_type": "baton_chain",
        "event_payload": {
            "chain": "sprint-1",
            "started_at": state.started_at.isoformat(),
            "repository": "",
        },
    }


def test_a_lost_answer_to_the_post_is_adopted_not_posted_twice(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.notify")
    slack.lose_answer("chat.postMessage")

    state = _run(_notifier(slack))

    [parent] = slack.top_level(CHANNEL)
    assert (state.slack_channel, state.slack_ts) == (CHANNEL, parent.ts)
    assert len(slack.replies(CHANNEL, parent.ts)) == 2
    assert slack.statuses("conversations.history") == [200]
    assert _lines(caplog, "slack.chain_message_adopted")
    assert "2 of 2 passed" in parent.blocks[1]["text"]["text"]


def test_a_post_that_never_happened_is_posted_after_the_look(slack: FakeSlack) -> None:
    slack.fail_next("chat.postMessage", 500)  # refused before it was carried out

    state = _run(_notifier(slack))

    [parent] = slack.top_level(CHANNEL)
    assert state.slack_ts == parent.ts
    assert slack.statuses("conversations.history") == [200]


def test_without_the_history_scope_one_line_says_what_it_costs(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    slack.scopes.discard("channels:history")
    slack.lose_answer("chat.postMessage")

    _run(_notifier(slack))

    lost, line = _lines(caplog, "slack.failed")  # two distinct failures, a line each
    assert (lost["method"], lost["error"]) == ("chat.postMessage", "connection_reset")
    assert (line["method"], line["error"]) == ("conversations.history", "missing_scope")
    assert "lacks channels:history" in line["fix"]
    assert "posted twice" in line["fix"]
    assert len(slack.top_level(CHANNEL)) == 2, "the cost: the post was carried out twice"
    assert slack.replies(CHANNEL, slack.top_level(CHANNEL)[1].ts), "Slack stayed on"


def test_a_channel_given_by_name_is_found_by_its_id_and_the_post_adopted(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.notify")
    slack.lose_answer("chat.postMessage")

    state = _run(_notifier(slack, "#baton"))

    [parent] = slack.top_level(CHANNEL)
    assert (state.slack_channel, state.slack_ts) == (CHANNEL, parent.ts)
    assert slack.statuses("conversations.list") == [200]
    assert _lines(caplog, "slack.chain_message_adopted")
    assert not _lines(caplog, "slack.failed")[1:], "only the lost answer's line"


def test_a_private_channel_given_by_name_is_found_among_private_ones() -> None:
    with FakeSlack(channels={"secret": "G0SECRET01"}) as slack:
        for n in range(250):  # more than a page of public channels before it
            slack.channels[f"c{n}"] = f"C0MANY{n:04d}"
        slack.lose_answer("chat.postMessage")

        state = _run(_notifier(slack, "secret"))

        assert len(slack.top_level("G0SECRET01")) == 1
        assert state.slack_channel == "G0SECRET01"
        assert slack.statuses("conversations.list") == [200, 200, 200]


def test_without_the_read_scope_one_line_says_what_a_name_costs(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    slack.scopes.discard("channels:read")
    slack.lose_answer("chat.postMessage")

    _run(_notifier(slack, "#baton"))

    lost, line = _lines(caplog, "slack.failed")
    assert lost["error"] == "connection_reset"
    assert (line["method"], line["error"]) == ("conversations.list", "missing_scope")
    assert line["fix"] == (
        "the token lacks channels:read: Baton cannot find the id of a channel given by name, "
        "so after a lost answer to the chain message's post it cannot look for it, and it may "
        "be posted twice; add the scope, or set notify.slack.channel to the channel's id (C…)"
    )
    assert len(slack.top_level(CHANNEL)) == 2, "the cost: the post was carried out twice"
    assert slack.replies(CHANNEL, slack.top_level(CHANNEL)[1].ts), "Slack stayed on"


def test_a_post_carried_out_after_batons_timeout_is_adopted_not_posted_twice(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """The post stalls past Baton's timeout, so the look that follows finds nothing yet; Slack
    carries the post out afterwards. Baton does not post again: it looks at the next events."""
    caplog.set_level(logging.INFO, logger="bot.notify")
    slack.hold("chat.postMessage")
    notifier = _notifier(slack, timeout=0.2)
    assert isinstance(notifier, Flushing)
    state = _chain()

    notifier.notify(Event("chain_started", state.name, "started", state=state))
    assert notifier.flush(10) == ["the message of chain sprint-1"], "not posted, not yet"
    slack.release()  # Slack carries the stalled post out now
    for key in state.tickets:
        _passed(notifier, state, key)
    assert notifier.flush(10) == []

    [parent] = slack.top_level(CHANNEL)
    assert (state.slack_channel, state.slack_ts) == (CHANNEL, parent.ts)
    assert len(slack.replies(CHANNEL, parent.ts)) == 2
    assert "2 of 2 passed" in parent.blocks[1]["text"]["text"]
    assert slack.statuses("chat.postMessage") == [200, 200, 200], "the stalled one, 2 replies"
    assert _lines(caplog, "slack.chain_message_adopted")


def test_a_stalled_post_never_carried_out_is_posted_again_once_it_cannot_come(
    slack: FakeSlack,
) -> None:
    clock = Clock()
    slack.hold("chat.postMessage")
    api = WebApi(slack.token, slack.api_url, timeout=0.2)
    notifier = SlackNotifier(api, channel=CHANNEL, clock=clock, sleep=clock.sleep)
    state = _chain()

    notifier.notify(Event("chain_started", state.name, "started", state=state))
    assert notifier.flush(10) == ["the message of chain sprint-1"]
    slack.drop()  # the stalled post ends undone
    _passed(notifier, state, "#1")
    assert notifier.flush(10) == ["the message of chain sprint-1", "a reply in chain sprint-1"]
    assert slack.top_level(CHANNEL) == [], "it may still come: not posted again yet"
    clock.now += SETTLE
    _passed(notifier, state, "#2")
    assert notifier.flush(10) == []

    [parent] = slack.top_level(CHANNEL)
    assert state.slack_ts == parent.ts
    assert "2 of 2 passed" in parent.blocks[1]["text"]["text"]
    assert slack.statuses("conversations.history") == [200] * 4


def test_a_stalled_post_whose_look_stalls_too_is_not_posted_twice(slack: FakeSlack) -> None:
    """Slack stalls on the post and on the look after it: Baton cannot tell yet, so it posts
    nothing more and looks again at the next event, once Slack answers."""
    clock = Clock()
    slack.hold("chat.postMessage")
    slack.hold("conversations.history")
    api = WebApi(slack.token, slack.api_url, timeout=0.2)
    notifier = SlackNotifier(api, channel=CHANNEL, clock=clock, sleep=clock.sleep)
    state = _chain()

    notifier.notify(Event("chain_started", state.name, "started", state=state))
    assert notifier.flush(10) == ["the message of chain sprint-1"]
    slack.release()  # the stalled post is carried out, the looks answered
    for key in state.tickets:
        _passed(notifier, state, key)
    assert notifier.flush(10) == []

    [parent] = slack.top_level(CHANNEL)
    assert state.slack_ts == parent.ts
    assert len(slack.replies(CHANNEL, parent.ts)) == 2
