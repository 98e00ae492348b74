"""The knowledge base in the target repository's `knowledge/`: rendered from chain state alone,
so writing it again after a crash gives the same files (the changelog entry carries a marker and
is never added twice). The files are committed, so every one is redacted: ticket text, the agent's
words and the tests' output may quote a secret.

status.json schema (version 1):
  schema_version: 1
  chains: {name: {branch, base_branch, base_commit, checkpoint, outcome (passed|blocked|running),
           started_at, finished_at, sessions: [{number, id, backend, reason, started_at}],
           handovers: [{run: {repository, id, attempt}, at, dispatched, error}],
           tickets: [{key, title, status, reason, recovered, corrections, checkpoint,
                      attempts: [{number, kind, session, tries, started_at, finished_at, commit,
                                  agent: {ok, session_id, summary, error, cost_usd, duration_s},
                                  validation: {passed, commit, changed_files, finished_at,
                                               command: {command, exit_code, duration_s, timed_out},
                                               findings: [{rule, severity, message, file, line,
                                                           hint}]}}]}]}}
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from bot.handover import handover_lines
from bot.learning import context_with_history
from bot.redact import from_environment
from bot.state import SCHEMA_VERSION, Attempt, ChainState, StoreData, TicketState
from bot.timeline import timeline_svg

CHANGELOG_HEAD = "# Changelog\n\nWritten by Baton after every run, newest first.\n"


def _attempt_json(attempt: Attempt) -> dict[str, Any]:
    data = attempt.model_dump(mode="json", exclude={"validation"})
    if attempt.validation is not None:
        v = attempt.validation
        data["validation"] = {
            "passed": v.passed,
            **v.model_dump(mode="json", exclude={"command"}),
            "command": v.command.model_dump(mode="json", exclude={"tail"}) if v.command else None,
        }
    else:
        data["validation"] = None
    return data


def _ticket_json(ticket: TicketState) -> dict[str, Any]:
    data = ticket.model_dump(mode="json", exclude={"attempts", "base_commit", "spec"})
    data["corrections"] = ticket.corrections
    data["attempts"] = [_attempt_json(a) for a in ticket.attempts]
    return data


def status_json(data: StoreData) -> dict[str, Any]:
    chains = {}
    for name, chain in sorted(data.chains.items()):
        chains[name] = {
            **chain.model_dump(
                mode="json",
                include={
                    "branch",
                    "base_branch",
                    "base_commit",
                    "checkpoint",
                    "started_at",
                    "finished_at",
                },
            ),
            "outcome": chain.outcome,
            "sessions": [s.model_dump(mode="json") for s in chain.sessions],
            "handovers": [h.model_dump(mode="json") for h in chain.handovers],
            "tickets": [_ticket_json(t) for t in chain.tickets.values()],
        }
    return {"schema_version": SCHEMA_VERSION, "chains": chains}


def _counts(chain: ChainState) -> str:
    statuses = [t.status for t in chain.tickets.values()]
    parts = [f"{statuses.count(s)} {s}" for s in ("passed", "blocked", "skipped") if s in statuses]
    running = len(statuses) - sum(statuses.count(s) for s in ("passed", "blocked", "skipped"))
    if running:
        parts.append(f"{running} open")
    return ", ".join(parts) or "no tickets"


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def status_md(data: StoreData) -> str:
    lines = ["# Status", "", "Execution status of every chain Baton has run here.", ""]
    for name, chain in sorted(data.chains.items()):
        lines += [
            f"## Chain `{name}`: {chain.outcome}",
            "",
            f"Branch `{chain.branch}` from `{chain.base_branch}`; {_counts(chain)}.",
            "",
            "| ticket | status | attempts | corrections | note |",
            "| --- | --- | --- | --- | --- |",
        ]
        for t in chain.tickets.values():
            lines.append(
                f"| `{t.key}` {_cell(t.title)} | {t.status} | {len(t.attempts)} | {t.corrections} "
                f"| {_cell(t.reason)} |"
            )
        lines.append("")
    return "\n".join(lines)


def _short(commit: str | None) -> str:
    return f"`{commit[:10]}`" if commit else "-"


def _attempt_lines(attempt: Attempt) -> list[str]:
    agent = attempt.agent
    if agent is None:
        said = "no answer recorded (interrupted)"
    elif agent.ok:
        said = f"agent answered in {agent.duration_s:.1f}s"
    else:
        said = f"agent failed after {agent.duration_s:.1f}s: {agent.error}"
    if agent is not None and agent.cost_usd is not None:
        said += f", cost ${agent.cost_usd:.4f}"
    v = attempt.validation
    verdict = "not validated" if v is None else ("passed" if v.passed else "failed")
    lines = [
        f"- Attempt {attempt.number} ({attempt.kind}, session {attempt.session}): {said}; "
        f"validation {verdict}" + (f": {v.summary()}" if v else "") + "."
    ]
    if v is not None:
        lines += [
            f"  - [{f.severity}] `{f.where}` ({f.rule}): {f.message}"
            + (f". Fix: {f.hint}" if f.hint else "")
            for f in v.findings
        ]
        if v.command is not None and not v.command.ok and v.command.tail.strip():
            tail = "\n".join(v.command.tail.strip().splitlines()[-15:])
            lines += ["", "  ```text", *[f"  {line}" for line in tail.splitlines()], "  ```"]
    return lines


def report_md(chain: ChainState) -> str:
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
    lines = [
        f"# Chain `{chain.name}`, {chain.started_at:%Y-%m-%d}",
        "",
        f"Branch `{chain.branch}` from `{chain.base_branch}` ({_short(chain.base_commit)}). "
        f"Outcome: **{chain.outcome}** ({_counts(chain)}). Sessions: {len(chain.sessions)}. "
        f"Corrections: {sum(t.corrections for t in chain.tickets.values())}. "
        f"Agent and test time: {total:.1f}s"
        + (f". Agent cost: ${sum(costs):.4f}" if costs else "")
        + ".",
        "",
        f"![Timeline: one bar per attempt]({timeline_path(chain).removeprefix('reports/')})",
        "",
        *_handover_section(chain),
        "| ticket | status | attempts | corrections | checkpoint |",
        "| --- | --- | --- | --- | --- |",
    ]
    for t in chain.tickets.values():
        lines.append(
            f"| `{t.key}` {_cell(t.title)} | {t.status} | {len(t.attempts)} | {t.corrections} "
            f"| {_short(t.checkpoint)} |"
        )
    for t in chain.tickets.values():
        lines += ["", f"## `{t.key}` {t.title or ''}".rstrip() + f": {t.status}", ""]
        if t.reason:
            lines += [f"Reason: {t.reason}", ""]
        lines += [line for a in t.attempts for line in _attempt_lines(a)] or ["- No attempts."]
    return "\n".join(lines) + "\n"


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


def report_path(chain: ChainState) -> str:
    return f"reports/{chain.started_at:%Y-%m-%d}-{chain.name}.md"


def timeline_path(chain: ChainState) -> str:
    return report_path(chain).removesuffix(".md") + ".svg"


def changelog_with_entry(existing: str, chain: ChainState) -> str:
    """The changelog with this run's entry on top, unless it is already there."""
    marker = f"<!-- baton:changelog={chain.name}:{chain.started_at:%Y%m%dT%H%M%S} -->"
    if marker in existing:
        return existing
    day = (chain.finished_at or chain.started_at).strftime("%Y-%m-%d")
    entry = [f"## {day}: chain `{chain.name}`, {chain.outcome} ({_counts(chain)})", marker, ""]
    for t in chain.tickets.values():
        note = f": {t.reason}" if t.reason else ""
        entry.append(
            f"- `{t.key}` {t.title or ''}".rstrip()
            + f": {t.status} after {len(t.attempts)} attempt(s){note}"
        )
    body = existing if existing.strip() else CHANGELOG_HEAD
    head, sep, rest = body.partition("\n## ")
    return head.rstrip() + "\n\n" + "\n".join(entry) + "\n" + (f"\n## {rest}" if sep else "")


def knowledge_files(
    knowledge_dir: str,
    data: StoreData,
    chain: ChainState,
    changelog: str,
    context: str = "",
    *,
    redact: Callable[[str], str] | None = None,
) -> dict[str, str]:
    """Every knowledge file a finished chain writes, by repository path: status.json, STATUS.md,
    the chain's report and its timeline, the changelog and the project context (`changelog` and
    `context` are their current texts) with this chain's entries. Redacted by `redact` (default:
    the token shapes and the secrets of the environment)."""
    redact = redact or from_environment()
    files = {
        "status.json": json.dumps(status_json(data), indent=2, ensure_ascii=False) + "\n",
        "STATUS.md": status_md(data),
        report_path(chain): report_md(chain),
        timeline_path(chain): timeline_svg(chain),
        "CHANGELOG.md": changelog_with_entry(changelog, chain),
        "CONTEXT.md": context_with_history(context, chain, _counts(chain)),
    }
    return {f"{knowledge_dir}/{name}": redact(_normalise(text)) for name, text in files.items()}


def _normalise(text: str) -> str:
    return re.sub(r"[ \t]+\n", "\n", text)
