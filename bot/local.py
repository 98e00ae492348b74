"""Local mode, the embedded default: chains from `tickets/*.yml`, state in `.baton/state.json`, the
work on a branch `baton/<chain>` of the repository itself, the knowledge base committed there."""

from __future__ import annotations

import contextlib
import fcntl
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bot.agents.base import Agent
from bot.agents.cli.agent import CliAgent
from bot.chain import Action
from bot.chain_file import ChainFile, load_chain_dir
from bot.config import Config
from bot.dispatcher import Dispatcher
from bot.errors import BatonError, ConfigError, StateError
from bot.forge import LocalForge
from bot.home_branch import returning, start_base
from bot.knowledge import report_path
from bot.notify import Notifier
from bot.render.next_steps import git_command, next_steps
from bot.run_options import NO_CRASHES, Crashes, RunOptions
from bot.runtime import Project, Runtime
from bot.sandbox import NoSandbox, Sandbox
from bot.state import ChainState
from bot.state_dir import state_dir
from bot.store import load_state, local_store
from bot.validation.llm import llm_reviewer


@dataclass
class LocalRun:
    root: Path
    config: Config
    chains: list[ChainState]
    planned: dict[str, list[Action]]
    branch: str | None = None  # checked out at the end of the run
    files: list[ChainFile] = field(default_factory=list)  # the chain files it worked

    def report(self, chain: ChainState) -> str:
        """The chain's report, where it is: committed on the chain's branch."""
        path = f"{self.config.knowledge.dir}/{report_path(chain)}"
        if self.branch == chain.branch:
            return str(self.root / path)
        return f"{git_command(self._elsewhere())} show {chain.branch}:{path}"

    def next_steps(self, chain: ChainState) -> list[str]:
        return next_steps(chain, self._elsewhere())

    def _elsewhere(self) -> Path | None:
        """The repository, when this process does not run inside it."""
        return None if Path.cwd().resolve().is_relative_to(self.root.resolve()) else self.root


def make_agent(
    config: Config,
    runtime: Runtime,
    workdir: Path | None = None,
    sandbox: Sandbox | None = None,
) -> Agent:
    """The configured agent, with the runtime's environment and redactor; a CLI agent runs in
    `sandbox` (a cloud agent works elsewhere, with its key from the environment)."""
    environ = runtime.environ
    if config.agent.kind == "cursor":
        from bot.agents.cursor.agent import CursorAgent  # noqa: PLC0415 (httpx only when it is used)

        return CursorAgent.from_env(config.agent, environ, workdir)
    return CliAgent(
        config.agent,
        config.validation.test_command,
        environ=environ,
        redact=runtime.redact,
        sandbox=sandbox,
    )


@contextlib.contextmanager
def run_lock(root: Path) -> Iterator[None]:
    """One run at a time per repository; a second one says so instead of racing the first."""
    with (state_dir(root) / "run.lock").open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise StateError(
                f"another baton run is working in {root}", hint="wait for it to finish"
            ) from exc
        yield


def select_chains(chains: list[ChainFile], name: str | None) -> list[ChainFile]:
    if name is None:
        return chains
    chosen = [c for c in chains if c.name == name]
    if not chosen:
        known = ", ".join(c.name for c in chains) or "none"
        raise BatonError(f"no chain named `{name}`", hint=f"the chains here are: {known}")
    return chosen


def run_local(
    runtime: Runtime,
    project: Project,
    notifier: Notifier,
    *,
    chain: str | None = None,
    dry_run: bool = False,
    max_minutes: float | None = None,
    crashes: Crashes = NO_CRASHES,
    max_tickets: int | None = None,
    return_home: bool = True,
) -> LocalRun:
    """Work the chain files' chains (or only `chain`); with `return_home`, the user ends on the
    branch they were on (see `bot.home_branch`)."""
    git, config = project.git, project.config
    now = git.status()  # one git call: a first commit, the branch, and where to return to
    if now.head is None:
        raise BatonError(f"{git.root} has no commits yet", hint="commit the project first")
    # Once per run, before any chain switches branches: every new chain starts from the branch
    # the user is on now.
    base = start_base(now.branch, config, load_state(git.root))
    if base is not None:
        config = config.model_copy(
            update={"branches": config.branches.model_copy(update={"base": base})}
        )
    tickets_dir = git.root / config.tickets_dir
    if not tickets_dir.is_dir():
        raise ConfigError(
            f"no {config.tickets_dir}/ directory in {git.root}",
            hint="write a chain file tickets/<chain>.yml (see `baton tickets lint`)",
        )
    chains = select_chains(
        load_chain_dir(tickets_dir, allow_protected=config.allow_protected), chain
    )
    options = RunOptions(
        dry_run=dry_run,
        deadline=time.monotonic() + max_minutes * 60 if max_minutes else None,
        crashes=crashes,
        max_tickets=max_tickets,
        cloud_agent=config.agent.kind == "cursor",
    )
    store = local_store(git.root, runtime.redact)
    # Where agents and test commands run; a dry run runs neither.
    sandbox = NoSandbox() if dry_run else runtime.sandbox(config)
    # A missing agent executable is a configuration error: say so before touching anything.
    agent = None if dry_run else make_agent(config, runtime, git.root, sandbox)
    # A cloud agent reaches the code through a remote: the chain's branch is pushed to `origin`.
    remote = "origin" if config.agent.kind == "cursor" else None
    dispatcher = Dispatcher(
        git=git,
        config=config,
        store=store,
        forge=LocalForge(remote),
        agent=lambda: agent or make_agent(config, runtime, git.root, sandbox),
        notifier=notifier,
        environ=runtime.environ,
        redact=runtime.redact,
        llm=llm_reviewer(config.review.llm, runtime.environ, runtime.redact),
        options=options,
        sandbox=sandbox,
    )
    results: list[ChainState] = []
    planned: dict[str, list[Action]] = {}
    stay = dry_run or not return_home
    with (
        contextlib.nullcontext() if dry_run else run_lock(git.root),
        contextlib.nullcontext() if stay else returning(git, now),
    ):
        for chain_file in chains:
            results.append(dispatcher.run_chain(chain_file))
            planned[chain_file.name] = dispatcher.planned
    return LocalRun(
        root=git.root,
        config=config,
        chains=results,
        planned=planned,
        branch=git.branch(),
        files=chains,
    )
