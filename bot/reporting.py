"""What Baton writes on GitHub, rendered from state: the status comment on an issue, the
validation comment and check run on the pull request, the pull request's body. Pure functions:
the forge only sends what these return, so the same findings read the same everywhere.

The check run and the commit status are redacted here, every field of them: a forge sends them as
they are (a ticket's title names the check run; a finding's message may quote the change)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from bot.handover import handover_lines
from bot.markers import marker
from bot.redact import from_environment
from bot.state import Attempt, ChainState, Finding, TicketState, Validation

MAX_TEXT = 65_000  # GitHub allows 65,535 characters in a comment or a check run's text
MAX_ANNOTATIONS = 50  # per check-run request
_ICON = {"passed": "✅", "blocked": "⛔", "skipped": "⏭️", "running": "⏳", "queued": "🕓"}


def _cap(text: str) -> str:
    if len(text) <= MAX_TEXT:
        return text
    return text[: MAX_TEXT - 40].rstrip() + "\n\n… (cut to GitHub's size limit)"


def status_marker(key: str) -> str:
    return marker(f"ticket={key}", "status")


def validation_marker(key: str) -> str:
    return marker(f"ticket={key}", "validation")


def pr_marker(chain: str) -> str:
    return marker(f"chain={chain}", "pr")


def _attempt_row(a: Attempt) -> str:
    if a.agent is None:
        agent = "no answer (interrupted)"
    elif a.agent.ok:
        agent = f"answered in {a.agent.duration_s:.0f}s"
    else:
        agent = f"failed: {(a.agent.error or '').splitlines()[0][:120] if a.agent.error else ''}"
    v = a.validation
    verdict = "-" if v is None else ("passed: " if v.passed else "failed: ") + v.summary()
    return f"| {a.number} | {a.kind} | {agent.replace('|', '/')} | {verdict.replace('|', '/')} |"


def status_comment(chain: ChainState, ticket: TicketState) -> str:
    """The ticket's comment: where it stands and every attempt that ended. It changes only when
    an attempt ends or the ticket does (the labels say the moment-to-moment state), so keeping it
    current costs one write per attempt."""
    ended = ticket.status in {"passed", "blocked", "skipped"}
    shown = ticket.status if ended else "in progress"
    icon = _ICON.get(ticket.status, "🔧") if ended else "🔧"
    lines = [
        status_marker(ticket.key),
        f"{icon} **Baton** · chain `{chain.name}` · this ticket is **{shown}**",
        "",
    ]
    if ticket.reason and ended:
        lines += [f"Reason: {ticket.reason}", ""]
    done = [a for a in ticket.attempts if a.validation or (a.agent and not a.agent.ok)]
    if done:
        lines += ["| attempt | kind | agent | validation |", "| --- | --- | --- | --- |"]
        lines += [_attempt_row(a) for a in done]
        lines.append("")
    where = [f"branch `{chain.branch}`"]
    if ticket.checkpoint:
        where.append(f"checkpoint `{ticket.checkpoint[:10]}`")
    lines.append(" · ".join(where))
    return _cap("\n".join(lines))


def _findings_md(findings: list[Finding]) -> list[str]:
    if not findings:
        return ["No findings."]
    lines = []
    for f in findings:
        hint = f" Fix: {f.hint}" if f.hint else ""
        lines.append(f"- **{f.severity}** `{f.where}` ({f.rule}): {f.message}.{hint}")
    return lines


def validation_body(attempt: Attempt, validation: Validation) -> str:
    verdict = "passed" if validation.passed else "failed"
    lines = [f"Attempt {attempt.number} ({attempt.kind}) {verdict}: {validation.summary()}.", ""]
    command = validation.command
    if command is not None:
        state = "timed out" if command.timed_out else f"exit {command.exit_code}"
        lines += [f"**Tests:** `{command.command}`: {state} in {command.duration_s:.1f}s", ""]
    lines += ["**Findings:**", *_findings_md(validation.findings)]
    if command is not None and not command.ok and command.tail.strip():
        tail = "\n".join(command.tail.strip().splitlines()[-60:])
        lines += [
            "",
            "<details><summary>End of the test output</summary>",
            "",
            "```text",
            tail.replace("```", "``\u200b`"),
            "```",
            "</details>",
        ]
    return "\n".join(lines)


def validation_comment(ticket: TicketState, title: str | None) -> str | None:
    attempt = ticket.last
    if attempt is None or attempt.validation is None:
        return None
    head = f"### Baton validation: {ticket.key} {title or ''}".rstrip()
    body = validation_body(attempt, attempt.validation)
    return _cap(f"{validation_marker(ticket.key)}\n{head}\n\n{body}")


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
    name = f"baton: {key} {title or ''}".rstrip()
    return name if len(name) <= 100 else name[:99] + "…"


def check_run(ticket: TicketState, title: str | None) -> CheckRunOutput | None:
    attempt = ticket.last
    if attempt is None or attempt.validation is None:
        return None
    v = attempt.validation
    redact = from_environment()
    annotations = [
        {
            "path": f.file,
            "start_line": f.line or 1,
            "end_line": f.line or 1,
            "annotation_level": "failure" if f.severity == "major" else "warning",
            "title": redact(f.rule),
            "message": redact(f.message + (f"\nFix: {f.hint}" if f.hint else "")),
        }
        for f in v.findings
        if f.file
    ]
    return CheckRunOutput(
        name=check_run_name(ticket.key, redact(title) if title else None),
        conclusion="success" if v.passed else "failure",
        title=redact(f"attempt {attempt.number}: {v.summary()}")[:255],
        summary=_cap(redact(validation_body(attempt, v))),
        annotations=annotations,
    )


def commit_status(ticket: TicketState) -> tuple[str, str, str] | None:
    """(context, state, description) for repositories where check runs cannot be created."""
    attempt = ticket.last
    if attempt is None or attempt.validation is None:
        return None
    v = attempt.validation
    description = from_environment()(v.summary())[:140]
    return (f"baton/{ticket.key}", "success" if v.passed else "failure", description)


def pr_body(chain: ChainState, numbers: dict[str, int]) -> str:
    lines = [
        pr_marker(chain.name),
        f"Baton works the tickets of chain `{chain.name}` in one agent session and validates each",
        "one itself before the next: the tests must pass and only the ticket's files may change.",
        "",
    ]
    for t in chain.tickets.values():
        tick = "x" if t.status == "passed" else " "
        ref = f"#{numbers[t.key]}" if t.key in numbers else f"`{t.key}`"
        # Only ticks and endings: the body changes when a ticket ends, not at every step.
        ending = f" ({t.status})" if t.status in {"blocked", "skipped"} else ""
        lines.append(f"- [{tick}] {ref} {t.title or ''}".rstrip() + ending)
    handovers = handover_lines(chain)
    if handovers:
        lines += ["", *(f"- {line}" for line in handovers)]
    closes = [f"Closes #{numbers[t.key]}" for t in chain.tickets.values() if t.key in numbers]
    if closes:
        lines += ["", *closes]
    return _cap("\n".join(lines))


def review_marker(key: str, attempt: int) -> str:
    return marker(f"ticket={key}", f"review={attempt}")


def line_review(ticket: TicketState, attempt: Attempt) -> tuple[str, list[dict[str, Any]]] | None:
    """A pull-request review for one validated attempt: its findings that point at a line, as
    comments on those lines. None when no finding has a line."""
    v = attempt.validation
    if v is None:
        return None
    on_lines = [f for f in v.findings if f.file and f.line]
    if not on_lines:
        return None
    comments = [
        {
            "path": f.file,
            "line": f.line,
            "side": "RIGHT",
            "body": f"**{f.severity}** ({f.rule}): {f.message}."
            + (f"\n\nFix: {f.hint}" if f.hint else ""),
        }
        for f in on_lines
    ]
    majors = sum(f.severity == "major" for f in on_lines)
    body = (
        f"{review_marker(ticket.key, attempt.number)}\nBaton's review of `{ticket.key}`, attempt "
        f"{attempt.number}: {majors} major, {len(on_lines) - majors} minor finding(s) on lines of "
        "this change." + (" A correction was sent to the agent." if majors else "")
    )
    return _cap(body), comments
