"""Fixtures for the unit tests of tickets, issue forms, chain files and config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from github_form import RenderForm, load_form, render_like_github

SAMPLES = Path(__file__).resolve().parent / "samples"


@pytest.fixture(scope="session")
def issue_form() -> dict[str, Any]:
    return load_form()


@pytest.fixture
def render_form(issue_form: dict[str, Any]) -> RenderForm:
    return lambda answers: render_like_github(issue_form, answers)


@pytest.fixture(scope="session")
def samples() -> Path:
    return SAMPLES
