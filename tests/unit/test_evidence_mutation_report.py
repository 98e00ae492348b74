"""Mutants from a mutation-testing-elements report (StrykerJS, PIT through its plugin):
https://github.com/stryker-mutator/mutation-testing-elements/blob/master/packages/report-schema/src/mutation-testing-report-schema.json"""

from __future__ import annotations

import json
from typing import Any

import pytest
from evidence_fixtures import assert_one_line_naming, fixture

from bot.evidence.mutation_report import read_mutation_report

STATUSES = {
    "Killed", "Survived", "NoCoverage", "CompileError", "RuntimeError", "Timeout", "Ignored",
    "Pending",
}  # fmt: skip


def test_the_fixture_has_every_field_the_schema_requires() -> None:
    report = json.loads(fixture("stryker-mutation.json"))

    assert {"schemaVersion", "thresholds", "files"} <= report.keys()
    assert {"high", "low"} <= report["thresholds"].keys()
    for entry in report["files"].values():
        assert {"language", "source", "mutants"} <= entry.keys()
        for mutant in entry["mutants"]:
            assert {"id", "mutatorName", "location", "status"} <= mutant.keys()
            assert mutant["status"] in STATUSES
            for end in ("start", "end"):
                position = mutant["location"][end]
                assert position["line"] >= 1
                assert position["column"] >= 1
    statuses = {m["status"] for e in report["files"].values() for m in e["mutants"]}
    assert statuses == STATUSES


def test_mutants_tried_are_read_with_their_lines_before_and_after() -> None:
    mutants = read_mutation_report(fixture("stryker-mutation.json"), "mutation.json")

    assert {m.file for m in mutants} == {"src/calc.js"}
    assert [(m.line, m.operator, m.before, m.after, m.killed, m.outcome) for m in mutants] == [
        (4, "ArithmeticOperator", "return a + b;", "return a - b;", True, "Killed"),
        (8, "EqualityOperator", "if (n > 0) {", "if (n >= 0) {", False, "Survived"),
        (8, "ConditionalExpression", "if (n > 0) {", "if (true) {", True, "Timeout"),
        (11, "EqualityOperator", "if (n < 0) {", "if (n <= 0) {", True, "RuntimeError"),
        (12, "UnaryOperator", "return -1;", "return +1;", False, "NoCoverage"),
        # Over several lines: the replacement alone says what the mutant is.
        (7, "BlockStatement", "function sign(n) {", "{}", False, "Survived"),
    ]


def _report(**mutant: Any) -> bytes:
    base = {
        "id": "1",
        "mutatorName": "EqualityOperator",
        "replacement": "<=",
        "location": {"start": {"line": 2, "column": 7}, "end": {"line": 2, "column": 8}},
        "status": "Survived",
    }
    entry = {
        "language": "python",
        "source": "def f(a, b):\n    a < b\n",
        "mutants": [base | mutant],
    }
    report = {"schemaVersion": "1", "thresholds": {"high": 80, "low": 60}, "files": {"m.py": entry}}
    return json.dumps(report).encode()


def test_a_report_without_the_source_or_the_replacement_still_names_the_mutant() -> None:
    without = json.loads(_report())
    del without["files"]["m.py"]["source"]
    del without["files"]["m.py"]["mutants"][0]["replacement"]

    (mutant,) = read_mutation_report(json.dumps(without).encode(), "mutation.json")

    assert (mutant.file, mutant.line, mutant.before, mutant.after) == ("m.py", 2, "", "")


def test_a_location_past_the_source_keeps_the_replacement() -> None:
    start = {"line": 9, "column": 1}
    (mutant,) = read_mutation_report(_report(location={"start": start, "end": start}), "m.json")

    assert (mutant.before, mutant.after) == ("", "<=")


BAD = {
    "truncated": (fixture("stryker-mutation.json")[:500], "not a mutation-testing-elements"),
    "not json": (b"<testsuites/>", "not a mutation-testing-elements"),
    "a list": (b"[]", "not a mutation-testing-elements"),
    "coverage.py json": (fixture("coveragepy.json"), "schemaVersion"),
    "unknown status": (_report(status="Exploded"), "status"),
    "line zero": (_report(location={"start": {"line": 0, "column": 1}}), "location"),
    "no location": (_report(location=None), "location"),
}


@pytest.mark.parametrize(("data", "wrong"), BAD.values(), ids=BAD.keys())
def test_a_report_not_in_the_schema_raises_one_line_naming_it(data: bytes, wrong: str) -> None:
    assert_one_line_naming(read_mutation_report, data, wrong)
