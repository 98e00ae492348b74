"""`baton run --local` with the real Codex and Gemini CLIs (pinned in tests/agent_clis/),
configured as the README says (`agent: {kind: codex|gemini}` and a test command, nothing more),
against the scripted model endpoint: a chain of three tickets passes in one session, each ticket
a followup in it. Once unconfined (`sandbox: off`) and once in Baton's bubblewrap sandbox.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.helpers import assert_passed_in_one_session, make_cli_repo, run_with_cli
from tests.fakes.models import Turn, run, say, write
from tests.real_cli import TEST_COMMAND
from tests.sandbox_support import require_bwrap


@pytest.mark.parametrize("sandbox", ["off", "bwrap"])
@pytest.mark.parametrize("kind", ["codex", "gemini"])
def test_a_three_ticket_chain_passes_in_one_session(
    kind: str, sandbox: str, tmp_path: Path, disk_tmp_path: Path
) -> None:
    if sandbox == "bwrap":
        require_bwrap()
    git = make_cli_repo(tmp_path / "repo", kind, sandbox=sandbox)
    # The temp directory apart from HOME, as on a user's machine: Codex sets up the helper of
    # its own sandbox only outside it.
    temp = tmp_path / "tmp"
    temp.mkdir()
    turns = []
    for text in ("one\n", "one\ntwo\n", "one\ntwo\nthree\n"):
        # Each ticket: an edit and the test command, then the answer.
        turns += [Turn(write("notes.txt", text), run(TEST_COMMAND)), Turn(say("Done; tests pass."))]

    result, endpoint, trap = run_with_cli(
        kind, git, disk_tmp_path / "home", turns, {"TMPDIR": str(temp)}
    )

    assert_passed_in_one_session(result, git, endpoint)
    # Each ticket's test command ran inside the session, and nothing went anywhere else. (A
    # resumed Gemini CLI 0.61 sends each earlier tool result twice: counted once here.)
    assert len({r for r in endpoint.calls[-1].tool_results if "check ok:" in r}) == 3
    assert endpoint.unrouted == []
    assert trap.requests == []
