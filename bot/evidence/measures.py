"""What one run of the test command measured: its counts and the lines it ran, read from the
reports it wrote (`validation.junit`, `validation.coverage`) or, for the counts, from its
output's summary."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.command_result import CommandResult
from bot.config import ValidationConfig
from bot.evidence.counts import counts_in_output
from bot.evidence.coverage import read_coverage
from bot.evidence.junit import read_junit
from bot.evidence.report_error import ReportError
from bot.state import Finding, SuiteCounts


@dataclass(frozen=True)
class Measures:
    tests: SuiteCounts | None
    covered: dict[str, int] | None  # lines run, by file
    problems: list[Finding] = field(default_factory=list)

    def knows(self, paths: list[str], cfg: ValidationConfig) -> bool:
        """Whether these measures hold what phase 3 needs: the counts, and where a coverage
        report is configured, the lines run in each of `paths`."""
        if self.tests is None:
            return False
        return not cfg.coverage or (self.covered is not None and set(paths) <= set(self.covered))


def measure(
    cfg: ValidationConfig, reports: Mapping[str, bytes | None], result: CommandResult, root: Path
) -> Measures:
    problems: list[Finding] = []
    tests = None
    if cfg.junit:
        data = _report(reports, cfg.junit, "JUnit XML", problems)
        try:
            tests = read_junit(data, cfg.junit) if data is not None else None
        except ReportError as exc:
            problems.append(_unreadable(str(exc)))
    covered = None
    if cfg.coverage:
        data = _report(reports, cfg.coverage, "coverage report", problems)
        try:
            if data is not None:
                lines = read_coverage(data, cfg.coverage, str(root))
                covered = {path: len(ran) for path, ran in sorted(lines.items())}
        except ReportError as exc:
            problems.append(_unreadable(str(exc)))
    return Measures(tests or counts_in_output(result.tail), covered, problems)


def _report(
    reports: Mapping[str, bytes | None], path: str, kind: str, problems: list[Finding]
) -> bytes | None:
    data = reports.get(path)
    if data is None:
        problems.append(
            Finding(
                rule="evidence.report",
                severity="minor",
                message=f"the test command wrote no {kind} at `{path}`",
                hint="make the test command write it (see README, Evidence), or drop the setting",
            )
        )
    return data


def _unreadable(why: str) -> Finding:
    return Finding(
        rule="evidence.report",
        severity="minor",
        message=why,
        hint="check what the test command writes there",
    )
