"""Runs a command as phase 1 runs the test command: in the sandbox, without secrets, with the
validation settings; in any working copy (a checkout of the base, or of the head under
sabotage)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.command_result import CommandResult
from bot.config import ValidationConfig
from bot.sandbox import Sandbox
from bot.validation.command import run_test_command


@dataclass(frozen=True)
class Runner:
    config: ValidationConfig
    environ: Mapping[str, str]
    sandbox: Sandbox
    run_as: str | None
    extra_env: Mapping[str, str] = field(default_factory=dict)

    @property
    def timeout_s(self) -> float:
        return self.config.test_timeout_minutes * 60

    def __call__(self, command: str, workdir: Path, timeout_s: float) -> CommandResult:
        return run_test_command(
            command,
            workdir,
            timeout_s,
            self.config.output_lines,
            run_as=self.run_as,
            environ={**self.environ, **self.extra_env},
            sandbox=self.sandbox,
            network=self.config.network,
        )
