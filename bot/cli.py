"""The `baton` command. Thin: it parses arguments, loads config and calls the library.

Heavy modules are imported inside the commands so that `baton --help` stays quick.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from bot import __version__
from bot.errors import BatonError, Problem

F = TypeVar("F", bound=Callable[..., Any])


class _Group(click.Group):
    """Turns a BatonError anywhere below into one line on stderr and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BatonError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)


def repo_option(help: str = "The repository's working copy.") -> Callable[[F], F]:
    """`--repo PATH`, the same on every command that works on a repository."""
    return click.option(
        "--repo",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path(),
        show_default=True,
        help=help,
    )


def _report(problems: list[Problem]) -> None:
    for problem in problems:
        click.echo(problem.render(), err=True)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="baton")
def cli() -> None:
    """Baton hands a chain of tickets to one coding-agent session and checks every step."""


@cli.group(cls=_Group)
def tickets() -> None:
    """Parse, lint and sync tickets (issue bodies and tickets/*.yml chain files)."""


@tickets.command("parse")
@click.argument("path", default="-", type=click.Path(allow_dash=True, dir_okay=False))
@click.option("--title", help="The ticket's title (an issue's title is not part of its body).")
def tickets_parse(path: str, title: str | None) -> None:
    """Parse an issue body (a file, or - for stdin) and print the ticket as JSON."""
    from bot.issue_form import parse_issue_body

    body = sys.stdin.read() if path == "-" else _read_text(Path(path))
    ticket, problems = parse_issue_body(
        body, title=title, source="<stdin>" if path == "-" else path
    )
    _report(problems)
    if ticket is None:
        sys.exit(1)
    click.echo(json.dumps(ticket.model_dump(mode="json"), indent=2, ensure_ascii=False))


@tickets.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
def tickets_lint(paths: tuple[Path, ...]) -> None:
    """Check chain files (*.yml) and issue bodies (other files); a directory means its chain files.

    With no PATH, the tickets/ directory. Exit 1 when any problem is an error."""
    from bot.chain_file import parse_chain_file
    from bot.issue_form import parse_issue_body

    files: list[Path] = []
    for path in paths or (Path("tickets"),):
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix in {".yml", ".yaml"})
        elif path.exists():
            files.append(path)
        else:
            raise BatonError(f"{path} does not exist", hint="pass chain files or issue bodies")
    problems: list[Problem] = []
    for file in files:
        if file.suffix in {".yml", ".yaml"}:
            problems += parse_chain_file(file)[1]
        else:
            problems += parse_issue_body(_read_text(file), source=str(file))[1]
    _report(problems)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    click.echo(f"{len(files)} file(s) checked: {errors} error(s), {warnings} warning(s)")
    if errors:
        sys.exit(1)


@tickets.command("push")
@repo_option()
@click.option("--ready", is_flag=True, help="Also add the trigger label, so Baton starts on them.")
def tickets_push(repo: Path, ready: bool) -> None:
    """Create or update one GitHub issue per ticket of tickets/*.yml (GITHUB_REPOSITORY)."""
    import os

    from bot.chain_file import load_chain_dir
    from bot.config import load_config
    from bot.forge.ticket_sync import push
    from bot.github_mode import open_repo

    config = load_config(repo / ".github" / "baton.yml")
    chains = load_chain_dir(repo / config.tickets_dir)
    forge = open_repo(os.environ, None)
    try:
        result = push(forge, chains, label=config.labels.trigger if ready else None)
    finally:
        forge.api.close()
    click.echo(
        f"{len(result.created)} created, {len(result.updated)} updated, "
        f"{len(result.unchanged)} unchanged"
    )


@tickets.command("pull")
@repo_option()
def tickets_pull(repo: Path) -> None:
    """Write the open issues Baton pushed, or that carry the trigger label, to tickets/*.yml."""
    import os

    from bot.config import load_config
    from bot.forge.ticket_sync import pull
    from bot.github_mode import open_repo

    config = load_config(repo / ".github" / "baton.yml")
    forge = open_repo(os.environ, None)
    try:
        written = pull(forge, config.labels.trigger, repo / config.tickets_dir)
    finally:
        forge.api.close()
    for path in written:
        click.echo(f"wrote {path}")


@cli.command("validate")
@repo_option()
@click.option("--chain", required=True, help="The chain of the attempt.")
@click.option("--ticket", required=True, help="The ticket's key, e.g. #12.")
@click.option("--attempt", type=click.IntRange(min=1), required=True)
@click.option(
    "--run-as",
    help="Run the test command as this user (e.g. nobody), who cannot read Baton's environment.",
)
def validate_command(repo: Path, chain: str, ticket: str, attempt: int, run_as: str | None) -> None:
    """The validation job: test and review one attempt, without secrets, and report it as a check
    run for the next reconcile. --repo is a checkout of the default branch."""
    import os

    from bot.validate_job import validate_attempt

    found = validate_attempt(
        repo, chain=chain, key=ticket, attempt=attempt, environ=os.environ, run_as=run_as
    )
    click.echo(f"{chain}/{ticket} attempt {attempt}: {found.summary()}")


@cli.group(cls=_Group)
def config() -> None:
    """Inspect the configuration."""


@config.command("check")
@click.argument("path", default=".github/baton.yml", type=click.Path(path_type=Path))
def config_check(path: Path) -> None:
    """Validate .github/baton.yml (a missing file means every default)."""
    from bot.config import check_config

    loaded, problems = check_config(path)
    _report(problems)
    if loaded is None:
        sys.exit(1)
    click.echo(f"{path}: ok" if path.exists() else f"{path}: absent, every default applies")
    import os

    from bot.agents.cli.versions import check_version

    checked = check_version(loaded.agent, os.environ)
    if checked is not None:  # a CLI agent: is it there, and is it a version the presets know?
        click.echo(
            f"agent: {checked.line}" if checked.tested else f"warning: agent: {checked.line}",
            err=not checked.tested,
        )
    if loaded.agent.kind == "cursor" and os.environ.get("CURSOR_API_KEY"):
        from bot.agents.cursor.settings import check_cursor_key

        click.echo(f"cursor: ok ({check_cursor_key(loaded.agent, os.environ)})")


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BatonError(f"cannot read {path}: {exc}", hint="pass a UTF-8 text file") from exc


def main() -> None:
    _exit_on_sigterm()
    cli(prog_name="baton")


def _exit_on_sigterm() -> None:
    """SIGTERM (a cancelled CI job, `kill`) unwinds like Ctrl-C: the agent or test command under
    way is killed with its whole process group (`bot.workspace.run_command`), and Baton exits
    with 143. `--watch` puts its own handler in place: there it stops between passes."""
    import signal
    from types import FrameType

    def stop(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


def _redactor() -> Any:
    """Known token shapes, and the values of the secrets in this environment."""
    import os

    from bot.redact import from_environment

    return from_environment(os.environ)


def _console_notifier() -> Any:
    from bot.notify.console import ConsoleNotifier

    return ConsoleNotifier(redact=_redactor())


def _run_notifiers(repo: Path) -> Any:
    """The console, and Slack when the environment holds its token or webhook URL."""
    import os

    from bot.config import Config, load_config
    from bot.notify.factory import build_notifiers
    from bot.workspace import Git

    try:
        config = load_config(Git.open(repo).root / ".github" / "baton.yml")
    except BatonError:
        config = Config()  # the run itself reports the problem, with its fix
    return build_notifiers(config, os.environ, _console_notifier())


def _print_outcome(run: Any) -> int:
    """The chains' tables on stdout; exit 1 when any ticket is blocked or skipped."""
    from rich.console import Console

    from bot.render.terminal import chain_table

    console = Console(highlight=False)
    code = 0
    handed_over = getattr(run, "handed_over", [])
    for state in run.chains:
        console.print(chain_table(state, _redactor()))
        if state.finished:
            click.echo(f"report: {run.report(state)}")
        if state.outcome == "blocked":
            code = 1
        elif state.name in handed_over:
            click.echo(f"chain {state.name} is not finished; it continues in a new job")
        elif state.outcome == "running":
            click.echo(f"chain {state.name} is not finished; run baton again to continue")
    return code


@cli.command("run")
@click.option(
    "--local",
    "local",
    is_flag=True,
    help="Run on a local git repository (the default outside GitHub Actions).",
)
@repo_option()
@click.option("--chain", help="Run only this chain.")
@click.option("--dry-run", is_flag=True, help="Print what would be done now, change nothing.")
@click.option(
    "--max-minutes",
    type=click.FloatRange(min=0, min_open=True),
    help="Start no new action after this long. Inside GitHub Actions a chain with work left "
    "then continues in a new job of the same workflow (workflow_dispatch; actions: write).",
)
@click.option(
    "--stats", is_flag=True, help="Print the GitHub requests and rate-limit units the run cost."
)
@click.option(
    "--max-tickets",
    type=click.IntRange(min=1),
    help="Start at most this many new tickets in this run.",
)
@click.option("--watch", is_flag=True, help="Reconcile forever, a pass every --interval seconds.")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=900.0,
    show_default=True,
    help="Seconds between passes with --watch.",
)
@click.option(
    "--event",
    "from_event",
    is_flag=True,
    help="Do what the GitHub event asks (GITHUB_EVENT_NAME, GITHUB_EVENT_PATH).",
)
def run_command(
    local: bool,
    repo: Path,
    chain: str | None,
    dry_run: bool,
    max_minutes: float | None,
    stats: bool,
    max_tickets: int | None,
    watch: bool,
    interval: float,
    from_event: bool,
) -> None:
    """Reconcile: work every chain's next steps until nothing is left to do now.

    With GITHUB_REPOSITORY set (as in GitHub Actions) and no --local, tickets are the issues
    labelled for Baton; otherwise they are the repository's tickets/*.yml."""

    def once() -> int:
        return _run_once(local, repo, chain, dry_run, max_minutes, stats, from_event, max_tickets)

    if not watch:
        sys.exit(once())
    from bot.watch import Stop
    from bot.watch import watch as watch_forever

    stop = Stop()
    stop.install()
    code = watch_forever(lambda: _survive(once), interval, stop)
    click.echo("stopped: the last pass finished and the state is saved")
    sys.exit(code)


def _survive(once: Any) -> int:
    """One pass inside --watch: an error is reported, and the next pass comes anyway."""
    try:
        return int(once())
    except BatonError as exc:
        click.echo(f"error: {exc}", err=True)
        return 1


def _run_once(
    local: bool,
    repo: Path,
    chain: str | None,
    dry_run: bool,
    max_minutes: float | None,
    stats: bool,
    from_event: bool,
    max_tickets: int | None = None,
) -> int:
    import os

    crash = os.environ.get("BATON_CRASH_AFTER_ACTIONS")  # fault injection for crash tests
    options: dict[str, Any] = {
        "chain": chain,
        "dry_run": dry_run,
        "max_minutes": max_minutes,
        "crash_after": int(crash) if crash else None,
        "max_tickets": max_tickets,
    }
    if from_event:
        from bot.github_mode import run_event

        event = run_event(
            repo,
            _run_notifiers(repo),
            event_name=os.environ.get("GITHUB_EVENT_NAME", ""),
            event_path=Path(os.environ.get("GITHUB_EVENT_PATH", "")),
            max_minutes=max_minutes,
        )
        click.echo(f"event: {event.route.action}: {event.route.reason}")
        if event.run is None:
            return 0
        result: Any = event.run
        dry_run = event.route.dry_run
    elif local or not os.environ.get("GITHUB_REPOSITORY"):
        from bot.local import run_local

        result = run_local(repo, _run_notifiers(repo), **options)
    else:
        from bot.github_mode import run_github

        result = run_github(repo, _run_notifiers(repo), **options)
        _report(result.problems)
    if dry_run:
        for name, actions in result.planned.items():
            click.echo(f"{name}: " + ("; ".join(a.describe() for a in actions) or "nothing to do"))
    code = 0 if dry_run else _print_outcome(result)
    if stats and hasattr(result, "stats"):
        click.echo(result.stats.line())
    return code


@cli.command("status")
@repo_option()
@click.option("--json", "as_json", is_flag=True, help="The state as JSON (the status.json schema).")
def status_command(repo: Path, as_json: bool) -> None:
    """Print every chain's state from the store."""
    from rich.console import Console

    from bot.knowledge import status_json
    from bot.local import load_state
    from bot.render.terminal import chain_table
    from bot.workspace import Git

    data = load_state(Git.open(repo).root)
    if as_json:
        click.echo(json.dumps(status_json(data), indent=2))
        return
    if not data.chains:
        click.echo("no chains have run here yet")
        return
    console = Console(highlight=False)
    for state in data.chains.values():
        console.print(chain_table(state, _redactor()))


@cli.command("demo")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to create the demo repository (default: a new temporary directory).",
)
def demo_command(directory: Path | None) -> None:
    """Run a whole chain offline on a small API project, with a scripted stand-in agent."""
    from bot.demo import run_demo

    sys.exit(_print_outcome(run_demo(directory, _console_notifier())))


def _review_commit(git: Any, ref: str, option: str) -> str:
    if ref.startswith("-"):
        raise BatonError(f"{option} {ref!r} is not a ref", hint="pass a branch, tag or commit")
    sha: str = git.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
    if not sha:
        raise BatonError(
            f"{option} {ref} is not a commit in {git.root}",
            hint="fetch it first (e.g. `git fetch origin main`) or pass a commit sha",
        )
    return sha


def _review_ticket(path: Path, key: str | None) -> Any:
    """The ticket of a chain file (by --key; the only one when it holds one) or an issue body."""
    from bot.chain_file import parse_chain_file
    from bot.errors import TicketError
    from bot.issue_form import parse_issue_body

    if path.suffix in {".yml", ".yaml"}:
        chain, problems = parse_chain_file(path)
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
    ticket, problems = parse_issue_body(_read_text(path), key=key, source=str(path))
    if ticket is None:
        raise TicketError(problems)
    return ticket


@cli.command("review")
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
def review_command(
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
    --ticket, only the rules apply. Exit 1 when any finding is major, 2 when the rules in the
    conventions are malformed."""
    from bot.redact import redact
    from bot.render.terminal import review_output
    from bot.validation.llm import llm_reviewer
    from bot.validation.review import config_at, load_conventions, review_change
    from bot.workspace import Git

    git = Git.open(repo)
    base_sha = _review_commit(git, base, "--base")
    head_sha = _review_commit(git, head, "--head")
    ticket = _review_ticket(ticket_path, key) if ticket_path else None
    config = config_at(git, base_sha)
    loaded = load_conventions(git, base_sha, conventions or config.review.conventions)
    if loaded.problems:
        _report(loaded.problems)
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
        llm=llm_reviewer(llm_config),
        conventions=loaded.prose,
    )
    header = {"base": base_sha, "head": head_sha, "conventions": loaded.path}
    click.echo(review_output(findings, output, header, redact))
    sys.exit(1 if any(f.severity == "major" for f in findings) else 0)


@cli.command("chains")
@repo_option()
@click.option(
    "--local",
    is_flag=True,
    help="The chain files of tickets/ (the default outside GitHub Actions).",
)
@click.option(
    "--json", "as_json", is_flag=True, help="A JSON list, for a workflow's strategy.matrix.chain."
)
@click.option("--include-finished", is_flag=True, help="Finished chains too.")
@click.option(
    "--awaiting",
    is_flag=True,
    help="Instead: the attempts waiting for a validation job, as JSON (the validate job's matrix).",
)
@click.option(
    "--chain", help="Only this chain, if it has work (an error if no chain has the name)."
)
def chains_command(
    repo: Path,
    local: bool,
    as_json: bool,
    include_finished: bool,
    awaiting: bool,
    chain: str | None,
) -> None:
    """Print the chains that have work now, one a line (or as JSON).

    With GITHUB_REPOSITORY set and no --local, the chains are those of the issues labelled for
    Baton and of the state on GitHub (read-only: it needs contents: read and issues: read);
    otherwise those of the repository's tickets/*.yml and .baton/state.json."""
    import os

    from bot.github_mode import pending_chains

    if local or not os.environ.get("GITHUB_REPOSITORY"):
        from bot.chain_file import load_chain_dir
        from bot.config import load_config
        from bot.local import load_state
        from bot.workspace import Git

        root = Git.open(repo).root
        tickets_dir = root / load_config(root / ".github" / "baton.yml").tickets_dir
        files = load_chain_dir(tickets_dir) if tickets_dir.is_dir() else []
        found = {c.name: [str(t.key) for t in c.tickets] for c in files}
        data = load_state(root)
    else:
        from bot.github_mode import issue_chains

        data, found = issue_chains(repo, os.environ)
    if awaiting:
        from bot.github_mode import awaiting_validation

        click.echo(json.dumps(awaiting_validation(list(data.chains.values()))))
        return
    names = pending_chains(data, found, include_finished=include_finished)
    if chain is not None:
        every = pending_chains(data, found, include_finished=True)
        if chain not in every:
            raise BatonError(
                f"no chain named `{chain}`",
                hint=f"the chains here are: {', '.join(every) or 'none'}",
            )
        names = [chain] if chain in names else []
    if as_json:
        click.echo(json.dumps(names))
    else:
        for name in names:
            click.echo(name)


@cli.command("init")
@repo_option("The repository to set up.")
@click.option("--force", is_flag=True, help="Overwrite files that exist (default: keep them).")
@click.option(
    "--agent",
    "agent",
    default="claude",
    show_default=True,
    help="The agent kind: claude, codex, gemini, cursor-cli, cursor or command.",
)
@click.option(
    "--action-ref",
    help="The Baton action for the workflow, pinned: owner/baton@<full commit SHA> "
    "(default: a placeholder to set, BATON_ACTION_REF).",
)
@click.option(
    "--schedule",
    default="17 * * * *",
    show_default=True,
    help="The cron schedule of the safety-net run that picks up what a dropped event missed.",
)
def init_command(
    repo: Path, force: bool, agent: str, action_ref: str | None, schedule: str
) -> None:
    """Set up a repository for Baton in GitHub Actions: the workflow, the ticket issue form, a
    starter .github/baton.yml and knowledge/CONVENTIONS.md. Existing files are kept."""
    from bot.init import init_repository

    result = init_repository(
        repo, agent=agent, force=force, action_ref=action_ref, schedule=schedule
    )
    width = max(len(f.path) for f in result.files)
    for written in result.files:
        click.echo(f"{written.outcome:<11} {written.path:<{width}}  {written.purpose}")
    click.echo("\nNext:")
    for number, step in enumerate(result.next_steps(), start=1):
        click.echo(f"{number}. {step}")
