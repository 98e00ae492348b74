"""Faults injected into every adapter: GitHub, Cursor, Slack, CLI agents, git, the test command and
the state file. After each, nothing is lost (the state loads, every ticket is there), nothing is
written twice (comments by marker, check runs per attempt, pull requests, knowledge commits, agent
sessions and runs), and every run either succeeds or stops with one clear error line and a
non-zero exit. Retries are instant here (stamina's test mode): what counts is whether they happen.
"""

from __future__ import annotations

import fnmatch
import json
import os
import subprocess
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import stamina
from click.testing import CliRunner, Result

from bot.agents.cursor.agent import CursorAgent
from bot.cli import cli
from bot.config import AgentConfig
from bot.errors import ForgeError
from bot.forge.github.client import Credentials, GitHubApi
from bot.forge.github.repo import Repo
from bot.markers import marker
from bot.redact import Redactor
from bot.workspace import Git
from tests.fakes.cursor import FakeCursor, RunScript
from tests.fakes.github import FakeGitHub, FaultKind
from tests.fakes.slack import FakeSlack
from tests.pids import alive
from tests.reliability.chain_support import (
    BRANCH,
    ROOT,
    Books,
    add_chain,
    agent_calls,
    books,
    checkout,
    new_github,
    run_inline,
)
from tests.reliability.flaky import Flake, FlakyProxy
from tests.reliability.tally import Tally

TWO = {"Scaffold": "work/scaffold.txt", "Build": "work/build.txt"}  # Build needs a correction
ONE = {"Scaffold": "work/scaffold.txt"}
FAKE_AGENTS = ROOT / "tests" / "fakes" / "agents"
STATUS = {
    FaultKind.SECONDARY_RATE_LIMIT: 403,
    FaultKind.TOO_MANY_REQUESTS: 429,
    FaultKind.PRIMARY_RATE_LIMIT: 403,
    FaultKind.SERVER_ERROR: 500,
    FaultKind.BAD_GATEWAY: 502,
    FaultKind.BAD_GATEWAY_AFTER_WRITE: 502,
    FaultKind.CONFLICT: 409,
}
# What Baton writes on GitHub, and what it polls.
WRITES = [
    ("POST", "/repos/*/issues/*/comments"),
    ("PATCH", "/repos/*/issues/comments/*"),
    ("POST", "/repos/*/issues/*/labels"),
    ("POST", "/repos/*/check-runs"),
    ("POST", "/repos/*/pulls"),
    ("PATCH", "/repos/*/pulls/*"),
    ("PUT", "/repos/*/contents/*"),
    ("POST", "/repos/*/git/trees"),
    ("POST", "/repos/*/git/commits"),
    ("PATCH", "/repos/*/git/refs/*"),
]
POLLS = [("GET", "/repos/*/issues"), ("GET", "/repos/*/contents/*")]
RATE_HEADERS = ("retry-after", "x-ratelimit-remaining", "x-ratelimit-reset")


@pytest.fixture(autouse=True)
def _instant_retries() -> Iterator[None]:
    with stamina.set_testing(True, attempts=3):
        yield


# -- a GitHub chain, and what must hold after any fault ------------------------------------------


@dataclass
class Chain:
    fake: FakeGitHub
    work: Path
    numbers: list[int]

    @property
    def keys(self) -> set[str]:
        return {f"#{n}" for n in self.numbers}

    @property
    def log(self) -> Path:
        return self.work.parent / "agent.log"


@pytest.fixture
def two(tmp_path: Path) -> Iterator[Chain]:
    """Two issues in one milestone; the second needs one correction."""
    with new_github(tmp_path) as fake:
        numbers = add_chain(fake, TWO)
        yield Chain(fake, checkout(fake, tmp_path / "checkout"), numbers)


def one_error_line(result: Result) -> str:
    """A failed run: a non-zero exit with one `error:` line, and no traceback."""
    assert result.exit_code not in (0, None), result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    assert "Traceback" not in result.output
    return errors[0]


def settle(chain: Chain, *, runs: int = 4, **env: str) -> list[str]:
    """Run until a run succeeds (the schedule would run it again); the error lines on the way."""
    said = []
    for _ in range(runs):
        result = run_inline(chain.fake, chain.work, **env)
        if result.exit_code == 0:
            return said
        said.append(one_error_line(result))
    raise AssertionError(f"still failing after {runs} runs: {said}")


def check_whole(chain: Chain, tally: Tally, *, outcome: str = "passed") -> Books:
    """Nothing lost, nothing twice: the state loads with every ticket, each report once, each
    prompt once."""
    found = books(chain.fake)
    state = found.chain
    lost = chain.keys - set(state["tickets"])
    prompts = Counter(line.rsplit(" ", 1)[0] for line in agent_calls(chain.log))
    repeated = sum(n - 1 for n in prompts.values())
    tally.add("lost_or_duplicated", len(lost) + found.duplicates() + repeated)
    assert not lost, state["tickets"].keys()
    assert found.duplicates() == 0, found.outcome()
    assert repeated == 0, prompts
    assert state["finished"], state
    assert {t["status"] for t in state["tickets"].values()} == {outcome}
    assert set(found.status_comments) == {f"ticket={k}:status" for k in chain.keys}
    validated = {
        f"check:{key}:{a['number']}"
        for key, t in state["tickets"].items()
        for a in t["attempts"]
        if a.get("validation")
    }
    assert set(found.check_runs) == validated
    if outcome == "passed":
        assert set(found.validation_comments) == {f"ticket={k}:validation" for k in chain.keys}
        assert found.pulls == 1
    assert found.knowledge_commits == 1
    assert state["checkpoint"] == found.chain_head, "the chain's branch holds the checkpoint"
    tree = (
        Git(chain.fake.git_dir, os.environ).run("ls-tree", "-r", "--name-only", BRANCH).splitlines()
    )
    assert not [p for p in tree if p.startswith(".baton/")], "Baton's own files stay out"
    return found


def hit(fake: FakeGitHub, method: str, path: str, status: int) -> bool:
    """Did a request like this get a `status` answer?"""
    return any(
        e.method == method and fnmatch.fnmatchcase(e.path, path) and e.status == status
        for e in fake.exchanges
    )


# -- GitHub: every fault kind on every endpoint Baton writes or polls -----------------------------


@pytest.mark.parametrize("kind", list(FaultKind), ids=str)
def test_github_faults_on_every_endpoint(two: Chain, tally: Tally, kind: FaultKind) -> None:
    """The kind once on each endpoint: rate limits are waited out, 5xx on a read is retried,
    a failed write is found (or made) by the next try; the chain ends as if nothing happened."""
    # A 409, and a 502 after the work was done, only make sense for writes.
    reads = kind not in {FaultKind.CONFLICT, FaultKind.BAD_GATEWAY_AFTER_WRITE}
    endpoints = WRITES + (POLLS if reads else [])
    for method, path in endpoints:
        two.fake.fail_next(kind, method=method, path=path)
    tally.add("faults", len(endpoints))

    settle(two)
    check_whole(two, tally)
    missed = [e for e in endpoints if not hit(two.fake, *e, STATUS[kind])]
    assert not missed, f"faults never met: {missed}"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/repos/*/issues/*/comments"),
        ("POST", "/repos/*/check-runs"),
        ("POST", "/repos/*/pulls"),
        ("PUT", "/repos/*/contents/*"),
        ("POST", "/repos/*/git/commits"),
        ("PATCH", "/repos/*/git/refs/*"),
    ],
    ids=["comment", "check-run", "pull", "state", "commit", "ref"],
)
def test_a_write_that_happened_before_a_502_is_found_not_repeated(
    two: Chain, tally: Tally, method: str, path: str
) -> None:
    """Where duplicates hide: GitHub did the write, then answered 502. The next three writes of
    the kind get it (a commit: the state branch's first, then the knowledge commit), and each
    must be found by the retry or the next run, never made twice."""
    two.fake.fail_next(FaultKind.BAD_GATEWAY_AFTER_WRITE, times=3, method=method, path=path)
    tally.add("faults", 3)

    settle(two)
    check_whole(two, tally)
    assert hit(two.fake, method, path, 502)


def test_a_lost_connection_before_or_after_github_did_the_work(
    two: Chain, tally: Tally, tmp_path: Path
) -> None:
    """A reset on every endpoint: before the request arrives (nothing done: a read is retried,
    a write is tried again later), and after GitHub did a write (the answer lost: found later)."""
    with FlakyProxy(two.fake.url) as proxy:
        for method, path in WRITES + POLLS:
            proxy.next(Flake.RESET, method=method, path=path)
            proxy.next(Flake.RESET_AFTER, method=method, path=path)
        planted = proxy.pending
        tally.add("faults", planted)
        settle(two, GITHUB_API_URL=proxy.url)
        assert proxy.pending == 0, "every reset happened"
    check_whole(two, tally)


def test_rate_limits_without_their_headers_are_waited_out(two: Chain, tally: Tally) -> None:
    """403 and 429 with no `retry-after` and no `x-ratelimit-*`: Baton still knows to wait."""
    with FlakyProxy(two.fake.url) as proxy:
        kinds = [
            FaultKind.SECONDARY_RATE_LIMIT,
            FaultKind.TOO_MANY_REQUESTS,
            FaultKind.PRIMARY_RATE_LIMIT,
        ]
        for (method, path), kind in zip(WRITES[:3] + POLLS, kinds * 2, strict=False):
            two.fake.fail_next(kind, method=method, path=path)
            proxy.next(Flake.STRIP, method=method, path=path, headers=RATE_HEADERS)
        tally.add("faults", 5)
        settle(two, GITHUB_API_URL=proxy.url)
        assert proxy.pending == 0
    stripped = [e for e in two.fake.exchanges if e.status in (403, 429)]
    assert len(stripped) == 5
    check_whole(two, tally)


def test_a_spent_primary_limit_is_waited_out_until_its_reset(two: Chain, tally: Tally) -> None:
    """The real wait, once (elsewhere retries are instant): until `x-ratelimit-reset`."""
    two.fake.fail_next(FaultKind.PRIMARY_RATE_LIMIT, method="GET", path="/repos/*", retry_after=1)
    tally.add("faults")
    api = GitHubApi(two.fake.url, Credentials(token=two.fake.app_token), write_interval=0)
    started = time.monotonic()
    try:
        with stamina.set_testing(False):
            repo = api.get_json(f"/repos/{two.fake.full_name}")
    finally:
        api.close()
    assert repo["full_name"] == two.fake.full_name
    assert time.monotonic() - started >= 1, "it waited for the reset"
    assert [e.status for e in two.fake.exchanges] == [403, 200]


def test_an_unreachable_github_is_one_line(two: Chain, tally: Tally) -> None:
    with FlakyProxy(two.fake.url) as proxy:
        closed = proxy.url
    tally.add("faults")
    said = one_error_line(run_inline(two.fake, two.work, GITHUB_API_URL=closed))
    assert "GitHub did not answer" in said
    assert agent_calls(two.log) == []
    settle(two)  # GitHub is back: the chain goes on
    check_whole(two, tally)


def test_a_corrupt_state_on_its_branch_is_one_line(two: Chain, tally: Tally) -> None:
    """state.json on `baton/state` is not Baton's state (a bad hand edit, a truncated write):
    the run stops with one line naming the file and the branch, touches nothing, and goes on
    once the file is restored."""
    first = run_inline(two.fake, two.work, "--max-tickets", "1")
    assert first.exit_code == 0, first.output
    good = two.fake.read_file("state.json", "baton/state")
    assert good is not None
    calls = agent_calls(two.log)
    two.fake.commit("baton/state", {"state.json": '{"chains": {"sprint": '}, "A bad edit")
    tally.add("faults")
    seen = len(two.fake.exchanges)
    said = one_error_line(run_inline(two.fake, two.work))
    assert "state.json on the baton/state branch is not valid Baton state" in said
    assert "restore it from the branch's history" in said
    assert [e.method for e in two.fake.exchanges[seen:] if e.method != "GET"] == []
    assert agent_calls(two.log) == calls
    two.fake.commit("baton/state", {"state.json": good}, "Restored")
    settle(two)
    check_whole(two, tally)


def test_a_slow_answer_past_the_timeout(two: Chain, tally: Tally) -> None:
    """The client gives up after its timeout. A read is asked again; a write that GitHub did
    meanwhile is not sent again blindly, and the next try finds it by its marker."""
    with FlakyProxy(two.fake.url) as proxy:
        api = GitHubApi(
            proxy.url, Credentials(token=two.fake.app_token), write_interval=0, timeout=1
        )
        repo = Repo(api, two.fake.full_name, two.fake.bot_login, Redactor())
        try:
            proxy.next(Flake.SLOW, method="GET", path="/repos/*/issues", seconds=2)
            issues = api.get_pages(f"{repo.path}/issues", {"state": "open"})
            assert {i["number"] for i in issues} == set(two.numbers)

            number = two.numbers[0]
            mark = marker(f"ticket=#{number}", "status")
            proxy.next(Flake.SLOW, method="POST", path="/repos/*/issues/*/comments", seconds=2)
            seen = len(two.fake.exchanges)
            with pytest.raises(ForgeError) as raised:
                repo.ensure_comment(number, mark, f"{mark}\nqueued", None, lookup=False)
            assert raised.value.status is None
            posted = [e for e in two.fake.exchanges[seen:] if e.method == "POST"]
            assert len(posted) == 1, "a timed-out write is not retried"
            again = repo.ensure_comment(number, mark, f"{mark}\nqueued", None)
        finally:
            api.close()
        tally.add("faults", 2)
    own = [c for c in two.fake.comments_on(number) if c.user == two.fake.bot_login]
    assert [c.id for c in own] == [again], "the comment GitHub made is the one found"
    tally.add("lost_or_duplicated", len(own) - 1)


# -- Cursor --------------------------------------------------------------------------------------

CURSOR_TICKETS = """\
tickets:
  - {key: one, title: One, goal: Create a.txt., files: {create: [a.txt]}}
  - {key: two, title: Two, goal: Create b.txt., files: {create: [b.txt]}, depends_on: [one]}
  - {key: three, title: Three, goal: Create c.txt., files: {create: [c.txt]}, depends_on: [two]}
  - {key: four, title: Four, goal: Create d.txt., files: {create: [d.txt]}, depends_on: [three]}
"""
CURSOR_FILES = {"one": "a.txt", "two": "b.txt", "three": "c.txt", "four": "d.txt"}


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def cursor_work(prompt: str, checkout: Path) -> str:
    kind, _, key = prompt.splitlines()[0].removeprefix("# Baton · ").partition(" · ticket ")
    (checkout / CURSOR_FILES[key]).write_text(f"{key}: {kind}\n")
    return f"{kind} of {key}"


@dataclass
class CursorProject:
    repo: Path
    origin: Path

    def state(self) -> dict[str, Any]:
        data = json.loads((self.repo / ".baton" / "state.json").read_text())
        return dict(data["chains"]["work"])


def cursor_project(tmp_path: Path, tickets: int, timeout_minutes: float = 1) -> CursorProject:
    origin, repo = tmp_path / "origin.git", tmp_path / "project"
    _git(tmp_path, "init", "-q", "--bare", str(origin))
    (repo / "tickets").mkdir(parents=True)
    lines = CURSOR_TICKETS.splitlines()
    (repo / "tickets" / "work.yml").write_text("\n".join(lines[: tickets + 1]) + "\n")
    (repo / ".github").mkdir()
    (repo / ".github" / "baton.yml").write_text(
        textwrap.dedent(
            f"""\
            agent:
              kind: cursor
              timeout_minutes: {timeout_minutes}
              cursor: {{poll_max_seconds: 0.02}}
            validation:
              test_command: "true"
            """
        )
    )
    (repo / "README.md").write_text("# project\n")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "initial")
    _git(repo, "remote", "add", "origin", str(origin))
    _git(repo, "push", "-q", "origin", "main")
    return CursorProject(repo, origin)


def run_cursor(project: CursorProject, url: str, key: str) -> Result:
    env = {"CURSOR_API_KEY": key, "BATON_CURSOR_API_URL": url, "GITHUB_REPOSITORY": None}
    return CliRunner().invoke(cli, ["run", "--local", "--repo", str(project.repo)], env=env)


def check_cursor(project: CursorProject, cursor: FakeCursor, tally: Tally, tickets: int) -> None:
    """Every ticket passed; one agent per session; every prompt made exactly one run."""
    state = project.state()
    keys = list(CURSOR_FILES)[:tickets]
    prompts = Counter(
        run.prompt.splitlines()[0] for agent in cursor.agents.values() for run in agent.runs
    )
    repeated = sum(n - 1 for n in prompts.values())
    extra_agents = len(cursor.agents) - len(state["sessions"])
    lost = set(keys) - set(state["tickets"])
    tally.add("lost_or_duplicated", repeated + max(extra_agents, 0) + len(lost))
    assert not lost
    assert repeated == 0, prompts
    assert extra_agents == 0, (list(cursor.agents), state["sessions"])
    assert state["finished"]
    assert {k: t["status"] for k, t in state["tickets"].items()} == dict.fromkeys(keys, "passed")
    assert [_git(project.repo, "show", f"baton/work:{CURSOR_FILES[k]}") for k in keys] == [
        f"{k}: {state['tickets'][k]['attempts'][-1]['kind']}" for k in keys
    ]


def test_cursor_errors_and_rate_limits_are_retried(tmp_path: Path, tally: Tally) -> None:
    """5xx and 429 (with and without Retry-After) on the launch, the followups and the polls."""
    project = cursor_project(tmp_path, tickets=2)
    with FakeCursor(remote=project.origin, work=cursor_work) as cursor:
        cursor.fail(500, "internal_error", method="POST", path="/v1/agents")
        cursor.fail(429, "rate_limit_exceeded", method="POST", path="/v1/agents", retry_after="1")
        cursor.fail(502, "bad_gateway", method="GET", path="/v1/agents/*/runs/*")
        cursor.fail(429, "rate_limit_exceeded", method="GET", path="/v1/agents/*/runs/*")
        cursor.fail(503, "unavailable", method="POST", path="/v1/agents/*/runs")
        cursor.fail(429, "rate_limit_exceeded", method="POST", path="/v1/agents/*/runs")
        tally.add("faults", 6)
        result = run_cursor(project, cursor.url, cursor.key)
        assert result.exit_code == 0, result.output
        assert [f for f in cursor.faults if f.times] == [], "every fault was met"
        check_cursor(project, cursor, tally, tickets=2)
        assert len(cursor.launches) == 1


def test_cursor_answers_lost_on_the_way_back(tmp_path: Path, tally: Tally) -> None:
    """The launch and a followup reach Cursor but their answers are lost (a reset), and a poll's
    connection drops: the launch adopts the agent it made, the followup the run it made."""
    project = cursor_project(tmp_path, tickets=2)
    with (
        FakeCursor(remote=project.origin, work=cursor_work) as cursor,
        FlakyProxy(cursor.url) as proxy,
    ):
        proxy.next(Flake.RESET_AFTER, method="POST", path="/v1/agents")
        proxy.next(Flake.RESET, method="GET", path="/v1/agents/*/runs/*")
        proxy.next(Flake.RESET_AFTER, method="POST", path="/v1/agents/*/runs")
        tally.add("faults", 3)
        result = run_cursor(project, proxy.url, cursor.key)
        assert result.exit_code == 0, result.output
        assert proxy.pending == 0
        check_cursor(project, cursor, tally, tickets=2)


def test_cursor_timeouts_are_retried_and_a_late_followup_is_not_sent_twice(
    tmp_path: Path, tally: Tally
) -> None:
    """The adapter with a one-second request timeout: a slow poll is asked again; a followup whose
    answer comes too late was made all the same, and is adopted, not sent a second time."""
    project = cursor_project(tmp_path, tickets=1)
    with (
        FakeCursor(remote=project.origin, work=cursor_work) as cursor,
        FlakyProxy(cursor.url) as proxy,
    ):
        config = AgentConfig.model_validate(
            {"kind": "cursor", "timeout_minutes": 1, "cursor": {"poll_max_seconds": 0.02}}
        )
        agent = CursorAgent(
            config,
            api_key=cursor.key,
            base_url=proxy.url,
            repository=str(project.origin),
            poll_min_seconds=0.002,
            request_timeout_s=0.5,
        )
        try:
            proxy.next(Flake.SLOW, method="GET", path="/v1/agents/*/runs/*", seconds=1.5)
            first = agent.start("# Baton · launch · ticket one", project.repo, "main")
            assert first.ok, first.error
            assert first.session_id is not None
            proxy.next(Flake.SLOW, method="POST", path="/v1/agents/*/runs", seconds=1.5)
            second = agent.resume(first.session_id, "# Baton · followup · ticket two", project.repo)
            assert second.ok, second.error
        finally:
            agent.close()
        tally.add("faults", 2)
        runs = cursor.agents[first.session_id].runs
        tally.add("lost_or_duplicated", len(runs) - 2)
        assert [r.prompt.splitlines()[0] for r in runs] == [
            "# Baton · launch · ticket one",
            "# Baton · followup · ticket two",
        ]
        assert second.run_id == runs[1].id


def test_dead_cursor_sessions_are_recovered_once_each(tmp_path: Path, tally: Tally) -> None:
    """A run that never finishes (cancelled at the timeout), a followup to an agent that is gone
    (404), a run that ends ERROR and one that ends EXPIRED: each ticket recovers in a new
    session, and no prompt is sent twice."""
    project = cursor_project(tmp_path, tickets=4, timeout_minutes=0.03)
    with FakeCursor(remote=project.origin, work=cursor_work) as cursor:
        cursor.script(
            RunScript(seconds=120),  # one: launch, never ends
            RunScript(),  # one: recovery
            RunScript(),  # two: recovery (its followup met a 404)
            RunScript(status="ERROR"),  # three: followup
            RunScript(),  # three: recovery
            RunScript(status="EXPIRED"),  # four: followup
        )
        cursor.fail(404, "agent_not_found", method="POST", path="/v1/agents/*/runs")
        tally.add("faults", 4)
        result = run_cursor(project, cursor.url, cursor.key)
        assert result.exit_code == 0, result.output
        check_cursor(project, cursor, tally, tickets=4)
        state = project.state()
        assert [s["reason"] for s in state["sessions"]] == ["start", *["recovery"] * 4]
        assert {k: [a["kind"] for a in t["attempts"]] for k, t in state["tickets"].items()} == {
            "one": ["launch", "recovery"],
            "two": ["followup", "recovery"],
            "three": ["followup", "recovery"],
            "four": ["followup", "recovery"],
        }
        cancels = cursor.calls("POST", "/v1/agents/*/runs/*/cancel")
        assert len(cancels) == 1
        never = cursor.agents[state["sessions"][0]["id"]].runs[0]
        assert never.status == "CANCELLED"


# -- Slack: a report, never a gate ---------------------------------------------------------------

NOTIFY = "notify:\n  slack:\n    channel: '#baton'\n"


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def announced(tmp_path: Path) -> Iterator[Chain]:
    """One issue; the repository's config names a Slack channel."""
    with new_github(tmp_path, extra=NOTIFY) as fake:
        numbers = add_chain(fake, ONE)
        yield Chain(fake, checkout(fake, tmp_path / "checkout"), numbers)


def check_slack(slack: FakeSlack, tally: Tally) -> None:
    """One chain message, and no message posted twice."""
    channel = slack.channel_id("#baton")
    top = slack.top_level(channel)
    posted = Counter((m.thread_ts, json.dumps(m.blocks, sort_keys=True)) for m in slack.messages)
    repeated = sum(n - 1 for n in posted.values())
    tally.add("lost_or_duplicated", repeated + max(len(top) - 1, 0))
    assert len(top) == 1, [m.text for m in top]
    assert repeated == 0, posted
    assert slack.replies(channel, top[0].ts), "the thread has the chain's events"


def test_slack_errors_never_stop_the_chain(
    announced: Chain, slack: FakeSlack, tally: Tally
) -> None:
    slack.fail_next("chat.postMessage", 429, retry_after=1)
    slack.fail_next("chat.update", 500)
    slack.fail_next("chat.postMessage", 500)
    tally.add("faults", 3)
    env = {
        "SLACK_BOT_TOKEN": slack.token,
        "BATON_SLACK_API_URL": slack.api_url,
        "BATON_SLACK_POST_INTERVAL": slack.post_interval,
    }
    result = run_inline(announced.fake, announced.work, **env)
    assert result.exit_code == 0, result.output
    assert slack.token not in result.output
    assert 429 in slack.statuses("chat.postMessage")
    # The update's fault meets an update only when one is still needed: updates that wait are
    # coalesced, and a chain message posted late shows the newest state already.
    assert 500 in slack.statuses("chat.postMessage")
    check_whole(announced, tally)
    check_slack(slack, tally)


def test_a_dropped_slack_connection_never_stops_the_chain_nor_posts_twice(
    announced: Chain, slack: FakeSlack, tally: Tally
) -> None:
    """Slack drops the connection: before the chain's message arrives (it is posted at the next
    event), after an update (sent again: harmless), and after a reply was posted (that reply is
    not sent again: a post whose answer was lost may be there already)."""
    with FlakyProxy(slack.url) as proxy:
        proxy.next(Flake.RESET, method="POST", path="/api/chat.postMessage")
        proxy.next(Flake.RESET_AFTER, method="POST", path="/api/chat.update")
        proxy.next(Flake.RESET_AFTER, method="POST", path="/api/chat.postMessage", after=1)
        tally.add("faults", 3)
        env = {
            "SLACK_BOT_TOKEN": slack.token,
            "BATON_SLACK_API_URL": f"{proxy.url}/api/",
            "BATON_SLACK_POST_INTERVAL": slack.post_interval,
        }
        result = run_inline(announced.fake, announced.work, **env)
        assert result.exit_code == 0, result.output
        assert proxy.pending == 0
    check_whole(announced, tally)
    check_slack(slack, tally)
    (parent,) = slack.top_level(slack.channel_id("#baton"))
    assert parent.text == "Baton · chain sprint-1: passed, 1 of 1 passed", "updated to the end"


# -- CLI agents -----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["hang", "garbage", "exit_nonzero"])
def test_a_cli_agent_that_hangs_talks_nonsense_or_crashes_blocks_its_ticket(
    tmp_path: Path, tally: Tally, mode: str
) -> None:
    """The fake `claude` hangs (killed at the timeout, its children too), prints what is not
    its JSON, or exits non-zero: the ticket is recovered once, then blocked, reported once."""
    for tool in FAKE_AGENTS.iterdir():
        if tool.is_file() and not tool.suffix:
            tool.chmod(0o755)
    agent = (
        "sandbox: off\n"  # the fake keeps its records outside the working copy
        f"agent:\n  kind: claude\n  executable: {FAKE_AGENTS / 'claude'}\n  timeout_minutes: 0.01\n"
        "  env: [FAKE_AGENT_HOME, FAKE_AGENT_MODE]\n"  # the fake's own settings
    )
    home = tmp_path / "agent-home"
    home.mkdir()
    with new_github(tmp_path / "gh") as fake:
        fake.commit("main", {".github/baton.yml": agent}, "A CLI agent")
        chain = Chain(fake, checkout(fake, tmp_path / "checkout"), add_chain(fake, ONE))
        env = {
            "FAKE_AGENT_HOME": str(home),
            "FAKE_AGENT_MODE": mode,
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
        }
        tally.add("faults")
        result = run_inline(fake, chain.work, **env)
        assert result.exit_code == 1, result.output  # a blocked chain
        assert "Traceback" not in result.output
        calls = (home / "calls.jsonl").read_text().splitlines()
        assert len(calls) == 2, "the launch and one recovery"
        found = check_whole(chain, tally, outcome="blocked")
        (ticket,) = found.chain["tickets"].values()
        assert [a["kind"] for a in ticket["attempts"]] == ["launch", "recovery"]
        reason = str(ticket["attempts"][-1]["agent"]["error"])
        expected = {"hang": "timed out", "garbage": "no JSON result", "exit_nonzero": "exit 3"}
        assert expected[mode] in reason, reason
        if mode == "hang":
            child = int((home / "claude.child.pid").read_text())
            assert not alive(child), "the agent's child was killed with it"
        again = run_inline(fake, chain.work, **env)
        assert again.exit_code == 1
        assert len((home / "calls.jsonl").read_text().splitlines()) == 2, "nothing sent again"


# -- git ------------------------------------------------------------------------------------------


def test_a_push_refused_by_the_remote_stops_with_one_line_then_goes_on(
    two: Chain, tally: Tally
) -> None:
    hook = two.fake.git_dir / "hooks" / "pre-receive"
    hook.parent.mkdir(exist_ok=True)
    hook.write_text("#!/bin/sh\necho 'pushes are frozen' >&2\nexit 1\n")
    hook.chmod(0o755)
    tally.add("faults")
    said = one_error_line(run_inline(two.fake, two.work))
    assert "git push" in said
    assert two.fake.app_token not in said
    hook.unlink()
    settle(two)
    check_whole(two, tally)


def test_a_fetch_of_a_chain_branch_that_is_gone_stops_with_one_line(
    two: Chain, tally: Tally, tmp_path: Path
) -> None:
    """A new checkout (the next Action run) must fetch the chain's branch; someone deleted it.
    Once it is back, the new checkout goes on with the chain, and commits none of Baton's own
    files (`.baton/`) as if the agent had made them."""
    first = run_inline(two.fake, two.work, "--max-tickets", "1")
    assert first.exit_code == 0, first.output
    assert "is not finished" in first.output
    chain_head = two.fake.branch_sha(BRANCH)
    assert chain_head is not None
    subprocess.run(
        ["git", "--git-dir", str(two.fake.git_dir), "update-ref", "-d", f"refs/heads/{BRANCH}"],
        check=True,
    )
    tally.add("faults")
    fresh = Chain(two.fake, checkout(two.fake, tmp_path / "fresh"), two.numbers)
    said = one_error_line(run_inline(fresh.fake, fresh.work))
    assert "git fetch" in said
    # The branch is back (pushed again from the first checkout): the chain goes on.
    Git(two.work, os.environ).run(
        "push", "-q", str(two.fake.git_dir), f"{chain_head}:refs/heads/{BRANCH}"
    )
    settle(fresh)
    check_whole(fresh, tally)


# -- the test command -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("sleep 60", {"timed_out": True, "exit_code": None}),
        (
            "yes baton-says-this-line-again | head -n 100000; "
            "head -c 1500000 /dev/zero | base64 -w0; exit 1",
            {"timed_out": False, "exit_code": 1},
        ),
        ("kill -9 $$", {"timed_out": False, "exit_code": -9}),
    ],
    ids=["hangs", "megabytes", "killed"],
)
def test_a_test_command_that_hangs_floods_or_dies_fails_the_attempt_cleanly(
    tmp_path: Path, tally: Tally, command: str, expected: dict[str, Any]
) -> None:
    """Killed at its timeout, megabytes kept to a tail, or killed by a signal: the attempt
    fails (no corrections here: one recovery, then blocked), and every report fits GitHub."""
    with new_github(tmp_path, test_command=command, test_minutes=0.01) as fake:
        config = fake.read_file(".github/baton.yml") or ""
        fake.commit("main", {".github/baton.yml": config + "  max_corrections: 0\n"}, "Strict")
        chain = Chain(fake, checkout(fake, tmp_path / "checkout"), add_chain(fake, ONE))
        tally.add("faults")
        result = run_inline(fake, chain.work)
        assert result.exit_code == 1, result.output  # the chain is blocked
        assert "Traceback" not in result.output
        found = check_whole(chain, tally, outcome="blocked")
        (ticket,) = found.chain["tickets"].values()
        assert [a["kind"] for a in ticket["attempts"]] == ["launch", "recovery"]
        for attempt in ticket["attempts"]:
            ran = attempt["validation"]["command"]
            assert {k: ran[k] for k in expected} == expected
            assert len(ran["tail"]) < 100_000, "a tail, not the whole output"
        state_size = len(fake.read_file("state.json", "baton/state") or "")
        assert state_size < 300_000, f"the state grew to {state_size} bytes"
        assert all(len(r.summary or "") <= 65_535 for r in fake.check_runs())


# -- a full disk under the state file -------------------------------------------------------------

LOCAL_AGENT = """\
import json, pathlib, re, sys
prompt = pathlib.Path(sys.argv[1]).read_text()
key = re.match(r"# Baton · \\w+ · ticket (\\S+)", prompt).group(1)
pathlib.Path(f"{key}.txt").write_text(f"done: {key}\\n")
print(json.dumps({"session_id": "s-1", "is_error": False, "result": f"wrote {key}.txt"}))
"""
LOCAL_TICKETS = """\
tickets:
  - {key: one, title: One, goal: Create one.txt., files: {create: [one.txt]}}
  - {key: two, title: Two, goal: Create two.txt., files: {create: [two.txt]}, depends_on: [one]}
  - {key: three, title: Three, goal: Create three.txt., files: {create: [three.txt]}}
"""
# `baton run` with a file-size limit standing in for a full disk (and SIGXFSZ ignored, so that a
# write past it fails with EFBIG instead of killing the process).
SMALL_DISK = """\
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), resource.RLIM_INFINITY))
from bot.cli import main
sys.argv = ["baton", *sys.argv[2:]]
main()
"""


def test_a_full_disk_on_the_state_write_stops_cleanly_and_loses_nothing(
    tmp_path: Path, tally: Tally
) -> None:
    from tests.e2e.helpers import make_repo, status  # noqa: PLC0415 - local mode's helpers

    repo = make_repo(
        tmp_path / "project", agent_script=LOCAL_AGENT, tickets=LOCAL_TICKETS, test_command="true"
    )
    state = repo / ".baton" / "state.json"
    argv = [sys.executable, "-c", SMALL_DISK, "6000", "run", "--local", "--repo", str(repo)]
    full = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    tally.add("faults")
    assert full.returncode == 1, full.stderr
    errors = [line for line in full.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, full.stderr
    assert "Traceback" not in full.stderr
    assert "cannot write" in errors[0]
    assert "free disk space" in errors[0]
    before = status(repo)["chains"]["work"]  # the last state that was saved whole
    assert set(before["tickets"]) == {"one", "two", "three"}
    assert before["tickets"]["one"]["status"] == "passed", "the disk filled up midway"
    assert not before["finished"]
    assert not list(state.parent.glob(".state.json.*.tmp")), "no temporary file is left"

    again = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--local", "--repo", str(repo)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    chain = status(repo)["chains"]["work"]
    assert chain["finished"]
    assert {k: t["status"] for k, t in chain["tickets"].items()} == dict.fromkeys(
        ["one", "two", "three"], "passed"
    )
    subjects = Git(repo, os.environ).run("log", "--format=%s", "main..baton/work").splitlines()
    repeated = len(subjects) - len(set(subjects))
    tally.add("lost_or_duplicated", repeated)
    assert repeated == 0, subjects
