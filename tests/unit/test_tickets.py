"""The ticket model: normalised text, safe paths, dependency references, scope."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.tickets import Ticket, TicketFiles, is_issue_reference


def test_text_is_normalised_to_lf_without_surrounding_blanks() -> None:
    ticket = Ticket(goal="  a\r\nb\rc  ", context="  \r\n ", title=" t ", test_command=" ")
    assert ticket.goal == "a\nb\nc"
    assert ticket.context is None
    assert ticket.title == "t"
    assert ticket.test_command is None


@pytest.mark.parametrize("goal", ["", "   ", "\r\n"])
def test_empty_goal_is_rejected(goal: str) -> None:
    with pytest.raises(ValidationError, match="goal is empty"):
        Ticket(goal=goal)


def test_acceptance_drops_empty_criteria_and_rejects_multiline_ones() -> None:
    assert Ticket(goal="g", acceptance=[" a ", "", "  "]).acceptance == ["a"]
    with pytest.raises(ValidationError, match="one criterion per line"):
        Ticket(goal="g", acceptance=["a\nb"])


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/etc/passwd", "absolute"),
        ("~/x", "absolute"),
        ("../x", "leaves the repository"),
        ("a/../../x", "leaves the repository"),
        (" a.py", "blanks"),
        ("a.py ", "blanks"),
        ("", "blanks"),
        ("a\tb\x01", "control character"),
        ("- a.py", "list or code markup"),
        ("`a.py`", "list or code markup"),
    ],
)
def test_bad_paths_are_rejected_with_the_reason(path: str, words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        TicketFiles(modify=[path])


def test_scope_is_create_and_modify_not_read() -> None:
    ticket = Ticket(
        goal="g", files=TicketFiles(create=["tests/"], modify=["src/*.py"], read=["docs/"])
    )
    assert ticket.scope == ["tests/", "src/*.py"]
    assert ticket.in_scope("tests/unit/test_a.py")
    assert ticket.in_scope("src/a.py")
    assert not ticket.in_scope("src/pkg/a.py")
    assert not ticket.in_scope("docs/index.md")


@pytest.mark.parametrize(
    "token",
    [
        "#12",
        "octo/shelf#3",
        "octo/shelf.py#3",
        "https://github.com/octo/shelf/issues/7",
        "https://github.example.com/octo/shelf/pull/7/",
    ],
)
def test_issue_references(token: str) -> None:
    assert is_issue_reference(token)


@pytest.mark.parametrize(
    "token",
    [
        "#abc",
        "repo#",
        "12",
        "#",
        "octo/#3",
        "https://github.com/octo/shelf",
        "https://a,b/o/r/issues/1",
    ],
)
def test_not_issue_references(token: str) -> None:
    assert not is_issue_reference(token)


def test_dependencies_are_ticket_keys_or_issue_references() -> None:
    assert Ticket(goal="g", depends_on=["setup", "#3"]).depends_on == ["setup", "#3"]
    with pytest.raises(ValidationError, match="neither a ticket key nor an issue reference"):
        Ticket(goal="g", depends_on=["not a key"])


def test_unknown_fields_are_rejected() -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        Ticket.model_validate({"goal": "g", "priority": 1})


def test_label_is_key_and_title() -> None:
    assert Ticket(goal="g", key="a", title="Do A").label == "a Do A"
    assert Ticket(goal="g").label == "ticket"
