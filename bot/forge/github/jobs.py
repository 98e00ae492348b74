"""Runs of Baton's workflow through the Actions API: whether a lease holder's run has finished
(`actions: read`), and a new run of this workflow for a chain (`actions: write`)."""

from __future__ import annotations

import logging
from typing import Protocol

from bot.errors import BatonError, Forbidden, ForgeError, HandoverError, NotFound, Unprocessable
from bot.forge.github.repo import Repo
from bot.workflow_runs import RunSeen

log = logging.getLogger(__name__)


def workflow_file(workflow_ref: str | None) -> str | None:
    """The file name of the workflow GITHUB_WORKFLOW_REF names
    (`owner/repo/.github/workflows/baton.yml@refs/heads/main` -> `baton.yml`), or None."""
    path = (workflow_ref or "").partition("@")[0]
    name = path.rsplit("/", 1)[-1]
    if "/.github/workflows/" not in f"/{path}" or not name.endswith((".yml", ".yaml")):
        return None
    return name


class Run(Protocol):
    """A run of a workflow: its repository and id."""

    @property
    def repository(self) -> str: ...

    @property
    def id(self) -> int: ...


class GitHubJobs:
    def __init__(self, repo: Repo, *, workflow_ref: str | None, default_branch: str) -> None:
        self.repo = repo
        self.workflow_ref = workflow_ref
        self.default_branch = default_branch

    def workflow_run(self, run: Run) -> RunSeen | None:
        if run.repository.lower() != self.repo.full_name.lower():
            return None  # the state is this repository's: its holders ran here
        try:
            data = self.repo.api.get_json(f"/repos/{run.repository}/actions/runs/{run.id}")
        except BatonError as exc:  # no `actions: read`, no such run, no answer: cannot tell
            log.info("github.run_unknown", extra={"run": run.id, "error": str(exc)})
            return None
        status = data.get("status") if isinstance(data, dict) else None
        if not isinstance(status, str):
            return None
        attempt = data.get("run_attempt")
        conclusion = data.get("conclusion")
        return RunSeen(
            status=status,
            attempt=attempt if isinstance(attempt, int) else 1,
            conclusion=conclusion if isinstance(conclusion, str) else None,
        )

    def dispatch_chain(self, chain: str) -> None:
        workflow = workflow_file(self.workflow_ref)
        if workflow is None:
            raise HandoverError(
                f"GITHUB_WORKFLOW_REF ({self.workflow_ref or 'unset'}) names no workflow file",
                hint="run baton from a workflow of this repository",
            )
        body = {"ref": self.default_branch, "inputs": {"chain": chain}}
        try:
            self.repo.api.send(
                "POST", f"{self.repo.path}/actions/workflows/{workflow}/dispatches", body
            )
        except ForgeError as exc:
            raise _dispatch_error(workflow, exc) from exc


def _dispatch_error(workflow: str, exc: ForgeError) -> HandoverError:
    if isinstance(exc, Forbidden):
        return HandoverError(
            f"GitHub refused to start {workflow} again (403)",
            hint="give the job `permissions: actions: write`",
        )
    if isinstance(exc, NotFound | Unprocessable):
        return HandoverError(
            f"GitHub would not start {workflow} for the chain ({exc.message})",
            hint=f"{workflow} on the default branch needs `on: workflow_dispatch` with an input "
            "`chain`",
        )
    return HandoverError(f"GitHub did not start {workflow} again ({exc.message})")
