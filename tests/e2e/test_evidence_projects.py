"""Phase 3 on real projects: the tests an agent adds are run as the project runs them (pytest,
unittest, node's test runner), the code under test really broken, with real git. A test file
that asserts nothing, one that tests a mock of the code it names, and one the runner never
collects each end in a major finding; tests that test the code do not."""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.config import Config
from bot.state import Validation
from bot.tickets import Ticket, TicketFiles
from bot.validation.run import validate_here
from bot.workspace import Git
from tests.e2e.evidence_projects import javascript as js
from tests.e2e.evidence_projects import python as py

PYTHON = shlex.quote(sys.executable)


@dataclass(frozen=True)
class Project:
    base: dict[str, str]  # path -> text, at the base commit
    change: dict[str, str]  # what the agent's commit writes
    validation: dict[str, object]  # .github/baton.yml's `validation`


def validate(tmp_path: Path, project: Project, links: dict[str, Path] | None = None) -> Validation:
    """Validate the agent's commit of `project`, with `links` (path -> target) committed in it."""
    git = Git(tmp_path, os.environ)
    git.run("init", "-q", "-b", "main")
    for path, text in project.base.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    base = git.commit_all("base")
    for path, text in project.change.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    for path, target in (links or {}).items():
        (tmp_path / path).symlink_to(target)
    git.commit_all("the agent's work")
    code = next(p for p in project.base if p.startswith("src/pricing"))
    ticket = Ticket(
        key="pricing",
        goal="Add loyalty points and test the pricing module.",
        files=TicketFiles(
            create=[p for p in [*project.change, *(links or {})] if p != code], modify=[code]
        ),
    )
    config = Config.model_validate({"validation": project.validation})
    return validate_here(git, config, ticket, base=base, rules_at=base, environ=os.environ)


def check(validation: Validation, case: str, code: str) -> None:
    assert validation.command is not None
    assert validation.command.ok, validation.command
    assert {f.rule for f in validation.major} == EXPECTED[case], validation.findings
    evidence = validation.evidence
    assert evidence is not None
    assert evidence.under_test == [code]
    if case == "good":
        assert evidence.tests_added is not None
        assert evidence.tests_added > 0
        assert evidence.killed / len(evidence.tried) >= 0.5, evidence.mutants
    if case == "never collected":
        assert evidence.tests_added == 0
        # Broken code would be run only with the tests named: nothing the project runs.
        assert (evidence.mutants, evidence.not_tried) == (
            [],
            "the test command runs none of the new tests",
        )
    survivors = [f for f in validation.findings if f.rule == "evidence.survived"]
    assert all(f.file == code and f.line for f in survivors), survivors


def python_project(runner: str, test_file: str, tests: str) -> Project:
    if runner == "pytest":
        base = {
            "src/pricing.py": py.PRICING,
            "pytest.ini": "[pytest]\npythonpath = src\ntestpaths = tests\npython_files = test_*.py\n",
            "tests/test_existing.py": py.PYTEST_EXISTING,
        }
        # A project of its own: none of the plugins installed beside pytest here.
        command = f"PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 {PYTHON} -m pytest -q -p no:cacheprovider"
        only = f"{command} {{tests}}"
        reports = {"junit": "junit.xml"}
        command += " --junitxml=junit.xml"
    else:
        base = {
            "src/pricing.py": py.PRICING,
            "src/__init__.py": "",
            "tests/__init__.py": "",
            "tests/test_existing.py": py.UNITTEST_EXISTING,
        }
        command = f"{PYTHON} -m unittest discover -s tests -t ."
        only = f"{PYTHON} -m unittest {{tests}}"
        reports = {}  # counted from its summary: unittest writes no JUnit
    return Project(
        base=base,
        change={"src/pricing.py": py.PRICING + py.LOYALTY, test_file: tests},
        validation={
            "test_command": command,
            **reports,
            "test_timeout_minutes": 1,
            "evidence": {"tests_command": only, "mutants": 4},
        },
    )


# The spec reporter for people, JUnit and lcov for Baton, as README's table says.
NODE_REPORTS = (
    "--test-reporter=spec --test-reporter-destination=stdout --test-reporter=junit "
    "--test-reporter-destination=junit.xml --experimental-test-coverage "
    "--test-reporter=lcov --test-reporter-destination=lcov.info"
)


def node_project(test_file: str, tests: str) -> Project:
    return Project(
        base={
            "src/pricing.js": js.PRICING + js.EXPORTS,
            "package.json": '{"name": "p"}\n',
            "test/existing.test.js": js.EXISTING,
        },
        change={
            "src/pricing.js": js.PRICING + js.LOYALTY + js.EXPORTS_WITH_LOYALTY,
            test_file: tests,
        },
        validation={
            "test_command": f"node --test {NODE_REPORTS}",
            "junit": "junit.xml",
            "coverage": "lcov.info",
            "test_timeout_minutes": 1,
            "evidence": {"tests_command": f"node --test {NODE_REPORTS} {{tests}}", "mutants": 4},
        },
    )


PYTEST = {
    "good": ("tests/test_pricing.py", py.PYTEST_GOOD),
    "asserts nothing": ("tests/test_pricing.py", py.PYTEST_ASSERTS_NOTHING),
    "tests a mock": ("tests/test_pricing.py", py.PYTEST_MOCKED),
    # The project keeps pytest to test_*.py: this file is never collected.
    "never collected": ("tests/pricing_test.py", py.PYTEST_GOOD),
}
UNITTEST = {
    "good": ("tests/test_pricing.py", py.UNITTEST_GOOD),
    "asserts nothing": ("tests/test_pricing.py", py.UNITTEST_ASSERTS_NOTHING),
    "tests a mock": ("tests/test_pricing.py", py.UNITTEST_MOCKED),
    # discover's pattern is test*.py: this file is never collected.
    "never collected": ("tests/pricing_test.py", py.UNITTEST_GOOD),
}
NODE_TESTS = {
    "good": ("test/pricing.test.js", js.GOOD),
    "asserts nothing": ("test/pricing.test.js", js.ASSERTS_NOTHING),
    "tests a mock": ("test/pricing.test.js", js.MOCKED),
    "never collected": ("src/pricing.spec.js", js.NEVER_COLLECTED),
}
EXPECTED = {
    "good": set(),
    "asserts nothing": {"evidence.survived"},
    "tests a mock": {"evidence.survived"},
    "never collected": {"evidence.not_collected"},
}


@pytest.mark.parametrize("case", list(PYTEST))
def test_pytest_project(tmp_path: Path, case: str) -> None:
    validation = validate(tmp_path, python_project("pytest", *PYTEST[case]))
    check(validation, case, "src/pricing.py")


@pytest.mark.parametrize("case", list(UNITTEST))
def test_unittest_project(tmp_path: Path, case: str) -> None:
    validation = validate(tmp_path, python_project("unittest", *UNITTEST[case]))
    check(validation, case, "src/pricing.py")


@pytest.mark.parametrize("case", list(NODE_TESTS))
def test_node_project(tmp_path: Path, case: str) -> None:
    validation = validate(tmp_path, node_project(*NODE_TESTS[case]))
    check(validation, case, "src/pricing.js")


# A mutation tool's stand-in: it writes what Stryker writes (the mutation-testing-elements
# schema, as bot/evidence/mutation_report.py reads it), having "run" the project's tests.
TOOL = """\
import json, pathlib
source = pathlib.Path("src/pricing.py").read_text()
def mutant(i, line, status):
    return {"id": str(i), "mutatorName": "EqualityOperator", "replacement": "<", "status": status,
            "location": {"start": {"line": line, "column": 15}, "end": {"line": line, "column": 17}}}
report = {"schemaVersion": "1", "thresholds": {"high": 80, "low": 60}, "files": {"src/pricing.py": {
    "language": "python", "source": source,
    "mutants": [mutant(1, 18, "Killed"), mutant(2, 18, "Survived"), mutant(3, 11, "NoCoverage")]}}}
out = pathlib.Path("reports/mutation/mutation.json")
out.parent.mkdir(parents=True)
out.write_text(json.dumps(report))
"""


def test_a_mutation_tool_can_do_the_sabotage(tmp_path: Path) -> None:
    project = python_project("pytest", *PYTEST["good"])
    project.base["tool.py"] = TOOL
    evidence = {"command": f"{PYTHON} tool.py", "report": "reports/mutation/mutation.json"}
    project.validation["evidence"] = evidence
    validation = validate(tmp_path, project)
    assert validation.evidence is not None
    assert [(m.line, m.killed, m.outcome) for m in validation.evidence.mutants] == [
        (18, True, "Killed"),
        (18, False, "Survived"),
        (11, False, "NoCoverage"),
    ]
    survived = [f for f in validation.findings if f.rule == "evidence.survived"]
    assert [(f.severity, f.file, f.line) for f in survived] == [
        ("major", "src/pricing.py", 18),
        ("major", "src/pricing.py", 11),
    ]
    assert "`if points >= 100:` changed to `if points < 100:`" in survived[0].message


def test_a_link_the_agent_committed_is_never_read_nor_broken(tmp_path: Path) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text('TOKEN = "kept-out"\nif TOKEN == "x":\n    print(TOKEN)\n')
    repo = tmp_path / "repo"
    repo.mkdir()
    validation = validate(
        repo, python_project("pytest", *PYTEST["good"]), links={"src/linked.py": outside}
    )
    assert validation.evidence is not None
    assert "src/linked.py" in validation.evidence.under_test
    assert all(m.file == "src/pricing.py" for m in validation.evidence.mutants)
    assert "kept-out" not in validation.model_dump_json()
    assert outside.read_text().startswith('TOKEN = "kept-out"')
