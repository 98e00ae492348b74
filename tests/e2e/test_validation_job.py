"""Validation in a job of its own (GitHub Actions): `baton run` sends the prompt and asks for a
validation; `baton validate`, where no secret is, tests the commit and leaves a check run; the
next reconcile reads it and goes on. The agent's code never runs in the process with secrets."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.validation.check_run import parse_validation_text
from tests.e2e.github_support import AGENT, calls, checkout, config_text, github_env, issue, run
from tests.e2e.helpers import baton
from tests.fakes.github import FakeGitHub
from tests.sandbox_support import require_bwrap

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
    config = config_text(agent, f'{sys.executable} -c \\"{PROBE}\\"', where="job")
    with FakeGitHub(tmp_path, files={"README.md": "# w\n", ".github/baton.yml": config}) as fake:
        yield fake


def test_a_chain_validated_by_a_job_without_secrets(github: FakeGitHub, tmp_path: Path) -> None:
    first = issue(github, "Scaffold", "work/scaffold.txt")
    # A test file: phase 3 runs in the job too, and its evidence reaches the next reconcile.
    second = issue(github, "Build", "work/test_build.py", [f"#{first}"])
    work = checkout(github, tmp_path)
    probe = tmp_path / "probe.jsonl"
    job_checkout = checkout(github, tmp_path / "job")  # the validation job's own checkout
    env = github_env(github, PROBE=str(probe))
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
    found = [parse_validation_text(r.text or "") for r in checks]
    evidence = [v.evidence for v in found if v and v.evidence and v.evidence.new_tests]
    assert [(e.new_tests, e.not_tried) for e in evidence] == [
        (["work/test_build.py"], "the ticket names no code for its tests to test")
    ]
    probes = [json.loads(line) for line in probe.read_text().splitlines()]
    # Each validation job's, and phase 3's at the base of the ticket that added a test file.
    where = sorted(p["cwd"].split("/")[-2].rsplit("-", 1)[0] for p in probes)
    assert where == ["baton-checkout", "baton-validate", "baton-validate"]
    assert not any(p["token"] for p in probes), "the agent's code never sees a token"
    assert len({line.split(" · session ")[1] for line in calls(work)}) == 1


# The test command: look for Baton's token in the environment of every ancestor process it can
# see, and say what it found on its output (which the check run carries: nothing outside the
# working copy is writable in the sandbox).
SNOOP = r"""pid=$$
seen=no
while [ "$pid" -gt 1 ]; do
  if tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null | grep -q '^GITHUB_TOKEN='; then seen=yes; fi
  pid=$(awk '/^PPid:/{print $2}' "/proc/$pid/status")
done
echo "snooped: $(id -un) $seen"
test -d work
"""


# The agent: it writes the ticket's file, and nothing outside the working copy (no log).
QUIET_AGENT = """\
import json, pathlib, re, sys
prompt = pathlib.Path(sys.argv[1]).read_text()
found = re.search(r"### Files to (?:create|modify)\\n\\n- (\\S+)", prompt) or re.search(
    r"Only these files may change: `([^`]+)`", prompt
)
path = pathlib.Path(found.group(1))
path.parent.mkdir(parents=True, exist_ok=True)
path.write_text("done by the agent\\n")
print(json.dumps({"session_id": sys.argv[2], "is_error": False, "result": f"wrote {path}"}))
"""


@pytest.fixture(params=["off", "auto"], ids=["unsandboxed", "sandboxed"])
def snooping(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FakeGitHub]:
    if request.param == "auto":
        require_bwrap()
    agent = tmp_path / "agent.py"
    agent.write_text(QUIET_AGENT)
    config = config_text(agent, "sh snoop.sh", where="job", sandbox=request.param)
    files = {"README.md": "# w\n", ".github/baton.yml": config, "snoop.sh": SNOOP}
    with FakeGitHub(tmp_path, files=files) as fake:
        yield fake


def snooped(github: FakeGitHub) -> tuple[str, str]:
    """What the test command said, from the validation job's check run."""
    (check,) = [r for r in github.check_runs() if r.name == "baton-validation"]
    validation = parse_validation_text(check.text or "")
    assert validation is not None
    assert validation.command is not None
    (line,) = [ln for ln in validation.command.tail.splitlines() if ln.startswith("snooped: ")]
    user, seen = line.removeprefix("snooped: ").split()
    return user, seen


@pytest.mark.parametrize("run_as", [None, "nobody"])
def test_the_test_command_cannot_read_the_token_as_another_user_or_in_the_sandbox(
    snooping: FakeGitHub, tmp_path: Path, run_as: str | None
) -> None:
    """Unsandboxed and as the same user, the test command finds the token in its ancestors'
    environment; as another user it cannot read it; in the sandbox Baton's processes are out of
    its sight whoever it runs as."""
    issue(snooping, "Scaffold", "work/scaffold.txt")
    work = checkout(snooping, tmp_path)
    env = github_env(snooping)
    assert run(snooping, work).exit_code == 0
    job = checkout(snooping, tmp_path / "job")
    args = ["validate", "--repo", str(job), "--chain", "sprint-1", "--ticket", "#1"]
    args += ["--attempt", "1", *(["--run-as", run_as] if run_as else [])]
    # A process of its own: its initial environment holds the token, as in a real job.
    result = baton(*args, env=env, cold=True)
    if run_as and os.geteuid() != 0 and result.returncode != 0:
        assert "sudo asks for a password" in result.stderr  # no way to switch users here
        return
    assert result.returncode == 0, result.stderr
    user, seen = snooped(snooping)
    sandboxed = "sandbox: auto" in (job / ".github" / "baton.yml").read_text()
    if run_as is None and not sandboxed:
        assert seen == "yes", "as the same user, a cleared environment is no boundary"
    else:
        assert seen == "no", "in the sandbox, or as another user, Baton's token is out of reach"
        assert user == (run_as or user)
        assert run(snooping, work).exit_code == 0
        assert "baton:done" in snooping.labels_of(1)
