"""Shared by the sandbox tests: bubblewrap required (never skipped in CI), a HOME with secrets
planted where people keep them, and the probe that reports what a confined process reached."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.sandbox.bwrap import probe

PROBE = Path(__file__).resolve().parent / "fakes" / "sandbox_probe.py"
# Planted secrets: found anywhere in what a confined process saw, they leaked.
SECRETS = {
    "GITHUB_TOKEN": "ghs_plantedGitHubToken0123456789abcdefABCD",
    "SLACK_BOT_TOKEN": "xoxb-planted-slack-0123456789",
    "BATON_GITHUB_APP_PRIVATE_KEY": "planted-app-private-key-0123456789",
}
NETRC = "machine github.com login me password planted-netrc-password"
SSH_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nplanted-ssh-key\n"
GH_HOSTS = "github.com:\n  oauth_token: gho_plantedGhCliToken0123456789\n"
CARGO_CREDENTIALS = '[registry]\ntoken = "planted-cargo-token"\n'
PLANTED = (*SECRETS.values(), "planted-netrc-password", "planted-ssh-key", "gho_planted")


def require_bwrap() -> None:
    """Skip without a working bubblewrap, saying what to install; in CI, fail instead."""
    exe = shutil.which("bwrap")
    why = "bwrap is not on PATH" if exe is None else probe(exe)
    if why is None:
        return
    message = f"the sandbox tests need bubblewrap ({why}): install the `bubblewrap` package"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def plant_home(home: Path) -> dict[str, Path]:
    """A HOME with credentials where people keep them, an agent's own configuration (Claude's,
    with another project's session), and a tool directory on PATH whose credentials sit beside
    its programs. Returns the planted files by name."""
    files = {
        "netrc": home / ".netrc",
        "ssh": home / ".ssh" / "id_ed25519",
        "gh": home / ".config" / "gh" / "hosts.yml",
        "cargo_credentials": home / ".cargo" / "credentials.toml",
        "claude_settings": home / ".claude" / "settings.json",
        "claude_other_project": home / ".claude" / "projects" / "other" / "session.jsonl",
        "claude_json": home / ".claude.json",
        "tool": home / ".cargo" / "bin" / "planted-tool",
    }
    texts = {
        "netrc": NETRC,
        "ssh": SSH_KEY,
        "gh": GH_HOSTS,
        "cargo_credentials": CARGO_CREDENTIALS,
        "claude_settings": json.dumps({"model": "planted-claude-setting"}),
        "claude_other_project": "another project's conversation",
        "claude_json": json.dumps({"oauthAccount": "planted-login"}),
        "tool": "#!/bin/sh\necho planted tool ran\n",
    }
    for name, path in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(texts[name])
    files["tool"].chmod(0o755)
    files["ssh"].chmod(0o600)
    return files


def path_with_tool(home: Path) -> str:
    """PATH with the planted tool directory (and the interpreter running the tests) first."""
    parts = [str(home / ".cargo" / "bin"), str(Path(sys.executable).parent)]
    return os.pathsep.join([*parts, os.environ.get("PATH", os.defpath)])


def baton_env(home: Path) -> dict[str, str]:
    """What Baton's own environment holds in these tests: the planted HOME, PATH with the
    planted tool directory first, and Baton's secrets."""
    return {"HOME": str(home), "PATH": path_with_tool(home), **SECRETS}


def install_probe(workdir: Path) -> Path:
    """The probe, copied into the working copy: the one place a confined process surely sees
    (this checkout may itself be in a HOME the sandbox hides)."""
    target = workdir / PROBE.name
    shutil.copy(PROBE, target)
    return target


def leaks(seen: Any) -> list[str]:
    """The planted secrets found in what a probe saw."""
    text = json.dumps(seen)
    return [secret for secret in PLANTED if secret in text]
