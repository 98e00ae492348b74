"""Phase 3, evidence: after the tests pass, whether the tests a ticket added test something.

    1. collected: the suite's counts (JUnit XML, or the runner's summary) against the base's;
       new test files while the number of tests run does not grow is a major finding;
    2. sabotage: the code under test broken by small mutants, each run with the ticket's tests;
       too few noticed (`validation.evidence.min_kill`) is a major finding naming the survivors;
       not tried when the new tests are all left out of the suite (1 says so already);
    3. coverage, where the run writes a report: no new line of the code under test covered is a
       minor finding.

The base's counts come from an earlier validation of the same commit where the chain has one,
else from a run of the test command in a checkout of the base."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.command_result import CommandResult
from bot.evidence.checkout import checkout
from bot.evidence.files import is_code, new_tests, targets
from bot.evidence.findings import findings_of, not_collected
from bot.evidence.measures import Measures, measure
from bot.evidence.report_files import ReportFiles
from bot.evidence.runner import Runner
from bot.evidence.sabotage import Sabotage, sabotage
from bot.evidence.tool import run_tool
from bot.state import Evidence, Finding
from bot.tickets import Ticket
from bot.validation.diff import Change, files_at
from bot.workspace import Git


@dataclass(frozen=True)
class Subject:
    """What phase 3 looks at: the change, its ticket, and phase 1's run of `command` at head."""

    git: Git
    change: Change
    ticket: Ticket
    command: str
    result: CommandResult
    root: Path  # where phase 1 ran
    reports: Mapping[str, bytes | None]  # what phase 1's run wrote, by configured path


def gather(
    subject: Subject, run: Runner, baseline: Measures | None
) -> tuple[Evidence, list[Finding]]:
    started = time.monotonic()
    cfg = run.config
    now = measure(cfg, subject.reports, subject.result, subject.root)
    tests = new_tests(subject.change, cfg.evidence.test_files)
    # The lines run are kept for the files this change is about (the next ticket's baseline
    # needs its own: it measures the base again when they are not here). All of a large
    # project's would not fit the check run that carries a validation job's result.
    changed = [p for p in subject.change.paths if is_code(p)]
    if not tests or not cfg.evidence.enabled:
        return Evidence(tests=now.tests, covered=_kept(now.covered, changed)), now.problems
    present = files_at(subject.git, subject.change.head)
    under = targets(subject.change, subject.ticket, cfg.evidence.test_files, present)
    wanted = [t.path for t in under]
    kept = sorted({*wanted, *changed})
    evidence = Evidence(tests=now.tests, covered=_kept(now.covered, kept), new_tests=tests)
    base = baseline if baseline and baseline.knows(wanted, cfg) else _measure_base(subject, run)
    head = subject.change.head
    if not subject.result.ok:
        found = Sabotage()  # the attempt failed already: no time spent breaking its code
    elif not under:
        found = Sabotage(not_tried="the ticket names no code for its tests to test")
    elif set(tests) == set(not_collected(subject.change, cfg, now.tests, base.tests)):
        # Every test file is new and none is collected: they would run only where Baton names
        # them, which is no evidence of what the project runs.
        found = Sabotage(not_tried="the test command runs none of the new tests")
    elif cfg.evidence.command and cfg.evidence.report:
        tool, report = cfg.evidence.command, cfg.evidence.report
        found = run_tool(subject.git, head, run, command=tool, report=report)
    else:
        found = sabotage(
            subject.git, head, command=subject.command, targets=under, tests=tests, run=run
        )
    evidence = evidence.model_copy(
        update={
            "base_tests": base.tests,
            "base_covered": _kept(base.covered, kept),
            "under_test": wanted,
            "mutants": found.mutants,
            "not_tried": found.not_tried,
            "duration_s": round(time.monotonic() - started, 3),
        }
    )
    return evidence, now.problems + findings_of(evidence, subject.change, cfg)


def _kept(covered: dict[str, int] | None, paths: list[str]) -> dict[str, int] | None:
    """The lines run in `paths` (0 where the report has none): a file the report leaves out
    was not run, and a file not kept here is not known."""
    return None if covered is None else {p: covered.get(p, 0) for p in paths}


def _measure_base(subject: Subject, run: Runner) -> Measures:
    """The suite as the ticket found it: run at the base, in a checkout of its own."""
    cfg = run.config
    paths = [p for p in (cfg.junit, cfg.coverage) if p]
    with checkout(subject.git, subject.change.base, run_as=run.run_as, reports=paths) as work:
        files = ReportFiles(work, paths, {})
        files.clear()
        result = run(subject.command, work, run.timeout_s)
        return measure(cfg, files.take(), result, work)
