"""For set-ups that run once per module: what the autouse fixtures of tests/conftest.py give each
test (they are function-scoped, so a module-scoped fixture runs before them)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest

from tests import git_environment


@contextlib.contextmanager
def quiet_environment() -> Iterator[None]:
    """A fixed git identity, no machine git configuration, and no outside service in the
    environment, until the block ends."""
    mp = pytest.MonkeyPatch()
    for key, value in git_environment.ENVIRONMENT.items():
        mp.setenv(key, value)
    for key in list(os.environ):
        if key.startswith(("BATON_", "GITHUB_", "SLACK_", "CURSOR_")) or key in {
            "GH_TOKEN",
            "ANTHROPIC_API_KEY",
            "OPENAI_API_KEY",
        }:
            mp.delenv(key)
    try:
        yield
    finally:
        mp.undo()
