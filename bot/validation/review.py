"""Phase 2, the convention review: the ticket's scope and the rules of CONVENTIONS.md, checked on
what a change added. A violation already there before the change is never reported; every finding
points at an added or changed line (or at the file, or at the change as a whole for `size`).

The rules are read from the BASE commit: the change under review cannot rewrite its own rules.

    conventions = load_conventions(git, base, config.review.conventions)
    findings = review_change(git, base, head, ticket, conventions.rules)
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Protocol

from pydantic import ValidationError

from bot.config import Config
from bot.errors import ConfigError, Problem
from bot.globs import matches, matches_any
from bot.state import Finding
from bot.tickets import Ticket
from bot.validation.diff import Change, FileChange, files_at, read_change, read_file_at
from bot.validation.imports import PYTHON, SCRIPT, Import, imports_in, source_matches
from bot.validation.rules import (
    ForbiddenPathsRule,
    ImportsRule,
    PathRule,
    PatternsRule,
    Rule,
    SizeRule,
    conventions_prose,
    parse_rules,
)
from bot.validation.scope import scope_findings
from bot.workspace import Git
from bot.yaml_source import parse_yaml, validation_problems

CONFIG_PATH = ".github/baton.yml"

# (ref, path) -> the file's text at that ref, or None.
Reader = Callable[[str, str], str | None]


class ChangeReviewer(Protocol):
    """A reviewer beside the rules (the LLM reviewer): it never raises, its findings are data."""

    def review(self, conventions: str, change: Change) -> list[Finding]: ...


@dataclass(frozen=True)
class Conventions:
    path: str
    text: str | None  # None when the file does not exist at the ref
    rules: list[Rule]
    problems: list[Problem]

    @property
    def prose(self) -> str:
        return conventions_prose(self.text) if self.text else ""


def load_conventions(git: Git, ref: str, path: str) -> Conventions:
    """CONVENTIONS.md as `ref` has it; a missing file has no rules."""
    found = git.files_at(ref, [path])[path]  # the same base for every ticket of a chain: read once
    if found is None:
        return Conventions(path, None, [], [])
    text = found.decode("utf-8", "replace")
    rules, problems = parse_rules(text, path)
    return Conventions(path, text, rules, problems)


def load_rules(git: Git, ref: str, path: str) -> tuple[list[Rule], list[Problem]]:
    conventions = load_conventions(git, ref, path)
    return conventions.rules, conventions.problems


def config_at(git: Git, ref: str, path: str = CONFIG_PATH) -> Config:
    """Baton's configuration as `ref` has it (all defaults when the file is absent there)."""
    text = read_file_at(git, ref, path)
    if text is None:
        return Config()
    source = f"{path} (at {ref})"
    doc, problems = parse_yaml(text, source)
    if doc is not None and doc.data is None:
        return Config()
    if doc is not None and not isinstance(doc.data, dict):
        problems = [Problem("error", "(top)", "must be a mapping of settings", source, 1)]
    elif doc is not None:
        try:
            return Config.model_validate(doc.data)
        except ValidationError as exc:
            problems = validation_problems(exc, doc, Config)
    raise ConfigError.at(problems[0], hint=f"fix {path} on the base branch")


def review_change(
    git: Git,
    base: str,
    head: str,
    ticket: Ticket | None,
    rules: Sequence[Rule],
    *,
    llm: ChangeReviewer | None = None,
    conventions: str = "",
) -> list[Finding]:
    """Every finding of phase 2 for the change `base..head` (commits or refs of `git`).

    With a ticket, files outside its scope and files it promises but that are missing are major
    findings, and naming a forbidden path in its scope lifts that rule for the path. With `llm`,
    its findings (given the conventions' prose) join the rule findings."""
    return review(
        git, read_change(git, base, head), ticket, rules, llm=llm, conventions=conventions
    )


def review(
    git: Git,
    change: Change,
    ticket: Ticket | None,
    rules: Sequence[Rule],
    *,
    llm: ChangeReviewer | None = None,
    conventions: str = "",
) -> list[Finding]:
    """`review_change` of a change already read (`read_change`)."""
    findings: list[Finding] = []
    if ticket is not None:
        findings += scope_findings(ticket, change.paths, exists=_at_head(git, change))
    findings += check_rules(change, rules, ticket, lambda ref, path: read_file_at(git, ref, path))
    if llm is not None:
        findings += llm.review(conventions, change)
    return sort_findings(findings)


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """File, line, rule: the order people read a diff in (findings about the change come first)."""
    return sorted(findings, key=lambda f: (f.file or "", f.line or 0, f.rule, f.message))


def _at_head(git: Git, change: Change) -> Callable[[str], bool]:
    """Whether a path (a file, or a directory holding one) is there at the change's head. The
    change's own files answer most questions; the head's tree is listed for the others."""
    changed = {f.path for f in change.files if f.status != "deleted"}
    listed = functools.cache(lambda: files_at(git, change.head))
    return lambda path: _exists(changed, path) or _exists(listed(), path)


def _exists(present: set[str], path: str) -> bool:
    path = path.rstrip("/")
    return path in present or any(p.startswith(path + "/") for p in present)


def check_rules(
    change: Change, rules: Sequence[Rule], ticket: Ticket | None, read: Reader
) -> list[Finding]:
    """The findings of every rule on `change`; `read(ref, path)` gives a file's text at a ref."""
    findings: list[Finding] = []
    for rule in rules:
        if isinstance(rule, ForbiddenPathsRule):
            findings += _forbidden_paths(rule, change, ticket)
        elif isinstance(rule, PathRule):
            findings += _path(rule, change)
        elif isinstance(rule, ImportsRule):
            findings += _imports(rule, change, read)
        elif isinstance(rule, PatternsRule):
            findings += _patterns(rule, change, read)
        else:
            findings += _size(rule, change)
    return findings


def _finding(rule: Rule, message: str, file: str | None, line: int | None) -> Finding:
    return Finding(
        rule=rule.id, severity=rule.severity, message=message, file=file, line=line, hint=rule.hint
    )


def _first_added(change: FileChange | None) -> int | None:
    return min(change.added) if change is not None and change.added else None


def _listed(items: Iterable[str]) -> str:
    return ", ".join(f"`{item}`" for item in items)


def _selected(path: str, applies_to: list[str], exclude: list[str]) -> bool:
    return (not applies_to or matches_any(path, applies_to)) and not matches_any(path, exclude)


# --- forbidden_paths ----------------------------------------------------------------------------


def _lifted(rule: ForbiddenPathsRule, path: str, ticket: Ticket | None) -> bool:
    """The ticket names the path, or a glob inside the forbidden area (not a catch-all)."""
    if ticket is None:
        return False
    return any(matches(path, entry) and matches_any(entry, rule.paths) for entry in ticket.scope)


def _forbidden_paths(
    rule: ForbiddenPathsRule, change: Change, ticket: Ticket | None
) -> list[Finding]:
    return [
        _finding(rule, rule.message, path, _first_added(change.file(path)))
        for path in change.paths
        if matches_any(path, rule.paths) and not _lifted(rule, path, ticket)
    ]


# --- path ---------------------------------------------------------------------------------------


def _path(rule: PathRule, change: Change) -> list[Finding]:
    return [
        _finding(
            rule, f"{rule.message} (allowed: {_listed(rule.allowed)})", f.path, _first_added(f)
        )
        for f in change.files
        if f.is_new
        and _selected(f.path, rule.applies_to, rule.exclude)
        and not matches_any(f.path, rule.allowed)
    ]


# --- patterns -----------------------------------------------------------------------------------


def _patterns(rule: PatternsRule, change: Change, read: Reader) -> list[Finding]:
    findings: list[Finding] = []
    forbid = [(p.shown, p.compile()) for p in rule.forbid]
    require = [(p.shown, p.compile()) for p in rule.require]
    for f in change.files:
        if (
            f.status == "deleted"
            or f.binary
            or not _selected(f.path, rule.applies_to, rule.exclude)
        ):
            continue
        for number, text in sorted(f.added.items()):
            findings += [
                _finding(rule, f"{rule.message} (found `{shown}`)", f.path, number)
                for shown, regex in forbid
                if regex.search(text)
            ]
        if not require:
            continue
        content = read(change.head, f.path) or ""
        missing = [(shown, regex) for shown, regex in require if not regex.search(content)]
        if missing and f.status != "added":
            # A file that never had it is an old gap, not this change's doing.
            before = read(change.base, f.old_path or f.path) or ""
            missing = [(shown, regex) for shown, regex in missing if regex.search(before)]
        findings += [
            _finding(rule, f"{rule.message} (missing `{shown}`)", f.path, _first_added(f))
            for shown, _ in missing
        ]
    return findings


# --- size ---------------------------------------------------------------------------------------


def _size(rule: SizeRule, change: Change) -> list[Finding]:
    counted = [f for f in change.files if _selected(f.path, rule.applies_to, rule.exclude)]
    lines = sum(f.changed_lines for f in counted)
    findings = []
    if rule.max_changed_files is not None and len(counted) > rule.max_changed_files:
        detail = f"{len(counted)} files changed; at most {rule.max_changed_files}"
        findings.append(_finding(rule, f"{rule.message} ({detail})", None, None))
    if rule.max_changed_lines is not None and lines > rule.max_changed_lines:
        detail = f"{lines} lines changed; at most {rule.max_changed_lines}"
        findings.append(_finding(rule, f"{rule.message} ({detail})", None, None))
    return findings


# --- imports ------------------------------------------------------------------------------------


def _imports(rule: ImportsRule, change: Change, read: Reader) -> list[Finding]:
    findings: list[Finding] = []
    for f in change.files:
        if f.status == "deleted" or not f.added or f.binary:
            continue
        if not f.path.endswith(PYTHON + SCRIPT):
            continue
        if not _selected(f.path, rule.applies_to, rule.exclude):
            continue
        for imp in imports_in(f.path, read(change.head, f.path) or ""):
            touched = [n for n in range(imp.start, imp.end + 1) if n in f.added]
            if touched:  # an import the change did not touch is not its doing
                findings += _import_findings(rule, imp, f.path, touched[0])
    return findings


def _import_findings(rule: ImportsRule, imp: Import, path: str, line: int) -> list[Finding]:
    out: list[Finding] = []
    banned = [p for p in rule.forbid if source_matches(imp, p)]
    if banned:
        out.append(_finding(rule, f"{rule.message} (imports `{imp.shown}`)", path, line))
    selected = not rule.names or any(
        fnmatchcase(name, glob) for name in imp.names for glob in rule.names
    )
    if (
        rule.require_from
        and selected
        and not any(source_matches(imp, p) for p in rule.require_from)
    ):
        detail = f"imports `{imp.shown}`; take it from {_listed(rule.require_from)}"
        out.append(_finding(rule, f"{rule.message} ({detail})", path, line))
    if rule.forbid_relative_depth is not None and imp.up >= rule.forbid_relative_depth:
        detail = f"`{imp.shown}` climbs {imp.up} directories"
        out.append(_finding(rule, f"{rule.message} ({detail})", path, line))
    return out
