"""Secrets never leave: every text Baton sends out (comments, check runs, Slack, committed files,
logs) goes through `redact` first."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable

REDACTED = "[redacted]"

_PATTERNS = [
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,255}\b"),  # GitHub tokens: ghp_ gho_ ghu_ ghs_ ghr_
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,255}\b"),
    re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"),  # Slack tokens
    re.compile(r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]+"),
    re.compile(r"\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}\b"),  # OpenAI and Anthropic keys
    re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),  # AWS access key ids
    re.compile(r"(?i)(aws_secret_access_key\s*[=:]\s*)[A-Za-z0-9/+=]{40}"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b"),  # JWTs
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S),
]


class Redactor:
    """Known token shapes, plus the values of configured secrets (also base64-encoded)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        values: set[str] = set()
        for secret in secrets:
            if len(secret) < 8:  # too short to redact without mangling ordinary text
                continue
            values.add(secret)
            values.add(base64.b64encode(secret.encode()).decode().rstrip("="))
            values.add(base64.urlsafe_b64encode(secret.encode()).decode().rstrip("="))
        self._values = sorted(values, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for value in self._values:
            text = text.replace(value, REDACTED)
        for pattern in _PATTERNS:
            text = pattern.sub(lambda m: (m.group(1) if m.re.groups else "") + REDACTED, text)
        return text


redact = Redactor()
