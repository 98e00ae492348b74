"""Which files of a change are tests, which code they are meant to test, and the reports a test
run writes: taken once, the working copy left as it was."""

from __future__ import annotations

from pathlib import Path

from bot.config import TEST_FILES, ValidationConfig
from bot.evidence.files import Target, added_tests, new_tests, targets
from bot.evidence.report_files import ReportFiles
from bot.evidence.sabotage import command_for
from bot.tickets import Ticket, TicketFiles
from bot.validation.diff import Change, FileChange

CHANGE = Change(
    "base",
    "head",
    [
        FileChange("src/api.py", "modified", added={10: "x", 12: "y"}),
        FileChange("src/new.py", "added", added={1: "a"}),
        FileChange("src/only_removed.py", "modified", removed=3),
        FileChange("tests/test_api.py", "added", added={1: "t"}),
        FileChange("tests/helpers.py", "modified", added={3: "h"}),
        FileChange("web/app.spec.ts", "modified", added={2: "s"}),
        FileChange("tests/test_old.py", "deleted", removed=5),
        FileChange("README.md", "modified", added={1: "r"}),
    ],
)
TICKET = Ticket(
    goal="g",
    files=TicketFiles(
        create=["tests/test_api.py"],
        modify=["src/api.py"],
        read=["src/store.py", "src/db/*.py", "docs/api.md", "tests/helpers.py"],
    ),
)
PRESENT = {
    "src/api.py",
    "src/new.py",
    "src/only_removed.py",
    "src/store.py",
    "src/db/pool.py",
    "src/db/notes.txt",
    "tests/test_api.py",
    "tests/helpers.py",
    "web/app.spec.ts",
    "README.md",
    "docs/api.md",
}


def test_new_tests_are_test_files_added_or_changed() -> None:
    assert new_tests(CHANGE, TEST_FILES) == ["tests/test_api.py", "web/app.spec.ts"]
    assert added_tests(CHANGE, TEST_FILES) == ["tests/test_api.py"]


def test_code_under_test_is_named_or_changed_code_less_tests() -> None:
    assert targets(CHANGE, TICKET, TEST_FILES, PRESENT) == [
        Target("src/api.py", frozenset({10, 12})),  # changed: its added lines
        Target("src/db/pool.py", None),  # named by a glob: every line
        Target("src/new.py", None),  # new: every line
        Target("src/only_removed.py", None),  # lines only removed: every line
        Target("src/store.py", None),
    ]


def test_a_named_file_that_is_not_there_is_no_target() -> None:
    assert [t.path for t in targets(CHANGE, TICKET, TEST_FILES, {"src/api.py"})] == ["src/api.py"]


def test_reports_are_cleared_taken_and_the_working_copy_restored(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "junit.xml").write_text("planted")  # committed by the agent
    (tmp_path / "out" / "cov.json").write_text("stale")  # left by an earlier run
    files = ReportFiles(tmp_path, ["junit.xml", "out/cov.json"], {"junit.xml": b"planted"})
    files.clear()
    assert not (tmp_path / "junit.xml").exists()
    assert not (tmp_path / "out" / "cov.json").exists()
    assert files.take() == {"junit.xml": None, "out/cov.json": None}  # the run wrote none
    (tmp_path / "junit.xml").write_text("fresh")
    (tmp_path / "out" / "cov.json").write_text("{}")
    assert files.take() == {"junit.xml": b"fresh", "out/cov.json": b"{}"}
    assert (tmp_path / "junit.xml").read_text() == "planted"  # tracked: as committed
    assert not (tmp_path / "out" / "cov.json").exists()  # untracked: gone


def test_a_report_reached_through_a_link_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "cov.json").write_text("private")
    work = tmp_path / "work"
    work.mkdir()
    (work / "out").symlink_to(secret)
    (work / "junit.xml").symlink_to(secret / "cov.json")
    files = ReportFiles(work, ["out/cov.json", "junit.xml"], {})
    assert files.take() == {"out/cov.json": None, "junit.xml": None}
    assert (secret / "cov.json").read_text() == "private"


def test_the_tests_are_arguments_the_shell_and_the_runner_take_as_names() -> None:
    cfg = ValidationConfig.model_validate({"evidence": {"tests_command": "pytest -q {tests}"}})
    tests = ["tests/test_a b.py", "tests/test_$(touch x).py", "-k.py"]
    assert command_for(cfg, "unused", tests) == (
        "pytest -q 'tests/test_a b.py' 'tests/test_$(touch x).py' ./-k.py"
    )
    assert command_for(ValidationConfig(), "make test", tests) == "make test"
