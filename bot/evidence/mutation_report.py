"""Mutants from a mutation tool's report in the mutation-testing-elements schema: what StrykerJS
writes to reports/mutation/mutation.json and PIT through its plugin. The schema:
https://github.com/stryker-mutator/mutation-testing-elements/blob/master/packages/report-schema/src/mutation-testing-report-schema.json
Only the fields Baton uses are read; the others (id, language, thresholds...) may be absent."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.evidence.report_error import read_json
from bot.state import Mutant

Status = Literal[
    "Killed", "Survived", "NoCoverage", "CompileError", "RuntimeError", "Timeout", "Ignored",
    "Pending",
]  # fmt: skip
# Whether the tests noticed: a mutant that made them time out or crash was noticed too. The
# other statuses (CompileError, Ignored, Pending) were never tried against the tests.
NOTICED: dict[str, bool] = {
    "Killed": True, "Timeout": True, "RuntimeError": True, "Survived": False, "NoCoverage": False,
}  # fmt: skip
FIX = "point validation.evidence at the JSON report Stryker or PIT's plugin writes"


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True)


class _Position(_Strict):
    """The schema's `position`: line and column both start at one."""

    line: int = Field(ge=1)
    column: int = Field(ge=1)


class _Location(_Strict):
    """The schema's `location`: start inclusive, end exclusive."""

    start: _Position
    end: _Position


class _MutantResult(_Strict):
    mutatorName: str  # the schema's name
    replacement: str | None = None
    location: _Location
    status: Status


class _FileResult(_Strict):
    source: str | None = None  # the whole file before mutation
    mutants: list[_MutantResult]


class _Report(_Strict):
    schemaVersion: str  # the schema's name
    files: dict[str, _FileResult]


def read_mutation_report(data: bytes, source: str) -> list[Mutant]:
    """Every mutant the tool tried, in the report's order: `before` is its line as the source
    has it, `after` that line with the replacement put in at the mutant's columns (or, for a
    mutant over several lines, the replacement alone); `outcome` is the tool's status."""
    report = read_json(_Report, data, source, "a mutation-testing-elements report", FIX)
    mutants: list[Mutant] = []
    for path, result in report.files.items():
        lines = (result.source or "").split("\n")
        for mutant in result.mutants:
            if mutant.status not in NOTICED:
                continue
            start = mutant.location.start
            mutants.append(
                Mutant(
                    file=path,
                    line=start.line,
                    operator=mutant.mutatorName,
                    before=lines[start.line - 1].strip() if start.line <= len(lines) else "",
                    after=_after(lines, mutant),
                    killed=NOTICED[mutant.status],
                    outcome=mutant.status,
                )
            )
    return mutants


def _after(lines: list[str], mutant: _MutantResult) -> str:
    if mutant.replacement is None:
        return ""
    start, end = mutant.location.start, mutant.location.end
    if start.line != end.line or start.line > len(lines):
        return mutant.replacement.strip()
    line = lines[start.line - 1]
    return (line[: start.column - 1] + mutant.replacement + line[end.column - 1 :]).strip()
