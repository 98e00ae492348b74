"""Where a chain's pull request and report can be opened on the web, for the renderers that link
them (Slack, the job summary)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Links:
    """Where a chain's pull request and report can be opened; nothing is linked without a web
    address for the repository (local mode)."""

    repository: str | None = None  # e.g. https://github.com/owner/name

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Links:
        name = environ.get("GITHUB_REPOSITORY", "")
        if "/" not in name:
            return cls()
        server = (environ.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
        return cls(f"{server}/{name}")

    def pull_request(self, number: int | None) -> str | None:
        if number is None or self.repository is None:
            return None
        return f"{self.repository}/pull/{number}"

    def file(self, path: str) -> str | None:
        """A file on the default branch (`HEAD` names it, whatever it is called)."""
        return f"{self.repository}/blob/HEAD/{path}" if self.repository else None
