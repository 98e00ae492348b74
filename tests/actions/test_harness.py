"""The Actions runner itself: expressions, matrices, permissions as token scopes, outputs through
`needs`, fresh jobs, processes left behind, and every workflow of Baton read by it."""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.actions import events
from tests.actions.events import Event
from tests.actions.expressions import (
    ExpressionError,
    Scope,
    condition,
    evaluate_value,
    interpolate,
)
from tests.actions.matrix import MatrixError, expand
from tests.actions.permissions import PermissionsError, scopes
from tests.actions.runner import Kill, Runner
from tests.actions.workflow import Action, Workflow, WorkflowError
from tests.fakes.github import FakeGitHub
from tests.sandbox_support import require_bwrap

ROOT = Path(__file__).resolve().parents[2]

CONTEXTS: dict[str, Any] = {
    "github": {
        "event_name": "issues",
        "event": {"label": {"name": "ready-for-agent"}, "issue": {"number": 7}},
        "repository": "octo-org/widgets",
    },
    "inputs": {"dry_run": False, "max-tickets": 3.0, "chain": ""},
    "needs": {
        "plan": {"result": "success", "outputs": {"chains": '["sprint-1", "issue-4"]'}},
        "run": {"result": "skipped", "outputs": {}},
    },
    "matrix": {"chain": "sprint-1"},
    "secrets": {"ANTHROPIC_API_KEY": "sk-ant-test"},
}

# (expression, its value)
VALUES: list[tuple[str, Any]] = [
    ("github.event_name == 'issues'", True),
    ("github.EVENT_NAME == 'ISSUES'", True),  # names and strings ignore case
    ("github.event.label.name", "ready-for-agent"),
    ("github.event['label']['name']", "ready-for-agent"),
    ("github.event.pull_request.number", None),  # a missing property is null, at any depth
    ("github.event.pull_request.number || github.event.issue.number", 7),
    ("!github.event.issue.pull_request", True),
    (
        "github.event_name == 'schedule' || (github.event_name == 'issues' && "
        "github.event.label.name == 'ready-for-agent')",
        True,
    ),
    ("inputs.dry_run == true", False),
    ("inputs.max-tickets", 3.0),  # a name may hold a dash
    ("inputs.chain || 'every chain'", "every chain"),
    ("'' && 'never'", ""),  # && and || give an operand, not a boolean
    ("needs.plan.outputs.chains != '' && needs.plan.outputs.chains != '[]'", True),
    ("needs.run.result != 'skipped'", False),
    ("fromJSON(needs.plan.outputs.chains)", ["sprint-1", "issue-4"]),
    ("fromJSON(needs.plan.outputs.chains)[1]", "issue-4"),
    ('fromJSON(\'{"a": {"b": 2}}\').a.b', 2),
    ("toJSON(matrix)", '{\n  "chain": "sprint-1"\n}'),
    ("toJSON(fromJSON('[1, 2.5]'))", "[\n  1,\n  2.5\n]"),
    ("secrets.ANTHROPIC_API_KEY", "sk-ant-test"),
    ("secrets.SLACK_BOT_TOKEN", None),
    ("1 == '1'", True),  # different types compare as numbers
    ("null == 0", True),
    ("true == 1", True),
    ("'' == 0", True),
    ("'abc' == 0", False),  # NaN equals nothing
    ("fromJSON('[]') == fromJSON('[]')", False),  # arrays are equal only to themselves
    ("0x10 == 16 && 1.5e1 == 15 && -2 < 1", True),
    ("'it''s'", "it's"),
    ("(1 == 1) && !(2 != 2)", True),
    ("contains(fromJSON('[\"bug\", \"docs\"]'), 'BUG')", True),
    ("contains('baton/sprint-1', 'SPRINT')", True),
    ("startsWith('baton/x', 'baton/') && endsWith('a.yml', '.YML')", True),
    ("format('{0}-{1} {{literal}}', 'chain', 2)", "chain-2 {literal}"),
    ("join(fromJSON('[\"a\", \"b\"]'), ', ')", "a, b"),
    ("'b' > 'A'", True),
]

ERRORS: list[tuple[str, str]] = [
    ("frobnicate(1)", "unknown function `frobnicate`"),
    ("hashFiles('**/uv.lock')", "unknown function `hashFiles`"),
    ("github.event.issue.labels.*.name", "object filters"),
    ("unknown.thing", "unrecognized named-value `unknown`"),
    ("github.event_name = 'issues'", "unexpected"),
    ("github.event_name == 'issues", "unexpected"),
    ("1 + 1", "unexpected '+'"),
    ("success()", "only in an `if:`"),
    ("fromJSON('not json')", "is not JSON"),
    ("contains('a')", "takes 2 to 2 arguments"),
    ("NaN", "unrecognized named-value"),
]


@pytest.mark.parametrize(("expression", "value"), VALUES, ids=[v[0] for v in VALUES])
def test_expressions(expression: str, value: Any) -> None:
    assert Scope(CONTEXTS).evaluate(expression) == value


@pytest.mark.parametrize(("expression", "message"), ERRORS, ids=[e[0] for e in ERRORS])
def test_an_expression_it_cannot_evaluate_is_an_error(expression: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=re.escape(message)):
        Scope(CONTEXTS).evaluate(expression)


STATUS_OK = {"success": True, "failure": False, "always": True, "cancelled": False}
STATUS_FAILED = {"success": False, "failure": True, "always": True, "cancelled": False}


@pytest.mark.parametrize(
    ("text", "status", "expected"),
    [
        (None, STATUS_OK, True),
        (None, STATUS_FAILED, False),
        ("needs.plan.result == 'success'", STATUS_OK, True),
        ("needs.plan.result == 'success'", STATUS_FAILED, False),  # success() && …
        ("always() && needs.run.result != 'skipped'", STATUS_FAILED, False),
        ("always() && needs.plan.result == 'success'", STATUS_FAILED, True),
        ("failure()", STATUS_FAILED, True),
        ("${{ github.event_name == 'issues' }}", STATUS_OK, True),
        ("${{ false }}", STATUS_OK, False),
        # Text around an expression is a non-empty string: true, as on GitHub.
        ("${{ false }} && true", STATUS_OK, True),
        (False, STATUS_OK, False),
    ],
)
def test_conditions(text: Any, status: dict[str, bool], expected: bool) -> None:
    assert condition(text, Scope(CONTEXTS, status)) is expected


def test_values_inside_yaml() -> None:
    scope = Scope(CONTEXTS)
    assert interpolate("chain ${{ matrix.chain }}", scope) == "chain sprint-1"
    assert interpolate("${{ secrets.SLACK_BOT_TOKEN }}", scope) == ""
    assert interpolate("${{ inputs.dry_run == true }}", scope) == "false"
    assert interpolate("${{ inputs.max-tickets }}", scope) == "3"
    assert interpolate("${{ needs.plan.outputs }}", scope) == "Object"
    assert evaluate_value("${{ fromJSON(needs.plan.outputs.chains) }}", scope) == [
        "sprint-1",
        "issue-4",
    ]
    assert evaluate_value({"chain": "${{ fromJSON('[1]') }}", "n": 2}, scope) == {
        "chain": [1],
        "n": 2,
    }
    assert interpolate("${{ 'a }} b' }}!", scope) == "a }} b!"  # `}}` inside a string
    with pytest.raises(ExpressionError, match="not closed"):
        interpolate("${{ github.event_name", scope)


# ---- matrices -------------------------------------------------------------------------------------


def test_a_matrix_expands_as_github_documents() -> None:
    # GitHub's own example ("Expanding or adding matrix configurations").
    matrix = {
        "fruit": ["apple", "pear"],
        "animal": ["cat", "dog"],
        "include": [
            {"color": "green"},
            {"color": "pink", "animal": "cat"},
            {"fruit": "apple", "shape": "circle"},
            {"fruit": "banana"},
            {"fruit": "banana", "animal": "cat"},
        ],
    }
    assert expand(matrix) == [
        {"fruit": "apple", "animal": "cat", "color": "pink", "shape": "circle"},
        {"fruit": "apple", "animal": "dog", "color": "green", "shape": "circle"},
        {"fruit": "pear", "animal": "cat", "color": "pink"},
        {"fruit": "pear", "animal": "dog", "color": "green"},
        {"fruit": "banana"},
        {"fruit": "banana", "animal": "cat"},
    ]
    assert expand({"os": ["a", "b"], "v": [1, 2], "exclude": [{"os": "a", "v": 2}]}) == [
        {"os": "a", "v": 1},
        {"os": "b", "v": 1},
        {"os": "b", "v": 2},
    ]
    only_include = {"include": [{"chain": "s", "ticket": "#1"}, {"chain": "t", "ticket": "#2"}]}
    assert expand(only_include) == only_include["include"]
    with pytest.raises(MatrixError, match="does not contain any values"):
        expand({"chain": []})
    with pytest.raises(MatrixError, match="no combinations"):
        expand({"include": []})


def test_permissions_become_token_scopes() -> None:
    assert scopes({"contents": "read", "pull-requests": "write", "checks": "none"}, {}) == {
        "contents": "read",
        "pull_requests": "write",
    }
    assert scopes(None, {}) == {}  # the workflow's `permissions: {}`
    assert scopes(None, None) == {"contents": "read", "packages": "read"}
    assert scopes(None, None, default="permissive")["issues"] == "write"
    assert scopes("read-all", None)["statuses"] == "read"
    narrowed = scopes({"contents": "write", "issues": "write"}, None, cap={"contents": "read"})
    assert narrowed == {"contents": "read"}
    with pytest.raises(PermissionsError, match="`admin` is not a permission"):
        scopes({"admin": "write"}, None)


# ---- workflows run against the fake GitHub --------------------------------------------------------

FLAVOURS = """\
name: flavours
on:
  workflow_dispatch:
    inputs:
      flavours:
        type: string
        default: '["vanilla", "mint"]'
permissions: {}
jobs:
  list:
    runs-on: ubuntu-latest
    permissions:
      contents: read
    outputs:
      flavours: ${{ steps.pick.outputs.flavours }}
      note: ${{ steps.pick.outputs.note }}
    steps:
      - id: pick
        env:
          FLAVOURS: ${{ inputs.flavours }}
        run: |
          echo "flavours=$FLAVOURS" >> "$GITHUB_OUTPUT"
          { echo "note<<EOF"; echo "two"; echo "lines"; echo "EOF"; } >> "$GITHUB_OUTPUT"
  scoop:
    name: scoop ${{ matrix.flavour }}
    needs: list
    if: needs.list.outputs.flavours != '[]'
    runs-on: ubuntu-latest
    permissions:
      contents: read
    strategy:
      matrix:
        flavour: ${{ fromJSON(needs.list.outputs.flavours) }}
        include:
          - flavour: mint
            topping: chocolate
    concurrency:
      group: scoop-${{ github.repository }}
      cancel-in-progress: false
    outputs:
      scooped: ${{ steps.scoop.outputs.scooped }}
    steps:
      - id: scoop
        env:
          TOPPING: ${{ matrix.topping }}
        run: |
          sleep 0.3
          echo "scooped=${{ matrix.flavour }}${TOPPING:+ with $TOPPING}" >> "$GITHUB_OUTPUT"
  report:
    needs: [list, scoop]
    if: always() && needs.scoop.result == 'success'
    runs-on: ubuntu-latest
    permissions:
      contents: read
    outputs:
      line: ${{ steps.say.outputs.line }}
    steps:
      - id: say
        env:
          NOTE: ${{ needs.list.outputs.note }}
          SCOOPED: ${{ needs.scoop.outputs.scooped }}
        run: |
          { echo "line<<END"; echo "$NOTE / $SCOOPED"; echo END; } >> "$GITHUB_OUTPUT"
  never:
    needs: report
    if: needs.report.outputs.line == ''
    runs-on: ubuntu-latest
    steps:
      - run: exit 1
"""

LABELS = """\
name: labels
on: [workflow_dispatch]
permissions: {}
jobs:
  reader:
    runs-on: ubuntu-latest
    permissions:
      contents: read
      issues: read
    steps: &label
      - name: Create a label
        env:
          TOKEN: ${{ secrets.GITHUB_TOKEN }}
        shell: python
        run: |
          import json, os, urllib.error, urllib.request
          url = f"{os.environ['GITHUB_API_URL']}/repos/{os.environ['GITHUB_REPOSITORY']}/labels"
          data = json.dumps({"name": "flavour", "color": "ededed"}).encode()
          headers = {"Authorization": f"Bearer {os.environ['TOKEN']}"}
          request = urllib.request.Request(url, data=data, headers=headers, method="POST")
          try:
              with urllib.request.urlopen(request) as answer:
                  print(answer.status)
          except urllib.error.HTTPError as error:
              print(error.code, error.headers["X-Accepted-GitHub-Permissions"], error.read().decode())
              raise SystemExit(1)
  writer:
    needs: reader
    if: always()
    runs-on: ubuntu-latest
    permissions:
      issues: write
    steps: *label
  pusher:
    runs-on: ubuntu-latest
    permissions:
      contents: read
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - run: |
          git -c user.name=t -c user.email=t@example.invalid commit -q --allow-empty -m empty
          git push origin HEAD:refs/heads/pushed
"""

FRESH = """\
name: fresh
on: [workflow_dispatch]
jobs:
  first:
    runs-on: ubuntu-latest
    permissions:
      contents: read
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          persist-credentials: false
      - name: Look around, leave traces
        run: |
          test "$GITHUB_ACTIONS" = true
          test "$GITHUB_REPOSITORY" = octo-org/widgets
          test "$GITHUB_EVENT_NAME" = workflow_dispatch
          test "$GITHUB_WORKFLOW_REF" = octo-org/widgets/.github/workflows/fresh.yml@refs/heads/main
          grep -q '"marker": "from the event"' "$GITHUB_EVENT_PATH"
          test -z "$(ls -A "$HOME")"
          test -z "$(ls -A "${TMPDIR:-/tmp}")"
          if command -v baton; then exit 1; fi
          if git config --get-regexp extraheader || grep -q ghs_ .git/config; then exit 1; fi
          test -f README.md
          echo "trace" > "$HOME/trace"
          echo "trace" > trace.txt
          echo "trace" > "$RUNNER_TEMP/trace"
          echo "trace" > "${TMPDIR:-/tmp}/trace"
      - name: Leave a process behind
        # The step ends once its child is `sleep`: a busy machine may not have run its exec yet.
        run: |
          setsid sleep 300 < /dev/null > /dev/null 2>&1 &
          until grep -q '^sleep' "/proc/$!/cmdline"; do sleep 0.01; done
  second:
    needs: first
    runs-on: ubuntu-latest
    permissions:
      contents: read
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - name: Nothing of the first job is here
        run: |
          test ! -e "$HOME/trace"
          test ! -e trace.txt
          test ! -e "$RUNNER_TEMP/trace"
          test ! -e "${TMPDIR:-/tmp}/trace"
          git config --get-regexp 'extraheader'  # persist-credentials defaults to true
  broken:
    runs-on: ubuntu-latest
    if: frobnicate()
    steps:
      - run: exit 0
  unknown-action:
    runs-on: ubuntu-latest
    steps:
      - uses: someone/else@0123456789012345678901234567890123456789
"""


LOST = """\
name: lost
on: [workflow_dispatch]
jobs:
  lost:
    runs-on: ubuntu-latest
    permissions: {}
    steps:
      - name: Start work that never ends
        run: |
          setsid sleep 300 < /dev/null > /dev/null 2>&1 &
          echo $! > "$RUNNER_TEMP/daemon.pid"
          sleep 300 &
          echo $! > "$RUNNER_TEMP/child.pid"
          touch "$RUNNER_TEMP/started"
          wait
      - name: Never reached
        run: exit 0
  beside:
    runs-on: ubuntu-latest
    permissions: {}
    steps:
      - run: exit 0
"""


MACHINES = """\
name: machines
on: [workflow_dispatch]
jobs:
  one:
    runs-on: ubuntu-latest
    permissions: {}
    outputs:
      host: ${{ steps.host.outputs.name }}
    steps:
      - id: host
        run: echo "name=$(python3 -c 'import socket; print(socket.gethostname())')" >> "$GITHUB_OUTPUT"
  two:
    runs-on: ubuntu-latest
    permissions: {}
    outputs:
      host: ${{ steps.host.outputs.name }}
      user: ${{ steps.host.outputs.user }}
    steps:
      - id: host
        run: |
          echo "name=$(hostname)" >> "$GITHUB_OUTPUT"
          echo "user=$(id -u)" >> "$GITHUB_OUTPUT"
"""


@pytest.fixture
def github(tmp_path: Path) -> Iterator[FakeGitHub]:
    files = {
        "README.md": "# widgets\n",
        ".github/workflows/flavours.yml": FLAVOURS,
        ".github/workflows/labels.yml": LABELS,
        ".github/workflows/fresh.yml": FRESH,
        ".github/workflows/lost.yml": LOST,
        ".github/workflows/machines.yml": MACHINES,
    }
    with FakeGitHub(tmp_path, files=files, private=True) as fake:
        yield fake


def dispatch(**inputs: str) -> Event:
    return Event("workflow_dispatch", {"inputs": inputs, "marker": "from the event"})


def test_a_matrix_from_a_needs_output_and_outputs_through_needs(
    github: FakeGitHub, tmp_path: Path
) -> None:
    run = Runner(github, tmp_path / "actions").run(".github/workflows/flavours.yml", dispatch())

    assert run.results() == {
        "list": "success",
        "scoop vanilla": "success",
        "scoop mint": "success",
        "report": "success",
        "never": "skipped",
    }, run.describe()
    assert run.job("list").outputs == {"flavours": '["vanilla", "mint"]', "note": "two\nlines"}
    assert [j.matrix for j in run.all("scoop")] == [
        {"flavour": "vanilla"},
        {"flavour": "mint", "topping": "chocolate"},
    ]
    assert run.job("scoop", flavour="mint").outputs == {"scooped": "mint with chocolate"}
    assert run.job("report").outputs == {"line": "two\nlines / mint with chocolate"}
    assert run.job("never").reason == "`if:` is false"
    # One concurrency group: the two combinations ran one after the other.
    assert {j.concurrency for j in run.all("scoop")} == {"scoop-octo-org/widgets"}
    assert run.overlaps() == []
    assert all(j.left_behind == [] for j in run.jobs)

    run = Runner(github, tmp_path / "again").run(
        ".github/workflows/flavours.yml", dispatch(flavours="[]")
    )
    assert run.results() == {
        "list": "success",
        "scoop": "skipped",
        "report": "skipped",
        "never": "skipped",
    }, run.describe()
    assert run.job("report").reason == "a job it needs did not succeed"


def test_a_token_without_issues_write_is_refused_a_label(
    github: FakeGitHub, tmp_path: Path
) -> None:
    run = Runner(github, tmp_path / "actions").run(".github/workflows/labels.yml", dispatch())

    reader, writer, pusher = run.job("reader"), run.job("writer"), run.job("pusher")
    assert (reader.result, writer.result, pusher.result) == ("failure", "success", "failure")
    assert reader.scopes == {"contents": "read", "issues": "read"}
    assert reader.api_calls[-1].status == 403
    assert reader.api_calls[-1].scopes == {"contents": "read", "issues": "read"}
    log = reader.step("Create a label").log
    assert "403 issues=write; pull_requests=write" in log
    assert '"message": "Resource not accessible by integration"' in log
    assert "issues/labels#create-a-label" in log
    assert [(c.method, c.status, c.scopes) for c in writer.api_calls] == [
        ("POST", 201, {"issues": "write"})
    ]
    assert github.state().label("flavour") is not None
    # git says so too: a push needs contents: write.
    assert [(c.service, c.status) for c in pusher.git_calls][-1] == ("git-receive-pack", 403)
    assert "Permission to octo-org/widgets.git denied to github-actions[bot]" in pusher.log
    assert github.branch_sha("pushed") is None


def test_each_job_is_fresh_and_leaves_nothing_running(github: FakeGitHub, tmp_path: Path) -> None:
    run = Runner(github, tmp_path / "actions").run(".github/workflows/fresh.yml", dispatch())

    first, second = run.job("first"), run.job("second")
    assert (first.result, second.result) == ("success", "success"), run.describe()
    assert first.scopes == {"contents": "read"}
    assert [c.service for c in first.git_calls] == ["git-upload-pack"] * len(first.git_calls)
    (left,) = first.left_behind
    assert left.step == "Leave a process behind"
    assert left.argv == ("sleep", "300")
    with pytest.raises(ProcessLookupError):
        os.kill(left.pid, 0)  # killed when its step ended
    broken = run.job("broken")
    assert broken.result == "failure"
    assert "unknown function `frobnicate`" in broken.reason
    unknown = run.job("unknown-action")
    assert unknown.result == "failure"
    assert "the action `someone/else` is neither emulated" in unknown.log


def test_a_job_whose_runner_is_lost_is_killed_whole(github: FakeGitHub, tmp_path: Path) -> None:
    root = tmp_path / "actions"

    def started() -> bool:
        return any(root.glob("*/*-lost/temp/started"))

    run = Runner(github, root).run(
        ".github/workflows/lost.yml", dispatch(), kill=Kill("lost", started)
    )

    lost = run.job("lost")
    assert (lost.result, lost.reason) == ("cancelled", "killed: its runner was lost")
    assert lost.step("Start work that never ends").conclusion == "failure"
    assert lost.step("Never reached").conclusion == "skipped"
    assert lost.left_behind == [], "everything it started went with it"
    assert "The runner was lost" in lost.log
    temp = next(root.glob("*/*-lost/temp"))
    for name in ("daemon.pid", "child.pid"):
        with pytest.raises(ProcessLookupError):
            os.kill(int((temp / name).read_text()), 0)
    assert run.job("beside").result == "success"


def test_each_job_can_be_a_machine_of_its_own_name(github: FakeGitHub, tmp_path: Path) -> None:
    require_bwrap()
    run = Runner(github, tmp_path / "actions", machines=True).run(
        ".github/workflows/machines.yml", dispatch()
    )

    one, two = run.job("one"), run.job("two")
    assert (one.result, two.result) == ("success", "success"), run.describe()
    hosts = {one.outputs["host"], two.outputs["host"]}
    assert len(hosts) == 2
    assert socket.gethostname() not in hosts
    assert all(host.startswith(f"runner-{run.run_id}-") for host in hosts)
    assert two.outputs["user"] == str(os.getuid()), "the same user, not a namespace's root"


# ---- Baton's own workflows, read by the runner ----------------------------------------------------

WORKFLOWS = [
    *sorted((ROOT / ".github" / "workflows").glob("*.yml")),
    ROOT / "bot" / "templates" / "workflow.yml",
]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_workflow_of_baton_is_understood(path: Path) -> None:
    workflow = Workflow.load(path)
    for job in workflow.jobs.values():
        for step in job.steps:
            assert step.uses is None or step.uses.startswith(("./", "actions/", "OWNER/baton@"))


def test_the_triggers_of_the_baton_workflow() -> None:
    workflow = Workflow.load(ROOT / ".github" / "workflows" / "baton.yml")
    assert workflow.triggered_by("issues", {"action": "labeled"})
    assert not workflow.triggered_by("issues", {"action": "opened"})
    assert workflow.triggered_by("schedule", {"schedule": "17 * * * *"})
    assert workflow.triggered_by("issue_comment", {"action": "created"})
    assert not workflow.triggered_by("push", {})
    assert workflow.inputs("workflow_dispatch", {"dry_run": "true", "max_tickets": "2"}) == {
        "chain": "",
        "dry_run": True,
        "max_tickets": 2.0,
        "plan": "",
    }
    with pytest.raises(WorkflowError, match="no input named nope"):
        workflow.inputs("workflow_dispatch", {"nope": "1"})


def test_the_composite_action_is_understood() -> None:
    action = Action.load(ROOT)
    assert action.name == "Baton"
    assert action.inputs["github-token"].default == "${{ github.token }}"
    assert [s.name for s in action.steps] == [
        "Set up Python for Baton",
        "Install Baton",
        "Install the sandbox",
        "Install the agent CLI",
        "Run Baton",
    ]


def test_a_feature_the_runner_lacks_is_an_error() -> None:
    with pytest.raises(WorkflowError, match="does not support services"):
        Workflow.parse("on: push\njobs:\n  a:\n    services: {db: {image: x}}\n    steps: []\n")
    with pytest.raises(WorkflowError, match=r"on\.push: this runner does not support branches"):
        Workflow.parse("on:\n  push:\n    branches: [main]\njobs:\n  a:\n    steps: []\n")


def test_an_event_the_workflow_does_not_listen_to_starts_nothing(
    github: FakeGitHub, tmp_path: Path, shared_dir: Path
) -> None:
    number = github.add_issue("A ticket", labels=["ready-for-agent"])
    event = events.issue_labeled(shared_dir, github, number, "ready-for-agent")
    run = Runner(github, tmp_path / "actions").run(".github/workflows/flavours.yml", event)
    assert run.jobs == []
