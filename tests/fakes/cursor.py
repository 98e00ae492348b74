"""A fake Cursor Cloud Agents API for tests: a real HTTP server on 127.0.0.1 whose agents do real
git work on a real remote.

    with FakeCursor(remote=bare_repo, work=edit) as cursor:
        cursor.script(RunScript(polls=2), RunScript(status="EXPIRED"))
        agent = CursorAgent(config, api_key=cursor.key, base_url=cursor.url, repository=url)
        ...
        assert len(cursor.launches) == 1

What it does as Cursor does (the v1 shapes of `shared/DESIGN.md`), so tests catch what Cursor would:

- Basic auth with the key as user (Bearer also accepted); anything else is `401 unauthorized`.
- `POST /v1/agents` (201 `{agent:{id,status,url,latestRunId}, run:{id,status}}`) with a client's
  `agentId` or its own `bc-<uuid>`; the same `agentId` again is `409 agent_id_conflict`.
  `POST /v1/agents/{id}/runs` (201 `{run:{id,status}}`) is `409 agent_busy` while a run is
  CREATING or RUNNING. `GET …/runs/{runId}` has `status`, `result`, `durationMs` and
  `git.branches[{repoUrl, branch, prUrl}]` (the agent's, `repoUrl` without a scheme);
  `POST …/cancel`; `GET …/stream` (server-sent events, resumable with `Last-Event-ID`);
  `GET /v1/me`; lists `{"items", "nextCursor"?}`; unknown agents and runs are 404.
- Errors (DESIGN.md, Cursor facts): v1 nests them, `{"error": {"code", "message"}}`; v0 answers
  them flat, `{"error": code, "message"}`; a gateway in front may answer with a message only
  (`{"error": "Too Many Requests"}`): a fault can take either shape (`fail(shape=...)`).
- Cancel (DESIGN.md, Cursor facts): a cancel of a run that has ended answers
  `409 run_not_cancellable`; `RunScript(ends_at_cancel=True)` makes a run end as a cancel reaches
  it (the race of a run that finishes at the caller's time limit).
- Expiry (DESIGN.md, Cursor facts): an agent that expired stays readable (its runs too), but a
  followup to it is refused with `agent_expired`, as 409 or as 400 (`expiry_status`; both are
  documented). A run can end EXPIRED (`RunScript(status="EXPIRED")`), the agent can expire once a
  run has ended (`RunScript(expire_after=True)`), or at any moment (`expire`).
- Models (DESIGN.md, Cursor facts; the item shape from Cursor's OpenAPI `ListModelsResponse`):
  `GET /v1/models` is `{"items": [{id, displayName, aliases}]}` (`models` holds them); a launch
  whose `model.id` is neither an id nor an alias there is `400 invalid_model`. v0's `GET
  /v0/models` is `{"models": [id, ...]}` (Cursor's v0 docs).
- `name` (at most 100 characters, else `400 validation_error`) names an agent; the agent's JSON
  returns it.
- `GET /v1/agents/{id}/usage[?runId=]` (DESIGN.md, Cursor facts; the shape from Cursor's OpenAPI
  `AgentUsageResponse`): `{totalUsage, runs: [{id, usage}]}`, each usage `{inputTokens,
  outputTokens, cacheWriteTokens, cacheReadTokens, totalTokens}`. Assumed: a run's figures are
  its script's `tokens` once it has ended, zeros before (as for "no recorded usage"), and the
  cache counts are zero. `usage_available=False` answers `403 feature_unavailable` (early access).
- `POST /v1/agents/{id}/archive` (`200 {id}`, idempotent); an archived agent stays readable, and a
  new run on it is `409 agent_archived`.
- v0: `POST /v0/agents` (`target.branchName` chosen by the client), `GET /v0/agents`
  (`{agents, nextCursor?}`), `POST /v0/agents/{id}/followup`, `GET /v0/agents/{id}` (status,
  summary, `target.branchName`, `target.prUrl`), `GET /v0/me`, and signed `statusChange` webhooks, each
  delivered twice with the same `X-Webhook-ID` (deliveries may repeat).
- Runs follow scripts (`RunScript`, taken in order of creation): how many status reads (or
  seconds) they run, how they end, whether their stream drops, is gone (410), sends an `error`
  event (`{code, message}`) and ends, or refuses a resume with `400 invalid_last_event_id` (both
  documented: DESIGN.md, Cursor facts). A run that FINISHES does real work: `work(prompt,
  checkout)` runs in a fresh clone of the starting ref (of the agent's own branch once it has
  one), and what it changed is committed and pushed to `cursor/<agent-id>`.
- Faults (`fail`): any status, code and message for matching requests, `times` times, with
  `Retry-After`, in the API's error shape or another (`shape`).
- Every request is recorded (`requests`, `calls`, `launches`, `followups`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import itertools
import json
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

Work = Callable[[str, Path], str]  # (prompt, checkout) -> the run's result
ACTIVE = frozenset({"CREATING", "RUNNING"})
ENDINGS = frozenset({"FINISHED", "ERROR", "EXPIRED"})
_AGENT_ID = re.compile(r"^bc-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_GIT_IDENTITY = ["-c", "user.name=Cursor Agent", "-c", "user.email=agent@cursor.invalid"]
STREAM_TICK_S = 0.01


def path_matches(path: str, pattern: str) -> bool:
    """A glob over a request path where `*` stands for one segment (it never crosses a `/`)."""
    parts = (re.escape(part) for part in pattern.split("*"))
    return re.fullmatch("[^/]*".join(parts), path) is not None


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class RunScript:
    """How one run goes. It ends on the status read after `polls` reads that found it active
    (and no sooner than `seconds` after it began)."""

    polls: int = 1
    seconds: float = 0.0
    status: str = "FINISHED"  # FINISHED, ERROR or EXPIRED
    result: str | None = None  # default: what `work` returned (FINISHED) or a reason
    work: Work | None = None  # this run's work instead of the fake's
    duration_ms: int | None = None  # default: the time it really took
    stream_drop_after: int | None = None  # the first stream connection drops after N events
    stream_gone: bool = False  # the stream answers 410
    stream_error_after: int | None = None  # the first connection sends `error` after N events
    stream_resume_refused: bool = False  # a connection with Last-Event-ID answers 400
    expire_after: bool = False  # the agent expires once this run has ended
    ends_at_cancel: bool = False  # it ends (as scripted) just before a cancel reaches it
    tokens: tuple[int, int] | None = None  # (input, output) the usage endpoint reports once ended

    def __post_init__(self) -> None:
        if self.status not in ENDINGS:
            raise ValueError(f"a run ends FINISHED, ERROR or EXPIRED, not {self.status}")


@dataclass
class Fault:
    status: int
    code: str
    method: str | None = None
    path: str | None = None  # a glob over the request path (see `path_matches`)
    times: int = 1
    retry_after: str | None = None
    message: str = "injected by the test"
    shape: str | None = None  # the error body's shape (see `_ApiError.body`); default: the API's
    after: bool = False  # the request is carried out first: the answer is lost, the work done

    def matches(self, method: str, path: str, after: bool = False) -> bool:
        return (
            self.times > 0
            and self.after == after
            and (self.method is None or self.method == method)
            and (self.path is None or path_matches(path, self.path))
        )


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    status: int


@dataclass
class FakeRun:
    id: str
    agent_id: str
    prompt: str
    script: RunScript
    started: float = field(default_factory=time.monotonic)
    created_at: str = field(default_factory=_now)
    status: str = "CREATING"
    reads: int = 0
    result: str | None = None
    duration_ms: int | None = None
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    stream_connections: int = 0

    def to_json(self, agent: FakeAgent) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "agentId": self.agent_id,
            "status": self.status,
            "createdAt": self.created_at,
        }
        if self.status not in ACTIVE:
            if self.result is not None:
                data["result"] = self.result
            data["durationMs"] = self.duration_ms
        if agent.pushed:
            # `repoUrl` comes without a scheme (`github.com/org/repo`), and the list is the
            # agent's, other repositories' branches included (DESIGN.md, Cursor facts).
            repo_url = re.sub(r"^[a-z][a-z0-9+.-]*://", "", agent.repo_url)
            branch: dict[str, Any] = {"repoUrl": repo_url, "branch": agent.branch}
            if agent.pr_url:
                branch["prUrl"] = agent.pr_url
            data["git"] = {"branches": [*agent.other_branches, branch]}
        return data


@dataclass
class FakeAgent:
    id: str
    api: str  # v1 or v0
    repo_url: str
    starting_ref: str | None
    auto_create_pr: bool = False
    model: str | None = None
    webhook: dict[str, str] | None = None
    runs: list[FakeRun] = field(default_factory=list)
    pushed: bool = False
    pr_url: str | None = None
    expired: bool = False  # still readable; followups are refused with `agent_expired`
    other_branches: list[dict[str, str]] = field(default_factory=list)  # other repositories'
    branch_name: str | None = None  # v0's `target.branchName`, when the launch chose it
    created_at: str = field(default_factory=_now)
    name: str | None = None
    archived: bool = False

    @property
    def branch(self) -> str:
        return self.branch_name or f"cursor/{self.id}"

    @property
    def latest(self) -> FakeRun:
        return self.runs[-1]

    def to_json(self) -> dict[str, Any]:
        data = {
            "id": self.id,
            "status": self.latest.status,
            "url": f"https://cursor.com/agents?id={self.id}",
            "latestRunId": self.latest.id,
            "createdAt": self.created_at,
        }
        if self.name is not None:
            data["name"] = self.name
        return data

    def to_v0(self) -> dict[str, Any]:
        target: dict[str, Any] = {
            "url": f"https://cursor.com/agents?id={self.id}",
            "autoCreatePr": self.auto_create_pr,
        }
        if self.pushed or self.branch_name:  # a chosen name is known from the start
            target["branchName"] = self.branch
        if self.pr_url:
            target["prUrl"] = self.pr_url
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.latest.prompt.splitlines()[0][:60] if self.latest.prompt else "",
            "status": "EXPIRED" if self.expired else self.latest.status,
            "source": {"repository": self.repo_url, "ref": self.starting_ref},
            "target": target,
            "createdAt": self.created_at,
        }
        if self.latest.status not in ACTIVE and self.latest.result is not None:
            data["summary"] = self.latest.result
        return data


class _ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        shape: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}
        self.shape = shape

    def body(self, version: str) -> dict[str, Any]:
        """The error as the API answers it (DESIGN.md, Cursor facts): nested in v1, flat in v0
        ("flat"), or only a message where a gateway answers ("gateway")."""
        shape = self.shape or ("flat" if version == "v0" else "nested")
        if shape == "gateway":
            return {"error": self.message}
        if shape == "flat":
            return {"error": self.code, "message": self.message}
        return {"error": {"code": self.code, "message": self.message}}


class _Stream:
    """Marker: answer with the run's event stream."""

    def __init__(self, agent: FakeAgent, run: FakeRun) -> None:
        self.agent, self.run = agent, run


def _default_work(prompt: str, checkout: Path) -> str:
    first = prompt.splitlines()[0] if prompt else "(empty prompt)"
    notes = checkout / "AGENT_NOTES.md"
    notes.write_text((notes.read_text() if notes.exists() else "") + f"- {first}\n")
    return f"noted: {first}"


class FakeCursor:
    """One fake Cursor API. Use it as a context manager, or `start`/`stop`."""

    def __init__(
        self,
        *,
        remote: Path | None = None,
        work: Work | None = None,
        key: str = "key_cursor_for_tests",
        default: RunScript | None = None,
    ) -> None:
        self.remote = remote
        self.work = work or _default_work
        self.key = key
        self.default = default or RunScript()
        self.me = {
            "apiKeyName": "baton-tests",
            "createdAt": "2025-01-01T00:00:00Z",
            "userEmail": "dev@example.invalid",
        }
        # What `GET /v1/models` lists: (id, aliases).
        self.models: list[tuple[str, list[str]]] = [
            ("composer-1", ["composer"]),
            ("claude-4.5-sonnet", []),
        ]
        self.usage_available = True  # False: the usage endpoint is not enabled (early access)
        self.agents: dict[str, FakeAgent] = {}
        self.requests: list[Recorded] = []
        self.deliveries: list[tuple[dict[str, str], bytes]] = []
        self.faults: list[Fault] = []
        self.expiry_status = 409  # how a followup to an expired agent is refused: 409 or 400
        # Branches every new agent also lists, of other repositories (`{repoUrl, branch}`).
        self.other_branches: list[dict[str, str]] = []
        self._scripts: list[RunScript] = []
        self._runs: dict[str, FakeRun] = {}
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._pulls = itertools.count(1)
        self._scratch = Path(tempfile.mkdtemp(prefix="fake-cursor-"))
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._delivery_threads: list[threading.Thread] = []

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> FakeCursor:
        fake = self

        class Handler(_Handler):
            owner = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        for thread in self._delivery_threads:
            thread.join(timeout=5)
        shutil.rmtree(self._scratch, ignore_errors=True)

    def __enter__(self) -> FakeCursor:
        return self.start()

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake Cursor API is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # -- what tests set up and read --------------------------------------------------------------

    def script(self, *scripts: RunScript) -> None:
        """How the next runs go, in order of creation; after them, `default`."""
        with self._lock:
            self._scripts.extend(scripts)

    def fail(
        self,
        status: int,
        code: str,
        *,
        method: str | None = None,
        path: str | None = None,
        times: int = 1,
        retry_after: str | None = None,
        message: str = "injected by the test",
        shape: str | None = None,
        after: bool = False,
    ) -> None:
        """Answer matching requests with this error; `shape` "flat" or "gateway" (see
        `_ApiError.body`) instead of the API version's own; `after`: once the request is
        carried out (a launch answered 500 made its agent all the same)."""
        with self._lock:
            fault = Fault(status, code, method, path, times, retry_after, message, shape, after)
            self.faults.append(fault)

    def seed_agent(
        self,
        prompt: str = "# an earlier prompt",
        *,
        agent_id: str | None = None,
        repo_url: str = "",
        starting_ref: str | None = "main",
        script: RunScript | None = None,
    ) -> FakeAgent:
        """An agent made outside the test's client (by an earlier, interrupted process), with
        one run that goes as `script` says."""
        with self._lock:
            agent = self._new_agent(
                agent_id or f"bc-{uuid.uuid4()}",
                api="v1",
                repo_url=repo_url,
                ref=starting_ref,
                auto_pr=False,
                model=None,
            )
            self._new_run(agent, prompt, script)
            return agent

    def expire(self, agent_id: str) -> None:
        """The agent expires now; a run it has going ends EXPIRED."""
        with self._lock:
            agent = self.agents[agent_id]
            if agent.latest.status in ACTIVE:
                self._end(agent, agent.latest, "EXPIRED", "the agent expired")
            agent.expired = True

    def run(self, run_id: str) -> FakeRun:
        with self._lock:
            return self._runs[run_id]

    def calls(self, method: str, path: str) -> list[Recorded]:
        """Recorded requests with this method whose path matches the glob (`path_matches`)."""
        with self._lock:
            return [r for r in self.requests if r.method == method and path_matches(r.path, path)]

    @property
    def launches(self) -> list[Recorded]:
        """Launches that made an agent."""
        made = self.calls("POST", "/v1/agents") + self.calls("POST", "/v0/agents")
        return [r for r in made if r.status in {200, 201}]

    @property
    def followups(self) -> list[Recorded]:
        """Followups that made a run."""
        made = self.calls("POST", "/v1/agents/*/runs") + self.calls("POST", "/v0/agents/*/followup")
        return [r for r in made if r.status in {200, 201}]

    # -- the pipeline ----------------------------------------------------------------------------

    def handle(self, method: str, raw_path: str, headers: dict[str, str], raw: bytes) -> Any:
        """(status, headers, body) or a `_Stream`; records the request."""
        split = urlsplit(raw_path)
        path, query = split.path, parse_qs(split.query)
        body: Any = None
        with self._lock:
            try:
                if raw:
                    try:
                        body = json.loads(raw)
                    except ValueError as exc:
                        raise _ApiError(400, "invalid_request", "the body is not JSON") from exc
                self._authenticate(headers)
                self._fault(method, path)
                answer = self._route(method, path, query, body)
                self._fault(method, path, after=True)
                if isinstance(answer, _Stream):
                    _check_resume(answer.run, headers)
            except _ApiError as error:
                version = path.strip("/").partition("/")[0]
                answer = (error.status, error.headers, error.body(version))
            status = 200 if isinstance(answer, _Stream) else answer[0]
            self.requests.append(Recorded(method, path, headers, body, status))
            return answer

    def _authenticate(self, headers: dict[str, str]) -> None:
        value = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        scheme, _, credentials = value.partition(" ")
        key = None
        if scheme.lower() == "bearer":
            key = credentials.strip()
        elif scheme.lower() == "basic":
            try:
                key = base64.b64decode(credentials).decode().partition(":")[0]
            except (binascii.Error, UnicodeDecodeError):
                key = None
        if not key or not hmac.compare_digest(key, self.key):
            raise _ApiError(401, "unauthorized", "Invalid API key")

    def _fault(self, method: str, path: str, *, after: bool = False) -> None:
        fault = next((f for f in self.faults if f.matches(method, path, after)), None)
        if fault is None:
            return
        fault.times -= 1
        headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
        raise _ApiError(fault.status, fault.code, fault.message, headers, fault.shape)

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], body: Any
    ) -> tuple[int, dict[str, str], Any] | _Stream:
        parts = path.strip("/").split("/")
        version, rest = (parts[0], parts[1:]) if parts else ("", [])
        if version == "v1":
            return self._v1(method, rest, query, body)
        if version == "v0":
            return self._v0(method, rest, query, body)
        raise _ApiError(404, "not_found", f"no route {path}")

    def _v1(
        self, method: str, rest: list[str], query: dict[str, list[str]], body: Any
    ) -> tuple[int, dict[str, str], Any] | _Stream:
        if rest == ["me"] and method == "GET":
            return 200, {}, self.me
        if rest == ["models"] and method == "GET":
            items = [{"id": i, "displayName": i, "aliases": a} for i, a in self.models]
            return 200, {}, {"items": items}
        if rest == ["agents"] and method == "POST":
            return self._launch_v1(body)
        if rest == ["agents"] and method == "GET":
            agents = [a.to_json() for a in reversed(self.agents.values())]
            return 200, {}, _page(agents, query)
        if len(rest) < 2 or rest[0] != "agents":
            raise _ApiError(404, "not_found", "no such route")
        return self._v1_agent(method, self._agent(rest[1]), rest[2:], query, body)

    def _v1_agent(
        self,
        method: str,
        agent: FakeAgent,
        tail: list[str],
        query: dict[str, list[str]],
        body: Any,
    ) -> tuple[int, dict[str, str], Any] | _Stream:
        """`/v1/agents/{id}/…`."""
        if tail == [] and method == "GET":
            return 200, {}, agent.to_json()
        if tail == ["runs"] and method == "POST":
            return self._followup(agent, body, "v1")
        if tail == ["usage"] and method == "GET":
            return self._usage(agent, query)
        if tail == ["archive"] and method == "POST":
            agent.archived = True  # again: the same answer (archive is idempotent)
            return 200, {}, {"id": agent.id}
        if tail == ["runs"] and method == "GET":
            runs = [self._read(agent, r, tick=False) for r in reversed(agent.runs)]
            return 200, {}, _page(runs, query)
        if len(tail) >= 2 and tail[0] == "runs":
            return self._v1_run(method, agent, tail[1], tail[2:])
        raise _ApiError(404, "not_found", "no such route")

    def _v1_run(
        self, method: str, agent: FakeAgent, run_id: str, tail: list[str]
    ) -> tuple[int, dict[str, str], Any] | _Stream:
        """`/v1/agents/{id}/runs/{runId}/…`."""
        run = self._runs.get(run_id)
        if run is None or run.agent_id != agent.id:
            raise _ApiError(404, "run_not_found", f"run {run_id} not found")
        if tail == [] and method == "GET":
            return 200, {}, self._read(agent, run, tick=True)
        if tail == ["cancel"] and method == "POST":
            return self._cancel(agent, run)
        if tail == ["stream"] and method == "GET":
            if run.script.stream_gone:
                raise _ApiError(410, "stream_expired", "the run's stream is no longer kept")
            return _Stream(agent, run)
        raise _ApiError(404, "not_found", "no such route")

    def _v0(
        self, method: str, rest: list[str], query: dict[str, list[str]], body: Any
    ) -> tuple[int, dict[str, str], Any]:
        if rest == ["me"] and method == "GET":
            return 200, {}, self.me
        if rest == ["models"] and method == "GET":
            return 200, {}, {"models": [i for i, _ in self.models]}
        if rest == ["agents"] and method == "POST":
            return self._launch_v0(body)
        if rest == ["agents"] and method == "GET":
            # v0 lists `{"agents": [...], "nextCursor"?}`, newest first (Cursor's v0 endpoint
            # docs, "List agents").
            mine = [a.to_v0() for a in reversed(self.agents.values()) if a.api == "v0"]
            page = _page(mine, query)
            return 200, {}, {"agents": page.pop("items"), **page}
        if len(rest) >= 2 and rest[0] == "agents":
            agent = self._agent(rest[1])
            if rest[2:] == [] and method == "GET":
                self._tick(agent, agent.latest)
                return 200, {}, agent.to_v0()
            if rest[2:] == ["followup"] and method == "POST":
                status, headers, _ = self._followup(agent, body, "v0")
                return status, headers, {"id": agent.id}
        raise _ApiError(404, "not_found", "no such route")

    # -- the endpoints ---------------------------------------------------------------------------

    def _agent(self, agent_id: str) -> FakeAgent:
        agent = self.agents.get(agent_id)
        if agent is None:
            raise _ApiError(404, "agent_not_found", f"agent {agent_id} not found")
        return agent

    def _launch_v1(self, body: Any) -> tuple[int, dict[str, str], Any]:
        prompt = _prompt(body)
        repos = body.get("repos")
        if not isinstance(repos, list) or not repos or not isinstance(repos[0], dict):
            raise _ApiError(400, "invalid_request", "repos must be a list of {url, startingRef}")
        url = repos[0].get("url")
        if not isinstance(url, str) or not url:
            raise _ApiError(400, "invalid_request", "repos[0].url is required")
        ref = repos[0].get("startingRef")
        model = body.get("model")
        if model is not None and not (isinstance(model, dict) and isinstance(model.get("id"), str)):
            raise _ApiError(400, "invalid_request", "model must be {id}")
        if model is not None:
            self._known_model(model["id"])
        name = body.get("name")
        if name is not None and not (isinstance(name, str) and 1 <= len(name) <= 100):
            raise _ApiError(400, "validation_error", "name must be 1 to 100 characters")
        auto_pr = body.get("autoCreatePR", False)
        if not isinstance(auto_pr, bool):
            raise _ApiError(400, "invalid_request", "autoCreatePR must be a boolean")
        agent_id = body.get("agentId")
        if agent_id is None:
            agent_id = f"bc-{uuid.uuid4()}"
        elif not isinstance(agent_id, str) or not _AGENT_ID.match(agent_id):
            raise _ApiError(400, "invalid_request", "agentId must be bc-<uuid>")
        elif agent_id in self.agents:
            raise _ApiError(409, "agent_id_conflict", f"agent {agent_id} already exists")
        agent = self._new_agent(
            agent_id, api="v1", repo_url=url, ref=ref, auto_pr=auto_pr, model=model and model["id"]
        )
        agent.name = name
        run = self._new_run(agent, prompt, None)
        return (
            201,
            {},
            {"agent": agent.to_json(), "run": {"id": run.id, "status": run.status}},
        )

    def _launch_v0(self, body: Any) -> tuple[int, dict[str, str], Any]:
        prompt = _prompt(body)
        source = body.get("source")
        if not isinstance(source, dict) or not isinstance(source.get("repository"), str):
            raise _ApiError(400, "invalid_request", "source.repository is required")
        target = body.get("target") or {}
        webhook = body.get("webhook")
        if webhook is not None and not (
            isinstance(webhook, dict) and webhook.get("url") and webhook.get("secret")
        ):
            raise _ApiError(400, "invalid_request", "webhook must be {url, secret}")
        if body.get("model") is not None:
            self._known_model(str(body["model"]))
        agent = self._new_agent(
            f"bc-{uuid.uuid4()}",
            api="v0",
            repo_url=source["repository"],
            ref=source.get("ref"),
            auto_pr=bool(target.get("autoCreatePr", False)),
            model=body.get("model"),
        )
        agent.webhook = webhook
        if isinstance(target.get("branchName"), str) and target["branchName"]:
            agent.branch_name = target["branchName"]
        self._new_run(agent, prompt, None)
        return 201, {}, agent.to_v0()

    def _followup(self, agent: FakeAgent, body: Any, api: str) -> tuple[int, dict[str, str], Any]:
        if agent.api != api:
            raise _ApiError(400, "invalid_request", f"agent {agent.id} is a {agent.api} agent")
        prompt = _prompt(body)
        if agent.expired:
            raise _ApiError(self.expiry_status, "agent_expired", f"agent {agent.id} has expired")
        if agent.archived:
            raise _ApiError(409, "agent_archived", f"agent {agent.id} is archived")
        if agent.latest.status in ACTIVE:
            raise _ApiError(409, "agent_busy", f"agent {agent.id} is busy with a run")
        run = self._new_run(agent, prompt, None)
        return 201, {}, {"run": {"id": run.id, "status": run.status}}

    def _cancel(self, agent: FakeAgent, run: FakeRun) -> tuple[int, dict[str, str], Any]:
        if run.status in ACTIVE and run.script.ends_at_cancel:
            self._complete(agent, run)
        if run.status not in ACTIVE:
            raise _ApiError(409, "run_not_cancellable", f"run {run.id} has ended ({run.status})")
        self._end(agent, run, "CANCELLED", "cancelled by the client")
        return 200, {}, {"id": run.id, "status": run.status}

    def _known_model(self, model: str) -> None:
        if not any(model == i or model in a for i, a in self.models):
            valid = ", ".join(i for i, _ in self.models)
            raise _ApiError(400, "invalid_model", f"model {model!r} is not available ({valid})")

    def _usage(
        self, agent: FakeAgent, query: dict[str, list[str]]
    ) -> tuple[int, dict[str, str], Any]:
        if not self.usage_available:
            raise _ApiError(403, "feature_unavailable", "agent usage is in early access")
        runs = agent.runs
        if "runId" in query:
            runs = [r for r in runs if r.id == query["runId"][0]]
            if not runs:
                raise _ApiError(404, "run_not_found", f"run {query['runId'][0]} not found")
        usages = [(r.id, _token_usage(r)) for r in runs]
        total = {k: sum(u[k] for _, u in usages) for k in _token_usage(None)}
        return 200, {}, {"totalUsage": total, "runs": [{"id": i, "usage": u} for i, u in usages]}

    def _new_agent(
        self,
        agent_id: str,
        *,
        api: str,
        repo_url: str,
        ref: str | None,
        auto_pr: bool,
        model: str | None,
    ) -> FakeAgent:
        agent = FakeAgent(agent_id, api, repo_url, ref, auto_pr, model)
        agent.other_branches = list(self.other_branches)
        self.agents[agent_id] = agent
        return agent

    def _new_run(self, agent: FakeAgent, prompt: str, script: RunScript | None) -> FakeRun:
        if script is None:
            script = self._scripts.pop(0) if self._scripts else self.default
        run = FakeRun(f"run-{next(self._ids):04d}-{uuid.uuid4().hex[:8]}", agent.id, prompt, script)
        run.events.append(("status", {"status": "CREATING"}))
        agent.runs.append(run)
        self._runs[run.id] = run
        return run

    def _read(self, agent: FakeAgent, run: FakeRun, *, tick: bool) -> dict[str, Any]:
        if tick:
            self._tick(agent, run)
        return run.to_json(agent)

    # -- runs going their way --------------------------------------------------------------------

    def _tick(self, agent: FakeAgent, run: FakeRun) -> None:
        """One status read of an active run: it moves on, and maybe ends."""
        if run.status not in ACTIVE:
            return
        run.reads += 1
        if run.status == "CREATING":
            run.status = "RUNNING"
            run.events.append(("status", {"status": "RUNNING"}))
        run.events.append(("message", {"type": "assistant", "text": f"working ({run.reads})"}))
        script = run.script
        if run.reads > script.polls and time.monotonic() - run.started >= script.seconds:
            self._complete(agent, run)

    def _complete(self, agent: FakeAgent, run: FakeRun) -> None:
        script = run.script
        if script.status != "FINISHED":
            reason = {"EXPIRED": "the agent expired", "ERROR": "the agent hit an error"}
            self._end(agent, run, script.status, script.result or reason[script.status])
            return
        try:
            summary = self._do_work(agent, run)
        except (OSError, subprocess.CalledProcessError, ValueError) as exc:
            self._end(agent, run, "ERROR", f"the agent's work failed: {exc}")
            return
        if agent.auto_create_pr and agent.pr_url is None:
            agent.pr_url = f"https://github.com/example/project/pull/{next(self._pulls)}"
        self._end(agent, run, "FINISHED", script.result or summary)

    def _end(self, agent: FakeAgent, run: FakeRun, status: str, result: str) -> None:
        run.status, run.result = status, result
        run.duration_ms = (
            run.script.duration_ms
            if run.script.duration_ms is not None
            else int((time.monotonic() - run.started) * 1000)
        )
        run.events.append(("status", {"status": status}))
        run.events.append(("done", {"runId": run.id}))
        agent.expired = agent.expired or status == "EXPIRED" or run.script.expire_after
        if agent.webhook and status in {"FINISHED", "ERROR"}:
            self._deliver(agent, status)

    def _do_work(self, agent: FakeAgent, run: FakeRun) -> str:
        remote = str(self.remote) if self.remote else agent.repo_url
        checkout = self._scratch / run.id
        ref = agent.branch if agent.pushed else agent.starting_ref
        clone = ["git", "clone", "-q", *(["--branch", ref] if ref else []), remote, str(checkout)]
        subprocess.run(clone, check=True, capture_output=True)
        summary = (run.script.work or self.work)(run.prompt, checkout)

        def git(*args: str) -> None:
            subprocess.run(
                ["git", *_GIT_IDENTITY, "-c", "commit.gpgsign=false", *args],
                cwd=checkout,
                check=True,
                capture_output=True,
            )

        git("add", "-A")
        git("commit", "-q", "--allow-empty", "--no-verify", "-m", f"cursor: run {run.id}")
        git("push", "-q", "--force", "origin", f"HEAD:refs/heads/{agent.branch}")
        agent.pushed = True
        shutil.rmtree(checkout, ignore_errors=True)
        return summary

    def _deliver(self, agent: FakeAgent, status: str) -> None:
        webhook = agent.webhook or {}
        body = json.dumps(
            {
                "event": "statusChange",
                "timestamp": _now(),
                "id": agent.id,
                "status": status,
                "source": {"repository": agent.repo_url, "ref": agent.starting_ref},
                "target": agent.to_v0()["target"],
                "summary": agent.latest.result or "",
            }
        ).encode()
        digest = hmac.new(webhook["secret"].encode(), body, hashlib.sha256).hexdigest()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Cursor-Agent-Webhook/1.0",
            "X-Webhook-Event": "statusChange",
            "X-Webhook-ID": f"msg_{uuid.uuid4().hex}",
            "X-Webhook-Signature": f"sha256={digest}",
        }
        self.deliveries.append((headers, body))
        url = webhook["url"]

        def post_twice() -> None:
            for _ in range(2):  # deliveries may repeat
                # The URL is the test's own receiver, on 127.0.0.1.
                request = urllib.request.Request(url, body, headers, method="POST")  # noqa: S310
                try:
                    with urllib.request.urlopen(request, timeout=5):  # noqa: S310
                        pass
                except OSError:
                    return

        thread = threading.Thread(target=post_twice, daemon=True)
        self._delivery_threads.append(thread)
        thread.start()

    # -- the event stream ------------------------------------------------------------------------

    def stream(self, handler: BaseHTTPRequestHandler, target: _Stream) -> None:
        agent, run = target.agent, target.run
        last = handler.headers.get("Last-Event-ID")
        index = int(last) if last and last.isdigit() else 0  # events are numbered from 1
        with self._lock:
            run.stream_connections += 1
            first_connection = run.stream_connections == 1
        drop_after = run.script.stream_drop_after if first_connection else None
        error_after = run.script.stream_error_after if first_connection else None
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Cache-Control", "no-cache")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        sent = 0
        while True:
            with self._lock:
                pending = run.events[index:]
                ended = run.status not in ACTIVE
            for name, data in pending:
                if drop_after is not None and sent >= drop_after:
                    handler.close_connection = True  # mid-stream, without the last chunk
                    return
                if error_after is not None and sent >= error_after:
                    failure = {"code": "stream_error", "message": "the event stream failed"}
                    _chunk(handler, f"event: error\ndata: {json.dumps(failure)}\n\n")
                    handler.wfile.write(b"0\r\n\r\n")
                    handler.close_connection = True
                    return
                index += 1
                _chunk(handler, f"id: {index}\nevent: {name}\ndata: {json.dumps(data)}\n\n")
                sent += 1
            if ended:
                with self._lock:
                    if index >= len(run.events):
                        handler.wfile.write(b"0\r\n\r\n")
                        handler.close_connection = True
                        return
                continue
            time.sleep(STREAM_TICK_S)
            with self._lock:
                self._tick(agent, run)


def _check_resume(run: FakeRun, headers: dict[str, str]) -> None:
    if run.script.stream_resume_refused and any(k.lower() == "last-event-id" for k in headers):
        raise _ApiError(400, "invalid_last_event_id", "Last-Event-ID names no event of this run")


def _chunk(handler: BaseHTTPRequestHandler, text: str) -> None:
    data = text.encode()
    handler.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
    handler.wfile.flush()


def _token_usage(run: FakeRun | None) -> dict[str, int]:
    """A run's `UsageTokenUsage`: its script's tokens once it ended, zeros before."""
    tokens = run.script.tokens if run is not None and run.status not in ACTIVE else None
    tokens_in, tokens_out = tokens or (0, 0)
    return {
        "inputTokens": tokens_in,
        "outputTokens": tokens_out,
        "cacheWriteTokens": 0,
        "cacheReadTokens": 0,
        "totalTokens": tokens_in + tokens_out,
    }


def _prompt(body: Any) -> str:
    prompt = body.get("prompt") if isinstance(body, dict) else None
    text = prompt.get("text") if isinstance(prompt, dict) else None
    if not isinstance(text, str) or not text:
        raise _ApiError(400, "invalid_request", "prompt.text is required")
    return text


def _page(items: list[dict[str, Any]], query: dict[str, list[str]]) -> dict[str, Any]:
    limit = int(query.get("limit", ["20"])[0])
    start = int(query.get("cursor", ["0"])[0])
    page: dict[str, Any] = {"items": items[start : start + limit]}
    if start + limit < len(items):
        page["nextCursor"] = str(start + limit)
    return page


class _Handler(BaseHTTPRequestHandler):
    owner: FakeCursor
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the fake records every request instead."""

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        answer = self.owner.handle(self.command, self.path, dict(self.headers.items()), raw)
        if isinstance(answer, _Stream):
            self.owner.stream(self, answer)
            return
        status, headers, body = answer
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_DELETE = _serve
