"""A test command that prints colour (as `--color=yes` makes a test runner do): what Baton keeps
of its output, and passes on to the agent, the report and the state, is plain text."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.e2e.helpers import baton, make_repo

ONE_TICKET = """\
tickets:
  - key: only
    title: Make the test pass
    goal: Create a.txt.
    files: {create: [a.txt]}
"""
# The agent keeps every prompt it is given beside the repository, for the test to read.
AGENT = """\
    import pathlib, sys
    here = pathlib.Path(__file__).resolve().parent
    prompts = here.parent / "prompts"
    prompts.mkdir(exist_ok=True)
    prompt = pathlib.Path(sys.argv[1]).read_text()
    (prompts / f"{len(list(prompts.iterdir()))}.md").write_text(prompt)
    (here / "a.txt").write_text("a\\n")
"""
FAILING_TEST = "def test_red():\n    assert 1 == 2\n"


def test_colour_from_the_test_command_reaches_no_prompt_report_or_state(tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "test_red.py").write_text(FAILING_TEST)
    # A project of its own: none of the plugins installed beside pytest here.
    pytest = (
        f"PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 {sys.executable} -m pytest --color=yes -q "
        "-p no:cacheprovider test_red.py"
    )
    # In a script, so that no escape is spelled in the command Baton quotes.
    (tmp_path / "repo" / "red.sh").write_text(f"printf '\\033[31mFAIL\\033[0m\\n'\n{pytest}\n")
    repo = make_repo(
        tmp_path / "repo",
        agent_script=AGENT,
        tickets=ONE_TICKET,
        test_command="sh red.sh",
        sandbox="off",  # the agent writes its prompts outside the working copy
    )
    result = baton("run", "--local", "--repo", str(repo))
    assert result.returncode == 1, result.stderr

    corrections = [p.read_text() for p in sorted((tmp_path / "prompts").iterdir())[1:]]
    assert corrections, "the failing test command was sent back as a correction"
    assert "FAIL" in corrections[0]
    assert "assert 1 == 2" in corrections[0]

    def on_branch(path: str) -> str:  # the run returned the user to their branch
        return subprocess.run(
            ["git", "show", f"baton/work:{path}"],
            cwd=repo,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    (report,) = [n for n in on_branch("knowledge/reports/").split() if n.endswith(".md")]
    kept = {
        "the correction prompt": corrections[0],
        "the report": on_branch(f"knowledge/reports/{report}"),
        "the state": (repo / ".baton" / "state.json").read_text(),
        "status.json": on_branch("knowledge/status.json"),
        "the terminal": result.stderr,
    }
    assert "assert 1 == 2" in kept["the report"]
    for where, text in kept.items():
        assert "\x1b" not in text, where
        assert "\\u001b" not in text, where  # JSON's spelling of ESC
        assert "[31m" not in text, where
        assert "[0m" not in text, where
        assert "[1m" not in text, where  # pytest's bold
