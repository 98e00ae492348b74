"""Where the Cursor agent's settings come from: the key and the API's address in the environment,
the repository in the configuration, the environment or the working copy; and the checks of
`baton config check`: the key is accepted, `agent.model` is one the account has."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from bot.agents.cursor.http import Api, CursorApiError
from bot.agents.cursor.models import check_model
from bot.agents.cursor.wire import who
from bot.config import AgentConfig
from bot.errors import AgentError, ConfigError
from bot.workspace import Git

DEFAULT_BASE_URL = "https://api.cursor.com"


def api_key_from(environ: Mapping[str, str]) -> str:
    key = (environ.get("CURSOR_API_KEY") or "").strip()
    if not key:
        raise ConfigError(
            "agent.kind is `cursor` but CURSOR_API_KEY is not set",
            hint="create an API key in the Cursor dashboard (Integrations) and export it",
        )
    return key


def base_url_from(environ: Mapping[str, str]) -> str:
    return environ.get("BATON_CURSOR_API_URL") or DEFAULT_BASE_URL


def _https_url(url: str) -> str:
    """`git@host:owner/repo.git` as `https://host/owner/repo`; anything else as it is."""
    if url.startswith("git@") and ":" in url:
        host, _, path = url[4:].partition(":")
        return f"https://{host}/{path.removesuffix('.git')}"
    return url


def repository_url(config: AgentConfig, environ: Mapping[str, str], workdir: Path | None) -> str:
    """The repository the agent works on: agent.cursor.repository, else GITHUB_REPOSITORY on
    GITHUB_SERVER_URL, else the working copy's `origin`."""
    if config.cursor.repository:
        return config.cursor.repository
    if environ.get("GITHUB_REPOSITORY"):
        server = (environ.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
        return f"{server}/{environ['GITHUB_REPOSITORY']}"
    origin = (
        Git(workdir, environ).run("remote", "get-url", "origin", check=False) if workdir else ""
    )
    if origin:
        return _https_url(origin)
    raise ConfigError(
        "the Cursor agent needs the repository's URL, and there is none to go by",
        hint="set agent.cursor.repository in .github/baton.yml, or add the `origin` remote",
    )


def check_cursor_key(config: AgentConfig, environ: Mapping[str, str]) -> str:
    """Ask the API who the key belongs to (`GET /v1/me`); the user's email, or the key's name.
    Raises ConfigError for a missing or rejected key, AgentError when the API cannot be asked."""
    api = Api(base_url_from(environ), api_key_from(environ), timeout_s=15.0)
    try:
        return who(api.request("GET", f"/{config.cursor.api_version}/me"))
    except CursorApiError as exc:
        raise AgentError(
            f"could not check CURSOR_API_KEY at {api.base_url}: {exc.message}",
            hint="check BATON_CURSOR_API_URL and the network, then try again",
        ) from exc
    finally:
        api.close()


def check_cursor_model(config: AgentConfig, environ: Mapping[str, str]) -> tuple[bool, str]:
    """Whether `agent.model` could be checked, and one line saying how it stands. Raises
    ConfigError for a model the account does not have (the line names the ones it has)."""
    if not config.model:
        return True, "agent.model is not set: agents use the account's default model"
    api = Api(base_url_from(environ), api_key_from(environ), timeout_s=15.0)
    try:
        check_model(api, config)
    except AgentError as exc:
        return False, f"agent.model `{config.model}` could not be checked: {exc.message}"
    finally:
        api.close()
    return True, f"agent.model `{config.model}` is one of the account's models"
