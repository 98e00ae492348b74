"""The models a Cursor account may launch agents with (`GET /v1/models`), and `agent.model`
checked against them, so that an unknown model is one line of configuration error before any
launch, not a refused launch."""

from __future__ import annotations

from typing import Any

from bot.agents.cursor.http import Api, CursorApiError
from bot.config import AgentConfig
from bot.errors import AgentError, ConfigError

_HINT = (
    "set agent.model in .github/baton.yml to one of them, or remove it for the account's default"
)


def offered(data: dict[str, Any]) -> tuple[list[str], frozenset[str]]:
    """The ids a models answer lists, in its order, and every name a launch accepts (the ids and
    their aliases). v1 answers `{"items": [{id, aliases, ...}]}`, v0 `{"models": [id, ...]}`."""
    items = data.get("items", data.get("models"))
    ids: list[str] = []
    names: set[str] = set()
    for item in items if isinstance(items, list) else []:
        if isinstance(item, str):
            model, aliases = item, None
        elif isinstance(item, dict) and isinstance(item.get("id"), str):
            model, aliases = item["id"], item.get("aliases")
        else:
            continue
        ids.append(model)
        names.add(model)
        if isinstance(aliases, list):
            names.update(a for a in aliases if isinstance(a, str))
    return ids, frozenset(names)


def model_refused(model: str, valid: str) -> ConfigError:
    """`agent.model` is not one the account may use; `valid` says which are."""
    return ConfigError(
        f"agent.model `{model}` is not one of the Cursor account's models ({valid})", hint=_HINT
    )


def check_model(api: Api, config: AgentConfig) -> None:
    """Nothing when `agent.model` is unset or among the models the API lists. Raises ConfigError
    for a model it does not list, AgentError when the list could not be read."""
    model = config.model
    if not model:
        return
    path = f"/{config.cursor.api_version}/models"
    try:
        ids, names = offered(api.request("GET", path))
    except (CursorApiError, ConfigError) as exc:
        raise AgentError(f"could not read GET {path}: {exc.message}") from exc
    if not ids:
        raise AgentError(f"GET {path} listed no models")
    if model not in names:
        raise model_refused(model, ", ".join(ids))
