"""The GitHub Actions event Baton runs for: its name and payload, as GITHUB_EVENT_NAME and
GITHUB_EVENT_PATH give them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.errors import ConfigError


def actions_event(environ: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
    """The event's name and its payload (an empty one when the file holds no JSON object)."""
    path = Path(environ.get("GITHUB_EVENT_PATH", ""))
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"cannot read the event payload {path}: {exc}",
            hint="run inside GitHub Actions, or point GITHUB_EVENT_PATH at the event's JSON",
        ) from exc
    return environ.get("GITHUB_EVENT_NAME", ""), payload if isinstance(payload, dict) else {}
