"""Cursor Cloud Agents as an Agent. Only this module speaks Cursor's API (over httpx).

v1, the default: a launch creates an agent and its first run; every later prompt is a new run on
the same agent; Baton waits for the run (polling with adaptive backoff, or following the run's
event stream) and reads its `result`, `durationMs` and the branch the agent pushed. v0, for
accounts that need it, has no runs: a followup goes to the agent, and Baton waits on the agent.

How the API's answers become Baton's decisions:

- 401/403: `ConfigError` naming the key (or the permission it lacks); the run stops with one line.
- 404, `agent_archived`, a run that ends ERROR, EXPIRED or CANCELLED: the session is dead, the
  result is `ok=False`, and the dispatcher recovers the ticket with a new agent.
- 409 `agent_busy`: wait for the agent's current run, then send again. 409 `agent_id_conflict` on
  a launch: an earlier, interrupted Baton made this very agent (the id is derived from the chain
  and the prompt), so Baton adopts it instead of making a second one.
- 429: wait `Retry-After`. 5xx, timeouts and dropped connections: bounded retries with jitter
  (stamina). Once they are spent, `AgentError` naming the agent and run: the ticket stays in flight
  and the next `baton run` continues it.
- A call that outlives `agent.timeout_minutes`: Baton cancels the run and answers `ok=False`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import stamina

from bot import __version__
from bot.agents.cursor_webhook import StatusChange
from bot.agents.result import AgentResult
from bot.config import AgentConfig
from bot.errors import AgentError, ConfigError
from bot.workspace import Git

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_BASE_URL = "https://api.cursor.com"
ACTIVE = frozenset({"CREATING", "RUNNING"})
# Codes that mean the agent (the session) is gone for good.
DEAD_CODES = frozenset({"agent_not_found", "run_not_found", "agent_archived"})
_SUMMARY = 2_000
_RETRY_ATTEMPTS = 6
_RETRY_TIMEOUT_S = 600.0
_MAX_RETRY_AFTER_S = 300.0
_BUSY_TRIES = 5  # sends of one followup while the agent keeps being busy with other runs
_STREAM_CONNECTIONS = 5  # connections to a run's event stream before Baton polls instead
_STREAM_READ_S = 60.0
# Agent ids are uuid5 names in this namespace (the uuid5 of "baton.cursor.agent").
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "baton.cursor.agent")

AgentIds = Callable[[str, str | None], str]  # (prompt, starting branch) -> "bc-<uuid>"


class CursorApiError(AgentError):
    """The API answered with an error (or not at all: `status` None). `code` is its
    `error.code`; Baton classifies by these two, never by the message."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None,
        code: str | None = None,
        retry_after: float | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.code = code
        self.retry_after = retry_after

    @property
    def transient(self) -> bool:
        """Worth another try: no answer, a server error, or a rate limit (not a spent budget)."""
        if self.status is None or self.status >= 500:
            return True
        return self.status == 429 and self.code != "usage_limit_exceeded"

    @property
    def dead(self) -> bool:
        """The agent or run does not exist (any more): its session cannot go on."""
        return self.status == 404 or self.code in DEAD_CODES

    def is_conflict(self, code: str) -> bool:
        return self.status == 409 and self.code == code


def retry_wait(exc: Exception) -> bool | float:
    """stamina's hook: retry what is transient, after `Retry-After` when the API says how long."""
    if not isinstance(exc, CursorApiError) or not exc.transient:
        return False
    if exc.retry_after is not None:
        return min(exc.retry_after, _MAX_RETRY_AFTER_S)
    return True


def _retried(call: Callable[[], T]) -> T:
    """`call`, again after a transient error (bounded, with backoff; `Retry-After` honoured)."""
    retry = stamina.retry(
        on=retry_wait,
        attempts=_RETRY_ATTEMPTS,
        timeout=_RETRY_TIMEOUT_S,
        wait_initial=1.0,
        wait_max=30.0,
        wait_jitter=1.0,
    )
    return retry(call)()


def _retry_after(value: str | None) -> float | None:
    """`Retry-After` in seconds: a number, or an HTTP date."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


class _Api:
    """One HTTP client for the API: authenticated, errors classified, transient ones retried."""

    def __init__(self, base_url: str, api_key: str, timeout_s: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = httpx.Client(
            base_url=self.base_url,
            auth=httpx.BasicAuth(api_key, ""),
            timeout=httpx.Timeout(timeout_s),
            headers={"User-Agent": f"baton/{__version__}"},
        )

    def close(self) -> None:
        self._client.close()

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """One request, retried while the error is transient."""
        return _retried(lambda: self.send(method, path, body))

    def send(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """One request, once."""
        try:
            response = self._client.request(method, path, json=body)
        except httpx.TransportError as exc:
            raise CursorApiError(
                f"{method} {path} got no answer ({type(exc).__name__}: {exc})", status=None
            ) from exc
        if not response.is_success:
            raise self.error(method, path, response)
        if not response.content:
            return {}
        try:
            data = response.json()
        except ValueError as exc:
            raise CursorApiError(
                f"{method} {path} answered {response.status_code} with a body that is not JSON",
                status=response.status_code,
            ) from exc
        return data if isinstance(data, dict) else {"items": data}

    def stream(self, path: str, headers: dict[str, str], read_s: float) -> Any:
        return self._client.stream(
            "GET", path, headers=headers, timeout=httpx.Timeout(30.0, read=read_s)
        )

    def error(self, method: str, path: str, response: httpx.Response) -> Exception:
        """The error an answer means: ConfigError for 401/403, CursorApiError otherwise."""
        status = response.status_code
        code, message = _error_body(response)
        detail = f"{status} {code}" if code else str(status)
        if status == 401:
            return ConfigError(
                f"CURSOR_API_KEY was rejected ({detail}) by {self.base_url}",
                hint="check that the key is current and complete (Cursor dashboard → "
                "Integrations → API keys), and that BATON_CURSOR_API_URL, if set, is the Cursor API",
            )
        if status == 403:
            return ConfigError(
                f"CURSOR_API_KEY may not {method} {path} ({detail}: {message or 'forbidden'})",
                hint="the key's account needs Cloud Agents enabled, and Cursor's GitHub app "
                "needs access to the repository (agent.cursor.repository)",
            )
        return CursorApiError(
            f"{method} {path} answered {detail}" + (f": {message}" if message else ""),
            status=status,
            code=code,
            retry_after=_retry_after(response.headers.get("Retry-After")),
            hint=(
                "the Cursor account's usage limit is reached: raise it or wait, then run baton again"
                if code == "usage_limit_exceeded"
                else None
            ),
        )


def _error_body(response: httpx.Response) -> tuple[str | None, str]:
    try:
        response.read()
    except httpx.HTTPError:
        return None, ""
    try:
        data = response.json()
    except ValueError:
        return None, response.text[:200]
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        code = error.get("code")
        return (str(code) if code else None), str(error.get("message") or "")[:300]
    return None, str(error or "")[:300]


@dataclass(frozen=True)
class Run:
    """One run of an agent as the API reports it (v0: the agent's latest work, no run id)."""

    agent_id: str
    run_id: str | None
    status: str
    summary: str = ""
    duration_s: float | None = None
    branch: str | None = None
    pr_url: str | None = None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


@dataclass
class _Where:
    """Which agent and run a call is about, as far as it got: every error names them."""

    agent_id: str | None = None
    run_id: str | None = None

    def __str__(self) -> str:
        agent = f"cursor agent {self.agent_id or '(not created)'}"
        return f"{agent}, run {self.run_id}" if self.run_id else agent


@dataclass(frozen=True)
class SseEvent:
    event: str = "message"
    data: str = ""
    id: str | None = None

    def json(self) -> Any:
        try:
            return json.loads(self.data)
        except ValueError:
            return None


def parse_sse(lines: Iterable[str]) -> Iterator[SseEvent]:
    """Server-sent events from a stream's lines: `event:`, `data:` (joined by newlines), `id:`;
    a blank line ends an event; `:` lines are comments."""
    event, last_id = "message", None
    data: list[str] = []
    for raw in lines:
        line = raw.rstrip("\r\n")
        if not line:
            if data or event != "message":
                yield SseEvent(event, "\n".join(data), last_id)
            event, data = "message", []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            event = value
        elif field == "data":
            data.append(value)
        elif field == "id" and "\x00" not in value:
            last_id = value


def _event_status(event: SseEvent) -> str | None:
    data = event.json()
    if not isinstance(data, dict):
        return None
    status = data.get("status")
    if status is None and isinstance(data.get("run"), dict):
        status = data["run"].get("status")
    return str(status).upper() if status else None


def derive_agent_id(repository: str, branch: str | None, prompt: str) -> str:
    """A launch's agent id, the same whenever the same prompt starts from the same branch of the
    same repository: a launch sent again after a crash meets the agent it made the first time."""
    digest = hashlib.sha256(prompt.encode("utf-8", "surrogatepass")).hexdigest()
    name = "\n".join([repository, branch or "", digest])
    return f"bc-{uuid.uuid5(_NAMESPACE, name)}"


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
    origin = Git(workdir).run("remote", "get-url", "origin", check=False) if workdir else ""
    if origin:
        return _https_url(origin)
    raise ConfigError(
        "the Cursor agent needs the repository's URL, and there is none to go by",
        hint="set agent.cursor.repository in .github/baton.yml, or add the `origin` remote",
    )


def _api_key(environ: Mapping[str, str]) -> str:
    key = (environ.get("CURSOR_API_KEY") or "").strip()
    if not key:
        raise ConfigError(
            "agent.kind is `cursor` but CURSOR_API_KEY is not set",
            hint="create an API key in the Cursor dashboard (Integrations) and export it",
        )
    return key


def _base_url(environ: Mapping[str, str]) -> str:
    return environ.get("BATON_CURSOR_API_URL") or DEFAULT_BASE_URL


def _who(data: dict[str, Any]) -> str:
    for key in ("userEmail", "email", "apiKeyName", "id"):
        if data.get(key):
            return str(data[key])
    return "key accepted"


def check_cursor_key(config: AgentConfig, environ: Mapping[str, str]) -> str:
    """Ask the API who the key belongs to (`GET /v1/me`); the user's email, or the key's name.
    Raises ConfigError for a missing or rejected key, AgentError when the API cannot be asked."""
    api = _Api(_base_url(environ), _api_key(environ), timeout_s=15.0)
    try:
        return _who(api.request("GET", f"/{config.cursor.api_version}/me"))
    except CursorApiError as exc:
        raise AgentError(
            f"could not check CURSOR_API_KEY at {api.base_url}: {exc.message}",
            hint="check BATON_CURSOR_API_URL and the network, then try again",
        ) from exc
    finally:
        api.close()


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
        agent_ids: AgentIds | None = None,
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
        self._agent_ids = agent_ids or (
            lambda prompt, branch: derive_agent_id(repository, branch, prompt)
        )
        self.webhook = (webhook_url, webhook_secret) if webhook_url and webhook_secret else None
        self._api = _Api(base_url, api_key, request_timeout_s)
        self._wake = threading.Event()

    @classmethod
    def from_env(
        cls, config: AgentConfig, environ: Mapping[str, str], workdir: Path | None = None
    ) -> CursorAgent:
        """CURSOR_API_KEY, BATON_CURSOR_API_URL, the repository (see `repository_url`) and, for
        v0 webhooks, BATON_CURSOR_WEBHOOK_URL with BATON_CURSOR_WEBHOOK_SECRET."""
        return cls(
            config,
            api_key=_api_key(environ),
            repository=repository_url(config, environ, workdir),
            base_url=_base_url(environ),
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
        return _who(self._api.request("GET", f"/{self.cursor.api_version}/me"))

    # -- the port ------------------------------------------------------------------------------

    def start(
        self,
        prompt: str,
        workdir: Path,
        branch: str | None = None,
        *,
        test_command: str | None = None,
    ) -> AgentResult:
        # A cloud agent works on its own copy, from `branch`, which Baton pushed, and runs what
        # its own settings allow.
        del workdir, test_command
        began = time.monotonic()
        where = _Where(self._agent_ids(prompt, branch) if self.v1 else None)

        def launch() -> AgentResult:
            run = (
                self._launch_v1(where, prompt, branch)
                if self.v1
                else self._launch_v0(where, prompt, branch)
            )
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
        where = _Where(session_id)

        def followup() -> AgentResult:
            for _ in range(_BUSY_TRIES):
                try:
                    run = self._send_followup(where, prompt)
                except CursorApiError as exc:
                    if not exc.is_conflict("agent_busy"):
                        raise
                    busy = self._current(session_id)
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

    # -- launching and following up ------------------------------------------------------------

    def _launch_v1(self, where: _Where, prompt: str, branch: str | None) -> Run:
        agent_id = str(where.agent_id)
        repo: dict[str, Any] = {"url": self.repository}
        if branch:
            repo["startingRef"] = branch
        body: dict[str, Any] = {
            "agentId": agent_id,
            "prompt": {"text": prompt},
            "repos": [repo],
            "autoCreatePR": self.cursor.auto_create_pr,
        }
        if self.config.model:
            body["model"] = {"id": self.config.model}
        try:
            data = self._api.request("POST", "/v1/agents", body)
        except CursorApiError as exc:
            if not exc.is_conflict("agent_id_conflict"):
                raise
            # An earlier Baton launched this agent and was interrupted: take it over.
            run = self._current(agent_id)
            where.run_id = run.run_id
            log.info("cursor.adopted", extra={"agent": agent_id, "run": run.run_id})
            return run
        agent, first = _obj(data, "agent"), _obj(data, "run")
        run_id = first.get("id") or agent.get("latestRunId")
        if not run_id:
            raise CursorApiError("the launch answer names no run", status=None, code="bad_answer")
        where.agent_id, where.run_id = str(agent.get("id") or agent_id), str(run_id)
        log.info("cursor.launched", extra={"agent": where.agent_id, "run": where.run_id})
        return Run(where.agent_id, where.run_id, str(first.get("status") or "CREATING"))

    def _launch_v0(self, where: _Where, prompt: str, branch: str | None) -> Run:
        source: dict[str, Any] = {"repository": self.repository}
        if branch:
            source["ref"] = branch
        body: dict[str, Any] = {
            "prompt": {"text": prompt},
            "source": source,
            "target": {"autoCreatePr": self.cursor.auto_create_pr},
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

    def _send_followup(self, where: _Where, prompt: str) -> Run:
        agent_id = str(where.agent_id)
        if not self.v1:
            self._api.request(
                "POST", f"/v0/agents/{agent_id}/followup", {"prompt": {"text": prompt}}
            )
            return Run(agent_id, None, "RUNNING")
        data = self._post_run(agent_id, prompt)
        if isinstance(data, Run):
            where.run_id = data.run_id
            log.info("cursor.followup_adopted", extra={"agent": agent_id, "run": data.run_id})
            return data
        run = _obj(data, "run")
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
                    return self._current(agent_id)
                unanswered = unanswered or exc.status is None or exc.status >= 500
                raise

        return _retried(post)

    def _current(self, agent_id: str) -> Run:
        """The agent's latest run (v0: the agent itself)."""
        if not self.v1:
            return self._read(Run(agent_id, None, "RUNNING"))
        agent = _obj(self._api.request("GET", f"/v1/agents/{agent_id}"), "agent")
        run_id = agent.get("latestRunId")
        if not run_id:
            raise CursorApiError(
                f"agent {agent_id} names no latest run", status=None, code="bad_answer"
            )
        return self._read(Run(agent_id, str(run_id), "RUNNING"))

    # -- waiting -------------------------------------------------------------------------------

    def _read(self, run: Run) -> Run:
        if not self.v1:
            return _run_v0(run.agent_id, self._api.request("GET", f"/v0/agents/{run.agent_id}"))
        data = self._api.request("GET", f"/v1/agents/{run.agent_id}/runs/{run.run_id}")
        return _run_v1(run.agent_id, _obj(data, "run"), self.repository)

    def _wait(self, run: Run, began: float) -> Run | None:
        """The run once it has ended, or None when the call's time ran out first."""
        deadline = began + self.timeout_s
        if self.cursor.stream and self.v1 and run.run_id:
            ended = self._follow(run, deadline)
            if ended is not None:
                return ended
        return self._poll(run, deadline)

    def _poll(self, run: Run, deadline: float) -> Run | None:
        """Read the run at 1 s, 2 s, 4 s … apart, at most `poll_max_seconds`, until it ends."""
        delay = self.poll_min
        while True:
            current = self._read(run)
            if not current.active:
                return current
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            if self._wake.wait(min(delay, remaining)):
                self._wake.clear()
            delay = min(delay * 2, self.poll_max)

    def _follow(self, run: Run, deadline: float) -> Run | None:
        """Follow the run's event stream until it reports the end; on a dropped connection, go
        on from the last event seen (`Last-Event-ID`). None: poll instead (410, too many drops,
        or the time ran out)."""
        path = f"/v1/agents/{run.agent_id}/runs/{run.run_id}/stream"
        last_id: str | None = None
        for _ in range(_STREAM_CONNECTIONS):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            headers = {"Accept": "text/event-stream"}
            if last_id is not None:
                headers["Last-Event-ID"] = last_id
            try:
                with self._api.stream(path, headers, min(remaining, _STREAM_READ_S)) as response:
                    if response.status_code == 410:
                        log.info("cursor.stream_gone", extra={"run": run.run_id})
                        return None
                    if not response.is_success:
                        error = self._api.error("GET", path, response)
                        if not (isinstance(error, CursorApiError) and error.transient):
                            raise error
                        self._pause(deadline)
                        continue
                    for event in parse_sse(response.iter_lines()):
                        last_id = event.id if event.id is not None else last_id
                        status = _event_status(event)
                        if (status and status not in ACTIVE) or event.event in {"done", "end"}:
                            current = self._read(run)
                            if not current.active:
                                return current
            except httpx.TransportError as exc:
                log.info("cursor.stream_dropped", extra={"run": run.run_id, "error": str(exc)})
        return None

    def _pause(self, deadline: float) -> None:
        if self._wake.wait(max(min(self.poll_min, deadline - time.monotonic()), 0)):
            self._wake.clear()

    # -- results -------------------------------------------------------------------------------

    def _finish(self, where: _Where, run: Run, began: float) -> AgentResult:
        ended = run if not run.active else self._wait(run, began)
        if ended is None:
            cancelled = self._cancel(run)
            what = "Baton cancelled the run" if cancelled else "it could not be cancelled"
            return self._failure(
                where,
                f"{where}: no answer within {self.config.timeout_minutes:g} min; {what}",
                began,
            )
        duration = ended.duration_s if ended.duration_s is not None else time.monotonic() - began
        if ended.status == "FINISHED":
            return AgentResult(
                ok=True,
                session_id=ended.agent_id,
                run_id=ended.run_id,
                branch=ended.branch,
                pr_url=ended.pr_url,
                summary=ended.summary[:_SUMMARY],
                duration_s=round(duration, 3),
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
        )

    def _cancel(self, run: Run) -> bool:
        """Cancel a run that outlived the call (v1 only: v0 has no runs to cancel)."""
        if not self.v1 or not run.run_id:
            return False
        try:
            self._api.request("POST", f"/v1/agents/{run.agent_id}/runs/{run.run_id}/cancel")
        except (CursorApiError, ConfigError) as exc:
            log.warning("cursor.cancel_failed", extra={"run": run.run_id, "error": str(exc)})
            return False
        log.info("cursor.cancelled", extra={"agent": run.agent_id, "run": run.run_id})
        return True

    def _failure(self, where: _Where, error: str, began: float) -> AgentResult:
        return AgentResult(
            ok=False,
            session_id=where.agent_id,
            run_id=where.run_id,
            error=error,
            duration_s=round(time.monotonic() - began, 3),
        )

    def _guarded(self, where: _Where, call: Callable[[], AgentResult]) -> AgentResult:
        """Run a call; a dead session is an answer (ok=False), any other error is raised naming
        the agent and the run."""
        began = time.monotonic()
        try:
            return call()
        except ConfigError as exc:
            raise ConfigError(f"{exc.message} (for {where})", hint=exc.hint) from exc
        except CursorApiError as exc:
            if exc.dead:
                return self._failure(where, f"{where}: the session is gone ({exc.message})", began)
            raise AgentError(
                f"{where}: {exc.message}",
                hint=exc.hint
                or "the ticket stays in flight; run baton again to continue where it stopped",
            ) from exc


def _obj(data: dict[str, Any], key: str) -> dict[str, Any]:
    """`data[key]` when the answer wraps its object in one (`{"run": {...}}`), else `data`."""
    inner = data.get(key)
    return inner if isinstance(inner, dict) else data


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _same_repo(a: str, b: str) -> bool:
    def norm(url: str) -> str:
        return url.rstrip("/").removesuffix(".git").lower()

    return norm(a) == norm(b)


def _run_v1(agent_id: str, data: dict[str, Any], repository: str) -> Run:
    git = data.get("git") if isinstance(data.get("git"), dict) else {}
    branches = [b for b in (git or {}).get("branches") or [] if isinstance(b, dict)]
    ours = next((b for b in branches if _same_repo(str(b.get("repoUrl", "")), repository)), None)
    chosen = ours or (branches[0] if branches else {})
    duration = data.get("durationMs")
    return Run(
        agent_id=agent_id,
        run_id=str(data.get("id")) if data.get("id") else None,
        status=str(data.get("status") or "").upper(),
        summary=_text(data.get("result")),
        duration_s=duration / 1000 if isinstance(duration, int | float) else None,
        branch=_name(chosen.get("branch")),
        pr_url=_name(chosen.get("prUrl")),
    )


def _name(value: Any) -> str | None:
    """A branch name or URL from an answer: text, or nothing (never a number or an object)."""
    return value if isinstance(value, str) and value.strip() else None


def _run_v0(agent_id: str, data: dict[str, Any]) -> Run:
    target = data.get("target") if isinstance(data.get("target"), dict) else {}
    return Run(
        agent_id=agent_id,
        run_id=None,
        status=str(data.get("status") or "").upper(),
        summary=_text(data.get("summary")),
        branch=_name((target or {}).get("branchName")),
        pr_url=_name((target or {}).get("prUrl")),
    )
