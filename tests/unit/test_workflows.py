"""The workflows Baton ships, read as data: this repository's own, the reusable one, the one
`baton init` writes, and the composite action. What zizmor checks for every workflow, these tests
check for Baton's own promises (pins, permissions, secrets, concurrency, triggers), plus the
matrix the plan job feeds them: `baton chains --json`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from bot.agents.cli.versions import TESTED_VERSIONS
from bot.cli import cli
from bot.config import Config
from bot.init import DEFAULT_SCHEDULE
from bot.redact import Redactor
from bot.state import ChainState, StoreData, TicketState
from bot.store import FileStore
from bot.workflow_matrix import pending_chains
from bot.workspace import Git
from bot.yaml_source import safe_load

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
TEMPLATE = ROOT / "bot" / "templates" / "workflow.yml"
ACTION = ROOT / "action.yml"
BATON_WORKFLOWS = [ROOT / ".github" / "workflows" / "baton.yml", TEMPLATE]
ALL = [*WORKFLOWS, TEMPLATE]

CHECKOUT = "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683"
SETUP_PYTHON = "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065"
RUN_PERMISSIONS = {
    "contents": "write",
    "issues": "write",
    "pull-requests": "write",
    "checks": "write",
    "statuses": "write",
    # Handover: at max-minutes, dispatch the workflow for the chain; takeover: read the run of
    # the job that left a lease (write includes read).
    "actions": "write",
}


def _load(path: Path) -> dict[str, Any]:
    data = safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    if True in data:  # YAML 1.1 reads the key `on` as true
        data["on"] = data.pop(True)
    return data


def _ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(ROOT)) for p in paths]


def _steps(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for job in (doc.get("jobs") or {}).values():
        yield from job.get("steps") or []
    yield from (doc.get("runs") or {}).get("steps") or []


def _strings(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, (*path, index))
    elif isinstance(node, str):
        yield path, node


@pytest.fixture(params=[*ALL, ACTION], ids=_ids([*ALL, ACTION]))
def any_file(request: pytest.FixtureRequest) -> Path:
    path: Path = request.param
    return path


@pytest.fixture(params=ALL, ids=_ids(ALL))
def workflow(request: pytest.FixtureRequest) -> Path:
    path: Path = request.param
    return path


# -- every workflow and the action -------------------------------------------------------------


def test_every_uses_is_pinned_to_a_commit(any_file: Path) -> None:
    uses = [step["uses"] for step in _steps(_load(any_file)) if "uses" in step]
    assert uses
    for ref in uses:
        if ref.startswith("./"):
            continue  # an action in a checkout made by the same job (see the file's comments)
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), ref
    # ... each with a comment naming what the SHA is.
    for line in any_file.read_text().splitlines():
        match = re.match(r"\s*(?:- )?uses: (\S+)(.*)", line)
        if match and not match.group(1).startswith("./"):
            assert re.fullmatch(r" # \S.*", match.group(2)), line


def test_only_the_verified_commits_of_github_actions(any_file: Path) -> None:
    for step in _steps(_load(any_file)):
        ref = step.get("uses", "")
        if ref.startswith("actions/checkout@"):
            assert ref == CHECKOUT
        elif ref.startswith("actions/setup-python@"):
            assert ref == SETUP_PYTHON
        else:
            assert not ref.startswith("actions/"), ref


def test_every_checkout_keeps_no_credentials(any_file: Path) -> None:
    checkouts = [
        s for s in _steps(_load(any_file)) if s.get("uses", "").startswith("actions/checkout")
    ]
    for step in checkouts:
        assert step["with"]["persist-credentials"] is False


def test_no_expression_inside_a_run_script(any_file: Path) -> None:
    """Untrusted text (issue, comment, input) reaches scripts only through `env:`; scripts hold
    no `${{ }}` at all, so none can slip in."""
    scripts = [s["run"] for s in _steps(_load(any_file)) if "run" in s]
    for script in scripts:
        assert "${{" not in script, script
    for step in _steps(_load(any_file)):
        if "run" in step:
            for value in (step.get("env") or {}).values():
                assert "secrets." not in str(value), "a script never holds a secret"


def test_secrets_only_in_the_env_of_a_step(any_file: Path) -> None:
    doc = _load(any_file)
    for path, text in _strings(doc):
        if "secrets." in text:
            assert (len(path), path[0], path[2], path[4]) == (6, "jobs", "steps", "env"), path


def test_every_job_has_permissions_and_a_timeout(workflow: Path) -> None:
    doc = _load(workflow)
    assert doc["permissions"] == {}, "nothing by default; each job asks for what it needs"
    for name, job in doc["jobs"].items():
        assert "permissions" in job, name
        assert "timeout-minutes" in job, name
        assert "write-all" not in str(job["permissions"]), name


def test_the_action_is_composite_and_bash() -> None:
    doc = _load(ACTION)
    assert doc["runs"]["using"] == "composite"
    assert {"config", "agent", "dry-run", "chain", "python-version"} <= set(doc["inputs"])
    for step in doc["runs"]["steps"]:
        if "run" in step:
            assert step["shell"] == "bash"
    install = next(s for s in doc["runs"]["steps"] if s.get("name") == "Install Baton")
    assert '"$GITHUB_ACTION_PATH"' in install["run"]
    assert "--require-hashes" in install["run"]
    python = next(s for s in doc["runs"]["steps"] if s.get("uses", "").startswith("actions/"))
    assert "cache" not in python.get("with", {}), "nothing cached that cannot be verified"


def test_the_action_installs_the_agent_versions_the_presets_were_tested_with() -> None:
    """One set of versions: the presets', the action's defaults and the CLIs the tests run."""
    doc = _load(ACTION)
    install = next(s for s in doc["runs"]["steps"] if s.get("name") == "Install the agent CLI")
    pinned = json.loads((ROOT / "tests" / "agent_clis" / "package.json").read_text())
    packages = {"claude": "@anthropic-ai/claude-code", "codex": "@openai/codex"}
    packages["gemini"] = "@google/gemini-cli"
    for kind, version in TESTED_VERSIONS.items():
        assert f"{kind}) package={packages[kind]} tested={version} ;;" in install["run"]
        assert pinned["dependencies"][packages[kind]] == version
    sandbox = next(s for s in doc["runs"]["steps"] if s.get("name") == "Install the sandbox")
    assert "bubblewrap" in sandbox["run"]


# -- Baton's workflows: triggers, jobs, concurrency ------------------------------------------


@pytest.fixture(params=BATON_WORKFLOWS, ids=_ids(BATON_WORKFLOWS))
def baton_workflow(request: pytest.FixtureRequest) -> dict[str, Any]:
    return _load(request.param)


def test_the_entrances(baton_workflow: dict[str, Any]) -> None:
    on = baton_workflow["on"]
    assert on["issues"] == {"types": ["labeled"]}
    # A safety net, hourly: chains go on by themselves and hand over by dispatch.
    assert on["schedule"] == [{"cron": DEFAULT_SCHEDULE}]
    inputs = on["workflow_dispatch"]["inputs"]
    assert {name: spec["type"] for name, spec in inputs.items()} == {
        "chain": "string",
        "dry_run": "boolean",
        "max_tickets": "number",
        "plan": "string",
    }
    assert on["pull_request_review_comment"] == {"types": ["created"]}
    assert on["pull_request_review"] == {"types": ["submitted"]}
    assert on["issue_comment"] == {"types": ["created"]}


def test_a_label_starts_work_only_when_it_is_the_trigger(baton_workflow: dict[str, Any]) -> None:
    condition = baton_workflow["jobs"]["plan"]["if"]
    trigger = Config().labels.trigger
    assert f"github.event.label.name == '{trigger}'" in condition
    assert "github.event_name == 'issues' &&" in condition


def test_a_goal_to_plan_is_drafted_in_a_job_of_its_own_and_runs_no_chain(
    baton_workflow: dict[str, Any],
) -> None:
    """A manual run's `plan` input, or the plan label, starts only the draft job: its plan
    arrives as a pull request (`baton plan --event`), and no chain is worked in that run."""
    jobs = baton_workflow["jobs"]
    label = Config().labels.plan
    draft = jobs["draft"]
    assert "(github.event_name == 'workflow_dispatch' && inputs.plan != '')" in draft["if"]
    assert (
        f"(github.event_name == 'issues' && github.event.label.name == '{label}')" in (draft["if"])
    )
    assert "(github.event_name == 'workflow_dispatch' && inputs.plan == '')" in jobs["plan"]["if"]
    assert draft["permissions"] == {
        "contents": "write",
        "issues": "write",
        "pull-requests": "write",
    }
    baton = draft["steps"][-1]
    assert baton["with"]["command"] == "plan"
    assert not any("SLACK" in name for name in baton["env"]), "a draft notifies no one"


def test_the_action_plans_from_the_event_alone() -> None:
    """`command: plan` passes no goal through the script: Baton reads it from the event."""
    script = _load(ACTION)["runs"]["steps"][-1]["run"]
    assert '"$baton" plan --event\n' in script
    assert "plan, chains, awaiting or validate" in script


def test_plan_then_one_job_per_chain(baton_workflow: dict[str, Any]) -> None:
    plan = baton_workflow["jobs"]["plan"]
    assert plan["permissions"] == {"contents": "read", "issues": "read"}
    chains = next(s for s in plan["steps"] if s.get("id") == "baton")
    assert chains["with"]["command"] == "chains"
    assert plan["outputs"]["chains"] == "${{ steps.baton.outputs.chains }}"

    run = baton_workflow["jobs"]["run"]
    assert run["needs"] == "plan"
    assert "needs.plan.outputs.chains != '[]'" in run["if"], "an empty matrix is an error"
    assert run["strategy"]["fail-fast"] is False
    assert run["strategy"]["matrix"]["chain"] == "${{ fromJSON(needs.plan.outputs.chains) }}"
    assert run["permissions"] == RUN_PERMISSIONS
    assert run["concurrency"] == {
        "group": "baton-${{ github.repository }}-${{ matrix.chain }}",
        "cancel-in-progress": False,
    }
    baton = run["steps"][-1]
    assert baton["with"]["chain"] == "${{ matrix.chain }}"
    assert baton["with"].get("command", "run") == "run"


def test_the_chain_job_is_the_whole_chain(baton_workflow: dict[str, Any]) -> None:
    """No job waits for another to validate: a chain is worked and validated in its own job, so
    the jobs are the plan, the chains, the review followup and the draft of a new plan, and no
    job runs the opt-in `awaiting` or `validate` commands."""
    assert set(baton_workflow["jobs"]) == {"plan", "run", "event", "draft"}
    commands = {
        step["with"].get("command", "run")
        for job in baton_workflow["jobs"].values()
        for step in job["steps"]
        if not step["uses"].startswith("actions/")
    }
    assert commands <= {"chains", "run", "event", "plan"}
    assert "awaiting" not in json.dumps(baton_workflow)


def _room(job: dict[str, Any], max_minutes: Any) -> float:
    return float(job["timeout-minutes"]) - float(max_minutes)


def test_max_minutes_leaves_room_for_the_action_in_flight(baton_workflow: dict[str, Any]) -> None:
    """Baton starts no new action after max-minutes: the job's timeout must outlast the longest
    one (an agent call and its test run, by the defaults), with time left to hand over."""
    defaults = Config()
    in_flight = defaults.agent.timeout_minutes + defaults.validation.test_timeout_minutes
    for name in ("run", "event"):
        job = baton_workflow["jobs"][name]
        max_minutes = job["steps"][-1]["with"]["max-minutes"]
        assert _room(job, max_minutes) >= in_flight + 5, name
        # A chain fits one job unless it is very long: 8 tickets take about an hour.
        assert float(max_minutes) >= 120, name
        assert job["timeout-minutes"] <= 360, "GitHub-hosted runners stop a job at 6 hours"


def test_review_comments_go_to_baton_run_event(baton_workflow: dict[str, Any]) -> None:
    event = baton_workflow["jobs"]["event"]
    for name in ("pull_request_review_comment", "pull_request_review", "issue_comment"):
        assert f"github.event_name == '{name}'" in event["if"]
    assert event["permissions"] == RUN_PERMISSIONS
    assert event["concurrency"]["cancel-in-progress"] is False
    assert event["steps"][-1]["with"]["command"] == "event"


def test_the_code_that_holds_secrets_is_the_default_branch(
    baton_workflow: dict[str, Any],
) -> None:
    """A review on a chain's pull request runs at the pull request's commit: the checkout that
    Baton is installed from (and works in) is the default branch, never the agent's code."""
    for job in baton_workflow["jobs"].values():
        checkout = job["steps"][0]
        assert checkout["uses"] == CHECKOUT
        assert checkout["with"]["ref"] == "${{ github.event.repository.default_branch }}"


def test_the_run_job_has_its_secrets_and_no_more(baton_workflow: dict[str, Any]) -> None:
    for name in ("run", "event"):
        step = baton_workflow["jobs"][name]["steps"][-1]
        env = step["env"]
        assert "SLACK_BOT_TOKEN" in env
        assert all(value == f"${{{{ secrets.{key} }}}}" for key, value in env.items())
    plan = baton_workflow["jobs"]["plan"]
    assert "secrets." not in json.dumps(plan)


@pytest.mark.parametrize(
    "path", [ROOT / ".github/workflows/baton.yml", ROOT / "bot/templates/workflow.yml"]
)
def test_every_secret_is_a_repository_secret_with_its_reason(path: Path) -> None:
    """Secrets are repository secrets, not a deployment environment's: environments are not
    available to private repositories on every plan. Each reference says so where zizmor's
    auditor would flag it, and the header gives the reason."""
    text = path.read_text()
    lines = [line for line in text.splitlines() if "${{ secrets." in line]
    assert lines
    assert all("# zizmor: ignore[secrets-outside-env]" in line for line in lines)
    assert "environments are not available to" in text
    assert "environment:" not in yaml.safe_dump(safe_load(text))


def test_the_reusable_workflows_caller_can_be_handed_over() -> None:
    """The caller its header shows, read as a workflow: Baton hands a chain over by dispatching
    the caller's workflow with the input `chain`, so the caller must take that input and grant
    `actions: write`, and pass the rest of Baton's permissions."""
    header = []
    for line in (ROOT / ".github" / "workflows" / "baton-reusable.yml").read_text().splitlines():
        if not line.startswith("#"):
            break
        header.append(line)
    start = header.index("#   on:")
    end = header.index("#", start)
    caller = safe_load("\n".join(line[4:] for line in header[start:end]))
    on = caller[True]
    assert "chain" in on["workflow_dispatch"]["inputs"]
    assert on["schedule"] == [{"cron": DEFAULT_SCHEDULE}]
    assert caller["jobs"]["baton"]["permissions"] == RUN_PERMISSIONS
    # A manual run's goal to plan reaches the draft job.
    assert on["workflow_dispatch"]["inputs"]["plan"] == {"type": "string"}
    assert caller["jobs"]["baton"]["with"]["plan"] == "${{ inputs.plan }}"


def test_the_split_validation_is_an_opt_in_of_the_action() -> None:
    """`awaiting` and `validate` stay in the action for `validation.where: job`, documented with
    what they cost."""
    command = _load(ACTION)["inputs"]["command"]["description"]
    assert "`validate`" in command
    assert "`awaiting`" in command
    assert "validation.where: job" in command
    assert "one session per ticket" in command


def test_ci_runs_dev_check() -> None:
    doc = _load(ROOT / ".github" / "workflows" / "ci.yml")
    assert set(doc["on"]) == {"push", "pull_request"}
    job = doc["jobs"]["check"]
    assert job["permissions"] == {"contents": "read"}
    assert job["steps"][-1]["run"] == "./dev check"


def _release(tmp_path: Path, released: bool) -> list[list[str]]:
    """The release step's script, run as Actions would, with a `gh` that records its calls."""
    doc = _load(ROOT / ".github" / "workflows" / "release.yml")
    job = doc["jobs"]["release"]
    assert job["permissions"] == {"contents": "write"}
    step = job["steps"][-1]
    calls = tmp_path / "calls.jsonl"
    tools = tmp_path / "bin"
    tools.mkdir(parents=True)
    (tools / "gh").write_text(
        "#!/usr/bin/env python3\nimport json, os, sys\n"
        f"open({str(calls)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n"
        f"sys.exit(0 if {released!r} or sys.argv[1:3] != ['release', 'view'] else 1)\n"
    )
    (tools / "gh").chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{tools}:{os.environ['PATH']}",
        "GH_TOKEN": "t",
        "REPO": "acme/baton",
        "SHA": "a" * 40,
    }
    done = subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in calls.read_text().splitlines()]


def test_a_new_version_is_tagged_and_released_once(tmp_path: Path) -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    view, create = _release(tmp_path / "new", released=False)
    assert view[:3] == ["release", "view", f"v{version}"]
    assert create[:3] == ["release", "create", f"v{version}"]
    assert create[create.index("--target") + 1] == "a" * 40
    notes = create[create.index("--notes") + 1]
    assert f"uses: acme/baton@{'a' * 40} # v{version}" in notes
    assert f"uv tool install git+https://github.com/acme/baton@v{version}" in notes
    (again,) = _release(tmp_path / "again", released=True)
    assert again[:2] == ["release", "view"], "a released version is not released twice"


def test_the_reusable_workflow_drafts_a_goal_to_plan_in_a_job_of_its_own() -> None:
    """As in baton.yml: the caller's `plan` input, or its plan label, starts only the draft job,
    whose plan arrives as a pull request; Baton reads the goal from the event, not the input."""
    doc = _load(ROOT / ".github" / "workflows" / "baton-reusable.yml")
    inputs = doc["on"]["workflow_call"]["inputs"]
    assert inputs["plan"] == {
        "description": inputs["plan"]["description"],
        "type": "string",
        "default": "",
    }
    assert inputs["plan-label"]["default"] == Config().labels.plan
    jobs = doc["jobs"]
    draft = jobs["draft"]
    assert "(github.event_name == 'workflow_dispatch' && inputs.plan != '')" in draft["if"]
    assert (
        "(github.event_name == 'issues' && github.event.label.name == inputs.plan-label)"
        in draft["if"]
    )
    assert "(github.event_name == 'workflow_dispatch' && inputs.plan == '')" in jobs["plan"]["if"]
    assert draft["permissions"] == {
        "contents": "write",
        "issues": "write",
        "pull-requests": "write",
    }
    baton = draft["steps"][-1]
    assert baton["uses"] == "./baton"
    assert baton["with"]["command"] == "plan"
    assert baton["with"]["working-directory"] == "repo"
    assert "plan" not in baton["with"], "the goal comes from the event alone"
    assert not any("SLACK" in name for name in baton["env"]), "a draft notifies no one"
    pinned = draft["steps"][0]
    assert pinned["name"] == "Check that Baton is pinned to a commit"


def test_the_reusable_workflow_declares_its_interface() -> None:
    doc = _load(ROOT / ".github" / "workflows" / "baton-reusable.yml")
    call = doc["on"]["workflow_call"]
    assert set(doc["on"]) == {"workflow_call"}
    assert {"baton-repository", "baton-ref", "config", "agent", "dry-run", "chain"} <= set(
        call["inputs"]
    )
    assert {"CURSOR_API_KEY", "SLACK_BOT_TOKEN", "ANTHROPIC_API_KEY"} <= set(call["secrets"])
    assert all(spec["required"] is False for spec in call["secrets"].values())
    run = doc["jobs"]["run"]
    assert run["concurrency"]["group"] == "baton-${{ github.repository }}-${{ matrix.chain }}"
    assert run["permissions"] == RUN_PERMISSIONS
    assert doc["jobs"]["event"]["permissions"] == RUN_PERMISSIONS
    assert set(doc["jobs"]) == {"plan", "run", "event", "draft"}
    defaults = Config()
    in_flight = defaults.agent.timeout_minutes + defaults.validation.test_timeout_minutes
    room = call["inputs"]["timeout-minutes"]["default"] - call["inputs"]["max-minutes"]["default"]
    assert room >= in_flight + 5
    for name in ("run", "event"):
        job = doc["jobs"][name]
        assert job["timeout-minutes"] == "${{ inputs.timeout-minutes }}"
        assert job["steps"][-1]["with"]["max-minutes"] == "${{ inputs.max-minutes }}"
    # Baton comes from its own pinned checkout beside the repository, never from inside it.
    baton = next(s for s in run["steps"] if s.get("with", {}).get("path") == "baton")
    assert baton["with"]["ref"] == "${{ inputs.baton-ref }}"
    assert run["steps"][-1]["with"]["working-directory"] == "repo"
    for job in doc["jobs"].values():
        repo = next(s for s in job["steps"] if s.get("with", {}).get("path") == "repo")
        assert repo["with"]["ref"] == "${{ github.event.repository.default_branch }}"


# -- the matrix: `baton chains` ---------------------------------------------------------------


def _state(**chains: tuple[bool, list[str]]) -> StoreData:
    return StoreData(
        chains={
            name: ChainState(
                name=name,
                branch=f"baton/{name}",
                base_branch="main",
                finished=finished,
                tickets={key: TicketState(key=key, status="passed") for key in keys},
            )
            for name, (finished, keys) in chains.items()
        }
    )


def test_pending_chains() -> None:
    data = _state(done=(True, ["#1"]), going=(False, ["#2"]), empty=(False, []))
    # A finished chain has no work until it gains a ticket; a new chain always has.
    assert pending_chains(data, {"done": ["#1"], "new": ["#5"]}) == ["going", "new"]
    assert pending_chains(data, {"done": ["#1", "#3"]}) == ["done", "going"]
    assert pending_chains(data, {}, include_finished=True) == ["done", "going"]
    assert pending_chains(StoreData(), {}) == []


CHAIN_FILE = """\
tickets:
  - key: {key}
    title: Do {key}
    goal: Create {key}.txt.
    files:
      create: [{key}.txt]
"""


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "tickets").mkdir(parents=True)
    (repo / "tickets" / "alpha.yml").write_text(CHAIN_FILE.format(key="one"))
    (repo / "tickets" / "beta.yml").write_text(CHAIN_FILE.format(key="two"))
    git = Git(repo, os.environ)
    git.run("init", "-q", "-b", "main")
    git.commit_all("tickets")
    return repo


def _chains(repo: Path, *args: str) -> Any:
    result = CliRunner().invoke(
        cli, ["chains", "--repo", str(repo), *args], env={"GITHUB_REPOSITORY": None}
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output) if "--json" in args else result.output


def test_chains_of_a_local_repository(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    assert _chains(repo, "--json") == ["alpha", "beta"]
    assert _chains(repo) == "alpha\nbeta\n"

    FileStore(repo / ".baton" / "state.json", Redactor()).save(_state(alpha=(True, ["one"])))
    assert _chains(repo, "--json") == ["beta"]
    assert _chains(repo, "--json", "--include-finished") == ["alpha", "beta"]
    assert _chains(repo, "--json", "--chain", "alpha") == []
    assert _chains(repo, "--json", "--chain", "beta") == ["beta"]
    # Nothing to list: said to a person on stderr; what a script reads stays empty.
    idle = CliRunner().invoke(
        cli, ["chains", "--repo", str(repo), "--chain", "alpha"], env={"GITHUB_REPOSITORY": None}
    )
    assert (idle.exit_code, idle.stdout, idle.stderr) == (0, "", "no chain has work now\n")

    # A finished chain that gains a ticket has work again.
    (repo / "tickets" / "alpha.yml").write_text(
        CHAIN_FILE.format(key="one") + CHAIN_FILE.format(key="three").removeprefix("tickets:\n")
    )
    assert _chains(repo, "--json") == ["alpha", "beta"]


def test_an_unknown_chain_is_one_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["chains", "--json", "--repo", str(_repo(tmp_path)), "--chain", "gamma"],
        env={"GITHUB_REPOSITORY": None},
    )
    assert result.exit_code == 1
    assert result.output == "error: no chain named `gamma`; the chains here are: alpha, beta\n"


def test_no_tickets_directory_means_no_work(tmp_path: Path) -> None:
    repo = tmp_path / "empty"
    repo.mkdir()
    Git(repo, os.environ).run("init", "-q")
    assert _chains(repo, "--json") == []
