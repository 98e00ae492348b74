"""`baton init`: the files a repository needs to run Baton in GitHub Actions.

The files are templates shipped in the package (`bot/templates/`). Rendering is pure; writing
never replaces an existing file unless asked to, so running it again changes nothing.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Final, Literal, get_args

from bot.config import DEFAULT_PATH, AgentKind, check_config
from bot.errors import BatonError
from bot.workspace import Git

AGENT_KINDS: Final[tuple[str, ...]] = get_args(AgentKind)
DEFAULT_AGENT: Final = "claude"
TRIGGER_LABEL: Final = "ready-for-agent"

# The workflow's schedule, in UTC: a safety net for a dropped event, not what moves a chain on
# (a chain job works its whole chain and hands over by dispatch). Hourly, off the full hour.
DEFAULT_SCHEDULE: Final = "17 * * * *"
SCHEDULE_LINE: Final = '    - cron: "{}"\n'
# GitHub's cron (POSIX): per field its name, bounds and the names it also accepts.
_CRON_FIELDS: Final = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of the month", 1, 31, ()),
    (
        "month",
        1,
        12,
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"),
    ),
    ("day of the week", 0, 6, ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")),
)
_CRON_ITEM: Final = re.compile(r"(\*|(\w+)(?:-(\w+))?)(?:/(\d+))?")
MIN_SCHEDULE_GAP: Final = 5  # minutes: GitHub runs a schedule at most this often

# The `uses:` reference of the Baton action in the workflow, until the user sets it.
ACTION_PLACEHOLDER: Final = (
    "OWNER/baton@0000000000000000000000000000000000000000 # BATON_ACTION_REF"
)
ACTION_REF_RE: Final = re.compile(
    r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_./-]+)?@[0-9a-f]{40}"
)

# The secret each agent kind reads from the environment (None: whatever the command needs).
AGENT_SECRETS: Final[dict[str, str | None]] = {
    "claude": "ANTHROPIC_API_KEY",
    "codex": "OPENAI_API_KEY",
    "gemini": "GEMINI_API_KEY",
    "cursor-cli": "CURSOR_API_KEY",
    "cursor": "CURSOR_API_KEY",
    "command": None,
}
# What the action installs on the runner for each kind (`agent:` input of action.yml).
AGENT_INSTALLS: Final[dict[str, str]] = {
    "claude": "claude",
    "codex": "codex",
    "gemini": "gemini",
    "cursor-cli": "none",
    "cursor": "none",
    "command": "none",
}

# What each kind needs on the runner and what Baton does with it, in two lines (README, Agents).
AGENT_SETUP: Final[dict[str, str]] = {
    "claude": "The action installs Claude Code (the version Baton was tested with) and "
    "bubblewrap; Baton runs it with --permission-mode acceptEdits and grants it only the test "
    "command as a shell command.",
    "codex": "The action installs Codex (the version Baton was tested with) and bubblewrap; "
    "inside Baton's sandbox Codex runs with --sandbox danger-full-access (its own sandbox "
    "cannot nest in Baton's).",
    "gemini": "The action installs Gemini CLI (the version Baton was tested with) and "
    "bubblewrap; Baton runs it with --skip-trust --approval-mode auto_edit and allows only the "
    "test command as a shell command.",
    "cursor-cli": "Install the Cursor CLI (the binary `agent`, or the older `cursor-agent`) on "
    "the runner in a step before Baton's; Baton runs it with -p --force.",
    "cursor": "Nothing to install: Baton drives Cursor Cloud Agents through their API; set "
    "agent.cursor.repository if the agent should clone another URL.",
    "command": "Install your agent on the runner in a step before Baton's, and list the "
    "variables it needs in agent.env (it sees no others).",
}

Outcome = Literal["created", "kept", "overwritten", "unchanged"]


@dataclass(frozen=True)
class Planned:
    """One file `baton init` writes: its path in the repository, its text, what it is for."""

    path: str
    text: str
    purpose: str


@dataclass(frozen=True)
class Written:
    path: str
    outcome: Outcome
    purpose: str


@dataclass(frozen=True)
class InitResult:
    root: Path
    agent: str  # the kept configuration's kind, when the file was kept
    files: list[Written]
    action_ref_set: bool
    notes: list[str]

    def next_steps(self) -> list[str]:
        """What is left for the user: secrets, the label, the action reference."""
        secret = AGENT_SECRETS.get(self.agent)
        steps = []
        if not self.action_ref_set:
            steps.append(
                "Set BATON_ACTION_REF in .github/workflows/baton.yml: replace every "
                "`OWNER/baton@0000…` with the Baton repository and a full commit SHA you trust "
                "(e.g. `your-org/baton@<40-character sha>`), or run init with --action-ref."
            )
        if secret:
            steps.append(
                f"Add the repository secret {secret} (the {self.agent} agent's key) under "
                "Settings → Secrets and variables → Actions."
            )
        else:
            steps.append(
                "Set agent.command in .github/baton.yml, and add the secrets your agent needs to "
                "the workflow's `env:` beside the Slack ones."
            )
        steps.append(AGENT_SETUP[self.agent])
        steps += [
            "For Slack, add SLACK_BOT_TOKEN (and set notify.slack.channel in .github/baton.yml) "
            "or SLACK_WEBHOOK_URL; without either, Baton reports only on GitHub.",
            "Optionally, use a GitHub App instead of GITHUB_TOKEN (5,000+ requests an hour, and "
            "Baton's pull requests start your other workflows): create an installation token in "
            "a step before Baton's and pass it as the action's `github-token:`.",
            f"Create the label `{TRIGGER_LABEL}` (e.g. `gh label create {TRIGGER_LABEL}`); adding "
            "it to an issue written with the Agent ticket form makes the issue a ticket.",
            "Set validation.test_command in .github/baton.yml, describe your conventions in "
            "knowledge/CONVENTIONS.md, and commit the files.",
        ]
        return steps


def template(name: str) -> str:
    """A template shipped in the package."""
    return (resources.files("bot") / "templates" / name).read_text(encoding="utf-8")


def check_schedule(schedule: str) -> str:
    """The cron line for the workflow's schedule, its fields joined by one space; a
    `BatonError` naming the field when GitHub would not run it."""
    fields = schedule.split()
    if len(fields) != len(_CRON_FIELDS):
        raise BatonError(
            f"--schedule {schedule!r} is not a cron line of five fields",
            hint='give minute hour day month weekday, in UTC, e.g. "17 * * * *" (hourly at :17)',
        )
    minutes = _cron_values(fields[0], *_CRON_FIELDS[0])
    for text, spec in zip(fields[1:], _CRON_FIELDS[1:], strict=True):
        _cron_values(text, *spec)
    ordered = sorted(minutes)
    gaps = [b - a for a, b in itertools.pairwise(ordered)]
    gaps.append(ordered[0] + 60 - ordered[-1])
    if min(gaps) < MIN_SCHEDULE_GAP:
        raise BatonError(
            f"--schedule {schedule!r} fires more often than every {MIN_SCHEDULE_GAP} minutes",
            hint="GitHub runs a schedule at most every 5 minutes, and Baton's is only a safety "
            'net: hourly is plenty, e.g. "17 * * * *"',
        )
    return " ".join(fields)


def runs_per_day(schedule: str) -> int:
    """How many times a day the schedule starts the workflow, on a day it runs at all."""
    fields = check_schedule(schedule).split()
    minutes = _cron_values(fields[0], *_CRON_FIELDS[0])
    hours = _cron_values(fields[1], *_CRON_FIELDS[1])
    return len(minutes) * len(hours)


def _cron_values(text: str, name: str, low: int, high: int, names: tuple[str, ...]) -> set[int]:
    """The values one field of a cron line stands for (`*`, `5`, `1-5`, `*/15`, `MON-FRI`,
    lists of them)."""

    def number(word: str) -> int:
        if word.upper() in names:
            return low + names.index(word.upper())
        if not word.isdigit() or not low <= int(word) <= high:
            raise BatonError(
                f"the {name} field of --schedule has {word!r}",
                hint=f"use numbers from {low} to {high}"
                + (f" or {names[0]}-{names[-1]}" if names else ""),
            )
        return int(word)

    values: set[int] = set()
    for item in text.split(","):
        match = _CRON_ITEM.fullmatch(item)
        if match is None:
            raise BatonError(
                f"the {name} field of --schedule has {item!r}",
                hint="use *, a number, a range a-b, a step */n or a-b/n, or a list of them",
            )
        first, last, step = match.group(2), match.group(3), match.group(4)
        if first is None:  # `*`
            start, end = low, high
        else:  # `a`, `a-b`; with a step, `a/n` runs from a to the field's end
            start = number(first)
            end = number(last) if last else high if step else start
        if start > end or (step is not None and int(step) == 0):
            raise BatonError(
                f"the {name} field of --schedule has {item!r}, which stands for no {name}",
                hint="a range goes from low to high, and a step is at least 1",
            )
        values.update(range(start, end + 1, int(step or 1)))
    return values


def render(
    agent: str, action_ref: str | None = None, schedule: str = DEFAULT_SCHEDULE
) -> list[Planned]:
    """The files for a repository whose agent is `agent`, in the order they are written."""
    schedule = check_schedule(schedule)
    if agent not in AGENT_KINDS:
        raise BatonError(f"unknown agent `{agent}`", hint=f"use one of: {', '.join(AGENT_KINDS)}")
    if action_ref is not None and not ACTION_REF_RE.fullmatch(action_ref):
        raise BatonError(
            f"--action-ref {action_ref!r} is not owner/name@<full commit sha>",
            hint="pin the Baton action to a 40-character commit SHA, e.g. your-org/baton@1a2b…",
        )
    return [
        Planned(
            ".github/workflows/baton.yml",
            _workflow(agent, action_ref, schedule),
            "the workflow: labels, schedule, manual runs, review comments",
        ),
        Planned(
            ".github/ISSUE_TEMPLATE/agent-ticket.yml",
            template("agent-ticket.yml"),
            "the issue form for tickets",
        ),
        Planned(
            DEFAULT_PATH.as_posix(),
            template("baton.yml").replace("__BATON_AGENT_KIND__", agent),
            "Baton's configuration",
        ),
        Planned(
            "knowledge/CONVENTIONS.md",
            template("CONVENTIONS.md"),
            "the conventions every change is checked against",
        ),
    ]


def _workflow(agent: str, action_ref: str | None, schedule: str) -> str:
    text = template("workflow.yml")
    default = SCHEDULE_LINE.format(DEFAULT_SCHEDULE)
    if text.count(default) != 1:  # the template and this module must agree
        raise AssertionError("the workflow template has no default schedule line")
    text = text.replace(default, SCHEDULE_LINE.format(schedule))
    secret = AGENT_SECRETS.get(agent)
    lines = text.splitlines(keepends=True)
    if secret is None:  # a command agent: its secrets are the user's to add
        lines = [line for line in lines if "__BATON_AGENT_SECRET__" not in line]
    text = "".join(lines).replace("__BATON_AGENT_SECRET__", secret or "")
    text = text.replace("__BATON_AGENT__", AGENT_INSTALLS.get(agent, "none"))
    if action_ref is not None:
        text = text.replace(ACTION_PLACEHOLDER, action_ref)
    return text


def init_repository(
    repo: Path,
    environ: Mapping[str, str],
    *,
    agent: str = DEFAULT_AGENT,
    force: bool = False,
    action_ref: str | None = None,
    schedule: str = DEFAULT_SCHEDULE,
) -> InitResult:
    """Write the files into the git repository at `repo`: an existing file is kept unless
    `force`, so a second run changes nothing. `schedule` is the workflow's cron line (UTC);
    `environ`: Baton's environment, for git."""
    root = Git.open(repo, environ).root
    planned = render(agent, action_ref, schedule)
    written = [_write(root, item, force=force) for item in planned]
    kept = _kept_kind(root, written)
    notes: list[str] = []
    if kept is not None and kept != agent:
        notes.append(
            f"{DEFAULT_PATH} is kept, and its agent.kind is {kept}: the next steps are for "
            f"it (--force writes the files for {agent})"
        )
    return InitResult(
        root, kept or agent, written, action_ref_set=action_ref is not None, notes=notes
    )


def _kept_kind(root: Path, written: list[Written]) -> str | None:
    """The agent kind of the configuration init kept, when it loads."""
    if not any(w.path == DEFAULT_PATH.as_posix() and w.outcome == "kept" for w in written):
        return None
    config, _ = check_config(root / DEFAULT_PATH)
    return config.agent.kind if config is not None else None


def _write(root: Path, item: Planned, *, force: bool) -> Written:
    path = root / item.path
    outcome: Outcome = "created"
    if path.exists() or path.is_symlink():
        if not force:
            return Written(item.path, "kept", item.purpose)
        if path.is_symlink() or not path.is_file():
            raise BatonError(
                f"{item.path} is not a regular file, so init will not write through it",
                hint="move it away and run again",
            )
        if path.read_bytes() == item.text.encode("utf-8"):
            return Written(item.path, "unchanged", item.purpose)
        outcome = "overwritten"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(item.text.encode("utf-8"))
    return Written(item.path, outcome, item.purpose)
