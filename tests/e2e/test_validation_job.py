"""Validation in a job of its own (GitHub Actions): `baton run` sends the prompt and asks for a
validation; `baton validate`, where no secret is, tests the commit and leaves a check run; the
next reconcile reads it and goes on. The agent's code never runs in the process with secrets."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from tests.e2e.github_support import AGENT, calls, checkout, issue, run
from tests.fakes.github import FakeGitHub

PROBE = (
    "import json, os; "
    "open(os.environ['PROBE'], 'a').write(json.dumps({'cwd': os.getcwd(), "
    "'token': 'GITHUB_TOKEN' in os.environ}) + '\\\\n'); "
    "raise SystemExit(0 if os.path.isdir('work') else 1)"
)


@pytest.fixture
def github(tmp_path: Path) -> Iterator[FakeGitHub]:
    agent = tmp_path / "agent.py"
    agent.write_text(AGENT)
    config = textwrap.dedent(
        f"""\
        agent:
          kind: command
          command: "{sys.executable} {agent} {{prompt_file}} {{session_id}}"
        validation:
          where: job
          test_command: "{sys.executable} -c \\"{PROBE}\\""
        """
    )
    with FakeGitHub(tmp_path, files={"README.md": "# w\n", ".github/baton.yml": config}) as fake:
        yield fake


def test_a_chain_validated_by_a_job_without_secrets(github: FakeGitHub, tmp_path: Path) -> None:
    first = issue(github, "Scaffold", "work/scaffold.txt")
    second = issue(github, "Build", "work/build.txt", [f"#{first}"])
    work = checkout(github, tmp_path)
    probe = tmp_path / "probe.jsonl"
    job_checkout = checkout(github, tmp_path / "job")  # the validation job's own checkout
    env = {
        "GITHUB_REPOSITORY": github.full_name,
        "GITHUB_API_URL": github.url,
        "GITHUB_TOKEN": github.app_token,
        "BATON_BOT_LOGIN": github.bot_login,
        "BATON_GIT_REMOTE": str(github.git_dir),
        "BATON_GITHUB_WRITE_INTERVAL": "0",
        "PROBE": str(probe),
    }
    output = tmp_path / "github_output"
    jobs = 0
    for _ in range(8):
        output.write_text("")
        result = run(github, work, PROBE=str(probe), GITHUB_OUTPUT=str(output))
        assert result.exit_code == 0, result.output
        line = next(ln for ln in output.read_text().splitlines() if ln.startswith("awaiting="))
        awaiting = json.loads(line.removeprefix("awaiting="))
        if not awaiting:
            break
        for job in awaiting:
            validated = CliRunner().invoke(
                cli,
                [
                    "validate",
                    "--repo",
                    str(job_checkout),
                    "--chain",
                    job["chain"],
                    "--ticket",
                    job["ticket"],
                    "--attempt",
                    str(job["attempt"]),
                ],
                env=env,
            )
            assert validated.exit_code == 0, validated.output
            jobs += 1
    assert jobs == 2, "one validation job per attempt"
    for number in (first, second):
        assert "baton:done" in github.labels_of(number)
    checks = [r for r in github.check_runs() if r.name == "baton-validation"]
    assert len(checks) == 2
    assert {r.conclusion for r in checks} == {"success"}
    probes = [json.loads(line) for line in probe.read_text().splitlines()]
    assert len(probes) == 2, "the test command ran only in the validation job"
    assert all("baton-validate-" in p["cwd"] for p in probes)
    assert not any(p["token"] for p in probes), "the agent's code never sees a token"
    assert len({line.split(" · session ")[1] for line in calls(work)}) == 1
