"""`baton run --local` with the real Claude Code (pinned in tests/agent_clis/), configured as the
README says (`agent: {kind: claude}` and a test command, nothing more), against the scripted model
endpoint: a chain of three tickets passes in one session, each ticket a followup in it."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.helpers import (
    NOTES_TICKETS,
    assert_passed_in_one_session,
    make_cli_repo,
    run_with_cli,
    status,
)
from tests.fakes.models import Turn, run, say, write
from tests.real_cli import TEST_COMMAND


def test_a_three_ticket_chain_passes_in_one_claude_session(tmp_path: Path) -> None:
    git = make_cli_repo(tmp_path / "repo", "claude")
    turns = []
    for text in ("one\n", "one\ntwo\n", "one\ntwo\nthree\n"):
        # Each ticket: an edit and the test command, then the answer.
        turns += [Turn(write("notes.txt", text), run(TEST_COMMAND)), Turn(say("Done; tests pass."))]

    result, endpoint, trap = run_with_cli("claude", git, tmp_path / "home", turns)

    assert_passed_in_one_session(result, git, endpoint)
    # Each ticket's test command ran inside the session, and nothing went anywhere else.
    assert sum("check ok:" in r for r in endpoint.calls[-1].tool_results) == 3
    assert endpoint.unrouted == []
    assert trap.requests == []


def test_a_refused_tool_blocks_with_its_fix_and_teaches_no_convention(tmp_path: Path) -> None:
    """Every call the model makes a shell command Baton did not grant: the CLI refuses it and
    exits 0, Baton fails the attempt naming the refusal and the fix, recovers once, blocks, and
    the knowledge base proposes nothing from it."""
    repo = tmp_path / "repo"
    (repo / "knowledge").mkdir(parents=True)
    (repo / "knowledge" / "CONVENTIONS.md").write_text("# Conventions\n\nPeople wrote this.\n")
    git = make_cli_repo(repo, "claude", tickets=NOTES_TICKETS.split("  - key: two", maxsplit=1)[0])
    refused = [Turn(run("wget -q http://127.0.0.1:9/notes.txt")), Turn(say("Done."))]

    result, endpoint, trap = run_with_cli("claude", git, tmp_path / "home", refused * 2)

    assert result.returncode == 1, result.stderr
    ticket = status(repo)["chains"]["work"]["tickets"]["one"]
    assert ticket["status"] == "blocked"
    errors = [a["agent"]["error"] for a in ticket["attempts"]]
    assert len(errors) == 2  # the launch and its one recovery: no corrections of a refusal
    for error in errors:
        assert "refused Bash `wget" in error
        assert '"--allowedTools"' in error  # the fix
        assert "\n" not in error
    conventions = git.run("show", "baton/work:knowledge/CONVENTIONS.md")
    assert "Proposed" not in conventions
    assert endpoint.unrouted == []
    assert trap.requests == []
