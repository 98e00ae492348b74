"""`baton review --base --head` on a real repository with one rule of each kind: it finds every
planted violation (text, JSON and GitHub annotations) and exits 1, and finds nothing in a clean
change and exits 0."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import cli
from bot.workspace import Git
from tests.e2e.helpers import baton
from tests.fakes.llm import FakeLlm

CONVENTIONS = """\
# Conventions

People read this part. Tests are fast and deterministic; mocks are shared.

```baton-rules
- id: no-ci-edits
  kind: forbidden_paths
  severity: major
  paths: [".github/workflows/**", "uv.lock"]
  message: CI workflows and the lock file are not changed by tickets
  hint: revert it, or ask for a ticket that names the file
- id: test-layout
  kind: path
  severity: major
  applies_to: "**/test_*.py"
  allowed: "tests/**/test_*.py"
  message: tests live under tests/
  hint: move the file under tests/
- id: shared-mocks
  kind: imports
  severity: major
  applies_to: "tests/**/*.py"
  exclude: "tests/helpers/**"
  names: ["*mock*", "*Mock*"]
  require_from: "tests/helpers/"
  message: tests take mocks from tests/helpers
  hint: import it from tests.helpers.mocks
- id: no-sleep
  kind: patterns
  severity: minor
  applies_to: "tests/**"
  forbid: ["time.sleep("]
  message: tests do not sleep
  hint: use the fake clock from tests/helpers
- id: small
  kind: size
  severity: minor
  max_changed_files: 4
  message: a change stays small
  hint: split the ticket
```
"""

BASE_FILES = {
    "knowledge/CONVENTIONS.md": CONVENTIONS,
    ".github/workflows/ci.yml": "on: push\n",
    "src/app.py": "def add(a, b):\n    return a + b\n",
    "tests/helpers/mocks.py": "from unittest.mock import MagicMock\n",
    # Old violations: the review of a later change must not report them.
    "tests/test_app.py": textwrap.dedent(
        """\
        import time
        from unittest.mock import patch

        from src.app import add


        def test_add():
            time.sleep(0.1)
            assert add(1, 2) == 3
        """
    ),
}

CLEAN = {
    "src/app.py": "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n",
    "tests/test_sub.py": "from src.app import sub\nfrom tests.helpers.mocks import MagicMock\n\n\ndef test_sub():\n    assert sub(3, 2) == 1\n",
    "tests/test_app.py": BASE_FILES["tests/test_app.py"]
    + "\n\ndef test_zero():\n    assert add(0, 0) == 0\n",
}

PLANTED = {
    ".github/workflows/ci.yml": "on: push\njobs: {}\n",  # forbidden path, line 2
    "src/test_misplaced.py": "def test_x():\n    pass\n",  # path, line 1
    "tests/test_new.py": textwrap.dedent(
        """\
        import time
        from unittest.mock import MagicMock


        def test_new():
            time.sleep(1)
            assert MagicMock()
        """
    ),  # imports at line 2, patterns at line 6
    "src/app.py": CLEAN["src/app.py"],
    "tests/test_app.py": CLEAN["tests/test_app.py"],  # 5 files: size
}

EXPECTED = [
    ("small", "minor", None, None),
    ("no-ci-edits", "major", ".github/workflows/ci.yml", 2),
    ("test-layout", "major", "src/test_misplaced.py", 1),
    ("shared-mocks", "major", "tests/test_new.py", 2),
    ("no-sleep", "minor", "tests/test_new.py", 6),
]


def write(root: Path, files: dict[str, str]) -> None:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """main: the base; branch `clean`: a good change; branch `planted`: one violation per rule."""
    root = tmp_path / "repo"
    root.mkdir()
    git = Git(root, os.environ)
    git.run("init", "-q", "-b", "main")
    write(root, BASE_FILES)
    git.commit_all("base")
    for branch, files in {"clean": CLEAN, "planted": PLANTED}.items():
        git.run("checkout", "-q", "-b", branch, "main")
        write(root, files)
        git.commit_all(branch)
    git.run("checkout", "-q", "main")
    return root


def review(repo: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(
        cli, ["review", "--repo", str(repo), "--base", "main", *args], env=env
    )


def test_text_finds_every_planted_violation_and_exits_1(repo: Path) -> None:
    result = review(repo, "--head", "planted")
    assert result.exit_code == 1, result.output
    assert result.output == textwrap.dedent(
        """\
        minor (change) [small] a change stays small (5 files changed; at most 4)
            fix: split the ticket
        major .github/workflows/ci.yml:2 [no-ci-edits] CI workflows and the lock file are not changed by tickets
            fix: revert it, or ask for a ticket that names the file
        major src/test_misplaced.py:1 [test-layout] tests live under tests/ (allowed: `tests/**/test_*.py`)
            fix: move the file under tests/
        major tests/test_new.py:2 [shared-mocks] tests take mocks from tests/helpers (imports `unittest.mock`; take it from `tests/helpers/`)
            fix: import it from tests.helpers.mocks
        minor tests/test_new.py:6 [no-sleep] tests do not sleep (found `time.sleep(`)
            fix: use the fake clock from tests/helpers
        baton review: 3 major, 2 minor finding(s)
        """
    )


def test_json_and_github_formats(repo: Path) -> None:
    result = review(repo, "--head", "planted", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert [(f["rule"], f["severity"], f["file"], f["line"]) for f in data["findings"]] == EXPECTED
    assert (data["major"], data["minor"]) == (3, 2)
    assert data["conventions"] == "knowledge/CONVENTIONS.md"
    assert data["base"] == Git(repo, os.environ).run("rev-parse", "main")

    # As a whole process, the way CI runs it.
    proc = baton("review", "--base", "main", "--head", "planted", "--format", "github", cwd=repo)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == (
        "::warning title=small (minor)::a change stays small (5 files changed; at most 4)"
        "%0AFix: split the ticket"
    )
    assert lines[1] == (
        "::error file=.github/workflows/ci.yml,line=2,title=no-ci-edits (major)::CI workflows and "
        "the lock file are not changed by tickets%0AFix: revert it, or ask for a ticket that names "
        "the file"
    )
    assert [line.split("::")[1].split(" ")[0] for line in lines[:5]] == [
        "warning",
        "error",
        "error",
        "error",
        "warning",
    ]
    assert "file=tests/test_new.py,line=6,title=no-sleep (minor)" in lines[4]
    assert lines[5] == "baton review: 3 major, 2 minor finding(s)"


def test_a_clean_change_has_no_findings_and_exits_0(repo: Path) -> None:
    for output in ("text", "json", "github"):
        result = review(repo, "--head", "clean", "--format", output)
        assert result.exit_code == 0, result.output
        if output == "json":
            assert json.loads(result.output)["findings"] == []
        else:
            assert result.output == "baton review: no findings\n"


def test_uncommitted_changes_are_said_to_be_left_out(repo: Path) -> None:
    """The review is of commits: work in progress is not an all-clear."""
    (repo / "src" / "app.py").write_text("import time\ntime.sleep(1)\n")
    result = review(repo, "--head", "HEAD")
    assert result.exit_code == 0, result.output
    assert result.stdout == "baton review: no findings\n"
    assert result.stderr == (
        "note: 1 uncommitted change(s) (src/app.py) are not reviewed: the review is of "
        "main..HEAD; commit them to review them\n"
    )
    assert review(repo, "--head", "clean").stderr == "", "another commit than the working copy's"


def test_a_ticket_adds_its_scope_and_lifts_a_forbidden_path_it_names(
    repo: Path, tmp_path: Path
) -> None:
    chain = tmp_path / "work.yml"
    chain.write_text(
        textwrap.dedent(
            """\
            tickets:
              - key: ci
                title: Tidy CI
                goal: Tidy the workflow.
                files:
                  modify: [.github/workflows/ci.yml, src/app.py, tests/test_app.py]
                  create: [tests/test_new.py, src/test_misplaced.py]
              - key: other
                title: Other
                goal: Something else.
            """
        )
    )
    # A workflow is a protected path: a ticket names one only where the configuration allows.
    refused = review(repo, "--head", "planted", "--ticket", str(chain), "--key", "ci")
    assert refused.exit_code != 0
    assert "allow_protected: true" in refused.output
    git = Git(repo, os.environ)
    git.run("checkout", "-q", "-b", "allowing", "main")
    write(repo, {".github/baton.yml": "allow_protected: true\n"})
    git.commit_all("allow protected paths")
    git.run("rebase", "-q", "--onto", "allowing", "main", "planted")
    git.run("checkout", "-q", "main")

    args = ("--base", "allowing", "--head", "planted", "--ticket", str(chain))
    result = review(repo, *args, "--key", "ci", "--format", "json")
    found = [(f["rule"], f["file"], f["line"]) for f in json.loads(result.output)["findings"]]
    assert ("no-ci-edits", ".github/workflows/ci.yml", 2) not in found
    assert not [f for f in found if f[0].startswith("scope.")]
    assert ("test-layout", "src/test_misplaced.py", 1) in found

    result = review(repo, *args, "--key", "other")
    assert result.exit_code == 1
    assert "[scope.outside] changed, but the ticket does not name it" in result.output

    missing_key = review(repo, *args)
    assert missing_key.exit_code == 2, "no review to give: not a finding"
    assert "holds 2 tickets; pass --key with one of: ci, other" in missing_key.output

    issue = tmp_path / "issue.md"
    issue.write_text(
        "### Goal\n\nAdd sub.\n\n### Files to create\n\ntests/test_sub.py\n\n"
        "### Files to modify\n\nsrc/app.py\n"
    )
    result = review(repo, "--head", "clean", "--ticket", str(issue))
    assert result.exit_code == 1
    assert "major tests/test_app.py [scope.outside]" in result.output


def test_malformed_rules_unknown_refs_and_conventions_elsewhere(repo: Path) -> None:
    git = Git(repo, os.environ)
    git.run("checkout", "-q", "-b", "broken", "main")
    text = CONVENTIONS.replace(
        "severity: minor\n  max_changed_files", "severity: low\n  max_changed_files"
    )
    write(repo, {"knowledge/CONVENTIONS.md": text})
    git.commit_all("break the rules")
    result = CliRunner().invoke(
        cli, ["review", "--repo", str(repo), "--base", "broken", "--head", "planted"]
    )
    assert result.exit_code == 2
    assert (
        "knowledge/CONVENTIONS.md:37: error: rule `small`.severity: `low` is not one of minor, major"
        in result.output
    )
    assert "has malformed rules" in result.output

    result = review(repo, "--head", "no-such-branch")
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"error: --head no-such-branch is not a commit in {repo}; fetch it first (e.g. "
        "`git fetch origin main`) or pass a commit sha"
    ]

    # Conventions elsewhere: named in the base's config, or on the command line.
    git.run("checkout", "-q", "-b", "moved", "main")
    git.run("mv", "knowledge/CONVENTIONS.md", "CONVENTIONS.md")
    write(repo, {".github/baton.yml": "review:\n  conventions: CONVENTIONS.md\n"})
    git.commit_all("move the conventions")
    git.run("checkout", "-q", "-b", "planted-after-move", "planted")
    git.run("rebase", "-q", "moved")
    assert review_codes(repo, "moved", "planted-after-move") == 1
    Path(repo / ".github" / "baton.yml").unlink()
    git.run("rm", "-q", ".github/baton.yml")
    git.commit_all("no config")
    assert review_codes(repo, "moved", "planted-after-move", "--conventions", "CONVENTIONS.md") == 1
    assert review_codes(repo, "moved", "planted-after-move", "--conventions", "NONE.md") == 0


def review_codes(repo: Path, base: str, head: str, *args: str) -> int:
    result = CliRunner().invoke(
        cli, ["review", "--repo", str(repo), "--base", base, "--head", head, *args]
    )
    return result.exit_code


def test_untrusted_paths_cannot_inject_workflow_commands(repo: Path, tmp_path: Path) -> None:
    git = Git(repo, os.environ)
    git.run("checkout", "-q", "-b", "evil", "main")
    evil = "evil\n::error title=pwned::all good\n,x:%0A/test_y.py"
    write(repo, {evil: "time.sleep(1)\n"})
    git.commit_all("evil")
    issue = tmp_path / "issue.md"
    issue.write_text("### Goal\n\nTouch the app.\n\n### Files to modify\n\nsrc/app.py\n")
    for output in ("text", "github"):
        result = review(repo, "--head", "evil", "--ticket", str(issue), "--format", output)
        assert result.exit_code == 1
        for line in result.output.splitlines():
            assert not line.lstrip().startswith("::error title=pwned"), line
            assert line.startswith(
                ("::error ", "::warning ", "major ", "minor ", "    fix: ", "baton review: ")
            )
    github = review(repo, "--head", "evil", "--ticket", str(issue), "--format", "github").output
    assert "file=evil%0A%3A%3Aerror title=pwned%3A%3Aall good%0A%2Cx%3A%250A/test_y.py," in github


def test_the_llm_reviewer_joins_on_request(repo: Path) -> None:
    said = json.dumps(
        {
            "findings": [
                {
                    "file": "src/app.py",
                    "line": 5,
                    "severity": "minor",
                    "message": "sub lacks a docstring",
                }
            ]
        }
    )
    with FakeLlm(answer=said) as llm:
        env = {"ANTHROPIC_API_KEY": llm.api_key, "BATON_LLM_API_URL": llm.url}
        result = review(repo, "--head", "clean", "--llm", env=env)
        assert result.exit_code == 0, result.output
        assert "minor src/app.py:5 [llm] (LLM) sub lacks a docstring" in result.output
        assert review(repo, "--head", "clean", env=env).output == "baton review: no findings\n"
        assert len(llm.requests) == 1  # off by default
    result = review(repo, "--head", "clean", "--llm", env={"ANTHROPIC_API_KEY": ""})
    assert result.exit_code == 0
    assert "[llm.unavailable] the LLM reviewer did not review this change" in result.output
