"""`.github/baton.yml`: a strict model with defaults in code. Secrets never live here (see
`bot.environment`); unknown keys are errors that name the key path and the near miss."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.errors import ConfigError, Problem
from bot.yaml_source import read_yaml, validation_problems

DEFAULT_PATH = Path(".github/baton.yml")
AgentKind = Literal["claude", "codex", "cursor-cli", "gemini", "command"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def _relative_dir(value: str) -> str:
    path = PurePosixPath(value)
    if path.is_absolute() or ".." in path.parts or not value.strip():
        raise ValueError(f"{value!r} must be a directory inside the repository (relative, no `..`)")
    return value


class AgentConfig(_Strict):
    kind: AgentKind = "claude"
    # For kind `command`: templates with {prompt_file}, {session_id} and {workdir}.
    command: str | None = None
    resume_command: str | None = None
    executable: str | None = Field(default=None, description="Path of the preset's executable.")
    model: str | None = None
    extra_args: list[str] = Field(default_factory=list)
    timeout_minutes: float = Field(default=30, gt=0, le=24 * 60)


class ValidationConfig(_Strict):
    test_command: str | None = None
    test_timeout_minutes: float = Field(default=15, gt=0, le=24 * 60)
    max_corrections: int = Field(default=2, ge=0, le=10)
    output_lines: int = Field(default=200, ge=10, le=5000)


class LabelsConfig(_Strict):
    trigger: str = "ready-for-agent"
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

    _dir = field_validator("dir")(_relative_dir)


class SlackConfig(_Strict):
    channel: str | None = None
    user: str | None = None


class NotifyConfig(_Strict):
    slack: SlackConfig = Field(default_factory=SlackConfig)


class TrustConfig(_Strict):
    allowed_bots: list[str] = Field(default_factory=list)


class Config(_Strict):
    version: Literal[1] = 1
    tickets_dir: str = "tickets"

    _tickets_dir = field_validator("tickets_dir")(_relative_dir)
    agent: AgentConfig = Field(default_factory=AgentConfig)
    validation: ValidationConfig = Field(default_factory=ValidationConfig)
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
        raise ConfigError(first.render() + more)
    return config
