"""Counts of a JUnit XML report: the common format of pytest, node's test runner, Jest, Maven
Surefire and gotestsum."""

from __future__ import annotations

from bot.evidence.report_error import ReportError
from bot.evidence.untrusted_xml import parse_xml
from bot.state import SuiteCounts

ROOTS = frozenset({"testsuites", "testsuite"})
FAILED = frozenset({"failure", "error"})


def read_junit(data: bytes, source: str) -> SuiteCounts:
    """Every `<testcase>` in the report, wherever it is: node writes cases at the root and in
    nested suites, pytest and Jest one level down. A case with a `<failure>` or `<error>` failed
    (pytest reports a broken fixture as an error); one with `<skipped>` was skipped (node writes
    its todo tests so too); any other passed (Surefire's `<flakyFailure>` passed on a rerun)."""
    root = parse_xml(data, source)
    if root.tag not in ROOTS:
        raise ReportError(
            f"{source}: the root element is <{root.tag}>, not <testsuites> or <testsuite>: "
            "point validation.junit at the test run's JUnit XML report"
        )
    passed = failed = skipped = 0
    for case in root.iter("testcase"):
        outcomes = {child.tag for child in case}
        if outcomes & FAILED:
            failed += 1
        elif "skipped" in outcomes:
            skipped += 1
        else:
            passed += 1
    return SuiteCounts(passed=passed, failed=failed, skipped=skipped)
