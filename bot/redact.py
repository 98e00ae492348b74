"""Secrets never leave: every text Baton sends out (comments, check runs, Slack, committed files,
the state, logs, prompts) goes through `redact` first.

Two kinds of secret are found: token shapes, from gitleaks' rule set (`bot/secret_rules.py`) and a
few of Baton's own credentials glued to other text; and the values of the secret variables
(`bot/secret_names.py`), also base64-encoded at any alignment (inside a longer base64 text, such
as a file sent through the contents API, a secret's encoding depends on where it starts). Both
are looked for in the text as given and in its decoded views (`bot/text_views.py`: invisible
characters taken out, percent-encoding and JSON escapes decoded, base64 runs that decode to
text), each found span mapped back.
Every match is found, overlapping ones too, and the union of their spans is replaced: two secrets
written back to back are both hidden, and redacting twice changes nothing more.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from bot import secret_rules
from bot.secret_names import secret_values
from bot.text_views import views

REDACTED = "[redacted]"
MIN_SECRET = 8  # a shorter configured value would mangle ordinary text: it is not redacted
_PASSES = 4


# Baton's own credentials and the keys agents hold, glued to other text (or to another token),
# where the rule set wants a word boundary: no boundary before these distinctive prefixes.
# Greedy character classes end a match without needing one after it, and every repetition is
# bounded, so that scanning hostile text stays linear (Python's engine is enough here).
# Each comes with the text every match contains: a text without it is not searched at all (a
# case-blind pattern's is looked for in the case-folded text, where U+017F is an `s` as for `re`).
class _Shape(NamedTuple):
    hint: str
    pattern: re.Pattern[str]
    folded: bool = False


_PATTERNS = [
    # GitHub tokens: ghp_ gho_ ghu_ ghs_ ghr_
    _Shape("gh", re.compile(r"gh[pousr]_[A-Za-z0-9]{20,255}")),
    _Shape("github_pat_", re.compile(r"github_pat_[A-Za-z0-9_]{20,255}")),
    _Shape("xox", re.compile(r"xox[abposr]-[A-Za-z0-9-]{10,250}")),  # Slack tokens
    _Shape(
        "https://hooks.slack.com/",
        re.compile(
            r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]{1,250}"
        ),
    ),
    # OpenAI and Anthropic keys; a bare `sk-` only at a word's start ("risk-…" is no key).
    _Shape("sk-", re.compile(r"(?:sk-(?:ant|proj|svcacct|admin)-|\bsk-)[A-Za-z0-9_-]{20,250}")),
    _Shape("A", re.compile(r"(?:AKIA|ASIA)[A-Z0-9]{16}")),  # AWS access key ids
    # An AWS secret access key is known by its label only (`KEY=…`, `"key": "…"`).
    _Shape(
        "aws_secret_access_key",
        re.compile(
            r"(?i)(aws_secret_access_key[\"']?[ \t]{0,9}[=:][ \t]{0,9}[\"']?)[A-Za-z0-9/+=]{40}"
        ),
        folded=True,
    ),
    # JSON Web Tokens: a header and a payload (both JSON objects, so `eyJ`), and a signature.
    _Shape(
        "eyJ",
        re.compile(r"eyJ[A-Za-z0-9_-]{8,2048}\.eyJ[A-Za-z0-9_-]{8,16384}\.[A-Za-z0-9_-]{8,2048}"),
    ),
]


def _base64_forms(secret: bytes) -> set[str]:
    """The base64 text a secret becomes wherever it starts in a longer input: for each of the
    three alignments, the characters that depend on the secret's bytes alone; and, whole, the
    encodings of the secret alone and with a newline (`echo "$SECRET" | base64`)."""
    forms = set()
    for whole in (secret, secret + b"\n"):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            forms.add(encode(whole).decode())
    for offset in range(3):
        data = b"\0" * offset + secret
        first = -(-4 * offset // 3)  # the first character made of the secret's bits only
        last = 8 * len(data) // 6  # after the last one
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            forms.add(encode(data).decode()[first:last])
    return forms


def _escaped_forms(secret: str) -> set[str]:
    """The secret JSON-escaped and percent-encoded."""
    quoted = json.dumps(secret)[1:-1]
    return {
        quoted,
        json.dumps(secret, ensure_ascii=False)[1:-1],
        quoted.replace("/", "\\/"),
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret),
    }


class Redactor:
    """Token shapes, plus the values of configured secrets (also base64-encoded), in the text
    and in its decoded views."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        values: set[str] = set()
        for given in secrets:
            secret = given.strip()
            if len(secret) < MIN_SECRET or secret in REDACTED:
                continue
            values.add(secret)
            # Written into a JSON string or a URL, and that text escaped again (a JSON file in a
            # JSON request): the view that undoes one escape shows these forms.
            values.update(_escaped_forms(secret))
            # A multi-line secret (a private key) may show a line at a time.
            values.update(line.strip() for line in secret.splitlines() if len(line.strip()) >= 16)
            values.update(_base64_forms(secret.encode()))
        self._values = sorted((v for v in values if len(v) >= MIN_SECRET), key=len, reverse=True)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where the secrets in `text` are, merged: sorted, disjoint (start, end) pairs."""
        found = self._find(text)
        for view in views(text):
            found += [view.original(start, end) for start, end in self._find(view.text)]
        merged: list[tuple[int, int]] = []
        for start, end in sorted(found):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        return merged

    def _find(self, text: str) -> list[tuple[int, int]]:
        found = secret_rules.spans(text)
        for value in self._values:
            start = text.find(value)
            while start != -1:
                found.append((start, start + len(value)))
                start = text.find(value, start + 1)
        folded = text.casefold()
        for hint, pattern, fold in _PATTERNS:
            if hint not in (folded if fold else text):
                continue
            match = pattern.search(text)
            while match:
                begin = match.end(1) if pattern.groups else match.start()
                # The keys in AWS's documentation say so: `AKIAIOSFODNN7EXAMPLE`.
                if "EXAMPLE" not in text[begin : match.end()]:
                    found.append((begin, match.end()))
                match = pattern.search(text, match.start() + 1)  # overlapping ones too
        return found

    def __call__(self, text: str) -> str:
        # Once a secret is gone, the text around it can make a word boundary that shows the next
        # one (`AKIA…sk-…`): redact again until nothing changes.
        for _ in range(_PASSES):
            spans = self.spans(text)
            if not spans:
                break
            out, last = [], 0
            for start, end in spans:
                out += [text[last:start], REDACTED]
                last = end
            out.append(text[last:])
            text = "".join(out)
        return text


def from_environment(environ: Mapping[str, str]) -> Redactor:
    """A redactor for the token shapes and the secrets `environ` gives Baton."""
    return Redactor(secret_values(environ))
