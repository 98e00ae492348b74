"""API v0, for accounts that need it: no runs. A followup goes to the agent, Baton waits on the
agent itself, and a webhook (when configured) says when its status changed."""

from __future__ import annotations

import logging
from typing import Any

from bot.agents.cursor.http import Api, CursorApiError
from bot.agents.cursor.version import Where
from bot.agents.cursor.wire import Run, run_v0
from bot.config import AgentConfig

log = logging.getLogger(__name__)


class V0:
    streams = False

    def __init__(
        self,
        api: Api,
        config: AgentConfig,
        repository: str,
        webhook: tuple[str, str] | None = None,
    ) -> None:
        self._api = api
        self.config = config
        self.repository = repository
        self.webhook = webhook  # (url, secret)

    def launch(self, where: Where, prompt: str, branch: str | None, name: str | None) -> Run:
        del name  # v0 agents are not named
        source: dict[str, Any] = {"repository": self.repository}
        if branch:
            source["ref"] = branch
        body: dict[str, Any] = {
            "prompt": {"text": prompt},
            "source": source,
            "target": {"autoCreatePr": self.config.cursor.auto_create_pr},
        }
        if self.config.model:
            body["model"] = self.config.model
        if self.webhook:
            body["webhook"] = {"url": self.webhook[0], "secret": self.webhook[1]}
        data = self._api.request("POST", "/v0/agents", body)
        if not data.get("id"):
            raise CursorApiError("the launch answer names no agent", status=None, code="bad_answer")
        where.agent_id = str(data["id"])
        log.info("cursor.launched", extra={"agent": where.agent_id})
        return Run(where.agent_id, None, str(data.get("status") or "CREATING"))

    def followup(self, where: Where, prompt: str) -> Run:
        agent_id = str(where.agent_id)
        self._api.request("POST", f"/v0/agents/{agent_id}/followup", {"prompt": {"text": prompt}})
        return Run(agent_id, None, "RUNNING")

    def current(self, agent_id: str) -> Run:
        return self.read(Run(agent_id, None, "RUNNING"))

    def read(self, run: Run) -> Run:
        return run_v0(run.agent_id, self._api.request("GET", f"/v0/agents/{run.agent_id}"))

    def cancel(self, run: Run) -> bool:
        del run  # v0 has no runs to cancel
        return False

    def tokens(self, run: Run) -> tuple[int, int] | None:
        del run  # v0 reports no usage
        return None

    def end(self, agent_id: str) -> None:
        del agent_id  # v0 has no archive; its agents expire on their own
