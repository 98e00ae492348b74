"""`bot.globs.matches`: globs as people write them in ticket scopes."""

from __future__ import annotations

import pytest

from bot.globs import is_glob, matches, matches_any


@pytest.mark.parametrize(
    ("path", "pattern", "expected"),
    [
        ("src/a.py", "src/*.py", True),
        ("src/x/a.py", "src/*.py", False),
        ("a.py", "*.py", True),
        ("src/a.py", "*.py", False),
        ("src/a.py", "src/*", True),
        ("src/a/b.py", "src/*/b.py", True),
        ("src/a/c/b.py", "src/*/b.py", False),
    ],
)
def test_star_stays_in_one_directory(path: str, pattern: str, expected: bool) -> None:
    assert matches(path, pattern) is expected


@pytest.mark.parametrize(
    ("path", "pattern", "expected"),
    [
        ("a.py", "**/*.py", True),
        ("x/a.py", "**/*.py", True),
        ("x/y/z/a.py", "**/*.py", True),
        ("src/test_a.py", "src/**/test_*.py", True),
        ("src/a/b/test_a.py", "src/**/test_*.py", True),
        ("lib/test_a.py", "src/**/test_*.py", False),
        ("src/a/b/c", "src/**", True),
        ("src/a/b.txt", "src/**/*.py", False),
    ],
)
def test_double_star_slash_spans_zero_or_more_directories(
    path: str, pattern: str, expected: bool
) -> None:
    assert matches(path, pattern) is expected


@pytest.mark.parametrize(
    ("path", "pattern", "expected"),
    [
        ("src/a/b.py", "src/", True),
        ("src/a/b.py", "src", True),
        ("src/a.py", "src/a.py", True),
        ("srcs/a.py", "src", False),
        ("src.py", "src", False),
        ("docs/api/index.md", "docs/api/", True),
        ("docs/apis/index.md", "docs/api", False),
    ],
)
def test_directory_pattern_covers_what_is_below_it(path: str, pattern: str, expected: bool) -> None:
    assert matches(path, pattern) is expected


@pytest.mark.parametrize(
    ("path", "pattern", "expected"),
    [
        ("a/b.py", "a/?.py", True),
        ("a/bc.py", "a/?.py", False),
        ("a//.py", "a/?.py", False),
        ("a[1].py", "a[1].py", True),
        ("a1.py", "a[1].py", False),
        ("main.c++", "*.c++", True),
        ("src/a.py", "./src/a.py", True),
        ("./src/a.py", "src/*.py", True),
    ],
)
def test_question_mark_literals_and_dot_slash(path: str, pattern: str, expected: bool) -> None:
    assert matches(path, pattern) is expected


def test_matches_any_and_is_glob() -> None:
    assert matches_any("src/a.py", ["docs/", "src/*.py"])
    assert not matches_any("src/a.py", [])
    assert is_glob("src/*.py")
    assert is_glob("a?.py")
    assert not is_glob("src/a.py")
