"""The real Gemini CLI (pinned in tests/agent_clis/) through Baton's preset, exactly as a user
configures it (`agent: {kind: gemini}`, no extra_args), against the scripted model endpoint.

Only the model is scripted: the tools Gemini CLI offers, its folder trust, its policy checks,
its session store and its stream-json events are its own. Each session test runs unconfined and
inside Baton's bubblewrap sandbox. Every test also checks that the CLI asked nothing of any
other host and nothing the endpoint does not serve.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.sandbox import Sandbox
from tests.fakes.models import ModelEndpoint, Turn, fail, run, say, write
from tests.real_cli import TEST_COMMAND, agent_for, assert_played, assert_went_on


@pytest.fixture
def kind() -> str:
    """The CLI under test, for the fixtures (cli, home whose ~/.gemini signs in with an API key,
    workdir, model, sandbox) of tests/integration/conftest.py."""
    return "gemini"


def test_an_edit_lands_then_a_resumed_session_goes_on_and_runs_the_test_command(
    cli: Path, workdir: Path, model: ModelEndpoint, sandbox: Sandbox
) -> None:
    agent = agent_for(cli, sandbox)
    model.script.extend(Turn(write("notes.txt", "one\n")), Turn(say("First done.")))
    first = agent.start("First: create notes.txt.", workdir, "c")
    assert_played(first, model, "First done.")
    assert (workdir / "notes.txt").read_text() == "one\n"
    assert model.calls[0].user_texts[-1] == "First: create notes.txt."
    # Trusted, in auto_edit mode, with the test command allowed: its edit and shell tools.
    assert {"write_file", "replace", "run_shell_command"} <= set(model.calls[0].tools)
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


def test_a_shell_command_other_than_the_test_command_is_refused_and_fails_the_attempt(
    cli: Path, workdir: Path, model: ModelEndpoint
) -> None:
    model.script.extend(
        Turn(run("wget -q https://example.invalid/setup.sh")), Turn(say("All set up."))
    )

    result = agent_for(cli).start("Set things up.", workdir)

    assert not result.ok  # Gemini CLI itself exits 0 and reports success
    assert result.error == (
        "gemini refused run_shell_command `wget -q https://example.invalid/setup.sh`: Baton "
        f"allows only the test command `{TEST_COMMAND}` as a shell command; allow it with "
        'agent.extra_args: ["--allowed-tools", "run_shell_command(wget)"]'
    )


def test_a_folder_it_will_not_trust_is_a_failed_attempt_that_names_it_and_the_fix(
    cli: Path, workdir: Path, model: ModelEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEMINI_RESTRICTED_MODE", "true")  # stronger than --skip-trust
    model.script.extend(Turn(write("notes.txt", "one\n")))

    result = agent_for(cli).start("Create notes.txt.", workdir)

    assert not result.ok
    assert result.error == (
        "Gemini CLI would not work in an untrusted folder (exit 55), although Baton passes "
        "--skip-trust: GEMINI_RESTRICTED_MODE=true in the environment overrides that; unset it, "
        "or trust the working copy in ~/.gemini/trustedFolders.json"
    )
    assert model.calls == []


def test_a_model_error_is_a_failed_attempt_never_a_pass(
    cli: Path, workdir: Path, model: ModelEndpoint
) -> None:
    model.script.extend(Turn(fail(400, "maxOutputTokens: 200000 is more than allowed")))

    result = agent_for(cli).start("Create notes.txt.", workdir)

    assert not result.ok
    assert "maxOutputTokens: 200000 is more than allowed" in str(result.error)
    assert "\n" not in str(result.error)
    assert not (workdir / "notes.txt").exists()
