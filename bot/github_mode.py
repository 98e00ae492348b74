"""GitHub mode: chains from labelled issues, state on the `baton/state` branch, reports on the
issues and the chain's pull request. The agent works in the checked-out repository (the Action's
checkout); Baton pushes the chain's branch after every attempt."""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.chain import Action
from bot.chain_file import ChainFile
from bot.config import Config, load_config
from bot.dispatcher import Dispatcher, RunOptions
from bot.errors import ConfigError, NotFound, Problem, StateConflict
from bot.events import (
    ReviewRequest,
    Route,
    as_recorded,
    record_path,
    review_ticket,
    route,
)
from bot.forge.github.accounting import RequestStats
from bot.forge.github.client import Credentials, GitHubApi
from bot.forge.github.commits import GitHubForge
from bot.forge.github.intake import GitHubTickets
from bot.forge.github.jobs import GitHubJobs
from bot.forge.github.publish import GitHubReports
from bot.forge.github.repo import Repo, bot_login_from_env, remote_url
from bot.forge.github.store import GitHubStateFile
from bot.forge.github.trust import Trust
from bot.forge.names import chain_of_issue
from bot.knowledge import report_path
from bot.local import make_agent, run_lock, select_chains
from bot.markers import marker
from bot.notify import Notifier
from bot.publishing import Publisher
from bot.redact import Redactor
from bot.sandbox import NoSandbox, open_sandbox
from bot.secret_names import secret_values
from bot.state import ChainState, ReviewRef, RunRef, StoreData, TicketState
from bot.store import BranchStore, Store
from bot.tickets import Ticket
from bot.workspace import STATE_DIR, Git


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


def awaiting_validation(chains: list[ChainState]) -> list[dict[str, object]]:
    """The attempts waiting for a validation job: the matrix of the workflow's validate job."""
    out: list[dict[str, object]] = []
    for chain in chains:
        for t in chain.tickets.values():
            last = t.last
            if (
                t.status == "validating"
                and last
                and last.validation_requested
                and not last.validation
            ):
                out.append({"chain": chain.name, "ticket": t.key, "attempt": last.number})
    return out


def _write_awaiting(chains: list[ChainState], env: Mapping[str, str]) -> None:
    output = env.get("GITHUB_OUTPUT")
    if output:
        with Path(output).open("a", encoding="utf-8") as handle:
            handle.write(f"awaiting={json.dumps(awaiting_validation(chains))}\n")


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
    secrets = secret_values(env)
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
    max_tickets: int | None = None,
) -> GitHubRun:
    env = os.environ if environ is None else environ
    git = Git.open(repo_path)
    config = load_config(git.root / ".github" / "baton.yml")
    repo = open_repo(env, git.root / STATE_DIR)
    api = repo.api
    full_name = repo.full_name
    try:
        store = BranchStore(GitHubStateFile(repo), repo.redact)
        data = store.load()
        # The default branch, as the chains recorded it: asked of GitHub only the first time.
        known = next((c.base_branch for c in data.chains.values()), None)
        default_branch = known or str(api.get_json(repo.path)["default_branch"])
        if config.branches.base is None:
            config = config.model_copy(
                update={"branches": config.branches.model_copy(update={"base": default_branch})}
            )
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
            max_tickets=max_tickets,
            cloud_agent=config.agent.kind == "cursor",
            validate_in_job=validate_in_job(config),
            ticket_commands=config.validation.issue_test_commands,
            run=actions_run(env),
        )
        jobs = (
            GitHubJobs(
                repo, workflow_ref=env.get("GITHUB_WORKFLOW_REF"), default_branch=default_branch
            )
            if options.run
            else None
        )
        idle = dry_run or not chains
        # Where agents and test commands run: nothing runs here in a dry run, nor with a cloud
        # agent whose work is tested in a job of its own.
        elsewhere = options.cloud_agent and options.validate_in_job
        sandbox = NoSandbox() if idle or elsewhere else open_sandbox(config.sandbox, env)
        agent = None if idle else make_agent(config, git.root, sandbox)
        results: list[ChainState] = []
        planned: dict[str, list[Action]] = {}
        problems = list(found.problems)
        handed_over: list[str] = []
        with contextlib.nullcontext() if dry_run else run_lock(git.root):
            for chain_file in chains:
                forge = GitHubForge(
                    repo,
                    remote=remote_url(full_name, dict(env)),
                    push_token=env.get("GITHUB_TOKEN"),
                    default_branch=default_branch,
                )
                publisher = Publisher(GitHubReports(repo), config.labels, found.labels, repo.redact)
                dispatcher = Dispatcher(
                    git=git,
                    config=config,
                    store=store,
                    agent=lambda: agent or make_agent(config, git.root, sandbox),
                    notifier=notifier,
                    forge=forge,
                    publisher=publisher,
                    options=options,
                    sandbox=sandbox,
                    jobs=jobs,
                )
                state = dispatcher.run_chain(chain_file)
                results.append(state)
                planned[chain_file.name] = dispatcher.planned
                problems += dispatcher.problems
                if any(h.run == options.run and h.dispatched for h in state.handovers):
                    handed_over.append(state.name)
        _write_awaiting(results, env)
        if api.stats.writes:
            # Leave the poll cache warm: the next run, if nothing changed, costs no rate limit.
            store.load()
            issue_tickets.poll()
        return GitHubRun(config, results, api.stats, problems, planned, handed_over)
    finally:
        api.close()


@dataclass
class EventRun:
    route: Route
    run: GitHubRun | None = None


def run_event(
    repo_path: Path,
    notifier: Notifier,
    *,
    event_name: str,
    event_path: Path,
    environ: Mapping[str, str] | None = None,
    max_minutes: float | None = None,
) -> EventRun:
    """`baton run --event`: what the event asks, after checking who asked; then a reconcile."""
    env = os.environ if environ is None else environ
    try:
        payload = json.loads(event_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"cannot read the event payload {event_path}: {exc}",
            hint="run inside GitHub Actions, or point GITHUB_EVENT_PATH at the event's JSON",
        ) from exc
    git = Git.open(repo_path)
    config = load_config(git.root / ".github" / "baton.yml")
    decided = route(
        event_name,
        payload if isinstance(payload, dict) else {},
        trigger_label=config.labels.trigger,
        bot_login=bot_login_from_env(dict(env)),
    )
    if decided.action == "ignore":
        return EventRun(decided)
    if decided.review is not None:
        chain = _queue_review(git.root, env, config, decided.review)
        if chain is None:
            return EventRun(Route("ignore", f"{decided.reason}: nothing to do for Baton"))
        decided = Route("reconcile", decided.reason, chain=chain)
    run = run_github(
        repo_path,
        notifier,
        environ=env,
        chain=decided.chain,
        dry_run=decided.dry_run,
        max_minutes=max_minutes,
        max_tickets=decided.max_tickets,
    )
    return EventRun(decided, run)


def _queue_review(
    root: Path, env: Mapping[str, str], config: Config, hint: ReviewRequest
) -> str | None:
    """Add a trusted review comment to its chain as a followup ticket; the chain's name, or None
    when the pull request is not a chain's or the commenter may not steer work. The payload is
    only a hint: the comment's author, text and pull request are read back from the API."""
    repo = open_repo(env, root / STATE_DIR)
    try:
        store = BranchStore(GitHubStateFile(repo), repo.redact)
        data = store.load()
        if not any(
            c.pr_number == hint.pr or (hint.head and c.branch == hint.head)
            for c in data.chains.values()
        ):
            return None  # not a chain's pull request, even by the payload's word
        request = _as_recorded(repo, hint)
        chain = _chain_of_pull(repo, data, request.pr) if request else None
        if request is None or chain is None:
            return None
        refusal = Trust(repo, config.trust).refusal(
            request.author, request.author_is_bot, "the review comment is from"
        )
        if refusal:
            # One answer per person and pull request: a flood of comments costs one write.
            who = re.sub(r"[^A-Za-z0-9_.-]", "-", request.author)  # markers take no brackets
            mark = marker(f"pr={request.pr}", f"refused={who}")
            repo.ensure_comment(
                request.pr,
                mark,
                f"{mark}\n👋 {refusal}. Baton takes review followups only from people with "
                "write access to this repository.",
                None,
            )
            return None
        ticket = review_ticket(request, chain)
        review = ReviewRef(
            comment_id=request.comment_id, kind=request.kind, pr=request.pr, author=request.author
        )
        _add_review(store, data, chain.name, ticket, review)
        return chain.name
    finally:
        repo.api.close()


def _add_review(
    store: Store, data: StoreData, name: str, ticket: Ticket, review: ReviewRef
) -> None:
    """Add the review's ticket to its chain, once. The chain's own job may be saving the state
    at the same time (it holds the chain, and picks the ticket up at its next save): a conflict
    is read again and the ticket added to what is there now."""
    key = str(ticket.key)
    for _ in range(5):
        chain = data.chains[name]
        if key in chain.tickets:
            return
        chain.tickets[key] = TicketState(key=key, title=ticket.title, spec=ticket)
        chain.reviews[key] = review
        chain.finished = False
        try:
            store.save(data.model_copy(update={"chains": {**data.chains, name: chain}}))
            return
        except StateConflict:
            data = store.load()
    raise StateConflict(
        f"the state of chain {name} kept changing while Baton added the review followup {key}",
        hint="run the review's workflow again: the comment is added once",
    )


def _as_recorded(repo: Repo, hint: ReviewRequest) -> ReviewRequest | None:
    """The review request as the API's record of its comment says it; None when GitHub has no
    such comment (any more)."""
    try:
        record = repo.api.get_json(f"{repo.path}{record_path(hint)}")
    except NotFound:
        return None
    return as_recorded(hint, record) if isinstance(record, dict) else None


def _chain_of_pull(repo: Repo, data: StoreData, pr: int) -> ChainState | None:
    """The chain whose pull request `pr` is: by the number the state recorded, or, for a chain
    that has not recorded one yet, by the pull request's head branch as the API says it."""
    chain = next((c for c in data.chains.values() if c.pr_number == pr), None)
    unnumbered = [c for c in data.chains.values() if c.pr_number is None]
    if chain is not None or not unnumbered:
        return chain
    try:
        pull = repo.api.get_json(f"{repo.path}/pulls/{pr}")
    except NotFound:
        return None
    head = ((pull or {}).get("head") or {}).get("ref")
    return next((c for c in unnumbered if head and c.branch == head), None)


# -- the chains with work, for a workflow's matrix ----------------------------------------------


def pending_chains(
    data: StoreData, found: Mapping[str, list[str]], *, include_finished: bool = False
) -> list[str]:
    """The chains a run has work in, sorted: every unfinished chain of the state, and every chain
    with a ticket the state has not seen (`found`: chain name -> the keys of its tickets now).
    With `include_finished`, every chain that has tickets."""
    names = {
        name
        for name, chain in data.chains.items()
        if chain.tickets and (include_finished or not chain.finished)
    }
    for name, keys in found.items():
        known = data.chains[name].tickets if name in data.chains else {}
        if keys and (include_finished or any(key not in known for key in keys)):
            names.add(name)
    return sorted(names)


def issue_chains(
    repo_path: Path, environ: Mapping[str, str]
) -> tuple[StoreData, dict[str, list[str]]]:
    """The state, and the open issues carrying the trigger label by chain (a claimed ticket stays
    in the chain that claimed it). Read-only: nothing is claimed, answered or labelled, so it
    needs only read access to contents and issues."""
    git = Git.open(repo_path)
    config = load_config(git.root / ".github" / "baton.yml")
    repo = open_repo(environ, git.root / STATE_DIR)
    try:
        data = BranchStore(GitHubStateFile(repo), repo.redact).load()
        issues = GitHubTickets(repo, config).poll()
    finally:
        repo.api.close()
    claimed = {key: name for name, chain in data.chains.items() for key in chain.tickets}
    found: dict[str, list[str]] = {}
    for issue in sorted(issues, key=lambda i: int(i["number"])):
        if issue.get("pull_request"):
            continue
        key = f"#{issue['number']}"
        found.setdefault(claimed.get(key) or chain_of_issue(issue), []).append(key)
    return data, found
