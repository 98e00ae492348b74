"""A major finding of the convention review on a chain's pull request: a review comment on its
line, an annotation on the check run, and a correction that fixes it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.github_support import checkout, config_text, issue, run
from tests.fakes.github import FakeGitHub

AGENT = """\
import json, pathlib, re, sys
prompt = pathlib.Path(sys.argv[1]).read_text()
kind = re.match(r"# Baton · (\\w+) ·", prompt).group(1)
path = pathlib.Path("work/notes.txt")
path.parent.mkdir(parents=True, exist_ok=True)
# The first try leaves a TODO behind (against the rules); the correction removes it.
path.write_text("notes\\nTODO: finish this\\n" if kind == "launch" else "notes\\nall done\\n")
print(json.dumps({"session_id": sys.argv[2], "is_error": False, "result": f"{kind} done"}))
"""

CONVENTIONS = """\
# Conventions

No TODO is left in delivered work.

```baton-rules
- id: no-todo
  kind: patterns
  severity: major
  applies_to: ["work/**"]
  forbid: ["TODO"]
  message: delivered work carries no TODO
  hint: finish the work or drop the note
```
"""


@pytest.fixture
def github(tmp_path: Path) -> Iterator[FakeGitHub]:
    agent = tmp_path / "agent.py"
    agent.write_text(AGENT)
    config = config_text(agent, "test -f work/notes.txt")
    files = {
        "README.md": "# widgets\n",
        ".github/baton.yml": config,
        "knowledge/CONVENTIONS.md": CONVENTIONS,
    }
    with FakeGitHub(tmp_path, files=files) as fake:
        yield fake


def test_a_major_finding_is_a_review_comment_on_its_line_and_an_annotation(
    github: FakeGitHub, tmp_path: Path
) -> None:
    issue(github, "Notes", "work/notes.txt")
    work = checkout(github, tmp_path)
    result = run(github, work)
    assert result.exit_code == 0, result.output

    (pr,) = github.pulls()
    comments = github.review_comments_on(pr.number)
    assert [(c.path, c.line) for c in comments] == [("work/notes.txt", 2)]
    assert "(no-todo)" in comments[0].body
    assert "Fix: finish the work or drop the note" in comments[0].body
    (review,) = github.reviews_on(pr.number)
    assert review.user == github.bot_login
    failed = [r for r in github.check_runs() if r.conclusion == "failure"]
    assert len(failed) == 1
    annotations = failed[0].annotations
    assert [(a["path"], a["start_line"], a["annotation_level"]) for a in annotations] == [
        ("work/notes.txt", 2, "failure")
    ]
    state = json.loads(github.read_file("state.json", "baton/state") or "{}")
    (ticket,) = state["chains"]["sprint-1"]["tickets"].values()
    assert [a["kind"] for a in ticket["attempts"]] == ["launch", "correction"]
    assert ticket["status"] == "passed"

    again = run(github, work)
    assert again.exit_code == 0
    assert len(github.reviews_on(pr.number)) == 1, "one review per attempt, never repeated"
