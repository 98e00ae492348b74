"""Phase 2 on real git repositories: every rule kind finds what a change adds, and only that.

For each kind: a clean change (no findings), a violating one (the finding, with its file and line),
and an old violation the change does not touch (never reported). Then malformed rules blocks, which
are problems naming the rule and the line in CONVENTIONS.md."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from bot.state import Finding
from bot.tickets import Ticket, TicketFiles
from bot.validation.diff import read_change
from bot.validation.review import load_conventions, load_rules, review_change
from bot.validation.rules import Pattern, PatternsRule, conventions_prose, parse_rules
from bot.workspace import Git

CONVENTIONS = "knowledge/CONVENTIONS.md"


def conventions(rules: str) -> str:
    return (
        "# Conventions\n\nProse for people: keep tests fast.\n\n"
        f"```baton-rules\n{textwrap.dedent(rules).strip()}\n```\n\nMore prose.\n"
    )


def write(root: Path, files: dict[str, str | None]) -> None:
    for path, text in files.items():
        target = root / path
        if text is None:
            target.unlink()
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text))


def make_repo(tmp_path: Path, rules: str, files: dict[str, str | None]) -> Git:
    root = tmp_path / "repo"
    root.mkdir()
    git = Git(root, os.environ)
    git.run("init", "-q", "-b", "main")
    write(root, {CONVENTIONS: conventions(rules), **files})
    git.commit_all("base")
    return git


def change(git: Git, files: dict[str, str | None]) -> tuple[str, str]:
    base = git.head()
    write(git.root, files)
    return base, git.commit_all("change")


def review(git: Git, base: str, head: str, ticket: Ticket | None = None) -> list[Finding]:
    rules, problems = load_rules(git, base, CONVENTIONS)
    assert problems == []
    return review_change(git, base, head, ticket, rules)


def where(findings: list[Finding]) -> list[tuple[str, str | None, int | None]]:
    return [(f.rule, f.file, f.line) for f in findings]


def ticket(*, create: list[str] = (), modify: list[str] = ()) -> Ticket:  # type: ignore[assignment]
    return Ticket(goal="do it", files=TicketFiles(create=list(create), modify=list(modify)))


# --- forbidden_paths ------------------------------------------------------------------------------

FORBIDDEN = """
- id: no-ci-edits
  kind: forbidden_paths
  severity: major
  paths: [".github/workflows/**", "**/package-lock.json", "uv.lock"]
  message: CI workflows and lock files are not changed by tickets
  hint: revert the file; ask for a ticket that names it
"""


def test_forbidden_paths(tmp_path: Path) -> None:
    git = make_repo(
        tmp_path,
        FORBIDDEN,
        {".github/workflows/ci.yml": "on: push\n", "uv.lock": "old\n", "src/app.py": "x = 1\n"},
    )
    clean = change(git, {"src/app.py": "x = 2\n"})
    assert review(git, *clean) == []
    bad = change(
        git,
        {
            ".github/workflows/ci.yml": "on: push\njobs: {}\n",
            "web/package-lock.json": "{}\n",
            "uv.lock": None,
        },
    )
    found = review(git, *bad)
    assert where(found) == [
        ("no-ci-edits", ".github/workflows/ci.yml", 2),
        ("no-ci-edits", "uv.lock", None),  # deleted: no line to point at
        ("no-ci-edits", "web/package-lock.json", 1),
    ]
    assert found[0].severity == "major"
    assert found[0].hint == "revert the file; ask for a ticket that names it"
    # The forbidden files were there all along; a change elsewhere says nothing about them.
    assert review(git, *change(git, {"src/app.py": "x = 3\n"})) == []


def test_a_ticket_naming_a_forbidden_path_lifts_it_but_a_catch_all_does_not(
    tmp_path: Path,
) -> None:
    git = make_repo(tmp_path, FORBIDDEN, {".github/workflows/ci.yml": "on: push\n"})
    base, head = change(git, {".github/workflows/ci.yml": "on: [push]\n"})
    assert review(git, base, head, ticket(modify=[".github/workflows/ci.yml"])) == []
    assert review(git, base, head, ticket(modify=[".github/workflows/*.yml"])) == []
    found = review(git, base, head, ticket(modify=["**"]))
    assert where(found) == [("no-ci-edits", ".github/workflows/ci.yml", 1)]


# --- path -----------------------------------------------------------------------------------------

PATH = """
- id: test-layout
  kind: path
  severity: major
  applies_to: ["**/test_*.py", "**/*.test.ts"]
  exclude: "examples/**"
  allowed: ["tests/**/test_*.py", "web/src/**/*.test.ts"]
  message: tests live in tests/ (Python) or beside the code in web/src (TypeScript)
  hint: move the test file under tests/
"""


def test_path(tmp_path: Path) -> None:
    git = make_repo(tmp_path, PATH, {"src/test_legacy.py": "def test_old():\n    pass\n"})
    clean = change(
        git,
        {
            "tests/unit/test_app.py": "def test_app():\n    pass\n",
            "web/src/app.test.ts": "it('works', () => {});\n",
            "examples/test_demo.py": "pass\n",
        },
    )
    assert review(git, *clean) == []
    bad = change(
        git, {"src/test_new.py": "def test_new():\n    pass\n", "web/app.test.ts": "it('x');\n"}
    )
    found = review(git, *bad)
    assert where(found) == [
        ("test-layout", "src/test_new.py", 1),
        ("test-layout", "web/app.test.ts", 1),
    ]
    assert "(allowed: `tests/**/test_*.py`, `web/src/**/*.test.ts`)" in found[0].message
    # src/test_legacy.py was in the wrong place before: changing it is not adding it there.
    legacy = change(git, {"src/test_legacy.py": "def test_old():\n    assert True\n"})
    assert review(git, *legacy) == []


def test_a_rename_into_the_wrong_place_is_an_added_path(tmp_path: Path) -> None:
    git = make_repo(tmp_path, PATH, {"tests/test_a.py": "def test_a():\n    pass\n"})
    base = git.head()
    git.run("mv", "tests/test_a.py", "test_a.py")
    head = git.commit_all("move")
    assert [(f.path, f.status) for f in read_change(git, base, head).files] == [
        ("test_a.py", "renamed")
    ]
    assert where(review(git, base, head)) == [("test-layout", "test_a.py", None)]


# --- imports --------------------------------------------------------------------------------------

IMPORTS = """
- id: mocks-from-helpers
  kind: imports
  severity: major
  applies_to: ["tests/**/*.py", "web/**/*.test.ts"]
  exclude: ["tests/helpers/**"]
  names: ["*mock*", "*Mock*"]
  require_from: ["tests/helpers/", "web/test/helpers/"]
  message: tests take their mocks from the shared helpers
  hint: import the mock from tests/helpers/ (Python) or web/test/helpers/ (TypeScript)
- id: no-deep-relative
  kind: imports
  severity: minor
  applies_to: ["**/*.py", "**/*.ts"]
  forbid_relative_depth: 2
  message: no deep relative imports
  hint: import by the package's absolute name
- id: no-requests
  kind: imports
  severity: major
  applies_to: "src/**"
  forbid: ["requests", "lodash"]
  message: use httpx (Python) and the standard library (TypeScript)
  hint: replace the import
"""


def test_imports_in_python(tmp_path: Path) -> None:
    old = """\
        from unittest.mock import MagicMock
        import requests


        def test_old():
            pass
        """
    git = make_repo(
        tmp_path,
        IMPORTS,
        {
            "tests/helpers/mocks.py": "from unittest.mock import MagicMock\n",
            "tests/unit/test_old.py": old,
            "src/pkg/sub/mod.py": "import os\n",
            "src/client.py": "import requests\n",
        },
    )
    clean = change(
        git,
        {
            "tests/unit/test_new.py": """\
                import pytest
                from tests.helpers.mocks import MagicMock
                from tests import helpers
                from ..helpers import mocks
                """,
            "src/pkg/sub/mod.py": "import os\nfrom ..util import x\nimport requests_toolbelt\n",
        },
    )
    assert review(git, *clean) == []
    bad = change(
        git,
        {
            "tests/unit/test_bad.py": """\
                import os
                from unittest import mock
                from unittest.mock import (
                    patch,
                    MagicMock,
                )
                """,
            "src/pkg/sub/mod.py": "import os\nfrom ...top import x\nimport requests.adapters\n",
            # The old file: its old imports stay, one new line is added below them.
            "tests/unit/test_old.py": old + "\n\ndef test_more():\n    pass\n",
        },
    )
    found = review(git, *bad)
    assert where(found) == [
        ("no-deep-relative", "src/pkg/sub/mod.py", 2),
        ("no-requests", "src/pkg/sub/mod.py", 3),
        ("mocks-from-helpers", "tests/unit/test_bad.py", 2),
        ("mocks-from-helpers", "tests/unit/test_bad.py", 3),
    ]
    assert "imports `unittest`; take it from `tests/helpers/`, `web/test/helpers/`" in (
        found[2].message
    )
    assert "`...top` climbs 2 directories" in found[0].message


def test_a_multi_line_import_is_reported_at_its_changed_line(tmp_path: Path) -> None:
    git = make_repo(
        tmp_path,
        IMPORTS,
        {"tests/test_x.py": "from unittest.mock import (\n    patch,\n)\n"},
    )
    base, head = change(
        git, {"tests/test_x.py": "from unittest.mock import (\n    patch,\n    MagicMock,\n)\n"}
    )
    assert where(review(git, base, head)) == [("mocks-from-helpers", "tests/test_x.py", 3)]


def test_imports_in_typescript(tmp_path: Path) -> None:
    git = make_repo(
        tmp_path,
        IMPORTS,
        {
            "web/src/old.test.ts": "import { vi } from '../../../vendor/mock';\n",
            "src/util.ts": "import _ from 'lodash';\n",
        },
    )
    clean = change(
        git,
        {
            "web/src/a.test.ts": """\
                import { describe, it } from 'vitest';
                import { mockFetch } from '../test/helpers/mocks';
                // import { mock } from 'jest-mock';
                /* const m = require('../../../mock'); */
                export const url = 'http://example.com/mock';
                """,
            "src/api.ts": "import { get } from './http';\nimport lodashFree from 'lodashish';\n",
        },
    )
    assert review(git, *clean) == []
    bad = change(
        git,
        {
            "web/src/b.test.ts": """\
                import {
                  fn,
                  mocked,
                } from 'vitest-mock-extended';
                const sinonMock = require("sinon-mock");
                export * from '../../shared/mock-data';
                """,
            "src/api.ts": "import { get } from './http';\nconst fp = await import('lodash/fp');\n",
        },
    )
    found = review(git, *bad)
    assert where(found) == [
        ("no-requests", "src/api.ts", 2),
        ("mocks-from-helpers", "web/src/b.test.ts", 1),
        ("mocks-from-helpers", "web/src/b.test.ts", 5),
        ("mocks-from-helpers", "web/src/b.test.ts", 6),
        ("no-deep-relative", "web/src/b.test.ts", 6),
    ]


# --- patterns -------------------------------------------------------------------------------------

PATTERNS = """
- id: no-focus-or-sleep
  kind: patterns
  severity: major
  applies_to: ["tests/**/*.py", "**/*.test.ts"]
  forbid: [".only(", "time.sleep(", {regex: "\\\\bconsole\\\\.log\\\\b"}]
  message: no focused tests, sleeps or console output in tests
  hint: remove it (use the fake clock instead of sleeping)
- id: future-annotations
  kind: patterns
  severity: minor
  applies_to: "src/**/*.py"
  require: "from __future__ import annotations"
  message: modules start with `from __future__ import annotations`
  hint: add it as the first import
"""


def test_patterns(tmp_path: Path) -> None:
    git = make_repo(
        tmp_path,
        PATTERNS,
        {
            "tests/test_old.py": "import time\n\ndef test_old():\n    time.sleep(1)\n",
            "web/a.test.ts": "it.only('focus', () => {});\n",
            "src/old.py": "x = 1\n",
            "src/kept.py": "from __future__ import annotations\n\ny = 1\n",
        },
    )
    clean = change(
        git,
        {
            "tests/test_new.py": "def test_new():\n    assert 'time.sleep' != 'x'\n",
            "web/b.test.ts": "it('ok', () => { consoleLog(); });\n",
            "src/new.py": "from __future__ import annotations\n",
            "src/old.py": "x = 2\n",  # never had it: an old gap, not this change's doing
            "src/kept.py": "from __future__ import annotations\n\ny = 2\n",
        },
    )
    assert review(git, *clean) == []
    bad = change(
        git,
        {
            "tests/test_old.py": "import time\n\ndef test_old():\n    time.sleep(1)\n    time.sleep(2)\n",
            "web/b.test.ts": "it('ok', () => { consoleLog(); });\ndescribe.only('x', () => console.log(1));\n",
            "src/fresh.py": "z = 1\n",
            "src/kept.py": "y = 3\n",  # removed what it had
        },
    )
    found = review(git, *bad)
    assert where(found) == [
        ("future-annotations", "src/fresh.py", 1),
        ("future-annotations", "src/kept.py", 1),
        ("no-focus-or-sleep", "tests/test_old.py", 5),  # line 4's sleep was there before
        ("no-focus-or-sleep", "web/b.test.ts", 2),
        ("no-focus-or-sleep", "web/b.test.ts", 2),
    ]
    messages = sorted(f.message for f in found if f.file == "web/b.test.ts")
    assert messages[0].endswith("(found `.only(`)")
    assert messages[1].endswith("(found `\\bconsole\\.log\\b`)")
    assert found[0].severity == "minor"


# --- size -----------------------------------------------------------------------------------------

SIZE = """
- id: small-changes
  kind: size
  severity: minor
  max_changed_lines: 6
  max_changed_files: 2
  exclude: ["**/*.lock"]
  message: a ticket's change stays small enough to review
  hint: split the ticket
"""


def test_size(tmp_path: Path) -> None:
    big = "".join(f"line {i}\n" for i in range(100))
    git = make_repo(tmp_path, SIZE, {"a.txt": big, "b.txt": big})  # the history is big
    clean = change(
        git, {"a.txt": big.replace("line 1\n", "one\n"), "deps.lock": big, "c.txt": "c\n"}
    )
    assert review(git, *clean) == []  # 2 + 1 lines in 2 counted files; the lock file is excluded
    bad = change(
        git,
        {"a.txt": big.replace("line 5\n", "five\n"), "b.txt": big[:40], "d.txt": "d\ne\n"},
    )
    found = review(git, *bad)
    assert where(found) == [("small-changes", None, None), ("small-changes", None, None)]
    # a.txt: 2 lines back, 2 changed; b.txt: 96 lines gone, 1 cut short; d.txt: 2 new lines
    assert sorted(f.message for f in found) == [
        "a ticket's change stays small enough to review (102 lines changed; at most 6)",
        "a ticket's change stays small enough to review (3 files changed; at most 2)",
    ]


# --- the ticket's scope ---------------------------------------------------------------------------


def test_the_ticket_scope_applies_only_with_a_ticket(tmp_path: Path) -> None:
    git = make_repo(tmp_path, SIZE, {"src/app.py": "x = 1\n", "README.md": "# r\n"})
    base, head = change(git, {"src/app.py": "x = 2\n", "README.md": "# readme\n"})
    assert review(git, base, head) == []
    scoped = ticket(create=["src/new.py", "src/gen/"], modify=["src/app.py"])
    found = review(git, base, head, scoped)
    assert where(found) == [
        ("scope.outside", "README.md", None),
        ("scope.missing", "src/gen/", None),
        ("scope.missing", "src/new.py", None),
    ]
    base, head = change(git, {"src/new.py": "y = 1\n", "src/gen/out.py": "z = 1\n"})
    assert review(git, base, head, scoped) == []


def test_batons_own_files_are_never_part_of_the_change(tmp_path: Path) -> None:
    """`.baton/` committed by someone else's git (a cloud agent's, a user's `git add -A`): no
    rule, the scope included, ever sees it."""
    git = make_repo(tmp_path, SIZE, {"src/app.py": "x = 1\n"})
    base = git.head()
    write(git.root, {"src/app.py": "x = 2\n", ".baton/state.json": "{}\n", ".baton/a": "a\n"})
    git.run("add", "-A")
    git.run("commit", "-q", "-m", "the change, and Baton's files")
    head = git.head()
    assert review(git, base, head, ticket(modify=["src/app.py"])) == []
    assert read_change(git, base, head).paths == ["src/app.py"]


def test_rules_are_read_at_the_base_so_a_change_cannot_rewrite_them(tmp_path: Path) -> None:
    git = make_repo(tmp_path, FORBIDDEN, {"uv.lock": "old\n"})
    base, head = change(git, {CONVENTIONS: "# Conventions\n\nNo rules.\n", "uv.lock": "new\n"})
    assert where(review(git, base, head)) == [("no-ci-edits", "uv.lock", 1)]
    loaded = load_conventions(git, head, CONVENTIONS)
    assert loaded.rules == []
    assert load_conventions(git, base, "docs/NONE.md").text is None


# --- the diff -------------------------------------------------------------------------------------


def test_the_diff_reads_odd_paths_binary_files_and_empty_files(tmp_path: Path) -> None:
    git = make_repo(tmp_path, SIZE, {"old name.txt": "a\nb\n", "gone.txt": "x\n"})
    base = git.head()
    write(
        git.root,
        {
            'dir with space/naïve "q".py': "print(1)\n+2\n",
            "tab\tname.py": "t\n",
            "empty.txt": "",
            "gone.txt": None,
        },
    )
    (git.root / "image.bin").write_bytes(b"\x00\x01\xff" * 10)
    git.run("mv", "old name.txt", "new name.txt")
    head = git.commit_all("odd")
    files = {f.path: f for f in read_change(git, base, head).files}
    assert set(files) == {
        'dir with space/naïve "q".py',
        "tab\tname.py",
        "empty.txt",
        "gone.txt",
        "image.bin",
        "new name.txt",
    }
    assert files['dir with space/naïve "q".py'].added == {1: "print(1)", 2: "+2"}
    assert files["tab\tname.py"].status == "added"
    assert files["empty.txt"].status == "added"
    assert files["empty.txt"].added == {}
    assert files["gone.txt"].status == "deleted"
    assert files["gone.txt"].removed == 1
    assert files["image.bin"].binary
    assert files["new name.txt"].status == "renamed"
    assert files["new name.txt"].old_path == "old name.txt"


# --- malformed rules ------------------------------------------------------------------------------


def test_malformed_rules_name_the_rule_and_the_line() -> None:
    markdown = textwrap.dedent(
        """\
        # Conventions

        ```baton-rules
        - id: good
          kind: size
          severity: minor
          max_changed_files: 3
          message: small
          hint: split
        - id: bad-severity
          kind: size
          severity: blocker
          max_changed_files: 3
          message: small
          hint: split
        - id: odd-kind
          kind: pattern
          severity: minor
          message: m
          hint: h
        - kind: size
          severity: minor
          max_changed_lines: 3
          message: no id
          hint: h
        - id: typo
          kind: path
          severity: major
          applies_to: "*.py"
          alowed: ["src/**"]
          message: m
          hint: h
        ```

        Prose between blocks.

        ```baton-rules
        - id: broken: yaml: here
        ```

        ~~~baton-rules
        - id: good
          kind: size
          severity: minor
          max_changed_lines: 1
          message: twice
          hint: h
        - id: nothing
          kind: imports
          severity: minor
          applies_to: "**"
          message: checks nothing
          hint: h
        ~~~
        """
    )
    rules, problems = parse_rules(markdown, CONVENTIONS)
    assert [r.id for r in rules] == ["good"]
    expected = [
        f"{CONVENTIONS}:12: error: rule `bad-severity`.severity: `blocker` is not one of minor, major",
        f"{CONVENTIONS}:17: error: rule `odd-kind`.kind: unknown kind `pattern`; did you mean `patterns`?",
        f"{CONVENTIONS}:21: error: rule #4.id: is required",
        f"{CONVENTIONS}:26: error: rule `typo`.allowed: is required",
        f"{CONVENTIONS}:30: error: rule `typo`.alowed: unknown key; did you mean `allowed`?",
        f"{CONVENTIONS}:38: error: baton-rules: invalid YAML: mapping values are not allowed",
        f"{CONVENTIONS}:42: error: rule `good`: the id is used twice (lines 4 and 42); ids are unique",
        f"{CONVENTIONS}:48: error: rule `nothing`: needs `forbid`, `require_from` or `forbid_relative_depth`",
    ]
    rendered = [p.render() for p in problems]
    assert len(rendered) == len(expected), rendered
    for got, want in zip(rendered, expected, strict=True):
        assert got.startswith(want), got


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ("id: lonely\n", "3: error: baton-rules: a rules block is a YAML list of rules"),
        (
            "- id: scope.extra\n  kind: size\n  severity: minor\n  max_changed_lines: 1\n"
            "  message: m\n  hint: h\n",
            "4: error: rule `scope.extra`.id: ids starting with `scope` are Baton's own",
        ),
        (
            "- id: re\n  kind: patterns\n  severity: minor\n  applies_to: '**'\n"
            "  forbid: [{regex: '(unclosed'}]\n  message: m\n  hint: h\n",
            "8: error: rule `re`.forbid[0].regex: `(unclosed` is not a valid regular expression",
        ),
        ("- just a string\n", "4: error: rule #1: a rule is a mapping"),
        (
            "- id: abs\n  kind: path\n  severity: minor\n  applies_to: /etc/*\n"
            "  allowed: '**'\n  message: m\n  hint: h\n",
            "7: error: rule `abs`.applies_to[0]: path '/etc/*' is absolute",
        ),
    ],
)
def test_more_malformed_rules(block: str, expected: str) -> None:
    markdown = f"# C\n\n```baton-rules\n{block}```\n"
    rules, problems = parse_rules(markdown, "C.md")
    assert rules == []
    assert len(problems) >= 1
    assert problems[0].render().startswith(f"C.md:{expected}"), problems[0].render()


def test_an_unclosed_rules_block_is_a_problem_and_other_fences_are_prose() -> None:
    markdown = (
        "# C\n\n````markdown\n```baton-rules\n- not: parsed\n```\n````\n\n```baton-rules\n- x\n"
    )
    rules, problems = parse_rules(markdown, "C.md")
    assert rules == []
    assert problems[0].render() == (
        "C.md:9: error: baton-rules: the block opened at line 9 is never closed; close it with a fence"
    )


def test_rules_accept_one_glob_or_a_list_and_the_prose_drops_the_blocks() -> None:
    markdown = conventions(
        """
        - id: p
          kind: patterns
          severity: minor
          applies_to: "**/*.py"
          forbid: ["print(", {regex: "breakpoint\\\\(\\\\)"}]
          message: m
          hint: h
        """
    )
    (rule,), problems = parse_rules(markdown, "C.md")
    assert problems == []
    assert isinstance(rule, PatternsRule)
    assert rule.applies_to == ["**/*.py"]
    assert rule.forbid == [Pattern(literal="print("), Pattern(regex="breakpoint\\(\\)")]
    assert [p.compile().search("x = breakpoint()") is not None for p in rule.forbid] == [
        False,
        True,
    ]
    assert conventions_prose(markdown) == (
        "# Conventions\n\nProse for people: keep tests fast.\n\nMore prose.\n"
    )
