"""GitHub Actions: the chain's table in the job summary, and an annotation per ticket that is
blocked (an error) or skipped (a warning).

Annotations are workflow commands on stdout, the one channel the runner reads them from, so this
notifier writes there (the console notifier writes to stderr). Ticket titles and agent replies
are untrusted: every line written is one command Baton built, with its text escaped as GitHub
requires, so no title can end the line and start a command of its own (`::add-mask::`,
`::stop-commands::`, ...). Rendering is pure; `ActionsNotifier` only writes what it renders.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Literal, TextIO

from bot.notify import Event
from bot.notify.slack_blocks import Links
from bot.redact import Redactor
from bot.secret_names import secret_values
from bot.state import ChainState, TicketState

Level = Literal["error", "warning", "notice"]

MESSAGE_MAX = 4_000  # GitHub shows the start of a long annotation; keep it readable
CELL_MAX = 300

_ICON = {"passed": "✅", "blocked": "❌", "skipped": "⏭️"}


def escape_data(text: str) -> str:
    """A workflow command's message: `%`, CR and LF escaped (GitHub's `escapeData`)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: as a message, and `:` and `,` too
    (GitHub's `escapeProperty`)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(level: Level, message: str, *, title: str | None = None) -> str:
    """One line: `::error title=…::message`, every part escaped."""
    props = f" title={escape_property(title)}" if title else ""
    return f"::{level}{props}::{escape_data(message[:MESSAGE_MAX])}"


def _same(text: str) -> str:
    return text


def annotation(event: Event, redact: Callable[[str], str] = _same) -> str | None:
    """The annotation for a blocked (error) or skipped (warning) ticket; None for other events.
    The text is redacted before it is escaped, so a secret is found as it was written."""
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
    return workflow_command(level, redact("\n".join(lines)), title=redact(title))


def cell(text: str | None, limit: int = CELL_MAX, redact: Callable[[str], str] = _same) -> str:
    """Text for one Markdown table cell: one line, no HTML, no link, no column break."""
    if not text:
        return ""
    text = re.sub(r"\s*[\r\n]+\s*", " ", redact(text)).strip()
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\|`\[\]])", r"\\\1", text)


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
    redact: Callable[[str], str] = _same,
) -> str:
    """The chain as a Markdown section for the job summary; untrusted text is redacted, then
    escaped."""
    links = links or Links()
    outcome = state.outcome
    icon = {"passed": "✅", "blocked": "❌"}.get(outcome, "⏳")
    lines = [f"### {icon} Baton: chain {cell(state.name)}: {outcome}", ""]
    facts = [f"branch {cell(state.branch)}"]
    if state.pr_number is not None:
        url = links.pull_request(state.pr_number)
        facts.append(
            f"pull request [#{state.pr_number}]({url})"
            if url
            else f"pull request #{state.pr_number}"
        )
    if report:
        url = links.file(report)
        facts.append(f"report [{cell(report)}]({url})" if url else f"report {cell(report)}")
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
            f"| {cell(t.key, 80)} | {cell(t.title, redact=redact)} | {status} "
            f"| {len(t.attempts)} | {t.corrections} | {_seconds(t):.1f}s "
            f"| {cell(result, redact=redact)} |"
        )
    return "\n".join(lines) + "\n\n"


class ActionsNotifier:
    """Annotations on `stream` (stdout) for blocked and skipped tickets; the chain's table
    appended to the job summary file at the end of a chain, when there is one."""

    def __init__(
        self,
        summary_path: Path | None,
        *,
        stream: TextIO | None = None,
        links: Links | None = None,
        redact: Callable[[str], str] | None = None,
    ) -> None:
        self.summary_path = summary_path
        self.stream = stream
        self.links = links or Links()
        self.redact = redact or Redactor()

    @classmethod
    def from_environment(
        cls, environ: Mapping[str, str], stream: TextIO | None = None
    ) -> ActionsNotifier | None:
        """The notifier inside GitHub Actions (GITHUB_ACTIONS=true); None elsewhere."""
        if environ.get("GITHUB_ACTIONS") != "true":
            return None
        summary = environ.get("GITHUB_STEP_SUMMARY") or None
        return cls(
            Path(summary) if summary else None,
            stream=stream,
            links=Links.from_environment(environ),
            redact=Redactor(secret_values(environ)),
        )

    def notify(self, event: Event) -> None:
        line = annotation(event, self.redact)
        if line is not None:
            stream = self.stream or sys.stdout
            stream.write(line + "\n")
            stream.flush()
        elif event.kind == "chain_finished" and event.state is not None and self.summary_path:
            text = summary_markdown(
                event.state, report=event.report, links=self.links, redact=self.redact
            )
            with self.summary_path.open("a", encoding="utf-8") as summary:
                summary.write(text)
