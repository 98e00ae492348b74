"""A scripted model endpoint for the real agent CLIs: one local HTTP server that answers as
Anthropic's Messages API, OpenAI's Responses API and Google's Gemini API, from a script of turns.

The CLIs under test are the real binaries; only the model is scripted. Each protocol module turns
a `Turn` into its provider's wire shape (documented at the top of that module) and offers only
tools the CLI itself declared in the request, so a CLI that offers no write tool gets no edit.

    script = Script([Turn(write("notes.txt", "hello\\n")), Turn(say("Done."))])
    with ModelEndpoint(script) as endpoint:
        env = endpoint.env_for("claude")   # base URL and key variables for that CLI
        ...                                # run the CLI
        assert endpoint.calls[0].user_texts  # what the CLI sent
"""

from tests.fakes.models.script import (
    Call,
    Failure,
    RunCommand,
    Say,
    Script,
    Step,
    Turn,
    WriteFile,
    fail,
    run,
    say,
    write,
)
from tests.fakes.models.server import ModelEndpoint

__all__ = [
    "Call",
    "Failure",
    "ModelEndpoint",
    "RunCommand",
    "Say",
    "Script",
    "Step",
    "Turn",
    "WriteFile",
    "fail",
    "run",
    "say",
    "write",
]
