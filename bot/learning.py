"""What a chain teaches the next one: proposed conventions and the project's sprint history.

A rule that failed twice or more in a chain, or a pattern the agent said it adopted (a line
`Convention: …` in its answer), becomes a *proposed* convention with its evidence, appended under
a "Proposed" heading. Baton never rewrites what people wrote: it only appends, and people decide.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from bot.markers import marker, markers_in
from bot.render.markdown import prose
from bot.state import ChainState

PROPOSED = "## Proposed"
HISTORY = "## Sprint history"
_PATTERN = re.compile(
    r"^\s*(?:[-*]\s*)?(?:Convention|Adopted pattern|Pattern)\s*:\s*(?P<text>.+?)\s*$", re.M
)


# Findings of Baton's own checks (the ticket's scope, a missing test command, a malformed rules
# block) say how an attempt went, not how the project is written: an agent whose edits were all
# refused fails `scope.missing` every time, and that is no convention.
_PROCESS_RULES = ("scope.", "tests.", "rules.")


@dataclass(frozen=True)
class Proposal:
    id: str
    text: str
    evidence: list[str] = field(default_factory=list)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def proposals(chain: ChainState) -> list[Proposal]:
    """The conventions this chain suggests, in a stable order."""
    found: dict[str, list[str]] = defaultdict(list)
    messages: dict[str, str] = {}
    for ticket in chain.tickets.values():
        for attempt in ticket.attempts:
            if attempt.validation is None or not (attempt.agent and attempt.agent.ok):
                continue  # only what an agent that did its work ran into teaches anything
            seen: set[str] = set()
            for f in attempt.validation.findings:
                if f.rule.startswith(_PROCESS_RULES):
                    continue
                if f.rule.startswith("evidence.") and f.rule in seen:
                    continue  # ten surviving mutants are one attempt whose tests test too little
                seen.add(f.rule)
                found[f.rule].append(
                    f"`{ticket.key}` attempt {attempt.number}: `{f.where}`: {f.message}"
                )
                messages.setdefault(f.rule, f.hint or f.message)
    out = [
        Proposal(
            id=f"rule-{_slug(rule)}",
            text=f"Rule `{rule}` failed {len(evidence)} times in chain `{chain.name}`; "
            f"state it plainly for the agent: {messages[rule]}",
            evidence=evidence,
        )
        for rule, evidence in sorted(found.items())
        if len(evidence) >= 2
    ]
    for ticket in chain.tickets.values():
        for attempt in ticket.attempts:
            summary = attempt.agent.summary if attempt.agent and attempt.agent.ok else ""
            for m in _PATTERN.finditer(summary):
                text = m.group("text")
                out.append(
                    Proposal(
                        id=f"pattern-{_slug(text)}",
                        text=text,
                        evidence=[
                            f"the agent adopted it in `{ticket.key}` attempt {attempt.number}"
                        ],
                    )
                )
    unique: dict[str, Proposal] = {}
    for p in out:
        unique.setdefault(p.id, p)
    return list(unique.values())


def _marker(proposal_id: str) -> str:
    return marker(f"proposal={proposal_id}")


def conventions_with_proposals(
    existing: str, found: list[Proposal], chain: str
) -> tuple[str, list[str]]:
    """CONVENTIONS.md with the new proposals appended under "Proposed"; returns the text and the
    ids it added (none when every proposal is already there)."""
    present = markers_in(existing)
    new = [p for p in found if f"proposal={p.id}" not in present]
    if not new:
        return existing, []
    text = existing.rstrip() + "\n" if existing.strip() else "# Conventions\n"
    if PROPOSED not in text:
        text += (
            f"\n{PROPOSED}\n\nSuggested by Baton from what its chains ran into. People decide: "
            "move one up to adopt it, delete it to reject it.\n"
        )
    for p in new:
        text += f"\n{_marker(p.id)}\n- {p.text} (from chain `{chain}`)\n"
        text += "".join(f"  - {line}\n" for line in p.evidence[:5])
    return text, [p.id for p in new]


def context_with_history(existing: str, chain: ChainState, counts: str) -> str:
    """CONTEXT.md with this chain added to its sprint history (once)."""
    mark = marker(f"history={chain.name}:{chain.started_at:%Y%m%dT%H%M%S}")
    if mark in existing:
        return existing
    text = (
        existing.rstrip() + "\n"
        if existing.strip()
        else (
            "# Project context\n\nWhat an agent should know about this project. People write the part "
            "above the sprint history; Baton appends to the history after every chain.\n"
        )
    )
    if HISTORY not in text:
        text += f"\n{HISTORY}\n"
    day = (chain.finished_at or chain.started_at).strftime("%Y-%m-%d")
    lines = [f"\n{mark}", f"### {day}: chain `{chain.name}`, {chain.outcome} ({counts})", ""]
    for t in chain.tickets.values():
        lines.append(f"- `{t.key}` {prose(t.title or '')}".rstrip() + f": {t.status}")
    return text + "\n".join(lines) + "\n"
