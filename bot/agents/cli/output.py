"""Reading an agent's output: its JSON objects, and the reply they make.

An agent's output is untrusted: whatever it prints (garbage, JSON nested a thousand deep, fields of
the wrong type) becomes a reply or a reason for failing, never an exception.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

SUMMARY = 2_000  # characters of an agent's summary that Baton keeps

# Where a refused call's input names what it was after: a file, a command, an address.
TARGET_KEYS = ("file_path", "notebook_path", "path", "command", "url", "pattern")


@dataclass(frozen=True)
class Refusal:
    """A tool call the CLI refused its model (a permission it was not given): `target` is the
    path or command the call named, when it named one."""

    tool: str
    target: str = ""


@dataclass(frozen=True)
class Reply:
    """What an agent's output says: its session, whether it failed, its summary and cost, and
    what its CLI refused to do (a call can exit 0 and report success with every edit refused)."""

    session_id: str | None
    is_error: bool
    summary: str
    cost_usd: float | None = None
    refusals: tuple[Refusal, ...] = ()


def json_objects(stdout: str, *, embedded: bool = True) -> list[dict[str, Any]]:
    """Every JSON object in the output: the whole text, one per line (JSON Lines), or else
    (`embedded`) objects inside other text, such as a pretty-printed one after a notice."""
    text = stdout.strip()
    try:
        whole = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested too deeply to be a reply
        whole = None
    if isinstance(whole, dict):
        return [whole]
    objects = []
    for line in text.splitlines():
        try:
            item = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if isinstance(item, dict):
            objects.append(item)
    if objects or not embedded:
        return objects
    return embedded_json_objects(text)


def embedded_json_objects(text: str) -> list[dict[str, Any]]:
    decoder = json.JSONDecoder()
    objects = []
    index = text.find("{")
    while index != -1:
        try:
            item, end = decoder.raw_decode(text, index)
        except (ValueError, RecursionError):
            index = text.find("{", index + 1)
            continue
        if isinstance(item, dict):
            objects.append(item)
        index = text.find("{", end)
    return objects


def as_session(value: Any) -> str | None:
    """A session id is text (or a number); anything else in its place is no id at all."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value) or None


def as_cost(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and value >= 0 else None


def error_message(error: Any) -> str | None:
    if isinstance(error, dict):
        return str(error.get("message") or error)
    if error and isinstance(error, str):
        return error
    return None
