"""`.github/baton.yml`: a strict model with defaults in code. Secrets never live here (see
`bot.environment`); unknown keys are errors that name the key path and the near miss."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.errors import ConfigError, Problem
from bot.secret_names import BATON_CREDENTIALS
from bot.yaml_source import read_yaml, validation_problems

DEFAULT_PATH = Path(".github/baton.yml")
AgentKind = Literal["claude", "codex", "cursor-cli", "gemini", "command", "cursor"]
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Baton's credentials (bot.secret_names) that no agent may be given; CURSOR_API_KEY is
# the Cursor CLI's own key as much as Baton's.
_BATON_OWN = frozenset(BATON_CREDENTIALS) - {"CURSOR_API_KEY"}


class _Strict(BaseModel):
    # No NaN or infinity: `.nan` would pass no bound check and say so only as a bound's error.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


def _relative_path(value: str) -> str:
    path = PurePosixPath(value)
    if path.is_absolute() or ".." in path.parts or not value.strip():
        raise ValueError(f"{value!r} must be a path inside the repository (relative, no `..`)")
    return value


class CursorConfig(_Strict):
    """The Cursor Cloud Agents API (agent.kind `cursor`); the key comes from CURSOR_API_KEY."""

    api_version: Literal["v1", "v0"] = "v1"
    repository: str | None = Field(
        default=None, description="Defaults to the GitHub URL of GITHUB_REPOSITORY."
    )
    auto_create_pr: bool = False
    poll_max_seconds: float = Field(default=60, gt=0, le=600)
    stream: bool = False  # follow the run's event stream instead of polling (v1)


def _env_name(name: str) -> str:
    if not _ENV_NAME.fullmatch(name):
        raise ValueError(f"{name!r} is not an environment variable name")
    if name in _BATON_OWN or name.startswith("BATON_"):
        raise ValueError(f"{name} is Baton's own credential; an agent never gets it")
    return name


class AgentConfig(_Strict):
    kind: AgentKind = "claude"
    cursor: CursorConfig = Field(default_factory=CursorConfig)
    # For kind `command`: templates with {prompt_file}, {session_id} and {workdir}.
    command: str | None = None
    resume_command: str | None = None
    executable: str | None = Field(default=None, description="Path of the preset's executable.")
    model: str | None = None
    extra_args: list[str] = Field(default_factory=list)
    # More environment variables the agent may see, by name, beyond the basics and those its
    # CLI documents (see bot/agents/environment.py); never Baton's own credentials.
    env: list[Annotated[str, AfterValidator(_env_name)]] = Field(default_factory=list)
    timeout_minutes: float = Field(default=30, gt=0, le=24 * 60)


# Test files as the common runners name them: what the sabotage check runs, never what it breaks.
TEST_FILES = [
    "**/test_*.py",
    "**/*_test.py",
    "**/*.test.*",
    "**/*.spec.*",
    "**/*_test.go",
    "**/__tests__/**",
    "**/src/test/**",
]


class EvidenceConfig(_Strict):
    """Phase 3: do the tests a ticket adds test something? See README "Evidence"."""

    enabled: bool = True
    # Runs only the tests given: `{tests}` becomes the ticket's test files, shell-quoted (e.g.
    # `pytest -q {tests}`, `node --test {tests}`). Without it each mutant runs the whole suite.
    tests_command: str | None = None
    # A mutation tool instead of Baton's mutants (Stryker, PIT...): it writes a report in the
    # mutation-testing-elements JSON schema at `report`.
    command: str | None = None
    report: str | None = None
    _report = field_validator("report")(_relative_path)
    mutants: int = Field(default=10, ge=0, le=200)
    min_kill: float = Field(default=0.5, ge=0, le=1)
    budget_minutes: float = Field(default=5, gt=0, le=24 * 60)
    test_files: list[str] = Field(default_factory=lambda: list(TEST_FILES))

    @field_validator("tests_command")
    @classmethod
    def _names_the_tests(cls, value: str | None) -> str | None:
        if value is not None and "{tests}" not in value:
            raise ValueError(
                "must hold `{tests}`, where the ticket's test files go: add it, or drop the key "
                "to run the whole test command"
            )
        return value

    @model_validator(mode="after")
    def _tool_with_report(self) -> EvidenceConfig:
        if self.command is not None and self.report is None:
            raise ValueError("`command` needs `report`: the path of the JSON report it writes")
        return self


class ValidationConfig(_Strict):
    test_command: str | None = None
    # Where the test command writes its JUnit XML and its coverage report (Cobertura XML, lcov
    # or coverage.py JSON), relative to the working copy: what phase 3 reads.
    junit: str | None = None
    coverage: str | None = None
    evidence: EvidenceConfig = Field(default_factory=EvidenceConfig)
    _reports = field_validator("junit", "coverage")(_relative_path)
    # Where the agent's code is tested. `inline` (and `auto`, the default, everywhere): in Baton's
    # own process, in the sandbox without secrets or network (unless `network`), and the chain
    # goes straight on to its next ticket in the same session. `job`: in a job of its own with a
    # read-only token (`baton validate`), whose result the next trigger reads; it costs a wait for
    # that trigger after every attempt and, on Actions, a session per ticket for a CLI agent (its
    # sessions live in the runner's HOME, which the next job does not have).
    where: Literal["auto", "inline", "job"] = "auto"
    # A ticket from an issue may set its own test command only when this is on: issue text is
    # not the base branch's configuration. (Chain files are the repository's: always allowed.)
    issue_test_commands: bool = False
    # Run the test command as this user (e.g. `nobody`): it cannot read Baton's environment.
    run_as: str | None = None
    # The test command runs without network inside the sandbox unless this is on (e.g. for a
    # test suite that downloads what it needs).
    network: bool = False
    test_timeout_minutes: float = Field(default=15, gt=0, le=24 * 60)
    max_corrections: int = Field(default=2, ge=0, le=10)
    output_lines: int = Field(default=200, ge=10, le=5000)


class LlmReviewerConfig(_Strict):
    """The optional LLM reviewer of phase 2 (off by default); its key comes from the environment
    (ANTHROPIC_API_KEY or OPENAI_API_KEY)."""

    enabled: bool = False
    provider: Literal["anthropic", "openai"] = "anthropic"
    model: str | None = None
    base_url: str | None = None
    max_diff_chars: int = Field(default=60_000, ge=1_000, le=1_000_000)
    max_output_tokens: int = Field(default=2_000, ge=100, le=32_000)
    timeout_seconds: float = Field(default=120, gt=0, le=1_800)


class ReviewConfig(_Strict):
    conventions: str = "knowledge/CONVENTIONS.md"
    llm: LlmReviewerConfig = Field(default_factory=LlmReviewerConfig)


class PlanConfig(_Strict):
    """`baton plan`: what the plan check asks of a drafted chain file."""

    # Files a ticket may create or modify (a glob or directory counts the files it matches): a
    # ticket that changes more is too big for one step with validation after it.
    max_files_per_ticket: int = Field(default=10, ge=1, le=1000)
    # Corrections the planner gets, in its session, for a draft the check refuses; then the
    # draft is refused and nothing is handed over.
    max_corrections: int = Field(default=2, ge=0, le=10)


class LimitsConfig(_Strict):
    """Per chain: when reached, the chain stops cleanly and reports what is left."""

    max_agent_minutes: float | None = Field(default=None, gt=0)
    max_agent_runs: int | None = Field(default=None, gt=0)


class LabelsConfig(_Strict):
    trigger: str = "ready-for-agent"
    # An issue labelled so (by someone trusted) is a goal: `baton plan` drafts its chain.
    plan: str = "plan-for-agent"
    queued: str = "baton:queued"
    running: str = "baton:running"
    done: str = "baton:done"
    blocked: str = "baton:blocked"
    invalid: str = "baton:invalid"


class BranchesConfig(_Strict):
    base: str | None = Field(
        default=None, description="Defaults to the repository's current branch."
    )
    prefix: str = "baton/"


class KnowledgeConfig(_Strict):
    dir: str = "knowledge"

    _dir = field_validator("dir")(_relative_path)


class SlackConfig(_Strict):
    channel: str | None = None
    user: str | None = None
    # Slack is sent to while the chain goes on; at the end of a run Baton waits this long at most
    # for what is still queued, then names what was not delivered.
    flush_seconds: float = Field(default=10.0, ge=0, le=600)
    # How long one request to Slack may go unanswered before Baton stops waiting for it.
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)


class NotifyConfig(_Strict):
    slack: SlackConfig = Field(default_factory=SlackConfig)


class TrustConfig(_Strict):
    allowed_bots: list[str] = Field(default_factory=list)


def _sandbox_mode(value: object) -> object:
    # YAML 1.1 reads a bare `off` as false: `sandbox: off` must mean what it says.
    return "off" if value is False else value


class Config(_Strict):
    version: Literal[1] = 1
    tickets_dir: str = "tickets"
    # Where agents and test commands run: `bwrap` confined by bubblewrap (an error when it is
    # missing), `off` unconfined, `auto` bubblewrap when it works here (see bot/sandbox).
    sandbox: Literal["auto", "bwrap", "off"] = "auto"
    # Whether a ticket may name a protected path (bot/protected.py) among its files; a ticket is
    # anyone's text, and those files run with the repository's rights.
    allow_protected: bool = False

    _tickets_dir = field_validator("tickets_dir")(_relative_path)
    _sandbox = field_validator("sandbox", mode="before")(_sandbox_mode)
    agent: AgentConfig = Field(default_factory=AgentConfig)
    validation: ValidationConfig = Field(default_factory=ValidationConfig)
    review: ReviewConfig = Field(default_factory=ReviewConfig)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    plan: PlanConfig = Field(default_factory=PlanConfig)
    labels: LabelsConfig = Field(default_factory=LabelsConfig)
    branches: BranchesConfig = Field(default_factory=BranchesConfig)
    knowledge: KnowledgeConfig = Field(default_factory=KnowledgeConfig)
    notify: NotifyConfig = Field(default_factory=NotifyConfig)
    trust: TrustConfig = Field(default_factory=TrustConfig)


def check_config(path: Path) -> tuple[Config | None, list[Problem]]:
    """Validate a config file; a missing file means all defaults."""
    if not path.exists():
        return Config(), []
    doc, problems = read_yaml(path)
    if doc is None:
        return None, problems
    if doc.data is None:
        return Config(), []
    if not isinstance(doc.data, dict):
        return None, [Problem("error", "(top)", "must be a mapping of settings", str(path), 1)]
    try:
        return Config.model_validate(doc.data), []
    except ValidationError as exc:
        return None, validation_problems(exc, doc, Config)


def load_config(path: Path) -> Config:
    config, problems = check_config(path)
    if config is None:
        first = problems[0]
        more = (
            f" (and {len(problems) - 1} more; run `baton config check`)"
            if len(problems) > 1
            else ""
        )
        raise ConfigError.at(first, more=more)
    return config
