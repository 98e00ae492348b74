"""The ticket: one unit of work, whatever it was written in (an issue form or a chain file)."""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.globs import matches_any
from bot.lookalikes import forbidden_char
from bot.security import has_invisible, visible_text

KEY_PATTERN = r"[A-Za-z0-9#][A-Za-z0-9._#/-]{0,99}"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

# Dependency references written in an issue: `#12`, `owner/repo#3`, or an issue URL.
_REF_PATTERNS = (
    re.compile(r"#(?P<number>\d+)"),
    re.compile(r"(?P<owner>[A-Za-z0-9][\w.-]*)/(?P<repo>[\w.-]+)#(?P<number>\d+)"),
    re.compile(
        r"https?://[^/\s,]+/(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+)/(?:issues|pull)/(?P<number>\d+)/?"
    ),
)


def is_issue_reference(token: str) -> bool:
    return any(p.fullmatch(token) for p in _REF_PATTERNS)


def normalize_text(value: str) -> str:
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def well_formed(value: Any) -> Any:
    """`value` with every lone surrogate in its strings replaced by U+FFFD. JSON can carry one
    (`"\\ud800"` in an issue body), and no UTF-8 file or request can: such a ticket could never
    be saved."""
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, list):
        return [well_formed(v) for v in value]
    if isinstance(value, dict):
        return {k: well_formed(v) for k, v in value.items()}
    return value


def _no_controls(value: str) -> str:
    """`value`, refused when it holds a control or bidi character: it would hide text from the
    person reading the ticket, or act on a terminal that shows it."""
    char = forbidden_char(value)
    if char:
        raise ValueError(f"has the control character {char}; remove it")
    return value


def _check_path(value: str) -> str:
    if value != value.strip() or not value:
        raise ValueError(f"path {value!r} has leading or trailing blanks")
    if _CONTROL.search(value) or "\n" in value:
        raise ValueError(f"path {value!r} has a control character")
    if has_invisible(value):
        raise ValueError(
            f"path {value!r} has an invisible character (zero-width or bidi); type the path again"
        )
    if value.startswith(("- ", "* ", "`")):
        raise ValueError(f"path {value!r} starts with list or code markup; write the bare path")
    path = PurePosixPath(value)
    if path.is_absolute() or value.startswith("~"):
        raise ValueError(f"path {value!r} is absolute; use a path relative to the repository root")
    if ".." in path.parts:
        raise ValueError(f"path {value!r} leaves the repository (`..`); stay inside it")
    return value


RepoPath = Annotated[str, AfterValidator(_check_path)]


class TicketFiles(BaseModel):
    """The files a ticket may create or modify (its scope) and those it should read."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    # Checked one by one, so that an error names the item (`files.modify[2]`) and its line.
    create: list[RepoPath] = Field(default_factory=list)
    modify: list[RepoPath] = Field(default_factory=list)
    read: list[RepoPath] = Field(default_factory=list)

    _well_formed = model_validator(mode="before")(well_formed)


class Ticket(BaseModel):
    """A ticket as Baton works it. Text is normalised (LF line ends, no surrounding blanks)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    key: str | None = Field(default=None, pattern=f"^{KEY_PATTERN}$")
    title: str | None = None
    goal: str
    context: str | None = None
    files: TicketFiles = Field(default_factory=TicketFiles)
    acceptance: list[str] = Field(default_factory=list)
    test_command: str | None = None
    depends_on: list[str] = Field(default_factory=list)
    chain: str | None = None

    _well_formed = model_validator(mode="before")(well_formed)

    @field_validator("goal")
    @classmethod
    def _goal(cls, value: str) -> str:
        value = _no_controls(normalize_text(value))
        if not value:
            raise ValueError("the goal is empty; say what the ticket must achieve")
        if not visible_text(value).strip():
            raise ValueError(
                "the goal holds only hidden text (an HTML comment or invisible characters), "
                "so people see it empty; say what the ticket must achieve"
            )
        return value

    @field_validator("title", "context", "test_command")
    @classmethod
    def _optional_text(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return _no_controls(normalize_text(value)) or None

    @field_validator("acceptance")
    @classmethod
    def _criteria(cls, values: list[str]) -> list[str]:
        cleaned = [_no_controls(normalize_text(v)) for v in values]
        for item in cleaned:
            if "\n" in item:
                raise ValueError(f"criterion {item!r} spans lines; write one criterion per line")
        return [item for item in cleaned if item]

    @field_validator("depends_on")
    @classmethod
    def _deps(cls, values: list[str]) -> list[str]:
        for item in values:
            _no_controls(item)
            if not re.fullmatch(KEY_PATTERN, item) and not is_issue_reference(item):
                raise ValueError(
                    f"dependency {item!r} is neither a ticket key nor an issue reference"
                )
        return values

    @property
    def scope(self) -> list[str]:
        """What the ticket may change: files to create and to modify."""
        return [*self.files.create, *self.files.modify]

    def in_scope(self, path: str) -> bool:
        return matches_any(path, self.scope)

    @property
    def label(self) -> str:
        """A short name for people: the key and the title."""
        name = self.key or "ticket"
        return f"{name} {self.title}" if self.title else name
