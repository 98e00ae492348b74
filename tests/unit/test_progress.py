"""The live line while a chain runs: which ticket of how many, the phase and its time, on a
terminal only."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

from rich.console import Console

from bot.notify import Event, EventKind
from bot.notify.console import ConsoleNotifier
from bot.notify.progress import Progress
from bot.processes import run_command
from bot.redact import Redactor
from tests.unit.render_samples import chain


def test_the_line_follows_the_events() -> None:
    state = chain()
    keys = list(state.tickets)
    progress = Progress()
    progress.follow(Event(kind="chain_started", chain="sprint-9", message="", state=state))
    assert progress.line(progress.since) == "sprint-9 · 4 ticket(s)"
    sent = Event(kind="prompt_sent", chain="sprint-9", message="", ticket=keys[1], state=state)
    progress.follow(sent)
    assert progress.line(progress.since + 75) == "sprint-9 · ticket 2 of 4 (#2) · agent · 1:15"
    replied = Event(kind="agent_replied", chain="sprint-9", message="", ticket=keys[1], state=state)
    progress.follow(replied)
    assert progress.line(progress.since + 3) == (
        "sprint-9 · ticket 2 of 4 (#2) · tests and review · 0:03"
    )
    progress.follow(Event(kind="passed", chain="sprint-9", message="", ticket=keys[1], state=state))
    assert progress.line(progress.since + 9) == "sprint-9 · ticket 2 of 4 (#2)"


def _run(terminal: bool) -> str:
    """What a chain's events print on a console that is, or is not, a terminal."""
    out = io.StringIO()
    notifier = ConsoleNotifier(Console(file=out, force_terminal=terminal, width=120), Redactor())
    state = chain()
    key = next(iter(state.tickets))
    events: list[tuple[EventKind, str | None]] = [
        ("chain_started", None),
        ("prompt_sent", key),
        ("agent_replied", key),
        ("chain_finished", None),
    ]
    for kind, ticket in events:
        notifier.notify(Event(kind=kind, chain="sprint-9", message="m", ticket=ticket, state=state))
    return out.getvalue()


def test_a_terminal_shows_the_line_and_a_log_does_not() -> None:
    terminal = _run(terminal=True)
    assert "sprint-9 · ticket 1 of 4 (#1) · agent · 0:00" in terminal
    log = _run(terminal=False)
    assert "ticket 1 of 4" not in log
    assert "\x1b" not in log


def test_the_line_shows_what_the_running_command_wrote_last(tmp_path: Path) -> None:
    """The live line reads the running command's output as it grows (bot.activity)."""
    progress = Progress(redact=Redactor(["s3cret-token"]))
    state = chain()
    key = next(iter(state.tickets))
    progress.follow(Event(kind="prompt_sent", chain="c", message="", ticket=key, state=state))
    script = "printf 'reading the code\\nwriting tests/test_app.py s3cret-token\\n'; sleep 1"
    seen: list[str] = []
    worker = threading.Thread(target=lambda: run_command(script, tmp_path, 10))
    worker.start()
    while worker.is_alive():
        seen.append(progress.line(progress.since))
        time.sleep(0.02)
    worker.join()
    assert "c · ticket 1 of 4 (#1) · agent · 0:00 · writing tests/test_app.py [redacted]" in seen
    assert progress.line(progress.since) == "c · ticket 1 of 4 (#1) · agent · 0:00", "once done"
