"""`baton validate`: the validation job. It runs where no secret is (a job with a read-only token
that may only write check runs): it tests the agent's commit with the test command of the base
configuration, reviews it against the base's rules, and leaves the result as a check run that the
next reconcile reads (`bot.validation.check_run`)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from bot.errors import BatonError
from bot.evidence.baseline import known_baseline
from bot.forge import CheckRun
from bot.forge.github.checks import create_check_run
from bot.render.markdown import cap
from bot.runtime import Project, Runtime
from bot.state import Validation
from bot.validation.check_run import VALIDATION_CHECK, validation_id, validation_text
from bot.validation.command import share_with
from bot.validation.run import validate_here


def validate_attempt(
    runtime: Runtime,
    project: Project,
    *,
    chain: str,
    key: str,
    attempt: int,
    run_as: str | None = None,
) -> Validation:
    """`project`: the default branch's checkout, whose configuration is Baton's, not the agent's."""
    git, config = project.git, project.config
    sandbox = runtime.sandbox(config)  # the agent's code runs in it
    github = runtime.github()
    repo = github.repo
    data = github.store.load()
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
    git.run("fetch", "-q", "--no-tags", github.remote(), sha)
    with tempfile.TemporaryDirectory(prefix="baton-validate-") as tmp:
        work = Path(tmp) / "attempt"
        git.run("worktree", "add", "-q", "--detach", str(work), sha)
        share_with(run_as or config.validation.run_as, Path(tmp))
        try:
            validation = validate_here(
                git.open_at(work),  # opened before the agent's code runs in it
                config,
                ticket_state.spec,
                base=str(ticket_state.base_commit),
                rules_at=str(state.base_commit),
                environ=runtime.environ,
                head=sha,
                ticket_command=config.validation.issue_test_commands,
                run_as=run_as,
                sandbox=sandbox,
                baseline=known_baseline(state, key),
            )
        finally:
            git.run("worktree", "remove", "--force", str(work), check=False)
    run = CheckRun(
        name=VALIDATION_CHECK,
        conclusion="success" if validation.passed else "failure",
        title=f"{key} attempt {attempt}: {validation.summary()}"[:255],
        summary=validation.summary(),
        batches=[],
        text=cap(repo.redact(validation_text(validation))),
    )
    create_check_run(repo, sha, run, validation_id(chain, key, attempt))
    return validation
