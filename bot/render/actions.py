"""GitHub Actions: workflow commands (`::error file=…,line=…,title=…::message`, which the runner
shows as annotations) and the chain's table for the job summary.

Ticket titles, agents' replies and findings are untrusted: every command is one line Baton built,
with its text escaped as GitHub requires, so no text can end the line and start a command of its
own (`::add-mask::`, `::stop-commands::`, ...). Text is redacted before it is escaped, so a secret
is found as it was written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Literal

from bot.notify import Event
from bot.render.links import Links
from bot.render.markdown import table_cell
from bot.state import ChainState, Finding, TicketState

Level = Literal["error", "warning", "notice"]
Redact = Callable[[str], str]

MESSAGE_MAX = 4_000  # GitHub shows the start of a long annotation; keep it readable

_ICON = {"passed": "✅", "blocked": "❌", "skipped": "⏭️"}


# Control characters but CR and LF (ESC drives the log viewer: colours, links) and bidi controls.
_CONTROL = re.compile("[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def escape_data(text: str) -> str:
    """A workflow command's message: `%`, CR and LF escaped (GitHub's `escapeData`)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: as a message, and `:` and `,` too
    (GitHub's `escapeProperty`)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(
    level: Level,
    message: str,
    *,
    file: str | None = None,
    line: int | None = None,
    title: str | None = None,
) -> str:
    """One line: `::error file=…,line=…,title=…::message`, every part escaped, and control
    characters dropped from the message and the title (the log viewer obeys ESC sequences)."""
    message = _CONTROL.sub("", message)
    title = _CONTROL.sub("", title) if title else title
    props = [f"file={escape_property(file)}"] if file else []
    props += [f"line={line}"] if file and line else []
    props += [f"title={escape_property(title)}"] if title else []
    head = f"::{level} {','.join(props)}" if props else f"::{level}"
    return f"{head}::{escape_data(message)}"


def _same(text: str) -> str:
    return text


def annotation(event: Event, redact: Redact = _same) -> str | None:
    """The annotation for a blocked (error) or skipped (warning) ticket; None for other events."""
    if event.kind not in ("blocked", "skipped"):
        return None
    level: Level = "error" if event.kind == "blocked" else "warning"
    who = f"{event.chain}/{event.ticket}" if event.ticket else event.chain
    title = f"Baton: {who} {event.kind}"
    lines = [f"{event.title}: {event.message}" if event.title else event.message]
    if event.details:
        lines.append(event.details)
    if event.url:
        lines.append(event.url)
    return workflow_command(level, redact("\n".join(lines))[:MESSAGE_MAX], title=redact(title))


def finding_commands(findings: Iterable[Finding]) -> list[str]:
    """Each finding as an annotation on its file and line: an error when major, else a warning."""
    return [
        workflow_command(
            "error" if f.severity == "major" else "warning",
            f.message + (f"\nFix: {f.hint}" if f.hint else ""),
            file=f.file,
            line=f.line,
            title=f"{f.rule} ({f.severity})",
        )
        for f in findings
    ]


def _seconds(ticket: TicketState) -> float:
    return sum(
        (a.agent.duration_s if a.agent else 0)
        + (a.validation.command.duration_s if a.validation and a.validation.command else 0)
        for a in ticket.attempts
    )


def summary_markdown(
    state: ChainState,
    *,
    report: str | None = None,
    links: Links | None = None,
    redact: Redact = _same,
) -> str:
    """The chain as a Markdown section for the job summary; untrusted text is redacted, then
    escaped."""
    links = links or Links()
    outcome = state.outcome
    icon = {"passed": "✅", "blocked": "❌"}.get(outcome, "⏳")
    lines = [f"### {icon} Baton: chain {table_cell(state.name)}: {outcome}", ""]
    facts = [f"branch {table_cell(state.branch)}"]
    if state.pr_number is not None:
        url = links.pull_request(state.pr_number)
        facts.append(
            f"pull request [#{state.pr_number}]({url})"
            if url
            else f"pull request #{state.pr_number}"
        )
    if report:
        url = links.file(report)
        cell = table_cell(report)
        facts.append(f"report [{cell}]({url})" if url else f"report {cell}")
    lines += [" · ".join(facts), ""]
    lines += [
        "| ticket | title | status | attempts | corrections | time | result |",
        "| --- | --- | --- | ---: | ---: | ---: | --- |",
    ]
    for t in state.tickets.values():
        last = t.last
        result = t.reason or (last.validation.summary() if last and last.validation else "")
        status = f"{_ICON[t.status]} {t.status}" if t.status in _ICON else t.status
        lines.append(
            f"| {table_cell(t.key, 80)} | {table_cell(redact(t.title or ''))} | {status} "
            f"| {len(t.attempts)} | {t.corrections} | {_seconds(t):.1f}s "
            f"| {table_cell(redact(result))} |"
        )
    return "\n".join(lines) + "\n\n"
