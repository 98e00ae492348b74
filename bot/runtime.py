"""What a command works with, built once by the entry point from its environment and passed down:
the environment itself (nothing below the entry point reads `os.environ`), one redactor for the
secrets it holds, one GitHub client, the notifiers and the sandbox, each made at first use.

Heavy modules are imported where a piece is first made, so that `baton --help` stays quick.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config import Config
    from bot.github_objects import GitHub
    from bot.notify import Notifier, Notifiers
    from bot.redact import Redactor
    from bot.sandbox import Sandbox
    from bot.workspace import Git


@dataclass(frozen=True)
class Project:
    """A repository's working copy and its configuration (.github/baton.yml), read once."""

    git: Git
    config: Config

    @classmethod
    def open(cls, path: Path, environ: Mapping[str, str]) -> Project:
        """The working copy at `path`, its git run in `environ` (Baton's) less its secrets."""
        from bot.config import load_config  # noqa: PLC0415 (pydantic only when it is used)
        from bot.workspace import Git  # noqa: PLC0415

        git = Git.open(path, environ)
        return cls(git, load_config(git.root / ".github" / "baton.yml"))


@dataclass
class Runtime:
    environ: Mapping[str, str]
    redact: Redactor
    _github: GitHub | None = field(default=None, repr=False)
    _sandbox: Sandbox | None = field(default=None, repr=False)
    _notifiers: Notifiers | None = field(default=None, repr=False)
    _flush_seconds: float = field(default=10.0, repr=False)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Runtime:
        """The runtime of this environment (a copy: it does not change under the run)."""
        from bot.redact import from_environment  # noqa: PLC0415 (RE2, not for --help)

        env = dict(environ)
        return cls(env, from_environment(env))

    def console(self) -> Notifier:
        """The terminal's notifier: one line per ticket event, on stderr."""
        from bot.notify.console import ConsoleNotifier  # noqa: PLC0415 (rich, when used)

        return ConsoleNotifier(redact=self.redact)

    def notifiers(self, config: Config) -> Notifiers:
        """The console, and Slack when the environment holds its token or webhook URL."""
        if self._notifiers is None:
            from bot.notify.factory import build_notifiers  # noqa: PLC0415

            self._notifiers = build_notifiers(config, self.environ, self.console(), self.redact)
            self._flush_seconds = config.notify.slack.flush_seconds
        return self._notifiers

    def flush_notifiers(self) -> None:
        """At the end of a run: wait (bounded) for what the notifiers still have to send."""
        if self._notifiers is not None:
            self._notifiers.flush(self._flush_seconds)

    def github(self, cache_dir: Path | None = None) -> GitHub:
        """The repository named by GITHUB_REPOSITORY, through the one client of this run (its
        poll cache in `cache_dir`, when given at the first call)."""
        if self._github is None:
            from bot.github_objects import open_github  # noqa: PLC0415 (PyGithub, when used)

            self._github = open_github(self.environ, cache_dir, self.redact)
        return self._github

    def sandbox(self, config: Config) -> Sandbox:
        """Where agents and test commands run, chosen once from the configuration and here."""
        if self._sandbox is None:
            from bot.sandbox import open_sandbox  # noqa: PLC0415

            self._sandbox = open_sandbox(config.sandbox, self.environ)
        return self._sandbox

    def close(self) -> None:
        """Close the GitHub client (its poll cache is saved for the next run)."""
        if self._github is not None:
            self._github.close()
            self._github = None
