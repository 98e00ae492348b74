"""GitHub mode: chains from labelled issues, state on the `baton/state` branch, reports on the
issues and the chain's pull request. The agent works in the checked-out repository (the Action's
checkout); Baton pushes the chain's branch after every attempt."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.chain import Action
from bot.chain_file import ChainFile
from bot.config import Config
from bot.dependencies import dependencies_first, outside_of
from bot.dispatcher import Dispatcher
from bot.errors import Problem
from bot.forge import LabelledBody
from bot.forge.github.accounting import RequestStats
from bot.knowledge import report_path
from bot.local import make_agent, run_lock, select_chains
from bot.notify import Notifier
from bot.relabel import retry_relabelled
from bot.run_options import NO_CRASHES, Crashes, RunOptions
from bot.runtime import Project, Runtime
from bot.sandbox import NoSandbox
from bot.state import ChainState, RunRef, StoreData
from bot.state_dir import state_dir
from bot.store import Store
from bot.tickets import Ticket
from bot.validation.llm import llm_reviewer
from bot.workflow_matrix import awaiting_validation


@dataclass
class GitHubRun:
    config: Config
    chains: list[ChainState]
    stats: RequestStats
    problems: list[Problem] = field(default_factory=list)
    planned: dict[str, list[Action]] = field(default_factory=dict)
    handed_over: list[str] = field(default_factory=list)  # chains a new job goes on with

    def report(self, chain: ChainState) -> str:
        return f"{self.config.knowledge.dir}/{report_path(chain)} on the default branch"


def validate_in_job(config: Config) -> bool:
    """The agent's code is tested inline, in the sandbox, everywhere; in a job of its own only
    when the configuration asks for it (`validation.where: job`)."""
    return config.validation.where == "job"


def actions_run(env: Mapping[str, str]) -> RunRef | None:
    """This run of a GitHub Actions workflow, from the variables Actions sets; None elsewhere."""
    run_id, attempt = env.get("GITHUB_RUN_ID", ""), env.get("GITHUB_RUN_ATTEMPT", "1")
    repository = env.get("GITHUB_REPOSITORY", "")
    if env.get("GITHUB_ACTIONS") != "true" or not run_id.isdigit() or "/" not in repository:
        return None
    return RunRef(
        repository=repository, id=int(run_id), attempt=int(attempt) if attempt.isdigit() else 1
    )


def _write_awaiting(chains: list[ChainState], env: Mapping[str, str]) -> None:
    output = env.get("GITHUB_OUTPUT")
    if output:
        with Path(output).open("a", encoding="utf-8") as handle:
            handle.write(f"awaiting={json.dumps(awaiting_validation(chains))}\n")


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


class _ReadOnce:
    """The store, whose next load is the state this run has just read: the first chain starts
    from it instead of asking GitHub again. Every later load asks the store; a save that meets
    a newer state is a conflict there, as ever."""

    def __init__(self, store: Store, data: StoreData) -> None:
        self.store = store
        self._data: StoreData | None = data

    def load(self) -> StoreData:
        data, self._data = self._data, None
        return data.model_copy(deep=True) if data is not None else self.store.load()

    def save(self, data: StoreData) -> StoreData:
        self._data = None
        return self.store.save(data)


def run_github(
    runtime: Runtime,
    project: Project,
    notifier: Notifier,
    *,
    chain: str | None = None,
    dry_run: bool = False,
    max_minutes: float | None = None,
    crashes: Crashes = NO_CRASHES,
    max_tickets: int | None = None,
    known_state: StoreData | None = None,
    labelled: LabelledBody | None = None,
) -> GitHubRun:
    """Reconcile every chain of the repository's issues (or only `chain`). `known_state`: the state
    as this run has just read it (a review followup's event), so that it is not read again;
    `labelled`: the body the labeled event that started this run carried."""
    env, git, config = runtime.environ, project.git, project.config
    github = runtime.github(state_dir(git.root))
    api = github.repo.api
    data = github.store.load() if known_state is None else known_state
    # The default branch, as the chains recorded it: asked of GitHub only the first time.
    known = next((c.base_branch for c in data.chains.values()), None)
    default_branch = known or str(api.get_json(github.repo.path)["default_branch"])
    if config.branches.base is None:
        config = config.model_copy(
            update={"branches": config.branches.model_copy(update={"base": default_branch})}
        )
    issue_tickets = github.tickets(config)
    if not dry_run:
        data = retry_relabelled(data, labelled, issue_tickets, github.store)
    claimed = {key: t.spec for c in data.chains.values() for key, t in c.tickets.items() if t.spec}
    found = issue_tickets.load(claimed, labelled)
    every = chains_to_run(data, found.chains)
    chains = dependencies_first(select_chains(every, chain) if every else [])
    options = RunOptions(
        dry_run=dry_run,
        deadline=time.monotonic() + max_minutes * 60 if max_minutes else None,
        crashes=crashes,
        max_tickets=max_tickets,
        cloud_agent=config.agent.kind == "cursor",
        validate_in_job=validate_in_job(config),
        ticket_commands=config.validation.issue_test_commands,
        run=actions_run(env),
    )
    jobs = github.jobs(default_branch) if options.run else None
    idle = dry_run or not chains
    # Where agents and test commands run: nothing runs here in a dry run, nor with a cloud
    # agent whose work is tested in a job of its own.
    elsewhere = options.cloud_agent and options.validate_in_job
    sandbox = NoSandbox() if idle or elsewhere else runtime.sandbox(config)
    agent = None if idle else make_agent(config, runtime, git.root, sandbox)
    llm = llm_reviewer(config.review.llm, env, runtime.redact)
    store = _ReadOnce(github.store, data)
    results: list[ChainState] = []
    planned: dict[str, list[Action]] = {}
    problems = list(found.problems)
    handed_over: list[str] = []
    with contextlib.nullcontext() if dry_run else run_lock(git.root):
        for chain_file in chains:
            dispatcher = Dispatcher(
                git=git,
                config=config,
                store=store,
                agent=lambda: agent or make_agent(config, runtime, git.root, sandbox),
                notifier=notifier,
                environ=env,
                redact=runtime.redact,
                llm=llm,
                forge=github.forge(default_branch),
                publisher=github.publisher(config, found.labels),
                options=options,
                sandbox=sandbox,
                jobs=jobs,
            )
            states = {**data.chains, **{s.name: s for s in results}}
            outside = outside_of(chain_file, every, states, issue_tickets.issue_state)
            state = dispatcher.run_chain(chain_file, outside)
            results.append(state)
            planned[chain_file.name] = dispatcher.planned
            problems += dispatcher.problems
            if any(h.run == options.run and h.dispatched for h in state.handovers):
                handed_over.append(state.name)
    _write_awaiting(results, env)
    if api.stats.writes:
        # Leave the poll cache warm: the next run, if nothing changed, costs no rate limit.
        github.store.load()
        issue_tickets.poll()
    return GitHubRun(config, results, api.stats, problems, planned, handed_over)
