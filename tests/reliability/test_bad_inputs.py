"""Bad inputs: broken and hostile issue bodies, chain files, configs, rule blocks, agent outputs,
API answers and state files from `corpus/`, each driven through Baton's real entry points (the
CLI through click's CliRunner, the parsers, a real `baton run` with a real agent process, the
Cursor agent against a local HTTP server). What each must do is in `corpus/manifest.yml`: a clear
error naming the field (and line), or neutralised. Nothing may crash Baton, or lose or corrupt
its state."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import sys
import textwrap
import threading
from collections.abc import Iterator
from fnmatch import fnmatchcase
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import stamina
from click.testing import CliRunner, Result

from bot.agents.cursor.agent import CursorAgent
from bot.chain_file import parse_chain_file
from bot.cli import cli
from bot.config import AgentConfig, check_config
from bot.errors import BatonError
from bot.issue_form import parse_issue_body
from bot.markers import has_marker, markers_in
from bot.prompts import ChainView, Knowledge, launch_prompt
from bot.redact import Redactor, from_environment
from bot.state import AgentResult, StoreData
from bot.store import FileStore
from bot.tickets import Ticket
from bot.validation.rules import parse_rules
from bot.workspace import Git
from bot.yaml_source import safe_load
from tests.reliability.isolation import quiet_environment
from tests.reliability.tally import Tally

CORPUS = Path(__file__).parent / "corpus"
MANIFEST: dict[str, dict[str, dict[str, Any]]] = safe_load(
    (CORPUS / "manifest.yml").read_text(encoding="utf-8")
)
BOT = "baton-bot[bot]"
# What no prompt may carry: zero-width, bidi, tag and control characters (tab and newline aside).
HIDDEN = re.compile(
    "[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\u061c\ufeff"
    "\U000e0000-\U000e007f\x00-\x08\x0b-\x1f\x7f-\x9f]"
)


def cases(kind: str) -> list[Any]:
    """The manifest's cases of one kind, as pytest parameters; a known bug is an expected failure."""
    params = []
    for name, spec in MANIFEST[kind].items():
        marks = []
        if "known_bug" in spec:
            marks.append(pytest.mark.xfail(reason=spec["known_bug"], strict=True))
        params.append(pytest.param(name, spec, id=name, marks=marks))
    return params


def invoke(*args: str) -> Result:
    """`baton ARGS` through click's runner: never a traceback, never an exception but an exit."""
    result = CliRunner().invoke(cli, list(args), catch_exceptions=True)
    assert "Traceback" not in result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"baton {' '.join(args)} crashed") from result.exception
    return result


def error_lines(result: Result) -> list[str]:
    """The lines of a command's output that report an error (`where: error: field: message`)."""
    return [line for line in result.output.splitlines() if ": error: " in line]


def expected_head(path: Path | str, spec: dict[str, Any]) -> str:
    where = f"{path}:{spec['line']}" if spec.get("line") is not None else str(path)
    return f"{where}: error: {spec['error']}: "


def state_of(repo: Path) -> StoreData:
    """The repository's state, as Baton loads it (raises if it is not valid)."""
    return FileStore(repo / ".baton" / "state.json", Redactor()).load()


def tickets_in(data: StoreData) -> dict[str, list[str]]:
    return {name: sorted(chain.tickets) for name, chain in data.chains.items()}


def test_the_manifest_names_every_case_and_there_are_enough() -> None:
    on_disk = {
        (p.parent.name, p.name)
        for p in CORPUS.rglob("*")
        if p.is_file() and p.name != "manifest.yml"
    }
    listed = {(kind, name) for kind, entries in MANIFEST.items() for name in entries}
    assert on_disk == listed
    assert len(listed) >= 60
    for kind, entries in MANIFEST.items():
        for name, spec in entries.items():
            assert ("error" in spec) != ("neutralised" in spec), f"{kind}/{name}"


# -- issue bodies -----------------------------------------------------------------------------


def _data_block(prompt: str) -> str:
    """The ticket as the prompt fences it: the text between ```ticket and its closing fence."""
    lines = prompt.split("\n")
    [start] = [i for i, line in enumerate(lines) if re.fullmatch(r"`{3,}ticket", line)]
    fence = lines[start].removesuffix("ticket")
    end = lines.index(fence, start + 1)
    block = "\n".join(lines[start + 1 : end])
    longest = max((len(run) for run in re.findall(r"`+", block)), default=0)
    assert longest < len(fence), "nothing inside the ticket's fence can close it"
    return block


@pytest.mark.parametrize(("name", "spec"), cases("issue"))
def test_issue_body(name: str, spec: dict[str, Any], tally: Tally) -> None:
    tally.add("bad_inputs")
    path = CORPUS / "issue" / name
    body = path.read_bytes().decode("utf-8")  # as GitHub keeps it: CRLF stays CRLF
    ticket, problems = parse_issue_body(
        body, title="A hostile ticket", key="#7", chain="sprint-1", source=name
    )
    parsed = invoke("tickets", "parse", str(path), "--title", "A hostile ticket")
    linted = invoke("tickets", "lint", str(path))
    # Nothing the commands print can start a line that GitHub Actions would run as a command.
    for result in (parsed, linted):
        assert not [line for line in result.output.splitlines() if line.lstrip().startswith("::")]

    if "error" in spec:
        assert ticket is None
        errors = [p for p in problems if p.severity == "error"]
        more = [{"error": field, "line": line} for field, line in spec.get("more_errors", [])]
        expected = [spec, *more]
        assert [(p.field, p.line) for p in errors] == [
            (e["error"], e.get("line")) for e in expected
        ]
        for result in (parsed, linted):
            assert result.exit_code == 1
            lines = error_lines(result)
            assert len(lines) == len(expected), lines
            for line, each in zip(lines, expected, strict=True):
                assert line.startswith(expected_head(path, each)), line
        return

    assert ticket is not None, [p.render() for p in problems]
    assert parsed.exit_code == 0, parsed.output
    assert linted.exit_code == 0, linted.output
    assert json.loads(parsed.stdout)["goal"] == ticket.goal
    _check_ticket(ticket, problems, spec["neutralised"])
    _check_prompt(ticket, body, spec["neutralised"])


def _check_ticket(ticket: Ticket, problems: list[Any], holds: dict[str, Any]) -> None:
    warnings = [p for p in problems if p.severity == "warning"]
    if "warning_count" in holds:
        # Capped: the first ones, then one line that counts the rest.
        assert len(warnings) == holds["warning_count"]
        assert warnings[-1].message.endswith("more warning(s) not shown")
    else:
        assert sorted(p.field for p in warnings) == sorted(holds.get("warnings", []))
    if "goal" in holds:
        assert ticket.goal == holds["goal"]
    for part in holds.get("context_has", []):
        assert part in (ticket.context or "")
    for field in ("create", "modify"):
        if field in holds:
            assert getattr(ticket.files, field) == holds[field]
    if "acceptance" in holds:
        assert ticket.acceptance == holds["acceptance"]
    if "test_command" in holds:
        assert ticket.test_command == holds["test_command"]


def _check_prompt(ticket: Ticket, body: str, holds: dict[str, Any]) -> None:
    view = ChainView(name="sprint-1", tickets=[ticket], states={}, test_command="pytest -q")
    prompt = launch_prompt(ticket, view, Knowledge(), redact=from_environment(os.environ))
    assert prompt.startswith("# Baton · launch · ticket #7\n")
    block = _data_block(prompt)
    assert "<!--" not in prompt
    assert not HIDDEN.findall(prompt), "invisible characters reached the prompt"
    first_words = re.sub(r"<!--.*?(-->|$)", "", ticket.goal, flags=re.S)
    first_words = HIDDEN.sub("", first_words).split("\n")[0][:15]
    assert first_words in block, "the goal arrives inside the data fence"
    for part in holds.get("prompt_has", []):
        assert part in block, part
    for part in holds.get("prompt_lacks", []):
        assert part not in prompt, part
    if holds.get("forged_marker"):
        forged = markers_in(body)
        assert forged, "the case carries markers"
        for payload in forged:
            mark = f"<!-- baton:{payload} -->"
            assert not has_marker(body, "mallory", BOT, mark), "a user's marker is not Baton's"
            assert has_marker(body, BOT, BOT, mark), "the same marker in Baton's own comment is"


# -- chain files and configs, alone and in a repository with state ------------------------------

BASE_CHAIN = """\
tickets:
  - key: done
    title: Already done
    goal: Create done.txt.
    files: {create: [done.txt]}
"""
BASE_AGENT = """\
import pathlib
pathlib.Path("done.txt").write_text("done\\n")
print("wrote done.txt")
"""


@pytest.fixture(scope="module")
def finished_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A repository whose chain `base` has run and passed: its state is what a bad input must not
    lose."""
    with quiet_environment():
        yield _finished_repo(tmp_path_factory.mktemp("finished"))


def _finished_repo(root: Path) -> Path:
    repo = root / "repo"
    repo.mkdir()
    agent = root / "agent.py"
    agent.write_text(BASE_AGENT)
    (repo / "tickets").mkdir()
    (repo / "tickets" / "base.yml").write_text(BASE_CHAIN)
    (repo / ".github").mkdir()
    (repo / ".github" / "baton.yml").write_text(
        json.dumps(
            {
                "agent": {
                    "kind": "command",
                    "command": f"{sys.executable} {agent} {{prompt_file}}",
                },
                "validation": {"test_command": "test -f done.txt"},
                "branches": {"base": "main"},
            }
        )
    )
    git = Git(repo, os.environ)
    git.run("init", "-q", "-b", "main")
    git.commit_all("initial")
    result = invoke("run", "--local", "--repo", str(repo))
    assert result.exit_code == 0, result.output
    assert tickets_in(state_of(repo)) == {"base": ["done"]}
    git.run("checkout", "-q", "main")
    return repo


def _copy(repo: Path, where: Path) -> Path:
    target = where / "repo"
    shutil.copytree(repo, target, symlinks=True)
    return target


def _run_keeps_state(repo: Path, spec: dict[str, Any]) -> None:
    """`baton run --local` on a repository with a bad file: one error line, the state untouched."""
    before = (repo / ".baton" / "state.json").read_bytes()
    result = invoke("run", "--local", "--repo", str(repo))
    assert result.exit_code == 1, result.output
    [line] = error_lines(result)  # the file's line, which says "error" once
    assert f": error: {spec['error']}: " in line, line
    assert not line.startswith("error: "), line
    assert (repo / ".baton" / "state.json").read_bytes() == before
    assert tickets_in(state_of(repo)) == {"base": ["done"]}


@pytest.mark.parametrize(("name", "spec"), cases("chain"))
def test_chain_file(
    name: str, spec: dict[str, Any], tally: Tally, finished_repo: Path, tmp_path: Path
) -> None:
    tally.add("bad_inputs")
    path = CORPUS / "chain" / name
    chain, problems = parse_chain_file(path)
    linted = invoke("tickets", "lint", str(path))
    if "neutralised" in spec:
        assert chain is not None, [p.render() for p in problems]
        assert [t.key for t in chain.tickets] == spec["neutralised"]["tickets"]
        assert all("\r" not in t.goal for t in chain.tickets)
        assert linted.exit_code == 0, linted.output
        return
    assert chain is None
    assert [(p.field, p.line) for p in problems] == [(spec["error"], spec.get("line"))]
    assert linted.exit_code == 1
    [line] = error_lines(linted)
    assert line.startswith(expected_head(path, spec)), line

    repo = _copy(finished_repo, tmp_path)
    shutil.copy(path, repo / "tickets" / name)
    if "run_blocks" in spec:
        _run_blocks_only_the_cycle(repo, path.stem, spec["run_blocks"])
    else:
        _run_keeps_state(repo, spec)


def _run_blocks_only_the_cycle(repo: Path, chain: str, keys: list[str]) -> None:
    """`baton run --local` with a chain whose tickets wait for each other: each is blocked naming
    the cycle, nothing is sent to an agent, and the other chains' state is kept."""
    Git(repo, os.environ).commit_all("a chain whose tickets wait for each other")
    result = invoke("run", "--local", "--repo", str(repo))
    assert result.exit_code == 1, result.output  # a chain is blocked
    data = state_of(repo)
    assert tickets_in(data) == {"base": ["done"], chain: sorted(keys)}
    assert data.chains["base"].tickets["done"].status == "passed"
    for key in keys:
        ticket = data.chains[chain].tickets[key]
        assert ticket.status == "blocked"
        assert ticket.attempts == []
        assert "form a cycle" in (ticket.reason or "")


@pytest.mark.parametrize(("name", "spec"), cases("config"))
def test_config(
    name: str, spec: dict[str, Any], tally: Tally, finished_repo: Path, tmp_path: Path
) -> None:
    tally.add("bad_inputs")
    path = CORPUS / "config" / name
    config, problems = check_config(path)
    assert config is None
    assert [(p.field, p.line) for p in problems] == [(spec["error"], spec.get("line"))]
    checked = invoke("config", "check", str(path))
    assert checked.exit_code == 1
    [line] = error_lines(checked)
    assert line.startswith(expected_head(path, spec)), line

    repo = _copy(finished_repo, tmp_path)
    shutil.copy(path, repo / ".github" / "baton.yml")
    _run_keeps_state(repo, spec)


# -- rules blocks of CONVENTIONS.md -------------------------------------------------------------


@pytest.mark.parametrize(("name", "spec"), cases("rules"))
def test_rules_block(name: str, spec: dict[str, Any], tally: Tally, tmp_path: Path) -> None:
    tally.add("bad_inputs")
    text = (CORPUS / "rules" / name).read_bytes().decode("utf-8")
    rules, problems = parse_rules(text, "knowledge/CONVENTIONS.md")

    # `baton review` reads the rules at the base commit of a change.
    git = Git(tmp_path, os.environ)
    git.run("init", "-q", "-b", "main")
    (tmp_path / "knowledge").mkdir()
    (tmp_path / "knowledge" / "CONVENTIONS.md").write_bytes(text.encode("utf-8"))
    base = git.commit_all("conventions")
    (tmp_path / "src.py").write_text("print('hello')\n")
    git.commit_all("a change")
    reviewed = invoke("review", "--repo", str(tmp_path), "--base", str(base))

    if "neutralised" in spec:
        assert (len(rules), problems) == (spec["neutralised"]["rules"], [])
        assert reviewed.exit_code == 0, reviewed.output
        return
    errors = [(p.field, p.line) for p in problems if p.severity == "error"]
    assert errors == [(spec["error"], spec["line"])]
    assert reviewed.exit_code == 2, reviewed.output
    [line] = error_lines(reviewed)
    assert line.startswith(expected_head("knowledge/CONVENTIONS.md", spec)), line
    assert "has malformed rules" in reviewed.output


# -- agent output: a real run, with a real agent process that prints the garbage -----------------

AGENT = """\
#!{python}
import pathlib, re, sys
here = pathlib.Path(__file__).parent
# The prompt: a file for a `command` agent, an argument for the presets.
words = sys.argv[1:]
files = [w for w in words if len(w) < 200 and pathlib.Path(w).is_file()]
prompt = pathlib.Path(files[0]).read_text() if files else max(words, key=len)
key = re.match(r"# Baton · \\w+ · ticket (\\S+)", prompt).group(1)
sys.stdout.buffer.write((here / "outputs" / f"{{key}}.out").read_bytes())
sys.exit(int((here / "outputs" / f"{{key}}.exit").read_text()))
"""


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9-]", "-", name)


@pytest.fixture(scope="module")
def agent_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """For each preset, one repository with a chain per garbage output, run twice by
    `baton run --local`; the agent prints the case's output, whichever ticket it is given."""
    by_preset: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for name, spec in MANIFEST["agent"].items():
        by_preset.setdefault(spec["preset"], []).append((name, spec))
    with quiet_environment():
        yield {
            preset: _agent_repo(tmp_path_factory.mktemp(preset), preset, entries)
            for preset, entries in by_preset.items()
        }


def _agent_repo(root: Path, preset: str, entries: list[tuple[str, dict[str, Any]]]) -> Path:
    outputs = root / "outputs"
    outputs.mkdir()
    agent = root / "agent.py"
    agent.write_text(AGENT.format(python=sys.executable))
    agent.chmod(agent.stat().st_mode | stat.S_IXUSR)
    repo = root / "repo"
    (repo / "tickets").mkdir(parents=True)
    for name, spec in entries:
        slug = _slug(name)
        shutil.copy(CORPUS / "agent" / name, outputs / f"{slug}.out")
        (outputs / f"{slug}.exit").write_text(str(spec["exit"]))
        (repo / "tickets" / f"{slug}.yml").write_text(
            textwrap.dedent(
                f"""\
                tickets:
                  - key: {slug}
                    title: Garbage from the agent
                    goal: Create done.txt.
                    files: {{create: [done.txt]}}
                """
            )
        )
    agent_config: dict[str, Any] = {"kind": preset, "timeout_minutes": 1}
    if preset == "command":
        agent_config["command"] = f"{agent} {{prompt_file}}"
    else:
        agent_config["executable"] = str(agent)
    (repo / ".github").mkdir()
    (repo / ".github" / "baton.yml").write_text(
        json.dumps(
            {
                "sandbox": "off",  # the agent reads its answers from outside the working copy
                "agent": agent_config,
                # The agent never writes done.txt: a reply Baton accepts fails validation.
                "validation": {"test_command": "test -f done.txt", "max_corrections": 0},
                "branches": {"base": "main"},
            }
        )
    )
    git = Git(repo, os.environ)
    git.run("init", "-q", "-b", "main")
    git.commit_all("initial")

    first = invoke("run", "--local", "--repo", str(repo))
    assert first.exit_code == 1, first.output  # blocked tickets
    data = state_of(repo)
    assert sorted(data.chains) == sorted(_slug(name) for name, _ in entries)
    # A second run finds nothing to do: it neither crashes nor changes what the first saved.
    git.run("checkout", "-q", "main")
    second = invoke("run", "--local", "--repo", str(repo))
    assert second.exit_code == 1, second.output
    again = state_of(repo)
    assert tickets_in(again) == tickets_in(data)
    assert {n: c.outcome for n, c in again.chains.items()} == {
        n: c.outcome for n, c in data.chains.items()
    }
    return repo


@pytest.mark.parametrize(("name", "spec"), cases("agent"))
def test_agent_output(
    name: str, spec: dict[str, Any], tally: Tally, agent_runs: dict[str, Path]
) -> None:
    tally.add("bad_inputs")
    repo = agent_runs[spec["preset"]]
    chain = state_of(repo).chains[_slug(name)]
    [ticket] = chain.tickets.values()
    assert ticket.status == "blocked"
    assert ticket.reason is not None
    assert spec["reason"] in ticket.reason, ticket.reason
    assert "\n" not in ticket.reason, "a reason is one line: no forged line after it"
    assert not HIDDEN.findall(ticket.reason)
    assert [a.kind for a in ticket.attempts] == ["launch", "recovery"]
    for attempt in ticket.attempts:
        assert attempt.agent is not None
        cost = attempt.agent.cost_usd
        assert cost is None or 0 <= cost < 1e6
    # The committed status is strict JSON (no NaN or Infinity), for every reader.
    status = Git(repo, os.environ).run("show", f"{chain.branch}:knowledge/status.json")
    json.loads(status, parse_constant=lambda c: pytest.fail(f"status.json holds {c}"))


# -- Cursor API answers: the agent against a local server that answers garbage -----------------


class _Garbage(ThreadingHTTPServer):
    routes: list[dict[str, Any]]


class _Answer(BaseHTTPRequestHandler):
    server: _Garbage

    def log_message(self, format: str, *args: Any) -> None:
        del format, args

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = self.path.split("?")[0]
        route = next(
            (
                r
                for r in self.server.routes
                if r["method"] == self.command and fnmatchcase(path, r["path"])
            ),
            {"status": 404, "body": '{"error": {"code": "agent_not_found"}}'},
        )
        body = str(route["body"]).encode()
        self.send_response(int(route["status"]))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer


@pytest.fixture
def garbage_server() -> Iterator[_Garbage]:
    server = _Garbage(("127.0.0.1", 0), _Answer)
    server.routes = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.mark.parametrize(("name", "spec"), cases("api"))
def test_cursor_api_answer(
    name: str, spec: dict[str, Any], tally: Tally, garbage_server: _Garbage, tmp_path: Path
) -> None:
    tally.add("bad_inputs")
    garbage_server.routes = json.loads((CORPUS / "api" / name).read_text())["routes"]
    host, port = garbage_server.server_address[:2]
    agent = CursorAgent(
        AgentConfig(kind="cursor", timeout_minutes=0.05),
        api_key="cursor-test-key",
        repository="https://github.com/octo-org/widgets",
        base_url=f"http://{host!s}:{port}",
        poll_min_seconds=0.01,
    )
    try:
        with stamina.set_testing(True, attempts=1):
            result: AgentResult | BatonError = agent.start("# Baton · launch · ticket a", tmp_path)
    except BatonError as exc:
        result = exc
    finally:
        agent.close()
    if isinstance(result, BatonError):
        text = str(result)
        assert "\n" not in text, "one line, for the CLI's one error line"
        if "neutralised" in spec:
            return
    elif "neutralised" in spec:
        for value in (result.branch, result.pr_url, result.session_id, result.error):
            assert value is None or isinstance(value, str)
        return
    else:
        assert not result.ok
        text = str(result.error)
    assert spec["reason"] in text, text


# -- state files ------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "spec"), cases("state"))
def test_state_file(name: str, spec: dict[str, Any], tally: Tally, tmp_path: Path) -> None:
    tally.add("bad_inputs")
    Git(tmp_path, os.environ).run("init", "-q", "-b", "main")
    state = tmp_path / ".baton" / "state.json"
    state.parent.mkdir()
    shutil.copy(CORPUS / "state" / name, state)
    before = state.read_bytes()
    result = invoke("status", "--repo", str(tmp_path))
    assert result.exit_code == 1
    [line] = result.output.splitlines()
    assert line.startswith("error: "), line
    assert spec["reason"] in line, line
    assert state.read_bytes() == before, "Baton never overwrites state it cannot read"
