"""A generated corpus of secrets: a token of every rule of the rule set (made from the rule's regex,
tests/reliability/token_maker.py), twenty hand-written token families (from a seeded random
source, never real ones) and the values of the secret variables, each in every encoding Baton
may meet them in: raw, URL-encoded (percent-encoding, `+` for a space), JSON-escaped, split by
each invisible character, and for the variables' values base64 too. The redactor alone must hide
every one; then the channels that are cheap to drive on their own (the local state file, the
job summary) carry the whole corpus and must hide it. A corpus of look-alikes (commit shas,
UUIDs, hashes, the documented example keys, prose) must come out unchanged."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import random
import re
import string
import urllib.parse
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from bot import secret_rules
from bot.notify import Event
from bot.notify.actions import ActionsNotifier
from bot.redact import REDACTED, Redactor
from bot.secret_names import SECRET_VARIABLES
from bot.state import ChainState, StoreData, TicketState
from bot.store import FileStore
from bot.text_views import INVISIBLE
from tests.reliability import token_maker
from tests.reliability.tally import Tally

_RANDOM = random.Random(16)  # noqa: S311 -- the same made-up tokens on every run
ALNUM = string.ascii_letters + string.digits
LOWER = string.ascii_lowercase + string.digits
HEX = "0123456789abcdef"


def _pick(alphabet: str, n: int) -> str:
    return "".join(_RANDOM.choice(alphabet) for _ in range(n))


# Each family: the rule-set rule that knows it, and a token of its shape.
FAMILIES: dict[str, tuple[str, str]] = {
    "github personal": ("github-pat", "ghp_" + _pick(ALNUM, 36)),
    "github fine-grained": ("github-fine-grained-pat", "github_pat_" + _pick(ALNUM + "_", 82)),
    "github oauth": ("github-oauth", "gho_" + _pick(ALNUM, 36)),
    "github app": ("github-app-token", "ghs_" + _pick(ALNUM, 36)),
    "gitlab personal": ("gitlab-pat", "glpat-" + _pick(ALNUM + "_-", 20)),
    "gitlab pipeline trigger": ("gitlab-ptt", "glptt-" + _pick(HEX, 40)),
    "slack bot": ("slack-bot-token", "xoxb-" + _pick("0123456789", 12) + "-" + _pick(ALNUM, 24)),
    "slack app": (
        "slack-app-token",
        f"xapp-1-A{_pick('ABCDEFGHIJ0123456789', 10)}-{_pick('0123456789', 13)}-{_pick(LOWER, 64)}",
    ),
    "npm": ("npm-access-token", "npm_" + _pick(LOWER, 36)),
    "pypi": ("pypi-upload-token", "pypi-AgEIcHlwaS5vcmc" + _pick(ALNUM + "_-", 70)),
    "google api": ("gcp-api-key", "AIza" + _pick(ALNUM + "_-", 35)),
    "openai": ("openai-api-key", f"sk-proj-{_pick(ALNUM, 74)}T3BlbkFJ{_pick(ALNUM, 74)}"),
    "anthropic": ("anthropic-api-key", "sk-ant-api03-" + _pick(ALNUM + "_-", 93) + "AA"),
    "aws access key": ("aws-access-token", "AKIA" + _pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)),
    "stripe": ("stripe-access-token", "sk_live_" + _pick(ALNUM, 32)),
    "sendgrid": ("sendgrid-api-token", "SG." + _pick(ALNUM, 22) + "." + _pick(ALNUM, 43)),
    "digitalocean": ("digitalocean-pat", "dop_v1_" + _pick(HEX, 64)),
    "shopify": ("shopify-access-token", "shpat_" + _pick("abcdefABCDEF0123456789", 32)),
    "hugging face": ("huggingface-access-token", "hf_" + _pick(string.ascii_letters, 34)),
    "slack webhook": (
        "slack-webhook-url",
        f"https://hooks.slack.com/services/T{_pick(ALNUM, 10)}/B{_pick(ALNUM, 10)}/{_pick(ALNUM, 24)}",
    ),
}

# The secret variables' values: of no known shape, found by their value alone. The characters a
# URL or JSON escapes are in some of them.
VALUES = {
    name: _pick(ALNUM, 24) + ('/+"\\ ' if i % 3 == 0 else "") + _pick(ALNUM, 8)
    for i, name in enumerate(SECRET_VARIABLES)
}
# A redactor holds no state between texts: one serves every case.
REDACT = Redactor(VALUES.values())


def _split(invisible: str) -> Callable[[str], str]:
    return lambda token: token[:5] + invisible + token[5:9] + invisible + token[9:]


ENCODINGS: dict[str, Callable[[str], str]] = {
    "raw": lambda s: s,
    "url": lambda s: urllib.parse.quote(s, safe=""),
    "url form": urllib.parse.quote_plus,
    "url lower hex": lambda s: urllib.parse.quote(s, safe="").replace("%2F", "%2f"),
    "json": lambda s: json.dumps(s)[1:-1],
    "json ascii": lambda s: json.dumps(s).replace("/", "\\/")[1:-1],
    **{f"split U+{ord(c):04X}": _split(c) for c in INVISIBLE},
}
VALUE_ENCODINGS: dict[str, Callable[[str], str]] = {
    **ENCODINGS,
    "base64": lambda s: base64.b64encode(s.encode()).decode(),
    "base64 of a line": lambda s: base64.b64encode((s + "\n").encode()).decode(),
    "base64url": lambda s: base64.urlsafe_b64encode(s.encode()).decode(),
}

# A token inside a base64-encoded file (the contents API sends files so), at each alignment.
FILE_ENCODINGS: dict[str, Callable[[str], str]] = {
    "base64 of a .env": lambda s: base64.b64encode(f"TOKEN={s}\nDEBUG=1\n".encode()).decode(),
    "base64 after 1 byte": lambda s: base64.b64encode(f"x {s}".encode()).decode(),
    "base64 after 2 bytes": lambda s: base64.b64encode(f"xy {s}".encode()).decode(),
    "base64url of a .env": lambda s: base64.urlsafe_b64encode(f"K={s}\n".encode()).decode(),
}

CORPUS: dict[str, tuple[str, str]] = {  # id: (the secret, how it is written)
    **{
        f"{f} / {e}": (t, encode(t))
        for f, (_, t) in FAMILIES.items()
        for e, encode in {**ENCODINGS, **FILE_ENCODINGS}.items()
    },
    **{
        f"${v} / {e}": (value, encode(value))
        for v, value in VALUES.items()
        for e, encode in VALUE_ENCODINGS.items()
    },
}
CONTEXTS = ["{}", "token: {}", '{{"key": "{}"}}', "see {} here", "https://x:{}@example.com/"]


def _unescape(text: str) -> str:
    """JSON escapes undone, however many times the text was escaped."""
    while (less := text.replace('\\"', '"').replace("\\\\", "\\")) != text:
        text = less
    return text


def _base64_decoded(text: str) -> str:
    """Every run of base64 characters in `text`, decoded from each of its first four
    characters (a redaction inside a run leaves its rest misaligned)."""
    decoded = []
    for run in re.findall(r"[A-Za-z0-9+/_-]{4,}", text):
        for skip in range(4):
            part = run[skip:].replace("-", "+").replace("_", "/")
            part = part[: len(part) // 4 * 4]
            decoded.append(base64.b64decode(part).decode("latin-1"))
    return "\n".join(decoded)


def _forms(text: str) -> tuple[str, ...]:
    """The ways `text` may still carry a secret: as written, URL-decoded, unescaped, decoded."""
    plain = "".join(c for c in text if c not in INVISIBLE)
    return (plain, urllib.parse.unquote(plain), _unescape(plain), _base64_decoded(plain))


def _hidden(secret: str, forms: tuple[str, ...]) -> bool:
    """Neither the secret nor a long piece of it is left in any of the text's forms."""
    secret = secret.removeprefix("https://hooks.slack.com/services/")  # public: not the secret
    return not any(secret[i : i + 12] in form for form in forms for i in range(len(secret) - 11))


def test_every_family_is_a_rule_of_the_set() -> None:
    rules = secret_rules.load().rules
    assert {rule for rule, _ in FAMILIES.values()} <= {rule.id for rule in rules}


def test_every_regex_of_the_set_compiles() -> None:
    """The rules' regexes are compiled at their first use: each must compile in RE2."""
    ruleset = secret_rules.load()
    rules = ruleset.rules
    for allowlist in (ruleset.shared, *(a for rule in rules for a in rule.allowlists)):
        assert allowlist.regexes is not None or allowlist.regexes_pattern is None
        assert allowlist.stopwords is not None or allowlist.stopwords_pattern is None
    assert all(rule.regex is not None for rule in rules)


# One test per family and per variable: each of its encodings in each context, every leak named.
SOURCES = list(dict.fromkeys(case.split(" / ")[0] for case in CORPUS))


@pytest.mark.parametrize("source", SOURCES)
def test_the_redactor_hides_every_family_in_every_encoding(source: str, tally: Tally) -> None:
    cases = [(c, *CORPUS[c]) for c in CORPUS if c.split(" / ")[0] == source]
    left = []
    for case, secret, written in cases:
        for context in CONTEXTS:
            out = REDACT(context.format(written))
            if REDACTED not in out or not _hidden(secret, _forms(out)):
                left.append(f"{case} in {context!r}: {out}")
    tally.add("secrets_planted", len(cases) * len(CONTEXTS))
    tally.add("secrets_found", len(cases) * len(CONTEXTS) - len(left))
    assert left == []


# Every rule of the set, with a token made from its own regex (tests/reliability/token_maker.py),
# in every encoding; the context turns with the encoding and the rule.
RULES = [rule.id for rule in secret_rules.load().rules]
EVERY_ENCODING = {**ENCODINGS, **FILE_ENCODINGS}


@pytest.mark.parametrize("rule", RULES)
def test_the_redactor_hides_a_token_of_every_rule_in_every_encoding(
    rule: str, tally: Tally
) -> None:
    token = token_maker.token(rule)
    left = []
    for i, (name, encode) in enumerate(EVERY_ENCODING.items()):
        out = REDACT(
            CONTEXTS[(i + RULES.index(rule)) % len(CONTEXTS)].format(encode(token.written))
        )
        if REDACTED not in out or not _hidden(token.secret, _forms(out)):
            left.append(f"{name}: {out}")
    tally.add("secrets_planted", len(EVERY_ENCODING))
    tally.add("secrets_found", len(EVERY_ENCODING) - len(left))
    assert left == [], f"{token.written!r} is left in"


def _look_alikes() -> list[str]:
    made = random.Random(7)  # noqa: S311 -- the same look-alikes on every run
    out = []
    for n in range(40):
        data = f"file {n}".encode()
        out += [
            hashlib.sha1(data, usedforsecurity=False).hexdigest(),  # a commit sha
            hashlib.sha256(data).hexdigest(),
            hashlib.md5(data, usedforsecurity=False).hexdigest(),
            str(uuid.UUID(int=made.getrandbits(128), version=4)),
            f"commit {hashlib.sha1(data, usedforsecurity=False).hexdigest()[:12]} on baton/chain-{n}",
        ]
    return [
        *out,
        # The documented example keys.
        "AKIAIOSFODNN7EXAMPLE",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AKIAI44QH8DHBEXAMPLE",
        "key: AIzaSyabcdefghijklmnopqrstuvwxyz1234567",
        # Prose and code a ticket or a diff holds.
        "The token expires after an hour; set GITHUB_TOKEN in the job's env.",
        "password = ${DB_PASSWORD}",
        "api_key: {{ secrets.API_KEY }}",
        "Use the access key from the vault, never commit it.",
        "risk-management-for-the-whole-project and a task-list",
        "sha256:" + hashlib.sha256(b"image").hexdigest(),
        "integrity: sha512-" + base64.b64encode(hashlib.sha512(b"pkg").digest()).decode(),
        "Fixes #12 in 3f2a9c1; see https://github.com/octo/widgets/pull/7",
        "x = 2 + 3  # a+b=c, 100% sure",
        'print("it\\"s fine\\n")',
        "caf\u00e9 \u200bjoined\u200d text and a soft\u00adhyphen",
    ]


LOOK_ALIKES = _look_alikes()


def test_look_alikes_stay_as_they_are() -> None:
    assert [text for text in LOOK_ALIKES if REDACT(text) != text] == []


# -- channels driven on their own -------------------------------------------------------------


def _everything() -> dict[str, tuple[str, str]]:
    """The corpus, and a token of every rule: what the channels below carry, by name."""
    tokens = (token_maker.token(rule) for rule in RULES)
    return {**CORPUS, **{f"rule {t.rule}": (t.secret, t.written) for t in tokens}}


def _all() -> str:
    # Numbered, not named: a rule's id may hold its token's public prefix (`bedrock-api-key-`).
    return "\n".join(f"{n}: {written}" for n, (_, written) in enumerate(_everything().values()))


def _state() -> StoreData:
    ticket = TicketState(key="#1", title="Deploy", status="blocked", reason=_all())
    chain = ChainState(
        name="corpus", branch="baton/corpus", base_branch="main", tickets={"#1": ticket}
    )
    return StoreData(chains={"corpus": chain})


def _leaked(text: str) -> list[str]:
    forms = _forms(text)
    return [case for case, (secret, _) in _everything().items() if not _hidden(secret, forms)]


def test_the_local_state_file_keeps_no_secret(tmp_path: Path) -> None:
    path = tmp_path / ".baton" / "state.json"
    store = FileStore(path, Redactor(VALUES.values()))
    store.save(_state())
    text = path.read_text()
    assert _leaked(text) == []
    assert REDACTED in text
    assert store.load().revision == 1, "still Baton's state"


def test_the_job_summary_keeps_no_secret(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    notifier = ActionsNotifier.from_environment(
        {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary), **VALUES},
        stream=io.StringIO(),
    )
    assert notifier is not None
    state = _state().chains["corpus"]
    state.tickets["#1"].title = "Deploy " + " ".join(w for _, w in list(CORPUS.values())[:40])
    notifier.notify(Event(kind="chain_finished", chain="corpus", message="blocked", state=state))
    text = summary.read_text()
    assert REDACTED in text
    assert _leaked(text) == []
