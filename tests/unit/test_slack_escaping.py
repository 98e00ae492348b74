"""No untrusted text reaches any Slack field unescaped: every string of every message Baton
builds (the fallback `text` included, for the chain's message, a thread reply and a webhook
message, for every event) shows `&`, `<` and `>` as text, as Slack's "Escaping text" rules ask
(https://docs.slack.dev/messaging/formatting-message-text#escaping). The only markup left is
Baton's own links to the repository and its quotes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, get_args

import pytest

from bot.notify import Event, EventKind
from bot.render.links import Links
from bot.render.slack import Message, chain_summary, event_reply, webhook_message
from bot.state import ChainState, TicketState

HOSTILE = "<!channel> <!here> <@U123> <https://evil.example|click> & <#C999> @here"
LINKS = Links("https://github.com/octo/widgets")
# Baton's own links: to the repository's pull requests and files, with an escaped label.
OWN_LINK = re.compile(r"<https://github\.com/octo/widgets/(?:pull/\d+|blob/HEAD/[^|<>]+)\|[^<>]*>")
ENTITY = re.compile(r"&(?:amp|lt|gt);")
QUOTE = re.compile(r"(?m)^>")  # Baton's own quote of a reason


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)


def _state() -> ChainState:
    ticket = TicketState(key=HOSTILE, title=HOSTILE, status="blocked", reason=HOSTILE)
    return ChainState(
        name=HOSTILE,
        branch=HOSTILE,
        base_branch=HOSTILE,
        tickets={HOSTILE: ticket, "#2": TicketState(key="#2", title=HOSTILE)},
        pr_number=7,
    )


def _messages(kind: EventKind) -> list[Message]:
    state = _state()
    event = Event(
        kind,
        HOSTILE,
        HOSTILE,
        ticket=HOSTILE,
        title=HOSTILE,
        details=HOSTILE + " details",
        url="https://evil.example/<!channel>|x>&y",
        report=f"knowledge/reports/{HOSTILE}.md",
        state=state,
    )
    standalone = Event(kind, HOSTILE, HOSTILE, ticket=HOSTILE, title=HOSTILE, url=HOSTILE)
    return [
        chain_summary(state, LINKS, event.report),
        event_reply(event, LINKS),
        webhook_message(event, LINKS),
        webhook_message(standalone, LINKS),
    ]


@pytest.mark.parametrize("kind", get_args(EventKind))
def test_every_field_of_every_message_is_escaped(kind: EventKind) -> None:
    for message in _messages(kind):
        for field in _strings(dict(message)):
            if field in {"mrkdwn", "plain_text", "section", "context", "header"}:
                continue
            rest = QUOTE.sub("", ENTITY.sub("", OWN_LINK.sub("", field)))
            assert not set(rest) & set("<>&"), (kind, field)


@pytest.mark.parametrize("kind", get_args(EventKind))
def test_the_fallback_text_is_escaped(kind: EventKind) -> None:
    for message in _messages(kind):
        assert "<!channel>" not in message["text"]
        assert "&lt;!channel&gt;" in message["text"], message["text"]
