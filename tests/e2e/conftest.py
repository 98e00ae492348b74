"""Fixtures of the end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.github_support import AGENT, config_text
from tests.fakes.github import FakeGitHub


@pytest.fixture
def github(tmp_path: Path) -> Iterator[FakeGitHub]:
    agent = tmp_path / "agent.py"
    agent.write_text(AGENT)
    files = {"README.md": "# widgets\n", ".github/baton.yml": config_text(agent)}
    with FakeGitHub(tmp_path, files=files) as fake:
        yield fake
