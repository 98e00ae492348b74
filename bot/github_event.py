"""`baton run --event`: the GitHub Actions event (GITHUB_EVENT_NAME, GITHUB_EVENT_PATH) turned into
work: what it asks, after checking who asked; then a reconcile."""

from __future__ import annotations

from dataclasses import dataclass

from bot.actions_event import actions_event
from bot.events import Route, route
from bot.forge.github.repo import bot_login_from_env
from bot.github_mode import GitHubRun, run_github
from bot.notify import Notifier
from bot.review_followup import queue_review
from bot.runtime import Project, Runtime
from bot.state_dir import state_dir


@dataclass
class EventRun:
    route: Route
    run: GitHubRun | None = None


def run_event(
    runtime: Runtime, project: Project, notifier: Notifier, *, max_minutes: float | None = None
) -> EventRun:
    env = runtime.environ
    name, payload = actions_event(env)
    decided = route(
        name,
        payload,
        trigger_label=project.config.labels.trigger,
        bot_login=bot_login_from_env(env),
    )
    if decided.action == "ignore":
        return EventRun(decided)
    state = None
    if decided.review is not None:
        github = runtime.github(state_dir(project.git.root))
        queued = queue_review(github, project.config, decided.review)
        if queued is None:
            return EventRun(Route("ignore", f"{decided.reason}: nothing to do for Baton"))
        decided = Route("reconcile", decided.reason, chain=queued.chain)
        state = queued.state
    run = run_github(
        runtime,
        project,
        notifier,
        chain=decided.chain,
        dry_run=decided.dry_run,
        max_minutes=max_minutes,
        max_tickets=decided.max_tickets,
        known_state=state,
        labelled=decided.labelled,
    )
    return EventRun(decided, run)
