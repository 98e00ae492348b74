"""The knowledge base's Markdown, rendered from chain state alone: the chain's report, STATUS.md
and the changelog's entry for a run (with a marker, so it is never added twice).

Ticket titles, agents' words and the tests' output are untrusted: a title stays in its table cell,
test output in its code block. The knowledge writer redacts every file before it is committed.
"""

from __future__ import annotations

from bot.handover import handover_lines
from bot.render.markdown import code, code_block, prose, table_cell
from bot.state import Attempt, ChainState, Retry, StoreData, TicketState

CHANGELOG_HEAD = "# Changelog\n\nWritten by Baton after every run, newest first.\n"
TAIL_LINES = 15  # of a failed test command's output, in the report


def counts(chain: ChainState) -> str:
    """How the chain's tickets stand: `2 passed, 1 blocked, 1 open`."""
    statuses = [t.status for t in chain.tickets.values()]
    parts = [f"{statuses.count(s)} {s}" for s in ("passed", "blocked", "skipped") if s in statuses]
    running = len(statuses) - sum(statuses.count(s) for s in ("passed", "blocked", "skipped"))
    if running:
        parts.append(f"{running} open")
    return ", ".join(parts) or "no tickets"


def _ticket_cell(key: str, title: str | None) -> str:
    return f"{code(key)} {table_cell(title, None)}"


def status_md(data: StoreData) -> str:
    lines = ["# Status", "", "Execution status of every chain Baton has run here.", ""]
    for name, chain in sorted(data.chains.items()):
        lines += [
            f"## Chain {code(name)}: {chain.outcome}",
            "",
            f"Branch {code(chain.branch)} from {code(chain.base_branch)}; {counts(chain)}.",
            "",
            "| ticket | status | attempts | corrections | note |",
            "| --- | --- | --- | --- | --- |",
        ]
        for t in chain.tickets.values():
            lines.append(
                f"| {_ticket_cell(t.key, t.title)} | {t.status} | {len(t.attempts)} "
                f"| {t.corrections} | {table_cell(t.reason, None)} |"
            )
        lines.append("")
    return "\n".join(lines)


def _short(commit: str | None) -> str:
    return code(commit[:10]) if commit else "-"


def _attempt_lines(attempt: Attempt) -> list[str]:
    agent = attempt.agent
    if agent is None:
        said = "no answer recorded (interrupted)"
    elif agent.ok:
        said = f"agent answered in {agent.duration_s:.1f}s"
    else:
        said = f"agent failed after {agent.duration_s:.1f}s: {prose(agent.error or '')}"
    if agent is not None and agent.cost_usd is not None:
        said += f", cost ${agent.cost_usd:.4f}"
    if agent is not None and agent.input_tokens is not None:
        said += f", tokens {agent.input_tokens:,} in, {agent.output_tokens or 0:,} out"
    v = attempt.validation
    verdict = "not validated" if v is None else f"validation {'passed' if v.passed else 'failed'}"
    lines = [
        f"- Attempt {attempt.number} ({attempt.kind}, session {attempt.session}): {said}; "
        f"{verdict}" + (f": {v.summary()}" if v else "") + "."
    ]
    if v is not None:
        lines += [
            f"  - [{f.severity}] {code(f.where)} ({prose(f.rule)}): {prose(f.message)}"
            + (f". Fix: {prose(f.hint)}" if f.hint else "")
            for f in v.findings
        ]
        if v.command is not None and not v.command.ok and v.command.tail.strip():
            tail = "\n".join(v.command.tail.strip().splitlines()[-TAIL_LINES:])
            lines += ["", *code_block(tail, indent="  ")]
    return lines


def _evidence_cell(ticket: TicketState) -> str:
    """The evidence of the ticket's last validated attempt: tests added, mutants noticed,
    coverage."""
    found = next((a.validation.evidence for a in reversed(ticket.attempts) if a.validation), None)
    return table_cell(found.summary()) if found else "-"


def report_md(chain: ChainState, timeline: str) -> str:
    """The chain's report; `timeline` is its SVG timeline's path, relative to the report."""
    total = sum(
        (a.agent.duration_s if a.agent else 0.0)
        + (a.validation.command.duration_s if a.validation and a.validation.command else 0.0)
        for t in chain.tickets.values()
        for a in t.attempts
    )
    costs = [
        a.agent.cost_usd
        for t in chain.tickets.values()
        for a in t.attempts
        if a.agent and a.agent.cost_usd is not None
    ]
    tokens = [t.tokens for t in chain.tickets.values() if t.tokens is not None]
    lines = [
        f"# Chain {code(chain.name)}, {chain.started_at:%Y-%m-%d}",
        "",
        f"Branch {code(chain.branch)} from {code(chain.base_branch)} "
        f"({_short(chain.base_commit)}). "
        f"Outcome: **{chain.outcome}** ({counts(chain)}). Sessions: {len(chain.sessions)}. "
        f"Corrections: {sum(t.corrections for t in chain.tickets.values())}. "
        f"Agent and test time: {total:.1f}s"
        + (f". Agent cost: ${sum(costs):.4f}" if costs else "")
        + (
            f". Agent tokens: {sum(i for i, _ in tokens):,} in, {sum(o for _, o in tokens):,} out"
            if tokens
            else ""
        )
        + ".",
        "",
        f"![Timeline: one bar per attempt]({timeline})",
        "",
        *_handover_section(chain),
        "| ticket | status | attempts | corrections | evidence | checkpoint |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for t in chain.tickets.values():
        lines.append(
            f"| {_ticket_cell(t.key, t.title)} | {t.status} | {len(t.attempts)} "
            f"| {t.corrections} | {_evidence_cell(t)} | {_short(t.checkpoint)} |"
        )
    for t in chain.tickets.values():
        title = prose(t.title or "")
        lines += ["", f"## {code(t.key)} {title}".rstrip() + f": {t.status}", ""]
        if t.reason:
            lines += [f"Reason: {prose(t.reason)}", ""]
        lines += _history(t) or ["- No attempts."]
    return "\n".join(lines) + "\n"


def _history(ticket: TicketState) -> list[str]:
    """The ticket's attempts, each retry where it came between them."""
    lines: list[str] = []
    retries = list(ticket.retries)
    for attempt in ticket.attempts:
        while retries and retries[0].after < attempt.number:
            lines.append(_retry_line(retries.pop(0)))
        lines += _attempt_lines(attempt)
    return lines + [_retry_line(r) for r in retries]


def _retry_line(retry: Retry) -> str:
    why = f": {prose(retry.reason)}" if retry.reason else ""
    return (
        f"- Retried by {prose(retry.by)} at {retry.at:%Y-%m-%d %H:%M} UTC, with a fresh budget "
        f"(it was {retry.status}{why})."
    )


def _handover_section(chain: ChainState) -> list[str]:
    """The jobs the chain ran in, when it needed more than one."""
    lines = handover_lines(chain)
    if not lines:
        return []
    return (
        ["Jobs: the chain continued in a new job when a run's time budget was spent.", ""]
        + [f"- {line}" for line in lines]
        + [""]
    )


def changelog_with_entry(existing: str, chain: ChainState) -> str:
    """The changelog with this run's entry on top, unless it is already there."""
    marker = f"<!-- baton:changelog={chain.name}:{chain.started_at:%Y%m%dT%H%M%S} -->"
    if marker in existing:
        return existing
    day = (chain.finished_at or chain.started_at).strftime("%Y-%m-%d")
    entry = [f"## {day}: chain {code(chain.name)}, {chain.outcome} ({counts(chain)})", marker, ""]
    for t in chain.tickets.values():
        note = f": {prose(t.reason)}" if t.reason else ""
        entry.append(
            f"- {code(t.key)} {prose(t.title or '')}".rstrip()
            + f": {t.status} after {len(t.attempts)} attempt(s){note}"
        )
    body = existing if existing.strip() else CHANGELOG_HEAD
    head, sep, rest = body.partition("\n## ")
    return head.rstrip() + "\n\n" + "\n".join(entry) + "\n" + (f"\n## {rest}" if sep else "")
