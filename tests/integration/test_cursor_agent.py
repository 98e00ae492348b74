"""CursorAgent against the fake Cursor API (tests/fakes/cursor.py): real HTTP on 127.0.0.1, real
git pushes to a bare remote. Every error the API can answer has a test showing what Baton decides."""

from __future__ import annotations

import logging
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import stamina
from click.testing import CliRunner

from bot.agents.cursor.agent import CursorAgent
from bot.agents.cursor.http import CursorApiError, retry_wait
from bot.agents.cursor.models import offered
from bot.agents.cursor.settings import repository_url
from bot.agents.cursor.stream import parse_sse
from bot.agents.cursor.v1 import derive_agent_id
from bot.agents.cursor.webhook import (
    WebhookDeduper,
    accept_delivery,
    sign,
    verify_webhook,
)
from bot.agents.cursor.wire import run_tokens
from bot.cli import cli
from bot.config import AgentConfig
from bot.errors import AgentError, ConfigError
from tests.fakes.cursor import FakeCursor, RunScript

RUNS = "/v1/agents/*/runs/*"


@pytest.fixture(autouse=True)
def _fast_retries() -> Iterator[None]:
    """Retries happen, but without waiting (stamina's test mode: three tries, no backoff)."""
    with stamina.set_testing(True, attempts=3):
        yield


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    """A bare repository with `main` holding a README: what the cloud agent clones and pushes to."""
    seed, bare = tmp_path / "seed", tmp_path / "remote.git"
    seed.mkdir()
    _git(seed, "init", "-q", "-b", "main")
    (seed / "README.md").write_text("# project\n")
    _git(seed, "add", "-A")
    _git(seed, "commit", "-qm", "initial")
    _git(tmp_path, "init", "-q", "--bare", str(bare))
    _git(seed, "push", "-q", str(bare), "main")
    return bare


def edit(prompt: str, checkout: Path) -> str:
    """The fake agent's work: one line per prompt in WORK.md; answers what it saw there before."""
    work = checkout / "WORK.md"
    before = work.read_text() if work.exists() else ""
    work.write_text(before + prompt.splitlines()[0] + "\n")
    return f"added a line to {len(before.splitlines())} earlier one(s)"


@pytest.fixture
def cursor(remote: Path) -> Iterator[FakeCursor]:
    with FakeCursor(remote=remote, work=edit) as fake:
        yield fake


def make_agent(
    fake: FakeCursor,
    remote: Path,
    *,
    key: str | None = None,
    cursor: dict[str, Any] | None = None,
    repository: str | None = None,
    **settings: Any,
) -> CursorAgent:
    """A CursorAgent on the fake, polling every few milliseconds; `cursor` is agent.cursor."""
    config = AgentConfig.model_validate(
        {
            "kind": "cursor",
            "timeout_minutes": 1,
            **settings,
            "cursor": {"poll_max_seconds": 0.02, **(cursor or {})},
        }
    )
    return CursorAgent(
        config,
        api_key=key or fake.key,
        base_url=fake.url,
        repository=repository or str(remote),
        poll_min_seconds=0.002,
    )


def remote_file(remote: Path, branch: str, path: str) -> str:
    return _git(remote, "show", f"{branch}:{path}")


# -- launch, followup, result ------------------------------------------------------------------


def test_launch_waits_for_the_run_and_reads_its_result(
    cursor: FakeCursor, remote: Path, tmp_path: Path
) -> None:
    cursor.script(RunScript(polls=3, duration_ms=4200))
    agent = make_agent(cursor, remote, model="composer-1")
    result = agent.start("# first prompt\nDo the thing.", tmp_path, "main")

    assert result.ok, result.error
    assert result.session_id is not None
    assert result.session_id.startswith("bc-")
    assert result.summary == "added a line to 0 earlier one(s)"
    assert result.duration_s == 4.2
    assert result.branch == f"cursor/{result.session_id}"
    assert result.pr_url is None
    assert remote_file(remote, result.branch, "WORK.md") == "# first prompt"

    (launch,) = cursor.launches
    assert launch.status == 201
    assert launch.body == {
        "agentId": result.session_id,
        "prompt": {"text": "# first prompt\nDo the thing."},
        "repos": [{"url": str(remote), "startingRef": "main"}],
        "autoCreatePR": False,
        "model": {"id": "composer-1"},
    }
    assert launch.headers["Authorization"].startswith("Basic ")
    reads = cursor.calls("GET", RUNS)
    assert len(reads) == 4, "three reads found it running, the fourth found it finished"
    assert {r.path for r in reads} == {f"/v1/agents/{result.session_id}/runs/{result.run_id}"}


def test_a_followup_is_a_new_run_on_the_same_agent_and_branch(
    cursor: FakeCursor, remote: Path, tmp_path: Path
) -> None:
    agent = make_agent(cursor, remote, cursor={"auto_create_pr": True})
    first = agent.start("# launch", tmp_path, "main")
    assert first.session_id is not None
    second = agent.resume(first.session_id, "# followup", tmp_path, "main")

    assert second.ok, second.error
    assert second.session_id == first.session_id
    assert second.run_id != first.run_id
    assert second.summary == "added a line to 1 earlier one(s)", "it went on from its own branch"
    assert second.branch == first.branch
    assert second.pr_url == "https://github.com/example/project/pull/1"
    assert remote_file(remote, str(second.branch), "WORK.md") == "# launch\n# followup"
    assert len(cursor.launches) == 1
    (followup,) = cursor.followups
    assert followup.path == f"/v1/agents/{first.session_id}/runs"
    assert followup.body == {"prompt": {"text": "# followup"}}


def test_the_branch_is_the_one_in_this_repository_however_its_url_is_written(
    cursor: FakeCursor, remote: Path, tmp_path: Path
) -> None:
    cursor.other_branches = [{"repoUrl": "github.com/example/other", "branch": "cursor/other"}]
    agent = make_agent(cursor, remote, repository="https://github.com/Example/Project.git")
    result = agent.start("# launch", tmp_path, "main")

    assert result.ok, result.error
    (agent_id,) = cursor.agents
    branches = cursor.agents[agent_id].latest.to_json(cursor.agents[agent_id])["git"]["branches"]
    assert [b["repoUrl"] for b in branches] == [
        "github.com/example/other",
        "github.com/Example/Project.git",
    ]
    assert result.branch == f"cursor/{agent_id}"


def test_the_key_check_names_the_user(cursor: FakeCursor, remote: Path) -> None:
    assert make_agent(cursor, remote).me() == "dev@example.invalid"
    assert cursor.calls("GET", "/v1/me")


# -- waiting: busy agents, adoption, time limits -----------------------------------------------


def test_a_busy_agent_is_waited_for_then_the_followup_is_sent(
    cursor: FakeCursor, remote: Path, tmp_path: Path
) -> None:
    busy = cursor.seed_agent(repo_url=str(remote), script=RunScript(polls=3))
    result = make_agent(cursor, remote).resume(busy.id, "# next", tmp_path)

    assert result.ok, result.error
    posts = cursor.calls("POST", f"/v1/agents/{busy.id}/runs")
    assert [p.status for p in posts] == [409, 201]
    assert busy.runs[0].status == "FINISHED", "the running run was waited for, not cancelled"
    assert result.run_id == busy.runs[1].id


@pytest.mark.parametrize(("version", "shape"), [("v0", None), ("v1", "flat")])
def test_a_flat_busy_answer_is_waited_for_then_the_followup_is_sent(
    cursor: FakeCursor, remote: Path, tmp_path: Path, version: str, shape: str | None
) -> None:
    """`{"error": "agent_busy", "message": …}`: v0's own shape, and a gateway's on v1."""
    agent = make_agent(cursor, remote, cursor={"api_version": version})
    first = agent.start("# launch", tmp_path, "main")
    assert first.session_id is not None
    followup = "followup" if version == "v0" else "runs"
    path = f"/{version}/agents/{first.session_id}/{followup}"
    cursor.fail(409, "agent_busy", method="POST", path=path, shape=shape)
    result = agent.resume(first.session_id, "# next", tmp_path)

    assert result.ok, result.error
    assert [p.status for p in cursor.calls("POST", path)] == [409, 201]
    assert len(cursor.followups) == 1


def test_a_launch_sent_again_adopts_the_agent_it_already_made(
    cursor: FakeCursor, remote: Path, tmp_path: Path
) -> None:
    agent = make_agent(cursor, remote)
    first = agent.start("# launch ticket one", tmp_path, "main")
    # Baton was killed after the launch and sends the very same prompt again.
    again = agent.start("# launch ticket one", tmp_path, "main")

    assert again.ok, again.error
    assert (again.session_id, again.run_id) == (first.session_id, first.run_id)
    assert len(cursor.agents) == 1, "no second agent"
    assert [c.status for c in cursor.calls("POST", "/v1/agents")] == [201, 409]
    assert cursor.calls("POST", "/v1/agents")[1].body["agentId"] == first.session_id


def test_an_interrupted_launch_still_running_is_adopted_and_waited_for(
    cursor: FakeCursor, remote: Path, tmp_path: Path
) -> None:
    prompt = "# launch ticket one"
    made = cursor.seed_agent(
        prompt,
        agent_id=derive_agent_id(str(remote), "main", prompt),
        repo_url=str(remote),
        script=RunScript(polls=2),
    )
    result = make_agent(cursor, remote).start(prompt, tmp_path, "main")

    assert result.ok, result.error
    assert (result.session_id, result.run_id) == (made.id, made.runs[0].id)
    assert cursor.launches == [], "the agent was adopted, not made again"
    assert cursor.calls("GET", f"/v1/agents/{made.id}")


def test_agent_ids_differ_by_prompt_and_branch() -> None:
    one = derive_agent_id("https://github.com/o/r", "baton/a", "# launch")
    assert one == derive_agent_id("https://github.com/o/r", "baton/a", "# launch")
    assert one != derive_agent_id("https://github.com/o/r", "baton/b", "# launch")
    assert one != derive_agent_id("https://github.com/o/r", "baton/a", "# recovery")
    assert uuid.UUID(one.removeprefix("bc-"))


def test_a_run_past_the_timeout_is_cancelled(
    cursor: FakeCursor, remote: Path, tmp_path: Path
) -> None:
    cursor.script(RunScript(seconds=60))
    result = make_agent(cursor, remote, timeout_minutes=0.01).start("# slow", tmp_path, "main")

    # Given up at the timeout, not waited out: the run was still going when Baton cancelled it.
    assert not result.ok
    assert result.run_id is not None
    assert f"cursor agent {result.session_id}, run {result.run_id}" in str(result.error)
    assert "no answer within 0.01 min; Baton cancelled the run" in str(result.error)
    (cancel,) = cursor.calls("POST", f"{RUNS}/cancel")
    assert cancel.path == f"/v1/agents/{result.session_id}/runs/{result.run_id}/cancel"
    assert cursor.run(result.run_id).status == "CANCELLED"


def test_a_run_that_finishes_as_it_is_cancelled_gives_its_result(
    cursor: FakeCursor, remote: Path, tmp_path: Path
) -> None:
    """The cancel at the time limit meets a run that has just finished (409
    `run_not_cancellable`): Baton reads the run again and answers with its result."""
    cursor.script(RunScript(seconds=60, ends_at_cancel=True))
    result = make_agent(cursor, remote, timeout_minutes=0.01).start("# slow", tmp_path, "main")

    assert result.ok, result.error
    assert result.summary == "added a line to 0 earlier one(s)"
    assert result.branch == f"cursor/{result.session_id}"
    (cancel,) = cursor.calls("POST", f"{RUNS}/cancel")
    assert cancel.status == 409
    assert cursor.run(str(result.run_id)).status == "FINISHED"
    # After the refused cancel, the run is read again (then its token usage).
    after = [r.path for r in cursor.requests[cursor.requests.index(cancel) + 1 :]]
    assert after[0] == f"/v1/agents/{result.session_id}/runs/{result.run_id}"


# -- errors mapped to decisions ----------------------------------------------------------------


@pytest.mark.parametrize("status", ["EXPIRED", "ERROR"])
def test_a_run_that_ends_expired_or_in_error_is_a_dead_session(
    cursor: FakeCursor, remote: Path, tmp_path: Path, status: str
) -> None:
    cursor.script(RunScript(status=status))
    result = make_agent(cursor, remote).start("# launch", tmp_path, "main")

    assert not result.ok, "ok=False: the dispatcher recovers with a new agent"
    assert result.session_id is not None
    assert result.run_id is not None
    assert f"cursor agent {result.session_id}, run {result.run_id} ended {status}" in str(
        result.error
    )
    assert result.branch is None


def test_a_followup_to_an_unknown_agent_is_a_dead_session(
    cursor: FakeCursor, remote: Path, tmp_path: Path
) -> None:
    gone = f"bc-{uuid.uuid4()}"
    result = make_agent(cursor, remote).resume(gone, "# followup", tmp_path)

    assert not result.ok
    assert result.session_id == gone
    assert f"cursor agent {gone}: the session is gone" in str(result.error)
    assert "404 agent_not_found" in str(result.error)


@pytest.mark.parametrize("refusal", [409, 400], ids=["409", "400"])
def test_a_followup_to_an_agent_that_expired_during_its_run_is_a_dead_session(
    cursor: FakeCursor, remote: Path, tmp_path: Path, refusal: int
) -> None:
    cursor.expiry_status = refusal
    cursor.script(RunScript(status="EXPIRED"))
    agent = make_agent(cursor, remote)
    first = agent.start("# launch", tmp_path, "main")
    assert first.session_id is not None
    again = agent.resume(first.session_id, "# followup", tmp_path)

    assert not again.ok, "ok=False: the dispatcher recovers with a new agent"
    assert again.session_id == first.session_id
    assert f"cursor agent {first.session_id}: the session is gone" in str(again.error)
    assert f"{refusal} agent_expired" in str(again.error)
    (post,) = cursor.calls("POST", f"/v1/agents/{first.session_id}/runs")
    assert post.status == refusal, "refused once, not retried"
    # Expired is not unknown: the agent and its runs are still there to read.
    auth = (cursor.key, "")
    assert httpx.get(f"{cursor.url}/v1/agents/{first.session_id}", auth=auth).status_code == 200
    run = httpx.get(f"{cursor.url}/v1/agents/{first.session_id}/runs/{first.run_id}", auth=auth)
    assert run.json()["status"] == "EXPIRED"


def test_a_followup_to_an_agent_that_expired_after_its_run_finished_is_a_dead_session(
    cursor: FakeCursor, remote: Path, tmp_path: Path
) -> None:
    cursor.script(RunScript(expire_after=True))
    agent = make_agent(cursor, remote)
    first = agent.start("# launch", tmp_path, "main")
    assert first.ok, first.error
    assert first.session_id is not None
    again = agent.resume(first.session_id, "# followup", tmp_path)

    assert not again.ok
    assert "the session is gone" in str(again.error)
    assert "409 agent_expired" in str(again.error)
    assert cursor.followups == []


def test_a_v0_followup_to_an_expired_agent_is_a_dead_session(
    cursor: FakeCursor, remote: Path, tmp_path: Path
) -> None:
    agent = make_agent(cursor, remote, cursor={"api_version": "v0"})
    first = agent.start("# launch", tmp_path, "main")
    assert first.session_id is not None
    cursor.expire(first.session_id)
    again = agent.resume(first.session_id, "# followup", tmp_path)

    assert not again.ok
    assert "the session is gone" in str(again.error)
    assert "409 agent_expired: agent bc-" in str(again.error), "v0's flat error, read"


def test_an_agent_that_expires_while_busy_is_a_dead_session(
    cursor: FakeCursor, remote: Path, tmp_path: Path
) -> None:
    busy = cursor.seed_agent(repo_url=str(remote), script=RunScript(polls=2, status="EXPIRED"))
    result = make_agent(cursor, remote).resume(busy.id, "# next", tmp_path)

    assert not result.ok
    assert "the session is gone" in str(result.error)
    assert "agent_expired" in str(result.error)
    posts = cursor.calls("POST", f"/v1/agents/{busy.id}/runs")
    assert [p.status for p in posts] == [409, 409], "busy, then (once its run ended) expired"
    assert len(busy.runs) == 1


def test_a_rejected_key_is_a_configuration_error(
    cursor: FakeCursor, remote: Path, tmp_path: Path
) -> None:
    agent = make_agent(cursor, remote, key="key_wrong")
    with pytest.raises(ConfigError) as raised:
        agent.start("# launch", tmp_path, "main")
    assert "CURSOR_API_KEY was rejected (401 unauthorized)" in str(raised.value)
    assert "(for cursor agent bc-" in str(raised.value)
    assert "Integrations → API keys" in str(raised.value.hint)
    assert len(cursor.calls("POST", "/v1/agents")) == 1, "a 401 is not retried"


def test_a_forbidden_request_names_the_permission(
    cursor: FakeCursor, remote: Path, tmp_path: Path
) -> None:
    cursor.fail(403, "forbidden", method="POST", path="/v1/agents")
    with pytest.raises(ConfigError) as raised:
        make_agent(cursor, remote).start("# launch", tmp_path, "main")
    assert "CURSOR_API_KEY may not POST /v1/agents (403 forbidden" in str(raised.value)
    assert "Cloud Agents" in str(raised.value.hint)


def _launch_after_a_429(cursor: FakeCursor, remote: Path, tmp_path: Path, **fault: str) -> Any:
    """A launch answered 429 with `Retry-After: 1` once: it waits that long, then succeeds."""
    cursor.fail(
        429, "rate_limit_exceeded", method="POST", path="/v1/agents", retry_after="1", **fault
    )
    with stamina.set_testing(False):  # this test is about the real wait
        started = time.monotonic()
        result = make_agent(cursor, remote).start("# launch", tmp_path, "main")
        waited = time.monotonic() - started
    assert result.ok, result.error
    assert waited >= 1.0
    assert [c.status for c in cursor.calls("POST", "/v1/agents")] == [429, 201]
    return result


def test_rate_limits_wait_as_long_as_retry_after_says(
    cursor: FakeCursor, remote: Path, tmp_path: Path
) -> None:
    _launch_after_a_429(cursor, remote, tmp_path)


def test_a_gateways_429_with_only_a_message_waits_retry_after(
    cursor: FakeCursor, remote: Path, tmp_path: Path
) -> None:
    """`{"error": "Too Many Requests"}`: a message, not a code; retried all the same."""
    too_many = {"message": "Too Many Requests", "shape": "gateway"}
    result = _launch_after_a_429(cursor, remote, tmp_path, **too_many)

    cursor.fail(429, "-", method="POST", path="/v1/agents/*/runs", times=100, **too_many)
    with pytest.raises(AgentError) as raised:
        make_agent(cursor, remote).resume(str(result.session_id), "# next", tmp_path)
    assert "POST /v1/agents/bc-" in str(raised.value)
    assert "/runs answered 429: Too Many Requests" in str(raised.value), "no code, a message"
    assert len(cursor.calls("POST", "/v1/agents/*/runs")) == 3, "retried while tries remained"


def test_a_flat_spent_usage_limit_stops_without_retrying(
    cursor: FakeCursor, remote: Path, tmp_path: Path
) -> None:
    cursor.fail(429, "usage_limit_exceeded", method="POST", path="/v1/agents", shape="flat")
    with pytest.raises(AgentError) as raised:
        make_agent(cursor, remote).start("# launch", tmp_path, "main")
    assert "429 usage_limit_exceeded: injected by the test" in str(raised.value)
    assert "usage limit is reached" in str(raised.value)
    assert len(cursor.calls("POST", "/v1/agents")) == 1


def test_a_v0_error_keeps_its_code_and_message(
    cursor: FakeCursor, remote: Path, tmp_path: Path
) -> None:
    message = "model gpt-nope is not available"
    cursor.fail(400, "invalid_request", method="POST", path="/v0/agents", message=message)
    agent = make_agent(cursor, remote, cursor={"api_version": "v0"})
    with pytest.raises(AgentError) as raised:
        agent.start("# launch", tmp_path, "main")
    assert str(raised.value).startswith(
        f"cursor agent (not created): POST /v0/agents answered 400 invalid_request: {message}"
    )
    assert "\n" not in str(raised.value)


def test_the_retry_hook_honours_retry_after_and_skips_what_is_not_transient() -> None:
    def error(status: int | None, code: str | None = None, after: float | None = None) -> Any:
        return CursorApiError("x", status=status, code=code, retry_after=after)

    assert retry_wait(error(429, "rate_limit_exceeded", 7.0)) == 7.0
    assert retry_wait(error(429, "rate_limit_exceeded")) is True
    assert retry_wait(error(503)) is True
    assert retry_wait(error(None)) is True, "no answer at all: a timeout or a dropped connection"
    assert retry_wait(error(429, "usage_limit_exceeded")) is False
    assert retry_wait(error(409, "agent_busy")) is False
    assert retry_wait(error(404, "agent_not_found")) is False
    assert retry_wait(ValueError("not ours")) is False


def test_a_spent_usage_limit_stops_without_retrying(
    cursor: FakeCursor, remote: Path, tmp_path: Path
) -> None:
    cursor.fail(429, "usage_limit_exceeded", method="POST", path="/v1/agents")
    with pytest.raises(AgentError) as raised:
        make_agent(cursor, remote).start("# launch", tmp_path, "main")
    assert "usage limit is reached" in str(raised.value)
    assert len(cursor.calls("POST", "/v1/agents")) == 1


def test_server_errors_are_retried_then_the_run_is_read(
    cursor: FakeCursor, remote: Path, tmp_path: Path
) -> None:
    cursor.fail(503, "unavailable", method="GET", path=RUNS, times=2)
    result = make_agent(cursor, remote).start("# launch", tmp_path, "main")
    assert result.ok, result.error
    assert [c.status for c in cursor.calls("GET", RUNS)][:3] == [503, 503, 200]


def test_server_errors_past_the_retries_name_the_agent_and_the_run(
    cursor: FakeCursor, remote: Path, tmp_path: Path
) -> None:
    cursor.fail(502, "bad_gateway", method="GET", path=RUNS, times=100)
    with pytest.raises(AgentError) as raised:
        make_agent(cursor, remote).start("# launch", tmp_path, "main")
    (agent_id,) = cursor.agents
    run_id = cursor.agents[agent_id].runs[0].id
    assert f"cursor agent {agent_id}, run {run_id}:" in str(raised.value)
    assert "502 bad_gateway" in str(raised.value)
    assert "run baton again" in str(raised.value)
    assert len(cursor.calls("GET", RUNS)) == 3, "bounded: stamina's three tries in tests"


def test_an_unreachable_api_is_retried_then_named(remote: Path, tmp_path: Path) -> None:
    with FakeCursor(remote=remote) as fake:
        agent = make_agent(fake, remote)
    # The fake is stopped: nothing listens on its port any more.
    with pytest.raises(AgentError) as raised:
        agent.start("# launch", tmp_path, "main")
    assert "cursor agent bc-" in str(raised.value)
    assert "got no answer" in str(raised.value)


# -- the event stream --------------------------------------------------------------------------


def test_the_stream_is_resumed_with_last_event_id_after_a_drop(
    cursor: FakeCursor, remote: Path, tmp_path: Path
) -> None:
    cursor.script(RunScript(polls=4, stream_drop_after=2))
    result = make_agent(cursor, remote, cursor={"stream": True}).start("# go", tmp_path, "main")

    assert result.ok, result.error
    streams = cursor.calls("GET", f"{RUNS}/stream")
    assert len(streams) == 2
    assert "Last-Event-ID" not in streams[0].headers
    assert streams[1].headers["Last-Event-ID"] == "2", "it went on after the last event it saw"
    assert streams[0].headers["Accept"] == "text/event-stream"
    assert len(cursor.calls("GET", RUNS)) == 1, "the stream said when; one read for the result"


def test_a_stream_that_is_gone_falls_back_to_polling(
    cursor: FakeCursor, remote: Path, tmp_path: Path
) -> None:
    cursor.script(RunScript(polls=2, stream_gone=True))
    result = make_agent(cursor, remote, cursor={"stream": True}).start("# go", tmp_path, "main")

    assert result.ok, result.error
    assert [c.status for c in cursor.calls("GET", f"{RUNS}/stream")] == [410]
    assert len(cursor.calls("GET", RUNS)) == 3


def test_an_error_event_on_the_stream_falls_back_to_polling(
    cursor: FakeCursor, remote: Path, tmp_path: Path
) -> None:
    cursor.script(RunScript(polls=6, stream_error_after=2))
    result = make_agent(cursor, remote, cursor={"stream": True}).start("# go", tmp_path, "main")

    assert result.ok, result.error
    assert len(cursor.calls("GET", f"{RUNS}/stream")) == 1, "no new connection after `error`"
    assert len(cursor.calls("GET", RUNS)) > 1, "the run was polled"


def test_a_refused_resume_of_the_stream_falls_back_to_polling(
    cursor: FakeCursor, remote: Path, tmp_path: Path
) -> None:
    cursor.script(RunScript(polls=6, stream_drop_after=2, stream_resume_refused=True))
    result = make_agent(cursor, remote, cursor={"stream": True}).start("# go", tmp_path, "main")

    assert result.ok, result.error
    streams = cursor.calls("GET", f"{RUNS}/stream")
    assert [s.status for s in streams] == [200, 400]
    assert streams[1].headers["Last-Event-ID"] == "2"
    assert len(cursor.calls("GET", RUNS)) > 1, "the run was polled"


def test_server_sent_events_parse_like_the_spec() -> None:
    lines = [
        ": a comment",
        "id: 1",
        "event: status",
        'data: {"status":',
        'data: "RUNNING"}',
        "",
        "data: plain",
        "",
        "id: 7",
        "event: done",
        "",
    ]
    events = list(parse_sse(lines))
    assert [(e.event, e.data, e.id) for e in events] == [
        ("status", '{"status":\n"RUNNING"}', "1"),
        ("message", "plain", "1"),
        ("done", "", "7"),
    ]
    assert events[0].json() == {"status": "RUNNING"}


# -- v0 and its webhooks -----------------------------------------------------------------------


class _Receiver:
    """A webhook endpoint: keeps every delivery (headers, raw body)."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[dict[str, str], bytes]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                owner.deliveries.append((dict(self.headers.items()), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/cursor"

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + 30  # patience on a busy machine; it ends at the delivery
        while len(self.deliveries) < count and time.monotonic() < deadline:
            time.sleep(0.01)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_v0_launches_follows_up_and_reads_the_agent(
    cursor: FakeCursor, remote: Path, tmp_path: Path
) -> None:
    receiver = _Receiver()
    try:
        config = AgentConfig.model_validate(
            {"kind": "cursor", "cursor": {"api_version": "v0", "poll_max_seconds": 0.02}}
        )
        agent = CursorAgent(
            config,
            api_key=cursor.key,
            base_url=cursor.url,
            repository=str(remote),
            poll_min_seconds=0.002,
            webhook_url=receiver.url,
            webhook_secret="whsec_test",
        )
        first = agent.start("# v0 launch", tmp_path, "main")
        assert first.ok, first.error
        assert first.session_id is not None
        second = agent.resume(first.session_id, "# v0 followup", tmp_path)
        receiver.wait_for(4)
    finally:
        receiver.close()

    assert second.ok, second.error
    chosen = derive_agent_id(str(remote), "main", "# v0 launch")
    assert first.branch == second.branch == f"cursor/{chosen}", "the branch Baton named"
    assert second.summary == "added a line to 1 earlier one(s)"
    assert first.run_id is None, "v0 has no runs"
    (launch,) = cursor.launches
    assert launch.path == "/v0/agents"
    assert launch.body == {
        "prompt": {"text": "# v0 launch"},
        "source": {"repository": str(remote), "ref": "main"},
        "target": {"autoCreatePr": False, "branchName": f"cursor/{chosen}"},
        "webhook": {"url": receiver.url, "secret": "whsec_test"},
    }
    assert [f.path for f in cursor.followups] == [f"/v0/agents/{first.session_id}/followup"]
    assert cursor.calls("GET", f"/v0/agents/{first.session_id}")
    assert not cursor.calls("GET", "/v1/*")

    # Two status changes, each delivered twice: the repeats are dropped, the rest verified.
    deduper = WebhookDeduper()
    changes = [accept_delivery("whsec_test", deduper, h, b) for h, b in receiver.deliveries]
    accepted = [c for c in changes if c is not None]
    assert len(receiver.deliveries) == 4
    assert [(c.agent_id, c.status) for c in accepted] == [(first.session_id, "FINISHED")] * 2
    assert len({c.delivery_id for c in accepted}) == 2
    agent.notify(accepted[0])  # wakes a waiting poll; harmless when nothing waits


def v0_agent(cursor: FakeCursor, remote: Path) -> CursorAgent:
    return make_agent(cursor, remote, cursor={"api_version": "v0"})


def test_a_v0_launch_answered_500_after_its_agent_was_made_adopts_that_agent(
    cursor: FakeCursor, remote: Path, tmp_path: Path
) -> None:
    cursor.fail(500, "internal_error", method="POST", path="/v0/agents", after=True)
    result = v0_agent(cursor, remote).start("# v0 launch", tmp_path, "main", session_key="k")

    assert result.ok, result.error
    (agent_id,) = cursor.agents  # one agent, not a second
    assert result.session_id == agent_id
    assert [r.status for r in cursor.calls("POST", "/v0/agents")] == [500]
    assert result.summary == "added a line to 0 earlier one(s)"


def test_a_v0_launch_sent_again_after_a_crash_adopts_the_agent_it_made(
    cursor: FakeCursor, remote: Path, tmp_path: Path
) -> None:
    first = v0_agent(cursor, remote).start("# v0 launch", tmp_path, "main", session_key="k")
    again = v0_agent(cursor, remote).start("# v0 launch", tmp_path, "main", session_key="k")
    other = v0_agent(cursor, remote).start("# v0 launch", tmp_path, "main", session_key="k2")

    assert again.session_id == first.session_id
    assert other.session_id != first.session_id, "another chain's session: an agent of its own"
    assert len(cursor.agents) == 2
    assert len(cursor.calls("POST", "/v0/agents")) == 2


def test_webhook_signatures_good_bad_and_replayed() -> None:
    body = b'{"event":"statusChange","id":"bc-1","status":"FINISHED"}'
    good = sign("s3cret", body)
    assert good.startswith("sha256=")
    assert verify_webhook("s3cret", body, good)
    assert not verify_webhook("s3cret", body + b" ", good), "the raw body is what is signed"
    assert not verify_webhook("other", body, good)
    assert not verify_webhook("s3cret", body, good.removeprefix("sha256="))
    assert not verify_webhook("s3cret", body, None)
    assert not verify_webhook("", body, sign("", body)), "no secret, nothing is trusted"

    deduper = WebhookDeduper(capacity=2)
    headers = {"x-webhook-signature": good, "X-Webhook-ID": "msg_1"}
    change = accept_delivery("s3cret", deduper, headers, body)
    assert change is not None
    assert (change.agent_id, change.status) == ("bc-1", "FINISHED")
    assert accept_delivery("s3cret", deduper, headers, body) is None, "a replay is dropped"
    forged = {"X-Webhook-Signature": sign("guess", body), "X-Webhook-ID": "msg_2"}
    assert accept_delivery("s3cret", deduper, forged, body) is None
    assert accept_delivery("s3cret", deduper, {**headers, "X-Webhook-ID": "msg_2"}, body)
    assert deduper.first_time("msg_3")
    assert len(deduper) == 2, "memory is bounded"
    assert deduper.first_time("msg_1"), "the oldest id was forgotten"


# -- configuration -----------------------------------------------------------------------------


def test_from_env_needs_a_key_and_finds_the_repository(tmp_path: Path) -> None:
    config = AgentConfig(kind="cursor")
    with pytest.raises(ConfigError, match="CURSOR_API_KEY is not set"):
        CursorAgent.from_env(config, {}, tmp_path)
    env = {"CURSOR_API_KEY": "key_x", "GITHUB_REPOSITORY": "octo/app"}
    agent = CursorAgent.from_env(config, env, tmp_path)
    assert agent.repository == "https://github.com/octo/app"
    agent.close()

    work = tmp_path / "work"
    work.mkdir()
    _git(work, "init", "-q")
    with pytest.raises(ConfigError, match="needs the repository's URL"):
        repository_url(config, {}, work)
    _git(work, "remote", "add", "origin", "git@github.com:octo/app.git")
    assert repository_url(config, {}, work) == "https://github.com/octo/app"
    named = AgentConfig.model_validate(
        {"kind": "cursor", "cursor": {"repository": "https://github.com/o/x"}}
    )
    assert repository_url(named, {"GITHUB_REPOSITORY": "octo/app"}, work) == (
        "https://github.com/o/x"
    )


def _config_file(tmp_path: Path) -> Path:
    path = tmp_path / "baton.yml"
    path.write_text("agent:\n  kind: cursor\n")
    return path


def test_config_check_reports_a_bad_key_in_one_line(cursor: FakeCursor, tmp_path: Path) -> None:
    env = {"CURSOR_API_KEY": "key_wrong", "BATON_CURSOR_API_URL": cursor.url}
    result = CliRunner().invoke(cli, ["config", "check", str(_config_file(tmp_path))], env=env)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert "CURSOR_API_KEY was rejected (401 unauthorized)" in errors[0]


def test_config_check_names_the_keys_owner(cursor: FakeCursor, tmp_path: Path) -> None:
    env = {"CURSOR_API_KEY": cursor.key, "BATON_CURSOR_API_URL": cursor.url}
    result = CliRunner().invoke(cli, ["config", "check", str(_config_file(tmp_path))], env=env)
    assert result.exit_code == 0, result.output
    assert "cursor: ok (dev@example.invalid)" in result.output


# -- the model, usage, the agent's name, the end of the chain ------------------------------------


def test_an_unknown_model_is_a_configuration_error_before_any_launch(
    cursor: FakeCursor, remote: Path, tmp_path: Path
) -> None:
    agent = make_agent(cursor, remote, model="gpt-nonexistent")
    for _ in range(2):  # the same answer again: never "run baton again"
        with pytest.raises(ConfigError) as raised:
            agent.start("# launch", tmp_path, "main")
        said = str(raised.value)
        assert "agent.model `gpt-nonexistent`" in said
        assert "composer-1, claude-4.5-sonnet" in said
        assert "run baton again" not in said
        assert "\n" not in said
    assert cursor.launches == []


def test_the_model_is_checked_once_and_an_alias_is_a_known_model(
    cursor: FakeCursor, remote: Path, tmp_path: Path
) -> None:
    agent = make_agent(cursor, remote, model="composer")
    assert agent.start("# one", tmp_path, "main").ok
    assert agent.start("# two", tmp_path, "main").ok
    assert len(cursor.calls("GET", "/v1/models")) == 1
    assert [launch.body["model"] for launch in cursor.launches] == [{"id": "composer"}] * 2


def test_a_launch_refused_for_its_model_is_a_configuration_error(
    cursor: FakeCursor, remote: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """When the list cannot be read, the launch goes out, and the API's `invalid_model` is
    the same one-line configuration error."""
    cursor.fail(500, "internal_error", path="/v1/models", times=10)
    agent = make_agent(cursor, remote, model="gpt-nonexistent")
    with pytest.raises(ConfigError) as raised:
        agent.start("# launch", tmp_path, "main")
    assert "agent.model `gpt-nonexistent`" in str(raised.value)
    assert "run baton again" not in str(raised.value)
    (refused,) = cursor.calls("POST", "/v1/agents")
    assert refused.status == 400
    assert "cursor.models_unchecked" in caplog.text


def test_token_usage_is_read_per_run(cursor: FakeCursor, remote: Path, tmp_path: Path) -> None:
    cursor.script(RunScript(tokens=(1200, 300)), RunScript(tokens=(800, 100)))
    agent = make_agent(cursor, remote)
    first = agent.start("# launch", tmp_path, "main")
    assert first.session_id is not None
    second = agent.resume(first.session_id, "# followup", tmp_path)

    assert (first.input_tokens, first.output_tokens) == (1200, 300)
    assert (second.input_tokens, second.output_tokens) == (800, 100)
    assert len(cursor.calls("GET", "/v1/agents/*/usage")) == 2


def test_usage_not_enabled_for_the_account_means_no_figures_silently(
    cursor: FakeCursor, remote: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cursor.usage_available = False
    cursor.script(RunScript(tokens=(1200, 300)))
    result = make_agent(cursor, remote).start("# launch", tmp_path, "main")

    assert result.ok, result.error
    assert (result.input_tokens, result.output_tokens) == (None, None)
    (asked,) = cursor.calls("GET", "/v1/agents/*/usage")
    assert asked.status == 403
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_the_agent_is_named_after_its_chain_in_at_most_100_characters(
    cursor: FakeCursor, remote: Path, tmp_path: Path
) -> None:
    agent = make_agent(cursor, remote)
    short = agent.start("# one", tmp_path, "main", chain="work")
    long = agent.start("# two", tmp_path, "main", chain="x" * 120)

    assert [launch.body["name"] for launch in cursor.launches] == [
        "baton/work",
        "baton/" + "x" * 94,
    ]
    assert short.ok, short.error
    assert long.ok, long.error
    assert short.session_id is not None
    assert cursor.agents[short.session_id].to_json()["name"] == "baton/work"


def test_ending_a_session_archives_its_agent_and_a_followup_then_finds_it_gone(
    cursor: FakeCursor, remote: Path, tmp_path: Path
) -> None:
    agent = make_agent(cursor, remote)
    first = agent.start("# launch", tmp_path, "main")
    assert first.session_id is not None
    agent.end_session(first.session_id)

    (archived,) = cursor.calls("POST", "/v1/agents/*/archive")
    assert archived.path == f"/v1/agents/{first.session_id}/archive"
    assert archived.status == 200
    again = agent.resume(first.session_id, "# followup", tmp_path)
    assert not again.ok
    assert "the session is gone" in str(again.error)
    assert "409 agent_archived" in str(again.error)


def test_an_archive_that_fails_is_a_warning_only(
    cursor: FakeCursor, remote: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cursor.fail(500, "internal_error", path="/v1/agents/*/archive", times=10)
    agent = make_agent(cursor, remote)
    first = agent.start("# launch", tmp_path, "main")
    assert first.session_id is not None
    agent.end_session(first.session_id)  # does not raise

    warned = [r for r in caplog.records if r.getMessage() == "cursor.archive_failed"]
    assert len(warned) == 1
    assert warned[0].levelno == logging.WARNING


def _model_config(tmp_path: Path, model: str) -> Path:
    path = tmp_path / "baton.yml"
    path.write_text(f"agent:\n  kind: cursor\n  model: {model}\n")
    return path


def test_config_check_refuses_an_unknown_model_naming_the_valid_ones(
    cursor: FakeCursor, tmp_path: Path
) -> None:
    env = {"CURSOR_API_KEY": cursor.key, "BATON_CURSOR_API_URL": cursor.url}
    path = _model_config(tmp_path, "gpt-nonexistent")
    result = CliRunner().invoke(cli, ["config", "check", str(path)], env=env)

    assert result.exit_code == 1, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.output
    assert "agent.model `gpt-nonexistent`" in errors[0]
    assert "composer-1, claude-4.5-sonnet" in errors[0]


def test_config_check_names_a_known_model(cursor: FakeCursor, tmp_path: Path) -> None:
    env = {"CURSOR_API_KEY": cursor.key, "BATON_CURSOR_API_URL": cursor.url}
    result = CliRunner().invoke(
        cli, ["config", "check", str(_model_config(tmp_path, "composer-1"))], env=env
    )
    assert result.exit_code == 0, result.output
    assert "cursor: agent.model `composer-1` is one of the account's models" in result.output


def test_config_check_says_when_the_model_could_not_be_checked(
    cursor: FakeCursor, tmp_path: Path
) -> None:
    path = _model_config(tmp_path, "composer-1")
    env = {"CURSOR_API_KEY": "", "BATON_CURSOR_API_URL": cursor.url}
    result = CliRunner().invoke(cli, ["config", "check", str(path)], env=env)
    assert result.exit_code == 0, result.output
    assert "cursor: not checked: CURSOR_API_KEY is not set" in result.output
    assert not cursor.requests

    cursor.fail(500, "internal_error", path="/v1/models", times=10)
    env["CURSOR_API_KEY"] = cursor.key
    result = CliRunner().invoke(cli, ["config", "check", str(path)], env=env)
    assert result.exit_code == 0, result.output
    assert "warning: cursor: agent.model `composer-1` could not be checked" in result.output


def test_model_lists_and_usage_answers_are_read_with_care() -> None:
    v1 = {"items": [{"id": "a", "aliases": ["a-latest", 3]}, {"name": "no id"}, "b"]}
    assert offered(v1) == (["a", "b"], frozenset({"a", "a-latest", "b"}))
    assert offered({"models": ["x", None]}) == (["x"], frozenset({"x"}))
    assert offered({"items": "not a list"}) == ([], frozenset())

    usage = {"inputTokens": 5, "outputTokens": 7, "cacheReadTokens": 100}
    assert run_tokens({"runs": [{"id": "r1", "usage": usage}]}, "r1") == (5, 7)
    assert run_tokens({"runs": [{"id": "r1", "usage": usage}]}, "r2") is None
    zeros = {"inputTokens": 0, "outputTokens": 0}
    assert run_tokens({"runs": [{"id": "r1", "usage": zeros}]}, "r1") is None, "not recorded"
    bad = {"inputTokens": "5", "outputTokens": True}
    assert run_tokens({"runs": [{"id": "r1", "usage": bad}]}, "r1") is None
    assert run_tokens({"runs": "nope"}, "r1") is None
