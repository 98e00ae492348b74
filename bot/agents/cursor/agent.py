"""Cursor Cloud Agents as an Agent: the port's two calls, waiting for a run, and its result.

v1, the default: a launch creates an agent and its first run; every later prompt is a new run on
the same agent; Baton waits for the run (polling with adaptive backoff, or following the run's
event stream) and reads its `result`, `durationMs` and the branch the agent pushed. v0, for
accounts that need it, has no runs: a followup goes to the agent, and Baton waits on the agent.

How the API's answers become Baton's decisions:

- 401/403: `ConfigError` naming the key (or the permission it lacks); the run stops with one line.
- `agent.model`: checked against `GET /v1/models` once, before the run's first launch; a model
  the account does not have (or a launch refused `invalid_model`) is a `ConfigError` naming it
  and the valid ones. A list that cannot be read is a warning: the launch then tells.
- 404, `agent_archived`, `agent_expired` (409 or 400: a followup to an agent that expired), a run
  that ends ERROR, EXPIRED or CANCELLED: the session is dead, the result is `ok=False`, and the
  dispatcher recovers the ticket with a new agent.
- 409 `agent_busy`: wait for the agent's current run, then send again. 409 `agent_id_conflict` on
  a launch: an earlier, interrupted Baton made this very agent (the id is derived from the chain
  and the prompt), so Baton adopts it instead of making a second one.
- 429: wait `Retry-After`. 5xx, timeouts and dropped connections: bounded retries with jitter
  (stamina). Once they are spent, `AgentError` naming the agent and run: the ticket stays in flight
  and the next `baton run` continues it.
- A call that outlives `agent.timeout_minutes`: Baton cancels the run and answers `ok=False`;
  409 `run_not_cancellable` means the run ended just before: Baton reads it and answers with
  how it ended.

An agent is named `baton/<chain>`; an ended run's token usage is read once (an account without
the endpoint has no figures, and nothing is said); at the chain's end its agent is archived, and
a failed archive is a warning.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from bot.agents.cursor.http import Api, CursorApiError
from bot.agents.cursor.models import check_model, model_refused
from bot.agents.cursor.settings import DEFAULT_BASE_URL, api_key_from, base_url_from, repository_url
from bot.agents.cursor.stream import follow
from bot.agents.cursor.v0 import V0
from bot.agents.cursor.v1 import V1, derive_agent_id
from bot.agents.cursor.version import ApiVersion, Where
from bot.agents.cursor.webhook import StatusChange
from bot.agents.cursor.wire import Run, who
from bot.agents.result import AgentResult
from bot.config import AgentConfig
from bot.errors import AgentError, ConfigError

log = logging.getLogger(__name__)

_SUMMARY = 2_000
_BUSY_TRIES = 5  # sends of one followup while the agent keeps being busy with other runs
_NAME = 100  # characters of an agent's name, at most


class CursorAgent:
    """The Agent port over Cursor's Cloud Agents API. Environment values come in as arguments;
    `from_env` is the one place that reads them."""

    name: str = "cursor"

    def __init__(
        self,
        config: AgentConfig,
        *,
        api_key: str,
        repository: str,
        base_url: str = DEFAULT_BASE_URL,
        poll_min_seconds: float = 1.0,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        request_timeout_s: float = 30.0,
    ) -> None:
        self.config = config
        self.cursor = config.cursor
        self.repository = repository
        self.timeout_s = config.timeout_minutes * 60
        self.poll_min = min(poll_min_seconds, self.cursor.poll_max_seconds)
        self.poll_max = self.cursor.poll_max_seconds
        webhook = (webhook_url, webhook_secret) if webhook_url and webhook_secret else None
        self._api = Api(base_url, api_key, request_timeout_s)
        self._version: ApiVersion = (
            V1(self._api, config, repository)
            if self.v1
            else V0(self._api, config, repository, webhook)
        )
        self._wake = threading.Event()
        self._model_checked = False

    @classmethod
    def from_env(
        cls, config: AgentConfig, environ: Mapping[str, str], workdir: Path | None = None
    ) -> CursorAgent:
        """CURSOR_API_KEY, BATON_CURSOR_API_URL, the repository (see `repository_url`) and, for
        v0 webhooks, BATON_CURSOR_WEBHOOK_URL with BATON_CURSOR_WEBHOOK_SECRET."""
        return cls(
            config,
            api_key=api_key_from(environ),
            repository=repository_url(config, environ, workdir),
            base_url=base_url_from(environ),
            webhook_url=environ.get("BATON_CURSOR_WEBHOOK_URL"),
            webhook_secret=environ.get("BATON_CURSOR_WEBHOOK_SECRET"),
        )

    @property
    def v1(self) -> bool:
        return self.cursor.api_version == "v1"

    def close(self) -> None:
        self._api.close()

    def notify(self, change: StatusChange) -> None:
        """A verified webhook says an agent's status changed: read the run now, not at the next
        poll."""
        log.debug("cursor.webhook", extra={"agent": change.agent_id, "status": change.status})
        self._wake.set()

    def me(self) -> str:
        """Who the key belongs to (`GET /v1/me`)."""
        return who(self._api.request("GET", f"/{self.cursor.api_version}/me"))

    # -- the port ------------------------------------------------------------------------------

    def start(
        self,
        prompt: str,
        workdir: Path,
        branch: str | None = None,
        *,
        test_command: str | None = None,
        session_key: str | None = None,
        chain: str | None = None,
    ) -> AgentResult:
        # A cloud agent works on its own copy, from `branch`, which Baton pushed, and runs what
        # its own settings allow.
        del workdir, test_command
        self._check_model()
        began = time.monotonic()
        agent_id = derive_agent_id(self.repository, branch, prompt, session_key)
        where = Where(agent_id if self.v1 else None, key=agent_id)
        name = f"baton/{chain}"[:_NAME] if chain else None

        def launch() -> AgentResult:
            run = self._version.launch(where, prompt, branch, name)
            return self._finish(where, run, began)

        return self._guarded(where, launch)

    def resume(
        self,
        session_id: str,
        prompt: str,
        workdir: Path,
        branch: str | None = None,
        *,
        test_command: str | None = None,
    ) -> AgentResult:
        del workdir, branch, test_command  # the agent goes on on its own branch
        began = time.monotonic()
        where = Where(session_id)

        def followup() -> AgentResult:
            for _ in range(_BUSY_TRIES):
                try:
                    run = self._version.followup(where, prompt)
                except CursorApiError as exc:
                    if not exc.is_conflict("agent_busy"):
                        raise
                    busy = self._version.current(session_id)
                    where.run_id = busy.run_id
                    log.info("cursor.busy", extra={"agent": session_id, "run": busy.run_id})
                    if self._wait(busy, began) is None:
                        return self._failure(
                            where,
                            f"{where}: the agent was still busy after "
                            f"{self.config.timeout_minutes:g} min, so the prompt was not sent",
                            began,
                        )
                    continue
                return self._finish(where, run, began)
            raise CursorApiError(
                f"the agent stayed busy through {_BUSY_TRIES} tries", status=409, code="agent_busy"
            )

        return self._guarded(where, followup)

    def end_session(self, session_id: str) -> None:
        """The chain is over: its agent is archived (v1). Never raises."""
        self._version.end(session_id)

    def _check_model(self) -> None:
        """Once a run, before its first launch: is `agent.model` one the account has?"""
        if self._model_checked:
            return
        try:
            check_model(self._api, self.config)  # an unknown model: ConfigError, every launch
        except AgentError as exc:
            log.warning("cursor.models_unchecked", extra={"error": exc.message})
        self._model_checked = True

    # -- waiting -------------------------------------------------------------------------------

    def _wait(self, run: Run, began: float) -> Run | None:
        """The run once it has ended, or None when the call's time ran out first."""
        deadline = began + self.timeout_s
        if self.cursor.stream and self._version.streams and run.run_id:
            ended = follow(self._api, run, deadline, self._version.read, self._pause)
            if ended is not None:
                return ended
        return self._poll(run, deadline)

    def _poll(self, run: Run, deadline: float) -> Run | None:
        """Read the run at 1 s, 2 s, 4 s … apart, at most `poll_max_seconds`, until it ends."""
        delay = self.poll_min
        while True:
            current = self._version.read(run)
            if not current.active:
                return current
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            if self._wake.wait(min(delay, remaining)):
                self._wake.clear()
            delay = min(delay * 2, self.poll_max)

    def _pause(self, deadline: float) -> None:
        if self._wake.wait(max(min(self.poll_min, deadline - time.monotonic()), 0)):
            self._wake.clear()

    # -- results -------------------------------------------------------------------------------

    def _finish(self, where: Where, run: Run, began: float) -> AgentResult:
        ended = run if not run.active else self._wait(run, began)
        if ended is None:
            ended = self._version.cancel(run)  # or it ended just before: then that is the answer
            if ended is None or ended.active or ended.status == "CANCELLED":
                cancelled = ended is not None and ended.status == "CANCELLED"
                what = "Baton cancelled the run" if cancelled else "it could not be cancelled"
                return self._failure(
                    where,
                    f"{where}: no answer within {self.config.timeout_minutes:g} min; {what}",
                    began,
                )
        duration = ended.duration_s if ended.duration_s is not None else time.monotonic() - began
        tokens_in, tokens_out = self._version.tokens(ended) or (None, None)
        if ended.status == "FINISHED":
            return AgentResult(
                ok=True,
                session_id=ended.agent_id,
                run_id=ended.run_id,
                branch=ended.branch,
                pr_url=ended.pr_url,
                summary=ended.summary[:_SUMMARY],
                duration_s=round(duration, 3),
                input_tokens=tokens_in,
                output_tokens=tokens_out,
            )
        reason = {
            "EXPIRED": "the agent expired, so its session is over",
            "CANCELLED": "the run was cancelled",
            "ERROR": "the agent failed",
        }.get(ended.status, "the run ended without finishing")
        detail = f": {ended.summary[:300]}" if ended.summary else ""
        return AgentResult(
            ok=False,
            session_id=ended.agent_id,
            run_id=ended.run_id,
            error=f"{where} ended {ended.status}: {reason}{detail}",
            summary=ended.summary[:_SUMMARY],
            duration_s=round(duration, 3),
            input_tokens=tokens_in,
            output_tokens=tokens_out,
        )

    def _failure(self, where: Where, error: str, began: float) -> AgentResult:
        return AgentResult(
            ok=False,
            session_id=where.agent_id,
            run_id=where.run_id,
            error=error,
            duration_s=round(time.monotonic() - began, 3),
        )

    def _guarded(self, where: Where, call: Callable[[], AgentResult]) -> AgentResult:
        """Run a call; a dead session is an answer (ok=False), any other error is raised naming
        the agent and the run."""
        began = time.monotonic()
        try:
            return call()
        except ConfigError as exc:
            raise ConfigError(f"{exc.message} (for {where})", hint=exc.hint) from exc
        except CursorApiError as exc:
            if exc.code == "invalid_model":
                raise model_refused(self.config.model or "(unset)", exc.message) from exc
            if exc.dead:
                return self._failure(where, f"{where}: the session is gone ({exc.message})", began)
            raise AgentError(
                f"{where}: {exc.message}",
                hint=exc.hint
                or "the ticket stays in flight; run baton again to continue where it stopped",
            ) from exc
