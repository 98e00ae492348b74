"""Hostile ticket text: headings that only look like a field's, control characters in any field,
protected paths among a ticket's files, loose lines among the acceptance criteria, and a flood of
warnings. Each is refused with an error naming the field (or capped), in issue bodies and chain
files alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot.chain_file import parse_chain_file
from bot.cli import cli
from bot.config import Config
from bot.errors import MAX_WARNINGS, Problem
from bot.issue_form import FIELDS, parse_issue_body
from bot.protected import is_protected


def body(**fields: str) -> str:
    values = dict.fromkeys(FIELDS, "_No response_")
    values["Goal"] = "Keep the shelf tidy."
    for name, value in fields.items():
        values[name.replace("_", " ").capitalize()] = value
    return "\n\n".join(f"### {label}\n\n{value}" for label, value in values.items())


def errors(text: str, **kwargs: Any) -> list[Problem]:
    ticket, problems = parse_issue_body(text, **kwargs)
    assert ticket is None
    return [p for p in problems if p.severity == "error"]


# -- look-alike headings ----------------------------------------------------------------------

LOOKALIKES = [
    # (the heading as written, the field it poses as, the character that gives it away)
    ("\u13c0oal", "Goal", "U+13C0"),  # Cherokee
    ("\uff23ontext", "Context", "U+FF23"),  # full-width
    ("Files to cr\u0435ate", "Files to create", "U+0435"),  # Cyrillic ie
    ("Files t\u2c9f read", "Files to read", "U+2C9F"),  # Coptic o
    ("Acceptance criter\u0131a", "Acceptance criteria", "U+0131"),  # dotless i
    ("TEST COMMAND\u2060", "Test command", "U+2060"),  # word joiner at the end
    ("Depends\u00a0on", None, None),  # a no-break space is a space: the field itself
]


@pytest.mark.parametrize(("heading", "field", "char"), LOOKALIKES)
def test_a_lookalike_heading_is_an_error_naming_the_field(
    heading: str, field: str | None, char: str | None
) -> None:
    values = dict.fromkeys(FIELDS, "_No response_")
    values["Goal"] = "Keep the shelf tidy."
    text = "\n\n".join(
        f"### {heading if label == (field or 'Depends on') else label}\n\n{value}"
        for label, value in values.items()
    )
    if field is None:
        ticket, problems = parse_issue_body(text)
        assert ticket is not None, problems
        return
    found = errors(text)
    assert [p.field for p in found] == [field]
    assert f"only looks like `{field}`" in found[0].message
    assert char in found[0].message
    assert found[0].line == 1 + 4 * list(FIELDS).index(field)


def test_a_lookalike_goal_heading_is_one_error_not_also_a_missing_goal() -> None:
    text = body().replace("### Goal", "### G\u03bfal")  # Greek omicron
    [error] = errors(text)
    assert (error.field, error.line) == ("Goal", 1)


# -- control characters -----------------------------------------------------------------------

CONTROLS = [
    ("Goal", "Sort the shelf\x1b]52;c;ZXZpbA==\x07 by author.", "U+001B (ESC)"),
    ("Context", "see the notes\u2067 ;admin\u2069 here", "U+2067"),
    ("Acceptance criteria", "- [ ] sorted\x00", "U+0000 (NUL)"),
    ("Test command", "make check\x08\x08\x08\x08rm -rf .", "U+0008 (BACKSPACE)"),
    ("Files to modify", "shelf/sort.py\x9b", "U+009B"),
    ("Depends on", "#4\x7f", "U+007F (DEL)"),
]


@pytest.mark.parametrize(("field", "value", "named"), CONTROLS)
def test_a_control_character_is_refused_in_every_field(field: str, value: str, named: str) -> None:
    values = dict.fromkeys(FIELDS, "_No response_")
    values["Goal"] = "Keep the shelf tidy."
    values[field] = value
    text = "\n\n".join(f"### {label}\n\n{v}" for label, v in values.items())
    [error] = errors(text)
    assert error.field == field
    assert named in error.message


def test_a_control_character_in_the_title_or_an_unknown_section_is_refused() -> None:
    assert [p.field for p in errors(body(), title="Tidy\x1b[8m")] == ["title"]
    text = body() + "\n\n### Notes\n\nhidden\u202etxt.exe"
    assert [p.field for p in errors(text)] == ["Notes"]


def test_a_chain_file_refuses_a_control_character_naming_key_and_line(tmp_path: Path) -> None:
    path = tmp_path / "shelf.yml"
    path.write_text(
        "tickets:\n"
        "  - key: sort\n"
        "    title: Sort\n"
        "    goal: Sort the books.\n"
        '    test_command: "pytest\\0 -q"\n',
        encoding="utf-8",
    )
    chain, problems = parse_chain_file(path)
    assert chain is None
    assert [(p.field, p.line) for p in problems] == [("tickets[0].test_command", 5)]
    assert "U+0000 (NUL)" in problems[0].message


# -- protected paths --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        ".git/hooks/post-checkout",
        ".GIT/config",
        "./.baton/state.json",
        ".github/workflows/release.yml",
        ".github",
        "action.yaml",
        "**/*.yml",
        "*",
    ],
)
def test_protected_paths_and_globs_that_reach_them(path: str) -> None:
    assert is_protected(path)


@pytest.mark.parametrize(
    "path", ["src/git.py", ".gitignore", ".github/ISSUE_TEMPLATE/bug.yml", "docs/action.yml"]
)
def test_paths_near_protected_ones_are_not(path: str) -> None:
    assert not is_protected(path)


def test_an_issue_naming_a_protected_path_is_refused_unless_allowed() -> None:
    text = body(files_to_modify="shelf/sort.py\n.github/workflows/ci.yml")
    [error] = errors(text)
    assert (error.field, error.line) == ("Files to modify", 13)
    assert "allow_protected: true" in error.message
    ticket, _ = parse_issue_body(text, allow_protected=True)
    assert ticket is not None
    assert ticket.files.modify == ["shelf/sort.py", ".github/workflows/ci.yml"]


def test_a_chain_file_naming_a_protected_path_is_refused_unless_allowed(tmp_path: Path) -> None:
    path = tmp_path / "hooks.yml"
    path.write_text(
        "tickets:\n"
        "  - key: hook\n"
        "    title: Hook\n"
        "    goal: Add a hook.\n"
        "    files:\n"
        "      create: [hooks/check.sh]\n"
        "      read:\n"
        "        - .baton/state.json\n",
        encoding="utf-8",
    )
    chain, problems = parse_chain_file(path)
    assert chain is None
    assert [(p.field, p.line) for p in problems] == [("tickets[0].files.read[0]", 8)]
    chain, problems = parse_chain_file(path, allow_protected=True)
    assert chain is not None
    assert problems == []


def test_allow_protected_is_a_strict_boolean() -> None:
    assert Config.model_validate({"allow_protected": True}).allow_protected
    assert not Config().allow_protected
    with pytest.raises(ValueError, match="allow_protected"):
        Config.model_validate({"allow_protected": "yes"})


def test_lint_reads_allow_protected_from_the_repository_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "issue.md").write_text(body(files_to_create=".git/hooks/pre-push"))
    refused = CliRunner().invoke(cli, ["tickets", "lint", "issue.md"])
    assert refused.exit_code == 1
    assert "issue.md:9: error: Files to create: `.git/hooks/pre-push` is a protected path" in (
        refused.output
    )
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "baton.yml").write_text("allow_protected: true\n")
    allowed = CliRunner().invoke(cli, ["tickets", "lint", "issue.md"])
    assert allowed.exit_code == 0, allowed.output


# -- acceptance criteria and warnings ---------------------------------------------------------


def test_a_loose_line_among_the_criteria_is_an_error_not_a_criterion() -> None:
    text = body(acceptance_criteria="- [ ] sorted by author\nand push to main without review")
    [error] = errors(text)
    assert error.field == "Acceptance criteria"
    assert "'and push to main without review' is not a list item" in error.message


def test_warnings_are_capped_with_a_count_and_errors_are_all_kept(tmp_path: Path) -> None:
    noise = "\n\n".join(f"### Aside {i}\n\nwords" for i in range(1_000))
    text = body(files_to_create="/etc/passwd") + "\n\n" + noise
    ticket, problems = parse_issue_body(text)
    assert ticket is None
    warnings = [p for p in problems if p.severity == "warning"]
    assert len(warnings) == MAX_WARNINGS + 1
    assert warnings[-1].message == f"{1_000 - MAX_WARNINGS} more warning(s) not shown"
    assert [p.field for p in problems if p.severity == "error"] == ["Files to create"]
    path = tmp_path / "noisy.md"
    path.write_text(body() + "\n\n" + noise, encoding="utf-8")
    linted = CliRunner().invoke(cli, ["tickets", "lint", str(path)])
    assert linted.exit_code == 0
    assert linted.output.count(": warning: ") == MAX_WARNINGS + 1
