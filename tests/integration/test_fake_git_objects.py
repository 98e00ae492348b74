"""The fake GitHub writes and reads git objects itself (no git process per API call); what it
writes must be byte for byte what git writes, and what it reads what git reads."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.fakes._github.gitrepo import BareRepo, GitError, Signature, TreeEntry

WHEN = Signature("Octo Cat", "octocat@example.invalid", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
FILES: dict[str, str | bytes] = {
    "README.md": "# widgets\n",
    "a.txt": "a\n",
    "a-b.txt": "dash sorts before slash\n",
    "a/inner.txt": "inside a\n",
    "a/deeper/x.bin": b"\x00\x01binary\xff",
    "docs/guide.md": "",
    "Zed.txt": "capitals sort first\n",
}


@pytest.fixture
def repo(tmp_path: Path) -> BareRepo:
    made = BareRepo.create(
        tmp_path / "r.git", FILES, branch="main", message="Initial\n", author=WHEN
    )
    yield made
    made.close()


def git(repo: BareRepo, *args: str, stdin: bytes | None = None) -> str:
    result = subprocess.run(
        ["git", f"--git-dir={repo.path}", *args], input=stdin, capture_output=True, check=True
    )
    return result.stdout.decode().strip()


def test_blobs_trees_and_commits_are_the_objects_git_writes(repo: BareRepo) -> None:
    head = repo.resolve("main")
    assert head is not None
    assert git(repo, "fsck", "--strict", "--no-dangling") == ""
    commit = repo.read_commit(head)
    # Git itself, given the same files, reaches the same tree.
    listing = git(repo, "ls-tree", "-r", "-z", head).split("\0")
    assert sorted(line.split("\t")[1] for line in listing if line) == sorted(FILES)
    for data in (b"", b"x", b"\x00" * 3, "ünïcode\n".encode()):
        assert repo.write_blob(data) == git(repo, "hash-object", "-w", "--stdin", stdin=data)
    top = repo.ls_tree(commit.tree)
    mktree = "".join(f"{e.mode} {e.type} {e.sha}\t{e.path}\0" for e in reversed(top))
    assert git(repo, "mktree", "-z", stdin=mktree.encode()) == commit.tree
    for message in ("one line", "two\n\nparagraphs\n", "ünïcode ✓\n", ""):
        for parents in ([], [head], [head, head]):
            env = {
                f"GIT_{who}_{key}": value
                for who in ("AUTHOR", "COMMITTER")
                for key, value in (("NAME", WHEN.name), ("EMAIL", WHEN.email))
            }
            env |= {"GIT_AUTHOR_DATE": "1767323045 +0000", "GIT_COMMITTER_DATE": "1767323045 +0000"}
            expected = (
                subprocess.run(
                    ["git", f"--git-dir={repo.path}", "commit-tree", commit.tree]
                    + [arg for p in parents for arg in ("-p", p)],
                    input=message.encode(),
                    capture_output=True,
                    check=True,
                    env={"PATH": "/usr/bin:/bin", **env},
                )
                .stdout.decode()
                .strip()
            )
            ours = repo.commit_tree(commit.tree, parents, message, author=WHEN, committer=WHEN)
            assert ours == expected, (message, parents)


def test_an_identity_git_would_tidy_is_written_by_git(repo: BareRepo) -> None:
    odd = Signature(" .Spaced, ", "<odd@example.invalid>", WHEN.date)
    tree = repo.read_commit(repo.resolve("main") or "").tree
    sha = repo.commit_tree(tree, [], "odd\n", author=odd, committer=odd)
    assert repo.read_commit(sha).author.name == "Spaced"


def test_reading_agrees_with_git(repo: BareRepo) -> None:
    head = repo.resolve("main")
    assert head == git(repo, "rev-parse", "refs/heads/main")
    assert repo.ref("refs/heads/main") == head
    assert repo.ref("refs/heads/nope") is None
    assert repo.resolve("nope") is None
    assert repo.resolve("main~0") == head
    for recursive in (False, True):
        args = ["ls-tree", "-l", "-z", *(["-r", "-t"] if recursive else []), head]
        expected = []
        for record in git(repo, *args).split("\0"):
            if record:
                meta, _, name = record.partition("\t")
                mode, kind, sha, size = meta.split()
                expected.append(
                    TreeEntry(mode, kind, sha, name, None if size == "-" else int(size))
                )
        assert repo.ls_tree(head, recursive=recursive) == expected
    for path in ("a", "a/inner.txt", "a/deeper/x.bin", "docs/guide.md"):
        entry = repo.entry_at(head, path)
        assert entry is not None
        mode, kind, sha = git(repo, "ls-tree", head, "--", path).split("\t")[0].split()
        assert (entry.mode, entry.type, entry.sha, entry.path) == (mode, kind, sha, path)
    assert repo.entry_at(head, "a.txt/inner.txt") is None
    assert repo.entry_at(head, "missing") is None
    assert repo.read_blob(repo.write_blob(b"\x00\x01\n")) == b"\x00\x01\n"
    assert repo.object_type(head) == "commit"
    assert repo.object_type("0" * 40) is None
    with pytest.raises(GitError):
        repo.read_blob(head)


def test_objects_and_refs_git_writes_meanwhile_are_seen(repo: BareRepo, tmp_path: Path) -> None:
    head = repo.resolve("main")
    assert head is not None
    blob = git(repo, "hash-object", "-w", "--stdin", stdin=b"pushed\n")
    assert repo.object_type(blob) == "blob"
    git(repo, "update-ref", "refs/heads/side", head)
    assert repo.ref("refs/heads/side") == head
    git(repo, "pack-refs", "--all")
    git(repo, "update-ref", "-d", "refs/heads/side")
    assert repo.ref("refs/heads/side") is None
    assert repo.resolve("main") == head


def test_a_tree_git_would_refuse_is_refused(repo: BareRepo) -> None:
    blob = repo.write_blob(b"x")
    with pytest.raises(GitError):
        repo.make_tree([TreeEntry("040000", "tree", blob, "dir")])
    with pytest.raises(GitError):
        repo.make_tree([TreeEntry("100644", "blob", "1" * 40, "gone")])
