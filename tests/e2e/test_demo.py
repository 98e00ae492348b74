"""The demo, end to end: the README's first command runs exactly this. It runs once for the
whole suite (tests/once.py); each test reads what it left, or works on a copy of it."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.workspace import Git
from tests.once import once_per_run


@pytest.fixture
def demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """`baton demo` run once: its repository (`repo`), the HOME it ran with (`home`: where the
    demo agent keeps its sessions when unsandboxed), its exit code and its output."""

    def run(where: Path) -> dict[str, Any]:
        home = where / "home"
        home.mkdir(parents=True)
        repo = where / "demo"
        result = CliRunner().invoke(cli, ["demo", "--dir", str(repo)], env={"HOME": str(home)})
        return {
            "repo": str(repo),
            "home": str(home),
            "exit_code": result.exit_code,
            "output": result.output,
            "stdout": result.stdout,
        }

    return once_per_run(tmp_path_factory, "demo", run)


def test_demo_passes_every_ticket_and_records_the_correction(demo: Any) -> None:
    assert demo["exit_code"] == 0, demo["output"]
    repo, home = Path(demo["repo"]), Path(demo["home"])

    status = json.loads((repo / "knowledge" / "status.json").read_text())
    chain = status["chains"]["api-tests"]
    assert chain["outcome"] == "passed"
    tickets = {t["key"]: t for t in chain["tickets"]}
    assert len(tickets) >= 4
    assert {t["status"] for t in tickets.values()} == {"passed"}
    assert len(chain["sessions"]) == 1, "one session for the whole chain"

    corrected = [t for t in tickets.values() if t["corrections"]]
    assert corrected, "the demo shows at least one correction followup"
    attempts = corrected[0]["attempts"]
    assert [a["kind"] for a in attempts][-1] == "correction"
    first = attempts[0]["validation"]
    assert not first["passed"]
    assert any(f["severity"] == "major" for f in first["findings"])
    assert attempts[-1]["validation"]["passed"]

    reports = list((repo / "knowledge" / "reports").glob("*-api-tests.md"))
    assert len(reports) == 1
    report = reports[0].read_text()
    assert "(correction, session 1)" in report
    assert "scope.outside" in report
    assert str(reports[0]) in demo["output"]
    assert "chain `api-tests`, passed" in (repo / "knowledge" / "CHANGELOG.md").read_text()
    # What it ends with works where it is copied (the demo's repository is not where it ran).
    [look] = [line for line in demo["output"].splitlines() if line.startswith("look at it: ")]
    command = shlex.split(look.removeprefix("look at it: ").split("   (")[0])
    assert command[:3] == ["git", "-C", str(repo)], look
    logged = subprocess.run(command, capture_output=True, text=True, check=True)
    assert "baton(" in logged.stdout

    # The timeline: a well-formed SVG with one bar per attempt, linked from the report.
    svg = reports[0].with_suffix(".svg")
    assert f"({svg.name})" in report
    bars = (
        ElementTree.parse(svg)
        .getroot()
        .findall("{http://www.w3.org/2000/svg}rect[@class='attempt']")
    )
    assert len(bars) == sum(len(t["attempts"]) for t in tickets.values())
    # The sprint history, and the convention the correction taught, proposed in its own commit.
    assert "chain `api-tests`, passed" in (repo / "knowledge" / "CONTEXT.md").read_text()
    conventions = (repo / "knowledge" / "CONVENTIONS.md").read_text()
    assert "## Proposed" in conventions
    assert "make_client() from tests/helpers.py" in conventions.split("## Proposed")[1]

    # The correction was caused by a convention rule, and its prompt named the file and line.
    assert any(f["rule"] == "shared-test-client" for f in first["findings"])
    # The agent keeps its session in its HOME, as a real CLI does: the chain's own HOME in the
    # sandbox, else the real one.
    # (The planner's session, in the scratch checkout's HOME or the real one, is another.)
    (turns,) = [
        t
        for session in [
            *repo.glob(".baton/homes/*/.baton-demo-agent/*/*.json"),
            *home.glob(".baton-demo-agent/*/*.json"),
        ]
        if not (t := json.loads(session.read_text())["turns"])[0]["ticket"].startswith("plan-")
    ]
    correction = next(t for t in turns if t["kind"] == "correction")
    assert "`tests/test_books.py:5` (shared-test-client)" in correction["prompt"]
    assert "Fix: import make_client from tests.helpers" in correction["prompt"]

    # Phase 3: the authors tests first answered themselves (a canned WSGI application behind the
    # shared client). No rule sees that; the sabotage check does, and the correction tests the API.
    authors = tickets["authors-tests"]["attempts"]
    assert [a["kind"] for a in authors] == ["followup", "correction"]
    caught = authors[0]["validation"]["findings"]
    assert {f["rule"] for f in caught if f["severity"] == "major"} == {"evidence.survived"}
    assert all(f["file"].startswith("src/bookshelf/") for f in caught if f["severity"] == "major")
    assert authors[-1]["validation"]["passed"]
    (fixed,) = [t for t in turns if t["kind"] == "correction" and t["ticket"] == "authors-tests"]
    assert "the tests still pass with" in fixed["prompt"]
    assert "| evidence |" in report
    assert "mutants noticed" in report

    git = Git(repo, os.environ)
    assert git.branch() == "baton/api-tests"
    subjects = git.run("log", "-2", "--format=%s").splitlines()
    assert subjects == [
        "baton: propose conventions learned in chain api-tests",
        "baton: knowledge of chain api-tests",
    ]
    assert not git.dirty_files(), "the chain leaves a clean working copy"
    # The branch ends at a validated state: the out-of-scope mock file is gone.
    assert not (repo / "tests" / "mocks.py").exists()


def test_demo_plans_its_chain_first_and_the_check_catches_the_planted_mistake(demo: Any) -> None:
    assert demo["exit_code"] == 0, demo["output"]
    repo, stdout = Path(demo["repo"]), demo["stdout"]
    assert "planner:    2 prompt(s), 1 correction(s)" in stdout
    assert (
        "sent back:  tickets/api-tests.yml:29: error: test-helper: files.read[1]: "
        "`src/bookshelf/storage.py` does not exist at the base commit" in stdout
    )
    assert "✓ files to modify or read exist at the base (passed)" in stdout
    git = Git(repo, os.environ)
    # The plan was approved (committed) before the chain ran, with the audit it was made from.
    first = git.run("log", "--reverse", "--format=%s", "main").splitlines()
    assert first == ["Bookshelf API, before Baton", "Plan of chain api-tests, approved"]
    planned = git.run("show", "--name-only", "--format=", "main").splitlines()
    assert "tickets/api-tests.yml" in planned
    assert any(p.startswith("knowledge/audits/") and p.endswith("-api-tests.md") for p in planned)
    shipped = Path(__file__).resolve().parents[2] / "examples/demo/project/tickets/api-tests.yml"
    assert (repo / "tickets" / "api-tests.yml").read_text() == shipped.read_text()


def test_demo_refuses_a_directory_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "something").write_text("keep me")
    result = CliRunner().invoke(cli, ["demo", "--dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "is not empty" in result.output
    assert (tmp_path / "something").read_text() == "keep me"


def test_a_second_identical_chain_does_not_propose_the_convention_again(
    demo: Any, tmp_path: Path
) -> None:
    assert demo["exit_code"] == 0, demo["output"]
    repo = Path(shutil.copytree(demo["repo"], tmp_path / "demo", symlinks=True))
    proposed = json.loads((repo / ".baton" / "state.json").read_text())["proposals"]
    git = Git(repo, os.environ)
    git.run("checkout", "-q", "main")
    chain = (repo / "tickets" / "api-tests.yml").read_text()
    (repo / "tickets" / "api-tests.yml").unlink()
    (repo / "tickets" / "again.yml").write_text(chain.replace("chain: api-tests", "chain: again"))
    git.commit_all("the same chain again")
    result = CliRunner().invoke(cli, ["run", "--local", "--repo", str(repo)])
    assert result.exit_code == 0, result.output
    state = json.loads((repo / ".baton" / "state.json").read_text())
    again = state["chains"]["again"]["tickets"]["books-tests"]["attempts"]
    assert [a["kind"] for a in again] == ["followup", "correction"], (
        "the same lesson, learned again"
    )
    subjects = git.run("log", "--format=%s", "main..baton/again").splitlines()
    assert "baton: knowledge of chain again" in subjects
    assert not any(s.startswith("baton: propose conventions") for s in subjects)
    assert state["proposals"] == proposed
