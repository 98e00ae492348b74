"""The terminal: the console's line per event and the chain's table (rich markup, every untrusted
text escaped so it prints as text), and `baton review`'s output as text, JSON or workflow commands.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from rich.markup import escape
from rich.table import Table

from bot.notify import Event
from bot.render.actions import finding_commands
from bot.state import ChainState, Finding

Redact = Callable[[str], str]

_STYLE = {
    "passed": "green",
    "blocked": "bold red",
    "skipped": "yellow",
    "correcting": "yellow",
    "recovering": "magenta",
    "chain_finished": "bold",
    "handed_over": "cyan",
}


# C0 and C1 controls but tab and LF (ESC starts a terminal sequence), and the bidi controls.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """Control characters shown as `\\x1b` or `\\u202e`: untrusted text cannot drive the terminal."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def one_line(text: str) -> str:
    """`printable`, with LF shown as `\\n` too: untrusted text stays on its line."""
    return printable(text).replace("\n", "\\n")


def event_line(event: Event, when: datetime, redact: Redact) -> str:
    """One event as a line of rich markup: the time, who, what happened and its message."""
    style = _STYLE.get(event.kind, "dim" if event.kind in {"prompt_sent", "agent_replied"} else "")
    who = f"{event.chain}/{event.ticket}" if event.ticket else event.chain
    label = event.kind.replace("_", " ")
    # Ticket keys and messages are untrusted text: printed as text, never as markup, and on one
    # line, so no line of the log starts with their words (a runner reads `::command::` there).
    return (
        f"[dim]{when:%H:%M:%S}[/] {escape(f'{who:<28}')} [{style or 'default'}]{label:<15}[/] "
        f"{escape(one_line(redact(event.message)))}"
    )


def chain_table(chain: ChainState, redact: Redact) -> Table:
    """The chain's tickets: status, attempts, corrections, time and the last result."""
    table = Table(title=f"chain {chain.name} on {chain.branch}", title_justify="left")
    for column in ("ticket", "status", "attempts", "corrections", "time", "result"):
        table.add_column(column, no_wrap=column != "result")
    for t in chain.tickets.values():
        seconds = sum(
            (a.agent.duration_s if a.agent else 0)
            + (a.validation.command.duration_s if a.validation and a.validation.command else 0)
            for a in t.attempts
        )
        last = t.last
        result = t.reason or (last.validation.summary() if last and last.validation else "")
        style = _STYLE.get(t.status, "")
        table.add_row(
            escape(printable(t.key)),
            f"[{style}]{t.status}[/]" if style else t.status,
            str(len(t.attempts)),
            str(t.corrections),
            f"{seconds:.1f}s",
            escape(printable(redact(result))),
        )
    return table


def finding_lines(findings: list[Finding]) -> list[str]:
    """Findings as text; every line starts with Baton's own words, never with a path or a
    message, so a log reader such as GitHub Actions cannot take one for a command."""
    lines = []
    for f in findings:
        lines.append(f"{f.severity} {one_line(f.where)} [{f.rule}] {one_line(f.message)}")
        if f.hint:
            lines.append(f"    fix: {one_line(f.hint)}")
    return lines


def review_output(
    findings: list[Finding], output: str, header: Mapping[str, Any], redact: Redact
) -> str:
    """`baton review`'s output: the findings as text, JSON (with `header`'s fields), or GitHub
    workflow commands, then (but for JSON) a line with the count."""
    majors = sum(f.severity == "major" for f in findings)
    if output == "json":
        data = {
            **header,
            "findings": [f.model_dump(mode="json") for f in findings],
            "major": majors,
            "minor": len(findings) - majors,
        }
        return redact(json.dumps(data, indent=2, ensure_ascii=False))
    lines = finding_commands(findings) if output == "github" else finding_lines(findings)
    summary = f"{majors} major, {len(findings) - majors} minor finding(s)" if findings else None
    lines.append(f"baton review: {summary or 'no findings'}")
    return redact("\n".join(lines))
