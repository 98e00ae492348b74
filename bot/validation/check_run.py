"""A validation job's result as a check run on the attempt's commit: written by `baton validate`
(a job without secrets), read by the next reconcile. The check run's text carries the
validation as data; its external id names the chain, ticket and attempt."""

from __future__ import annotations

import logging

from bot.forge import Forge
from bot.state import ChainState, Validation

log = logging.getLogger(__name__)

VALIDATION_CHECK = "baton-validation"
RESULT_FENCE = "\n```json baton-validation\n"


def validation_id(chain: str, key: str, attempt: int) -> str:
    return f"validation:{chain}:{key}:{attempt}"


def validation_text(validation: Validation) -> str:
    """A check run's text carrying the validation as data for the next reconcile."""
    return f"The result, for Baton to read:{RESULT_FENCE}{validation.model_dump_json()}\n```"


def parse_validation_text(text: str) -> Validation | None:
    _, sep, rest = text.partition(RESULT_FENCE)
    if not sep:
        return None
    try:
        return Validation.model_validate_json(rest.split("\n```")[0])
    except ValueError:
        return None


def validation_result(forge: Forge, state: ChainState, key: str, attempt: int) -> Validation | None:
    """The result a validation job left for this attempt, if it has arrived."""
    sha = state.tickets[key].attempts[attempt - 1].validation_requested
    if not sha:
        return None
    wanted = validation_id(state.name, key, attempt)
    for run_id, text in forge.check_run_texts(sha, VALIDATION_CHECK, wanted):
        found = parse_validation_text(text)
        if found is not None:
            return found
        log.warning("github.validation_unreadable", extra={"key": key, "run": run_id})
    return None
