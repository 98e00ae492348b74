"""`baton plan` locally, end to end through the command line (click's CliRunner): real git, the
real audit, a scripted planner run as a `command` agent (tests/fakes/agents/planner_cli.py),
the real plan check and hand-over."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from syrupy.assertion import SnapshotAssertion

from bot.cli import cli
from tests.e2e.plan_support import GOAL, GOOD, MISSING, project_files
from tests.unit.planning_repos import commit_files


def repository(
    root: Path, drafts: dict[int, str], *, stray: str | None = None, **plan: int
) -> Path:
    """A small project, committed, whose configured agent is the scripted planner."""
    commit_files(root, project_files(root.parent, drafts, stray=stray, **plan))
    return root


def plan(root: Path, *args: str) -> Result:
    home = root.parent / "home"
    home.mkdir(exist_ok=True)
    result = CliRunner().invoke(
        cli,
        ["plan", GOAL, "--repo", str(root), "--chain", "authors", *args],
        env={"HOME": str(home)},
    )
    assert "Traceback" not in result.output, result.output
    return result


def prompts(root: Path) -> list[str]:
    """Every prompt of the planner's one session, in order."""
    (session,) = (root.parent / "home" / ".planner-sessions").iterdir()
    return list(json.loads(session.read_text())["prompts"])


def normalised(text: str, root: Path) -> str:
    """The output without what changes between runs: today's date, the base commit."""
    today = datetime.now(UTC).date().isoformat()
    text = text.replace(today, "<date>").replace(str(root), "<repo>")
    return re.sub(r"\(at [0-9a-f]{12}\)", "(at <base>)", text)


def test_a_refused_draft_is_corrected_in_the_same_session_then_written(
    tmp_path: Path, snapshot: SnapshotAssertion
) -> None:
    root = repository(tmp_path / "repo", {1: MISSING, 2: GOOD})

    result = plan(root)

    assert result.exit_code == 0, result.output
    assert (root / "tickets" / "authors.yml").read_text() == GOOD
    (audit,) = (root / "knowledge" / "audits").glob("*-authors.md")
    assert audit.read_text().startswith("# Audit for chain `authors`")
    first, correction = prompts(root)
    assert first.startswith("# Baton · plan · chain authors\n")
    assert GOAL in first
    assert "## The audit of the repository" in first
    assert "A library's catalogue." in first
    assert "Tests use unittest." in first
    assert correction.startswith("# Baton · correction · chain authors\n")
    assert "tickets/authors.yml:15: error: listing: files.modify[0]: `src/library.py`" in correction
    assert normalised(result.stdout, root) == snapshot
    assert "warning:" not in result.stderr
    assert "error" not in result.stderr


def test_a_draft_still_refused_when_the_corrections_run_out_is_kept_aside_and_not_written(
    tmp_path: Path,
) -> None:
    root = repository(tmp_path / "repo", {1: MISSING, 2: MISSING}, max_corrections=1)

    result = plan(root)

    assert result.exit_code == 1
    assert not (root / "tickets").exists()
    assert (root / ".baton" / "plans" / "authors.yml").read_text() == MISSING
    assert len(prompts(root)) == 2
    assert "✗ files to modify or read exist at the base (failed)" in result.stdout
    assert result.stderr.count("`src/library.py` does not exist") == 1
    assert "refused:    the last draft is kept in" in result.stdout


def test_a_planner_that_writes_no_file_is_told_so_and_nothing_is_checked(tmp_path: Path) -> None:
    root = repository(tmp_path / "repo", {}, max_corrections=0)

    result = plan(root)

    assert result.exit_code == 1
    assert "- the chain file lints (skipped)" in result.stdout
    assert "no chain file was written; write the chain as YAML to `tickets/authors.yml`" in (
        result.stderr
    )


def test_anything_else_the_planner_changes_is_discarded_and_named(tmp_path: Path) -> None:
    root = repository(tmp_path / "repo", {1: GOOD}, stray="src/books.py")

    result = plan(root)

    assert result.exit_code == 0, result.output
    assert (root / "src" / "books.py").read_text() == "BOOKS = []\n"
    assert (
        "warning: the planner changed 'src/books.py'; only tickets/authors.yml is kept\n"
        in result.stderr
    )


def test_a_dry_run_shows_the_prompt_and_asks_no_agent(tmp_path: Path) -> None:
    root = repository(tmp_path / "repo", {1: GOOD})

    result = plan(root, "--dry-run")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1] == "# Baton · plan · chain authors"
    assert "dry run: no agent was asked, nothing was written" in result.stdout
    assert not (root.parent / "home" / ".planner-sessions").exists()
    assert not (root / "tickets").exists()
    assert not (root / "knowledge" / "audits").exists()


def test_an_audit_of_ones_own_replaces_bakers_and_is_kept(tmp_path: Path) -> None:
    root = repository(tmp_path / "repo", {1: GOOD})
    mine = tmp_path / "audit.md"
    mine.write_text("# My audit\n\nThe catalogue has no authors yet.\n")

    result = plan(root, "--audit", str(mine))

    assert result.exit_code == 0, result.output
    assert "The catalogue has no authors yet." in prompts(root)[0]
    (kept,) = (root / "knowledge" / "audits").glob("*-authors.md")
    assert kept.read_text() == mine.read_text()


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--chain", "no good"], "error: `no good` is not a valid chain name"),
        (["--chain", "books"], "error: tickets/books.yml exists already"),
    ],
)
def test_a_chain_name_that_cannot_be_used_is_one_line(
    tmp_path: Path, args: list[str], error: str
) -> None:
    root = repository(tmp_path / "repo", {1: GOOD})
    commit_files(root, {"tickets/books.yml": GOOD.replace("chain: authors", "chain: books")})

    result = plan(root, *args)

    assert result.exit_code != 0
    assert result.stderr.startswith(error)
    assert len(result.stderr.splitlines()) == 1
