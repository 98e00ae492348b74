"""Issue-form bodies parsed exactly as GitHub renders them, and what happens with bad ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from github_form import RenderForm, form_fields, render_like_github

from bot.errors import Problem, TicketError
from bot.issue_form import (
    FIELDS,
    MAX_BODY,
    parse_issue_body,
    render_issue_body,
    ticket_from_issue_body,
)
from bot.tickets import Ticket, TicketFiles


def body(*sections: tuple[str, str]) -> str:
    """A body as GitHub writes it: `### label`, a blank line, the value; sections joined by a
    blank line."""
    return "\n\n".join(f"### {label}\n\n{value}" for label, value in sections)


def parse_ok(text: str, **kwargs: Any) -> Ticket:
    ticket, problems = parse_issue_body(text, **kwargs)
    assert ticket is not None, [p.render() for p in problems]
    return ticket


def errors_of(text: str) -> list[Problem]:
    ticket, problems = parse_issue_body(text)
    assert ticket is None
    errors = [p for p in problems if p.severity == "error"]
    assert errors
    return errors


# --- the real form ------------------------------------------------------------------------------


def test_form_labels_are_the_parser_fields_in_order(issue_form: dict[str, Any]) -> None:
    labels = [element["attributes"]["label"] for element in form_fields(issue_form)]
    assert labels == list(FIELDS)


def test_body_rendered_from_the_real_form_parses_every_field(render_form: RenderForm) -> None:
    text = render_form(
        {
            "goal": "Serve one book by id.",
            "context": "The store is in memory.",
            "files-create": "tests/test_books.py",
            "files-modify": "src/bookshelf/api.py\nsrc/bookshelf/store.py",
            "files-read": "docs/api.md",
            "acceptance": "- [ ] GET /books/1 returns 200\n- [ ] GET /books/9 returns 404",
            "test-command": "python -m pytest -q tests/test_books.py",
            "depends-on": "#12",
        }
    )
    ticket, problems = parse_issue_body(text, title="Book by id")
    assert problems == []
    assert ticket == Ticket(
        title="Book by id",
        goal="Serve one book by id.",
        context="The store is in memory.",
        files=TicketFiles(
            create=["tests/test_books.py"],
            modify=["src/bookshelf/api.py", "src/bookshelf/store.py"],
            read=["docs/api.md"],
        ),
        acceptance=["GET /books/1 returns 200", "GET /books/9 returns 404"],
        test_command="python -m pytest -q tests/test_books.py",
        depends_on=["#12"],
    )


def test_body_from_the_real_form_with_only_the_goal_has_empty_optional_fields(
    render_form: RenderForm,
) -> None:
    text = render_form({"goal": "Only a goal."})
    assert text.count("_No response_") == len(FIELDS) - 1
    ticket, problems = parse_issue_body(text)
    assert problems == []
    assert ticket == Ticket(goal="Only a goal.")
    assert ticket.context is None
    assert ticket.files == TicketFiles()
    assert ticket.acceptance == []
    assert ticket.test_command is None
    assert ticket.depends_on == []


def test_form_field_with_render_shell_is_unwrapped(issue_form: dict[str, Any]) -> None:
    form = {**issue_form, "body": [dict(e) for e in issue_form["body"]]}
    for element in form["body"]:
        if element.get("id") == "test-command":
            element["type"] = "textarea"
            element["attributes"] = {**element["attributes"], "render": "shell"}
    text = render_like_github(form, {"goal": "g", "test-command": "make test"})
    assert "```shell\nmake test\n```" in text
    assert parse_ok(text).test_command == "make test"


def test_sample_body_parses(samples: Path) -> None:
    ticket = parse_ok((samples / "full_ticket.md").read_text(encoding="utf-8"))
    assert ticket.goal.startswith("Add a `GET /books/{id}` endpoint")
    assert ticket.context is not None
    assert '```json\n{"id": 1, "title": "Dune"}\n```' in ticket.context
    assert ticket.files.create == ["tests/test_books.py"]
    assert ticket.files.modify == ["src/bookshelf/api.py", "src/bookshelf/store.py"]
    assert ticket.files.read == []
    assert ticket.acceptance == [
        "GET /books/1 returns 200 with the book",
        "GET /books/999 returns 404",
    ]
    assert ticket.depends_on == ["#12", "octo/shelf#3"]


# --- empty fields and line ends -----------------------------------------------------------------


def test_no_response_means_none_for_text_and_empty_for_lists() -> None:
    ticket = parse_ok(
        body(
            ("Goal", "g"),
            ("Context", "_No response_"),
            ("Files to create", "_No response_"),
            ("Acceptance criteria", "_No response_"),
            ("Test command", "_No response_"),
            ("Depends on", "_No response_"),
        )
    )
    assert ticket.context is None
    assert ticket.files.create == []
    assert ticket.acceptance == []
    assert ticket.test_command is None
    assert ticket.depends_on == []


def test_missing_optional_sections_are_empty() -> None:
    assert parse_ok(body(("Goal", "g"))) == Ticket(goal="g")


def test_crlf_inside_user_values_becomes_lf() -> None:
    ticket = parse_ok(
        body(
            ("Goal", "first line\r\nsecond line"),
            ("Context", "a\r\n\r\nb"),
            ("Acceptance criteria", "- [ ] one\r\n- [ ] two"),
            ("Files to modify", "a.py\r\nb.py"),
        )
    )
    assert ticket.goal == "first line\nsecond line"
    assert ticket.context == "a\n\nb"
    assert ticket.acceptance == ["one", "two"]
    assert ticket.files.modify == ["a.py", "b.py"]


def test_whole_crlf_body_parses_like_lf(samples: Path) -> None:
    lf = (samples / "full_ticket.md").read_text(encoding="utf-8")
    crlf = lf.replace("\n", "\r\n")
    assert "\r\n" in crlf
    assert parse_ok(crlf) == parse_ok(lf)


def test_title_key_and_chain_come_from_the_caller() -> None:
    ticket = parse_ok(body(("Goal", "g")), title=" Title ", key="#7", chain="sprint-1")
    assert (ticket.title, ticket.key, ticket.chain) == ("Title", "#7", "sprint-1")


def test_heading_labels_match_case_insensitively_and_allow_closing_hashes() -> None:
    ticket = parse_ok("### GOAL\n\ng\n\n### context ###\n\nc")
    assert (ticket.goal, ticket.context) == ("g", "c")


# --- fences in Context --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("opening", "closing"),
    [("```", "```"), ("~~~", "~~~"), ("```markdown", "```"), ("````md", "````")],
    ids=["backticks", "tildes", "info-string", "four-backticks"],
)
def test_heading_lines_inside_a_closed_fence_are_context_text(opening: str, closing: str) -> None:
    code = f"{opening}\n### Goal\n\n### Files to create\n\n### Installation\n{closing}"
    context = f"An example body:\n\n{code}\n\nThat is all."
    ticket, problems = parse_issue_body(
        body(("Goal", "g"), ("Context", context), ("Files to create", "a.py"))
    )
    assert problems == []
    assert ticket is not None
    assert ticket.goal == "g"
    assert ticket.context == context
    assert ticket.files.create == ["a.py"]


def test_shorter_fence_inside_a_longer_one_does_not_close_it() -> None:
    context = "````\n```\n### Goal\n```\n### Depends on\n````"
    ticket = parse_ok(body(("Goal", "g"), ("Context", context), ("Depends on", "#1")))
    assert ticket.context == context
    assert ticket.depends_on == ["#1"]


def test_backtick_line_with_backtick_info_is_not_a_fence() -> None:
    text = body(("Goal", "g"), ("Context", "```a`b\n### Depends on\n\n#4"))
    ticket = parse_ok(text)
    assert ticket.context == "```a`b"
    assert ticket.depends_on == ["#4"]


def test_unclosed_fence_ends_at_the_next_field_heading() -> None:
    text = body(
        ("Goal", "g"),
        ("Context", "```python\nprint(1)\n### Not a heading inside the fence"),
        ("Files to modify", "src/a.py"),
        ("Depends on", "#3"),
    )
    ticket, problems = parse_issue_body(text)
    assert problems == []
    assert ticket is not None
    assert ticket.context == "```python\nprint(1)\n### Not a heading inside the fence"
    assert ticket.files.modify == ["src/a.py"]
    assert ticket.depends_on == ["#3"]


def test_heading_outside_a_fence_in_context_is_an_unknown_section() -> None:
    ticket, problems = parse_issue_body(body(("Goal", "g"), ("Context", "intro\n\n### Notes\n\nn")))
    assert ticket is not None
    assert ticket.context == "intro\n\n### Notes\n\nn"
    assert [(p.severity, p.field) for p in problems] == [("warning", "Notes")]


# --- lists --------------------------------------------------------------------------------------


def test_acceptance_checkbox_variants() -> None:
    criteria = "- [X] a\n- [x] b\n- [ ] c\n- [] d\n- e\n* g\n1. h\n\n- [ ]\n"
    ticket = parse_ok(body(("Goal", "g"), ("Acceptance criteria", criteria)))
    assert ticket.acceptance == ["a", "b", "c", "d", "e", "g", "h"]


def test_acceptance_line_that_is_no_list_item_is_an_error_quoting_it() -> None:
    # A criterion decides when the ticket passes: prose or a wrapped line is not guessed into one.
    criteria = "- [ ] a\nf\n   wrapped onto a second line\n1) h"
    [error] = errors_of(body(("Goal", "g"), ("Acceptance criteria", criteria)))
    assert (error.field, error.line) == ("Acceptance criteria", 5)
    assert error.message.startswith("'f' is not a list item (and 1 more such line(s))")


def test_paths_one_per_line_with_bullets_and_backticks() -> None:
    paths = "src/a.py\n- src/b.py\n`src/c.py`\n- `src/d.py`\n* ``src/e.py``\n\n  src/**/*.txt  \n"
    ticket = parse_ok(body(("Goal", "g"), ("Files to create", paths), ("Files to read", "- docs/")))
    assert ticket.files.create == [
        "src/a.py",
        "src/b.py",
        "src/c.py",
        "src/d.py",
        "src/e.py",
        "src/**/*.txt",
    ]
    assert ticket.files.read == ["docs/"]
    assert ticket.scope == ticket.files.create


def test_paths_in_a_render_fence_are_unwrapped() -> None:
    ticket = parse_ok(body(("Goal", "g"), ("Files to modify", "```text\na.py\nb.py\n```")))
    assert ticket.files.modify == ["a.py", "b.py"]


def test_depends_on_accepts_references_separated_by_commas_spaces_and_lines() -> None:
    refs = (
        "#12, octo/shelf#3 https://github.com/octo/shelf/issues/7\n"
        "- #13\n"
        "https://github.example.com/a/b/pull/9/,#14"
    )
    ticket = parse_ok(body(("Goal", "g"), ("Depends on", refs)))
    assert ticket.depends_on == [
        "#12",
        "octo/shelf#3",
        "https://github.com/octo/shelf/issues/7",
        "#13",
        "https://github.example.com/a/b/pull/9/",
        "#14",
    ]


@pytest.mark.parametrize(
    "value",
    ["```shell\npytest -q\n```", "```sh\npytest -q\n```", "~~~\npytest -q\n~~~", "pytest -q"],
)
def test_test_command_fence_is_unwrapped(value: str) -> None:
    ticket = parse_ok(body(("Goal", "g"), ("Test command", value)))
    assert ticket.test_command == "pytest -q"


def test_multiline_test_command_in_a_fence_keeps_its_lines() -> None:
    value = "```shell\nmake build\nmake test\n```"
    ticket = parse_ok(body(("Goal", "g"), ("Test command", value)))
    assert ticket.test_command == "make build\nmake test"


# --- bad input ----------------------------------------------------------------------------------


def test_missing_goal_is_an_error_naming_goal() -> None:
    errors = errors_of(body(("Context", "c")))
    assert [(e.field, e.line) for e in errors] == [("Goal", None)]
    assert "missing" in errors[0].message


def test_goal_no_response_is_an_error_naming_goal() -> None:
    errors = errors_of(body(("Goal", "_No response_"), ("Context", "c")))
    assert [(e.field, e.line) for e in errors] == [("Goal", 1)]
    assert "empty" in errors[0].message


def test_blank_goal_is_an_error_naming_goal() -> None:
    assert [e.field for e in errors_of("### Goal\n\n   \n\n### Context\n\nc")] == ["Goal"]


def test_section_twice_is_an_error_naming_it_and_both_lines() -> None:
    errors = errors_of(body(("Goal", "g"), ("Context", "a"), ("Context", "b")))
    assert [(e.field, e.line) for e in errors] == [("Context", 9)]
    assert "appears twice" in errors[0].message
    assert "lines 5 and 9" in errors[0].message


def test_unknown_section_is_a_warning_and_its_text_is_kept_in_context() -> None:
    ticket, problems = parse_issue_body(
        body(("Goal", "g"), ("Context", "c"), ("Screenshots", "see below"))
    )
    assert ticket is not None
    assert ticket.context == "c\n\n### Screenshots\n\nsee below"
    assert [(p.severity, p.field, p.line) for p in problems] == [("warning", "Screenshots", 9)]
    assert "not a field" in problems[0].message


def test_text_before_the_first_heading_is_a_warning_kept_in_context() -> None:
    ticket, problems = parse_issue_body("Hello there\n\n" + body(("Goal", "g")))
    assert ticket is not None
    assert ticket.context == "Hello there"
    assert [(p.severity, p.field) for p in problems] == [("warning", "body")]


@pytest.mark.parametrize("token", ["#abc", "repo#", "12", "owner/repo#x", "https://github.com/a"])
def test_invalid_dependency_is_an_error_naming_the_token(token: str) -> None:
    errors = errors_of(body(("Goal", "g"), ("Depends on", f"#1, {token}")))
    assert [(e.field, e.line) for e in errors] == [("Depends on", 5)]
    assert repr(token) in errors[0].message


def test_every_invalid_dependency_is_reported() -> None:
    errors = errors_of(body(("Goal", "g"), ("Depends on", "#abc repo#")))
    assert [e.field for e in errors] == ["Depends on", "Depends on"]
    assert "'#abc'" in errors[0].message
    assert "'repo#'" in errors[1].message


def test_body_over_the_github_limit_is_an_error() -> None:
    text = body(("Goal", "g" * MAX_BODY))
    errors = errors_of(text)
    assert [e.field for e in errors] == ["body"]
    assert "65,536" in errors[0].message


def test_body_at_the_github_limit_is_accepted() -> None:
    text = body(("Goal", "g"))
    text += " " * (MAX_BODY - len(text))
    assert len(text) == MAX_BODY
    assert parse_ok(text).goal == "g"


@pytest.mark.parametrize(
    ("label", "path", "words"),
    [
        ("Files to create", "/etc/passwd", "absolute"),
        ("Files to modify", "~/notes.txt", "absolute"),
        ("Files to read", "../secrets.txt", ".."),
        ("Files to modify", "src/../../x.py", ".."),
    ],
)
def test_bad_path_is_an_error_naming_the_field(label: str, path: str, words: str) -> None:
    errors = errors_of(body(("Goal", "g"), (label, f"ok.py\n{path}")))
    assert [(e.field, e.line) for e in errors] == [(label, 5)]
    assert words in errors[0].message
    assert path in errors[0].message


def test_all_errors_are_reported_together() -> None:
    errors = errors_of(body(("Files to create", "/abs"), ("Depends on", "#abc")))
    assert {e.field for e in errors} == {"Goal", "Depends on"}


def test_ticket_from_issue_body_raises_ticket_error_with_the_problems() -> None:
    with pytest.raises(TicketError) as caught:
        ticket_from_issue_body(body(("Goal", "_No response_")))
    assert [p.field for p in caught.value.problems] == ["Goal"]
    assert "Goal" in str(caught.value)


def test_ticket_from_issue_body_returns_the_ticket() -> None:
    assert ticket_from_issue_body(body(("Goal", "g")), key="#1").key == "#1"


def test_source_names_where_the_body_came_from() -> None:
    _, problems = parse_issue_body(body(("Context", "c")), source="issue #5")
    assert (
        problems[0].render()
        == "issue #5: error: Goal: is missing; say what the ticket must achieve"
    )


# No clock inside the test (a busy machine is slow at everything): the guard is the timeout, as
# a parse that backtracks over these lines takes minutes, a linear one milliseconds.
@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    "line",
    ["### a" + " " * 60_000 + "x", "### a" + " #" * 30_000, "~~~~x\n" + "~~~\n" * 10_000],
    ids=["spaces", "hashes", "fences"],
)
def test_hostile_lines_parse_in_linear_time(line: str) -> None:
    ticket, _ = parse_issue_body(body(("Goal", "g"), ("Context", line))[:MAX_BODY])
    assert ticket is not None
    assert ticket.goal == "g"


# --- rendering ----------------------------------------------------------------------------------


def test_render_writes_every_field_in_form_order() -> None:
    text = render_issue_body(Ticket(goal="g"))
    headings = [line.removeprefix("### ") for line in text.split("\n") if line.startswith("### ")]
    assert headings == list(FIELDS)
    assert text.count("_No response_") == len(FIELDS) - 1


def test_render_escapes_heading_lines_outside_fences_only() -> None:
    ticket = Ticket(goal="g", context="### Goal\n```\n### Goal\n```")
    text = render_issue_body(ticket)
    assert "\\### Goal\n```\n### Goal\n```" in text
    assert parse_ok(text) == ticket
