"""`baton validate`: the validation job. It runs where no secret is (a job with a read-only token
that may only write check runs): it tests the agent's commit with the test command of the base
configuration, reviews it against the base's rules, and leaves the result as a check run that the
next reconcile reads (`bot.validation.check_run`)."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path

from bot.config import load_config
from bot.errors import BatonError
from bot.forge import CheckRun
from bot.forge.github.checks import create_check_run
from bot.forge.github.repo import remote_url
from bot.forge.github.store import GitHubStateFile
from bot.github_mode import open_repo
from bot.reporting import _cap
from bot.sandbox import open_sandbox
from bot.state import Validation
from bot.store import BranchStore
from bot.validation.check_run import VALIDATION_CHECK, validation_id, validation_text
from bot.validation.command import share_with
from bot.validation.run import validate_here
from bot.workspace import Git


def validate_attempt(
    repo_root: Path,
    *,
    chain: str,
    key: str,
    attempt: int,
    environ: Mapping[str, str],
    run_as: str | None = None,
) -> Validation:
    git = Git.open(repo_root)  # the default branch: Baton's configuration, not the agent's
    config = load_config(git.root / ".github" / "baton.yml")
    sandbox = open_sandbox(config.sandbox, environ)  # the agent's code runs in it
    repo = open_repo(environ, None)
    try:
        data = BranchStore(GitHubStateFile(repo), repo.redact).load()
        state = data.chains.get(chain)
        ticket_state = state.tickets.get(key) if state else None
        if state is None or ticket_state is None or ticket_state.spec is None:
            raise BatonError(
                f"no ticket {key} in chain {chain}",
                hint="run baton validate with the chain and ticket that baton run printed",
            )
        if attempt < 1 or attempt > len(ticket_state.attempts):
            raise BatonError(f"ticket {key} has no attempt {attempt}")
        sha = ticket_state.attempts[attempt - 1].validation_requested
        if not sha:
            raise BatonError(f"attempt {attempt} of {key} asks for no validation")
        git.run("fetch", "-q", "--no-tags", remote_url(repo.full_name, dict(environ)), sha)
        with tempfile.TemporaryDirectory(prefix="baton-validate-") as tmp:
            work = Path(tmp) / "attempt"
            git.run("worktree", "add", "-q", "--detach", str(work), sha)
            share_with(run_as or config.validation.run_as, Path(tmp))
            try:
                validation = validate_here(
                    Git.open(work),  # opened before the agent's code runs in it
                    config,
                    ticket_state.spec,
                    base=str(ticket_state.base_commit),
                    rules_at=str(state.base_commit),
                    head=sha,
                    ticket_command=config.validation.issue_test_commands,
                    run_as=run_as,
                    sandbox=sandbox,
                )
            finally:
                git.run("worktree", "remove", "--force", str(work), check=False)
        run = CheckRun(
            name=VALIDATION_CHECK,
            conclusion="success" if validation.passed else "failure",
            title=f"{key} attempt {attempt}: {validation.summary()}"[:255],
            summary=validation.summary(),
            batches=[],
            text=_cap(repo.redact(validation_text(validation))),
        )
        create_check_run(repo, sha, run, validation_id(chain, key, attempt))
        return validation
    finally:
        repo.api.close()
