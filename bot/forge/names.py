"""How GitHub things are named in Baton: chains from milestones, keys from issue numbers."""

from __future__ import annotations

import re
from typing import Any


def slug(text: str) -> str:
    """A chain name from free text: one that can end a git branch name (no `..`, no `.lock`)."""
    name = re.sub(r"\.{2,}", ".", re.sub(r"[^a-z0-9._-]+", "-", text.lower()))
    name = name.strip("-.")[:60].strip("-.")
    return (name.removesuffix(".lock") + "-lock" if name.endswith(".lock") else name) or "chain"


def chain_of_issue(issue: dict[str, Any]) -> str:
    """An issue's chain: its milestone's title as a slug, or `issue-N` for an issue alone."""
    milestone = issue.get("milestone") or {}
    return slug(str(milestone["title"])) if milestone.get("title") else f"issue-{issue['number']}"


def issue_number(key: str) -> int | None:
    m = re.fullmatch(r"#(\d+)", key)
    return int(m.group(1)) if m else None
