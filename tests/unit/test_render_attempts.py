"""What a person reads on the terminal about attempts: under the console's event line, briefly,
what the agent said and what the validation found (the failing test's last lines, the findings
and their fixes); `baton status --ticket` one ticket in full; `--attempts` every attempt. Hostile
text (tests/unit/render_samples.py) stays on its line, every line starts with Baton's words,
and secrets are redacted."""

from __future__ import annotations

import io
import re

from rich.console import Console
from syrupy.assertion import SnapshotAssertion

from bot.notify import Event
from bot.notify.console import ConsoleNotifier
from bot.redact import Redactor
from bot.render.attempts import every_attempt, ticket_detail
from tests.unit.render_samples import SECRET, chain

REDACT = Redactor([SECRET])


def _printed(event: Event) -> list[str]:
    out = io.StringIO()
    console = Console(file=out, width=200, no_color=True, highlight=False)
    ConsoleNotifier(console, REDACT).notify(event)
    return [re.sub(r"^\d\d:\d\d:\d\d ", "hh:mm:ss ", line) for line in out.getvalue().splitlines()]


def test_under_a_validation_the_console_shows_what_it_found(snapshot: SnapshotAssertion) -> None:
    state = chain()
    validations = {k: t.last.validation for k, t in state.tickets.items() if t.last}
    key = next(k for k, v in validations.items() if v is not None and not v.passed)
    lines = _printed(
        Event(kind="validated", chain=state.name, message="…", ticket=key, state=state)
    )
    assert lines == snapshot
    assert len(lines) > 1, "the findings are shown under the event"
    assert all(not line.lstrip().startswith("::") for line in lines)
    assert SECRET not in "\n".join(lines)


def test_under_an_answer_the_console_shows_what_the_agent_said(
    snapshot: SnapshotAssertion,
) -> None:
    state = chain()
    key = next(k for k, t in state.tickets.items() if t.last and t.last.agent)
    event = Event(kind="agent_replied", chain=state.name, message="…", ticket=key, state=state)
    assert _printed(event) == snapshot


def test_other_events_are_one_line() -> None:
    state = chain()
    key = next(iter(state.tickets))
    event = Event(kind="prompt_sent", chain=state.name, message="…", ticket=key, state=state)
    assert len(_printed(event)) == 1


def test_one_ticket_in_full(snapshot: SnapshotAssertion) -> None:
    state = chain()
    text = "\n\n".join(ticket_detail(state, t, REDACT) for t in state.tickets.values())
    assert text == snapshot
    assert SECRET not in text
    assert all(not line.lstrip().startswith("::") for line in text.splitlines())


def test_every_attempt_briefly(snapshot: SnapshotAssertion) -> None:
    text = every_attempt(chain(), REDACT)
    assert text == snapshot
    assert SECRET not in text
