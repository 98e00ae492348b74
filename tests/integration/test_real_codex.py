"""The real Codex CLI (pinned in tests/agent_clis/) through Baton's preset, exactly as a user
configures it (`agent: {kind: codex}`, no extra_args), against the scripted model endpoint.

Only the model is scripted: the patches, the shell commands, Codex's own sandbox, its session
store and its JSON events are Codex's. Each session test runs twice: unconfined (Codex keeps
its own sandbox, `--sandbox workspace-write`) and inside Baton's bubblewrap sandbox (Codex runs
with `--sandbox danger-full-access`: its own cannot nest there). Every test also checks that the
CLI asked nothing of any other host and nothing the endpoint does not serve.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.agents.cli import CliAgent
from bot.config import AgentConfig
from bot.sandbox import NoSandbox, Sandbox, open_sandbox
from tests.fakes.models import ModelEndpoint, Script, Turn, fail, openai, run, say, write
from tests.real_cli import OutboundTrap, real_cli
from tests.sandbox_support import require_bwrap

TEST_COMMAND = "python3 check.py"
CHECK = "import pathlib\nprint('check ok:', pathlib.Path('notes.txt').read_text().split())\n"


@pytest.fixture
def codex() -> Path:
    return real_cli("codex")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A HOME of the test's own, outside the temp directory as a user's is: Codex does not set
    up its sandbox helper under the temp directory (see the test of that below)."""
    home = tmp_path / "home"
    (home / ".codex").mkdir(parents=True)
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("TMPDIR", str(temp))
    return home


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    (work / "check.py").write_text(CHECK, encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    return work


@pytest.fixture
def model(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModelEndpoint]:
    """The endpoint (its turns added by each test), named in Codex's config.toml as its model
    provider, the key in its environment."""
    with ModelEndpoint(Script([])) as endpoint, OutboundTrap() as trap:
        (home / ".codex" / "config.toml").write_text(openai.config_toml(endpoint.url))
        for name, value in {**endpoint.env_for("codex"), **trap.env}.items():
            monkeypatch.setenv(name, value)
        yield endpoint
        assert endpoint.unrouted == []
        assert trap.requests == []


@pytest.fixture(params=["unconfined", "bwrap"])
def sandbox(request: pytest.FixtureRequest, home: Path) -> Sandbox:
    if request.param == "unconfined":
        return NoSandbox()
    require_bwrap()
    return open_sandbox("bwrap", os.environ)


def agent_for(codex: Path, sandbox: Sandbox | None = None) -> CliAgent:
    config = AgentConfig.model_validate(
        {"kind": "codex", "executable": str(codex), "timeout_minutes": 2}
    )
    return CliAgent(config, TEST_COMMAND, sandbox=sandbox)


def test_an_edit_lands_in_the_working_copy(
    codex: Path, workdir: Path, model: ModelEndpoint, sandbox: Sandbox
) -> None:
    model.script.extend(Turn(write("notes.txt", "one\n")), Turn(say("Wrote notes.txt.")))

    result = agent_for(codex, sandbox).start("Create notes.txt holding `one`.", workdir, "c")

    assert result.ok, result.error
    assert result.session_id
    assert result.summary == "Wrote notes.txt."
    assert (workdir / "notes.txt").read_text() == "one\n"
    assert model.script.remaining == 0
    assert model.calls[0].user_texts[-1] == "Create notes.txt holding `one`."
    assert {"apply_patch", "exec_command"} <= set(model.calls[0].tools)


def test_a_resumed_session_goes_on_with_its_earlier_turns_and_runs_the_test_command(
    codex: Path, workdir: Path, model: ModelEndpoint, sandbox: Sandbox
) -> None:
    agent = agent_for(codex, sandbox)
    model.script.extend(Turn(write("notes.txt", "one\n")), Turn(say("First done.")))
    first = agent.start("First: create notes.txt.", workdir, "c")
    assert first.ok, first.error
    model.script.extend(
        Turn(write("notes.txt", "one\ntwo\n"), run(TEST_COMMAND)), Turn(say("Second done."))
    )

    second = agent.resume(str(first.session_id), "Second: add a line.", workdir, "c")

    assert second.ok, second.error
    assert second.session_id == first.session_id
    assert second.summary == "Second done."
    assert (workdir / "notes.txt").read_text() == "one\ntwo\n"  # an existing file, rewritten
    resumed = model.calls[2]
    assert "First: create notes.txt." in resumed.user_texts
    assert resumed.user_texts[-1] == "Second: add a line."
    # The test command ran (its output came back to the model), as the ticket's rules ask.
    assert any("check ok: ['one', 'two']" in r for r in model.calls[3].tool_results)


def test_its_own_sandbox_failing_is_a_failed_attempt_that_names_it_and_the_fix(
    codex: Path, workdir: Path, home: Path, model: ModelEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unconfined, with bubblewrap installed and CODEX_HOME inside the temp directory: Codex does
    not set up its codex-linux-sandbox helper there, every write fails, and it exits 0."""
    require_bwrap()
    monkeypatch.setenv("TMPDIR", str(home.parent))
    model.script.extend(Turn(write("notes.txt", "one\n")), Turn(say("Wrote notes.txt.")))

    result = agent_for(codex, NoSandbox()).start("Create notes.txt.", workdir)

    assert not result.ok
    assert not (workdir / "notes.txt").exists()
    assert result.error == (
        f"codex refused apply_patch `{workdir / 'notes.txt'}`: Codex's own sandbox could not "
        "run its tool: with bubblewrap installed Codex needs its codex-linux-sandbox helper, "
        "which it does not set up while CODEX_HOME (~/.codex) is in the temp directory, nor "
        "inside another sandbox; move CODEX_HOME out of the temp directory, or let Baton's "
        "sandbox confine Codex (it then runs with --sandbox danger-full-access)"
    )


def test_a_model_error_is_a_failed_attempt_never_a_pass(
    codex: Path, workdir: Path, model: ModelEndpoint
) -> None:
    model.script.extend(Turn(fail(400, "max_output_tokens: 200000 is more than allowed")))

    result = agent_for(codex).start("Create notes.txt.", workdir)

    assert not result.ok
    assert "max_output_tokens: 200000 is more than allowed" in str(result.error)
    assert "\n" not in str(result.error)
    assert not (workdir / "notes.txt").exists()
