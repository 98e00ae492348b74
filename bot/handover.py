"""Handing a chain over to a new job. Inside GitHub Actions a chain's job has a time budget
(`--max-minutes`); when it is spent with work left, the job does not leave the chain to the next
schedule tick: it starts its own workflow again for that chain at once (`workflow_dispatch`), and
the new job goes on where this one stopped. Once per run and chain, recorded in the chain's state.

The decision is pure (`handover_due`); the dispatch goes through the `Jobs` port, whose GitHub
adapter is `bot.forge.github.jobs.GitHubJobs`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.chain import Action, Wait
from bot.errors import Problem
from bot.state import ChainState, Handover, RunRef
from bot.transitions import Moved, Note
from bot.workflow_runs import RunSeen


class Jobs(Protocol):
    """The runs of Baton's own workflow, inside GitHub Actions."""

    def workflow_run(self, run: RunRef) -> RunSeen | None:
        """The run as the Actions API sees it now; None when that cannot be told (no access,
        no answer): never an error."""
        ...

    def dispatch_chain(self, chain: str) -> None:
        """Start this workflow again for `chain` (on the default branch). Raises HandoverError."""
        ...


def handover_due(state: ChainState, next_actions: Sequence[Action], run: RunRef | None) -> bool:
    """Whether a run that stops for its time budget should hand the chain over: it runs inside
    Actions (`run`), the chain has something to do now (`next_actions`, from `chain.plan`; a
    wait for a validation job is nothing a new job could do sooner), and this run has not handed
    it over already."""
    if run is None or state.finished or not next_actions or isinstance(next_actions[0], Wait):
        return False
    return not any(h.run == run for h in state.handovers)


def handed_over(state: ChainState, run: RunRef, error: str | None) -> Moved:
    """The chain after `run` asked for a new job to go on with it (`error`: why none could be
    started): the handover recorded, and the chain let go of, for the new job to take at once."""
    handover = Handover(run=run, dispatched=error is None, error=error)
    changes = {"handovers": [*state.handovers, handover], "lease": None}
    new = state.model_copy(update=changes)
    if error is not None:
        return Moved(new)
    backend = new.sessions[-1].backend if new.sessions else None
    return Moved(new, [Note("handed_over", f"continued in a new job: {continuation(backend)}")])


def not_handed_over(chain: str, error: str) -> Problem:
    return Problem(
        "warning",
        "handover",
        f"the time budget was spent with work left, and no new job could be started: {error}",
        source=f"chain {chain}",
    )


def continuation(backend: str | None) -> str:
    """How the next job goes on with the chain's session."""
    if backend == "cursor":
        return "the same Cursor agent goes on"
    return "a CLI agent's session lived in this job's HOME, so the next job recovers it from the knowledge base"


def handover_line(handover: Handover, backend: str | None) -> str:
    """One line for the report and the pull request."""
    when = f"{handover.at:%Y-%m-%d %H:%M} UTC"
    if handover.dispatched:
        return (
            f"{when}: the time budget of {handover.run.describe()} was spent with work left; "
            f"continued in a new job ({continuation(backend)})."
        )
    return (
        f"{when}: the time budget of {handover.run.describe()} was spent with work left, and no "
        f"new job could be started ({handover.error or 'no reason given'}); the schedule goes on "
        "with the chain."
    )


def handover_lines(state: ChainState) -> list[str]:
    backend = state.sessions[-1].backend if state.sessions else None
    return [handover_line(h, backend) for h in state.handovers]
