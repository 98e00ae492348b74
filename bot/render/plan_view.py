"""A drafted plan as people read it: what the check looked at (each check passed, failed or
skipped), its problems, and the tickets as a table; for the terminal (rich, every text of the
draft escaped) and for the pull request that hands it over (Markdown)."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from bot.chain_file import ChainFile
from bot.errors import Problem
from bot.planning.plan_check import CHECKS, Check
from bot.render.markdown import code, table_cell
from bot.render.terminal import one_line, printable
from bot.security import Redact
from bot.tickets import Ticket

_MARK = {"passed": "✓", "failed": "✗", "skipped": "-"}
_STYLE = {"passed": "green", "failed": "bold red", "skipped": "dim"}


def not_checked() -> list[Check]:
    """Every check skipped: there was no draft to check."""
    return [Check(name, "skipped") for name in CHECKS]


def checks_lines(checks: list[Check]) -> list[str]:
    """One line of rich markup per check."""
    return [f"[{_STYLE[c.status]}]{_MARK[c.status]}[/] {c.name} ({c.status})" for c in checks]


def problem_lines(problems: list[Problem], redact: Redact) -> list[str]:
    """The problems, one line each, as plain text (they quote the draft)."""
    return [one_line(redact(p.render())) for p in problems]


def _files(ticket: Ticket) -> str:
    parts = [
        f"{word} {len(paths)}"
        for word, paths in (
            ("create", ticket.files.create),
            ("modify", ticket.files.modify),
            ("read", ticket.files.read),
        )
        if paths
    ]
    return ", ".join(parts) or "none"


def tickets_table(chain: ChainFile, redact: Redact) -> Table:
    """The drafted tickets in file order: key, title, files, what each depends on."""
    count = len(chain.tickets)
    title = f"chain {chain.name}: {count} ticket{'s' if count != 1 else ''}"
    table = Table(title=title, title_justify="left")
    for column in ("#", "ticket", "title", "files", "depends on"):
        table.add_column(column, no_wrap=column in {"#", "ticket"})
    for i, ticket in enumerate(chain.tickets, start=1):
        table.add_row(
            str(i),
            escape(printable(str(ticket.key))),
            escape(one_line(redact(ticket.title or ""))),
            _files(ticket),
            escape(one_line(", ".join(ticket.depends_on))) or "-",
        )
    return table


def plan_markdown(goal: str, chain: ChainFile, checks: list[Check], redact: Redact) -> str:
    """The pull request's body: the goal, the tickets, what was checked, and what merging
    does (and does not do)."""
    rows = [
        f"| {i} | {code(str(t.key))} | {table_cell(redact(t.title or ''))} | {_files(t)} | "
        f"{table_cell(', '.join(t.depends_on)) or '-'} |"
        for i, t in enumerate(chain.tickets, start=1)
    ]
    quoted = "\n".join(f"> {table_cell(line, None)}" for line in redact(goal).splitlines())
    lines = [
        f"Baton drafted the chain {code(chain.name)} for this goal:",
        "",
        quoted or "> (no goal text)",
        "",
        "| # | ticket | title | files | depends on |",
        "| --- | --- | --- | --- | --- |",
        *rows,
        "",
        "Checked against the base commit, outside the agent:",
        "",
        *(f"- {_MARK[c.status]} {c.name}" for c in checks),
        "",
        "Nothing runs until a person approves: review the tickets, edit them on this branch, "
        "and merge; then `baton tickets push` makes the issues.",
    ]
    return "\n".join(lines) + "\n"
