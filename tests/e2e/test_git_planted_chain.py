"""A local chain whose agent plants programs in the working copy's `.git` (core.fsmonitor, a
pre-commit and a post-commit hook) every time it runs: Baton's commits happen, and the planted
programs never run. (Where a sandbox keeps `.git` read-only for the agent, the planting itself
fails: the chain then shows that defence instead.)"""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

from tests.e2e.helpers import TWO_TICKETS, baton, make_repo, status


def test_a_chain_whose_agent_plants_git_programs_commits_and_runs_none(tmp_path: Path) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    planted = tmp_path / "planted.sh"
    planted.write_text(f'#!/bin/sh\n{{ echo "$*"; env; }} > "{marks}/ran-$$"\n')
    planted.chmod(0o755)
    repo = make_repo(
        tmp_path / "repo",
        agent_script=textwrap.dedent(f"""\
            import pathlib, re, subprocess, sys
            prompt = pathlib.Path(sys.argv[1]).read_text()
            name = re.search(r"Only these files may change: `([^`]+)`", prompt).group(1)
            pathlib.Path(name).write_text("done")
            try:
                subprocess.run(
                    ["git", "config", "core.fsmonitor", "{planted} fsmonitor"], check=True
                )
                for hook in ("pre-commit", "post-commit"):
                    path = pathlib.Path(".git", "hooks", hook)
                    path.parent.mkdir(exist_ok=True)
                    path.write_text("#!/bin/sh\\nexec {planted} " + hook + "\\n")
                    path.chmod(0o755)
            except (OSError, subprocess.CalledProcessError):
                pass  # a sandbox that keeps .git read-only refuses this: a defence of its own
        """),
        tickets=TWO_TICKETS,
        test_command="true",
    )

    result = baton("run", "--local", "--repo", str(repo), env={"GITHUB_TOKEN": "ghp_" + "s" * 36})

    assert result.returncode == 0, result.stderr
    ran = [p.read_text().splitlines()[0] for p in marks.glob("ran-*")]
    assert ran == [], f"Baton's git ran what the agent planted: {ran}"
    state = status(repo)["chains"]["work"]
    assert [t["status"] for t in state["tickets"].values()] == ["passed", "passed"]
    log = subprocess.run(
        ["git", "-C", str(repo), "log", "--format=%s", state["branch"]],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "baton(first): attempt 1, launch" in log
    assert "baton(second): attempt 1, followup" in log
    config = subprocess.run(
        ["git", "-C", str(repo), "config", "--local", "--list"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "fsmonitor" not in config, "the repository's configuration is as Baton found it"
