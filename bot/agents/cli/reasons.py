"""A failed call's reason: one line of visible text, from what its output says went wrong."""

from __future__ import annotations

import re

from bot.agents.cli.output import Refusal, embedded_json_objects, error_message
from bot.security import strip_ansi, visible_text

# A line that reports a failure: "Error: …", "ERROR: …", "TypeError: …", "fatal: …".
_ERROR_LINE = re.compile(r"^(?:\w*error|\w*exception|fatal|panic)\b", re.IGNORECASE)


def one_line(text: str) -> str:
    """Visible text on one line: a reason is shown in tables and logs, where a second line could
    pass for a line of Baton's own (or for a CI system's command, such as `::error::`)."""
    return " ".join(visible_text(strip_ansi(text)).split())


def failure_detail(output: str) -> str:
    """What a failed call's output says went wrong: an error a JSON object reports (Gemini
    prints its errors as JSON on stderr), else the last plain line that reports an error (not
    the stack trace under it), else the last plain line; empty when there is none."""
    output = strip_ansi(output)  # a coloured `Error:` is still an error line
    for item in reversed(embedded_json_objects(output)):
        message = error_message(item.get("error"))
        if message:
            return message[:300]
    lines = [line.strip() for line in output.splitlines()]
    plain = [line for line in lines if line and not line.startswith(("{", "}", '"'))]
    for line in reversed(plain):
        if _ERROR_LINE.match(line):
            return line[:300]
    return plain[-1][:300] if plain else ""


def refusal_reason(agent: str, refusals: tuple[Refusal, ...], fix: str) -> str:
    """One line: what the CLI refused (the first of `refusals`), and how to allow it."""
    first = refusals[0]
    target = f" `{one_line(first.target)[:160]}`" if first.target else ""
    more = f" (and {len(refusals) - 1} more)" if len(refusals) > 1 else ""
    return f"{agent} refused {one_line(first.tool)[:60]}{target}{more}: {fix}"


def generic_fix(refusal: Refusal, test_command: str | None) -> str:
    del test_command
    return f"allow {refusal.tool} with agent.extra_args, as the CLI's documentation says"
