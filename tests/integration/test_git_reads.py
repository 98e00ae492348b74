"""What Baton's git reads in one call each, against real git: the working copy's status (HEAD and
the uncommitted paths), files at a commit, everything staged by one listing, and a change's paths."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from bot.validation.diff import read_change
from bot.workspace import Git, Status


@pytest.fixture
def git(tmp_path: Path) -> Git:
    repo = Git(tmp_path / "repo", os.environ)
    repo.root.mkdir()
    repo.run("init", "-q", "-b", "main")
    (repo.root / "keep.txt").write_text("keep\n")
    (repo.root / "gone.txt").write_text("gone\n")
    (repo.root / "old name.txt").write_text("moved\n")
    (repo.root / "docs").mkdir()
    (repo.root / "docs" / "a.md").write_text("a\n")
    repo.commit_all("first")
    return repo


def plain(git: Git, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=git.root, capture_output=True, text=True, check=True
    ).stdout


def test_status_gives_head_and_every_uncommitted_path_but_batons_state(git: Git) -> None:
    assert git.status() == Status(git.head(), "main", [])
    (git.root / "keep.txt").write_text("changed\n")
    (git.root / "gone.txt").unlink()
    (git.root / "new file.txt").write_text("new\n")
    plain(git, "mv", "old name.txt", "new name.txt")
    (git.root / ".baton").mkdir()
    (git.root / ".baton" / "state.json").write_text("{}")

    status = git.status()
    assert (status.head, status.branch) == (git.head(), "main")
    assert sorted(status.dirty) == ["gone.txt", "keep.txt", "new file.txt", "new name.txt"]
    assert git.dirty_files() == status.dirty
    plain(git, "checkout", "-q", "--detach")
    assert git.status().branch is None


def test_status_before_the_first_commit_has_no_head(tmp_path: Path) -> None:
    git = Git(tmp_path, os.environ)
    git.run("init", "-q", "-b", "work")
    (tmp_path / "a.txt").write_text("a\n")
    assert git.status() == Status(None, "work", ["a.txt"])


def test_files_at_a_commit_read_together(git: Git) -> None:
    first = git.head()
    (git.root / "keep.txt").write_text("later\r\n")
    (git.root / "odd\nname.txt").write_text("odd\n")
    second = git.commit_all("second")

    found = git.files_at(first, ["keep.txt", "missing.txt", "docs", "keep.txt"])
    assert found == {"keep.txt": b"keep\n", "missing.txt": None, "docs": None}
    assert git.files_at(second, ["keep.txt", "odd\nname.txt"]) == {
        "keep.txt": b"later\r\n",
        "odd\nname.txt": b"odd\n",
    }
    assert git.files_at("main", ["keep.txt"]) == {"keep.txt": b"later\r\n"}
    assert git.files_at(first, ["keep.txt"]) == {"keep.txt": b"keep\n"}  # read again
    assert git.files_at(first, []) == {}


def test_commit_all_stages_changes_deletions_and_new_files_once_listed(git: Git) -> None:
    (git.root / "keep.txt").write_text("changed\n")
    (git.root / "gone.txt").unlink()
    (git.root / "docs" / "b.md").write_text("b\n")
    (git.root / ".baton").mkdir()
    (git.root / ".baton" / "state.json").write_text("{}")
    os.utime(git.root / "docs" / "a.md", (0, 0))  # touched, unchanged

    head = git.commit_all("second")
    listed = plain(git, "ls-tree", "-r", "--name-only", head).split("\n")
    assert sorted(p for p in listed if p) == [
        "docs/a.md",
        "docs/b.md",
        "keep.txt",
        "old name.txt",
    ]
    assert plain(git, "show", f"{head}:keep.txt") == "changed\n"
    assert git.status().dirty == []
    assert git.commit_all("nothing") == head


def test_a_changes_paths_are_what_git_diff_without_renames_lists(git: Git) -> None:
    base = git.head()
    plain(git, "mv", "old name.txt", "docs/new name.txt")
    (git.root / "keep.txt").write_text("changed\n")
    (git.root / "gone.txt").unlink()
    (git.root / "docs" / "c.md").write_text("c\n")
    head = git.commit_all("second")
    listed = plain(git, "diff", "--name-only", "--no-renames", f"{base}..{head}").splitlines()
    assert read_change(git, base, head).paths == listed


def test_batons_files_committed_by_mistake_stay_as_they_are(git: Git) -> None:
    """A repository whose `.baton/` was committed (`git add -A` before it ignored itself): the
    agent's commits neither change nor delete it, and a reset to a checkpoint keeps the live
    state, while the project's files go back exactly."""
    (git.root / ".baton").mkdir()
    (git.root / ".baton" / "state.json").write_text("committed\n")
    (git.root / ".baton" / "run.lock").write_text("")
    plain(git, "add", "-A")
    plain(git, "-c", "user.name=u", "-c", "user.email=u@e", "commit", "-q", "-m", "by mistake")
    checkpoint = git.head()
    (git.root / ".baton" / "state.json").write_text("live\n")
    (git.root / ".baton" / "run.lock").unlink()
    (git.root / "keep.txt").write_text("the agent's\n")
    (git.root / "new.txt").write_text("new\n")

    head = git.commit_all("the agent's change")
    assert plain(git, "diff", "--name-only", checkpoint, head).split() == ["keep.txt", "new.txt"]
    (git.root / "docs" / "a.md").write_text("half done\n")
    (git.root / "loose.txt").write_text("untracked\n")

    git.reset_to(checkpoint)
    assert git.head() == checkpoint
    assert git.status().dirty == []
    assert (git.root / "keep.txt").read_text() == "keep\n"
    assert (git.root / "docs" / "a.md").read_text() == "a\n"
    assert not (git.root / "new.txt").exists()
    assert not (git.root / "loose.txt").exists()
    assert (git.root / ".baton" / "state.json").read_text() == "live\n"


def test_what_the_agent_staged_in_batons_state_itself_is_never_committed(git: Git) -> None:
    """The agent ran `git mv` out of a `.baton/` committed by mistake, or `git add -f .baton/…`:
    its commit holds its own files only, and `.baton/` stays as HEAD has it."""
    (git.root / ".baton").mkdir()
    (git.root / ".baton" / "state.json").write_text("committed\n")
    plain(git, "add", "-f", ".baton/state.json")
    plain(git, "-c", "user.name=u", "-c", "user.email=u@e", "commit", "-q", "-m", "by mistake")
    checkpoint = git.head()
    plain(git, "mv", ".baton/state.json", "state.json")  # staged as a rename

    head = git.commit_all("the agent's change")
    assert plain(git, "diff", "--no-renames", "--name-only", checkpoint, head).split() == [
        "state.json"
    ]
    assert plain(git, "diff", "--cached", "--name-only", head) == ""
    (git.root / ".baton" / "notes.json").write_text("the agent's\n")
    plain(git, "add", "-f", ".baton/notes.json")
    assert git.commit_all("nothing more") == head  # `.baton/` alone staged: no commit at all
    assert plain(git, "diff", "--cached", "--name-only", head) == ""
