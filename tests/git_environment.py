"""The tests' git: a fixed identity, and a configuration of the tests' own (tests/gitconfig)
instead of the machine's."""

from __future__ import annotations

from pathlib import Path

CONFIG = Path(__file__).with_name("gitconfig")
ENVIRONMENT = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_CONFIG_GLOBAL": str(CONFIG),
    "GIT_CONFIG_NOSYSTEM": "1",
}
