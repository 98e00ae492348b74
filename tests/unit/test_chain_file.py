"""Chain files, `tickets/<chain>.yml`: what a valid one gives, and how bad ones are reported."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.chain_file import load_chain_dir, load_chain_file, parse_chain_file, unfit_for_branch
from bot.errors import Problem, TicketError
from bot.forge.names import slug
from bot.tickets import Ticket, TicketFiles

GOOD = """\
chain: books
description: Endpoints for books.
tickets:
  - key: list
    title: List books
    goal: |
      GET /books returns every book.
    files:
      create: [tests/test_list.py]
      modify:
        - src/api.py
    acceptance:
      - returns 200
    test_command: pytest -q tests/test_list.py
  - key: get
    title: Get one book
    goal: GET /books/1 returns the book.
    depends_on: [list]
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(tmp_path: Path, text: str, name: str = "chain.yml") -> list[Problem]:
    chain, problems = parse_chain_file(write(tmp_path, name, text))
    assert chain is None
    assert problems
    return problems


def where(problems: list[Problem]) -> list[tuple[str, int | None]]:
    return [(p.field, p.line) for p in problems]


def test_valid_chain_file(tmp_path: Path) -> None:
    chain, problems = parse_chain_file(write(tmp_path, "file-name.yml", GOOD))
    assert problems == []
    assert chain is not None
    assert chain.name == "books"
    assert chain.description == "Endpoints for books."
    assert chain.path == str(tmp_path / "file-name.yml")
    assert chain.tickets == [
        Ticket(
            key="list",
            title="List books",
            chain="books",
            goal="GET /books returns every book.",
            files=TicketFiles(create=["tests/test_list.py"], modify=["src/api.py"]),
            acceptance=["returns 200"],
            test_command="pytest -q tests/test_list.py",
        ),
        Ticket(
            key="get",
            title="Get one book",
            chain="books",
            goal="GET /books/1 returns the book.",
            depends_on=["list"],
        ),
    ]


def test_chain_name_defaults_to_the_file_name(tmp_path: Path) -> None:
    text = GOOD.replace("chain: books\n", "")
    chain = load_chain_file(write(tmp_path, "sprint-3.yml", text))
    assert chain.name == "sprint-3"
    assert {t.chain for t in chain.tickets} == {"sprint-3"}


def test_unknown_key_names_the_path_line_and_near_miss(tmp_path: Path) -> None:
    text = GOOD.replace("    depends_on: [list]", "    depends_in: [list]")
    problems = problems_of(tmp_path, text)
    assert where(problems) == [("tickets[1].depends_in", 18)]
    assert problems[0].message == "unknown key; did you mean `depends_on`?"


def test_unknown_nested_key_names_the_path_line_and_near_miss(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, GOOD.replace("      create:", "      craete:"))
    assert where(problems) == [("tickets[0].files.craete", 9)]
    assert "did you mean `create`?" in problems[0].message


def test_unknown_top_level_key_without_near_miss_lists_the_known_ones(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, "owner: me\n" + GOOD)
    assert where(problems) == [("owner", 1)]
    assert "known: chain, description, tickets" in problems[0].message


def test_missing_required_fields_are_named(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, "tickets:\n  - key: a\n    goal: g\n")
    assert where(problems) == [("tickets[0].title", 2)]
    assert problems[0].message == "is required"


def test_wrong_types_are_named(tmp_path: Path) -> None:
    text = "tickets:\n  - key: a\n    title: 5\n    goal: g\n    acceptance: one\n"
    assert where(problems_of(tmp_path, text)) == [
        ("tickets[0].title", 3),
        ("tickets[0].acceptance", 5),
    ]


def test_bad_path_in_a_chain_file_is_named(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, GOOD.replace("src/api.py", "../api.py"))
    assert where(problems) == [("tickets[0].files.modify[0]", 11)]
    assert "leaves the repository" in problems[0].message


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("tickets:\n  - key: a\n    title: [unclosed\n    goal: g\n", 4),
        ("tickets:\n  - key: a\n   title: A\n", 3),
        ("tickets: [\n", 2),
    ],
)
def test_invalid_yaml_names_the_file_and_line(tmp_path: Path, text: str, line: int) -> None:
    problems = problems_of(tmp_path, text, name="broken.yml")
    assert [(p.source, p.field, p.line) for p in problems] == [
        (str(tmp_path / "broken.yml"), "yaml", line)
    ]
    assert problems[0].message.startswith("invalid YAML: ")


def test_not_a_mapping(tmp_path: Path) -> None:
    assert where(problems_of(tmp_path, "- a\n- b\n")) == [("(top)", 1)]


def test_no_tickets(tmp_path: Path) -> None:
    assert where(problems_of(tmp_path, "tickets: []\n")) == [("tickets", 1)]


def test_yaml_key_written_twice_is_an_error(tmp_path: Path) -> None:
    text = "tickets:\n  - key: a\n    title: A\n    goal: first\n    goal: second\n"
    problems = problems_of(tmp_path, text)
    assert where(problems) == [("tickets[0].goal", 5)]
    assert "twice (lines 4 and 5)" in problems[0].message


def test_duplicate_ticket_keys(tmp_path: Path) -> None:
    text = "tickets:\n  - {key: a, title: A, goal: g}\n  - {key: a, title: B, goal: g}\n"
    problems = problems_of(tmp_path, text)
    assert where(problems) == [("tickets[1].key", 3)]
    assert "`a` is used twice (also tickets[0])" in problems[0].message


def test_unknown_and_self_dependencies(tmp_path: Path) -> None:
    text = (
        "tickets:\n  - key: a\n    title: A\n    goal: g\n    depends_on:\n      - a\n      - zz\n"
    )
    problems = problems_of(tmp_path, text)
    assert where(problems) == [("tickets[0].depends_on", 6), ("tickets[0].depends_on", 7)]
    assert problems[0].message == "`a` depends on itself"
    assert problems[1].message == "`zz` is not a ticket key in this file"


def test_dependency_cycle_names_the_tickets(tmp_path: Path) -> None:
    text = (
        "tickets:\n"
        "  - {key: a, title: A, goal: g, depends_on: [c]}\n"
        "  - {key: b, title: B, goal: g}\n"
        "  - {key: c, title: C, goal: g, depends_on: [a]}\n"
        "  - {key: d, title: D, goal: g, depends_on: [c]}\n"
    )
    problems = problems_of(tmp_path, text)
    assert [p.field for p in problems] == ["depends_on"]
    assert "dependency cycle among tickets a, c;" in problems[0].message


def test_load_chain_file_raises_with_every_problem(tmp_path: Path) -> None:
    path = write(
        tmp_path, "c.yml", "tickets:\n  - {key: a, title: A, goal: g, depends_on: [x, y]}\n"
    )
    with pytest.raises(TicketError) as caught:
        load_chain_file(path)
    assert len(caught.value.problems) == 2
    assert str(caught.value).endswith("(and 1 more)")


def test_load_chain_dir_sorted_by_file_name(tmp_path: Path) -> None:
    write(tmp_path, "b.yml", "tickets:\n  - {key: x, title: X, goal: g}\n")
    write(tmp_path, "a.yaml", "tickets:\n  - {key: x, title: X, goal: g}\n")
    write(tmp_path, "notes.md", "not a chain file")
    assert [c.name for c in load_chain_dir(tmp_path)] == ["a", "b"]


def test_load_chain_dir_rejects_two_files_defining_the_same_chain(tmp_path: Path) -> None:
    write(tmp_path, "one.yml", "chain: books\ntickets:\n  - {key: x, title: X, goal: g}\n")
    write(tmp_path, "two.yml", "chain: books\ntickets:\n  - {key: y, title: Y, goal: g}\n")
    with pytest.raises(TicketError) as caught:
        load_chain_dir(tmp_path)
    [problem] = caught.value.problems
    assert (problem.field, problem.source) == ("chain", str(tmp_path / "two.yml"))
    assert f"`books` is also defined by {tmp_path / 'one.yml'}" in problem.message


def test_load_chain_dir_reports_every_bad_file(tmp_path: Path) -> None:
    write(tmp_path, "good.yml", GOOD)
    write(tmp_path, "bad1.yml", "tickets: [\n")
    write(tmp_path, "bad2.yml", "tickets: []\n")
    with pytest.raises(TicketError) as caught:
        load_chain_dir(tmp_path)
    assert sorted(Path(p.source).name for p in caught.value.problems) == ["bad1.yml", "bad2.yml"]


@pytest.mark.parametrize(
    ("chain", "why"), [("refactor-config.lock", "ends in `.lock`"), ("a..b", "holds `..`")]
)
def test_a_chain_name_that_cannot_end_a_branch_name_is_refused(
    tmp_path: Path, chain: str, why: str
) -> None:
    """`baton/<chain>` must be a branch git accepts (`git check-ref-format`), found before a run
    fails on it; a chain name made from free text (a milestone, a plan's goal) is one."""
    text = f"description: d\nchain: '{chain}'\ntickets:\n  - {{key: a, title: A, goal: g}}\n"
    problems = problems_of(tmp_path, text, name="c.yml")
    assert where(problems) == [("chain", 2)]
    assert problems[0].message == (
        f"`{chain}` {why}, so `baton/{chain}` is not a git branch name; rename the chain"
    )
    for title in ["Refactor config.lock", "Notes for v2..3", "Release 2.0."]:
        name = slug(title)
        assert not unfit_for_branch(name), name
        check = ["git", "check-ref-format", "--branch", f"baton/{name}"]
        assert subprocess.run(check, capture_output=True, check=False).returncode == 0, name


def test_a_name_that_is_not_one_is_said_in_words(tmp_path: Path) -> None:
    text = "chain: my chain\ntickets:\n  - {key: x;rm, title: A, goal: g}\n"
    problems = problems_of(tmp_path, text)
    assert [(p.field, p.message) for p in problems] == [
        (
            field,
            f"`{name}` is not a name Baton takes: start with a letter or digit, then letters, "
            "digits, `.`, `_` or `-` (64 characters at most)",
        )
        for field, name in [("chain", "my chain"), ("tickets[0].key", "x;rm")]
    ]


def test_file_name_that_is_not_a_chain_name_needs_chain_key(tmp_path: Path) -> None:
    text = "tickets:\n  - {key: a, title: A, goal: g}\n"
    problems = problems_of(tmp_path, text, name="my chain.yml")
    assert where(problems) == [("chain", 1)]
    assert "`my chain` is not a valid chain name" in problems[0].message
    chain = load_chain_file(write(tmp_path, "my chain.yml", "chain: mine\n" + text))
    assert chain.name == "mine"
