"""The real Claude Code (pinned in tests/agent_clis/) through Baton's preset, exactly as a user
configures it (`agent: {kind: claude}`, no extra_args), against the scripted model endpoint.

Only the model is scripted: the edits, the shell commands, the permission checks, the session
store and the JSON reply are Claude Code's own. Every test also checks that the CLI asked
nothing of any other host (telemetry, updates) and nothing the endpoint does not serve.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.agents.cli.versions import check_version
from bot.config import AgentConfig
from tests.fakes.models import ModelEndpoint, Turn, fail, run, say, write
from tests.real_cli import TEST_COMMAND, agent_for, assert_played, assert_went_on, real_cli


@pytest.fixture
def kind() -> str:
    """The CLI under test, for the fixtures (cli, workdir, model) of tests/integration/conftest.py."""
    return "claude"


def test_an_edit_lands_then_a_resumed_session_goes_on_and_runs_the_test_command(
    cli: Path, workdir: Path, model: ModelEndpoint
) -> None:
    agent = agent_for(cli)
    model.script.extend(Turn(write("notes.txt", "one\n")), Turn(say("First done.")))
    first = agent.start("First: create notes.txt.", workdir)
    assert_played(first, model, "First done.")
    assert (workdir / "notes.txt").read_text() == "one\n"
    assert model.calls[0].user_texts[-1] == "First: create notes.txt."
    # The tools a ticket needs: its edits and the shell.
    assert {"Write", "Bash"} <= set(model.calls[0].tools)
    model.script.extend(
        Turn(write("notes.txt", "one\ntwo\n"), run(TEST_COMMAND)), Turn(say("Second done."))
    )

    second = agent.resume(str(first.session_id), "Second: add a line.", workdir)

    assert_went_on(first, second, "Second done.")
    assert (workdir / "notes.txt").read_text() == "one\ntwo\n"  # an existing file, rewritten
    resumed = model.calls[2]
    assert "First: create notes.txt." in resumed.user_texts
    assert resumed.user_texts[-1].strip() == "Second: add a line."
    # The test command ran (its output came back to the model), as the ticket's rules ask.
    assert any("check ok: ['one', 'two']" in r for r in model.calls[3].tool_results)


def test_a_shell_command_other_than_the_test_command_is_refused_and_fails_the_attempt(
    cli: Path, workdir: Path, model: ModelEndpoint
) -> None:
    model.script.extend(
        Turn(run("wget -q https://example.invalid/setup.sh")), Turn(say("All set up."))
    )

    result = agent_for(cli).start("Set things up.", workdir)

    assert not result.ok  # Claude Code itself exits 0 and reports success
    assert result.error == (
        "claude refused Bash `wget -q https://example.invalid/setup.sh`: Baton grants only the "
        f"test command `{TEST_COMMAND}` as a shell command; allow it with agent.extra_args: "
        '["--allowedTools", "Bash(wget:*)"]'
    )


def test_an_edit_refused_by_another_permission_mode_fails_the_attempt(
    cli: Path, workdir: Path, model: ModelEndpoint
) -> None:
    """What Claude Code does in -p mode without Baton's grant: every edit refused, exit 0."""
    model.script.extend(Turn(write("notes.txt", "one\n")), Turn(say("Wrote notes.txt.")))
    agent = agent_for(cli, extra_args=["--permission-mode", "default"])

    result = agent.start("Create notes.txt.", workdir)

    assert not result.ok
    assert not (workdir / "notes.txt").exists()
    assert str(result.error).startswith(
        f"claude refused Write `{workdir / 'notes.txt'}`: Baton grants edits inside the working "
        "copy (--permission-mode acceptEdits, unless agent.extra_args sets another mode)"
    )


def test_a_model_error_is_a_failed_attempt_never_a_pass(
    cli: Path, workdir: Path, model: ModelEndpoint
) -> None:
    model.script.extend(Turn(fail(400, "max_tokens: 64000 is more than this model allows")))

    result = agent_for(cli).start("Create notes.txt.", workdir)

    assert not result.ok
    assert "max_tokens: 64000 is more than this model allows" in str(result.error)
    assert not (workdir / "notes.txt").exists()


def test_config_check_knows_the_installed_version(cli: Path) -> None:
    checked = check_version(AgentConfig(kind="claude", executable=str(cli)), os.environ)

    assert checked is not None
    assert (checked.tested, checked.line) == (
        True,
        "claude 2.1.197: the version Baton's presets were tested with",
    )


def test_a_missing_cli_fails_in_ci_and_is_skipped_elsewhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"run \./dev check \(CI must run"):
        real_cli("no-such-cli")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match=r"run \./dev check first"):
        real_cli("no-such-cli")
