"""`baton retry`: after a transient failure blocked a ticket, the user retries it and the next
`baton run` works it, its dependent too, with the earlier attempts kept as history."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from bot.workspace import Git
from tests.e2e.helpers import TWO_TICKETS, baton, make_repo, status

# Fails (as a rate-limited model would) the first two calls, then does what the ticket asks.
FLAKY_AGENT = """\
    import pathlib, re, sys
    calls = pathlib.Path({calls!r})
    made = int(calls.read_text()) if calls.exists() else 0
    calls.write_text(str(made + 1))
    if made < 2:
        print("429 Too Many Requests: rate limit exceeded", file=sys.stderr)
        sys.exit(1)
    prompt = pathlib.Path(sys.argv[1]).read_text()
    name = re.search(r"Only these files may change: `([^`]+)`", prompt).group(1)
    pathlib.Path(name).write_text("done")
"""


@pytest.fixture
def blocked(tmp_path: Path) -> Path:
    """A repository whose chain `work` ran once: `first` blocked by the agent's 429s (its
    launch and its recovery), `second` skipped because of it."""
    repo = make_repo(
        tmp_path / "repo",
        agent_script=FLAKY_AGENT.format(calls=str(tmp_path / "calls")),
        tickets=TWO_TICKETS,
        test_command="true",
        sandbox="off",  # the agent counts its calls outside the working copy
    )
    subprocess.run(["git", "-C", str(repo), "config", "user.name", "Ada Lovelace"], check=True)
    first = baton("run", "--local", "--repo", str(repo))
    assert first.returncode == 1, first.stderr
    tickets = status(repo)["chains"]["work"]["tickets"]
    assert [tickets["first"]["status"], tickets["second"]["status"]] == ["blocked", "skipped"]
    again = baton("run", "--local", "--repo", str(repo))
    assert again.returncode == 1, "without a retry there is nothing to do"
    # A blocked chain, too, ends with the user where they were, and says how to retry.
    assert "retry:      baton retry first --chain work" in again.stdout
    dry = baton("run", "--local", "--repo", str(repo), "--dry-run")
    assert dry.stdout.splitlines()[0] == (
        "work: nothing to do: blocked at first (to queue again: baton retry first --chain work)"
    )
    back = Git(repo, os.environ)
    assert (back.branch(), back.dirty_files()) == ("main", [])
    return repo


def test_a_retried_ticket_is_worked_by_the_next_run(
    blocked: Path, snapshot: SnapshotAssertion
) -> None:
    retried = baton("retry", "first", "--repo", str(blocked))
    assert retried.returncode == 0, retried.stderr
    assert retried.stdout == snapshot

    state = status(blocked)["chains"]["work"]
    first, second = state["tickets"]["first"], state["tickets"]["second"]
    assert [first["status"], second["status"]] == ["queued", "queued"]
    assert [a["kind"] for a in first["attempts"]] == ["launch", "recovery"], "history stays"
    (retry,) = first["retries"]
    assert (retry["by"], retry["status"], retry["after"]) == ("Ada Lovelace", "blocked", 2)
    assert "429 Too Many Requests" in retry["reason"]
    assert state["finished"] is False

    run = baton("run", "--local", "--repo", str(blocked))
    assert run.returncode == 0, run.stdout + run.stderr
    state = status(blocked)["chains"]["work"]
    first, second = state["tickets"]["first"], state["tickets"]["second"]
    assert [first["status"], second["status"]] == ["passed", "passed"]
    assert [a["kind"] for a in first["attempts"]] == ["launch", "recovery", "launch"]
    assert state["finished"] is True
    # Where the run said the report is: on the chain's branch, the user being back on main. Run
    # from elsewhere (--repo), the command it printed names the repository: it works as copied.
    report = re.search(r"^report: +(git -C \S+ show \S+)$", run.stdout, re.M)
    assert report is not None, run.stdout
    shown = shlex.split(report.group(1))
    assert shown[:3] == ["git", "-C", str(blocked)]
    text = subprocess.run(shown, capture_output=True, text=True, check=True).stdout
    assert "- Retried by Ada Lovelace at " in text
    assert "with a fresh budget (it was blocked: agent failed" in text
    assert text.index("Attempt 2 (recovery") < text.index("Retried by") < text.index("Attempt 3")


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["nosuch"], "error: no ticket `nosuch` in any chain that has run here; "),
        (["first", "--chain", "other"], "error: no chain named `other` has run here; "),
    ],
)
def test_an_unknown_ticket_or_chain_is_one_line(blocked: Path, args: list[str], error: str) -> None:
    result = baton("retry", *args, "--repo", str(blocked))
    assert result.returncode == 1
    assert result.stderr.startswith(error), result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_a_ticket_that_is_not_stopped_is_refused_naming_its_status(blocked: Path) -> None:
    assert baton("retry", "first", "--repo", str(blocked)).returncode == 0
    before = (blocked / ".baton" / "state.json").read_text()
    result = baton("retry", "first", "--repo", str(blocked))
    assert result.returncode == 1
    assert result.stderr == (
        "error: ticket first of chain work is queued, not blocked or skipped; only a blocked "
        "or skipped ticket can be retried (see `baton status`)\n"
    )
    assert (blocked / ".baton" / "state.json").read_text() == before
