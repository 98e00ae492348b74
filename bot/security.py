"""Keeping untrusted text and untrusted code in their place.

Ticket text is data: it is cleaned of what hides instructions from people (HTML comments,
zero-width, bidi and control characters) before it reaches a prompt, and fenced as data there.
Agent code runs without Baton's secrets: child processes get a scrubbed environment.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping

_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
# Zero-width and bidi controls, BOM, and C0/C1 controls except tab and newline.
_INVISIBLE = re.compile(
    "[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\x00-\x08\x0b-\x1f\x7f-\x9f]"
)

# Variables that hold Baton's own credentials; never handed to agents or test commands.
BATON_SECRETS = (
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "BATON_GITHUB_APP_PRIVATE_KEY",
    "CURSOR_API_KEY",
    "SLACK_BOT_TOKEN",
    "SLACK_WEBHOOK_URL",
    "BATON_CURSOR_WEBHOOK_SECRET",
    "ACTIONS_RUNTIME_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
)
_SECRET_NAME = re.compile(r"(TOKEN|SECRET|PASSWORD|PASSWD|PRIVATE_KEY|API_KEY|CREDENTIAL)", re.I)


def clean_untrusted(text: str) -> str:
    """Remove what a person reading the issue would not see but a model would."""
    text = _HTML_COMMENT.sub("", text)
    return _INVISIBLE.sub("", text.replace("\r\n", "\n"))


def fence(text: str, info: str = "text") -> str:
    """Fence `text` so nothing inside can close the fence: one backtick more than its longest run."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{info}\n{text}\n{ticks}"


def agent_env(environ: Mapping[str, str] | None = None, keep: Iterable[str] = ()) -> dict[str, str]:
    """The environment for an agent: everything but Baton's own secrets (the agent keeps its own
    credentials, e.g. its API key, and `keep` names secrets it needs)."""
    source = os.environ if environ is None else environ
    keep = set(keep)
    return {k: v for k, v in source.items() if k not in BATON_SECRETS or k in keep}


def command_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a test command (code the agent wrote): no credentials at all, neither
    Baton's nor anything whose name says it is one."""
    source = os.environ if environ is None else environ
    return {
        k: v for k, v in source.items() if k not in BATON_SECRETS and not _SECRET_NAME.search(k)
    }
