"""`baton init`: the files a repository needs to run Baton in GitHub Actions.

The files are templates shipped in the package (`bot/templates/`). Rendering is pure; writing
never replaces an existing file unless asked to, so running it again changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Final, Literal, get_args

from bot.config import AgentKind
from bot.errors import BatonError
from bot.workspace import Git

AGENT_KINDS: Final[tuple[str, ...]] = get_args(AgentKind)
DEFAULT_AGENT: Final = "claude"
TRIGGER_LABEL: Final = "ready-for-agent"

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
    agent: str
    files: list[Written]
    action_ref_set: bool

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


def render(agent: str, action_ref: str | None = None) -> list[Planned]:
    """The files for a repository whose agent is `agent`, in the order they are written."""
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
            _workflow(agent, action_ref),
            "the workflow: labels, schedule, manual runs, review comments",
        ),
        Planned(
            ".github/ISSUE_TEMPLATE/agent-ticket.yml",
            template("agent-ticket.yml"),
            "the issue form for tickets",
        ),
        Planned(
            ".github/baton.yml",
            template("baton.yml").replace("__BATON_AGENT_KIND__", agent),
            "Baton's configuration",
        ),
        Planned(
            "knowledge/CONVENTIONS.md",
            template("CONVENTIONS.md"),
            "the conventions every change is checked against",
        ),
    ]


def _workflow(agent: str, action_ref: str | None) -> str:
    text = template("workflow.yml")
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
    *,
    agent: str = DEFAULT_AGENT,
    force: bool = False,
    action_ref: str | None = None,
) -> InitResult:
    """Write the files into the git repository at `repo`: an existing file is kept unless
    `force`, so a second run changes nothing."""
    root = Git.open(repo).root
    planned = render(agent, action_ref)
    written = [_write(root, item, force=force) for item in planned]
    return InitResult(root, agent, written, action_ref_set=action_ref is not None)


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
