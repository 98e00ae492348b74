"""The building of the GitHub objects a run works through: one client for the repository named by
GITHUB_REPOSITORY, the state's store on it, and the issue tickets, the chain's forge and the
workflow jobs, all from the environment the entry point passed down."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.config import Config
from bot.errors import ConfigError
from bot.forge.github.client import Credentials, GitHubApi
from bot.forge.github.commits import GitHubForge
from bot.forge.github.intake import GitHubTickets
from bot.forge.github.jobs import GitHubJobs
from bot.forge.github.publish import GitHubReports
from bot.forge.github.repo import Repo, bot_login_from_env, remote_url
from bot.forge.github.store import GitHubStateFile
from bot.forge.github.trust import Trust
from bot.publishing import Publisher
from bot.redact import Redactor
from bot.store import BranchStore


def credentials(env: Mapping[str, str]) -> Credentials:
    installation = env.get("BATON_GITHUB_APP_INSTALLATION_ID")
    return Credentials(
        token=env.get("GITHUB_TOKEN") or None,
        app_id=env.get("BATON_GITHUB_APP_ID") or None,
        private_key=env.get("BATON_GITHUB_APP_PRIVATE_KEY") or None,
        installation_id=int(installation) if installation and installation.isdigit() else None,
    )


def open_repo(env: Mapping[str, str], cache_dir: Path | None, redact: Redactor) -> Repo:
    """The repository named by GITHUB_REPOSITORY, through the careful client."""
    full_name = env.get("GITHUB_REPOSITORY", "")
    if "/" not in full_name:
        raise ConfigError(
            "GITHUB_REPOSITORY is not set to owner/name",
            hint="run inside GitHub Actions, set it, or pass --local",
        )
    api = GitHubApi(
        env.get("GITHUB_API_URL") or "https://api.github.com",
        credentials(env),
        write_interval=float(env.get("BATON_GITHUB_WRITE_INTERVAL") or 1.0),
        cache_path=cache_dir / "github-etags.json" if cache_dir else None,
    )
    return Repo(api, full_name, bot_login_from_env(env), redact)


@dataclass
class GitHub:
    """The repository and its state's store, one of each for the whole run."""

    env: Mapping[str, str]
    repo: Repo
    store: BranchStore

    def tickets(self, config: Config) -> GitHubTickets:
        return GitHubTickets(self.repo, config)

    def trust(self, config: Config) -> Trust:
        return Trust(self.repo, config.trust)

    def forge(self, default_branch: str) -> GitHubForge:
        """A chain's branch and files: pushes, fetches, knowledge commits."""
        return GitHubForge(
            self.repo,
            remote=remote_url(self.repo.full_name, self.env),
            push_token=self.env.get("GITHUB_TOKEN"),
            default_branch=default_branch,
        )

    def publisher(self, config: Config, labels: dict[int, set[str]]) -> Publisher:
        """What a chain shows people: labels, comments, its pull request, checks."""
        return Publisher(GitHubReports(self.repo), config.labels, labels, self.repo.redact)

    def jobs(self, default_branch: str) -> GitHubJobs:
        """This workflow's jobs: a chain with work left goes on in a new one."""
        return GitHubJobs(
            self.repo,
            workflow_ref=self.env.get("GITHUB_WORKFLOW_REF"),
            default_branch=default_branch,
        )

    def remote(self) -> str:
        """The repository's git remote (BATON_GIT_REMOTE, or the server's URL)."""
        return remote_url(self.repo.full_name, self.env)

    def close(self) -> None:
        self.repo.api.close()


def open_github(env: Mapping[str, str], cache_dir: Path | None, redact: Redactor) -> GitHub:
    repo = open_repo(env, cache_dir, redact)
    return GitHub(env, repo, BranchStore(GitHubStateFile(repo), repo.redact))
