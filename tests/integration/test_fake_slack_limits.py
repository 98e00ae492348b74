"""The fake Slack's rate limits are Slack's documented ones (tests/fakes/slack_limits.py cites
the pages): per method, chat.postMessage per channel, a 429 with `Retry-After` past a limit, and
a time scale. Time is moved by the test (the limits' own clock), so nothing here sleeps."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from tests.fakes.slack import FakeSlack
from tests.fakes.slack_limits import RateLimits


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _slack(clock: Clock, scale: float = 1.0) -> FakeSlack:
    limits = RateLimits(scale=scale, clock=clock)
    return FakeSlack(channels={"baton": "C0BATON001", "builds": "C0BUILDS01"}, rate_limits=limits)


@pytest.fixture
def slack(clock: Clock) -> Iterator[FakeSlack]:
    with _slack(clock) as fake:
        yield fake


def _client(slack: FakeSlack) -> WebClient:
    return WebClient(token=slack.token, base_url=slack.api_url, retry_handlers=[])


def _retry_after(client: WebClient, method: str, **args: object) -> str | None:
    """The Retry-After of a 429, or None when the call went through (answered, an error of the
    method's own such as message_not_found included)."""
    try:
        client.api_call(method, json=args)
    except SlackApiError as exc:
        response = exc.response
    else:
        return None
    if response.status_code != 429:
        return None
    assert response.data == {"ok": False, "error": "ratelimited"}
    return str(response.headers["Retry-After"])


def test_posts_to_a_channel_are_one_a_second_after_a_short_burst(
    slack: FakeSlack, clock: Clock
) -> None:
    client = _client(slack)
    post = {"channel": "#baton", "text": "hello"}
    answers = [_retry_after(client, "chat.postMessage", **post) for _ in range(4)]
    assert answers == [None, None, None, "1"], "a burst of three, then Retry-After: 1"

    assert _retry_after(client, "chat.postMessage", channel="C0BUILDS01", text="hi") is None
    clock.now += 0.5
    assert _retry_after(client, "chat.postMessage", **post) == "1"
    clock.now += 0.5
    assert _retry_after(client, "chat.postMessage", **post) is None
    assert _retry_after(client, "chat.postMessage", **post) == "1"
    assert slack.statuses("chat.postMessage") == [200, 200, 200, 429, 200, 429, 200, 429]
    assert len(slack.top_level("C0BATON001")) == 4, "a refused post is not carried out"


def test_posts_to_the_workspace_are_several_hundred_a_minute(
    slack: FakeSlack, clock: Clock
) -> None:
    client = _client(slack)
    for n in range(300):
        slack.channels[f"c{n}"] = f"C0MANY{n:04d}"
        assert _retry_after(client, "chat.postMessage", channel=f"c{n}", text="x") is None
    assert _retry_after(client, "chat.postMessage", channel="#baton", text="x") == "1"


@pytest.mark.parametrize(
    ("method", "per_minute", "retry_after", "args"),
    [
        ("chat.update", 50, "2", {"channel": "C0BATON001", "ts": "1.000100", "text": "x"}),
        ("conversations.history", 50, "2", {"channel": "C0BATON001"}),
        ("conversations.open", 50, "2", {"users": "U0ALICE001"}),
        ("conversations.list", 20, "3", {"types": "public_channel"}),
    ],
)
def test_a_tiers_method_allows_its_minute_then_its_pace(
    slack: FakeSlack,
    clock: Clock,
    *,
    method: str,
    per_minute: int,
    retry_after: str,
    args: dict[str, str],
) -> None:
    """Tier 3: 50 a minute, Tier 2: 20; a minute's worth at once, then one every 60/n s."""
    client = _client(slack)
    for _ in range(per_minute):
        assert _retry_after(client, method, **args) is None
    assert _retry_after(client, method, **args) == retry_after
    clock.now += 60 / per_minute
    assert _retry_after(client, method, **args) is None
    assert slack.statuses(method).count(429) == 1


def test_the_webhook_is_one_a_second_after_a_short_burst(slack: FakeSlack, clock: Clock) -> None:
    webhook = WebhookClient(slack.webhook_url)
    statuses = [webhook.send(text="hello").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert slack.calls[-1].error == "ratelimited"
    clock.now += 1
    assert webhook.send(text="hello").status_code == 200
    assert len(slack.webhook_messages) == 4


def test_the_time_scale_shortens_every_second_and_retry_after(clock: Clock) -> None:
    with _slack(clock, scale=0.01) as slack:
        client = _client(slack)
        for _ in range(3):
            assert _retry_after(client, "chat.postMessage", channel="#baton", text="x") is None
        assert _retry_after(client, "chat.postMessage", channel="#baton", text="x") == "0.01"
        clock.now += 0.01
        assert _retry_after(client, "chat.postMessage", channel="#baton", text="x") is None
        for _ in range(50):
            _retry_after(client, "chat.update", channel="C0BATON001", ts="1.0", text="x")
        assert _retry_after(client, "chat.update", channel="C0BATON001", ts="1.0") == "0.02"


def test_without_limits_nothing_is_rate_limited() -> None:
    with FakeSlack() as slack:
        client = _client(slack)
        for _ in range(10):
            client.chat_postMessage(channel="#baton", text="x")
        assert set(slack.statuses("chat.postMessage")) == {200}
