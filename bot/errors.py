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


class BatonError(Exception):
    """Base of every error Baton raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}; {self.hint}"


class ConfigError(BatonError):
    """The configuration (file or environment) is wrong or incomplete."""


class TicketError(BatonError):
    """A ticket (issue body or chain file) does not parse; carries every problem found."""

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


class ForgeError(BatonError):
    """The forge (GitHub) refused or failed a request; `status` is its HTTP status, if any."""

    def __init__(self, message: str, *, status: int | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status
