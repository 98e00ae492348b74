"""The real Codex CLI (pinned in tests/agent_clis/) through Baton's preset, exactly as a user
configures it (`agent: {kind: codex}`, no extra_args), against the scripted model endpoint.

Only the model is scripted: the patches, the shell commands, Codex's own sandbox, its session
store and its JSON events are Codex's. Each session test runs twice: unconfined (Codex keeps
its own sandbox, `--sandbox workspace-write`) and inside Baton's bubblewrap sandbox (Codex runs
with `--sandbox danger-full-access`: its own cannot nest there). Every test also checks that the
CLI asked nothing of any other host and nothing the endpoint does not serve.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.sandbox import NoSandbox, Sandbox
from tests.fakes.models import ModelEndpoint, Turn, fail, run, say, write
from tests.real_cli import TEST_COMMAND, agent_for, assert_played, assert_went_on
from tests.sandbox_support import require_bwrap


@pytest.fixture
def kind() -> str:
    """The CLI under test, for the fixtures (cli, home with Codex's config.toml, workdir, model,
    sandbox) of tests/integration/conftest.py."""
    return "codex"


def test_an_edit_lands_then_a_resumed_session_goes_on_and_runs_the_test_command(
    cli: Path, workdir: Path, model: ModelEndpoint, sandbox: Sandbox
) -> None:
    agent = agent_for(cli, sandbox)
    model.script.extend(Turn(write("notes.txt", "one\n")), Turn(say("First done.")))
    first = agent.start("First: create notes.txt.", workdir, "c")
    assert_played(first, model, "First done.")
    assert (workdir / "notes.txt").read_text() == "one\n"
    assert model.calls[0].user_texts[-1] == "First: create notes.txt."
    # The tools a ticket needs: its edits and the shell.
    assert {"apply_patch", "exec_command"} <= set(model.calls[0].tools)
    model.script.extend(
        Turn(write("notes.txt", "one\ntwo\n"), run(TEST_COMMAND)), Turn(say("Second done."))
    )

    second = agent.resume(str(first.session_id), "Second: add a line.", workdir, "c")

    assert_went_on(first, second, "Second done.")
    assert (workdir / "notes.txt").read_text() == "one\ntwo\n"  # an existing file, rewritten
    resumed = model.calls[2]
    assert "First: create notes.txt." in resumed.user_texts
    assert resumed.user_texts[-1] == "Second: add a line."
    # The test command ran (its output came back to the model), as the ticket's rules ask.
    assert any("check ok: ['one', 'two']" in r for r in model.calls[3].tool_results)


def test_its_own_sandbox_failing_is_a_failed_attempt_that_names_it_and_the_fix(
    cli: Path, workdir: Path, home: Path, model: ModelEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unconfined, with bubblewrap installed and CODEX_HOME inside the temp directory: Codex does
    not set up its codex-linux-sandbox helper there, every write fails, and it exits 0."""
    require_bwrap()
    monkeypatch.setenv("TMPDIR", str(home.parent))
    model.script.extend(Turn(write("notes.txt", "one\n")), Turn(say("Wrote notes.txt.")))

    result = agent_for(cli, NoSandbox()).start("Create notes.txt.", workdir)

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
    cli: Path, workdir: Path, model: ModelEndpoint
) -> None:
    model.script.extend(Turn(fail(400, "max_output_tokens: 200000 is more than allowed")))

    result = agent_for(cli).start("Create notes.txt.", workdir)

    assert not result.ok
    assert "max_output_tokens: 200000 is more than allowed" in str(result.error)
    assert "\n" not in str(result.error)
    assert not (workdir / "notes.txt").exists()
