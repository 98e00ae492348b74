"""The sandbox with real processes under bubblewrap: what an agent and a test command can reach.

Each test runs the probe (tests/fakes/sandbox_probe.py) confined as Baton confines it, with
Baton's secrets in the environment and a HOME full of planted credentials, and judges what the
probe saw. The choice of sandbox (bubblewrap missing, `sandbox: off`, inside Actions) needs no
bubblewrap.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.agents.cli.agent import CliAgent
from bot.config import AgentConfig, Config, check_config
from bot.errors import ConfigError
from bot.redact import from_environment
from bot.sandbox import BwrapSandbox, NoSandbox, Sandbox, open_sandbox
from bot.sandbox.bwrap import PRIVATE_TMP
from bot.sandbox.port import Confinement
from bot.validation.command import run_test_command
from tests.sandbox_support import (
    SECRETS,
    baton_env,
    install_probe,
    leaks,
    plant_home,
    require_bwrap,
)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    plant_home(home)
    return home


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A working copy with Baton's state in it, and the probe."""
    work = tmp_path / "work"
    work.mkdir()
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    (work / ".baton").mkdir()
    (work / ".baton" / "state.json").write_text('{"chains": "planted state"}')
    install_probe(work)
    return work


@pytest.fixture
def outside() -> Iterator[str]:
    """A process outside the sandbox with Baton's secrets in its environment, as Baton's own
    process has them; yields the marker on its command line."""
    marker = f"outside-{uuid.uuid4().hex}"
    code = "import sys, time; time.sleep(120)"
    env = {**os.environ, **SECRETS}
    with subprocess.Popen([sys.executable, "-c", code, marker], env=env) as proc:
        yield marker
        proc.kill()


@pytest.fixture
def sandbox(home: Path, monkeypatch: pytest.MonkeyPatch, outside: str) -> Sandbox:
    """bubblewrap as Baton opens it, for a Baton whose environment holds its secrets (and
    beside a process that holds them too)."""
    require_bwrap()
    environ = baton_env(home)
    for name in ("PATH", *SECRETS):
        monkeypatch.setenv(name, environ[name])
    opened = open_sandbox("bwrap", environ)
    assert isinstance(opened, BwrapSandbox)
    assert opened.active
    return opened


@pytest.fixture
def server() -> Iterator[int]:
    """A TCP server on 127.0.0.1 that accepts connections; yields its port."""
    with socket.create_server(("127.0.0.1", 0)) as listening:
        listening.settimeout(0.1)
        yield listening.getsockname()[1]


def planted_reads(home: Path) -> list[str]:
    return [
        f"--read={home / name}"
        for name in (
            ".netrc",
            ".ssh/id_ed25519",
            ".config/gh/hosts.yml",
            ".cargo/credentials.toml",
            ".claude/settings.json",
        )
    ]


def probe_line(repo: Path, *args: str) -> str:
    return shlex.join([sys.executable, str(repo / "sandbox_probe.py"), *args])


def seen_by(repo: Path, name: str) -> Any:
    return json.loads((repo / name).read_text())


def assert_confined(seen: Any, home: Path) -> None:
    """Nothing of Baton's: no secret anywhere it looked (its environment, every process it can
    see), no process from outside, no file of the real HOME; `.git` read-only, `.baton/` out
    of sight; the tool on PATH still runs."""
    assert leaks(seen) == []
    assert seen["proc"], "it sees its own sandbox's processes"
    for name, found in seen["proc"].items():
        assert "outside-" not in found["cmdline"], f"process {name} is outside the sandbox"
    for path, text in seen["files"].items():
        assert "planted" not in text, f"{path} was readable: {text}"
    pointing_home = [k for k, v in seen["env"].items() if str(home) in v and k != "PATH"]
    assert pointing_home == [], "only PATH names the real HOME (its tool directory)"
    assert seen["git_write"].startswith("error"), "the working copy's .git was writable"
    assert seen["state_visible"] is False
    assert seen["run"] == [0, "planted tool ran"], "the tool directory on PATH is back"


def test_the_test_command_reaches_none_of_batons_secrets(
    repo: Path, home: Path, sandbox: Sandbox
) -> None:
    command = probe_line(repo, "seen.json", "--run", "planted-tool", *planted_reads(home))
    result = run_test_command(command, repo, 60, 50, environ=os.environ, sandbox=sandbox)
    assert result.exit_code == 0, result.tail
    assert result.command == command
    seen = seen_by(repo, "seen.json")
    assert_confined(seen, home)
    assert seen["home_files"] == [], "a HOME of its own, empty"
    assert seen["home"] != str(home)


def test_the_test_command_has_no_network_unless_allowed(
    repo: Path, sandbox: Sandbox, server: int
) -> None:
    command = probe_line(repo, "seen.json", "--port", str(server))
    closed = run_test_command(command, repo, 60, 50, environ=os.environ, sandbox=sandbox)
    assert closed.exit_code == 0, closed.tail
    assert seen_by(repo, "seen.json")["connect"].startswith("error")
    allowed = run_test_command(
        command, repo, 60, 50, environ=os.environ, sandbox=sandbox, network=True
    )
    assert allowed.exit_code == 0, allowed.tail
    assert seen_by(repo, "seen.json")["connect"] == "ok"


def test_the_agent_reaches_only_its_own_home_which_lasts_for_its_chain(
    repo: Path, home: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("TMPDIR", str(home / "tmp"))
    command = probe_line(repo, "seen.json", "--count", "calls", "--run", "planted-tool")
    reads = " ".join(shlex.quote(r) for r in planted_reads(home))
    config = AgentConfig.model_validate(
        {"kind": "command", "command": f"{command} {reads}", "env": ["XDG_CONFIG_HOME"]}
    )
    agent = CliAgent(
        config, environ=os.environ, redact=from_environment(os.environ), sandbox=sandbox
    )
    first = agent.start("# go", repo, "baton/one")
    assert first.ok, first.error
    seen = seen_by(repo, "seen.json")
    assert_confined(seen, home)
    assert seen["count"] == 1
    assert Path(seen["home"]).is_relative_to(repo / ".baton" / "homes")
    # A place in the real HOME named by a variable is the same place in the agent's own.
    assert seen["env"]["XDG_CONFIG_HOME"] == f"{seen['home']}/.config"
    assert seen["env"]["TMPDIR"] == PRIVATE_TMP
    assert str(first.session_id)
    again = agent.resume(str(first.session_id), "# more", repo, "baton/one")
    assert again.ok, again.error
    assert seen_by(repo, "seen.json")["count"] == 2, "the same HOME on the next call"
    other = agent.start("# go", repo, "baton/two")
    assert other.ok, other.error
    assert seen_by(repo, "seen.json")["count"] == 1, "another chain, another HOME"


def test_a_claude_agent_gets_a_copy_of_its_own_configuration_and_nothing_else(
    repo: Path, home: Path, sandbox: Sandbox, tmp_path: Path
) -> None:
    """The preset's executable (here outside the working copy, in the private /tmp) runs; its
    HOME holds `~/.claude` and `~/.claude.json` as copies, without other projects' sessions."""
    claude = tmp_path / "bin" / "claude"
    claude.parent.mkdir()
    probe = probe_line(repo, "seen.json", "--print-reply", "--run", "planted-tool")
    claude.write_text(f"#!/bin/sh\nexec {probe} {' '.join(planted_reads(home))}\n")
    claude.chmod(0o755)
    agent = CliAgent(
        AgentConfig.model_validate({"kind": "claude", "executable": str(claude)}),
        environ=os.environ,
        redact=from_environment(os.environ),
        sandbox=sandbox,
    )
    result = agent.start("# go", repo, "baton/one")
    assert result.ok, result.error
    seen = seen_by(repo, "seen.json")
    assert_confined(seen, home)
    assert seen["home_files"] == [".claude.json", ".claude/settings.json"]
    own = Path(seen["home"]) / ".claude" / "settings.json"
    assert "planted-claude-setting" in own.read_text(), "its configuration, copied"
    agent_home = Path(seen["home"])
    (home / ".claude" / "settings.json").write_text("{}")
    assert agent.start("# go", repo, "baton/one").ok
    assert "planted-claude-setting" in (agent_home / ".claude" / "settings.json").read_text(), (
        "copied once, when the HOME was made: the agent's own changes are kept"
    )


def test_a_user_switch_happens_inside_the_sandbox(repo: Path, sandbox: Sandbox) -> None:
    if os.geteuid() != 0:
        pytest.skip(
            "runuser needs root (as another account the switch goes through sudo): run the "
            "tests as root, e.g. in a container, to cover it"
        )
    repo.chmod(0o777)
    result = run_test_command(
        "id -u > uid.txt", repo, 60, 50, run_as="nobody", environ=os.environ, sandbox=sandbox
    )
    assert result.exit_code == 0, result.tail
    assert (repo / "uid.txt").read_text().strip() == "65534"


def test_a_working_copy_that_holds_the_home_is_refused(home: Path, sandbox: Sandbox) -> None:
    with pytest.raises(ConfigError, match="sandbox: off"):
        run_test_command("true", home.parent, 60, 50, environ=os.environ, sandbox=sandbox)


# -- choosing the sandbox ----------------------------------------------------------------------


def no_bwrap(tmp_path: Path, **more: str) -> dict[str, str]:
    """An environment whose PATH has no bwrap."""
    empty = tmp_path / "empty-path"
    empty.mkdir(exist_ok=True)
    return {"PATH": str(empty), "HOME": str(tmp_path), **more}


def test_without_bubblewrap_a_local_run_warns_once_and_runs_unconfined(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        sandbox = open_sandbox("auto", no_bwrap(tmp_path))
    assert isinstance(sandbox, NoSandbox)
    assert not sandbox.active
    [warning] = caplog.records
    assert "bubblewrap" in warning.getMessage()
    assert "unconfined" in warning.getMessage()


@pytest.mark.parametrize(
    ("mode", "environ"),
    [("auto", {"GITHUB_ACTIONS": "true"}), ("bwrap", {})],
)
def test_without_bubblewrap_actions_or_an_explicit_bwrap_is_an_error_naming_the_fix(
    tmp_path: Path, mode: Any, environ: dict[str, str]
) -> None:
    with pytest.raises(ConfigError) as raised:
        open_sandbox(mode, no_bwrap(tmp_path, **environ))
    message = str(raised.value)
    assert "\n" not in message
    assert "install the `bubblewrap` package" in message
    assert "`sandbox: off`" in message


def test_sandbox_off_is_no_sandbox_even_inside_actions(tmp_path: Path) -> None:
    sandbox = open_sandbox("off", no_bwrap(tmp_path, GITHUB_ACTIONS="true"))
    assert isinstance(sandbox, NoSandbox)


@pytest.mark.parametrize(
    ("text", "mode"),
    [("", "auto"), ("sandbox: off\n", "off"), ("sandbox: bwrap\n", "bwrap")],
)
def test_the_sandbox_setting(tmp_path: Path, text: str, mode: str) -> None:
    path = tmp_path / "baton.yml"
    path.write_text(text)
    config, problems = check_config(path)
    assert problems == []
    assert config is not None
    assert config.sandbox == mode
    assert config.validation.network is False
    assert Config.model_validate({"validation": {"network": True}}).validation.network


def test_an_unknown_sandbox_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "baton.yml"
    path.write_text("sandbox: docker\n")
    config, problems = check_config(path)
    assert config is None
    assert [p.field for p in problems] == ["sandbox"]


def linked_python(where: Path) -> Path:
    """An interpreter as a virtual environment under /tmp has it: a link in `venv/bin`."""
    python = where / "venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.symlink_to(Path(sys.executable).resolve())
    return python


def test_a_test_command_may_name_an_interpreter_in_a_hidden_place(
    repo: Path, sandbox: Sandbox, tmp_path: Path
) -> None:
    # As a checkout under /tmp has its virtual environment: /tmp is the sandbox's own.
    python = linked_python(tmp_path)
    result = run_test_command(
        f"{python} -c 'print(40 + 2)'", repo, 60, 50, environ=os.environ, sandbox=sandbox
    )
    assert result.ok, result.tail
    assert "42" in result.tail


def test_a_file_named_twice_is_brought_back_once(
    repo: Path, sandbox: Sandbox, tmp_path: Path
) -> None:
    # An agent's command and resume command name the same interpreter (a link, in a virtual
    # environment under /tmp) and its directory.
    python = linked_python(tmp_path)
    confined = Confinement(repo, dict(os.environ), readable=(python, python.parent) * 2)
    command = sandbox.wrap([str(python), "-c", "print('agent ran')"], confined)
    ran = subprocess.run(command.argv, env=command.env, capture_output=True, text=True, check=False)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "agent ran\n"


def test_a_file_in_dev_shm_is_brought_back(repo: Path, sandbox: Sandbox) -> None:
    # A TMPDIR in memory holds the prompt file Baton hands the agent; the sandbox's /dev is new.
    with tempfile.TemporaryDirectory(dir=Path("/dev") / "shm") as place:
        prompt = Path(place) / "prompt.md"
        prompt.write_text("the prompt\n")
        confined = Confinement(repo, dict(os.environ), readable=(prompt,))
        command = sandbox.wrap(["cat", str(prompt)], confined)
        ran = subprocess.run(
            command.argv, env=command.env, capture_output=True, text=True, check=False
        )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "the prompt\n"


def test_dev_named_whole_stays_the_sandboxs_own(repo: Path, sandbox: Sandbox) -> None:
    # Like / and /tmp: the machine's /dev (its devices, others' files in /dev/shm) never comes in.
    with tempfile.TemporaryDirectory(dir=Path("/dev") / "shm") as place:
        (Path(place) / "theirs.txt").write_text("not for the agent\n")
        confined = Confinement(repo, dict(os.environ), readable=(Path("/dev"),))
        command = sandbox.wrap(["cat", f"{place}/theirs.txt"], confined)
        ran = subprocess.run(
            command.argv, env=command.env, capture_output=True, text=True, check=False
        )
    assert ran.returncode != 0
    assert "not for the agent" not in ran.stdout
