"""GitHub mode: chains from labelled issues, state on the `baton/state` branch, reports on the
issues and the chain's pull request. The agent works in the checked-out repository (the Action's
checkout); Baton pushes the chain's branch after every attempt."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.chain import Action
from bot.chain_file import ChainFile
from bot.config import Config, load_config
from bot.dispatcher import Dispatcher, RunOptions
from bot.errors import ConfigError, Problem
from bot.forge.github import (
    GitHubForge,
    GitHubStore,
    GitHubTickets,
    Repo,
    bot_login_from_env,
    remote_url,
)
from bot.forge.github_api import Credentials, GitHubApi, RequestStats
from bot.knowledge import report_path
from bot.local import make_agent, run_lock, select_chains
from bot.notify import Notifier
from bot.redact import Redactor
from bot.state import ChainState, StoreData
from bot.tickets import Ticket
from bot.workspace import STATE_DIR, Git

SECRET_VARIABLES = (
    "GITHUB_TOKEN",
    "BATON_GITHUB_APP_PRIVATE_KEY",
    "CURSOR_API_KEY",
    "SLACK_BOT_TOKEN",
    "SLACK_WEBHOOK_URL",
)


@dataclass
class GitHubRun:
    config: Config
    chains: list[ChainState]
    stats: RequestStats
    problems: list[Problem] = field(default_factory=list)
    planned: dict[str, list[Action]] = field(default_factory=dict)

    def report(self, chain: ChainState) -> str:
        return f"{self.config.knowledge.dir}/{report_path(chain)} on the default branch"


def credentials(env: Mapping[str, str]) -> Credentials:
    installation = env.get("BATON_GITHUB_APP_INSTALLATION_ID")
    return Credentials(
        token=env.get("GITHUB_TOKEN") or None,
        app_id=env.get("BATON_GITHUB_APP_ID") or None,
        private_key=env.get("BATON_GITHUB_APP_PRIVATE_KEY") or None,
        installation_id=int(installation) if installation and installation.isdigit() else None,
    )


def open_repo(env: Mapping[str, str], cache_dir: Path | None) -> Repo:
    """The repository named by GITHUB_REPOSITORY, through the careful client."""
    full_name = env.get("GITHUB_REPOSITORY", "")
    if "/" not in full_name:
        raise ConfigError(
            "GITHUB_REPOSITORY is not set to owner/name",
            hint="run inside GitHub Actions, set it, or pass --local",
        )
    secrets = [env[k] for k in SECRET_VARIABLES if env.get(k)]
    api = GitHubApi(
        env.get("GITHUB_API_URL") or "https://api.github.com",
        credentials(env),
        write_interval=float(env.get("BATON_GITHUB_WRITE_INTERVAL") or 1.0),
        cache_path=cache_dir / "github-etags.json" if cache_dir else None,
    )
    return Repo(api, full_name, bot_login_from_env(dict(env)), Redactor(secrets))


def chains_to_run(data: StoreData, found: dict[str, list[Ticket]]) -> list[ChainFile]:
    """Every chain the state knows (its tickets as claimed) plus the tickets found now."""
    names = sorted(set(data.chains) | set(found))
    chains = []
    for name in names:
        known = data.chains.get(name)
        tickets = [t.spec for t in known.tickets.values() if t.spec] if known else []
        seen = {t.key for t in tickets}
        tickets += [t for t in found.get(name, []) if t.key not in seen]
        if tickets:
            chains.append(ChainFile(name=name, path="github", description=None, tickets=tickets))
    return chains


def run_github(
    repo_path: Path,
    notifier: Notifier,
    *,
    environ: Mapping[str, str] | None = None,
    chain: str | None = None,
    dry_run: bool = False,
    max_minutes: float | None = None,
    crash_after: int | None = None,
) -> GitHubRun:
    env = os.environ if environ is None else environ
    git = Git.open(repo_path)
    config = load_config(git.root / ".github" / "baton.yml")
    repo = open_repo(env, git.root / STATE_DIR)
    api = repo.api
    full_name = repo.full_name
    try:
        default_branch = str(api.get_json(repo.path)["default_branch"])
        if config.branches.base is None:
            config = config.model_copy(
                update={"branches": config.branches.model_copy(update={"base": default_branch})}
            )
        store = GitHubStore(repo)
        data = store.load()
        claimed = {
            key: t.spec for c in data.chains.values() for key, t in c.tickets.items() if t.spec
        }
        issue_tickets = GitHubTickets(repo, config)
        found = issue_tickets.load(claimed)
        chains = (
            select_chains(chains_to_run(data, found.chains), chain)
            if (data.chains or found.chains)
            else []
        )
        options = RunOptions(
            dry_run=dry_run,
            deadline=time.monotonic() + max_minutes * 60 if max_minutes else None,
            crash_after=crash_after,
        )
        agent = None if dry_run or not chains else make_agent(config)
        results: list[ChainState] = []
        planned: dict[str, list[Action]] = {}
        with contextlib.nullcontext() if dry_run else run_lock(git.root):
            for chain_file in chains:
                forge = GitHubForge(
                    repo,
                    config,
                    labels=found.labels,
                    remote=remote_url(full_name, dict(env)),
                    push_token=env.get("GITHUB_TOKEN"),
                    default_branch=default_branch,
                )
                dispatcher = Dispatcher(
                    git=git,
                    config=config,
                    store=store,
                    agent=lambda: agent or make_agent(config),
                    notifier=notifier,
                    forge=forge,
                    options=options,
                )
                results.append(dispatcher.run_chain(chain_file))
                planned[chain_file.name] = dispatcher.planned
        if api.stats.writes:
            # Leave the poll cache warm: the next run, if nothing changed, costs no rate limit.
            api.get_json(repo.path)
            store.load()
            issue_tickets.poll()
        return GitHubRun(config, results, api.stats, found.problems, planned)
    finally:
        api.close()
