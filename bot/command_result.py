"""What a command run left: its exit, its time and the end of its output. Plain data, saved in the
chain state (a validation's test command) and made by the workspace, which runs commands."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class CommandResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    command: str
    exit_code: int | None  # None when it timed out or could not start
    duration_s: float
    timed_out: bool = False
    tail: str = ""  # the last lines of its output

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out
