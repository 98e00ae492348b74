"""An agent's reply to one prompt, as Baton keeps it in the chain state."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, field_validator

from bot.security import plain_output


class AgentResult(BaseModel):
    """What every agent answers, kept as plain text: no terminal escapes reach a prompt, a
    report or a comment."""

    model_config = ConfigDict(extra="forbid")

    ok: bool
    session_id: str | None = None
    # A cloud agent works on its own copy and pushes a branch: Baton validates that branch.
    branch: str | None = None
    pr_url: str | None = None
    run_id: str | None = None
    summary: str = ""
    error: str | None = None
    cost_usd: float | None = None
    # Tokens the call used, when the agent reports them (a Cursor run: its usage).
    input_tokens: int | None = None
    output_tokens: int | None = None
    duration_s: float = 0.0
    # A resume the agent answered by not knowing the session (a CLI's sessions live in the HOME
    # of the runner that started them): the session is gone, through no fault of the ticket.
    session_lost: bool = False

    @field_validator("summary", "error")
    @classmethod
    def _plain(cls, text: str | None) -> str | None:
        return plain_output(text) if text is not None else None
