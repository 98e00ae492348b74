"""The real issue form, and bodies rendered from it the way GitHub renders them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from bot.yaml_source import safe_load

REPO_ROOT = Path(__file__).resolve().parents[2]
ISSUE_FORM = REPO_ROOT / ".github" / "ISSUE_TEMPLATE" / "agent-ticket.yml"

RenderForm = Callable[[Mapping[str, str]], str]


def load_form() -> dict[str, Any]:
    form: dict[str, Any] = safe_load(ISSUE_FORM.read_text(encoding="utf-8"))
    return form


def form_fields(form: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The form's input elements in order (markdown elements are not part of the body)."""
    return [element for element in form["body"] if element["type"] != "markdown"]


def render_like_github(form: Mapping[str, Any], answers: Mapping[str, str]) -> str:
    """The issue body GitHub stores for `answers` (by field id): `### {label}`, a blank line and
    the value for every field in form order, joined by a blank line; `_No response_` when a field
    is empty; the value fenced with the `render:` language when the field has one."""
    sections = []
    for element in form_fields(form):
        attributes = element["attributes"]
        value = answers.get(element.get("id", ""), "")
        if not value.strip():
            value = "_No response_"
        elif "render" in attributes:
            value = f"```{attributes['render']}\n{value}\n```"
        sections.append(f"### {attributes['label']}\n\n{value}")
    return "\n\n".join(sections)
