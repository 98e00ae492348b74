"""What the terminal shows: the console's line per event, the chain's table (`baton run`,
`baton status`), and `baton review`'s output in its three formats. Changes here are deliberate."""

from __future__ import annotations

import io
import json
from datetime import datetime

import pytest
from rich.console import Console
from syrupy.assertion import SnapshotAssertion

from bot.notify import Event
from bot.redact import Redactor
from bot.render.terminal import chain_table, event_line, review_output
from tests.unit.render_samples import FINDINGS, HOSTILE, SECRET, chain

REDACT = Redactor([SECRET])
HEADER = {"base": "b" * 40, "head": "c" * 40, "conventions": "knowledge/CONVENTIONS.md"}


def _printed(renderable: object, *, soft_wrap: bool = False) -> str:
    """What a console 100 columns wide prints, without colour."""
    out = io.StringIO()
    Console(file=out, width=100, color_system=None, highlight=False).print(
        renderable, soft_wrap=soft_wrap
    )
    return out.getvalue()


def test_event_lines(snapshot: SnapshotAssertion) -> None:
    when = datetime(2026, 3, 14, 9, 5, 7)
    events = [
        Event(kind="chain_started", chain="sprint-9", message="4 tickets"),
        Event(kind="prompt_sent", chain="sprint-9", ticket="#1", message="launch"),
        Event(kind="blocked", chain="sprint-9", ticket="[bold]#3[/]", message=HOSTILE),
        Event(kind="correcting", chain="sprint-9", ticket="#1", message=f"leaks {SECRET}"),
    ]
    lines = [event_line(e, when, REDACT) for e in events]
    printed = "".join(_printed(line, soft_wrap=True) for line in lines)
    assert (lines, printed) == snapshot
    assert "[bold]#3[/]" in printed, "a key is text, never markup"
    assert SECRET not in printed
    assert len(printed.splitlines()) == len(events), "one line per event, whatever it says"


def test_chain_table(snapshot: SnapshotAssertion) -> None:
    printed = _printed(chain_table(chain(), REDACT))
    assert printed == snapshot


def test_chain_table_while_running(snapshot: SnapshotAssertion) -> None:
    assert _printed(chain_table(chain(finished=False), REDACT)) == snapshot


@pytest.mark.parametrize("output", ["text", "json", "github"])
def test_review_output(snapshot: SnapshotAssertion, output: str) -> None:
    text = review_output(FINDINGS, output, HEADER, REDACT)
    assert text == snapshot
    assert SECRET not in text
    if output == "json":
        assert json.loads(text)["major"] == 2
    else:
        assert len(text.splitlines()) == len(FINDINGS) + (output == "text") + 1
        assert text.splitlines()[-1] == "baton review: 2 major, 2 minor finding(s)"


@pytest.mark.parametrize("output", ["text", "github"])
def test_review_output_without_findings(output: str) -> None:
    assert review_output([], output, HEADER, REDACT) == "baton review: no findings"
