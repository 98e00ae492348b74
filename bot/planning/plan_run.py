"""`baton plan` end to end: the audit, the draft and its checks, and the hand-over. Locally the
chain file is written into the working copy (and the audit into the knowledge base) for a person
to read, change and commit; with `push`, both arrive as a pull request on GitHub for a person to
review. Nothing here runs a ticket: a plan is worked only after a person approves it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bot.chain_file import KEY_RE, ChainFile, unfit_for_branch
from bot.errors import BatonError
from bot.forge.names import slug
from bot.knowledge import read_knowledge
from bot.planning.audit import audit_repository
from bot.planning.audit_md import audit_markdown, audit_path
from bot.planning.draft import Draft, draft_plan
from bot.planning.plan_check import Check
from bot.planning.plan_prompts import PlanRequest, plan_prompt
from bot.render.plan_view import plan_markdown
from bot.runtime import Project, Runtime
from bot.state_dir import state_dir


@dataclass(frozen=True)
class PlanOptions:
    goal: str
    chain: str | None = None
    audit_file: Path | None = None  # a person's audit, used instead of Baton's
    push: bool = False
    dry_run: bool = False


@dataclass
class PlanOutcome:
    request: PlanRequest
    base: str  # the commit the plan was made and checked at
    audit_file: str  # where the knowledge base keeps the audit (repository path)
    draft: Draft | None = None  # None: a dry run
    prompt: str = ""  # the planner's first prompt (what a dry run shows)
    written: str | None = None  # the chain file, written locally
    rejected: Path | None = None  # a refused draft, kept for a person to look at
    proposed: str | None = None  # the branch of the pull request
    notes: list[str] = field(default_factory=list)


def chain_name(goal: str, chain: str | None) -> str:
    """`chain`, or a name made from the goal's first words."""
    name = chain if chain is not None else slug(" ".join(goal.split()[:6]))[:40].strip("-.")
    if not re.fullmatch(KEY_RE, name) or unfit_for_branch(name):
        raise BatonError(
            f"`{name}` is not a valid chain name",
            hint=f"pass --chain matching {KEY_RE}, without `..` and not ending in `.lock`",
        )
    return name


def run_plan(runtime: Runtime, project: Project, options: PlanOptions) -> PlanOutcome:
    git, config = project.git, project.config
    if not options.goal.strip():
        raise BatonError("the goal is empty", hint='say what the chain is for: baton plan "GOAL"')
    if not git.has_commits():
        raise BatonError(f"{git.root} has no commits yet", hint="commit the project first")
    base = git.head()
    chain = chain_name(options.goal, options.chain)
    path = f"{config.tickets_dir}/{chain}.yml"
    if git.files_at(base, [path])[path] is not None:
        raise BatonError(f"{path} exists already", hint="pass --chain with a new chain's name")
    day = datetime.now(UTC).date()
    sandbox = runtime.sandbox(config)
    if options.audit_file is not None:
        try:
            audit = options.audit_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise BatonError(
                f"cannot read the audit {options.audit_file}: {exc}",
                hint="pass --audit a Markdown file, or leave it out for Baton's own audit",
            ) from exc
    else:
        made = audit_repository(
            git, base, config, chain=chain, environ=runtime.environ, sandbox=sandbox
        )
        audit = audit_markdown(made)
    audit = runtime.redact(audit)
    audit_file = audit_path(Path(), config, chain, day).as_posix()
    request = PlanRequest(
        goal=options.goal,
        chain=chain,
        path=path,
        audit=audit,
        knowledge=read_knowledge(git, base, config.knowledge.dir),
        max_files_per_ticket=config.plan.max_files_per_ticket,
    )
    outcome = PlanOutcome(request, base, audit_file)
    if options.dry_run:
        outcome.prompt = plan_prompt(request, redact=runtime.redact)
        return outcome
    from bot.local import make_agent  # noqa: PLC0415 (the agents, only for a real draft)

    agent = make_agent(config, runtime, git.root, sandbox)
    draft = draft_plan(
        agent,
        request,
        git=git,
        base=base,
        config=config,
        environ=runtime.environ,
        redact=runtime.redact,
    )
    outcome.draft = draft
    check = draft.check
    if not draft.ok or check is None or check.chain is None:
        if draft.text is not None:
            outcome.rejected = state_dir(git.root) / "plans" / f"{chain}.yml"
            outcome.rejected.parent.mkdir(exist_ok=True)
            outcome.rejected.write_text(draft.text, encoding="utf-8")
        return outcome
    text = runtime.redact(draft.text or "")
    if options.push:
        outcome.proposed = _propose(
            runtime, project, outcome, text, chain=check.chain, checks=check.checks
        )
        return outcome
    for name, content in ((path, text), (audit_file, audit)):
        file = git.root / name
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(content, encoding="utf-8")
    outcome.written = path
    return outcome


def _propose(
    runtime: Runtime,
    project: Project,
    outcome: PlanOutcome,
    text: str,
    *,
    chain: ChainFile,
    checks: list[Check],
) -> str:
    """The chain file and the audit, committed on `<prefix>plan-<chain>` off the default
    branch, with one open pull request for a person to review. Its branch."""
    git, config = project.git, project.config
    github = runtime.github(state_dir(git.root))
    default_branch = str(github.repo.api.get_json(github.repo.path)["default_branch"])
    request = outcome.request
    branch = f"{config.branches.prefix}plan-{request.chain}"
    files = {request.path: text, outcome.audit_file: request.audit}
    github.forge(default_branch).propose_files(
        git,
        branch,
        lambda _read: files,
        message=f"baton: plan of chain {request.chain}",
        title=f"Baton: plan for chain {request.chain}",
        body=plan_markdown(request.goal, chain, checks, runtime.redact),
    )
    return branch
