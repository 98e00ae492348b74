"""The draft: the configured agent writes the chain file from the goal and the audit, and Baton
checks it (`bot.planning.plan_check`); a refused draft goes back as a correction in the same
session, at most `plan.max_corrections` times.

The planner only reads. A CLI agent works in a scratch checkout of the base commit, in the
sandbox like any agent call; after each answer Baton takes `tickets/<chain>.yml` from there and
puts everything else back as the base has it: what else the agent changed is named in a warning
and never kept. (Claude Code's `--permission-mode plan` would keep it from writing the file at
all, so the scratch checkout is the read-only mode every CLI backend shares.)
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.agents.base import Agent
from bot.agents.result import AgentResult
from bot.config import Config
from bot.errors import Problem
from bot.planning.plan_check import PlanCheck, check_plan
from bot.planning.plan_prompts import (
    PlanRequest,
    missing_file_problem,
    plan_correction_prompt,
    plan_prompt,
)
from bot.security import Redact
from bot.workspace import Git

MAX_PLAN_BYTES = 256_000  # a chain file larger than this is no plan a person can review


@dataclass
class Draft:
    """How the drafting went: the last draft's text and its check, the prompts sent, what the
    agent changed besides its file (discarded), and the agent's failure, if it failed."""

    text: str | None = None
    check: PlanCheck | None = None
    problems: list[Problem] = field(default_factory=list)  # of the last draft
    corrected: list[Problem] = field(default_factory=list)  # sent back as corrections
    prompts: int = 0
    discarded: list[str] = field(default_factory=list)
    error: str | None = None
    session_id: str | None = None
    cost_usd: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None and self.check is not None and self.check.ok


def draft_plan(
    agent: Agent,
    request: PlanRequest,
    *,
    git: Git,
    base: str,
    config: Config,
    environ: Mapping[str, str],
    redact: Redact,
) -> Draft:
    """Ask `agent` for the chain file of `request`, from the repository of `git` at `base` (a
    commit id), check it, and correct it in the same session until it passes or the
    corrections run out."""
    draft = Draft()
    home = f"plan-{request.chain}"  # the session's HOME, kept between its calls
    with scratch_checkout(git, base) as work:
        result = agent.start(
            plan_prompt(request, redact=redact), work, home, session_key=home, chain=request.chain
        )
        for correction in range(config.plan.max_corrections + 1):
            draft.prompts += 1
            _answered(draft, result)
            if draft.error is not None:
                return draft
            text, changed = take_file(git.open_at(work), base, request.path)
            draft.discarded = sorted({*draft.discarded, *changed})
            if text is None:
                draft.problems = [missing_file_problem(request.path)]
            else:
                draft.text = text
                draft.check = check_plan(
                    text, source=request.path, git=git, base=base, config=config, environ=environ
                )
                draft.problems = draft.check.problems
            if not draft.problems or correction == config.plan.max_corrections:
                return draft
            draft.corrected += draft.problems
            prompt = plan_correction_prompt(request, draft.problems, redact=redact)
            result = agent.resume(str(draft.session_id), prompt, work, home)
    return draft


def _answered(draft: Draft, result: AgentResult) -> None:
    draft.session_id = result.session_id or draft.session_id
    draft.cost_usd += result.cost_usd or 0.0
    if not result.ok:
        draft.error = result.error or "the agent failed without saying why"
    elif result.branch:
        # A cloud agent's work is on a branch of its own, not in this checkout.
        draft.error = (
            f"the {result.branch} branch holds the plan, but `baton plan` takes the chain file "
            "from a CLI agent's checkout; set agent.kind to a CLI agent for planning"
        )
    elif draft.session_id is None:
        draft.error = "the agent's answer names no session, so no correction could be sent"


@contextlib.contextmanager
def scratch_checkout(git: Git, base: str) -> Iterator[Path]:
    """A detached checkout of `base` in a temporary directory, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="baton-plan-") as tmp:
        work = Path(tmp) / "base"
        git.run("worktree", "add", "-q", "--detach", str(work), base)
        try:
            yield work
        finally:
            git.run("worktree", "remove", "--force", str(work), check=False)
            git.run("worktree", "prune", check=False)


def take_file(work: Git, base: str, path: str) -> tuple[str | None, list[str]]:
    """The text of `path` in the scratch checkout `work` (None: no regular file there, or not
    text), and the other paths the agent changed, committed or not. Afterwards the checkout is
    `base` again, with only that file written back: the next correction starts from it."""
    changed = set(work.changed_files(base)) | set(work.status().dirty)
    file = work.root / path
    text = None
    if file.is_file() and not file.is_symlink() and file.stat().st_size <= MAX_PLAN_BYTES:
        with contextlib.suppress(UnicodeDecodeError):
            text = file.read_text(encoding="utf-8")
    work.reset_to(base)
    if text is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text, encoding="utf-8")
    return text, sorted(changed - {path})
