"""What the scripted model does: turns of steps, consumed one per main-conversation request.

A `Turn` is one model answer: tool calls (write a file, run a command) and/or text. When a turn
holds tool calls, the CLI runs them and sends the results back; that request gets the next turn.
A `Failure` answers the request with an API error in the provider's shape instead.
Requests that are not the main conversation (titles, quota checks, topic detection: each
protocol module says how it tells them apart) get a short neutral answer and consume nothing.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class WriteFile:
    path: str  # relative to the CLI's working directory
    content: str


@dataclass(frozen=True)
class RunCommand:
    command: str


@dataclass(frozen=True)
class Say:
    text: str


Step = WriteFile | RunCommand | Say


@dataclass(frozen=True)
class Failure:
    status: int
    message: str
    kind: str = "invalid_request_error"


@dataclass(frozen=True)
class Turn:
    steps: tuple[Step, ...] | Failure

    def __init__(self, *steps: Step | Failure) -> None:
        if len(steps) == 1 and isinstance(steps[0], Failure):
            object.__setattr__(self, "steps", steps[0])
        else:
            plain = tuple(s for s in steps if not isinstance(s, Failure))
            if len(plain) != len(steps):
                raise ValueError("a failure is a turn of its own")
            object.__setattr__(self, "steps", plain)

    @property
    def tool_steps(self) -> list[WriteFile | RunCommand]:
        if isinstance(self.steps, Failure):
            return []
        return [s for s in self.steps if isinstance(s, WriteFile | RunCommand)]

    @property
    def text(self) -> str:
        if isinstance(self.steps, Failure):
            return ""
        return "\n".join(s.text for s in self.steps if isinstance(s, Say))


def write(path: str, content: str) -> WriteFile:
    return WriteFile(path, content)


def run(command: str) -> RunCommand:
    return RunCommand(command)


def say(text: str) -> Say:
    return Say(text)


def fail(status: int, message: str, kind: str = "invalid_request_error") -> Failure:
    return Failure(status, message, kind)


@dataclass
class Call:
    """One main-conversation request as the endpoint saw it."""

    protocol: str  # "anthropic" | "openai" | "gemini"
    path: str
    body: dict[str, Any]
    user_texts: list[str]  # every user message's text in the request, oldest first
    tool_results: list[str]  # every tool result's text in the request, oldest first
    tools: list[str]  # names of the tools the CLI offered


@dataclass
class Script:
    """The turns, in order. When they run out, the model says `idle` (and the test can see it)."""

    turns: list[Turn]
    idle: str = "Nothing more to do."
    calls: list[Call] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _next: int = 0

    def next_turn(self, call: Call) -> Turn:
        with self._lock:
            self.calls.append(call)
            if self._next >= len(self.turns):
                return Turn(Say(self.idle))
            turn = self.turns[self._next]
            self._next += 1
            return turn

    def extend(self, *turns: Turn) -> None:
        """More turns, e.g. for the next ticket of a chain."""
        with self._lock:
            self.turns.extend(turns)

    @property
    def remaining(self) -> int:
        with self._lock:
            return len(self.turns) - self._next
