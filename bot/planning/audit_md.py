"""The audit as Markdown, for the planner's prompt and for the knowledge base, which keeps it as
`<knowledge.dir>/audits/<date>-<chain>.md`. File names and test output are the repository's, not
Baton's: they stay in their table cell, code span or code block."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from bot.config import Config
from bot.planning.audit import Audit
from bot.planning.routes import Route
from bot.render.markdown import code, code_block, table_cell
from bot.security import Redact

TAIL_LINES = 30  # of the test output: enough to see how it ends, not the whole log
MAX_LISTED = 100  # untested files and routes shown; the rest are counted


def audit_markdown(audit: Audit) -> str:
    short = audit.commit[:12]
    lines = [
        f"# Audit for chain {code(audit.chain)} at {code(short)}",
        "",
        f"Made by Baton from the repository at {code(audit.commit)}, before planning: "
        "what is there, how its tests do, what no test touches, and where requests come in.",
        "",
        "## Layout",
        "",
        f"{audit.files} file{'' if audit.files == 1 else 's'}.",
        "",
        "| directory | files |",
        "| --- | ---: |",
        *(f"| {table_cell(name)} | {count} |" for name, count in audit.layout),
        "",
        "## Languages",
        "",
        "By file extension.",
        "",
        "| language | files |",
        "| --- | ---: |",
        *(f"| {name} | {count} |" for name, count in audit.languages),
        "",
        "## Tests",
        "",
        *_tests(audit),
        "",
        "## Source files no test mentions",
        "",
        *_untested(audit.untested),
        "",
        "## Entry points",
        "",
        *_routes(audit.routes),
    ]
    return "\n".join(lines) + "\n"


def _tests(audit: Audit) -> list[str]:
    if audit.test_command is None or audit.tests is None:
        return ["No test command is configured (`validation.test_command`)."]
    result = audit.tests.result
    if result.timed_out:
        outcome = "timed out"
    elif result.exit_code == 0:
        outcome = "passed (exit 0)"
    else:
        outcome = f"failed (exit {result.exit_code})"
    counts = audit.tests.counts.describe() if audit.tests.counts else ""
    tail = "\n".join(result.tail.splitlines()[-TAIL_LINES:])
    return [
        f"{code(audit.test_command)} at the base commit: {outcome}"
        + (f"; {counts}." if counts else "."),
        *(["", "The end of its output:", "", *code_block(tail)] if tail.strip() else []),
    ]


def _untested(paths: list[str]) -> list[str]:
    if not paths:
        return ["Every source file's module is named by some test."]
    return [
        "No test file names the module of these files (a file counts as touched when a test "
        "file mentions its module's name as a word: a cheap guess, not coverage):",
        "",
        *(f"- {code(path)}" for path in paths[:MAX_LISTED]),
        *([f"- … and {len(paths) - MAX_LISTED} more"] if len(paths) > MAX_LISTED else []),
    ]


def _routes(routes: list[Route]) -> list[str]:
    if not routes:
        return [
            "No HTTP routes found (Express, Flask, FastAPI and Django patterns were looked for)."
        ]
    return [
        "HTTP routes found by pattern (mount prefixes such as `app.use`, `include()` or a "
        "router's prefix are not applied):",
        "",
        "| method | path | framework | where | handler |",
        "| --- | --- | --- | --- | --- |",
        *(
            f"| {r.method} | {code(r.path) if r.path else '(empty)'} | {r.framework} | "
            f"{code(f'{r.file}:{r.line}')} | {code(r.handler) if r.handler else ''} |"
            for r in routes[:MAX_LISTED]
        ),
        *(["", f"… and {len(routes) - MAX_LISTED} more."] if len(routes) > MAX_LISTED else []),
    ]


def audit_path(root: Path, config: Config, chain: str, day: date) -> Path:
    """`<knowledge.dir>/audits/<date>-<chain>.md` in the working copy at `root`."""
    return root / config.knowledge.dir / "audits" / f"{day.isoformat()}-{chain}.md"


def write_audit(audit: Audit, root: Path, config: Config, *, day: date, redact: Redact) -> str:
    """Write the audit's Markdown, redacted (the knowledge base is committed, and the text goes
    to the agent's provider), to `audit_path`; return that text for the planner's prompt."""
    text = redact(audit_markdown(audit))
    path = audit_path(root, config, audit.chain, day)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return text
