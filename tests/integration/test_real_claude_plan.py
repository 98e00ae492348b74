"""`baton plan`'s draft with the real Claude Code (pinned in tests/agent_clis/), through Baton's
preset as a user configures it, against the scripted model endpoint: the CLI writes the chain
file in the scratch checkout with its own Write tool, the plan check refuses the first draft,
and the correction goes to the same session, which fixes it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from bot.config import Config
from bot.planning.draft import draft_plan
from bot.planning.plan_prompts import PlanRequest
from bot.prompts import Knowledge
from bot.redact import from_environment
from bot.workspace import Git
from tests.e2e.plan_support import GOAL, GOOD, MISSING
from tests.fakes.models import ModelEndpoint, Turn, say, write
from tests.real_cli import TEST_COMMAND, agent_for

PATH = "tickets/authors.yml"


@pytest.fixture
def kind() -> str:
    """The CLI under test, for the fixtures of tests/integration/conftest.py."""
    return "claude"


def test_the_real_cli_drafts_and_corrects_the_plan_in_one_session(
    cli: Path, workdir: Path, model: ModelEndpoint
) -> None:
    (workdir / "src").mkdir()
    (workdir / "src" / "books.py").write_text("BOOKS = []\n")
    subprocess.run(["git", "add", "-A"], cwd=workdir, check=True)
    subprocess.run(["git", "commit", "-qm", "base"], cwd=workdir, check=True)
    git = Git.open(workdir, os.environ)
    model.script.extend(
        Turn(write(PATH, MISSING)),
        Turn(say("Drafted the chain.")),
        Turn(write(PATH, GOOD)),
        Turn(say("Corrected files.modify.")),
    )
    request = PlanRequest(GOAL, "authors", PATH, "# Audit\n", Knowledge(), 10)
    config = Config.model_validate({"validation": {"test_command": TEST_COMMAND}})

    draft = draft_plan(
        agent_for(cli),
        request,
        git=git,
        base=git.head(),
        config=config,
        environ=os.environ,
        redact=from_environment(os.environ),
    )

    assert draft.ok, (draft.error, [p.render() for p in draft.problems])
    assert draft.text == GOOD
    assert draft.prompts == 2
    assert draft.discarded == []
    (refused,) = draft.corrected
    assert refused.field == "listing: files.modify[0]"
    assert model.script.remaining == 0
    # The correction went to the session that wrote the first draft, with its problem.
    correction = model.calls[2]
    assert any(t.startswith("# Baton · plan · chain authors") for t in correction.user_texts)
    assert correction.user_texts[-1].startswith("# Baton · correction · chain authors")
    assert "`src/library.py` does not exist at the base commit" in correction.user_texts[-1]
    # Only the plan was made: the working copy is as it was.
    assert not (workdir / "tickets").exists()
