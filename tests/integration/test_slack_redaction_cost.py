"""What Slack costs the chain's thread: the chain's message is built again at every event, and
all of it but a line or two is what it was; each distinct string of it is redacted once a run,
not once an event (redaction is the larger part of building a message)."""

from __future__ import annotations

from bot.notify import Event
from bot.notify.slack import WebApi
from bot.notify.slack_chain import SlackNotifier
from bot.redact import Redactor
from bot.state import ChainState, TicketState
from tests.fakes.slack import FakeSlack

CHANNEL = "C0BATON001"
SECRET = "hunter2-very-secret-value"


class CountingRedactor(Redactor):
    def __init__(self) -> None:
        super().__init__([SECRET])
        self.texts: list[str] = []

    def __call__(self, text: str) -> str:
        self.texts.append(text)
        return super().__call__(text)


def test_each_string_of_a_chains_messages_is_redacted_once_a_run() -> None:
    redact = CountingRedactor()
    with FakeSlack() as slack:
        api = WebApi(slack.token, slack.api_url)
        notifier = SlackNotifier(api, channel=CHANNEL, redact=redact, pace=0)
        state = ChainState(
            name="sprint-1",
            branch="baton/sprint-1",
            base_branch="main",
            tickets={
                f"#{n}": TicketState(key=f"#{n}", title=f"Ticket {n} {SECRET}")
                for n in range(1, 21)
            },
        )
        notifier.notify(Event("chain_started", state.name, "started", state=state))
        for key in state.tickets:
            state.tickets[key].status = "passed"
            notifier.notify(Event("passed", state.name, "ok", ticket=key, state=state))
        assert notifier.flush(10) == []

        assert len(redact.texts) == len(set(redact.texts)), "a string redacted twice"
        sent = str([(m.text, m.blocks, m.edits) for m in slack.messages])
        assert SECRET not in sent
        assert "Ticket 20 [redacted]" in sent
