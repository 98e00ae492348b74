"""JUnit XML as pytest and node's test runner write it, counted; anything else refused."""

from __future__ import annotations

import pytest
from evidence_fixtures import BILLION_LAUGHS, assert_one_line_naming, fixture

from bot.evidence.junit import read_junit
from bot.state import SuiteCounts


def test_pytest_counts_a_setup_error_as_failed() -> None:
    counts = read_junit(fixture("pytest-junit.xml"), "pytest-junit.xml")

    assert counts == SuiteCounts(passed=2, failed=2, skipped=1)


def test_node_counts_cases_at_the_root_and_in_nested_suites_and_todo_as_skipped() -> None:
    counts = read_junit(fixture("node-junit.xml"), "node-junit.xml")

    assert counts == SuiteCounts(passed=2, failed=2, skipped=2)


def test_a_single_testsuite_root_is_read() -> None:
    data = b'<testsuite><testcase name="a"/><testcase name="b"><error/></testcase></testsuite>'

    assert read_junit(data, "r.xml") == SuiteCounts(passed=1, failed=1)


def test_a_case_that_failed_and_was_skipped_counts_as_failed() -> None:
    data = b"<testsuites><testcase><skipped/><failure/></testcase></testsuites>"

    assert read_junit(data, "r.xml") == SuiteCounts(failed=1)


def test_an_empty_suite_counts_nothing() -> None:
    assert read_junit(b"<testsuites/>", "r.xml") == SuiteCounts()


@pytest.mark.parametrize(
    ("data", "wrong"),
    [
        (fixture("pytest-junit.xml")[:300], "not well-formed XML"),
        (b"", "not well-formed XML"),
        (b"<coverage><packages/></coverage>", "<coverage>"),
        (BILLION_LAUGHS, "entit"),
        (
            b'<!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]><testsuite>&x;</testsuite>',
            "entit",
        ),
    ],
    ids=["truncated", "empty", "wrong root", "billion laughs", "external entity"],
)
def test_a_report_that_is_not_junit_raises_one_line_naming_it(data: bytes, wrong: str) -> None:
    assert_one_line_naming(read_junit, data, wrong)
