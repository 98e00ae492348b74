"""API v1: a launch makes an agent (with an id Baton chooses) and its first run; every later prompt
is a new run on the same agent; a run can be read, followed as a stream, and cancelled."""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from bot.agents.cursor.http import Api, CursorApiError, retried
from bot.agents.cursor.version import Where
from bot.agents.cursor.wire import Run, run_tokens, run_v1, unwrap
from bot.config import AgentConfig
from bot.errors import ConfigError

log = logging.getLogger(__name__)

# Agent ids are uuid5 names in this namespace (the uuid5 of "baton.cursor.agent").
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "baton.cursor.agent")


def derive_agent_id(
    repository: str, branch: str | None, prompt: str, session_key: str | None = None
) -> str:
    """A launch's agent id, the same whenever the same prompt starts the same session (see
    `Agent.start`) from the same branch of the same repository: a launch sent again after a
    crash meets the agent it made the first time, and a new chain never meets an older one's."""
    digest = hashlib.sha256(prompt.encode("utf-8", "surrogatepass")).hexdigest()
    name = "\n".join([repository, branch or "", session_key or "", digest])
    return f"bc-{uuid.uuid5(_NAMESPACE, name)}"


class V1:
    streams = True

    def __init__(self, api: Api, config: AgentConfig, repository: str) -> None:
        self._api = api
        self.config = config
        self.repository = repository

    def launch(self, where: Where, prompt: str, branch: str | None, name: str | None) -> Run:
        agent_id = str(where.agent_id)
        repo: dict[str, Any] = {"url": self.repository}
        if branch:
            repo["startingRef"] = branch
        body: dict[str, Any] = {
            "agentId": agent_id,
            "prompt": {"text": prompt},
            "repos": [repo],
            "autoCreatePR": self.config.cursor.auto_create_pr,
        }
        if self.config.model:
            body["model"] = {"id": self.config.model}
        if name:
            body["name"] = name
        try:
            data = self._api.request("POST", "/v1/agents", body)
        except CursorApiError as exc:
            if not exc.is_conflict("agent_id_conflict"):
                raise
            # An earlier Baton launched this agent and was interrupted: take it over.
            run = self.current(agent_id)
            where.run_id = run.run_id
            log.info("cursor.adopted", extra={"agent": agent_id, "run": run.run_id})
            return run
        agent, first = unwrap(data, "agent"), unwrap(data, "run")
        run_id = first.get("id") or agent.get("latestRunId")
        if not run_id:
            raise CursorApiError("the launch answer names no run", status=None, code="bad_answer")
        where.agent_id, where.run_id = str(agent.get("id") or agent_id), str(run_id)
        log.info("cursor.launched", extra={"agent": where.agent_id, "run": where.run_id})
        return Run(where.agent_id, where.run_id, str(first.get("status") or "CREATING"))

    def followup(self, where: Where, prompt: str) -> Run:
        agent_id = str(where.agent_id)
        data = self._post_run(agent_id, prompt)
        if isinstance(data, Run):
            where.run_id = data.run_id
            log.info("cursor.followup_adopted", extra={"agent": agent_id, "run": data.run_id})
            return data
        run = unwrap(data, "run")
        if not run.get("id"):
            raise CursorApiError("the followup answer names no run", status=None, code="bad_answer")
        where.run_id = str(run["id"])
        log.info("cursor.followup", extra={"agent": agent_id, "run": where.run_id})
        return Run(agent_id, where.run_id, str(run.get("status") or "CREATING"))

    def _post_run(self, agent_id: str, prompt: str) -> dict[str, Any] | Run:
        """POST a followup's run, retried like every request, with one care: when a try got no
        answer (a lost connection, a timeout, a 5xx) and the next finds the agent busy, that busy
        run is the one the lost try made. It is adopted, not sent a second time."""
        unanswered = False

        def post() -> dict[str, Any] | Run:
            nonlocal unanswered
            try:
                return self._api.send(
                    "POST", f"/v1/agents/{agent_id}/runs", {"prompt": {"text": prompt}}
                )
            except CursorApiError as exc:
                if unanswered and exc.is_conflict("agent_busy"):
                    return self.current(agent_id)
                unanswered = unanswered or exc.unanswered
                raise

        return retried(post)

    def current(self, agent_id: str) -> Run:
        agent = unwrap(self._api.request("GET", f"/v1/agents/{agent_id}"), "agent")
        run_id = agent.get("latestRunId")
        if not run_id:
            raise CursorApiError(
                f"agent {agent_id} names no latest run", status=None, code="bad_answer"
            )
        return self.read(Run(agent_id, str(run_id), "RUNNING"))

    def read(self, run: Run) -> Run:
        data = self._api.request("GET", f"/v1/agents/{run.agent_id}/runs/{run.run_id}")
        return run_v1(run.agent_id, unwrap(data, "run"), self.repository)

    def cancel(self, run: Run) -> Run | None:
        if not run.run_id:
            return None
        try:
            self._api.request("POST", f"/v1/agents/{run.agent_id}/runs/{run.run_id}/cancel")
        except CursorApiError as exc:
            if exc.is_conflict("run_not_cancellable"):
                # It ended between Baton's last read and the cancel: how it ended is the answer.
                log.info("cursor.ended_before_cancel", extra={"run": run.run_id})
                return self.read(run)
            log.warning("cursor.cancel_failed", extra={"run": run.run_id, "error": str(exc)})
            return None
        except ConfigError as exc:
            log.warning("cursor.cancel_failed", extra={"run": run.run_id, "error": str(exc)})
            return None
        log.info("cursor.cancelled", extra={"agent": run.agent_id, "run": run.run_id})
        return replace(run, status="CANCELLED")

    def tokens(self, run: Run) -> tuple[int, int] | None:
        """Asked once, never retried: figures are worth no wait, and never fail a run. `403`
        (ConfigError) is what an account without the endpoint (early access) gets:
        `feature_unavailable`, no figures, said nowhere."""
        if not run.run_id:
            return None
        path = f"/v1/agents/{run.agent_id}/usage?runId={quote(run.run_id, safe='')}"
        try:
            data = self._api.send("GET", path)
        except ConfigError:
            return None
        except CursorApiError as exc:
            log.info("cursor.usage_unread", extra={"run": run.run_id, "error": exc.message})
            return None
        return run_tokens(data, run.run_id)

    def end(self, agent_id: str) -> None:
        """Archive the agent (idempotent); a failure is a warning, never the chain's."""
        try:
            self._api.request("POST", f"/v1/agents/{agent_id}/archive")
        except (CursorApiError, ConfigError) as exc:
            gone = isinstance(exc, CursorApiError) and exc.dead  # expired: nothing to archive
            level = logging.INFO if gone else logging.WARNING
            event = "cursor.archive_skipped" if gone else "cursor.archive_failed"
            log.log(level, event, extra={"agent": agent_id, "error": exc.message})
            return
        log.info("cursor.archived", extra={"agent": agent_id})
