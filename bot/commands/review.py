"""`baton review`: the findings of a change against the conventions, as text, JSON or GitHub
workflow commands."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from bot.commands.inputs import read_text, repo_option, report
from bot.errors import BatonError
from bot.runtime import Runtime


def _commit(git: Any, ref: str, option: str) -> str:
    if ref.startswith("-"):
        raise BatonError(f"{option} {ref!r} is not a ref", hint="pass a branch, tag or commit")
    sha: str = git.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
    if not sha:
        raise BatonError(
            f"{option} {ref} is not a commit in {git.root}",
            hint="fetch it first (e.g. `git fetch origin main`) or pass a commit sha",
        )
    return sha


def _ticket(path: Path, key: str | None, allow_protected: bool) -> Any:
    """The ticket of a chain file (by --key; the only one when it holds one) or an issue body;
    `allow_protected` as the configuration at the base says."""
    from bot.chain_file import parse_chain_file
    from bot.errors import TicketError
    from bot.issue_form import parse_issue_body

    if path.suffix in {".yml", ".yaml"}:
        chain, problems = parse_chain_file(path, allow_protected=allow_protected)
        if chain is None:
            raise TicketError(problems)
        keys = [t.key for t in chain.tickets]
        if key is None and len(chain.tickets) == 1:
            return chain.tickets[0]
        found = [t for t in chain.tickets if key is not None and t.key == key]
        if not found:
            what = f"no ticket `{key}` in {path}" if key else f"{path} holds {len(keys)} tickets"
            raise BatonError(what, hint=f"pass --key with one of: {', '.join(map(str, keys))}")
        return found[0]
    ticket, problems = parse_issue_body(
        read_text(path), key=key, source=str(path), allow_protected=allow_protected
    )
    if ticket is None:
        raise TicketError(problems)
    return ticket


@click.command("review")
@repo_option()
@click.option("--base", required=True, help="The commit (or ref) the change starts from.")
@click.option("--head", default="HEAD", show_default=True, help="The commit (or ref) to review.")
@click.option(
    "--ticket",
    "ticket_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The ticket whose scope applies: a chain file (*.yml, with --key) or an issue body.",
)
@click.option("--key", help="The ticket's key in the chain file.")
@click.option(
    "--format",
    "output",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="github: workflow commands that GitHub Actions shows as annotations.",
)
@click.option(
    "--conventions",
    help="The conventions file's path in the repository, read at --base "
    "(default: review.conventions of .github/baton.yml at --base).",
)
@click.option(
    "--llm/--no-llm",
    default=None,
    help="Ask the LLM reviewer too, or not (default: review.llm.enabled).",
)
@click.pass_obj
def review_command(
    runtime: Runtime,
    repo: Path,
    base: str,
    head: str,
    ticket_path: Path | None,
    key: str | None,
    output: str,
    conventions: str | None,
    llm: bool | None,
) -> None:
    """Review the change BASE..HEAD against the conventions (phase 2) and print the findings.

    The rules and the configuration are read at BASE, so the change cannot rewrite them. Without
    --ticket, only the rules apply. Exit 1 when any finding is major; 2 when there is no review
    to give (a ref that is not a commit, a ticket that does not parse, malformed rules)."""
    from bot.render.terminal import review_output
    from bot.validation.llm import llm_reviewer
    from bot.validation.review import config_at, load_conventions, review_change
    from bot.workspace import Git

    try:
        git = Git.open(repo, runtime.environ)
        base_sha = _commit(git, base, "--base")
        head_sha = _commit(git, head, "--head")
        config = config_at(git, base_sha)
        ticket = _ticket(ticket_path, key, config.allow_protected) if ticket_path else None
    except BatonError as exc:
        # What it was asked is wrong: no finding, and a script must tell the two apart.
        exc.exit_code = 2
        raise
    loaded = load_conventions(git, base_sha, conventions or config.review.conventions)
    if loaded.problems:
        report(loaded.problems)
        click.echo(
            f"error: {loaded.path} (at {base}) has malformed rules; fix the baton-rules blocks "
            "named above",
            err=True,
        )
        sys.exit(2)
    if loaded.text is None:
        click.echo(f"note: no {loaded.path} at {base}; no rules to check", err=True)
    llm_config = config.review.llm
    if llm is not None:
        llm_config = llm_config.model_copy(update={"enabled": llm})
    findings = review_change(
        git,
        base_sha,
        head_sha,
        ticket,
        loaded.rules,
        llm=llm_reviewer(llm_config, runtime.environ, runtime.redact),
        conventions=loaded.prose,
    )
    header = {"base": base_sha, "head": head_sha, "conventions": loaded.path}
    click.echo(review_output(findings, output, header, runtime.redact))
    if head_sha == git.head() and (dirty := git.dirty_files()):
        shown = dirty[0] + ("…" if len(dirty) > 1 else "")
        click.echo(
            f"note: {len(dirty)} uncommitted change(s) ({shown}) are not reviewed: the review "
            f"is of {base}..{head}; commit them to review them",
            err=True,
        )
    sys.exit(1 if any(f.severity == "major" for f in findings) else 0)
