"""Who may start or steer work: people with write, maintain or admin access, and the bots the
configuration names. Asked of GitHub once per login and run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.config import TrustConfig
from bot.errors import NotFound
from bot.forge.github.repo import Repo

TRUSTED = {"admin", "maintain", "write"}
NO_LABELLER = "the trigger label's author could not be found"


def timestamp(value: Any) -> datetime:
    """One of GitHub's ISO 8601 times (`2024-05-01T12:00:00Z`)."""
    return datetime.fromisoformat(str(value))


@dataclass(frozen=True)
class Labelling:
    """The last time an issue got a label, as its timeline tells: who applied it and when, and
    Baton's own latest write on the issue since (its comments and labels change the issue too)."""

    login: str
    is_bot: bool
    at: datetime
    own_since: datetime | None = None


class Trust:
    def __init__(self, repo: Repo, config: TrustConfig) -> None:
        self.repo = repo
        self.config = config
        self._permissions: dict[str, str] = {}

    def labelling(self, number: int, label: str) -> Labelling | None:
        """Who last added `label` to issue `number`, and when; None if the timeline has no such
        event. One timeline read gives the label's events and Baton's own comments together."""
        items = self.repo.api.get_pages(f"{self.repo.path}/issues/{number}/timeline")
        labelled = [
            item
            for item in items
            if item.get("event") == "labeled" and (item.get("label") or {}).get("name") == label
        ]
        if not labelled:
            return None
        last = labelled[-1]
        actor = last.get("actor") or {}
        login = str(actor.get("login") or "")
        at = timestamp(last["created_at"])
        own = [
            timestamp(item.get(when))
            for item in items
            if str((item.get("actor") or item.get("user") or {}).get("login") or "").lower()
            == self.repo.bot_login.lower()
            for when in ("created_at", "updated_at")
            if item.get(when)
        ]
        return Labelling(
            login=login,
            is_bot=actor.get("type") == "Bot" or login.endswith("[bot]"),
            at=at,
            own_since=max((t for t in own if t >= at), default=None),
        )

    def label_refusal(self, labelling: Labelling | None) -> str | None:
        """Why the person who added the trigger label may not start work, or None."""
        if labelling is None:
            return NO_LABELLER
        return self.refusal(labelling.login, labelling.is_bot, "the label was added by")

    def refusal(self, login: str, is_bot: bool, what: str) -> str | None:
        """Why `login` may not start or steer work (write, maintain or admin needed), or None."""
        if is_bot:
            if login in self.config.allowed_bots:
                return None
            return f"{what} the bot `{login}`, which is not in trust.allowed_bots"
        if login not in self._permissions:
            try:
                data = self.repo.api.get_json(f"{self.repo.path}/collaborators/{login}/permission")
            except NotFound:  # no collaborator (or no such user): GitHub answers 404
                data = {}
            # `role_name` is exact; the older `permission` says write for maintain, read for triage.
            self._permissions[login] = str(
                data.get("role_name") or data.get("permission") or "none"
            )
        if self._permissions[login] not in TRUSTED:
            return f"{what} @{login}, who has {self._permissions[login]} access"
        return None
