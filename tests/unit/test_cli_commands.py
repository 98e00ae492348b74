"""The `baton` command line, driven through click's CliRunner: version, tickets parse and lint,
config check. Errors go to stderr as `file:line: error: field: message`, never as a traceback."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot import __version__
from bot.cli import cli
from bot.issue_form import MAX_BODY

TICKET_KEYS = [
    "key",
    "title",
    "goal",
    "context",
    "files",
    "acceptance",
    "test_command",
    "depends_on",
    "chain",
]

GOOD_CHAIN = (
    "chain: books\ntickets:\n  - key: list\n    title: List\n    goal: List books.\n"
    "    files: {create: [books/list.py]}\n"
)
BAD_CHAIN = "tickets:\n  - key: a\n    title: A\n    gaol: g\n"


def run(*args: str, stdin: str | None = None) -> Result:
    result = CliRunner().invoke(cli, list(args), input=stdin, prog_name="baton")
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout == f"baton, version {__version__}\n"


def test_help_lists_the_command_groups() -> None:
    result = run("--help")
    assert result.exit_code == 0
    for command in ("tickets", "config"):
        assert command in result.stdout


# --- tickets parse ------------------------------------------------------------------------------


def test_tickets_parse_from_a_file_prints_the_ticket_as_json(samples: Path) -> None:
    result = run("tickets", "parse", str(samples / "full_ticket.md"))
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    ticket = json.loads(result.stdout)
    assert list(ticket) == TICKET_KEYS
    assert list(ticket["files"]) == ["create", "modify", "read"]
    assert ticket["title"] is None
    assert ticket["files"]["modify"] == ["src/bookshelf/api.py", "src/bookshelf/store.py"]
    assert ticket["depends_on"] == ["#12", "octo/shelf#3"]
    assert ticket["test_command"] == "python -m pytest -q tests/test_books.py"


def test_tickets_parse_from_stdin_with_a_title(samples: Path) -> None:
    body = (samples / "full_ticket.md").read_text(encoding="utf-8")
    result = run("tickets", "parse", "--title", "Book by id", stdin=body)
    assert result.exit_code == 0, result.stderr
    ticket = json.loads(result.stdout)
    assert list(ticket) == TICKET_KEYS
    assert ticket["title"] == "Book by id"
    assert ticket["goal"].startswith("Add a `GET /books/{id}` endpoint")


def test_tickets_parse_reads_stdin_by_default_and_keeps_unicode() -> None:
    result = run("tickets", "parse", "-", stdin="### Goal\r\n\r\nÉcrire les tests ✓\r\n")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["goal"] == "Écrire les tests ✓"
    assert "Écrire les tests ✓" in result.stdout


def test_tickets_parse_prints_warnings_on_stderr_and_still_succeeds() -> None:
    result = run("tickets", "parse", stdin="### Goal\n\ng\n\n### Notes\n\nn\n")
    assert result.exit_code == 0
    assert result.stderr == (
        "<stdin>:5: warning: Notes: is not a field of the ticket form; its text was kept in "
        "Context\n"
    )
    assert json.loads(result.stdout)["context"] == "### Notes\n\nn"


@pytest.mark.parametrize(
    ("body", "field", "line"),
    [
        ("### Context\n\nc\n", "Goal", None),
        ("### Goal\n\n_No response_\n", "Goal", 1),
        ("### Goal\n\na\n\n### Goal\n\nb\n", "Goal", 5),
        ("### Goal\n\ng\n\n### Depends on\n\n#abc\n", "Depends on", 5),
        ("### Goal\n\ng\n\n### Depends on\n\nrepo#\n", "Depends on", 5),
        ("### Goal\n\ng\n\n### Files to create\n\n/etc/x\n", "Files to create", 5),
        ("### Goal\n\ng\n\n### Files to read\n\n../x\n", "Files to read", 5),
        ("### Goal\n\n" + "g" * MAX_BODY, "body", None),
    ],
    ids=[
        "no-goal",
        "goal-no-response",
        "section-twice",
        "dependency-hash-abc",
        "dependency-repo-hash",
        "absolute-path",
        "dotdot-path",
        "too-long",
    ],
)
def test_tickets_parse_bad_input_names_the_field_on_stderr(
    body: str, field: str, line: int | None
) -> None:
    result = run("tickets", "parse", stdin=body)
    assert result.exit_code == 1
    assert result.stdout == ""
    where = "<stdin>" if line is None else f"<stdin>:{line}"
    assert result.stderr.startswith(f"{where}: error: {field}: ")
    assert "Traceback" not in result.stderr


def test_tickets_parse_bad_file_names_the_file(samples: Path) -> None:
    path = samples / "bad_dependency.md"
    result = run("tickets", "parse", str(path))
    assert result.exit_code == 1
    assert result.stderr == (
        f"{path}:5: error: Depends on: '#abc' is not an issue reference; write #12, owner/repo#3 "
        "or an issue URL\n"
    )


def test_tickets_parse_missing_file_is_one_error_line(tmp_path: Path) -> None:
    result = run("tickets", "parse", str(tmp_path / "nope.md"))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: cannot read {tmp_path / 'nope.md'}")
    assert len(result.stderr.splitlines()) == 1


def test_tickets_parse_non_utf8_file_is_one_error_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.md"
    path.write_bytes("### Goal\n\ncaf\xe9\n".encode("latin-1"))
    result = run("tickets", "parse", str(path))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: cannot read {path}")
    assert "UTF-8" in result.stderr


# --- tickets lint -------------------------------------------------------------------------------


@pytest.fixture
def ticket_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "tickets"
    directory.mkdir()
    (directory / "good.yml").write_text(GOOD_CHAIN, encoding="utf-8")
    return directory


def test_tickets_lint_reports_file_line_field_and_exits_1(ticket_dir: Path, tmp_path: Path) -> None:
    (ticket_dir / "bad.yml").write_text(BAD_CHAIN, encoding="utf-8")
    issue = tmp_path / "issue.md"
    issue.write_text("### Goal\n\ng\n\n### Depends on\n\n#abc\n", encoding="utf-8")
    result = run("tickets", "lint", str(ticket_dir), str(issue))
    assert result.exit_code == 1
    bad = ticket_dir / "bad.yml"
    assert result.stderr.splitlines() == [
        f"{bad}:2: error: tickets[0].goal: is required",
        f"{bad}:4: error: tickets[0].gaol: unknown key; did you mean `goal`?",
        f"{issue}:5: error: Depends on: '#abc' is not an issue reference; write #12, "
        "owner/repo#3 or an issue URL",
    ]
    assert result.stdout == "3 file(s) checked: 3 error(s), 0 warning(s)\n"


def test_tickets_lint_good_files_only_exits_0(ticket_dir: Path, samples: Path) -> None:
    result = run("tickets", "lint", str(ticket_dir), str(samples / "full_ticket.md"))
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == "2 file(s) checked: 0 error(s), 0 warning(s)\n"


def test_tickets_lint_warnings_alone_exit_0(tmp_path: Path) -> None:
    issue = tmp_path / "issue.md"
    issue.write_text("### Goal\n\ng\n\n### Extra\n\nx\n", encoding="utf-8")
    result = run("tickets", "lint", str(issue))
    assert result.exit_code == 0
    assert result.stderr.startswith(f"{issue}:5: warning: Extra: ")
    assert result.stdout == "1 file(s) checked: 0 error(s), 1 warning(s)\n"


def test_tickets_lint_warns_of_what_parses_but_cannot_work_and_finds_a_chain_defined_twice(
    ticket_dir: Path,
) -> None:
    """A ticket that names no file can pass only by changing nothing: a warning. Two files of
    one chain: the error a run would stop on."""
    unscoped = ticket_dir / "unscoped.yml"
    unscoped.write_text("tickets:\n  - key: div\n    title: Div\n    goal: Add div().\n")
    twice = ticket_dir / "twice.yml"
    twice.write_text(GOOD_CHAIN, encoding="utf-8")  # `chain: books`, as good.yml says
    result = run("tickets", "lint", str(ticket_dir))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{unscoped}:2: warning: tickets[0].files: names no file to create or modify: any file "
        "the agent changes is then a major finding (scope.outside), and the ticket passes only "
        "if nothing changes",
        f"{twice}: error: chain: `books` is also defined by {ticket_dir / 'good.yml'}; a chain is "
        "one file (its name, or its `chain:`)",
    ]
    assert result.stdout == "3 file(s) checked: 1 error(s), 1 warning(s)\n"


def test_tickets_lint_warns_of_a_file_to_modify_that_is_not_there(
    ticket_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Most likely a mistyped path: the file the agent changes instead would be a major finding.
    One the chain creates first, one that is there, a pattern and a directory are all fine."""
    monkeypatch.chdir(ticket_dir.parent)
    (ticket_dir.parent / "calc.py").write_text("")
    chain = ticket_dir / "typo.yml"
    chain.write_text(
        "tickets:\n"
        "  - {key: a, title: A, goal: g, files: {create: [new.py]}}\n"
        "  - key: b\n    title: B\n    goal: g\n    files:\n"
        "      modify: [new.py, calc.py, 'src/**/*.py', docs/, calcs.py]\n",
        encoding="utf-8",
    )
    result = run("tickets", "lint", "tickets/typo.yml")
    assert result.exit_code == 0
    assert result.stderr == (
        "tickets/typo.yml:7: warning: tickets[1].files.modify[4]: `calcs.py` does not exist, and "
        "no ticket of the chain creates it; correct the path, or name it in files.create if the "
        "ticket makes it\n"
    )


def test_tickets_lint_defaults_to_the_tickets_directory(
    ticket_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ticket_dir.parent)
    (ticket_dir / "bad.yml").write_text("tickets: [\n", encoding="utf-8")
    result = run("tickets", "lint")
    assert result.exit_code == 1
    assert result.stderr.startswith("tickets/bad.yml:2: error: yaml: invalid YAML: ")


def test_tickets_lint_without_a_tickets_directory_is_one_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("tickets", "lint")
    assert result.exit_code == 1
    assert result.stderr == "error: tickets does not exist; pass chain files or issue bodies\n"


# --- config check -------------------------------------------------------------------------------


def test_config_check_ok(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_cli(tmp_path / "bin", "my-agent", "")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    path = tmp_path / "baton.yml"
    path.write_text("agent:\n  kind: command\n  command: my-agent {prompt_file}\n")
    result = run("config", "check", str(path))
    assert result.exit_code == 0
    assert (result.stdout, result.stderr) == (f"{path}: ok\n", "")


def test_config_check_absent_file_means_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    monkeypatch.setenv("PATH", str(tmp_path))  # no `claude` (the default agent) here
    path = tmp_path / ".github" / "baton.yml"
    result = run("config", "check", str(path))
    assert result.stdout == f"{path}: absent, every default applies\n"
    # The default agent is Claude Code, which is not here: a run would fail on it.
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{path}: error: agent.executable: the claude agent's ")


def test_config_check_and_tickets_lint_find_the_files_a_user_means(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From a folder inside the working copy, its .github/baton.yml and tickets/, as `run` finds
    them; a repository's directory means its file; a mistyped file is an error, not defaults."""
    app = tmp_path / "app"
    subprocess.run(["git", "init", "-q", "-b", "main", str(app)], check=True)
    (app / ".github").mkdir()
    (app / ".github" / "baton.yml").write_text("agent: {kind: command, command: my-agent}\n")
    (app / "tickets").mkdir()
    (app / "tickets" / "bad.yml").write_text(BAD_CHAIN, encoding="utf-8")
    (app / "src").mkdir()
    _fake_cli(tmp_path / "bin", "my-agent", "")
    git = Path(str(shutil.which("git"))).parent
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{git}")
    monkeypatch.chdir(app / "src")

    result = run("config", "check")
    assert (result.exit_code, result.stdout) == (0, "../.github/baton.yml: ok\n"), result.stderr
    for folder in (app, app / "src", app / ".github"):  # its working copy's file
        result = run("config", "check", str(folder))
        assert (result.exit_code, result.stdout) == (0, f"{app}/.github/baton.yml: ok\n")
    # The usual place, but of a folder that is no working copy's top: not there, not defaults.
    result = run("config", "check", ".github/baton.yml")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.startswith("error: .github/baton.yml does not exist; ")
    result = run("config", "check", str(app / "baton.yml"))
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: {app / 'baton.yml'} does not exist; pass the configuration file, or nothing for "
        "the repository's .github/baton.yml\n"
    )
    result = run("tickets", "lint")
    assert result.exit_code == 1
    assert result.stderr.startswith("../tickets/bad.yml:2: error: tickets[0].goal: is required\n")


def _fake_cli(directory: Path, name: str, says: str) -> None:
    """An executable that answers `--version` as the real CLI does."""
    directory.mkdir(exist_ok=True)
    exe = directory / name
    exe.write_text(f"#!/bin/sh\necho '{says}'\n", encoding="utf-8")
    exe.chmod(0o755)


@pytest.mark.parametrize(
    "case",  # (agent.kind, its executable, what `--version` says, what config check says)
    [
        (
            "claude",
            "claude",
            "2.1.197 (Claude Code)",
            "agent: claude 2.1.197: the version Baton's presets were tested with\n",
        ),
        (
            "codex",
            "codex",
            "codex-cli 0.172.0",
            "warning: agent: codex 0.172.0: Baton's presets were tested with 0.171.0; "
            "try one chain before relying on it\n",
        ),
        (
            "cursor-cli",
            "agent",
            "2025.11.25-a1b2c3d",
            "warning: agent: cursor-cli 2025.11.25-a1b2c3d: no version of it was tested with "
            "Baton\n",
        ),
    ],
    ids=["tested", "untested", "never-tested"],
)
def test_config_check_says_whether_the_cli_is_a_tested_version(
    case: tuple[str, str, str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kind, name, says, expected = case
    _fake_cli(tmp_path / "bin", name, says)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    path = tmp_path / "baton.yml"
    path.write_text(f"agent:\n  kind: {kind}\n", encoding="utf-8")

    result = run("config", "check", str(path))

    assert result.exit_code == 0  # the file is right; the CLI is the user's to install
    assert result.stdout.startswith(f"{path}: ok\n")
    assert (result.stdout + result.stderr).endswith(expected)


def test_config_check_fails_on_what_a_run_would_fail_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A missing agent CLI, an empty agent command or one that cannot start, a test command
    that cannot start, a base branch that is not there: each an error, and exit 1, before any
    agent call is spent."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(tmp_path)], check=True)
    _fake_cli(tmp_path / "bin", "gemini-elsewhere", "0.61.0")
    _fake_cli(tmp_path / "bin", "a", "")
    git = Path(str(shutil.which("git"))).parent
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{git}")
    (tmp_path / "run-tests.sh").write_text("#!/bin/sh\n")  # not executable
    path = tmp_path / "baton.yml"
    cases = {
        "agent:\n  kind: gemini\n": "agent.executable: the gemini agent's executable `gemini` "
        "is not installed or not on PATH; install it, or set agent.executable (agent.command for "
        "`command`) in .github/baton.yml",
        "agent:\n  kind: command\n": "agent.command: is empty: set the command that runs your "
        "agent on {prompt_file}",
        "agent: {kind: command, command: 'my-agent {prompt_file}'}\n": "agent.command: the "
        "command agent's executable `my-agent` is not installed or not on PATH; install it, or "
        "set agent.executable (agent.command for `command`) in .github/baton.yml",
        "agent: {kind: command, command: a, resume_command: 'b {session_id}'}\n": "agent.command: "
        "the command agent's executable `b` is not installed or not on PATH; install it, or set "
        "agent.executable (agent.command for `command`) in .github/baton.yml",
        "agent: {kind: command, command: a}\nvalidation: {test_command: no-such-runner}\n": (
            "validation.test_command: `no-such-runner` is not on PATH: it would fail every ticket "
            "(exit 127)"
        ),
        "agent: {kind: command, command: a}\nvalidation: {test_command: ./run-tests.sh}\n": (
            "validation.test_command: `./run-tests.sh` is not executable (chmod +x it, or run it "
            "through its interpreter): it would fail every ticket (exit 127)"
        ),
        "agent: {kind: command, command: a}\nbranches: {base: develop}\n": (
            f"branches.base: `develop` is not a branch or commit of {tmp_path}"
        ),
    }
    for text, expected in cases.items():
        path.write_text(text, encoding="utf-8")
        result = run("config", "check", str(path))
        assert (result.exit_code, result.stdout) == (1, ""), text
        assert result.stderr == f"{path}: error: {expected}\n", text


def test_a_file_only_check_leaves_this_machine_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the action's jobs that run no agent check the file: no CLI or test tool needed."""
    monkeypatch.setenv("PATH", str(tmp_path))  # no `claude`, no `pytest`
    path = tmp_path / "baton.yml"
    path.write_text("agent: {kind: claude}\nvalidation: {test_command: pytest -q}\n")
    assert run("config", "check", str(path)).exit_code == 1
    result = run("config", "check", "--file-only", str(path))
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{path}: ok\n", "")
    action = (Path(__file__).parents[2] / "action.yml").read_text()
    assert '"$baton" config check --file-only .github/baton.yml' in action


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("agent:\n  modle: x\n", "2: error: agent.modle: unknown key; did you mean `model`?"),
        ("validation:\n  max_corrections: lots\n", "2: error: validation.max_corrections: "),
        (
            "agent:\n  kind: claude-code\n",
            "2: error: agent.kind: `claude-code` is not one of claude, codex, cursor-cli, gemini, "
            "command, cursor; did you mean `claude`?",
        ),
        (
            "agent:\n  extra_args: --verbose\n",
            "2: error: agent.extra_args: must be a list: `[a, b]`, or one `- item` per line",
        ),
        ("agent: [\n", "2: error: yaml: invalid YAML: "),
    ],
    ids=["unknown-key", "wrong-type", "not-a-kind", "not-a-list", "invalid-yaml"],
)
def test_config_check_bad(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "baton.yml"
    path.write_text(text, encoding="utf-8")
    result = run("config", "check", str(path))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"{path}:{expected}")


# --- the installed entry point, as a real process ---------------------------------------------


def test_python_m_bot_parses_a_crlf_body_from_stdin() -> None:
    body = b"### Goal\r\n\r\nShip it\r\n\r\n### Depends on\r\n\r\n#1, #abc\r\n"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "tickets", "parse"],
        input=body,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout == b""
    assert done.stderr.decode() == (
        "<stdin>:5: error: Depends on: '#abc' is not an issue reference; write #12, "
        "owner/repo#3 or an issue URL\n"
    )
