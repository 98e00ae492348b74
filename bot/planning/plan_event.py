"""`baton plan --event`: the goal a GitHub event asks Baton to plan, after checking who asked.

Two events ask: a `workflow_dispatch` with a `plan` input (the goal; `chain` names the chain),
and an issue labelled `labels.plan`, whose body is the goal and whose title names the chain.
Only someone trusted starts a plan (write, maintain or admin access, or a bot in
`trust.allowed_bots`, as `bot.forge.github.trust` decides); the label's author is read from the
issue's timeline and the goal from the issue as the API has it, never from the payload.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.actions_event import actions_event
from bot.forge import LabelledBody
from bot.forge.github.frozen import body_at_label, changed_answer
from bot.forge.github.intake import GitHubTickets
from bot.planning.plan_run import chain_name
from bot.runtime import Project, Runtime
from bot.security import visible_text
from bot.state_dir import state_dir


@dataclass(frozen=True)
class Asked:
    reason: str
    goal: str | None = None  # None: nothing to plan
    chain: str | None = None
    issue: int | None = None  # the issue that asked, to answer on


def event_goal(runtime: Runtime, project: Project) -> Asked:
    name, payload = actions_event(runtime.environ)
    label = project.config.labels.plan
    if name == "workflow_dispatch":
        return _dispatched(runtime, project, payload)
    labelled = (payload.get("label") or {}).get("name")
    if name == "issues" and payload.get("action") == "labeled" and labelled == label:
        return _labelled(runtime, project, payload)
    return Asked(f"{name} asks for no plan (a dispatch's `plan` input, or the {label} label)")


def _dispatched(runtime: Runtime, project: Project, payload: dict[str, Any]) -> Asked:
    inputs = payload.get("inputs") or {}
    goal = str(inputs.get("plan") or "").strip()
    if not goal:
        return Asked("a manual run without a `plan` input asks for no plan")
    sender = payload.get("sender") or {}
    login = str(sender.get("login") or "")
    github = runtime.github(state_dir(project.git.root))
    refusal = github.trust(project.config).refusal(
        login, sender.get("type") == "Bot" or login.endswith("[bot]"), "the run was started by"
    )
    if refusal is not None:
        return Asked(f"no plan: {refusal}")
    chain = str(inputs.get("chain") or "").strip() or None
    return Asked(f"a plan asked by @{login} in a manual run", goal, chain)


def _labelled(runtime: Runtime, project: Project, payload: dict[str, Any]) -> Asked:
    number = int((payload.get("issue") or {})["number"])
    config = project.config
    github = runtime.github(state_dir(project.git.root))
    trust = github.trust(config)
    labelling = trust.labelling(number, config.labels.plan)
    refusal = trust.label_refusal(labelling)
    if refusal is not None or labelling is None:
        GitHubTickets(github.repo, config).answer_once(
            number,
            "plan",
            f"👋 {refusal}. Baton drafts a plan only when someone with write access applies "
            f"the `{config.labels.plan}` label.",
        )
        return Asked(f"no plan for issue #{number}: {refusal}")
    issue = github.repo.api.get_json(f"{github.repo.path}/issues/{number}")
    carried = LabelledBody(
        number,
        str((payload.get("sender") or {}).get("login") or ""),
        str((payload.get("issue") or {}).get("body") or ""),
    )
    body = body_at_label(issue, labelling, carried, bot_login=github.repo.bot_login)
    if body is None:
        GitHubTickets(github.repo, config).answer_once(
            number, "plan", changed_answer(config.labels.plan)
        )
        return Asked(f"no plan for issue #{number}: it changed after the label")
    goal = visible_text(body).strip()
    if not goal:
        return Asked(f"issue #{number} has no body: no goal to plan")
    title = str(issue.get("title") or "")
    chain = chain_name(title, None) if title.strip() else f"issue-{number}"
    return Asked(f"issue #{number} labelled by @{labelling.login}", goal, chain, number)


def answer(runtime: Runtime, project: Project, asked: Asked, text: str) -> None:
    """Say on the issue that asked what became of its plan (once per issue)."""
    if asked.issue is None:
        return
    github = runtime.github(state_dir(project.git.root))
    GitHubTickets(github.repo, project.config).answer_once(asked.issue, "plan", text)
