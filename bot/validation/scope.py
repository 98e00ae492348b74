"""Phase 2, the scope check: a ticket changes only what it names, and creates what it promises."""

from __future__ import annotations

from collections.abc import Callable

from bot.globs import is_glob, matches_any
from bot.state import Finding
from bot.tickets import Ticket


def scope_findings(
    ticket: Ticket, changed: list[str], exists: Callable[[str], bool]
) -> list[Finding]:
    """Changed files outside create + modify, and files to create that are missing: both major."""
    findings = [
        Finding(
            rule="scope.outside",
            severity="major",
            file=path,
            message="changed, but the ticket does not name it in files to create or modify",
            hint=f"revert `{path}` (restore or delete it) and make the change inside the ticket's files",
        )
        for path in changed
        if not matches_any(path, ticket.scope)
    ]
    findings += [
        Finding(
            rule="scope.missing",
            severity="major",
            file=path,
            message="the ticket says to create it, but it does not exist",
            hint=f"create `{path}`",
        )
        for path in ticket.files.create
        if not is_glob(path) and not exists(path)
    ]
    return findings
