"""The one list of environment variables whose values are secrets: what no agent or test command
is given, and what every text Baton writes is redacted of."""

from __future__ import annotations

from collections.abc import Mapping

# Baton's own credentials: never in the environment of an agent, a test command or git.
BATON_CREDENTIALS = (
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "BATON_GITHUB_APP_PRIVATE_KEY",
    "CURSOR_API_KEY",
    "SLACK_BOT_TOKEN",
    "SLACK_WEBHOOK_URL",
    "BATON_CURSOR_WEBHOOK_SECRET",
    "ACTIONS_RUNTIME_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
)
# Model providers' keys (the agent's own, or the LLM reviewer's): an agent whose CLI documents
# one gets it, and nothing Baton writes shows it.
PROVIDER_KEYS = (
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "OPENAI_API_KEY",
    "CODEX_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
)
SECRET_VARIABLES = BATON_CREDENTIALS + PROVIDER_KEYS


def secret_values(environ: Mapping[str, str]) -> list[str]:
    """The values the environment gives the secret variables."""
    return [environ[name] for name in SECRET_VARIABLES if environ.get(name)]
