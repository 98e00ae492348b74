"""One exception tree for Baton. Every error names its cause and, where it can, the fix.

The CLI catches `BatonError` once and turns it into one line on stderr and a non-zero exit;
adapters wrap library errors (`raise AgentError(...) from exc`) so callers classify by type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One finding about user input: where it is, which field, what is wrong."""

    severity: Severity
    field: str
    message: str
    source: str = "<input>"
    line: int | None = None

    def render(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        return f"{where}: {self.severity}: {self.field}: {self.message}"


MAX_WARNINGS = 20


def cap_warnings(problems: list[Problem], limit: int = MAX_WARNINGS) -> list[Problem]:
    """Every error, and the first `limit` warnings and then one that counts the rest: a body of
    ten thousand unknown headings says so in one line, not ten thousand, on every run."""
    warnings = [p for p in problems if p.severity == "warning"]
    if len(warnings) <= limit:
        return problems
    shown = set(map(id, warnings[:limit]))
    kept = [p for p in problems if p.severity == "error" or id(p) in shown]
    last = warnings[limit]
    more = len(warnings) - limit
    return [*kept, Problem("warning", "body", f"{more} more warning(s) not shown", last.source)]


class BatonError(Exception):
    """Base of every error Baton raises on purpose."""

    exit_code = 1
    # The message is a rendered Problem (`file:line: error: field: …`), which says "error" itself.
    located = False

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}; {self.hint}"

    def line(self) -> str:
        """The one line the CLI prints."""
        return str(self) if self.located else f"error: {self}"


class ConfigError(BatonError):
    """The configuration (file or environment) is wrong or incomplete."""

    @classmethod
    def at(cls, problem: Problem, *, more: str = "", hint: str | None = None) -> ConfigError:
        """The error of a configuration file's `problem`, said as the line that locates it."""
        error = cls(problem.render() + more, hint=hint)
        error.located = True
        return error


class TicketError(BatonError):
    """A ticket (issue body or chain file) does not parse; carries every problem found."""

    located = True

    def __init__(self, problems: list[Problem]) -> None:
        errors = [p for p in problems if p.severity == "error"]
        first = errors[0] if errors else problems[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(first.render() + more)
        self.problems = problems


class ChainError(BatonError):
    """The chain as a whole cannot be planned (a dependency cycle, a missing ticket)."""


class StateError(BatonError):
    """Chain state cannot be read or written."""


class StateConflict(StateError):
    """Someone else saved the state since it was read: re-read and re-plan."""


class WorkspaceError(BatonError):
    """git or a command in the working copy failed."""


class AgentError(BatonError):
    """The coding agent could not be reached or answered with nonsense."""


class HandoverError(BatonError):
    """A new job could not be started for the chain; the message names the fix."""


class ForgeError(BatonError):
    """The forge (GitHub) refused or failed a request. The adapter raises one of the kinds below;
    callers tell them apart by type. `status` is the HTTP status, if any, for the message."""

    def __init__(self, message: str, *, status: int | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status


class NotFound(ForgeError):
    """No such thing there (404), or not any more (410)."""


class Forbidden(ForgeError):
    """The token may not do this (403): a permission the job lacks, a personal token."""


class RateLimited(ForgeError):
    """A rate limit was still spent after waiting as long as a run may wait."""


class Conflict(ForgeError):
    """The thing changed since it was read (409): a write over a stale version."""


class Unprocessable(ForgeError):
    """The request was understood and refused (422): it exists already, it is not a fast
    forward, a field is wrong."""


class ProtectedBranch(ForgeError):
    """The branch takes no direct writes: changes must come as a pull request."""


class Unanswered(ForgeError):
    """No clear answer (a lost connection, a timeout): a write may have happened, so it is
    looked for before it is made again."""


class ServerError(Unanswered):
    """GitHub failed on its side (5xx); a write may have happened all the same."""
