"""An attempt on the terminal, as plain lines: what the agent answered, how the tests ended (their
last lines when they failed), and the findings with their fixes. Briefly under the console's
event line as a run goes; whole in `baton status --ticket` and `--attempts`. Every line starts
with Baton's own words (never an agent's or a path), untrusted text kept on its line."""

from __future__ import annotations

from collections.abc import Callable

from bot.render.terminal import finding_lines, one_line, printable
from bot.state import Attempt, ChainState, TicketState

Redact = Callable[[str], str]

BRIEF_TAIL = 5  # a failing test's last lines under its event
BRIEF_FINDINGS = 5
BRIEF_WIDTH = 160


def _cut(text: str) -> str:
    return text if len(text) <= BRIEF_WIDTH else text[: BRIEF_WIDTH - 1] + "…"


def agent_lines(attempt: Attempt, redact: Redact, *, brief: bool) -> list[str]:
    agent = attempt.agent
    if agent is None:
        return []
    if not agent.ok:
        return [f"agent failed: {one_line(redact(agent.error or 'no reason given'))}"]
    said = [printable(line) for line in redact(agent.summary or "").strip().splitlines()]
    said = [_cut(line) for line in said[:2]] if brief else said
    said = said or ["(no summary)"]
    # Continued lines start with a mark of Baton's too: a log reader may trim the indent.
    return [f"agent said: {said[0]}", *(f"          | {line}" for line in said[1:])]


def validation_lines(attempt: Attempt, redact: Redact, *, brief: bool) -> list[str]:
    validation = attempt.validation
    if validation is None:
        return []
    lines = [f"validation: {one_line(validation.summary())}"]
    command = validation.command
    if command is not None and not command.ok and command.tail.strip():
        tail = redact(command.tail).rstrip().splitlines()
        shown = tail[-BRIEF_TAIL:] if brief else tail
        lines.append(f"tests' last {len(shown)} line(s) of `{one_line(command.command)}`:")
        lines += [f"  | {printable(line)}" for line in shown]
    findings = validation.findings[:BRIEF_FINDINGS] if brief else validation.findings
    lines += [redact(line) for line in finding_lines(findings)]
    if len(validation.findings) > len(findings):
        lines.append(f"… and {len(validation.findings) - len(findings)} more finding(s)")
    return lines


def attempt_lines(attempt: Attempt, redact: Redact, *, brief: bool) -> list[str]:
    return agent_lines(attempt, redact, brief=brief) + validation_lines(
        attempt, redact, brief=brief
    )


def ticket_detail(chain: ChainState, ticket: TicketState, redact: Redact) -> str:
    """One ticket in full: its status and reason, then every attempt, oldest first."""
    title = f" {one_line(redact(ticket.title))}" if ticket.title else ""
    lines = [f"ticket {one_line(ticket.key)} of chain {chain.name}:{title}"]
    lines.append(f"status: {ticket.status}")
    if ticket.reason:
        lines.append(f"reason: {one_line(redact(ticket.reason))}")
    for attempt in ticket.attempts:
        lines += ["", f"attempt {attempt.number} ({attempt.kind}, session {attempt.session}):"]
        body = attempt_lines(attempt, redact, brief=False) or ["no answer recorded"]
        lines += [f"  {line}" for line in body]
    return "\n".join(lines)


def every_attempt(chain: ChainState, redact: Redact) -> str:
    """Every attempt of the chain, ticket by ticket, briefly."""
    lines = [f"chain {chain.name} on {chain.branch}:"]
    for ticket in chain.tickets.values():
        lines.append(f"ticket {one_line(ticket.key)}: {ticket.status}")
        for attempt in ticket.attempts:
            lines.append(f"  attempt {attempt.number} ({attempt.kind}):")
            body = attempt_lines(attempt, redact, brief=True) or ["no answer recorded"]
            lines += [f"    {line}" for line in body]
    return "\n".join(lines)
