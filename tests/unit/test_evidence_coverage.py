"""Coverage reports (coverage.py JSON, Cobertura XML, lcov) as the lines each file ran, with
paths relative to the directory the tests ran in; anything else refused with one line."""

from __future__ import annotations

import pytest
from evidence_fixtures import BILLION_LAUGHS, NODE_ROOT, PYTHON_ROOT, fixture
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.evidence.coverage import read_coverage
from bot.evidence.report_error import ReportError

CALC_PY = frozenset({1, 2, 5, 6, 7, 8, 9})  # line 10, `return 0`, never ran
CALC_JS = frozenset(range(1, 18)) - {14}  # line 14, `return 0;`, never ran


@pytest.mark.parametrize("name", ["coveragepy.json", "coveragepy-cobertura.xml", "coveragepy.lcov"])
def test_each_format_coverage_py_writes_gives_the_same_lines(name: str) -> None:
    lines = read_coverage(fixture(name), name, PYTHON_ROOT)

    assert lines == {"pkg/__init__.py": frozenset(), "pkg/calc.py": CALC_PY}


def test_node_lcov_gives_the_lines_with_hits() -> None:
    lines = read_coverage(fixture("node.lcov"), "node.lcov", NODE_ROOT)

    assert lines == {"src/calc.js": CALC_JS, "test/calc.test.js": frozenset(range(1, 23))}


def test_cobertura_paths_are_made_relative_to_the_root_below_its_source() -> None:
    lines = read_coverage(fixture("coveragepy-cobertura.xml"), "c.xml", f"{PYTHON_ROOT}/pkg/")

    assert lines == {"__init__.py": frozenset(), "calc.py": CALC_PY}


def test_files_outside_the_root_are_dropped() -> None:
    assert read_coverage(fixture("coveragepy-cobertura.xml"), "c.xml", "/elsewhere") == {}
    outside = b"SF:../outside.py\nDA:1,1\nend_of_record\nSF:.\nDA:1,1\nend_of_record\n"
    assert read_coverage(outside, "c.lcov", PYTHON_ROOT) == {}


def test_a_relative_root_keeps_relative_paths_and_drops_those_that_climb_out() -> None:
    data = b"SF:src/a.py\nDA:1,1\nend_of_record\nSF:../b.py\nDA:1,1\nend_of_record\n"

    assert read_coverage(data, "c.lcov", ".") == {"src/a.py": frozenset({1})}


def test_absolute_lcov_paths_as_c8_writes_them_are_made_relative() -> None:
    data = (
        b"TN:\nSF:/checkout/src/a.js\nDA:1,1\nDA:2,0\nDA:3,7\nend_of_record\n"
        b"SF:/checkout/../other/b.js\nDA:1,1\nend_of_record\n"
        b"SF:/checkout/src/a.js\nDA:2,1\nend_of_record\n"
    )

    assert read_coverage(data, "lcov.info", "/checkout") == {"src/a.js": frozenset({1, 2, 3})}


def test_cobertura_with_several_sources_as_istanbul_writes_it() -> None:
    data = b"""<?xml version="1.0" ?>
<!DOCTYPE coverage SYSTEM "http://cobertura.sourceforge.net/xml/coverage-04.dtd">
<coverage lines-valid="3" lines-covered="2">
  <sources><source>/outside</source><source>/checkout/src</source></sources>
  <packages><package name="lib"><classes>
    <class name="a.js" filename="lib/a.js">
      <methods/>
      <lines><line number="1" hits="4"/><line number="2" hits="0"/><line number="3" hits="1"/></lines>
    </class>
    <class name="b.js" filename="/checkout/b.js"><lines><line number="9" hits="1"/></lines></class>
  </classes></package></packages>
</coverage>"""

    lines = read_coverage(data, "cobertura-coverage.xml", "/checkout")

    assert lines == {"src/lib/a.js": frozenset({1, 3}), "b.js": frozenset({9})}


BAD = {
    "truncated cobertura": (fixture("coveragepy-cobertura.xml")[:400], "not well-formed XML"),
    "billion laughs": (BILLION_LAUGHS, "entit"),
    "clover": (b'<coverage clover="4.4"><project/></coverage>', "Cobertura"),
    "junit": (fixture("pytest-junit.xml"), "<testsuites>"),
    "cobertura line without hits": (
        b'<coverage><packages><class filename="a.py"><lines><line number="1"/></lines></class>'
        b"</packages></coverage>",
        "hits",
    ),
    "file name with a line break": (
        b'<coverage><packages><class filename="a&#10;b.py"><lines><line number="x" hits="1"/>'
        b"</lines></class></packages></coverage>",
        "a\\nb.py",
    ),
    "istanbul json": (b'{"/checkout/a.js": {"path": "/checkout/a.js", "s": {"0": 1}}}', "files"),
    "coverage.py json with text lines": (b'{"files": {"a.py": {"executed_lines": ["1"]}}}', "a.py"),
    "deeply nested json": (b'{"files":' + b"[" * 100_000, "coverage.py JSON"),
    "lcov garbage line": (b"TN:\nSF:a.py\nDA:1,1\nthis is not lcov\nend_of_record\n", ":4:"),
    "lcov hits not a number": (b"SF:a.py\nDA:1,many\nend_of_record\n", ":2:"),
    "lcov line before a file": (b"TN:\nDA:1,1\nend_of_record\n", ":2:"),
    "lcov truncated": (fixture("node.lcov").partition(b"end_of_record")[0], "end_of_record"),
    "plain text": (b"All tests passed!\n", "Cobertura XML, lcov or coverage.py JSON"),
    "empty": (b"", "Cobertura XML, lcov or coverage.py JSON"),
    "not utf-8": (b"SF:\xff\xfe\nend_of_record\n", "UTF-8"),
}


@pytest.mark.parametrize(("data", "wrong"), BAD.values(), ids=BAD.keys())
def test_a_report_baton_cannot_read_raises_one_line_naming_it(data: bytes, wrong: str) -> None:
    with pytest.raises(ReportError) as caught:
        read_coverage(data, "coverage/report", "/checkout")

    message = str(caught.value)
    assert message.startswith("coverage/report")
    assert wrong in message
    assert "\n" not in message


PREFIXES = st.sampled_from([b"", b"<", b"{", b"SF:", b"TN:\nSF:a\n", b"<coverage><packages>"])


@settings(max_examples=200, deadline=None)
@given(prefix=PREFIXES, body=st.binary(max_size=200))
def test_arbitrary_bytes_raise_nothing_but_report_error(prefix: bytes, body: bytes) -> None:
    try:
        lines = read_coverage(prefix + body, "report", "/checkout")
    except ReportError as exc:
        message = str(exc)
    else:
        message = ""
        assert all(isinstance(n, int) for found in lines.values() for n in found)
    assert "\n" not in message
