"""Cursor CLI (`agent`, formerly `cursor-agent`): `-p --force` with one JSON result object."""

from __future__ import annotations

import re

from bot.agents.cli.claude import reply_from_result_json
from bot.agents.cli.preset import Preset

# What it answers when asked to resume a session it does not have (see claude.SESSION_GONE): what
# the test fakes print, not yet measured with the real binary; re-check on upgrades.
_SESSION_GONE = re.compile(r"\bchat not found\b")

PRESET = Preset(
    "agent",
    lambda exe, p, x: [exe, "-p", "--force", "--output-format", "json", *x, p],
    lambda exe, s, p, x: [
        exe,
        "-p",
        "--force",
        "--output-format",
        "json",
        "--resume",
        s,
        *x,
        p,
    ],
    reply_from_result_json,
    env_names=("CURSOR_API_KEY",),
    fallback="cursor-agent",  # its name before it became `agent`
    session_gone=_SESSION_GONE,
)
