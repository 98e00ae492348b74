"""On GitHub, applying the trigger label again to a blocked issue retries it, as `baton retry`
does locally: against the fake GitHub, with real git and a scripted agent that fails twice."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bot.forge.github.trust import TRUSTED
from tests.e2e.github_support import checkout, issue, run, trigger_labelled
from tests.fakes.github import FakeGitHub

TRIGGER = "ready-for-agent"
# Rate-limited for its first two calls (the launch and the recovery), then does the work.
FLAKY_AGENT = """\
import json, pathlib, re, sys
calls = pathlib.Path({calls!r})
made = int(calls.read_text()) if calls.exists() else 0
calls.write_text(str(made + 1))
if made < 2:
    print("429 Too Many Requests", file=sys.stderr)
    sys.exit(1)
prompt = pathlib.Path(sys.argv[1]).read_text()
found = re.search(r"### Files to (?:create|modify)\\n\\n- (\\S+)", prompt)
path = pathlib.Path(found.group(1))
path.parent.mkdir(parents=True, exist_ok=True)
path.write_text("done\\n")
print(json.dumps({{"session_id": sys.argv[2], "is_error": False, "result": f"wrote {{path}}"}}))
"""


def _blocked(github: FakeGitHub, tmp_path: Path) -> tuple[Path, int, int]:
    """Two issues of Sprint 1, the second depending on the first, after a run in which the
    agent's 429s blocked the first and so skipped the second."""
    agent = tmp_path / "flaky_agent.py"
    agent.write_text(FLAKY_AGENT.format(calls=str(tmp_path / "calls")))
    config = {
        "sandbox": "off",  # the agent counts its calls outside the working copy
        "agent": {
            "kind": "command",
            "command": f"{sys.executable} {agent} {{prompt_file}} {{session_id}}",
        },
        "validation": {"test_command": "test -d work"},
    }
    github.commit("main", {".github/baton.yml": json.dumps(config)}, "A flaky agent")
    first = issue(github, "Scaffold", "work/scaffold.txt")
    second = issue(github, "Build on it", "work/build.txt", [f"#{first}"])
    work = checkout(github, tmp_path)
    result = run(github, work)
    assert result.exit_code == 1, result.output
    assert _statuses(github) == {f"#{first}": "blocked", f"#{second}": "skipped"}
    return work, first, second


def _state(github: FakeGitHub) -> Any:
    return json.loads(github.read_file("state.json", "baton/state") or "{}")


def _statuses(github: FakeGitHub) -> dict[str, str]:
    tickets = _state(github)["chains"]["sprint-1"]["tickets"]
    return {key: t["status"] for key, t in tickets.items()}


def _labelled(github: FakeGitHub, work: Path, shared_dir: Path, number: int) -> Any:
    """`baton run --event` for the `labeled` event of the trigger label on issue `number`."""
    payload = trigger_labelled(shared_dir, github, number)
    path = work.parent / "labeled.json"
    path.write_text(json.dumps(payload))
    return run(github, work, "--event", GITHUB_EVENT_NAME="issues", GITHUB_EVENT_PATH=str(path))


def test_the_trigger_label_applied_again_retries_a_blocked_issue(
    github: FakeGitHub, tmp_path: Path, shared_dir: Path
) -> None:
    work, first, second = _blocked(github, tmp_path)
    assert TRIGGER in github.labels_of(first), "a blocked issue keeps its trigger label"

    # The event of the label that started the chain, delivered late: not a retry.
    github.pass_time(5)
    replayed = _labelled(github, work, shared_dir, first)
    assert replayed.exit_code == 1, replayed.output
    assert _statuses(github) == {f"#{first}": "blocked", f"#{second}": "skipped"}

    # A maintainer takes the label off and applies it again.
    github.unlabel_issue(first, TRIGGER)
    github.label_issue(first, TRIGGER)
    retried = _labelled(github, work, shared_dir, first)
    assert retried.exit_code == 0, retried.output
    assert _statuses(github) == {f"#{first}": "passed", f"#{second}": "passed"}
    ticket = _state(github)["chains"]["sprint-1"]["tickets"][f"#{first}"]
    assert [a["kind"] for a in ticket["attempts"]] == ["launch", "recovery", "launch"]
    (retry,) = ticket["retries"]
    assert (retry["by"], retry["status"], retry["after"]) == (github.admin_login, "blocked", 2)
    for number in (first, second):
        assert "baton:done" in github.labels_of(number)
        assert "baton:blocked" not in github.labels_of(number)
    assert github.read_file("work/build.txt", "baton/sprint-1") == "done\n"


def test_the_label_applied_again_by_someone_who_may_not_start_work_retries_nothing(
    github: FakeGitHub, tmp_path: Path, shared_dir: Path
) -> None:
    work, first, second = _blocked(github, tmp_path)
    triage = github.add_user("tria", role="triage")
    assert "triage" not in TRUSTED
    github.pass_time(5)
    github.unlabel_issue(first, TRIGGER, actor=triage)
    github.label_issue(first, TRIGGER, actor=triage)
    result = _labelled(github, work, shared_dir, first)
    assert result.exit_code == 1, result.output
    assert (
        'ticket.retry_refused ticket=#1 reason="the label was added by @tria, who' in result.output
    )
    assert _statuses(github) == {f"#{first}": "blocked", f"#{second}": "skipped"}
    said = [c.body for c in github.comments_on(first) if "Baton retries a stopped ticket" in c.body]
    assert len(said) == 1
    assert "the label was added by @tria, who has triage access" in said[0]
