"""What a workflow's matrix is made of: the chains with work now, and the attempts waiting for a
validation job."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from bot.chain import awaiting_job
from bot.state import ChainState, StoreData
from bot.state_dir import state_dir

if TYPE_CHECKING:
    from bot.runtime import Project, Runtime


def awaiting_validation(chains: list[ChainState]) -> list[dict[str, object]]:
    """The attempts waiting for a validation job: the matrix of the workflow's validate job."""
    return [
        {"chain": chain.name, "ticket": key, "attempt": attempt}
        for chain in chains
        for key, attempt, _ in awaiting_job(chain)
    ]


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


def issue_chains(runtime: Runtime, project: Project) -> tuple[StoreData, dict[str, list[str]]]:
    """The state, and the open issues carrying the trigger label by chain (a claimed ticket stays
    in the chain that claimed it). Read-only: nothing is claimed, answered or labelled, so it
    needs only read access to contents and issues."""
    from bot.forge.names import chain_of_issue  # noqa: PLC0415 (PyGithub, when used)

    github = runtime.github(state_dir(project.git.root))
    data = github.store.load()
    issues = github.tickets(project.config).poll()
    claimed = {key: name for name, chain in data.chains.items() for key in chain.tickets}
    found: dict[str, list[str]] = {}
    for issue in sorted(issues, key=lambda i: int(i["number"])):
        if issue.get("pull_request"):
            continue
        key = f"#{issue['number']}"
        found.setdefault(claimed.get(key) or chain_of_issue(issue), []).append(key)
    return data, found
