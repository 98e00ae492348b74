"""Fixtures of the tests of the real agent CLIs (test_real_*.py), for the CLI each of those modules
names in its `kind` fixture: the installed CLI, a HOME and a git working copy of the test's own,
the scripted model endpoint where the CLI looks for its model, and the sandboxes a session test
runs in. (Other modules here that need a HOME or a sandbox define their own.)"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.sandbox import NoSandbox, Sandbox, open_sandbox
from tests.fakes.models import ModelEndpoint, Script
from tests.real_cli import OutboundTrap, real_cli, write_user_config
from tests.sandbox_support import require_bwrap

# The test command's script: it prints the words of notes.txt.
CHECK = "import pathlib\nprint('check ok:', pathlib.Path('notes.txt').read_text().split())\n"


@pytest.fixture
def cli(kind: str) -> Path:
    return real_cli(kind)


@pytest.fixture
def home(kind: str, tmp_path: Path, disk_tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A HOME of the test's own (where the CLI keeps its configuration and its sessions), so that
    nothing of the machine's is read or written. Codex's is outside the temp directory, as a
    user's is: Codex does not set up its sandbox helper under the temp directory (a test in
    test_real_codex.py shows it), nor where its own sandbox cannot see (`disk_tmp_path`)."""
    home = (disk_tmp_path if kind == "codex" else tmp_path) / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    if kind == "codex":
        temp = tmp_path / "tmp"
        temp.mkdir()
        monkeypatch.setenv("TMPDIR", str(temp))
    return home


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A git working copy with the test command's script."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "check.py").write_text(CHECK, encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    return work


@pytest.fixture
def model(kind: str, home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModelEndpoint]:
    """The endpoint (its turns added by each test) in the CLI's environment and, where the CLI
    reads its model provider from its configuration (Codex), there too. Afterwards: the CLI
    asked nothing of any other host (telemetry, updates) and nothing the endpoint does not
    serve."""
    with ModelEndpoint(Script([])) as endpoint, OutboundTrap() as trap:
        write_user_config(home, kind, endpoint.url)
        for name, value in {**endpoint.env_for(kind), **trap.env}.items():
            monkeypatch.setenv(name, value)
        yield endpoint
        assert endpoint.unrouted == []
        assert trap.requests == []


@pytest.fixture(params=["unconfined", "bwrap"])
def sandbox(request: pytest.FixtureRequest, home: Path) -> Sandbox:
    """A session test runs twice: unconfined, and inside Baton's bubblewrap sandbox (opened, as
    Baton opens it, for the test's HOME)."""
    if request.param == "unconfined":
        return NoSandbox()
    require_bwrap()
    return open_sandbox("bwrap", os.environ)
