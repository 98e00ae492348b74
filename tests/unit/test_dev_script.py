"""`./dev check` runs for minutes: each step says so as it starts, before its command."""

from __future__ import annotations

from pathlib import Path

import pytest

DEV = (Path(__file__).resolve().parents[2] / "dev").read_text()


@pytest.mark.parametrize(
    ("heading", "command"),
    [
        ('echo "== installing the locked environment (uv sync)"', '"$uv" sync --frozen'),
        ('echo "== tests (pytest -n 5)"', "run pytest -n 5"),
        # Started in the background: the heading is the step's name (`background` echoes it).
        ('background "static checks (', "run ruff check ."),
        ('background "benchmarks (quick)"', "run python -m benchmarks.run --quick"),
    ],
)
def test_each_step_of_dev_check_has_a_heading_as_it_starts(heading: str, command: str) -> None:
    assert heading in DEV
    assert command in DEV
    if heading.startswith("echo"):
        assert DEV.index(heading) < DEV.index(command)


def test_a_step_started_in_the_background_says_so() -> None:
    background = DEV[DEV.index("background() {") :]
    body = background[: background.index("\n    }")]
    assert 'echo "== $name' in body
