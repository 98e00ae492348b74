"""A validated attempt as a check run (its summary, and an annotation per finding on a file), or
as a commit status where check runs cannot be created (a personal token).

Every field is redacted here, with the redactor the caller passes: a forge sends them as they are
(a ticket's title names the check run; a finding's message may quote the change).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from bot.render.comments import validation_body
from bot.render.markdown import cap, one_line
from bot.state import Finding, TicketState

Redact = Callable[[str], str]

MAX_ANNOTATIONS = 50  # per check-run request
NAME_MAX = 100  # GitHub shows about this much of a check run's name
TITLE_MAX = 255  # a check run output's title
DESCRIPTION_MAX = 140  # a commit status's description


@dataclass(frozen=True)
class CheckRunOutput:
    name: str
    conclusion: Literal["success", "failure"]
    title: str
    summary: str
    annotations: list[dict[str, Any]]

    def batches(self) -> list[list[dict[str, Any]]]:
        """Annotations in requests of at most 50, as GitHub requires (at least one request)."""
        items = self.annotations
        return [items[i : i + MAX_ANNOTATIONS] for i in range(0, len(items), MAX_ANNOTATIONS)] or [
            []
        ]


def check_run_name(key: str, title: str | None) -> str:
    name = one_line(f"baton: {key} {title or ''}")
    return name if len(name) <= NAME_MAX else name[: NAME_MAX - 1] + "…"


def annotation(finding: Finding, redact: Redact) -> dict[str, Any]:
    """One finding on a file as a check-run annotation: a failure when major, else a warning."""
    line = finding.line or 1
    return {
        "path": finding.file,
        "start_line": line,
        "end_line": line,
        "annotation_level": "failure" if finding.severity == "major" else "warning",
        "title": redact(finding.rule),
        "message": redact(finding.message + (f"\nFix: {finding.hint}" if finding.hint else "")),
    }


def check_run(ticket: TicketState, title: str | None, redact: Redact) -> CheckRunOutput | None:
    """The check run of the ticket's last validated attempt; None before one."""
    attempt = ticket.last
    if attempt is None or attempt.validation is None:
        return None
    v = attempt.validation
    return CheckRunOutput(
        name=check_run_name(ticket.key, redact(title) if title else None),
        conclusion="success" if v.passed else "failure",
        title=redact(f"attempt {attempt.number}: {v.summary()}")[:TITLE_MAX],
        summary=cap(redact(validation_body(attempt, v))),
        annotations=[annotation(f, redact) for f in v.findings if f.file],
    )


def commit_status(ticket: TicketState, redact: Redact) -> tuple[str, str, str] | None:
    """(context, state, description) for repositories where check runs cannot be created."""
    attempt = ticket.last
    if attempt is None or attempt.validation is None:
        return None
    v = attempt.validation
    description = redact(v.summary())[:DESCRIPTION_MAX]
    return (f"baton/{ticket.key}", "success" if v.passed else "failure", description)
