"""The API's answers as Baton reads them: a run (v1) or an agent (v0) as one `Run`, and who a key
belongs to. Every field is read with care: an answer with a field missing or of the wrong type
makes a `Run` with less in it, never an exception."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

ACTIVE = frozenset({"CREATING", "RUNNING"})


@dataclass(frozen=True)
class Run:
    """One run of an agent as the API reports it (v0: the agent's latest work, no run id)."""

    agent_id: str
    run_id: str | None
    status: str
    summary: str = ""
    duration_s: float | None = None
    branch: str | None = None
    pr_url: str | None = None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


def unwrap(data: dict[str, Any], key: str) -> dict[str, Any]:
    """`data[key]` when the answer wraps its object in one (`{"run": {...}}`), else `data`."""
    inner = data.get(key)
    return inner if isinstance(inner, dict) else data


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _same_repo(a: str, b: str) -> bool:
    """Whether two ways of writing a repository name the same one: Cursor writes `repoUrl`
    without a scheme (`github.com/org/repo`), Baton sends `https://github.com/org/repo`."""

    def norm(url: str) -> str:
        url = re.sub(r"^[a-z][a-z0-9+.-]*://", "", url.strip().lower())
        if "@" in url.split("/", 1)[0]:  # credentials, or git's `git@host:org/repo`
            url = url.split("@", 1)[1].replace(":", "/", 1)
        return url.rstrip("/").removesuffix(".git").removeprefix("www.")

    return norm(a) == norm(b)


def run_v1(agent_id: str, data: dict[str, Any], repository: str) -> Run:
    git = data.get("git") if isinstance(data.get("git"), dict) else {}
    branches = [b for b in (git or {}).get("branches") or [] if isinstance(b, dict)]
    ours = next((b for b in branches if _same_repo(str(b.get("repoUrl", "")), repository)), None)
    chosen = ours or (branches[0] if branches else {})
    duration = data.get("durationMs")
    return Run(
        agent_id=agent_id,
        run_id=str(data.get("id")) if data.get("id") else None,
        status=str(data.get("status") or "").upper(),
        summary=_text(data.get("result")),
        duration_s=duration / 1000 if isinstance(duration, int | float) else None,
        branch=_name(chosen.get("branch")),
        pr_url=_name(chosen.get("prUrl")),
    )


def _name(value: Any) -> str | None:
    """A branch name or URL from an answer: text, or nothing (never a number or an object)."""
    return value if isinstance(value, str) and value.strip() else None


def run_v0(agent_id: str, data: dict[str, Any]) -> Run:
    target = data.get("target") if isinstance(data.get("target"), dict) else {}
    return Run(
        agent_id=agent_id,
        run_id=None,
        status=str(data.get("status") or "").upper(),
        summary=_text(data.get("summary")),
        branch=_name((target or {}).get("branchName")),
        pr_url=_name((target or {}).get("prUrl")),
    )


def who(data: dict[str, Any]) -> str:
    """Whom `GET /me` says the key belongs to: an email, else the key's name or id."""
    for key in ("userEmail", "email", "apiKeyName", "id"):
        if data.get(key):
            return str(data[key])
    return "key accepted"


def run_tokens(data: dict[str, Any], run_id: str) -> tuple[int, int] | None:
    """A run's (input, output) tokens from `GET /v1/agents/{id}/usage?runId=`: its entry in
    `runs`, `usage.inputTokens` and `usage.outputTokens` (the cache counts are left out). None
    when the answer has no figures for it: a run without recorded usage reports zeros."""
    runs = data.get("runs")
    entries = [r for r in runs if isinstance(r, dict)] if isinstance(runs, list) else []
    entry = next((r for r in entries if r.get("id") == run_id), {})
    usage = entry.get("usage")
    if not isinstance(usage, dict):
        return None
    tokens = usage.get("inputTokens"), usage.get("outputTokens")
    counts = [t for t in tokens if isinstance(t, int) and not isinstance(t, bool) and t >= 0]
    if len(counts) != 2 or not any(counts):
        return None
    return counts[0], counts[1]
