"""A second hostile corpus, rendered to every target: titles, goals, agents' summaries and
findings that mention people and teams, carry GitHub's closing keywords, hold HTML, start
workflow commands, or drive a terminal. Each output is snapshot-tested, and checked: nobody is
mentioned, nothing is closed, no HTML renders, no line is a workflow command, no control
character reaches the terminal."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from rich.console import Console
from syrupy.assertion import SnapshotAssertion

from bot.notify import Event
from bot.render.actions import annotation, finding_commands, summary_markdown
from bot.render.comments import line_review, pr_body, status_comment, validation_comment
from bot.render.links import Links
from bot.render.report import report_md, status_md
from bot.render.slack import chain_summary, event_reply
from bot.render.terminal import chain_table, event_line, finding_lines
from bot.state import (
    AgentResult,
    Attempt,
    ChainState,
    CommandResult,
    Finding,
    StoreData,
    TicketState,
    Validation,
)

T0 = datetime(2026, 5, 2, 14, 30, tzinfo=UTC)
LINKS = Links(repository="https://github.com/acme/widgets")

# Each line one hostile class; joined, they are one title, one reason, one finding.
PINGS = "ping @octocat and @acme/security-team, cc @everyone (mail ops@acme.test)"
CLOSERS = (
    "Closes #1, fixes acme/widgets#2; RESOLVED: https://github.com/acme/widgets/issues/3 close GH-4"
)
HTML = '<img src=x onerror=alert(1)><details open><summary>hi</summary></details><a href="javascript:x">y</a>'
COMMANDS = "\n::add-mask::tok\n::error file=a.py,line=1::forged\n::stop-commands::halt"
TERMINAL = "\x1b]8;;https://evil.test\x1b\\click\x1b]8;;\x1b\\ \x1b[2J\u202eexe.txt"
HOSTILE = " ".join([PINGS, CLOSERS, HTML, COMMANDS, TERMINAL])

FINDING = Finding(
    rule="hostile-rule @octocat",
    severity="major",
    file="src/widget.py",
    line=4,
    message=HOSTILE,
    hint=f"Fix #5 by asking @octocat {HTML}",
)


def hostile_chain() -> ChainState:
    validation = Validation(
        commit="c" * 40,
        changed_files=["src/widget.py"],
        command=CommandResult(command="pytest -q", exit_code=1, duration_s=1.0, tail=HOSTILE),
        findings=[FINDING],
        finished_at=T0,
    )
    attempt = Attempt(
        number=1,
        kind="launch",
        session=1,
        started_at=T0,
        agent=AgentResult(ok=True, summary=HOSTILE, duration_s=20.0),
        commit="c" * 40,
        validation=validation,
        finished_at=T0,
    )
    return ChainState(
        name="widgets",
        branch="baton/widgets",
        base_branch="main",
        base_commit="b" * 40,
        checkpoint="b" * 40,
        prepared=True,
        finished=True,
        started_at=T0,
        finished_at=T0,
        pr_number=12,
        tickets={
            "#7": TicketState(
                key="#7", title=HOSTILE, status="blocked", reason=HOSTILE, attempts=[attempt]
            ),
            "#8": TicketState(key="#8", title=CLOSERS, status="passed"),
        },
    )


_MENTION = re.compile(r"(?<![\w/])@[A-Za-z0-9]")
_CLOSING = re.compile(
    r"(?i)\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\b:?\s+"
    r"(?:#\d|[\w.-]+/[\w.-]+#\d|gh-\d|https?://)"
)
_TAG = re.compile(r"<(?!!-- baton:|/?details>|/?summary>)[A-Za-z/!]")


def assert_neutral_markdown(text: str, *, own_closes: frozenset[int] = frozenset()) -> None:
    """No mention, no closing keyword (but Baton's own `Closes #n` lines), no HTML of theirs."""
    for line in text.splitlines():
        if re.fullmatch(r"Closes #(\d+)", line) and int(line[8:]) in own_closes:
            continue
        assert not _MENTION.search(line), line
        assert not _CLOSING.search(line), line
        assert not _TAG.search(line), line
        assert not line.startswith("::"), line
    assert "\x1b" not in text
    assert "\u202e" not in text


def test_github_markdown(snapshot: SnapshotAssertion) -> None:
    state = hostile_chain()
    ticket = state.tickets["#7"]
    review = line_review(ticket, ticket.attempts[0])
    assert review is not None
    outputs = {
        "pr_body": pr_body(state, {"#7": 7, "#8": 8}),
        "status_comment": status_comment(state, ticket),
        "validation_comment": validation_comment(ticket, ticket.title) or "",
        "line_review": review[0] + "\n" + "\n".join(c["body"] for c in review[1]),
        "job_summary": summary_markdown(state, links=LINKS),
        "report": report_md(state, "<svg/>"),
        "status_md": status_md(StoreData(chains={"widgets": state})),
    }
    for name, rendered in outputs.items():
        own = frozenset({7, 8}) if name == "pr_body" else frozenset()
        # The test output is shown in a code block: what is inside it is not read as Markdown.
        read = re.sub(r"(?m)^( *)```text\n.*?\n\1```$", "", rendered, flags=re.S)
        assert_neutral_markdown(read.replace("(<svg/>)", ""), own_closes=own)
    # The words are all still there for people to read.
    assert "octocat" in outputs["pr_body"]
    assert "acme/widgets#2" in outputs["pr_body"]
    assert outputs == snapshot


def test_slack(snapshot: SnapshotAssertion) -> None:
    state = hostile_chain()
    event = Event("blocked", "widgets", HOSTILE, ticket="#7", title=HOSTILE, details=HOSTILE)
    messages = [chain_summary(state, LINKS), event_reply(event, LINKS)]
    text = str(messages)
    assert "<@" not in text
    assert "<!" not in text
    assert not _MENTION.search(text)
    assert "<img" not in text
    assert messages == snapshot


def test_actions_annotations_and_commands(snapshot: SnapshotAssertion) -> None:
    event = Event("blocked", "widgets", HOSTILE, ticket="#7", title=HOSTILE, details=HOSTILE)
    lines = [annotation(event) or "", *finding_commands([FINDING])]
    for line in lines:
        # One line each, Baton's own: the hostile `::` commands are inside it, never at a start.
        assert "\n" not in line
        assert "\r" not in line
        assert line.startswith(("::error ", "::warning ")), line
        assert "%0A::add-mask::tok" in line
        assert "\x1b" not in line
        assert "\u202e" not in line
    assert lines == snapshot


def test_terminal(snapshot: SnapshotAssertion) -> None:
    state = hostile_chain()
    event = Event("blocked", "widgets", HOSTILE, ticket="#7", title=HOSTILE)
    console = Console(width=100, record=True, force_terminal=False, color_system=None)
    console.print(event_line(event, T0, lambda text: text))
    console.print(chain_table(state, lambda text: text))
    for line in finding_lines([FINDING]):
        console.print(line, markup=False)
    out = console.export_text()
    for line in out.splitlines():
        assert not line.lstrip().startswith("::"), line
    assert "\x1b" not in out
    assert "\u202e" not in out
    assert "\\x1b" in out, "the escape is shown, not obeyed"
    assert out == snapshot
