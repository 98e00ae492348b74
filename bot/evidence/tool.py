"""A mutation tool instead of Baton's own mutants (`validation.evidence.command`: Stryker, PIT,
any tool that writes the mutation-testing-elements JSON report at `validation.evidence.report`),
run in a checkout of the head, as the test command runs, within the time budget."""

from __future__ import annotations

from bot.evidence.checkout import checkout
from bot.evidence.mutation_report import read_mutation_report
from bot.evidence.report_error import ReportError
from bot.evidence.report_files import ReportFiles
from bot.evidence.runner import Runner
from bot.evidence.sabotage import Sabotage
from bot.workspace import Git


def run_tool(git: Git, head: str, run: Runner, *, command: str, report: str) -> Sabotage:
    budget = run.config.evidence.budget_minutes * 60
    with checkout(git, head, run_as=run.run_as, reports=[report]) as work:
        files = ReportFiles(work, [report], {})
        files.clear()
        result = run(command, work, min(run.timeout_s, budget))
        data = files.take()[report]
    if data is None:
        state = "timed out" if result.timed_out else f"exit {result.exit_code}"
        return Sabotage(not_tried=f"`{command}` wrote no report at `{report}` ({state})")
    try:
        mutants = read_mutation_report(data, report)
    except ReportError as exc:
        return Sabotage(not_tried=str(exc))
    return (
        Sabotage(mutants=mutants) if mutants else Sabotage(not_tried=f"`{report}` holds no mutant")
    )
