"""`baton run --local` with an agent that fails or hangs: the ticket is blocked with the reason,
its dependents are skipped, the exit is non-zero, and the state is all there."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from syrupy.assertion import SnapshotAssertion

from tests.e2e.helpers import TWO_TICKETS, baton, make_repo, status


def test_failing_agent_blocks_the_ticket_with_the_reason(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        agent_script="""\
            import sys
            print("model quota exhausted", file=sys.stderr)
            sys.exit(3)
        """,
        tickets=TWO_TICKETS,
        test_command="true",
    )
    result = baton("run", "--local", "--repo", str(repo))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr

    state = status(repo)["chains"]["work"]
    first, second = state["tickets"]["first"], state["tickets"]["second"]
    assert first["status"] == "blocked"
    assert "agent failed" in first["reason"]
    assert "exit 3" in first["reason"]
    assert [a["kind"] for a in first["attempts"]] == ["launch", "recovery"]
    assert second["status"] == "skipped"
    assert "first" in second["reason"]
    assert state["finished"] is True
    assert "blocked" in result.stderr
    assert "agent failed" in result.stderr
    # The knowledge base says so too, on the chain's branch.
    assert "blocked" in _git(repo, "show", "baton/work:knowledge/STATUS.md")


def test_hanging_agent_is_killed_at_its_timeout_and_blocked(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        agent_script="""\
            import time
            time.sleep(600)
        """,
        tickets=TWO_TICKETS,
        test_command="true",
        timeout_minutes=0.02,
    )
    result = baton("run", "--local", "--repo", str(repo))
    assert result.returncode == 1, result.stderr
    first = status(repo)["chains"]["work"]["tickets"]["first"]
    assert first["status"] == "blocked"
    assert "timed out" in first["reason"]


def test_second_run_after_a_block_has_nothing_left_to_do(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        agent_script="raise SystemExit(1)\n",
        tickets=TWO_TICKETS,
        test_command="true",
    )
    assert baton("run", "--local", "--repo", str(repo)).returncode == 1
    before = (repo / ".baton" / "state.json").read_text()
    again = baton("run", "--local", "--repo", str(repo))
    assert again.returncode == 1, "a blocked chain stays reported as blocked"
    after = (repo / ".baton" / "state.json").read_text()
    assert before == after, "nothing was done twice"


def test_a_spent_budget_stops_the_chain_and_reports_what_is_left(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        agent_script="""\
            import pathlib
            name = "b.txt" if pathlib.Path("a.txt").exists() else "a.txt"
            pathlib.Path(name).write_text("done")
        """,
        tickets=TWO_TICKETS,
        test_command="true",
    )
    config = repo / ".github" / "baton.yml"
    config.write_text(config.read_text()[:-1] + ', "limits": {"max_agent_runs": 1}}')
    subprocess.run(["git", "-C", str(repo), "commit", "-qam", "limit"], check=True)
    result = baton("run", "--local", "--repo", str(repo))
    assert result.returncode == 1, result.stderr
    tickets = status(repo)["chains"]["work"]["tickets"]
    assert tickets["first"]["status"] == "passed"
    assert tickets["second"]["status"] == "skipped"
    assert "budget of 1 agent runs is spent" in tickets["second"]["reason"]


WRITER = """\
    import pathlib, re, sys
    prompt = pathlib.Path(sys.argv[1]).read_text()
    name = re.search(r"Only these files may change: `([^`]+)`", prompt).group(1)
    pathlib.Path(name).write_text("done")
"""
OTHER_CHAIN = (
    "tickets:\n  - key: alone\n    title: Alone\n    goal: Create c.txt.\n"
    "    files: {create: [c.txt]}\n"
)


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_every_chain_of_a_run_starts_from_the_branch_the_run_began_on(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo", agent_script=WRITER, tickets=TWO_TICKETS, test_command="true"
    )
    (repo / "tickets" / "other.yml").write_text(OTHER_CHAIN)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "another chain")
    result = baton("run", "--local", "--repo", str(repo))
    assert result.returncode == 0, result.stderr
    chains = status(repo)["chains"]
    assert {c["base_branch"] for c in chains.values()} == {"main"}
    assert len({c["base_commit"] for c in chains.values()}) == 1

    # A later run on another branch starts its new chain there, not where the first chains did.
    _git(repo, "switch", "-q", "-c", "feature")
    (repo / "tickets" / "third.yml").write_text(OTHER_CHAIN.replace("c.txt", "d.txt"))
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "a third chain")
    result = baton("run", "--local", "--repo", str(repo))
    assert result.returncode == 0, result.stderr
    chains = status(repo)["chains"]
    assert chains["third"]["base_branch"] == "feature"
    assert chains["third"]["base_commit"] == _git(repo, "rev-parse", "feature")
    assert chains["work"]["base_branch"] == chains["other"]["base_branch"] == "main"


def test_chains_start_from_the_users_branch_and_the_user_ends_there(
    tmp_path: Path, snapshot: SnapshotAssertion
) -> None:
    repo = make_repo(
        tmp_path / "repo", agent_script=WRITER, tickets=TWO_TICKETS, test_command="true"
    )
    (repo / "tickets" / "other.yml").write_text(OTHER_CHAIN)
    _git(repo, "switch", "-q", "-c", "feature")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "work on a feature branch")
    feature = _git(repo, "rev-parse", "HEAD")

    result = baton("run", "--local", cwd=repo)  # as its user does, in the repository
    assert result.returncode == 0, result.stderr
    chains = status(repo)["chains"]
    assert {n: (c["base_branch"], c["base_commit"]) for n, c in chains.items()} == {
        "other": ("feature", feature),
        "work": ("feature", feature),
    }
    assert _git(repo, "branch", "--show-current") == "feature", "the user is back where they were"
    assert _git(repo, "status", "--porcelain") == "", "with a clean working copy"
    assert _git(repo, "rev-parse", "HEAD") == feature, "and their branch untouched"

    # What the end of the run says to do next, and that it is right.
    hints = [
        re.sub(r"\d{4}-\d{2}-\d{2}-", "<date>-", line)
        for line in result.stdout.splitlines()
        if re.match(r"(report|look at it|merge it|retry):", line)
    ]
    assert hints == snapshot
    reports = [line.split()[-1] for line in result.stdout.splitlines() if "git show" in line]
    assert len(reports) == 2
    for report in reports:
        assert _git(repo, "show", report).startswith("# Chain ")
    assert _git(repo, "log", "--format=%s", "feature..baton/work").count("baton(") == 2
    _git(repo, "merge", "-q", "baton/work")
    assert sorted(p.name for p in repo.glob("?.txt")) == ["a.txt", "b.txt"]


def test_a_dependency_cycle_blocks_its_chain_and_the_other_chains_are_worked(
    tmp_path: Path,
) -> None:
    repo = make_repo(
        tmp_path / "repo",
        agent_script="""\
            import pathlib, re, sys
            prompt = pathlib.Path(sys.argv[1]).read_text()
            for path in re.findall(r"`([a-z]+\\.txt)`", prompt)[:1]:
                pathlib.Path(path).write_text("done\\n")
            print("done")
        """,
        tickets=TWO_TICKETS,
        test_command="true",
    )
    (repo / "tickets" / "loop.yml").write_text(
        "tickets:\n"
        "  - {key: egg, title: Egg, goal: Create egg.txt., files: {create: [egg.txt]},"
        " depends_on: [hen]}\n"
        "  - {key: hen, title: Hen, goal: Create hen.txt., files: {create: [hen.txt]},"
        " depends_on: [egg]}\n"
        "  - {key: nest, title: Nest, goal: Create nest.txt., files: {create: [nest.txt]}}\n"
    )
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-qm", "a chain with a cycle"], cwd=repo, check=True)

    linted = baton("tickets", "lint", str(repo / "tickets"))
    assert linted.returncode == 1
    assert "dependency cycle among tickets egg, hen" in linted.stdout + linted.stderr

    result = baton("run", "--local", "--repo", str(repo))
    assert result.returncode == 1, result.stderr  # a chain has blocked tickets
    assert "Traceback" not in result.stderr
    chains = status(repo)["chains"]
    loop = chains["loop"]["tickets"]
    for key in ("egg", "hen"):
        assert loop[key]["status"] == "blocked"
        assert loop[key]["attempts"] == []
        assert "cycle (egg → hen → egg)" in loop[key]["reason"]
    assert loop["nest"]["status"] == "passed", "the chain's other tickets are worked"
    work = chains["work"]["tickets"]
    assert [work["first"]["status"], work["second"]["status"]] == ["passed", "passed"]
