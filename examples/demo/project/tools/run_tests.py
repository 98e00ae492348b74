"""Run the tests (every `tests/test_*.py`, or the test files given) and write which lines of
`src/` they ran to `coverage.json`, in the shape of coverage.py's JSON report, so that a tool
reading coverage (Baton's evidence phase) can read it. Standard library only (`sys.settrace`,
following only the frames of `src/`, so that the tests run nearly as fast as without it).

    python3 tools/run_tests.py                      # the whole suite
    python3 tools/run_tests.py tests/test_books.py  # some files
"""

from __future__ import annotations

import json
import sys
import unittest
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path.cwd()
SOURCE = ROOT / "src"
REPORT = ROOT / "coverage.json"


def load(files: list[str]) -> unittest.TestSuite:
    loader = unittest.TestLoader()
    if not files:
        has_tests = (ROOT / "tests" / "__init__.py").is_file()
        return loader.discover("tests", top_level_dir=".") if has_tests else unittest.TestSuite()
    names = [".".join(Path(f).with_suffix("").parts) for f in files]
    return loader.loadTestsFromNames(names)


class Lines:
    """The lines run in files under `src/`, by file."""

    def __init__(self) -> None:
        self.ran: dict[str, set[int]] = {}
        self.ours: dict[str, str | None] = {}  # a code object's file -> its path, or None

    def call(self, frame: FrameType, _event: str, _arg: Any) -> Any:
        name = frame.f_code.co_filename
        if name not in self.ours:
            path = Path(name).resolve()
            inside = path.is_relative_to(SOURCE)
            self.ours[name] = path.relative_to(ROOT).as_posix() if inside else None
        ours = self.ours[name]
        if ours is None:
            return None  # not followed: no cost for the standard library or the tests
        lines = self.ran.setdefault(ours, set())

        def line(frame: FrameType, event: str, _arg: Any) -> Any:
            if event == "line":
                lines.add(frame.f_lineno)
            return line

        return line


def main(files: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    suite = load(files)  # imports outside the trace: only what the tests run counts
    lines = Lines()
    sys.settrace(lines.call)
    try:
        result = unittest.TextTestRunner(verbosity=1).run(suite)
    finally:
        sys.settrace(None)
    ran = lines.ran
    files_ran = {f: {"executed_lines": sorted(n)} for f, n in sorted(ran.items()) if n}
    REPORT.write_text(json.dumps({"meta": {"format": 2}, "files": files_ran}, indent=1) + "\n")
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
