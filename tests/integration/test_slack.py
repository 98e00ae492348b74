"""Slack through the real slack-sdk against the fake Slack: one message per chain updated in place,
a threaded reply per ticket event, a direct message, the webhook, a 429 waited out, a 500 that the
chain shrugs off, and never a secret in a log line (every test here checks its own logs)."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Config, NotifyConfig, SlackConfig
from bot.local import LocalRun, run_local
from bot.notify import Event, EventKind, Flushing, Notifier, Notifiers
from bot.notify.factory import build_notifiers
from bot.runtime import Project, Runtime
from bot.state import ChainState, TicketState
from tests.e2e.helpers import make_repo, status
from tests.fakes.slack import WEBHOOK_PATH, FakeSlack, Message

# The first ticket's launch writes a draft the tests reject; the correction fixes it.
AGENT = """\
    import json, pathlib, re, sys
    prompt = pathlib.Path(sys.argv[1]).read_text()
    kind, key = re.match(r"# Baton · (\\w+) · ticket (\\S+)", prompt).groups()
    path = {"first": "a.txt", "second": "b.txt"}[key]
    pathlib.Path(path).write_text("draft\\n" if kind == "launch" else "fixed\\n")
    print(json.dumps({"session_id": "s-1", "is_error": False, "result": f"wrote {path}"}))
"""
TICKETS = """\
tickets:
  - key: first
    title: Write a
    goal: Create a.txt.
    files: {create: [a.txt]}
  - key: second
    title: Write b
    goal: Create b.txt.
    files: {create: [b.txt]}
    depends_on: [first]
"""
CHANNEL = "C0BATON001"


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture(autouse=True)
def _no_secret_in_any_log_line(
    caplog: pytest.LogCaptureFixture, slack: FakeSlack
) -> Iterator[None]:
    """Everything logged at DEBUG and up, slack-sdk's own lines included, names no secret."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="slack_sdk")
    yield
    secrets = [slack.token, slack.webhook_url, WEBHOOK_PATH, WEBHOOK_PATH.rsplit("/", 1)[-1]]
    for record in caplog.records:
        line = f"{record.getMessage()} {vars(record)}"
        for secret in secrets:
            assert secret not in line, (secret, record.name, record.getMessage())


def _run_local(repo: Path, notifiers: Notifiers) -> LocalRun:
    """A local run, then its final flush (as `baton run` ends)."""
    try:
        return run_local(
            Runtime.from_environ(os.environ), Project.open(repo, os.environ), notifiers
        )
    finally:
        notifiers.flush(10)


def _sent(*notifiers: Notifier) -> None:
    """Everything the notifiers have queued is delivered (the end of a run)."""
    for notifier in notifiers:
        assert isinstance(notifier, Flushing)
        assert notifier.flush(10) == []


def _env(slack: FakeSlack, **more: str) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": slack.token,
        "BATON_SLACK_API_URL": slack.api_url,
        "BATON_SLACK_POST_INTERVAL": slack.post_interval,
        **more,
    }


def _webhook_env(slack: FakeSlack) -> dict[str, str]:
    return {
        "SLACK_WEBHOOK_URL": slack.webhook_url,
        "BATON_SLACK_POST_INTERVAL": slack.post_interval,
    }


def _config(channel: str | None = "#baton", user: str | None = None) -> Config:
    return Config(notify=NotifyConfig(slack=SlackConfig(channel=channel, user=user)))


def _slack_of(notifiers: Notifiers) -> Notifier:
    [slack] = notifiers.notifiers
    return slack


def _repo(tmp_path: Path) -> Path:
    return make_repo(
        tmp_path / "repo", agent_script=AGENT, tickets=TICKETS, test_command="grep -qx fixed a.txt"
    )


def _headline(message: Message) -> str:
    return str(message.blocks[0]["text"]["text"])


def _state() -> ChainState:
    tickets = {k: TicketState(key=k, title=f"Ticket {k}") for k in ("#1", "#2")}
    return ChainState(name="sprint-1", branch="baton/sprint-1", base_branch="main", tickets=tickets)


def _event(kind: EventKind, state: ChainState, ticket: str | None = None, msg: str = "") -> Event:
    return Event(kind=kind, chain=state.name, message=msg, ticket=ticket, state=state)


def test_a_chain_with_a_correction_is_one_message_updated_in_place_and_a_thread(
    slack: FakeSlack, tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    notifiers = build_notifiers(_config(), _env(slack))

    run = _run_local(repo, notifiers)

    assert [c.outcome for c in run.chains] == ["passed"]
    [parent] = slack.top_level(CHANNEL)
    assert parent.edits, "the chain's message was updated in place"
    assert ":white_check_mark: *passed* · 2 of 2 passed" in parent.blocks[1]["text"]["text"]
    assert "Report `knowledge/reports/" in parent.blocks[-1]["elements"][0]["text"]
    replies = [_headline(m) for m in slack.replies(CHANNEL, parent.ts)]
    assert replies == [
        ":wrench: *first* Write a — correction sent",
        ":white_check_mark: *first* Write a — passed",
        ":white_check_mark: *second* Write b — passed",
        ":checkered_flag: *Chain finished*",
    ]
    correction = slack.replies(CHANNEL, parent.ts)[0]
    fields = [f["text"] for f in correction.blocks[0]["fields"]]
    assert "*Attempts*\n1" in fields
    assert any(f.startswith("*Validation*\ntests failed") for f in fields)
    assert slack.statuses("chat.postMessage") == [200] * 5
    # The message's address is part of the chain's state: the next run finds it there.
    chain = status(repo)["chains"]["work"]
    assert (chain["slack_channel"], chain["slack_ts"]) == (CHANNEL, parent.ts)

    again = _run_local(repo, build_notifiers(_config(), _env(slack)))
    assert [c.outcome for c in again.chains] == ["passed"]
    assert len(slack.messages) == 5, "a run with nothing to do says nothing"


def test_a_later_run_updates_the_same_message(slack: FakeSlack) -> None:
    state = _state()
    first = _slack_of(build_notifiers(_config(), _env(slack)))
    first.notify(_event("chain_started", state))
    state.tickets["#1"].status = "passed"
    first.notify(_event("passed", state, "#1", "checkpoint 1234567890"))
    _sent(first)

    # A new process: the state comes back from the store, the notifier is new.
    restored = ChainState.model_validate_json(state.model_dump_json())
    second = _slack_of(build_notifiers(_config(), _env(slack)))
    restored.tickets["#2"].status = "blocked"
    second.notify(_event("blocked", restored, "#2", "the agent gave up"))
    _sent(second)

    [parent] = slack.top_level(CHANNEL)
    assert (restored.slack_channel, restored.slack_ts) == (CHANNEL, parent.ts)
    assert [_headline(m) for m in slack.replies(CHANNEL, parent.ts)] == [
        ":white_check_mark: *#1* Ticket #1 — passed",
        ":no_entry: *#2* Ticket #2 — blocked",
    ]
    assert ":no_entry: *#2* Ticket #2 — blocked" in parent.blocks[2]["text"]["text"]


def test_a_deleted_chain_message_is_posted_again(slack: FakeSlack) -> None:
    state = _state()
    notifier = _slack_of(build_notifiers(_config(), _env(slack)))
    notifier.notify(_event("chain_started", state))
    _sent(notifier)
    old = state.slack_ts
    assert old is not None
    slack.delete(CHANNEL, old)

    state.tickets["#1"].status = "passed"
    notifier.notify(_event("passed", state, "#1"))
    _sent(notifier)

    [parent] = slack.top_level(CHANNEL)
    assert parent.ts != old
    assert state.slack_ts == parent.ts
    assert len(slack.replies(CHANNEL, parent.ts)) == 1


def test_a_direct_message_is_opened_with_the_configured_user(slack: FakeSlack) -> None:
    state = _state()
    notifier = _slack_of(build_notifiers(_config(None, user="U0ALICE001"), _env(slack)))
    notifier.notify(_event("chain_started", state))
    state.tickets["#1"].status = "passed"
    notifier.notify(_event("passed", state, "#1"))
    _sent(notifier)

    dm = slack.dm_id("U0ALICE001")
    assert slack.statuses("conversations.open") == [200], "opened once"
    [parent] = slack.top_level(dm)
    assert len(slack.replies(dm, parent.ts)) == 1
    assert state.slack_channel == dm


def test_a_429_waits_retry_after_and_succeeds(slack: FakeSlack) -> None:
    state = _state()
    notifier = _slack_of(build_notifiers(_config(), _env(slack)))
    notifier.notify(_event("chain_started", state))
    _sent(notifier)
    slack.fail_next("chat.postMessage", 429, retry_after=1)

    notifier.notify(_event("correcting", state, "#1", "sending a correction"))
    _sent(notifier)

    posts = [c for c in slack.calls if c.method == "chat.postMessage"]
    assert posts[2].at - posts[1].at >= 1, "Retry-After was honoured"
    assert slack.statuses("chat.postMessage") == [200, 429, 200]
    [parent] = slack.top_level(CHANNEL)
    assert len(slack.replies(CHANNEL, parent.ts)) == 1


def test_a_500_is_logged_and_the_chain_goes_on(
    slack: FakeSlack, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    repo = _repo(tmp_path)
    slack.fail_next("chat.postMessage", 500)  # the chain's first message is lost

    run = _run_local(repo, build_notifiers(_config(), _env(slack)))

    assert [c.outcome for c in run.chains] == ["passed"]
    failures = [r for r in caplog.records if r.getMessage() == "slack.failed"]
    assert len(failures) == 1
    assert failures[0].levelno == logging.WARNING
    assert vars(failures[0])["method"] == "chat.postMessage"
    # The next event posted the chain's message, and the thread went on from there.
    [parent] = slack.top_level(CHANNEL)
    assert len(slack.replies(CHANNEL, parent.ts)) == 4
    assert slack.statuses("chat.postMessage")[0] == 500


def test_slack_being_down_never_raises(slack: FakeSlack, caplog: pytest.LogCaptureFixture) -> None:
    notifier = _slack_of(build_notifiers(_config(), _env(slack)))
    webhook = _slack_of(build_notifiers(Config(), _webhook_env(slack)))
    slack.stop()
    state = _state()
    notifier.notify(_event("chain_started", state))
    webhook.notify(_event("chain_started", state))
    assert isinstance(notifier, Flushing)
    assert isinstance(webhook, Flushing)
    assert notifier.flush(10) == ["the message of chain sprint-1"], "named as undelivered"
    assert webhook.flush(10) == ["chain_started of sprint-1"]
    assert state.slack_ts is None
    failures = [vars(r) for r in caplog.records if r.getMessage() == "slack.failed"]
    # One line each; the two senders are threads of their own, so either may log first.
    assert sorted(f["method"] for f in failures) == ["chat.postMessage", "webhook"]


def test_a_wrong_token_is_logged_not_raised(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    env = _env(slack, SLACK_BOT_TOKEN="xoxb-0000000000-0000000000-WrOnGtOkEnWrOnGtOkEn")
    notifier = _slack_of(build_notifiers(_config(), env))
    notifier.notify(_event("chain_started", _state()))
    assert isinstance(notifier, Flushing)
    notifier.flush(10)
    [failure] = [vars(r) for r in caplog.records if r.getMessage() == "slack.failed"]
    assert "invalid_auth" in failure["error"]
    assert "WrOnGtOkEn" not in caplog.text
    assert slack.messages == []


def test_the_webhook_posts_one_message_per_event(slack: FakeSlack, tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    notifiers = build_notifiers(_config(None), _webhook_env(slack))
    slack.fail_next("webhook", 429, retry_after=1)

    run = _run_local(repo, notifiers)

    assert [c.outcome for c in run.chains] == ["passed"]
    assert slack.statuses("webhook") == [429] + [200] * 5
    texts = [m["text"] for m in slack.webhook_messages]
    assert texts[0] == "Baton · chain work: running, 0 of 2 passed"
    assert texts[1:4] == [
        "work: first correction sent: sending a correction",
        "work: first passed: " + texts[2].split(": ", 2)[2],
        "work: second passed: " + texts[3].split(": ", 2)[2],
    ]
    assert texts[4] == "Baton · chain work: passed, 2 of 2 passed"
    assert slack.messages == [], "no Web API call without a bot token"


def test_secrets_in_event_text_never_reach_slack(slack: FakeSlack) -> None:
    leaked = "ghp_" + "a1B2c3D4" * 5
    env = _env(slack, GITHUB_TOKEN=leaked)
    state = _state()
    notifier = _slack_of(build_notifiers(_config(), env))
    notifier.notify(_event("blocked", state, "#1", f"git push failed: token {leaked}"))
    _sent(notifier)
    sent = json.dumps([(m.text, m.blocks) for m in slack.messages])
    assert leaked not in sent
    assert "[redacted]" in sent


def test_without_slack_in_the_environment_there_is_no_slack_notifier(
    caplog: pytest.LogCaptureFixture,
) -> None:
    console: list[Event] = []

    class Recorder:
        def notify(self, event: Event) -> None:
            console.append(event)

    recorder = Recorder()
    notifiers = build_notifiers(_config(), {}, recorder)
    assert notifiers.notifiers == [recorder]
    notifiers.notify(_event("chain_started", _state()))
    assert len(console) == 1
    [off] = [r for r in caplog.records if r.getMessage() == "slack.off"]
    assert off.levelno == logging.DEBUG

    # A token but nowhere to post: said once, as a warning, and still nothing fails.
    assert build_notifiers(_config(None), {"SLACK_BOT_TOKEN": "xoxb-1-2-abc"}).notifiers == []
    assert [r.levelno for r in caplog.records if r.getMessage() == "slack.off"][-1] == (
        logging.WARNING
    )


def test_hostile_titles_and_agent_output_reach_no_field_unescaped(slack: FakeSlack) -> None:
    """What Slack received, in every field (the fallback `text` too), for the bot's messages and
    the webhook's: no mention, no link, no channel reference of the agent's making."""
    hostile = "<!channel> <!here> <@U123> <https://evil.example|click>"
    bot = _slack_of(build_notifiers(_config(), _env(slack)))
    webhook = _slack_of(build_notifiers(Config(), _webhook_env(slack)))
    state = ChainState(  # a milestone's title names a chain on GitHub: untrusted as well
        name=f"sprint {hostile}",
        branch="baton/sprint-1",
        base_branch="main",
        tickets={"#1": TicketState(key="#1", title=hostile)},
    )
    for notifier in (bot, webhook):
        for kind in ("chain_started", "correcting", "blocked", "chain_finished"):
            event = Event(
                kind, state.name, f"agent said: {hostile}", ticket="#1", title=hostile, state=state
            )
            notifier.notify(event)
    _sent(bot, webhook)
    sent = [json.dumps([m.text, m.blocks]) for m in slack.messages]
    sent += [json.dumps(m) for m in slack.webhook_messages]
    assert len(sent) >= 8
    for body in sent:
        for live in ("<!channel>", "<!here>", "<@U123>", "<https://evil.example"):
            assert live not in body, body
    assert any("&lt;!channel&gt;" in json.loads(body)[0] for body in sent[: len(slack.messages)])
