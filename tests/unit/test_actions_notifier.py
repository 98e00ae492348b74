"""The GitHub Actions notifier: the chain's table in the job summary, annotations for blocked and
skipped tickets, and no way for untrusted text to smuggle in a workflow command of its own."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from syrupy.assertion import SnapshotAssertion

from bot.notify import Event, EventKind
from bot.notify.actions import ActionsNotifier
from bot.render.actions import annotation, escape_data, escape_property, summary_markdown
from bot.render.links import Links
from bot.state import (
    AgentResult,
    Attempt,
    ChainState,
    CommandResult,
    TicketState,
    Validation,
)

HOSTILE = (
    "50% done\r\n::add-mask::x\n::stop-commands::y\n::error::forged\n"
    "  ::warning::indented\n%0A::notice::pre-escaped | <b>x</b> `code` [link](https://evil)"
)


def _attempt(ok: bool, seconds: float) -> Attempt:
    return Attempt(
        number=1,
        kind="launch",
        session=1,
        agent=AgentResult(ok=True, duration_s=seconds),
        commit="abc",
        validation=Validation(
            commit="abc",
            command=CommandResult(
                command="pytest", exit_code=0 if ok else 1, duration_s=1.5, tail=""
            ),
        ),
    )


def _chain(title: str = "Add the books endpoint") -> ChainState:
    return ChainState(
        name="sprint-3",
        branch="baton/sprint-3",
        base_branch="main",
        finished=True,
        pr_number=7,
        tickets={
            "#12": TicketState(
                key="#12", title=title, status="passed", attempts=[_attempt(True, 10.0)]
            ),
            "#13": TicketState(
                key="#13",
                title="Authors",
                status="blocked",
                reason="tests failed twice after a correction",
                attempts=[_attempt(False, 4.0)],
            ),
            "#14": TicketState(
                key="#14", title="Depends on authors", status="skipped", reason="#13 is blocked"
            ),
        },
    )


def _event(kind: EventKind, title: str = "Authors", **extra: str) -> Event:
    return Event(kind=kind, chain="sprint-3", ticket="#13", message="blocked", title=title, **extra)


def _command_lines(text: str) -> list[str]:
    """Every line the runner would read a command from (it trims the line first)."""
    return [line for line in text.splitlines() if line.strip().startswith("::")]


# -- escaping --------------------------------------------------------------------------------


def test_escaping_follows_github() -> None:
    assert escape_data("100%\r\nnext") == "100%25%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


@given(st.text())
def test_escaped_data_never_breaks_the_line(text: str) -> None:
    escaped = escape_data(text)
    assert "\n" not in escaped
    assert "\r" not in escaped
    # What the runner unescapes is what was written.
    assert escaped.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%") == text


@given(st.text())
def test_escaped_property_never_ends_the_property(text: str) -> None:
    escaped = escape_property(text)
    assert not set(escaped) & {"\n", "\r", ":", ","}


# -- annotations ------------------------------------------------------------------------------


def test_blocked_is_an_error_and_skipped_a_warning() -> None:
    blocked = annotation(_event("blocked", details="tests failed (exit 1)"))
    skipped = annotation(_event("skipped"))
    assert blocked == (
        "::error title=Baton%3A sprint-3/#13 blocked::Authors: blocked%0Atests failed (exit 1)"
    )
    assert skipped is not None
    assert skipped.startswith("::warning title=Baton%3A sprint-3/#13 skipped::")
    for kind in ("chain_started", "passed", "correcting", "chain_finished"):
        assert annotation(_event(kind)) is None


@pytest.mark.parametrize("kind", ["blocked", "skipped"])
def test_a_hostile_title_cannot_start_a_command(kind: EventKind) -> None:
    out = io.StringIO()
    notifier = ActionsNotifier(None, stream=out)
    notifier.notify(_event(kind, title=HOSTILE, details=HOSTILE, url=HOSTILE))
    lines = out.getvalue().splitlines()
    assert len(lines) == 1, "one event, one line"
    level = "error" if kind == "blocked" else "warning"
    # The only command is the one Baton meant: its level and its own title.
    assert _command_lines(out.getvalue()) == lines
    assert re.fullmatch(rf"::{level} title=Baton%3A sprint-3/#13 {kind}::[^\r\n]*", lines[0])
    data = lines[0].split("::", 2)[2]
    assert "%0A::add-mask::x" in data  # still readable, as text
    assert "%250A::notice" in data  # the pre-escaped newline stays text too


@given(st.text(), st.text(), st.text())
def test_no_text_injects_a_command(title: str, message: str, details: str) -> None:
    out = io.StringIO()
    notifier = ActionsNotifier(None, stream=out)
    for kind in ("blocked", "skipped"):
        notifier.notify(
            Event(kind=kind, chain="c", ticket="#1", message=message, title=title, details=details)
        )
    lines = out.getvalue().split("\n")
    assert lines[-1] == ""
    assert len(lines) == 3
    assert lines[0].startswith("::error title=Baton%3A c/#1 blocked::")
    assert lines[1].startswith("::warning title=Baton%3A c/#1 skipped::")
    assert "\r" not in out.getvalue()


def test_secrets_are_redacted_before_escaping() -> None:
    token = "ghp_" + "a" * 36
    secret = "s3cr%t\nvalue-that-is-long"
    out = io.StringIO()
    notifier = ActionsNotifier.from_environment(
        {"GITHUB_ACTIONS": "true", "SLACK_WEBHOOK_URL": secret}, stream=out
    )
    assert notifier is not None
    notifier.notify(_event("blocked", title=f"leak {token}", details=f"and {secret}"))
    text = out.getvalue()
    assert token not in text
    assert escape_data(secret) not in text
    assert text.count("[redacted]") == 2


# -- the job summary --------------------------------------------------------------------------


def test_summary_table(snapshot: SnapshotAssertion) -> None:
    links = Links("https://github.com/octo/widgets")
    text = summary_markdown(
        _chain(), report="knowledge/reports/2025-01-01-sprint-3.md", links=links
    )
    assert text == snapshot


def test_summary_is_appended_at_the_end_of_a_chain(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier step\n")
    out = io.StringIO()
    notifier = ActionsNotifier.from_environment(
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_REPOSITORY": "octo/widgets",
        },
        stream=out,
    )
    assert notifier is not None
    state = _chain()
    notifier.notify(Event(kind="chain_started", chain="sprint-3", message="3 tickets"))
    assert summary.read_text() == "# earlier step\n"
    notifier.notify(Event(kind="chain_finished", chain="sprint-3", message="blocked", state=state))
    notifier.notify(Event(kind="chain_finished", chain="sprint-3", message="blocked", state=state))
    text = summary.read_text()
    assert text.startswith("# earlier step\n### ❌ Baton: chain sprint-3: blocked")
    assert text.count("| #13 | Authors | ❌ blocked |") == 2, "appended, never rewritten"
    assert "[#7](https://github.com/octo/widgets/pull/7)" in text
    assert out.getvalue() == "", "no annotation for the chain's end"


def test_a_hostile_title_stays_in_its_cell() -> None:
    text = summary_markdown(_chain(title=HOSTILE))
    row = next(line for line in text.splitlines() if line.startswith("| #12 "))
    assert "<b>" not in row
    assert "&lt;b&gt;" in row
    assert "](" not in row.replace("\\](", "")
    # The row keeps its seven cells: every `|` of the title is escaped.
    assert len(re.findall(r"(?<!\\)\|", row)) == 8
    assert not _command_lines(text)


def test_without_a_summary_file_nothing_is_written(tmp_path: Path) -> None:
    out = io.StringIO()
    notifier = ActionsNotifier.from_environment({"GITHUB_ACTIONS": "true"}, stream=out)
    assert notifier is not None
    notifier.notify(Event(kind="chain_finished", chain="c", message="passed", state=_chain()))
    assert out.getvalue() == ""
    assert list(tmp_path.iterdir()) == []


def test_outside_actions_there_is_no_notifier() -> None:
    assert ActionsNotifier.from_environment({}) is None
    assert ActionsNotifier.from_environment({"GITHUB_STEP_SUMMARY": "/x"}) is None
