"""What people read in Slack: the chain's message and the replies in its thread, as Block Kit.
Changes here are deliberate. Every layout also keeps to Block Kit's limits, as Slack checks them."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime

import pytest
from syrupy.assertion import SnapshotAssertion

from bot.command_result import CommandResult
from bot.notify import Event, EventKind
from bot.render.links import Links
from bot.render.slack import (
    Message,
    chain_summary,
    escape,
    event_reply,
    webhook_message,
)
from bot.state import AgentResult, Attempt, ChainState, TicketState, Validation
from tests.fakes.slack import check_blocks
from tests.unit.render_samples import HOSTILE
from tests.unit.render_samples import chain as hostile_chain

LINKS = Links("https://github.com/octo/widgets")
REPORT = "knowledge/reports/2025-03-14-sprint-1.md"


def _attempt(number: int, kind: str, *, ok: bool) -> Attempt:
    command = CommandResult(command="pytest -q", exit_code=0 if ok else 1, duration_s=1.5)
    return Attempt.model_validate(
        {
            "number": number,
            "kind": kind,
            "session": 2 if kind == "recovery" else 1,
            "started_at": datetime(2025, 3, 14, 9, number, tzinfo=UTC),
            "agent": AgentResult(ok=True, session_id="s-1", duration_s=30.0),
            "validation": Validation(commit=f"{number}" * 40, command=command),
        }
    )


def _chain(*, finished: bool = False) -> ChainState:
    tickets = [
        TicketState(
            key="#1",
            title="Scaffold the API",
            status="passed",
            attempts=[_attempt(1, "launch", ok=True)],
        ),
        TicketState(
            key="#2",
            title="Serve <books> & authors",  # text from an issue: escaped, never markup
            status="passed" if finished else "correcting",
            attempts=[_attempt(1, "followup", ok=False)]
            + ([_attempt(2, "correction", ok=True)] if finished else []),
        ),
        TicketState(
            key="#3",
            title="Paginate the list",
            status="passed" if finished else "running",
            recovered=finished,
            attempts=[
                _attempt(1, "followup", ok=False),
                _attempt(2, "correction", ok=False),
                _attempt(3, "correction", ok=False),
            ]
            + ([_attempt(4, "recovery", ok=True)] if finished else []),
        ),
        TicketState(
            key="#4",
            title="Rate limits",
            status="blocked" if finished else "queued",
            reason="corrections exhausted: tests failed (exit 1, 1.5s)" if finished else None,
            attempts=[_attempt(1, "followup", ok=False)] if finished else [],
        ),
        TicketState(
            key="#5",
            title="Document the limits",
            status="skipped" if finished else "queued",
            reason="depends on #4, which is blocked" if finished else None,
        ),
    ]
    return ChainState(
        name="sprint-1",
        branch="baton/sprint-1",
        base_branch="main",
        started_at=datetime(2025, 3, 14, 9, 0, tzinfo=UTC),
        finished=finished,
        pr_number=7,
        tickets={t.key: t for t in tickets},
    )


def _event(kind: EventKind, ticket: str | None, message: str, state: ChainState) -> Event:
    t = state.tickets.get(ticket) if ticket else None
    last = t.last if t else None
    return Event(
        kind=kind,
        chain=state.name,
        message=message,
        ticket=ticket,
        title=t.title if t else None,
        attempts=len(t.attempts) if t else None,
        details=last.validation.summary() if last and last.validation else None,
        report=REPORT if state.finished else None,
        state=state,
    )


def _valid(message: Message) -> Message:
    assert message["text"]
    assert check_blocks(message["blocks"]) is None, check_blocks(message["blocks"])
    return message


@pytest.mark.parametrize(
    ("kind", "ticket", "message", "finished"),
    [
        pytest.param("passed", "#1", "checkpoint 1111111111", False, id="passed"),
        pytest.param("correcting", "#2", "sending a correction", False, id="correction"),
        pytest.param("recovering", "#3", "corrections exhausted", False, id="recovering"),
        pytest.param("passed", "#3", "checkpoint 4444444444", True, id="recovered"),
        pytest.param("blocked", "#4", "corrections exhausted: tests failed", True, id="blocked"),
        pytest.param("skipped", "#5", "depends on #4, which is blocked", True, id="skipped"),
        pytest.param("chain_finished", None, "blocked; knowledge in knowledge/", True, id="end"),
    ],
)
def test_thread_reply(
    snapshot: SnapshotAssertion, kind: EventKind, ticket: str | None, message: str, finished: bool
) -> None:
    event = _event(kind, ticket, message, _chain(finished=finished))
    assert _valid(event_reply(event, LINKS)) == snapshot


def test_chain_summary_while_running(snapshot: SnapshotAssertion) -> None:
    assert _valid(chain_summary(_chain(), LINKS)) == snapshot


def test_chain_summary_when_finished(snapshot: SnapshotAssertion) -> None:
    assert _valid(chain_summary(_chain(finished=True), LINKS, REPORT)) == snapshot


def test_chain_summary_in_local_mode_names_the_report_without_a_link(
    snapshot: SnapshotAssertion,
) -> None:
    state = _chain(finished=True).model_copy(update={"pr_number": None})
    message = _valid(chain_summary(state, Links(), REPORT))
    assert message == snapshot
    assert "http" not in str(message["blocks"])


def test_webhook_messages_stand_alone(snapshot: SnapshotAssertion) -> None:
    state = _chain(finished=True)
    reply = _valid(webhook_message(_event("blocked", "#4", "no luck", state), LINKS))
    summary = _valid(webhook_message(_event("chain_finished", None, "blocked", state), LINKS))
    assert reply == snapshot(name="ticket")
    assert summary == snapshot(name="chain")
    assert "sprint-1" in str(reply["blocks"][-1])


def test_a_cloud_agents_pull_request_is_linked_before_baton_opens_one() -> None:
    state = _chain().model_copy(update={"pr_number": None})
    url = "https://github.com/octo/widgets/pull/12"
    event = Event("passed", "sprint-1", "checkpoint", ticket="#1", url=url, state=state)
    assert f"<{url}|#12>" in str(event_reply(event, LINKS)["blocks"])


def test_ticket_text_cannot_ping_or_forge_links() -> None:
    title = "<!channel> see <https://evil.example|docs> & more"
    event = Event("passed", "c", "ok", ticket="#9", title=title)
    text = str(event_reply(event, Links())["blocks"])
    assert "<!channel>" not in text
    assert "<https://evil.example" not in text
    assert escape(title) in text


def _long_chain(count: int, *, title: str, reason: str | None = None) -> ChainState:
    """A chain of `count` tickets, the first third passed, the rest blocked (with `reason`)."""
    tickets = {}
    for n in range(1, count + 1):
        passed = n <= count // 3
        tickets[f"#{n}"] = TicketState(
            key=f"#{n}",
            title=f"{title} {n}",
            status="passed" if passed else "blocked",
            reason=None if passed else reason,
            attempts=[_attempt(1, "followup", ok=passed)],
        )
    return ChainState(
        name="sprint-9",
        branch="baton/sprint-9",
        base_branch="main",
        started_at=datetime(2025, 3, 14, 9, 0, tzinfo=UTC),
        finished=True,
        pr_number=7,
        tickets=tickets,
    )


def _listed(message: Message) -> list[str]:
    """The keys of the tickets the chain's message lists, in order."""
    text = "\n".join(b["text"]["text"] for b in message["blocks"][2:] if b["type"] == "section")
    return re.findall(r"\*(#\d+)\*", text)


def test_a_chain_of_60_lists_every_ticket(snapshot: SnapshotAssertion) -> None:
    state = _long_chain(60, title="Serve the books of one author, paginated,")
    message = _valid(chain_summary(state, LINKS, REPORT))
    assert _listed(message) == list(state.tickets)
    assert "more ticket" not in str(message["blocks"])
    assert message == snapshot


def test_a_chain_of_300_uses_every_block_before_it_cuts(snapshot: SnapshotAssertion) -> None:
    """Titles as long as GitHub allows (256) and reasons as long as a line keeps (300): more
    than 50 blocks can hold. Every block Slack allows is used, each section filled until the
    next line would not fit, and the last line names how many are missing and links the
    report."""
    state = _long_chain(300, title="T" * 250, reason="corrections exhausted " * 20)
    message = _valid(chain_summary(state, LINKS, REPORT))
    blocks = message["blocks"]
    sections = blocks[2:-1]
    listed = _listed(message)
    assert len(blocks) == 50
    assert listed == list(state.tickets)[: len(listed)]
    cut = sections[-1]["text"]["text"].splitlines()[-1]
    missing = 300 - len(listed)
    assert cut.startswith(f"… and {missing} more tickets: every ticket is in the report <")
    assert f"{LINKS.file(REPORT)}|{REPORT}>" in cut
    texts = [section["text"]["text"] for section in sections]
    for text, after in itertools.pairwise(texts):
        first = re.split(r"\n(?=:)", after)[0]  # a ticket's entry: its line, and its reason's
        assert len(text) + 1 + len(first) > 3000, "a section is filled until the next won't fit"
    longest = max(len(entry) for entry in re.split(r"\n(?=:)", texts[-1])[:-1])
    assert len(texts[-1]) + 1 + longest > 3000, "the last one too, before the cut"
    assert {"listed": len(listed), "missing": missing, "last": sections[-1]} == snapshot


def test_a_long_running_chain_says_where_the_rest_will_be() -> None:
    state = _long_chain(300, title="T" * 250, reason="x" * 300)
    state.finished = False
    message = _valid(chain_summary(state, LINKS))
    cut = message["blocks"][-2]["text"]["text"].splitlines()[-1]
    assert cut.endswith("more tickets: the chain's report lists every ticket when the chain ends")


def test_a_long_chain_is_cut_to_slacks_limits() -> None:
    state = _chain()
    for n in range(600):
        key = f"#{100 + n}"
        state.tickets[key] = TicketState(key=key, title="A rather long ticket title " * 9)
    message = _valid(chain_summary(state, LINKS))
    assert "more" in message["blocks"][-2]["text"]["text"].splitlines()[-1]


def test_hostile_ticket_text(snapshot: SnapshotAssertion) -> None:
    """Titles, reasons and results that try to ping, link, format or overflow: shown as text."""
    state = hostile_chain()
    blocked = Event(
        "blocked",
        state.name,
        state.tickets["#3"].reason or "",
        ticket="#3",
        title=HOSTILE,
        details=HOSTILE,
        state=state,
    )
    messages = [
        _valid(chain_summary(state, LINKS, REPORT)),
        _valid(event_reply(blocked, LINKS)),
        _valid(webhook_message(blocked, LINKS)),
    ]
    assert messages == snapshot
    text = str([m["blocks"] for m in messages])
    assert "<!channel>" not in text
    assert "<b>" not in text
