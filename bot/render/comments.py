"""What Baton writes on GitHub as Markdown: the status comment on an issue, the validation
comment and the line review on the pull request, and the pull request's body. Each carries a
hidden marker, so the forge finds its own comment again and rewrites it instead of adding one.
"""

from __future__ import annotations

from typing import Any

from bot.handover import handover_lines
from bot.markers import marker
from bot.render.markdown import cap, code, code_block, prose, table_cell
from bot.render.timeline import timeline_text
from bot.state import Attempt, ChainState, Finding, TicketState, Validation

_ICON = {"passed": "✅", "blocked": "⛔", "skipped": "⏭️", "running": "⏳", "queued": "🕓"}
TAIL_LINES = 60  # of a failed test command's output, in the validation comment


def status_marker(key: str) -> str:
    return marker(f"ticket={key}", "status")


def validation_marker(key: str) -> str:
    return marker(f"ticket={key}", "validation")


def pr_marker(chain: str) -> str:
    return marker(f"chain={chain}", "pr")


def review_marker(key: str, attempt: int) -> str:
    return marker(f"ticket={key}", f"review={attempt}")


def _attempt_row(a: Attempt) -> str:
    if a.agent is None:
        agent = "no answer (interrupted)"
    elif a.agent.ok:
        agent = f"answered in {a.agent.duration_s:.0f}s"
    else:
        agent = f"failed: {(a.agent.error or '').splitlines()[0][:120] if a.agent.error else ''}"
    v = a.validation
    verdict = "-" if v is None else ("passed: " if v.passed else "failed: ") + v.summary()
    return f"| {a.number} | {a.kind} | {table_cell(agent)} | {table_cell(verdict)} |"


def status_comment(chain: ChainState, ticket: TicketState) -> str:
    """The ticket's comment: where it stands and every attempt that ended. It changes only when
    an attempt ends or the ticket does (the labels say the moment-to-moment state), so keeping it
    current costs one write per attempt."""
    ended = ticket.status in {"passed", "blocked", "skipped"}
    shown = ticket.status if ended else "in progress"
    icon = _ICON.get(ticket.status, "🔧") if ended else "🔧"
    lines = [
        status_marker(ticket.key),
        f"{icon} **Baton** · chain {code(chain.name)} · this ticket is **{shown}**",
        "",
    ]
    if ticket.reason and ended:
        lines += [f"Reason: {prose(ticket.reason)}", ""]
    done = [a for a in ticket.attempts if a.validation or (a.agent and not a.agent.ok)]
    if done:
        lines += ["| attempt | kind | agent | validation |", "| --- | --- | --- | --- |"]
        lines += [_attempt_row(a) for a in done]
        lines.append("")
    where = [f"branch {code(chain.branch)}"]
    if ticket.checkpoint:
        where.append(f"checkpoint {code(ticket.checkpoint[:10])}")
    lines.append(" · ".join(where))
    return cap("\n".join(lines))


def finding_items(findings: list[Finding]) -> list[str]:
    """Findings as a Markdown list, one item each."""
    if not findings:
        return ["No findings."]
    lines = []
    for f in findings:
        hint = f" Fix: {prose(f.hint)}" if f.hint else ""
        lines.append(
            f"- **{f.severity}** {code(f.where)} ({prose(f.rule)}): {prose(f.message)}.{hint}"
        )
    return lines


def validation_body(attempt: Attempt, validation: Validation) -> str:
    """The verdict, the test command and the findings of one validated attempt."""
    verdict = "passed" if validation.passed else "failed"
    lines = [f"Attempt {attempt.number} ({attempt.kind}) {verdict}: {validation.summary()}.", ""]
    command = validation.command
    if command is not None:
        state = "timed out" if command.timed_out else f"exit {command.exit_code}"
        lines += [f"**Tests:** {code(command.command)}: {state} in {command.duration_s:.1f}s", ""]
    lines += ["**Findings:**", *finding_items(validation.findings)]
    if command is not None and not command.ok and command.tail.strip():
        tail = "\n".join(command.tail.strip().splitlines()[-TAIL_LINES:])
        lines += [
            "",
            "<details><summary>End of the test output</summary>",
            "",
            *code_block(tail),
            "</details>",
        ]
    return "\n".join(lines)


def validation_comment(ticket: TicketState, title: str | None) -> str | None:
    """The pull request's comment on the ticket's last validated attempt; None before one."""
    attempt = ticket.last
    if attempt is None or attempt.validation is None:
        return None
    head = f"### Baton validation: {ticket.key} {prose(title or '')}".rstrip()
    body = validation_body(attempt, attempt.validation)
    return cap(f"{validation_marker(ticket.key)}\n{head}\n\n{body}")


def pr_body(chain: ChainState, numbers: dict[str, int]) -> str:
    """The chain's pull request: a task list of its tickets, its jobs, and what it closes."""
    lines = [
        pr_marker(chain.name),
        f"Baton works the tickets of chain {code(chain.name)} in one agent session and validates "
        "each",
        "one itself before the next: the tests must pass and only the ticket's files may change.",
        "",
    ]
    for t in chain.tickets.values():
        tick = "x" if t.status == "passed" else " "
        ref = f"#{numbers[t.key]}" if t.key in numbers else code(t.key)
        # Only ticks and endings: the body changes when a ticket ends, not at every step.
        ending = f" ({t.status})" if t.status in {"blocked", "skipped"} else ""
        lines.append(f"- [{tick}] {ref} {prose(t.title or '')}".rstrip() + ending)
    handovers = handover_lines(chain)
    if handovers:
        lines += ["", *(f"- {line}" for line in handovers)]
    if chain.finished and any(t.attempts for t in chain.tickets.values()):
        # Once, at the end: the body is written when the chain's tickets end, not every step.
        chart = code_block(timeline_text(chain))
        lines += ["", "<details><summary>Timeline: one bar per attempt</summary>", "", *chart]
        lines += ["", "</details>"]
    closes = [f"Closes #{numbers[t.key]}" for t in chain.tickets.values() if t.key in numbers]
    if closes:
        lines += ["", *closes]
    return cap("\n".join(lines))


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
            "body": f"**{f.severity}** ({prose(f.rule)}): {prose(f.message)}."
            + (f"\n\nFix: {prose(f.hint)}" if f.hint else ""),
        }
        for f in on_lines
    ]
    majors = sum(f.severity == "major" for f in on_lines)
    body = (
        f"{review_marker(ticket.key, attempt.number)}\nBaton's review of {code(ticket.key)}, "
        f"attempt {attempt.number}: {majors} major, {len(on_lines) - majors} minor finding(s) on "
        "lines of this change." + (" A correction was sent to the agent." if majors else "")
    )
    return cap(body), comments
