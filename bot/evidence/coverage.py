"""The lines a test run executed, per file, from its coverage report: coverage.py JSON,
Cobertura XML (coverage.py, c8, istanbul, JaCoCo converters) or lcov (c8, node, coverage.py)."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from xml.etree.ElementTree import Element

from pydantic import BaseModel, ConfigDict

from bot.evidence.report_error import ReportError, read_json
from bot.evidence.untrusted_xml import parse_xml

FORMATS = "Cobertura XML, lcov or coverage.py JSON"
# An lcov line is `KEY:value` or `end_of_record`; keys are upper-case words (geninfo(1), FILES:
# https://github.com/linux-test-project/lcov/blob/master/man/geninfo.1). Keys Baton does not
# use (FN, BRDA, LF...) are skipped, so a newer lcov's keys do not break the reader.
LCOV_LINE = re.compile(r"(?P<key>[A-Z]+):(?P<value>.*)")

FileLines = tuple[str, frozenset[int]]


class _CoveragePyFile(BaseModel):
    model_config = ConfigDict(strict=True)
    executed_lines: list[int]


class _CoveragePyReport(BaseModel):
    """What Baton reads of `coverage json`: https://coverage.readthedocs.io/en/latest/commands/cmd_json.html"""

    model_config = ConfigDict(strict=True)
    files: dict[str, _CoveragePyFile]


def read_coverage(data: bytes, source: str, root: str) -> dict[str, frozenset[int]]:
    """Each file of the report under `root` (the directory the tests ran in), by its POSIX path
    relative to `root`, with the lines it executed at least once; files outside `root` are
    dropped. The format is told from the content; a file reported twice has its lines joined."""
    data = data.removeprefix(b"\xef\xbb\xbf").lstrip()
    if data.startswith(b"<"):
        files = _cobertura(parse_xml(data, source), source, root)
    elif data.startswith(b"{"):
        files = _coverage_py(data, source)
    elif LCOV_LINE.match(_text(data, source)):
        files = _lcov(_text(data, source), source)
    else:
        raise ReportError(f"{source}: not a coverage report Baton reads: write {FORMATS}")
    lines: dict[str, frozenset[int]] = {}
    for path, executed in files:
        relative = _under(root, path)
        if relative is not None:
            lines[relative] = lines.get(relative, frozenset()) | executed
    return lines


def _under(root: str, path: str) -> str | None:
    """`path` (absolute, or relative to `root`) relative to `root`, or None outside it."""
    base = PurePosixPath(posixpath.normpath(root))
    full = PurePosixPath(posixpath.normpath(posixpath.join(base, path)))
    if full == base or not full.is_relative_to(base):
        return None
    relative = full.relative_to(base)
    # A relative root (".") is a prefix of every relative path, "../b.py" too.
    return None if relative.parts[0] == ".." else relative.as_posix()


def _text(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ReportError(f"{source}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


def _coverage_py(data: bytes, source: str) -> list[FileLines]:
    report = read_json(_CoveragePyReport, data, source, "coverage.py JSON", f"write {FORMATS}")
    return [(path, frozenset(f.executed_lines)) for path, f in report.files.items()]


def _cobertura(root_element: Element, source: str, root: str) -> list[FileLines]:
    """`<class filename=…>` is relative to one of the `<sources>` (coverage.py, istanbul) or
    absolute; with several sources, the first that puts the file under `root` is taken."""
    if root_element.tag != "coverage" or root_element.find("packages") is None:
        raise ReportError(
            f"{source}: <{root_element.tag}> without <packages> is not Cobertura XML: "
            f"write {FORMATS}"
        )
    bases = [s.text.strip() for s in root_element.iter("source") if s.text and s.text.strip()]
    files: list[FileLines] = []
    for cls in root_element.iter("class"):
        filename = cls.get("filename")
        if filename is None:
            raise ReportError(f"{source}: a <class> has no filename attribute")
        joined = [posixpath.join(base, filename) for base in bases] or [filename]
        path = next((p for p in joined if _under(root, p) is not None), joined[0])
        files.append((path, frozenset(_cobertura_lines(cls, source, filename))))
    return files


def _cobertura_lines(cls: Element, source: str, filename: str) -> Iterator[int]:
    for line in cls.iterfind("lines/line"):
        try:
            number, hits = int(line.get("number", "")), int(line.get("hits", ""))
        except ValueError as exc:
            raise ReportError(
                f"{source}: a <line> of {filename} lacks a whole number or hits ({exc})"
            ) from exc
        if hits > 0:
            yield number


def _lcov(text: str, source: str) -> list[FileLines]:
    files: list[FileLines] = []
    path: str | None = None
    executed: set[int] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line == "end_of_record" and path is not None:
            files.append((path, frozenset(executed)))
            path = None
            continue
        match = LCOV_LINE.fullmatch(line)
        if match is None:
            raise ReportError(f"{source}:{number}: not an lcov line: {line[:60]!r}")
        if match["key"] == "SF":
            path, executed = match["value"], set()
        elif match["key"] == "DA":
            if path is None:
                raise ReportError(f"{source}:{number}: DA before any SF (source file) line")
            line_number, hits = _lcov_hits(match["value"], source, number)
            if hits > 0:
                executed.add(line_number)
    if path is not None:
        raise ReportError(f"{source}: the record of {path} has no end_of_record: truncated?")
    return files


def _lcov_hits(value: str, source: str, number: int) -> tuple[int, int]:
    """`DA:<line>,<hits>[,<checksum>]`."""
    fields = value.split(",")
    try:
        if len(fields) not in {2, 3}:
            raise ValueError(f"{len(fields)} fields")
        return int(fields[0]), int(fields[1])
    except ValueError as exc:
        raise ReportError(f"{source}:{number}: DA is not <line>,<hits> ({exc})") from exc
