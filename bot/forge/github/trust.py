"""Who may start or steer work: people with write, maintain or admin access, and the bots the
configuration names. Asked of GitHub once per login and run."""

from __future__ import annotations

from bot.config import TrustConfig
from bot.forge.github.repo import Repo

TRUSTED = {"admin", "maintain", "write"}


class Trust:
    def __init__(self, repo: Repo, config: TrustConfig) -> None:
        self.repo = repo
        self.config = config
        self._permissions: dict[str, str] = {}

    def label_refusal(self, number: int, label: str) -> str | None:
        """Why the person who added `label` to issue `number` may not start work, or None."""
        events = self.repo.api.get_pages(f"{self.repo.path}/issues/{number}/events")
        labelled = [
            e
            for e in events
            if e.get("event") == "labeled" and (e.get("label") or {}).get("name") == label
        ]
        if not labelled:
            return "the trigger label's author could not be found"
        actor = labelled[-1].get("actor") or {}
        login = str(actor.get("login") or "")
        is_bot = actor.get("type") == "Bot" or login.endswith("[bot]")
        return self.refusal(login, is_bot, "the label was added by")

    def refusal(self, login: str, is_bot: bool, what: str) -> str | None:
        """Why `login` may not start or steer work (write, maintain or admin needed), or None."""
        if is_bot:
            if login in self.config.allowed_bots:
                return None
            return f"{what} the bot `{login}`, which is not in trust.allowed_bots"
        if login not in self._permissions:
            data = self.repo.api.get_json(f"{self.repo.path}/collaborators/{login}/permission")
            # `role_name` is exact; the older `permission` says write for maintain, read for triage.
            self._permissions[login] = str(
                data.get("role_name") or data.get("permission") or "none"
            )
        if self._permissions[login] not in TRUSTED:
            return f"{what} @{login}, who has {self._permissions[login]} access"
        return None
