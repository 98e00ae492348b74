"""Secrets never leave. Token-shaped strings of every kind Baton knows (built here, never real
ones), and the values of the secrets Baton is given (raw and base64-encoded), are planted where
Baton reads: a ticket's title and body, the agent's summary and error, the test command's output.
Then a chain runs in GitHub mode (the fake GitHub, Slack through the fake Slack) and in local mode,
and everything that left is scanned: each request body GitHub received, each Slack message, every
git object of the repository, every prompt the agent got, the log records at DEBUG, and the
command's output. No planted secret may be there, raw or base64.

Below that, `bot.redact.Redactor` itself: each pattern, configured values at every base64
alignment, secrets back to back, multi-line secrets, short values, idempotence, hostile input."""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import re
import subprocess
import sys
import textwrap
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cli import cli
from bot.issue_form import render_issue_body
from bot.prompts import ChainView, Knowledge, launch_prompt
from bot.redact import _PATTERNS, REDACTED, Redactor, from_environment
from bot.tickets import Ticket, TicketFiles
from bot.workspace import Git
from tests.fakes.github import FakeGitHub
from tests.fakes.slack import FakeSlack
from tests.reliability.isolation import quiet_environment
from tests.reliability.tally import Tally

# -- the secrets -------------------------------------------------------------------------------

GITHUB_TOKEN = "ghs_" + "Gt7" * 12  # Baton's own token; the fake GitHub accepts it
SLACK_BOT_TOKEN = "xoxb-" + "1234567890-" * 2 + "Sl4ckB0tT0k3nF0rT3sts"
CURSOR_API_KEY = "crsr_" + "kQ9" * 11  # no known shape: found by its value alone
# No known shape either, and characters a URL or a JSON string escapes.
OPENAI_API_KEY = "org-live." + "Pq7Rs8Tu9" * 3
WEBHOOK_SECRET = "wh/" + "Zx4+Cv5" * 4 + '"q'
CONFIGURED = {
    "GITHUB_TOKEN": GITHUB_TOKEN,
    "SLACK_BOT_TOKEN": SLACK_BOT_TOKEN,
    "CURSOR_API_KEY": CURSOR_API_KEY,
    "OPENAI_API_KEY": OPENAI_API_KEY,
    "BATON_CURSOR_WEBHOOK_SECRET": WEBHOOK_SECRET,
}
AWS_SECRET = "wJalrXUtnFEMI" + "K7MDENG" * 3 + "bPxRfi"  # 40 characters, as AWS makes them
SHAPES = {
    "ghp": "ghp_" + "A1b2C3" * 6,
    "github_pat": "github_pat_" + "11ABCDEFG" + "0" * 13 + "_" + "pQ" * 29 + "r",
    "ghs": "ghs_" + "D4e5F6" * 6,
    "gho": "gho_" + "H7i8J9" * 6,
    "xoxp": "xoxp-" + "2345678901-" * 3 + "a1b2c3d4e5f6",
    "xoxa": "xoxa-2-" + "Ab1" * 8,
    "xoxr": "xoxr-" + "Zy9" * 8,
    "xoxs": "xoxs-" + "Wv8" * 8,
    "slack_webhook": "https://hooks.slack.com/services/T0ABCDEFG/B0HIJKLMN/" + "Xw2" * 8,
    "openai": "sk-proj-" + "Mn3Op4" * 7,
    "anthropic": "sk-ant-api03-" + "Qr5St6" * 7,
    "aws_access_key_id": "AKIA" + "U7V8W9X0Y1Z2A3B4",
    "aws_secret_access_key": AWS_SECRET,
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJiYXRvbiIsImlhdCI6MTcwMDAwMDAwMH0." + "Sg" * 21 + "c",
}


# Shapes only the rule set knows (no word may be glued before them).
RULE_SET_SHAPES = {
    "glpat": "glpat-" + "Hk3_Lm4-Np5" * 2,
    "npm": "npm_" + "q7w8e9r0t1y2" * 3,
    "xapp": "xapp-1-A0123456789-1234567890123-" + "f0e1d2c3b4a5" * 5,
    "pypi": "pypi-AgEIcHlwaS5vcmc" + "Xy7_Zw8-" * 8,
    "google_api_key": "AIza" + "Sy9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0Lz-X",
}


def b64(text: str) -> str:
    """As `echo "$SECRET" | base64` prints it."""
    return base64.b64encode((text + "\n").encode()).decode()


PLANTED = {
    **SHAPES,
    **RULE_SET_SHAPES,
    **{f"{name} (configured)": value for name, value in CONFIGURED.items()},
    **{f"{name} (configured, base64)": b64(value) for name, value in CONFIGURED.items()},
    "GITHUB_TOKEN (configured, base64url)": base64.urlsafe_b64encode(
        GITHUB_TOKEN.encode()
    ).decode(),
    **{
        f"{name} (configured, url-encoded)": urllib.parse.quote(CONFIGURED[name], safe="")
        for name in ("OPENAI_API_KEY", "BATON_CURSOR_WEBHOOK_SECRET")
    },
    "BATON_CURSOR_WEBHOOK_SECRET (configured, form-encoded)": urllib.parse.quote_plus(
        WEBHOOK_SECRET
    ),
    "BATON_CURSOR_WEBHOOK_SECRET (configured, JSON-escaped)": json.dumps(WEBHOOK_SECRET)[1:-1],
}


def said(where: str) -> str:
    """Every planted secret, as someone would leave them in `where`."""
    lines = [f"{where}:"]
    for name, value in PLANTED.items():
        if name == "aws_secret_access_key":
            lines.append(f"  aws_secret_access_key = {value}")
        else:
            lines.append(f"  {name}: {value}")
    return "\n".join(lines)


def _forms(secret: str) -> set[str]:
    """The secret, and its base64 text at each of the three alignments (std and url-safe)."""
    out = {secret}
    data = secret.encode()
    for offset in range(3):
        encoded = b"\0" * offset + data
        first, last = -(-4 * offset // 3), 8 * len(encoded) // 6
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            out.add(encode(encoded).decode()[first:last])
    return {form for form in out if len(form) >= 12}


# What must not appear: each planted string, and for the base64 ones the raw value too.
NEEDLES: dict[str, set[str]] = {name: _forms(value) for name, value in PLANTED.items()}
for _name, _value in CONFIGURED.items():
    for _needle, _forms_of in NEEDLES.items():
        if _needle.startswith(f"{_name} (configured, "):
            # The raw value, and as a JSON text would carry it.
            _forms_of |= _forms(_value) | {json.dumps(_value)[1:-1]}


def leaks(texts: list[str]) -> dict[str, list[str]]:
    """Which planted secrets appear in `texts`, with a few words around the first sighting."""
    found: dict[str, list[str]] = {}
    for name, needles in NEEDLES.items():
        for text in texts:
            hit = next((n for n in needles if n in text), None)
            if hit is not None:
                at = text.index(hit)
                found.setdefault(name, []).append(text[max(0, at - 60) : at + len(hit) + 20])
                break
    return found


# -- what left Baton ---------------------------------------------------------------------------


class _Records(logging.Handler):
    """Every log record at DEBUG and above, as caplog keeps them, for a run set up once."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def texts(self) -> list[str]:
        out = []
        for record in self.records:
            fields = {k: v for k, v in vars(record).items() if k not in {"msg", "args"}}
            out += [record.getMessage(), repr(fields)]
            if record.exc_info and record.exc_info[1] is not None:
                out.append(repr(record.exc_info[1]))
        return out


@dataclass
class Outbox:
    """Everything that left Baton in one run, by where it went."""

    channels: dict[str, list[str]] = field(default_factory=dict)
    output: str = ""


@contextlib.contextmanager
def debug_logs() -> Iterator[_Records]:
    """Every logger at DEBUG for the run (as `caplog.set_level(logging.DEBUG)` does)."""
    root = logging.getLogger()
    handler = _Records()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def git_objects(git_dir: Path) -> list[str]:
    """The text of every object in a repository, reachable or not: commits, trees, blobs."""
    out = subprocess.run(
        ["git", "-C", str(git_dir), "cat-file", "--batch-all-objects", "--batch"],
        capture_output=True,
        check=True,
    ).stdout
    objects, at = [], 0
    while at < len(out):
        header_end = out.index(b"\n", at)
        size = int(out[at:header_end].split()[2])
        objects.append(out[header_end + 1 : header_end + 1 + size].decode("utf-8", "replace"))
        at = header_end + 1 + size + 1
    return objects


def is_state(text: str) -> bool:
    """Baton's chain state (state.json on the `baton/state` branch), as a request or a blob."""
    if '"state.json"' in text or "baton: state revision" in text:
        return True
    try:
        data = json.loads(text)
    except ValueError:
        return False
    if not isinstance(data, dict):
        return False
    if isinstance(data.get("content"), str):  # a blob made through the git data API
        return is_state(data["content"])
    return {"schema_version", "revision", "chains"} <= data.keys()


def baton_commits(repo: Path, since: str) -> list[str]:
    """What was committed after `since` (the project as the user wrote it, secrets and all), on
    every branch: the commits' messages and changes."""
    out = subprocess.run(
        ["git", "-C", str(repo), "log", "--all", f"^{since}", "-p", "--format=%H%n%B"],
        capture_output=True,
        check=True,
    ).stdout
    return [out.decode("utf-8", "replace")]


# The agent: keeps a copy of every prompt, fails the launch of a ticket whose file is named
# `login` (quoting the secrets in its error), writes a first try that the tests refuse and the
# fix on a correction or recovery, and quotes the secrets in every summary.
AGENT = """\
import json, pathlib, re, shutil, sys
here = pathlib.Path(__file__).parent
prompt_file = pathlib.Path(sys.argv[1])
prompt = prompt_file.read_text()
copies = here / "prompts"
copies.mkdir(exist_ok=True)
shutil.copy(prompt_file, copies / f"{len(list(copies.iterdir())):02d}.md")
kind = re.match(r"# Baton · (\\w+) · ticket", prompt).group(1)
said = (here / "agent-says.txt").read_text()
path = pathlib.Path(re.search(r"Only these files may change: `([^`]+)`", prompt).group(1))
session = sys.argv[2] if len(sys.argv) > 2 else None
if path.stem == "login" and kind in ("launch", "followup"):
    print(json.dumps({"session_id": session, "is_error": True, "result": "cannot log in. " + said}))
    sys.exit(0)
path.parent.mkdir(parents=True, exist_ok=True)
path.write_text("first try\\n" if kind == "launch" else "fixed\\n")
print(json.dumps({"session_id": session, "is_error": False, "result": "Done. " + said}))
"""


def _agent(root: Path) -> Path:
    agent = root / "agent.py"
    agent.write_text(AGENT)
    (root / "agent-says.txt").write_text(said("the agent"))
    (root / "test-says.txt").write_text(said("the tests"))
    return agent


def _config(root: Path, agent: Path, *, session: bool) -> str:
    args = "{prompt_file} {session_id}" if session else "{prompt_file}"
    return textwrap.dedent(
        f"""\
        # The agent and the test command read what they say from outside the working copy.
        sandbox: off
        agent:
          kind: command
          command: "{sys.executable} {agent} {args}"
          timeout_minutes: 1
        validation:
          test_command: "cat {root / "test-says.txt"}; grep -rq fixed work"
          test_timeout_minutes: 1
        notify:
          slack:
            channel: '#baton'
        """
    )


def _tickets() -> list[tuple[str, Ticket]]:
    """Two tickets: secrets in a title and in a body; the second one's agent fails first."""
    first = Ticket(
        goal="Create work/scaffold.txt.",
        context="Staging credentials, pasted by someone in a hurry:\n\n" + said("the ticket"),
        files=TicketFiles(create=["work/scaffold.txt"]),
    )
    second = Ticket(goal="Create work/login.txt.", files=TicketFiles(create=["work/login.txt"]))
    return [(f"Scaffold with {SHAPES['jwt']}", first), ("Log in", second)]


def _scan_texts(outbox: Outbox) -> dict[str, dict[str, list[str]]]:
    return {channel: leaks(texts) for channel, texts in outbox.channels.items()}


def _slack_texts(slack: FakeSlack) -> list[str]:
    texts = [json.dumps(m.__dict__, ensure_ascii=False, default=str) for m in slack.messages]
    texts += [json.dumps(m, ensure_ascii=False) for m in slack.webhook_messages]
    return texts


@pytest.fixture(scope="module")
def github_outbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outbox]:
    """A two-ticket chain in GitHub mode, with Slack, and everything that left it."""
    root = tmp_path_factory.mktemp("github")
    with quiet_environment(), FakeSlack(token=SLACK_BOT_TOKEN) as slack:
        agent = _agent(root)
        files = {
            "README.md": "# widgets\n",
            ".github/baton.yml": _config(root, agent, session=True),
        }
        with FakeGitHub(root, files=files) as fake:
            fake.add_token(GITHUB_TOKEN, fake.bot_login)
            previous = 0
            for title, ticket in _tickets():
                deps = [f"#{previous}"] if previous else []
                previous = fake.add_issue(
                    title,
                    render_issue_body(ticket.model_copy(update={"depends_on": deps})),
                    labels=["ready-for-agent"],
                    milestone="Sprint 1",
                )
            work = root / "checkout"
            subprocess.run(["git", "clone", "-q", str(fake.git_dir), str(work)], check=True)
            env = {
                **CONFIGURED,
                "GITHUB_REPOSITORY": fake.full_name,
                "GITHUB_API_URL": fake.url,
                "BATON_BOT_LOGIN": fake.bot_login,
                "BATON_GIT_REMOTE": str(fake.git_dir),
                "BATON_GITHUB_WRITE_INTERVAL": "0",
                "BATON_SLACK_API_URL": slack.api_url,
                "BATON_SLACK_POST_INTERVAL": slack.post_interval,
            }
            with debug_logs() as logs:
                result = CliRunner().invoke(cli, ["run", "--repo", str(work)], env=env)
            _ran(result)
            [pull] = fake.pulls()
            assert fake.issue(pull.number).state == "open"
            requests = [e.request_body.decode("utf-8", "replace") for e in fake.exchanges]
            objects = git_objects(fake.git_dir)
            yield Outbox(
                channels={
                    # Comments, check runs, labels, the pull request, the knowledge commit.
                    "GitHub request bodies": [r for r in requests if not is_state(r)],
                    "git objects": [o for o in objects if not is_state(o)],
                    "state on GitHub": [t for t in requests + objects if is_state(t)],
                    "Slack messages": _slack_texts(slack),
                    "agent prompts": _prompts(root),
                    "log records": logs.texts(),
                    "command output": [result.output],
                },
                output=result.output,
            )


@pytest.fixture(scope="module")
def local_outbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outbox]:
    """The same chain from a chain file, in local mode, with Slack."""
    root = tmp_path_factory.mktemp("local")
    with quiet_environment(), FakeSlack(token=SLACK_BOT_TOKEN) as slack:
        agent = _agent(root)
        repo = root / "repo"
        (repo / ".github").mkdir(parents=True)
        (repo / ".github" / "baton.yml").write_text(_config(root, agent, session=False))
        entries = []
        for number, (title, ticket) in enumerate(_tickets(), start=1):
            entry = ticket.model_dump(mode="json", exclude_defaults=True, exclude={"key"})
            entries.append({"key": f"t{number}", "title": title, **entry})
        entries[1]["depends_on"] = ["t1"]
        (repo / "tickets").mkdir()
        (repo / "tickets" / "work.yml").write_text(json.dumps({"tickets": entries}, indent=1))
        git = Git(repo, os.environ)
        git.run("init", "-q", "-b", "main")
        initial = git.commit_all("initial")
        env = {
            **CONFIGURED,
            "BATON_SLACK_API_URL": slack.api_url,
            "BATON_SLACK_POST_INTERVAL": slack.post_interval,
        }
        with debug_logs() as logs:
            result = CliRunner().invoke(cli, ["run", "--local", "--repo", str(repo)], env=env)
        _ran(result)
        yield Outbox(
            channels={
                "Baton's commits": baton_commits(repo, initial),
                "local state file": [(repo / ".baton" / "state.json").read_text()],
                "Slack messages": _slack_texts(slack),
                "agent prompts": _prompts(root),
                "log records": logs.texts(),
                "command output": [result.output],
            },
            output=result.output,
        )


def _ran(result: Result) -> None:
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(result.output) from result.exception
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output


def _prompts(root: Path) -> list[str]:
    return [p.read_text() for p in sorted((root / "prompts").iterdir())]


# Channels where secrets still leave, through modules this suite does not own: expected failures
# until those are fixed (then the marker must go).
KNOWN_LEAKS: dict[tuple[str, str], str] = {}  # none left: add one with its reason


def _channel_params(mode: str, channels: list[str]) -> list[object]:
    params: list[object] = []
    for channel in channels:
        reason = KNOWN_LEAKS.get((mode, channel))
        marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
        params.append(pytest.param(channel, id=channel, marks=marks))
    return params


GITHUB_CHANNELS = [
    "GitHub request bodies",
    "git objects",
    "state on GitHub",
    "Slack messages",
    "agent prompts",
    "log records",
    "command output",
]
LOCAL_CHANNELS = [
    "Baton's commits",
    "local state file",
    "Slack messages",
    "agent prompts",
    "log records",
    "command output",
]


@pytest.mark.parametrize("channel", _channel_params("github", GITHUB_CHANNELS))
def test_no_secret_leaves_a_github_chain(channel: str, github_outbox: Outbox) -> None:
    texts = github_outbox.channels[channel]
    assert texts, f"nothing reached {channel}: the scan would prove nothing"
    assert leaks(texts) == {}


@pytest.mark.parametrize("channel", _channel_params("local", LOCAL_CHANNELS))
def test_no_secret_leaves_a_local_chain(channel: str, local_outbox: Outbox) -> None:
    texts = local_outbox.channels[channel]
    assert texts, f"nothing reached {channel}: the scan would prove nothing"
    assert leaks(texts) == {}


@pytest.mark.parametrize("mode", ["github", "local"])
def test_the_secrets_reached_every_channel_and_were_redacted(
    mode: str, request: pytest.FixtureRequest, tally: Tally
) -> None:
    """The planted text went where a secret could leak, redacted: the scan above was not empty.
    The tally counts a secret as found when it leaked nowhere, known leaks included."""
    outbox: Outbox = request.getfixturevalue(f"{mode}_outbox")
    for channel in ("Slack messages", "agent prompts"):
        assert any(REDACTED in text for text in outbox.channels[channel]), channel
    committed = "git objects" if mode == "github" else "Baton's commits"
    assert any(REDACTED in text for text in outbox.channels[committed])
    state = "state on GitHub" if mode == "github" else "local state file"
    assert any(REDACTED in text for text in outbox.channels[state]), state
    if mode == "github":
        # The status and validation comments and the check run carried the secrets, redacted.
        bodies = outbox.channels["GitHub request bodies"]
        for what in ("this ticket is", "### Baton validation", '"head_sha"'):
            assert any(what in body and REDACTED in body for body in bodies), what
    leaked = {name for found in _scan_texts(outbox).values() for name in found}
    tally.add("secrets_planted", len(PLANTED))
    tally.add("secrets_found", len(PLANTED) - len(leaked))


# -- the redactor --------------------------------------------------------------------------------

CONTEXTS = [
    "{}",
    "token: {}",
    "export TOKEN='{}'",
    '{{"token": "{}"}}',
    "https://x-access-token:{}@github.com/o/r.git",
    "Authorization: Bearer {}",
    "prefix{}suffix",
    "line one\n{}\nline three",
]


@pytest.mark.parametrize("name", list(SHAPES))
@pytest.mark.parametrize("context", CONTEXTS, ids=range(len(CONTEXTS)))
def test_each_token_shape_is_redacted_in_any_context(name: str, context: str, tally: Tally) -> None:
    secret = SHAPES[name]
    text = context.format(f"aws_secret_access_key={secret}" if name.startswith("aws_s") else secret)
    redacted = Redactor()(text)
    tally.add("secrets_planted")
    assert secret not in redacted
    assert REDACTED in redacted
    tally.add("secrets_found")


def test_the_words_around_a_secret_are_kept() -> None:
    text = f"push with {SHAPES['ghp']} to main, then tell {SHAPES['xoxp']}."
    assert Redactor()(text) == f"push with {REDACTED} to main, then tell {REDACTED}."
    quoted = f'"aws_secret_access_key": "{AWS_SECRET}"'
    assert Redactor()(quoted) == f'"aws_secret_access_key": "{REDACTED}"'


def test_a_label_in_any_case_shows_the_key_after_it() -> None:
    # Python's case-blind matching takes U+017F for an `s` and U+212A (Kelvin) for a `k`.
    for label in ("AWS_SECRET_ACCESS_KEY", "Aws_\u017fecret_acce\u017f\u017f_\u212aey"):
        assert AWS_SECRET not in Redactor()(f"{label}={AWS_SECRET}"), label


@pytest.mark.parametrize("prefix", ["", "a", "ab", "token=", "xyz\n"])
@pytest.mark.parametrize("suffix", ["", "\n", "!", "=="])
def test_a_configured_secret_is_redacted_raw_and_base64_at_any_alignment(
    prefix: str, suffix: str, tally: Tally
) -> None:
    redact = Redactor([CURSOR_API_KEY])
    whole = (prefix + CURSOR_API_KEY + suffix).encode()
    for encoded in (base64.b64encode(whole), base64.urlsafe_b64encode(whole)):
        tally.add("secrets_planted")
        text = f"the output: {encoded.decode()} (end)"
        out = redact(text)
        assert not set(_forms(CURSOR_API_KEY)) & {out[i : i + 12] for i in range(len(out))}
        assert REDACTED in out
        tally.add("secrets_found")
    assert redact(f"raw {CURSOR_API_KEY}.") == f"raw {REDACTED}."


def test_secrets_back_to_back_and_overlapping_are_all_redacted() -> None:
    ghp, ghs, aws = SHAPES["ghp"], SHAPES["ghs"], SHAPES["aws_access_key_id"]
    redact = Redactor([CURSOR_API_KEY])
    assert redact(ghp + ghs) == REDACTED
    assert redact(ghp + aws + CURSOR_API_KEY) == REDACTED
    assert redact(f"{ghp} {ghs}") == f"{REDACTED} {REDACTED}"
    # A configured value that holds a token, and one that overlaps another's end.
    holder = "pre-" + ghp + "-post"
    overlapping = Redactor([holder, "-post-and-more"])
    assert overlapping(f"x {holder}-and-more y") == f"x {REDACTED} y"
    # Two configured values, one inside the other.
    nested = Redactor(["outer-secret-" + CURSOR_API_KEY, CURSOR_API_KEY])
    assert nested(f"outer-secret-{CURSOR_API_KEY} and {CURSOR_API_KEY}") == (
        f"{REDACTED} and {REDACTED}"
    )


def test_multi_line_secrets() -> None:
    key = (
        "-----BEGIN RSA PRIVATE KEY-----\n"
        + "\n".join("MIIEpAIBAAKCAQEA" + str(i) * 48 for i in range(5))
        + "\n-----END RSA PRIVATE KEY-----"
    )
    # A private key, whole or as the lines a log's tail shows of it; configured or not.
    assert Redactor()(f"key:\n{key}\nafter") == f"key:\n{REDACTED}\nafter"
    configured = Redactor([key])
    tail = "\n".join(key.splitlines()[2:4])
    assert "MIIEpAIBAAKCAQEA" not in configured(f"...\n{tail}\n...")
    # Two tokens on consecutive lines are two secrets; the line break between them stays.
    assert Redactor()(f"{SHAPES['ghp']}\n{SHAPES['openai']}") == f"{REDACTED}\n{REDACTED}"
    # CRLF output: the secret before the carriage return is found all the same.
    assert Redactor([CURSOR_API_KEY])(f"a {CURSOR_API_KEY}\r\nb") == f"a {REDACTED}\r\nb"


def test_a_token_hidden_by_an_invisible_character_is_redacted_in_the_prompt(
    monkeypatch: pytest.MonkeyPatch, tally: Tally
) -> None:
    """Split by a zero-width space, a token is no token to a pattern; the prompt gets the text
    without the invisible character, where it is one again, and is redacted there."""
    monkeypatch.setenv("CURSOR_API_KEY", CURSOR_API_KEY)
    token = SHAPES["ghp"]
    ticket = Ticket(
        key="t1",
        title=f"Use {token[:6]}\u200b{token[6:]}",
        goal="Deploy with the token below.",
        context=f"token: {token[:4]}\u200b{token[4:]}\nkey: {CURSOR_API_KEY[:5]}\u2060{CURSOR_API_KEY[5:]}",
    )
    view = ChainView(name="c", tickets=[ticket], states={}, test_command=None)
    prompt = launch_prompt(ticket, view, Knowledge(), redact=from_environment(os.environ))
    tally.add("secrets_planted", 2)
    assert token not in prompt
    assert CURSOR_API_KEY not in prompt
    assert REDACTED in prompt
    tally.add("secrets_found", 2)


def test_short_values_do_not_mangle_text() -> None:
    redact = Redactor(["main", "abc", "", "   ", "redacted"])
    text = "main branch: abc, with nothing [redacted] here"
    assert redact(text) == text
    assert Redactor()("a task-list and risk-management-for-the-whole-project") == (
        "a task-list and risk-management-for-the-whole-project"
    )


def test_the_environment_names_the_configured_secrets() -> None:
    env = {"GITHUB_TOKEN": GITHUB_TOKEN, "CURSOR_API_KEY": CURSOR_API_KEY, "HOME": "/home/me"}
    redact = from_environment(env)
    assert redact(f"{CURSOR_API_KEY} {b64(CURSOR_API_KEY)} /home/me") == (
        f"{REDACTED} {REDACTED} /home/me"
    )


# Text made to slow a scan down; benchmarks/run.py times their redaction (speed is measured there,
# never asserted in a test).
HOSTILE = [
    "xoxb-" * 20_000,
    "eyJ" * 30_000,
    "-----BEGIN PRIVATE KEY-----" * 3_000,
    "ghp_" + "a" * 100_000,
    ("sk-" + "a" * 19 + " ") * 5_000,
]


def test_a_token_shape_spans_a_bounded_width_so_scanning_stays_linear() -> None:
    """Every repetition in a token shape is bounded: a match, wherever it starts, spans at most
    so many characters (the widest, a JSON Web Token, 20,488), so scanning a text costs at most
    that many steps per character. An unbounded one would be as wide as the regex engine's limit."""
    for _, pattern, _ in _PATTERNS:
        _, widest = re._parser.parse(pattern.pattern, pattern.flags).getwidth()  # type: ignore[attr-defined]
        assert widest <= 32_768, pattern.pattern


def test_hostile_text_is_redacted_once_and_for_all() -> None:
    redact = Redactor([CURSOR_API_KEY])
    for text in HOSTILE:
        out = redact(text)
        assert redact(out) == out, text[:20]


LABELLED = {**SHAPES, "aws_secret_access_key": f"aws_secret_access_key={AWS_SECRET}"}
secret_strategy = st.sampled_from([*LABELLED.values(), CURSOR_API_KEY, b64(CURSOR_API_KEY)])


@settings(max_examples=150, deadline=None)
@given(
    pieces=st.lists(st.one_of(st.text(max_size=20), secret_strategy), max_size=8),
)
def test_no_planted_secret_survives_and_redacting_twice_changes_nothing(pieces: list[str]) -> None:
    redact = Redactor([CURSOR_API_KEY])
    text = "".join(pieces)
    out = redact(text)
    assert redact(out) == out
    for name, secret in SHAPES.items():
        if LABELLED[name] in pieces:
            assert secret not in out
    assert CURSOR_API_KEY not in out
    assert b64(CURSOR_API_KEY) not in out
