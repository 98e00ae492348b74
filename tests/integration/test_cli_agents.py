"""CliAgent against fake `claude`, `codex`, `cursor-agent`, `gemini` and `generic-agent`
executables (tests/fakes/agents/): real subprocesses that check their command lines as strictly
as the real tools, keep sessions, and fail the ways the real tools fail."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.agents.cli.agent import CliAgent
from bot.agents.cli.presets import agent_env
from bot.config import AgentConfig
from bot.errors import ConfigError
from bot.redact import from_environment
from bot.sandbox import AgentFiles, Command, Confinement
from tests.pids import alive

FAKES = Path(__file__).resolve().parents[1] / "fakes" / "agents"
BASE_PATH = os.environ.get("PATH", os.defpath)
# The fakes' `#!/usr/bin/env python3` finds the interpreter running the tests first: quick.
PYTHON_PATH = os.pathsep.join([str(Path(sys.executable).parent), BASE_PATH])
FAKES_PATH = os.pathsep.join([str(FAKES), PYTHON_PATH])
PRESETS = ("claude", "codex", "cursor-cli", "gemini")
TOOL = {
    "claude": "claude",
    "codex": "codex",
    "cursor-cli": "cursor-agent",
    "gemini": "gemini",
    "command": "generic-agent",
}
# The fakes read these; an agent sees only the variables it is allowed (agent.env lists them).
FAKE_ENV = ["FAKE_AGENT_HOME", "FAKE_AGENT_MODE"]
STEP = "generic-agent step --prompt-file {prompt_file} --session {session_id} --workdir {workdir}"
# 3 s: time enough for a fake to start and write its pid files, on a busy machine too.
HANG_MINUTES = 0.05


@pytest.fixture(scope="module", autouse=True)
def _fakes_are_executable() -> None:
    for path in FAKES.iterdir():
        if path.is_file() and not path.suffix and not os.access(path, os.X_OK):
            path.chmod(0o755)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the fakes keep sessions and records; the fakes first on PATH."""
    home = tmp_path / "agent-home"
    home.mkdir()
    monkeypatch.setenv("FAKE_AGENT_HOME", str(home))
    monkeypatch.setenv("FAKE_AGENT_MODE", "ok")
    monkeypatch.setenv("PATH", FAKES_PATH)
    monkeypatch.setenv("CURSOR_API_KEY", "key_cursor_for_tests")  # cursor-agent needs one
    return home


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    repo = tmp_path / "work"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    return repo


def calls(home: Path, tool: str | None = None) -> list[dict[str, Any]]:
    path = home / "calls.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    records = [json.loads(line) for line in lines]
    return [r for r in records if tool is None or r["tool"] == tool]


def agent_for(kind: str, test_command: str | None = None, **settings: Any) -> CliAgent:
    if kind == "command":
        settings.setdefault("command", STEP)
    settings.setdefault("env", FAKE_ENV)
    config = AgentConfig.model_validate({"kind": kind, **settings})
    return CliAgent(config, test_command, environ=os.environ, redact=from_environment(os.environ))


# --- sessions -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", PRESETS)
def test_a_session_starts_and_then_continues(kind: str, home: Path, workdir: Path) -> None:
    agent = agent_for(kind)

    first = agent.start("first: add a README", workdir)
    assert first.ok, first.error
    assert first.session_id
    assert first.summary.startswith(f"Turn 1 of session {first.session_id}.")

    second = agent.resume(first.session_id, "second: add tests", workdir)
    assert second.ok, second.error
    assert second.session_id == first.session_id
    assert second.summary == (
        f"Turn 2 of session {first.session_id}. "
        "Prompts so far: first: add a README | second: add tests"
    )

    made = calls(home, TOOL[kind])
    assert [Path(c["cwd"]).resolve() for c in made] == [workdir.resolve()] * 2
    assert [c["stdin"] for c in made] == ["eof", "eof"]
    assert [c["parsed"]["resume"] for c in made] == [None, first.session_id]


def test_claude_reports_its_cost(home: Path, workdir: Path) -> None:
    assert agent_for("claude").start("hi", workdir).cost_usd == pytest.approx(0.0421)


UNKNOWN_SESSION = {
    "claude": "No conversation found with session ID: 0000-gone",
    "codex": "No saved session found with ID 0000-gone",
    "cursor-cli": "chat not found: 0000-gone",
    "gemini": 'Invalid session identifier "0000-gone"',
}


@pytest.mark.parametrize("kind", PRESETS)
def test_resuming_a_session_the_agent_does_not_know_fails(
    kind: str, home: Path, workdir: Path
) -> None:
    result = agent_for(kind).resume("0000-gone", "go on", workdir)

    assert not result.ok
    assert result.session_id == "0000-gone"
    assert result.error is not None
    assert "(exit 1)" in result.error
    assert UNKNOWN_SESSION[kind] in result.error


def test_claude_resumes_only_from_the_directory_of_the_session(
    home: Path, workdir: Path, tmp_path: Path
) -> None:
    agent = agent_for("claude")
    first = agent.start("first", workdir)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    result = agent.resume(str(first.session_id), "second", elsewhere)

    assert not result.ok
    assert "No conversation found with session ID" in str(result.error)


# --- failures -------------------------------------------------------------------------------

FAILURES = [
    ("claude", "error", "exit 1: the agent stopped: error_max_turns"),
    ("claude", "is_error_success_subtype", '"message":"Overloaded"'),
    ("codex", "error", "exit 1: stream disconnected before completion"),
    ("cursor-cli", "error", "(exit 1): Error: ConnectError: [resource_exhausted]"),
    ("gemini", "error", "exit 53: Reached max session turns for this session."),
    ("claude", "no_session", "reply names no session"),
    ("codex", "no_session", "no thread.started event in the agent's output (exit 0)"),
    ("cursor-cli", "no_session", "reply names no session"),
    ("gemini", "no_session", "reply names no session"),
    ("claude", "garbage", "no JSON result in the agent's output (exit 0)"),
    (
        "codex",
        "garbage",
        "the turn did not finish: no turn.completed event in the agent's output (exit 0)",
    ),
    ("cursor-cli", "garbage", "no JSON result in the agent's output (exit 0)"),
    ("gemini", "garbage", "no init event in the agent's output (exit 0)"),
    ("claude", "exit_nonzero", "(exit 3): claude: fatal: the process crashed (SIGSEGV"),
    ("codex", "exit_nonzero", "(exit 3): codex: fatal: the process crashed (SIGSEGV"),
    ("cursor-cli", "exit_nonzero", "(exit 3): cursor-agent: fatal: the process crashed"),
    ("gemini", "exit_nonzero", "(exit 3): gemini: fatal: the process crashed"),
    ("command", "error", "exit 1: generic-agent: error: the model refused the request"),
    ("command", "exit_nonzero", "exit 3: generic-agent: fatal: the process crashed"),
]


@pytest.mark.usefixtures("home")
@pytest.mark.parametrize(("kind", "mode", "expected"), FAILURES)
def test_a_failed_call_is_a_result_that_says_why(
    kind: str, mode: str, expected: str, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_AGENT_MODE", mode)

    result = agent_for(kind).start("do the work", workdir)

    assert not result.ok
    assert expected in str(result.error)


@pytest.mark.parametrize("kind", [*PRESETS, "command"])
def test_a_hanging_agent_times_out_and_leaves_no_process_behind(
    kind: str, home: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_AGENT_MODE", "hang")
    agent = agent_for(kind, timeout_minutes=HANG_MINUTES)

    result = agent.start("take forever", workdir)

    # It came back (the fake never ends on its own), by the timeout's path, and killed the
    # agent with the child it started.
    assert not result.ok
    assert result.error == f"timed out after {HANG_MINUTES:g} min"
    tool = TOOL[kind]
    pids = [int((home / f"{tool}{suffix}").read_text()) for suffix in (".pid", ".child.pid")]
    deadline = time.monotonic() + 30  # the group got SIGKILL; give the kernel a moment
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not [pid for pid in pids if alive(pid)]


def test_an_agent_that_cannot_start_is_a_failed_call(
    home: Path, workdir: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "claude"  # its interpreter is gone, as after a deleted virtualenv
    broken.write_text("#!/nonexistent/bin/node\n", encoding="utf-8")
    broken.chmod(0o755)

    result = agent_for("claude", executable=str(broken)).start("hi", workdir)

    assert not result.ok
    assert str(result.error).startswith(f"could not start `{broken}`: ")


# --- configuration --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", PRESETS)
def test_a_missing_executable_is_a_config_error_that_says_the_fix(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing there

    with pytest.raises(ConfigError) as caught:
        agent_for(kind)

    message = str(caught.value)
    # The Cursor CLI is `agent` now; its old name is tried too.
    named = "`agent` (nor `cursor-agent`)" if kind == "cursor-cli" else f"`{TOOL[kind]}`"
    assert f"executable {named} is not installed or not on PATH" in message
    assert "set agent.executable" in message


def test_an_executable_setting_that_names_no_program_is_a_config_error(tmp_path: Path) -> None:
    not_executable = tmp_path / "claude"
    not_executable.write_text("#!/bin/sh\n", encoding="utf-8")
    for exe in (tmp_path / "missing" / "claude", not_executable):
        with pytest.raises(ConfigError, match=re.escape(f"`{exe}` is not installed")):
            agent_for("claude", executable=str(exe))


def test_the_executable_setting_names_the_program_to_run(
    home: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", PYTHON_PATH)  # the fakes are not on PATH now
    assert agent_for("claude", executable=str(FAKES / "claude")).start("hi", workdir).ok

    # A relative path means the program it named where Baton started, not one in the workdir.
    monkeypatch.chdir(FAKES.parent)
    result = agent_for("gemini", executable="agents/gemini").start("hi", workdir)
    assert result.ok, result.error


def test_a_command_whose_program_is_missing_is_a_config_error(home: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        agent_for("command", command="no-such-agent --prompt-file {prompt_file}")
    assert "`no-such-agent` is not installed" in str(caught.value)
    assert "agent.command" in str(caught.value)

    with pytest.raises(ConfigError, match="`no-such-resumer` is not installed"):
        agent_for("command", resume_command="no-such-resumer --session {session_id}")


def test_a_command_template_that_does_not_split_is_a_config_error(home: Path) -> None:
    with pytest.raises(ConfigError, match=re.escape("agent.command is not a valid command line")):
        agent_for("command", command="generic-agent step --tag 'unclosed")


def test_a_model_for_a_command_agent_is_a_config_error_not_ignored(home: Path) -> None:
    with pytest.raises(ConfigError, match=re.escape("write the model into agent.command")):
        agent_for("command", model="gpt-5")


EXTRA_ARGS = {
    "claude": (
        ["--permission-mode", "acceptEdits", "--max-turns", "30"],
        {"permission_mode": "acceptEdits", "max_turns": 30},
    ),
    # Outside a git repository codex needs this flag: both calls below prove it got there.
    "codex": (
        ["--skip-git-repo-check", "-c", "model_reasoning_effort=high"],
        {"skip_git_repo_check": True, "config": ["model_reasoning_effort=high"]},
    ),
    "cursor-cli": (["--approve-mcps"], {"approve_mcps": True}),
    "gemini": (["--approval-mode", "auto_edit"], {"approval_mode": "auto_edit"}),
}


@pytest.mark.parametrize("kind", PRESETS)
def test_model_and_extra_args_reach_the_agent_on_start_and_resume(
    kind: str, home: Path, tmp_path: Path
) -> None:
    plain = tmp_path / "not-a-repository"
    plain.mkdir()
    extra, expected = EXTRA_ARGS[kind]
    agent = agent_for(kind, model="model-x", extra_args=extra)

    first = agent.start("first", plain)
    assert first.ok, first.error
    second = agent.resume(str(first.session_id), "second", plain)
    assert second.ok, second.error

    for call in calls(home, TOOL[kind]):
        assert call["parsed"]["model"] == "model-x"
        assert expected.items() <= call["parsed"].items()


def test_codex_outside_a_git_repository_says_what_it_needs(home: Path, tmp_path: Path) -> None:
    result = agent_for("codex").start("hi", tmp_path)
    assert not result.ok
    assert "--skip-git-repo-check was not specified" in str(result.error)


def test_a_prompt_too_long_for_one_argument_is_cut_to_fit(home: Path, workdir: Path) -> None:
    prompt = "é" * 100_000  # 200,000 bytes in UTF-8: one argv string holds at most 128 KiB

    result = agent_for("claude").start(prompt, workdir)

    assert result.ok, result.error
    [call] = calls(home, "claude")
    sent = call["parsed"]["prompt"]
    assert sent.startswith("é" * 50_000)
    assert sent.endswith("[prompt truncated by Baton]")
    assert len(sent.encode()) < 128 * 1024


def test_a_nul_byte_in_the_prompt_does_not_break_the_call(home: Path, workdir: Path) -> None:
    result = agent_for("codex").start("the tests printed \x00 and stopped", workdir)

    assert result.ok, result.error
    assert calls(home, "codex")[0]["parsed"]["prompt"] == "the tests printed  and stopped"


# --- any other agent: command templates -----------------------------------------------------

RUN = (
    "generic-agent run --prompt-file {prompt_file} --session {session_id} --workdir {workdir} "
    "--tag {ticket} --meta '{\"retries\": 2}'"
)
CONTINUE = (
    "generic-agent continue --prompt-file {prompt_file} --session {session_id} --workdir {workdir}"
)


def test_a_command_agent_starts_and_continues_from_its_templates(home: Path, workdir: Path) -> None:
    agent = agent_for("command", command=RUN, resume_command=CONTINUE)

    first = agent.start("first: add a README", workdir)
    assert first.ok, first.error
    assert str(first.session_id).startswith("baton-")
    second = agent.resume(str(first.session_id), "second: add tests", workdir)
    assert second.ok, second.error
    assert second.session_id == first.session_id
    assert second.summary == (
        f"Turn 2 of session {first.session_id}. "
        "Prompts so far: first: add a README | second: add tests"
    )

    run, cont = (call["parsed"] for call in calls(home, "generic-agent"))
    assert (run["action"], cont["action"]) == ("run", "continue")
    assert run["session"] == cont["session"] == first.session_id
    assert Path(run["workdir"]) == Path(cont["workdir"]) == workdir
    assert run["prompt"] == "first: add a README"  # read from {prompt_file}
    assert not Path(run["prompt_file"]).exists()  # and Baton cleaned it up
    # Braces that name no placeholder are the user's: left as they were.
    assert run["tag"] == "{ticket}"
    assert run["meta"] == '{"retries": 2}'


def test_without_a_resume_command_the_command_serves_both(home: Path, workdir: Path) -> None:
    agent = agent_for("command", command=STEP, extra_args=["--verbose", "--max-steps", "5"])

    first = agent.start("first", workdir)
    second = agent.resume(str(first.session_id), "second", workdir)

    assert first.ok, first.error
    assert second.ok, second.error
    assert second.summary.endswith("Prompts so far: first | second")
    for call in calls(home, "generic-agent"):
        assert call["argv"][-3:] == ["--verbose", "--max-steps", "5"]  # after the template


def test_a_command_agent_asked_to_continue_an_unknown_session_fails(
    home: Path, workdir: Path
) -> None:
    agent = agent_for("command", command=RUN, resume_command=CONTINUE)

    result = agent.resume("baton-gone", "go on", workdir)

    assert not result.ok
    assert result.error == "exit 1: generic-agent: no session baton-gone to continue"


def test_a_coloured_error_is_kept_as_plain_text(home: Path, workdir: Path) -> None:
    paint = "printf '\\033[1;31mError:\\033[0m the model is \\033[4mgone\\033[0m\\n' >&2; exit 1"
    agent = agent_for("command", command=f'sh -c "{paint}" {{prompt_file}}')

    result = agent.start("hi", workdir)

    assert not result.ok
    assert result.error == "exit 1: Error: the model is gone"


# --- the environment ------------------------------------------------------------------------

BATON_SECRETS = {
    "GITHUB_TOKEN": "ghs_parentprocesstoken000000000000000",
    "GH_TOKEN": "ghp_parentprocesstoken000000000000000",
    "BATON_GITHUB_APP_PRIVATE_KEY": "-----BEGIN RSA PRIVATE KEY-----",
    "SLACK_BOT_TOKEN": "xoxb-0000-parent",
    "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/parent",
    "ACTIONS_RUNTIME_TOKEN": "runtime-parent",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "id-token-parent",
}


# Each CLI's own key and settings, as its documentation names them.
OWN = {
    "claude": {"ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "CLAUDE_CODE_USE_BEDROCK"},
    "codex": {"OPENAI_API_KEY", "CODEX_HOME"},
    "cursor-cli": {"CURSOR_API_KEY"},
    "gemini": {"GEMINI_API_KEY", "GOOGLE_GEMINI_BASE_URL", "GEMINI_CLI_TRUST_WORKSPACE"},
    "command": set(),
}
BASICS = {"PATH", "HOME", "LANG", "LC_ALL", "TZ", "HTTPS_PROXY", "no_proxy", "SSL_CERT_FILE"}
OTHERS = {"AWS_SECRET_ACCESS_KEY", "NPM_TOKEN", "PYTHONPATH", "MY_TEAM_SETTING"}


@pytest.mark.parametrize("kind", [*PRESETS, "command"])
def test_an_agent_sees_its_own_variables_the_basics_and_agent_env_only(
    kind: str, home: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    every_own = set().union(*OWN.values())
    for name in {*BATON_SECRETS, *every_own, *(BASICS - {"PATH", "HOME"}), *OTHERS}:
        monkeypatch.setenv(name, BATON_SECRETS.get(name, f"value-of-{name.lower()}"))

    result = agent_for(kind, env=[*FAKE_ENV, "MY_TEAM_SETTING"]).start("hi", workdir)

    assert result.ok, result.error
    [call] = calls(home)
    seen = set(call["env"])
    assert not seen & BATON_SECRETS.keys()
    assert OWN[kind] <= seen  # an agent keeps its own credentials and settings
    assert not seen & (every_own - OWN[kind])  # and no other CLI's
    assert seen >= BASICS
    assert seen & OTHERS == {"MY_TEAM_SETTING"}  # named in agent.env


def test_gemini_runs_as_one_process_unless_the_environment_says_otherwise(
    home: Path, workdir: Path
) -> None:
    # Gemini CLI starts a second Node process of itself unless GEMINI_CLI_NO_RELAUNCH is set.
    agent_for("gemini").start("hi", workdir)
    [call] = calls(home)
    assert "GEMINI_CLI_NO_RELAUNCH" in call["env"]
    config = AgentConfig.model_validate({"kind": "gemini"})
    assert agent_env(config, {})["GEMINI_CLI_NO_RELAUNCH"] == "true"
    assert agent_env(config, {"GEMINI_CLI_NO_RELAUNCH": ""})["GEMINI_CLI_NO_RELAUNCH"] == ""
    assert "GEMINI_CLI_NO_RELAUNCH" not in agent_env(
        AgentConfig.model_validate({"kind": "codex"}), {}
    )


@pytest.mark.parametrize("name", ["GITHUB_TOKEN", "SLACK_WEBHOOK_URL", "BATON_ANYTHING", "A-B"])
def test_agent_env_cannot_name_batons_credentials(name: str) -> None:
    with pytest.raises(ValueError, match=r"environment variable name|own credential"):
        AgentConfig.model_validate({"kind": "claude", "env": [name]})


# --- permissions ----------------------------------------------------------------------------


def test_claude_may_edit_and_run_the_test_command_and_nothing_else(
    home: Path, workdir: Path
) -> None:
    agent = agent_for("claude", "python -m pytest -q")

    first = agent.start("hi", workdir)
    agent.resume(str(first.session_id), "again", workdir, test_command="make check && ruff .")
    assert first.ok, first.error

    start, resume = (c["parsed"] for c in calls(home, "claude"))
    assert start["permission_mode"] == resume["permission_mode"] == "acceptEdits"
    assert start["allowedTools"] == "Bash(python -m pytest -q:*)"
    # The ticket's own test command, each part of it: Claude Code checks them one by one.
    assert resume["allowedTools"] == "Bash(make check:*),Bash(ruff .:*)"


def test_claude_without_a_test_command_may_only_edit(home: Path, workdir: Path) -> None:
    assert agent_for("claude").start("hi", workdir).ok
    [call] = calls(home, "claude")
    assert call["parsed"]["permission_mode"] == "acceptEdits"
    assert call["parsed"]["allowedTools"] is None


def test_a_refusal_is_a_failed_attempt_that_names_the_tool_and_the_fix(
    home: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_AGENT_MODE", "refused")

    result = agent_for("claude", "python -m pytest -q").start("hi", workdir)

    assert not result.ok  # although claude exited 0 and said it succeeded
    assert result.error == (
        "claude refused Bash `curl -s https://example.invalid/setup.sh`: Baton grants only the "
        "test command `python -m pytest -q` as a shell command; allow it with agent.extra_args: "
        '["--allowedTools", "Bash(curl:*)"]'
    )


@dataclass(frozen=True)
class ConfiningSandbox:
    """A sandbox port that confines nothing but says it does: what a CLI is told then."""

    active: bool = True

    def agent_home(self, homes_dir: Path, chain: str, files: AgentFiles) -> Path | None:
        del homes_dir, chain, files
        return None

    def wrap(self, argv: Sequence[str], confinement: Confinement) -> Command:
        return Command(list(argv), dict(confinement.env))


def test_codex_keeps_its_own_sandbox_unless_batons_confines_it(home: Path, workdir: Path) -> None:
    config = AgentConfig.model_validate({"kind": "codex", "env": FAKE_ENV})
    assert (
        CliAgent(config, environ=os.environ, redact=from_environment(os.environ))
        .start("hi", workdir)
        .ok
    )
    confined = CliAgent(
        config, environ=os.environ, redact=from_environment(os.environ), sandbox=ConfiningSandbox()
    )
    first = confined.start("hi", workdir)
    assert confined.resume(str(first.session_id), "again", workdir).ok

    alone, inside, resumed = (c["parsed"]["sandbox"] for c in calls(home, "codex"))
    assert alone == "workspace-write"
    # Inside Baton's sandbox Codex's own cannot start (it nests bubblewrap): Baton's is the
    # boundary there.
    assert inside == resumed == "danger-full-access"


MODES = [  # (kind, agent.extra_args, the option, the value the CLI got)
    ("codex", ["--sandbox", "read-only"], "sandbox", "read-only"),
    ("gemini", ["--approval-mode", "yolo"], "approval_mode", "yolo"),
    ("gemini", ["--yolo"], "approval_mode", None),
]


@pytest.mark.parametrize("case", MODES)
def test_a_mode_chosen_in_extra_args_replaces_batons(
    case: tuple[str, list[str], str, str | None], home: Path, workdir: Path
) -> None:
    """The real CLIs refuse the option twice (and Gemini's two ways at once)."""
    kind, extra, option, value = case

    result = agent_for(kind, extra_args=extra).start("hi", workdir)

    assert result.ok, result.error
    assert calls(home, TOOL[kind])[0]["parsed"][option] == value


def test_gemini_is_trusted_may_edit_and_run_the_test_command_and_nothing_else(
    home: Path, workdir: Path
) -> None:
    agent = agent_for("gemini", "python -m pytest -q")

    first = agent.start("hi", workdir)
    agent.resume(str(first.session_id), "again", workdir, test_command="make check && ruff .")
    assert first.ok, first.error
    assert agent_for("gemini").start("no test command", workdir).ok

    start, resume, bare = (c["parsed"] for c in calls(home, "gemini"))
    assert all(call["skip_trust"] for call in (start, resume, bare))
    assert start["approval_mode"] == resume["approval_mode"] == "auto_edit"
    assert start["allowed_tools"] == ["run_shell_command(python -m pytest -q)"]
    # Each part of the ticket's own command: Gemini CLI checks the parts one by one.
    assert resume["allowed_tools"] == ["run_shell_command(make check)", "run_shell_command(ruff .)"]
    assert bare["allowed_tools"] is None


REFUSALS = {
    "codex": (
        "codex refused apply_patch `{workdir}/notes.txt`: Codex's own sandbox could not run its "
        "tool: with bubblewrap installed Codex needs its codex-linux-sandbox helper, which it "
        "does not set up while CODEX_HOME (~/.codex) is in the temp directory, nor inside another "
        "sandbox; move CODEX_HOME out of the temp directory, or let Baton's sandbox confine Codex "
        "(it then runs with --sandbox danger-full-access)"
    ),
    "gemini": (
        "gemini refused run_shell_command `curl -s https://example.invalid/setup.sh`: Baton "
        "allows only the test command `python -m pytest -q` as a shell command; allow it with "
        'agent.extra_args: ["--allowed-tools", "run_shell_command(curl)"]'
    ),
}


@pytest.mark.parametrize("kind", sorted(REFUSALS))
def test_a_refused_or_failed_tool_call_fails_the_attempt_with_the_fix(
    kind: str, home: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_AGENT_MODE", "refused")

    result = agent_for(kind, "python -m pytest -q").start("hi", workdir)

    assert not result.ok  # although the CLI exited 0 and finished its turn
    assert result.error == REFUSALS[kind].format(workdir=workdir)
    assert result.session_id


def test_gemini_that_will_not_trust_the_working_copy_says_why_in_one_line(
    home: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEMINI_RESTRICTED_MODE", "true")  # overrides --skip-trust

    result = agent_for("gemini").start("hi", workdir)

    assert not result.ok
    assert result.error == (
        "Gemini CLI would not work in an untrusted folder (exit 55), although Baton passes "
        "--skip-trust: GEMINI_RESTRICTED_MODE=true in the environment overrides that; unset it, "
        "or trust the working copy in ~/.gemini/trustedFolders.json"
    )


# --- the Cursor CLI's name ------------------------------------------------------------------


def test_the_cursor_cli_is_agent_when_that_is_on_path(
    home: Path, workdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "agent").symlink_to(FAKES / "cursor-agent")
    monkeypatch.setenv("PATH", os.pathsep.join([str(bin_dir), FAKES_PATH]))

    agent = agent_for("cursor-cli")

    assert agent.executable == str(bin_dir / "agent")
    assert agent.start("hi", workdir).ok


# --- the fakes are as strict as the real tools ----------------------------------------------

REFUSED = [
    ("claude", ["-p", "hi"]),  # no --output-format json
    ("claude", ["hi", "--output-format", "json"]),  # not print mode
    ("claude", ["-p", "hi", "--output-format", "json", "--resum", "x"]),  # no abbreviations
    ("codex", ["exec", "--sandbox", "workspace-write", "hi"]),  # no --json
    ("codex", ["--json", "exec", "--sandbox", "workspace-write", "hi"]),
    ("codex", ["exec", "--json", "--sandbox", "workspace-write", "resume", "x", "hi", "-m", "m"]),
    ("cursor-agent", ["-p", "--output-format", "json", "hi"]),  # no --force
    ("gemini", ["hi", "--output-format", "json"]),  # the prompt without -p
]


@pytest.mark.parametrize(("tool", "argv"), REFUSED)
def test_the_fakes_refuse_command_lines_the_real_tools_would_not_take(
    tool: str, argv: list[str], home: Path, workdir: Path
) -> None:
    proc = subprocess.run(
        [str(FAKES / tool), *argv],
        cwd=workdir,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    assert proc.returncode == 2
    assert "usage" in proc.stderr.lower()


def test_the_fake_codex_refuses_an_open_stdin(home: Path, workdir: Path) -> None:
    argv = [str(FAKES / "codex"), "exec", "--json", "--sandbox", "workspace-write", "hi"]
    with subprocess.Popen(
        argv, cwd=workdir, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as proc:
        code = proc.wait(timeout=10)
        assert proc.stderr is not None
        stderr = proc.stderr.read().decode()
    assert code == 1
    assert "stdin is open" in stderr
