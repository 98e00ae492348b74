"""API v0, for accounts that need it: no runs. A followup goes to the agent, Baton waits on the
agent itself, and a webhook (when configured) says when its status changed.

v0 takes no agent id from the client, so a launch names the agent's branch instead
(`target.branchName`, from the id Baton chose): before it makes an agent, and again when a try got
no answer, Baton looks for one on that branch and takes it over rather than make a second."""

from __future__ import annotations

import logging
from typing import Any

from bot.agents.cursor.http import Api, CursorApiError, retried
from bot.agents.cursor.version import Where
from bot.agents.cursor.wire import Run, run_v0
from bot.config import AgentConfig

log = logging.getLogger(__name__)

_PAGES = 5  # of the newest agents, searched for one already made: a launch is recent


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
        target: dict[str, Any] = {"autoCreatePr": self.config.cursor.auto_create_pr}
        if where.key:
            target["branchName"] = f"cursor/{where.key}"
        body: dict[str, Any] = {"prompt": {"text": prompt}, "source": source, "target": target}
        if self.config.model:
            body["model"] = self.config.model
        if self.webhook:
            body["webhook"] = {"url": self.webhook[0], "secret": self.webhook[1]}
        data = self._made(target.get("branchName")) or retried(lambda: self._post(body))
        if not data.get("id"):
            raise CursorApiError("the launch answer names no agent", status=None, code="bad_answer")
        where.agent_id = str(data["id"])
        log.info("cursor.launched", extra={"agent": where.agent_id})
        return Run(where.agent_id, None, str(data.get("status") or "CREATING"))

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        """One launch; after a try that got no answer, the agent it may have made all the same."""
        try:
            return self._api.send("POST", "/v0/agents", body)
        except CursorApiError as exc:
            if exc.unanswered and (made := self._made(body["target"].get("branchName"))):
                return made
            raise

    def _made(self, branch_name: str | None) -> dict[str, Any] | None:
        """The agent already working on `branch_name`, made by an earlier try or an earlier
        Baton that was interrupted, or None."""
        if not branch_name:
            return None
        cursor: str | None = None
        for _ in range(_PAGES):
            query = "?limit=100" + (f"&cursor={cursor}" if cursor else "")
            page = self._api.request("GET", f"/v0/agents{query}")
            for agent in page.get("agents") or page.get("items") or []:
                target = agent.get("target") if isinstance(agent, dict) else None
                if isinstance(target, dict) and target.get("branchName") == branch_name:
                    log.info("cursor.adopted", extra={"agent": agent.get("id")})
                    return dict(agent)
            cursor = page.get("nextCursor")
            if not cursor:
                return None
        return None

    def followup(self, where: Where, prompt: str) -> Run:
        agent_id = str(where.agent_id)
        self._api.request("POST", f"/v0/agents/{agent_id}/followup", {"prompt": {"text": prompt}})
        return Run(agent_id, None, "RUNNING")

    def current(self, agent_id: str) -> Run:
        return self.read(Run(agent_id, None, "RUNNING"))

    def read(self, run: Run) -> Run:
        return run_v0(run.agent_id, self._api.request("GET", f"/v0/agents/{run.agent_id}"))

    def cancel(self, run: Run) -> Run | None:
        del run  # v0 has no runs to cancel
        return None

    def tokens(self, run: Run) -> tuple[int, int] | None:
        del run  # v0 reports no usage
        return None

    def end(self, agent_id: str) -> None:
        del agent_id  # v0 has no archive; its agents expire on their own
