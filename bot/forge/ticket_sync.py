"""`baton tickets push` and `pull`: chain files and GitHub issues kept in step.

Push creates or updates one issue per ticket (an issue-form body, the chain as milestone), found
again by a hidden key in the body; unchanged issues are not touched. Pull writes the issues back
as chain files: Baton's own, and those whose trigger label someone trusted applied, with the body
as the label found it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from bot.chain_file import ChainFile
from bot.errors import Problem
from bot.forge.github.frozen import body_at_label
from bot.forge.github.intake import ticket_body
from bot.forge.github.repo import Repo
from bot.forge.github.trust import Trust
from bot.forge.names import chain_of_issue
from bot.issue_form import parse_issue_body, render_issue_body
from bot.markers import marker, markers_in
from bot.tickets import Ticket

_KEY = re.compile(r"key=(?P<chain>[^:/]+)/(?P<key>.+)")


def key_marker(chain: str, key: str) -> str:
    return marker(f"key={chain}/{key}")


def _issue_key(issue: dict[str, Any], bot_login: str) -> tuple[str, str] | None:
    """(chain, key) from Baton's hidden key, trusted only in issues Baton's login wrote."""
    author = str((issue.get("user") or {}).get("login") or "")
    if author.lower() != bot_login.lower():
        return None
    for payload in markers_in(issue.get("body")):
        m = _KEY.fullmatch(payload)
        if m:
            return m.group("chain"), m.group("key")
    return None


@dataclass
class PushResult:
    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)


def push(repo: Repo, chains: list[ChainFile], *, label: str | None = None) -> PushResult:
    api = repo.api
    gh = repo.gh_repo
    issues = api.get_pages(f"{repo.path}/issues", {"state": "all"})
    by_key: dict[tuple[str, str], dict[str, Any]] = {}
    for issue in issues:
        found = _issue_key(issue, repo.bot_login)
        if found and not issue.get("pull_request"):
            by_key.setdefault(found, issue)
    milestones = {m["title"]: m for m in api.get_pages(f"{repo.path}/milestones", {"state": "all"})}
    result = PushResult()

    numbers: dict[tuple[str, str], int] = {}
    for chain in chains:
        if chain.name not in milestones:
            created = api.call(partial(gh.create_milestone, chain.name), write=True)
            milestones[chain.name] = {"number": created.number, "title": chain.name}
        for ticket in chain.tickets:
            ident = (chain.name, str(ticket.key))
            if ident in by_key:
                numbers[ident] = int(by_key[ident]["number"])
    # Pass 1: issues for new tickets, so that dependencies can name their numbers.
    for chain in chains:
        milestone = gh.get_milestone(int(milestones[chain.name]["number"]))
        for ticket in chain.tickets:
            ident = (chain.name, str(ticket.key))
            if ident in numbers:
                continue
            body = repo.redact(_body(chain.name, ticket, {}))
            labels = [label] if label else []
            issue = api.call(
                partial(
                    gh.create_issue,
                    title=ticket.title or str(ticket.key),
                    body=body,
                    milestone=milestone,
                    labels=labels,
                ),
                write=True,
            )
            numbers[ident] = int(issue.number)
            result.created.append(int(issue.number))
            by_key[ident] = {
                "number": issue.number,
                "title": ticket.title,
                "body": body,
                "labels": [{"name": name} for name in labels],
            }
    # Pass 2: every body with its dependencies as issue numbers; write only what changed.
    for chain in chains:
        deps = {key: f"#{n}" for (c, key), n in numbers.items() if c == chain.name}
        for ticket in chain.tickets:
            ident = (chain.name, str(ticket.key))
            number = numbers[ident]
            body = repo.redact(_body(chain.name, ticket, deps))
            current = by_key[ident]
            issue_obj = gh.get_issue(number)
            changed = False
            if label and label not in {lb["name"] for lb in current.get("labels") or []}:
                # `--ready` on an issue pushed before: it becomes ready now.
                api.call(partial(issue_obj.add_to_labels, label), write=True)
                changed = True
            if current.get("body") != body or current.get("title") != ticket.title:
                api.call(partial(issue_obj.edit, title=ticket.title, body=body), write=True)
                changed = True
            if number in result.created:
                continue
            (result.updated if changed else result.unchanged).append(number)
    return result


def _body(chain: str, ticket: Ticket, deps: dict[str, str]) -> str:
    mapped = [deps[d] for d in ticket.depends_on if d in deps]
    rendered = render_issue_body(ticket.model_copy(update={"depends_on": mapped}))
    return f"{rendered}\n\n{key_marker(chain, str(ticket.key))}"


@dataclass
class PullResult:
    written: list[Path] = field(default_factory=list)
    refused: list[Problem] = field(default_factory=list)


def pull(
    repo: Repo, trust: Trust, trigger_label: str, directory: Path, *, allow_protected: bool = False
) -> PullResult:
    """Open issues Baton pushed, or whose trigger label someone with write access applied (and
    unchanged since), written as `tickets/<chain>.yml`. Baton's own issues need no label: only
    people with write access may edit an issue someone else opened. `allow_protected` as the
    repository's configuration says, as when its chains run."""
    result = PullResult()
    issues = []
    listed = repo.api.get_pages(f"{repo.path}/issues", {"state": "open"})
    for issue in sorted(listed, key=lambda i: int(i["number"])):
        if issue.get("pull_request"):
            continue
        if _issue_key(issue, repo.bot_login):
            issues.append(issue)
        elif trigger_label in {lb["name"] for lb in issue.get("labels") or []}:
            labelling = trust.labelling(int(issue["number"]), trigger_label)
            refusal = trust.label_refusal(labelling)
            body = (
                body_at_label(issue, labelling, bot_login=repo.bot_login)
                if labelling and not refusal
                else None
            )
            if body is None:
                why = refusal or "changed after the trigger label"
                result.refused.append(Problem("warning", "trust", why, f"#{issue['number']}"))
            else:
                issues.append({**issue, "body": body})
    keys: dict[int, tuple[str, str]] = {}
    for issue in issues:
        number = int(issue["number"])
        chain = chain_of_issue(issue)
        found = _issue_key(issue, repo.bot_login)
        keys[number] = (found[0], found[1]) if found else (chain, f"issue-{number}")
    chains: dict[str, list[dict[str, Any]]] = {}
    for issue in sorted(issues, key=lambda i: int(i["number"])):
        number = int(issue["number"])
        chain, key = keys[number]
        ticket, problems = parse_issue_body(
            ticket_body(str(issue.get("body") or "")),
            title=str(issue.get("title")),
            allow_protected=allow_protected,
        )
        if ticket is None:  # said, never silently dropped
            error = next((p for p in problems if p.severity == "error"), None)
            why = f"not pulled: {error.field}: {error.message}" if error else "not pulled"
            result.refused.append(Problem("warning", "ticket", why, f"#{number}"))
            continue
        entry: dict[str, Any] = {"key": key, "title": ticket.title, "goal": ticket.goal}
        if ticket.context:
            entry["context"] = ticket.context
        files = ticket.files.model_dump()
        if any(files.values()):
            entry["files"] = files
        if ticket.acceptance:
            entry["acceptance"] = ticket.acceptance
        if ticket.test_command:
            entry["test_command"] = ticket.test_command
        deps = [
            keys[int(d[1:])][1]
            for d in ticket.depends_on
            if d.startswith("#") and int(d[1:]) in keys
        ]
        if deps:
            entry["depends_on"] = deps
        chains.setdefault(chain, []).append(entry)
    directory.mkdir(parents=True, exist_ok=True)
    for chain, entries in sorted(chains.items()):
        path = directory / f"{chain}.yml"
        text = yaml.safe_dump(
            {"chain": chain, "tickets": entries}, sort_keys=False, allow_unicode=True
        )
        path.write_text(text, encoding="utf-8")
        result.written.append(path)
    return result
