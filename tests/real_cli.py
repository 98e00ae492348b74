"""The real agent CLIs, as the project's own scripts install them (`./dev check`, pinned in
tests/agent_clis/), a trap for any request they make that is not to the scripted endpoint, and
what their tests share: the test command, the CLI's own configuration in a HOME, Baton's agent.

    claude = real_cli("claude")          # skips the test (fails it in CI) when it is missing
    with ModelEndpoint(script) as endpoint, OutboundTrap() as trap:
        write_user_config(home, "claude", endpoint.url)
        env = {**endpoint.env_for("claude"), **trap.env}
        ...
        assert trap.requests == []       # the CLI talked to the endpoint and nowhere else
"""

from __future__ import annotations

import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest

from bot.agents.cli.agent import CliAgent
from bot.agents.result import AgentResult
from bot.config import AgentConfig
from bot.redact import from_environment
from bot.sandbox import Sandbox
from tests.fakes.models import ModelEndpoint, gemini, openai

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".tools" / "agent-clis" / "node_modules" / ".bin"
# The test command every real-CLI test configures; its script, check.py, is each test's own.
TEST_COMMAND = "python3 check.py"


def real_cli(name: str) -> Path:
    """The installed executable `name` (claude, codex, gemini). Missing: the test fails in CI,
    which must run them, and is skipped elsewhere, with the command that installs them."""
    path = BIN / name
    if path.is_file() and os.access(path, os.X_OK):
        return path
    message = f"the real `{name}` CLI is not installed in {BIN.relative_to(ROOT)}: run ./dev check"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI must run the real CLIs)")
    pytest.skip(f"{message} first")


def write_user_config(home: Path, kind: str, url: str) -> None:
    """The CLI's own configuration in `home`, as its user keeps it: Codex's model provider (the
    endpoint at `url`) in ~/.codex/config.toml, Gemini CLI's choice of an API key in
    ~/.gemini/settings.json; Claude Code needs none (its environment names the endpoint)."""
    home.mkdir(parents=True, exist_ok=True)
    if kind == "codex":
        (home / ".codex").mkdir()
        (home / ".codex" / "config.toml").write_text(openai.config_toml(url))
    elif kind == "gemini":
        (home / ".gemini").mkdir()
        (home / ".gemini" / "settings.json").write_text(gemini.settings_json())


def agent_for(cli: Path, sandbox: Sandbox | None = None, **settings: object) -> CliAgent:
    """Baton's agent for the real CLI `cli` (its name is its kind), configured as a user does
    (`agent: {kind: ...}`, `settings` besides), with TEST_COMMAND as the test command."""
    config = AgentConfig.model_validate(
        {"kind": cli.name, "executable": str(cli), "timeout_minutes": 2, **settings}
    )
    return CliAgent(
        config,
        TEST_COMMAND,
        environ=os.environ,
        redact=from_environment(os.environ),
        sandbox=sandbox,
    )


def assert_played(result: AgentResult, model: ModelEndpoint, summary: str) -> None:
    """The attempt passed as scripted: in a session, every turn of the model's played, its last
    answer `summary`."""
    assert result.ok, result.error
    assert result.session_id
    assert result.summary == summary
    assert model.script.remaining == 0


def assert_went_on(first: AgentResult, second: AgentResult, summary: str) -> None:
    """`second` passed in the session of `first`, the model's last answer `summary`."""
    assert second.ok, second.error
    assert second.session_id == first.session_id
    assert second.summary == summary


class OutboundTrap:
    """A proxy that refuses everything and records what was asked of it. Its `env` points a
    CLI's proxy variables here, except for 127.0.0.1 (the scripted endpoint): a request to any
    other host (telemetry, update checks, error reports) is recorded instead of leaving."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def env(self) -> dict[str, str]:
        assert self._server is not None
        url = f"http://127.0.0.1:{self._server.server_address[1]}"
        names = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
        proxies = {n: url for name in names for n in (name, name.lower())}
        direct = "127.0.0.1,localhost"
        return {**proxies, "NO_PROXY": direct, "no_proxy": direct}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        trap = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                del format, args

            def _refuse(self) -> None:
                trap.requests.append(f"{self.command} {self.path}")
                self.send_response(403)
                self.send_header("content-length", "0")
                self.end_headers()

            do_CONNECT = do_GET = do_POST = do_PUT = do_HEAD = _refuse

        return Handler

    def __enter__(self) -> OutboundTrap:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()
