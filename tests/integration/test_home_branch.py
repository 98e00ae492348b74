"""Where a local run starts new chains and where it leaves the user (`bot.home_branch`), on real
git repositories."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.config import BranchesConfig, Config
from bot.home_branch import returning, start_base
from bot.state import ChainState, StoreData
from bot.workspace import Git


@pytest.fixture
def git(tmp_path: Path) -> Git:
    git = Git(tmp_path, os.environ)
    git.run("init", "-q", "-b", "main")
    (tmp_path / "a.txt").write_text("a\n")
    git.commit_all("initial")
    git.run("branch", "baton/work")
    git.run("switch", "-q", "-c", "feature")
    return git


def _fail_on(git: Git, branch: str) -> None:
    with returning(git, git.status()):
        git.switch(branch)
        raise RuntimeError("the run failed")


def test_an_error_in_the_run_still_ends_on_the_users_branch(git: Git) -> None:
    with pytest.raises(RuntimeError):
        _fail_on(git, "baton/work")
    assert git.branch() == "feature"


def test_uncommitted_work_keeps_the_user_where_it_is(git: Git) -> None:
    with returning(git, git.status()):
        git.switch("baton/work")
        (git.root / "a.txt").write_text("half done\n")
    assert git.branch() == "baton/work", "leaving would lose the change"
    assert (git.root / "a.txt").read_text() == "half done\n"


def test_a_detached_head_is_returned_to(git: Git) -> None:
    head = git.head()
    git.run("switch", "-q", "--detach")
    with returning(git, git.status()):
        git.switch("baton/work")
    assert git.branch() is None
    assert git.head() == head


def test_new_chains_start_from_the_users_branch_or_the_configured_base(git: Git) -> None:
    earlier = ChainState(name="work", branch="baton/work", base_branch="main")
    data = StoreData(chains={"work": earlier})
    assert start_base(git.branch(), Config(), data) == "feature"
    configured = Config(branches=BranchesConfig(base="release"))
    assert start_base(git.branch(), configured, data) == "release"
    git.switch("baton/work")  # the user looks at a chain's work: new chains start from its base
    assert start_base(git.branch(), Config(), data) == "main"
    git.run("switch", "-q", "--detach")
    assert start_base(git.branch(), Config(), StoreData()) is None
