"""One validation of an agent's change, wherever it runs: inline in Baton's process, or in a job
of its own with no secrets (`baton validate`). Phase 1 runs the test command from the base
configuration; phase 2 reviews the change against the rules as the chain's base has them; phase 3
looks for evidence that the tests the change adds test something (`bot.evidence.phase`)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path

from bot.command_result import CommandResult
from bot.config import Config
from bot.errors import ConfigError
from bot.evidence.measures import Measures
from bot.evidence.phase import Subject, gather
from bot.evidence.report_files import ReportFiles
from bot.evidence.runner import Runner
from bot.programs import missing_program, program_of
from bot.sandbox import NoSandbox, Sandbox
from bot.state import Finding, Validation
from bot.tickets import Ticket
from bot.validation.diff import read_change
from bot.validation.review import ChangeReviewer, load_conventions, review
from bot.workspace import Git


def check_started(
    command: str, result: CommandResult, workdir: Path, environ: Mapping[str, str]
) -> None:
    """A test command that could not start (126, 127: its program is missing or not executable)
    is the configuration's fault, not the agent's: the run stops here, the attempt unjudged, and
    the next run validates it again once the command is fixed. A program Baton sees may still be
    out of the sandbox's sight: the shell's own "not found" says so."""
    if result.exit_code not in (126, 127):
        return
    why = missing_program(command, workdir, environ)
    program = program_of(command)
    if why is None and program and f"{program}: not found" in result.tail.replace("command ", ""):
        why = f"`{program}` is not found inside the sandbox the test command runs in"
    if why:
        raise ConfigError(
            f"the test command `{command}` cannot start: {why}",
            hint="fix validation.test_command (or the ticket's), then run baton again",
        )


def validate_here(
    git: Git,
    config: Config,
    ticket: Ticket,
    *,
    base: str,
    rules_at: str,
    environ: Mapping[str, str],
    head: str | None = None,
    llm: ChangeReviewer | None = None,
    ticket_command: bool = True,
    run_as: str | None = None,
    sandbox: Sandbox | None = None,
    baseline: Measures | None = None,
) -> Validation:
    """Validate `base..head` (HEAD of `git` by default) in the working copy of `git`. Without
    `ticket_command`, the ticket's own test command is ignored for the configured one. The
    test command runs in `sandbox` (none when not given), with Baton's environment (`environ`)
    less every credential. Phase 3 measures the suite at the base unless `baseline` has it."""
    started = time.monotonic()
    head = head or git.head()
    change = read_change(git, base, head)
    setup = time.monotonic() - started
    command = (ticket.test_command if ticket_command else None) or config.validation.test_command
    result, evidence, found = None, None, list[Finding]()
    if command:
        cfg = config.validation
        run = Runner(cfg, environ, sandbox or NoSandbox(), run_as or cfg.run_as)
        paths = [p for p in (cfg.junit, cfg.coverage) if p]
        reports = ReportFiles(git.root, paths, git.files_at(head, paths))
        reports.clear()
        try:
            result = run(command, git.root, run.timeout_s)
        finally:
            taken = reports.take()  # the working copy as it was, whatever happened
        check_started(command, result, git.root, environ)
        subject = Subject(git, change, ticket, command, result, git.root, taken)
        evidence, found = gather(subject, run, baseline)
    reviewing = time.monotonic()
    conventions = load_conventions(git, rules_at, config.review.conventions)
    findings = review(
        git, change, ticket, conventions.rules, llm=llm, conventions=conventions.prose
    )
    findings += [
        Finding(
            rule="rules.malformed", severity="minor", message=p.render(), hint="fix the rules block"
        )
        for p in conventions.problems
    ]
    if not command:
        findings.append(
            Finding(
                rule="tests.none",
                severity="minor",
                message="no test command is configured, so only the scope was checked",
                hint="set validation.test_command in .github/baton.yml",
            )
        )
    return Validation(
        commit=head,
        changed_files=change.paths,  # both sides of a rename, as `git diff --no-renames`
        command=result,
        findings=findings + found,
        evidence=evidence,
        setup_s=round(setup, 4),
        review_s=round(time.monotonic() - reviewing, 4),
    )
