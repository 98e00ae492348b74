"""The knowledge base in the target repository's `knowledge/`: rendered from chain state alone
(the Markdown by `bot.render.report`), so writing it again after a crash gives the same files (the changelog entry carries a marker and
is never added twice). The files are committed, so every one is redacted: ticket text, the agent's
words and the tests' output may quote a secret.

status.json schema (version 1):
  schema_version: 1
  chains: {name: {branch, base_branch, base_commit, checkpoint, outcome (passed|blocked|running),
           started_at, finished_at, sessions: [{number, id, backend, reason, started_at}],
           handovers: [{run: {repository, id, attempt}, at, dispatched, error}],
           tickets: [{key, title, status, reason, recovered, corrections, checkpoint,
                      stopped_at, retries: [{by, at, status, reason, after}],
                      attempts: [{number, kind, session, tries, started_at, finished_at, commit,
                                  agent: {ok, session_id, summary, error, cost_usd, duration_s,
                                          input_tokens, output_tokens},
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

from bot.learning import context_with_history
from bot.prompts import Knowledge
from bot.render.report import changelog_with_entry, counts, report_md, status_md
from bot.render.timeline import timeline_svg
from bot.state import SCHEMA_VERSION, Attempt, ChainState, StoreData, TicketState
from bot.workspace import Git, decoded


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


def report_path(chain: ChainState) -> str:
    return f"reports/{chain.started_at:%Y-%m-%d}-{chain.name}.md"


def timeline_path(chain: ChainState) -> str:
    return report_path(chain).removesuffix(".md") + ".svg"


def knowledge_files(
    knowledge_dir: str,
    data: StoreData,
    chain: ChainState,
    changelog: str,
    context: str = "",
    *,
    redact: Callable[[str], str],
) -> dict[str, str]:
    """Every knowledge file a finished chain writes, by repository path: status.json, STATUS.md,
    the chain's report and its timeline, the changelog and the project context (`changelog` and
    `context` are their current texts) with this chain's entries. Redacted by `redact` (the
    run's redactor: the token shapes and the secrets of the environment)."""
    files = {
        "status.json": json.dumps(status_json(data), indent=2, ensure_ascii=False) + "\n",
        "STATUS.md": status_md(data),
        report_path(chain): report_md(chain, timeline_path(chain).removeprefix("reports/")),
        timeline_path(chain): timeline_svg(chain),
        "CHANGELOG.md": changelog_with_entry(changelog, chain),
        "CONTEXT.md": context_with_history(context, chain, counts(chain)),
    }
    return {f"{knowledge_dir}/{name}": redact(_normalise(text)) for name, text in files.items()}


def _normalise(text: str) -> str:
    return re.sub(r"[ \t]+\n", "\n", text)


def read_knowledge(git: Git, commit: str | None, folder: str) -> Knowledge:
    """The project context and conventions as `commit` has them."""
    paths = [f"{folder}/CONTEXT.md", f"{folder}/CONVENTIONS.md"]
    found = git.files_at(commit, paths) if commit else {}
    context, conventions = (decoded(found.get(path)).strip() for path in paths)
    return Knowledge(context=context, conventions=conventions)
