"""Run the tests (every `tests/test_*.py`, or the test files given) and write which lines of
`src/` they ran to `coverage.json`, in the shape of coverage.py's JSON report, so that a tool
reading coverage (Baton's evidence phase) can read it. Standard library only (`trace`).

    python3 tools/run_tests.py                      # the whole suite
    python3 tools/run_tests.py tests/test_books.py  # some files
"""

from __future__ import annotations

import json
import sys
import trace
import unittest
from pathlib import Path

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


def main(files: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    suite = load(files)  # imports outside the trace: only what the tests run counts
    tracer = trace.Trace(count=1, trace=0)
    result = tracer.runfunc(unittest.TextTestRunner(verbosity=1).run, suite)
    ran: dict[str, set[int]] = {}
    for (filename, line), _ in tracer.results().counts.items():
        path = Path(filename).resolve()
        if path.is_relative_to(SOURCE):
            ran.setdefault(path.relative_to(ROOT).as_posix(), set()).add(line)
    files_ran = {f: {"executed_lines": sorted(lines)} for f, lines in sorted(ran.items())}
    REPORT.write_text(json.dumps({"meta": {"format": 2}, "files": files_ran}, indent=1) + "\n")
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
