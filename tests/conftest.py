"""Shared fixtures: real git repositories in temporary directories, and the shared data folder."""

from __future__ import annotations

import gc
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from tests import git_environment
from tests.reliability import tally as reliability

# A busy machine makes data generation slow now and then: that is no finding. CI runs derandomized,
# so a failure there replays exactly.
settings.register_profile("baton", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "ci", parent=settings.get_profile("baton"), derandomize=True, print_blob=True
)
settings.load_profile("ci" if os.environ.get("CI") else "baton")

SHARED = Path(__file__).resolve().parents[2] / "shared"

# The modules that take longest on `./dev check`'s workers, longest first. xdist hands whole
# modules to its workers in the order collected (`--dist loadfile --no-loadscope-reorder`):
# these start first, and every worker ends the run on short ones. The others keep their order.
LONGEST_FIRST = (
    "tests/actions/test_one_job.py",
    "tests/reliability/test_faults.py",
    "tests/e2e/test_crash_safety.py",
    "tests/e2e/test_one_job_per_chain.py",
    "tests/e2e/test_real_codex_and_gemini_chains.py",
    "tests/e2e/test_demo.py",
    "tests/integration/test_cli_agents.py",
    "tests/e2e/test_evidence_projects.py",
    "tests/e2e/test_cursor_chain.py",
    "tests/integration/test_real_gemini.py",
    "tests/integration/test_cursor_agent.py",
    "tests/reliability/test_crashes_github.py",
    "tests/integration/test_git_planted.py",
    "tests/reliability/test_trust.py",
    "tests/e2e/test_github_more.py",
    "tests/reliability/test_bad_inputs.py",
    "tests/e2e/test_sandboxed_run.py",
    "tests/unit/test_chain_properties.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {module: place for place, module in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.partition("::")[0], len(rank)))


def pytest_collection_finish() -> None:
    # What collection made (the modules, their fixtures and items) lives for the whole run:
    # frozen, the collector's full passes no longer walk it (a worker holds ~100 MB).
    gc.freeze()


@pytest.fixture(autouse=True)
def _git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never depend on the machine's git configuration."""
    for key, value in git_environment.ENVIRONMENT.items():
        monkeypatch.setenv(key, value)


# Nothing of a developer's or a runner's environment may reach a real service from a test.
_OUTSIDE = (
    "GITHUB_REPOSITORY",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "GITHUB_API_URL",
    "GITHUB_EVENT_NAME",
    "GITHUB_EVENT_PATH",
    "GITHUB_STEP_SUMMARY",
    "GITHUB_OUTPUT",
    "GITHUB_ACTIONS",
    "CURSOR_API_KEY",
    "SLACK_BOT_TOKEN",
    "SLACK_WEBHOOK_URL",
    "ANTHROPIC_API_KEY",
    "OPENAI_API_KEY",
)


@pytest.fixture(autouse=True)
def _no_outside_services(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key in _OUTSIDE or key.startswith("BATON_"):
            monkeypatch.delenv(key)


@pytest.fixture
def shared_dir() -> Path:
    """`../shared` beside the repository: skip without it, but never in CI."""
    if not SHARED.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{SHARED} is missing, and CI must have it")
        pytest.skip(
            f"these tests need the shared data folder at {SHARED} (`../shared`, beside this "
            "checkout): GitHub's REST description (github/rest-api-subset.json, from npm "
            "@octokit/openapi) and webhook example payloads (github/webhooks/<event>/"
            "<action>.payload.json); put it there to run them"
        )
    return SHARED


@pytest.fixture
def disk_tmp_path(tmp_path: Path) -> Iterator[Path]:
    """`tmp_path`, unless it is in /dev/shm (./dev check keeps the tests' files in memory): then a
    directory on disk (in TESTS_DISK_TMPDIR), for what a program's own bubblewrap sandbox must
    see, since that sandbox has a /dev of its own (Codex runs its sandbox's helper from
    CODEX_HOME)."""
    if not tmp_path.resolve().is_relative_to("/dev"):
        yield tmp_path
        return
    disk = os.environ.get("TESTS_DISK_TMPDIR")
    if not disk:
        pytest.fail("the tests' temp dir is in /dev: name one on disk in TESTS_DISK_TMPDIR")
    with tempfile.TemporaryDirectory(prefix="baton-test-", dir=disk) as place:
        yield Path(place)


@pytest.fixture
def tally() -> reliability.Tally:
    """What a reliability test did, for the tally printed at the end of the run."""
    return reliability.Tally()


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # a worker of pytest-xdist: its counts go to the main process
        workeroutput["reliability_tally"] = dict(reliability.COUNTS)


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook, when the suite runs in parallel
def pytest_testnodedown(node: Any, error: object) -> None:
    reliability.merge(getattr(node, "workeroutput", {}).get("reliability_tally", {}))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = reliability.lines()
    if lines:
        terminalreporter.section("reliability tally")
        for line in lines:
            terminalreporter.write_line(line)
