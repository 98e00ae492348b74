"""The fake GitHub's repository: a real bare git repository, read and written with git plumbing.

Every SHA the fake hands out is a real object in this repository, so a test can `git clone` it,
push a branch to it, and see the API and git agree.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar, cast

from tests import git_environment

from .gitobjects import MODE_TYPES, ObjectError, ObjectStore

_T = TypeVar("_T")
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
ZERO_SHA = "0" * 40
_SHA = re.compile(r"[0-9a-f]{40}")


class GitError(Exception):
    """A git command failed; the message carries git's own words."""


@dataclass(frozen=True)
class Signature:
    name: str
    email: str
    date: datetime


@dataclass(frozen=True)
class TreeEntry:
    """One entry of a tree: `path` is the name, or the full path in a recursive listing."""

    mode: str
    type: str  # blob | tree | commit
    sha: str
    path: str
    size: int | None = None


@dataclass(frozen=True)
class Commit:
    sha: str
    tree: str
    parents: tuple[str, ...]
    author: Signature
    committer: Signature
    message: str


@dataclass(frozen=True)
class FileDiff:
    """One file of a diff, in the terms GitHub's compare API uses."""

    filename: str
    status: str  # added | removed | modified
    additions: int
    deletions: int
    sha: str | None
    patch: str | None  # None for binary files


def is_sha(text: str) -> bool:
    return bool(_SHA.fullmatch(text))


def _git_environment() -> dict[str, str]:
    """The machine's environment without anything that would point git somewhere else."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update(
        {
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": str(git_environment.CONFIG),
            "LC_ALL": "C",
        }
    )
    return env


def _signature_env(prefix: str, who: Signature) -> dict[str, str]:
    return {
        f"GIT_{prefix}_NAME": who.name,
        f"GIT_{prefix}_EMAIL": who.email,
        f"GIT_{prefix}_DATE": f"{int(who.date.timestamp())} +0000",
    }


def _ident(who: Signature) -> str:
    return f"{who.name} <{who.email}> {int(who.date.timestamp())} +0000"


def _tree_entries(body: bytes) -> Iterable[tuple[str, str, str]]:
    """(mode as ls-tree prints it, sha, name) of each entry of a raw tree object."""
    at = 0
    while at < len(body):
        space = body.index(b" ", at)
        nul = body.index(b"\0", space)
        mode = body[at:space].decode().rjust(6, "0")
        yield mode, body[nul + 1 : nul + 21].hex(), body[space + 1 : nul].decode()
        at = nul + 21


def _parse_signature(text: str) -> Signature:
    match = re.fullmatch(r"(.*) <(.*)> (\d+) ([+-]\d{4})", text)
    if not match:
        raise GitError(f"unreadable signature: {text!r}")
    name, email, seconds, _zone = match.groups()
    return Signature(name, email, datetime.fromtimestamp(int(seconds), UTC))


class BareRepo:
    """A bare repository on disk: objects through `ObjectStore`, refs and diffs through git."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._env = _git_environment()
        self.objects = ObjectStore(path, self._env)
        self._commits: dict[str, Commit] = {}
        self._between_commits: dict[tuple[str, str, str], object] = {}

    def close(self) -> None:
        self.objects.close()

    @classmethod
    def create(
        cls,
        path: Path,
        files: Mapping[str, str | bytes],
        *,
        branch: str,
        message: str,
        author: Signature,
    ) -> BareRepo:
        """A new bare repository whose `branch` holds one commit with `files` (path -> text)."""
        path.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["git", "init", "--quiet", "--bare", f"--initial-branch={branch}", str(path)],
            env=_git_environment(),
            check=True,
            capture_output=True,
        )
        repo = cls(path)
        edits: dict[str, TreeEntry | None] = {}
        for name, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            edits[name] = TreeEntry("100644", "blob", repo.write_blob(data), name)
        tree = repo.edit_tree(None, edits)
        commit = repo.commit_tree(tree, [], message, author=author, committer=author)
        repo.update_ref(f"refs/heads/{branch}", commit, None)
        return repo

    # ---- running git ----------------------------------------------------------------------------

    def git(
        self, *args: str, stdin: bytes | None = None, env: Mapping[str, str] | None = None
    ) -> bytes:
        result = subprocess.run(
            ["git", f"--git-dir={self.path}", *args],
            input=stdin,
            env={**self._env, **(env or {})},
            capture_output=True,
            check=False,
        )
        if result.returncode != 0:
            raise GitError(
                result.stderr.decode(errors="replace").strip() or f"git {args[0]} failed"
            )
        return result.stdout

    def _text(self, *args: str, stdin: bytes | None = None) -> str:
        return self.git(*args, stdin=stdin).decode().strip()

    # ---- objects --------------------------------------------------------------------------------

    def object_type(self, sha: str) -> str | None:
        """`blob`, `tree`, `commit` or `tag` for an existing full SHA, else None."""
        return self.objects.kind(sha) if is_sha(sha) else None

    def write_blob(self, data: bytes) -> str:
        return self.objects.write("blob", data)

    def read_blob(self, sha: str) -> bytes:
        found = self.objects.read(sha)
        if found is None or found[1] != "blob":
            raise GitError(f"{sha} is not a blob")
        return found[2]

    def ls_tree(self, tree: str, *, recursive: bool = False) -> list[TreeEntry]:
        """The entries of a tree (or a commit's tree) in git's order; with `recursive`, every
        entry below it too, each tree before its contents, as `git ls-tree -r -t` lists them."""
        found = self.objects.read(f"{tree}^{{tree}}")
        if found is None:
            raise GitError(f"not a tree object: {tree}")
        entries = []
        for mode, sha, name in _tree_entries(found[2]):
            kind = MODE_TYPES.get(mode, "blob")
            size = self._blob_size(sha) if kind == "blob" else None
            entries.append(TreeEntry(mode, kind, sha, name, size))
            if recursive and kind == "tree":
                below = self.ls_tree(sha, recursive=True)
                entries += [replace(e, path=f"{name}/{e.path}") for e in below]
        return entries

    def _blob_size(self, sha: str) -> int:
        found = self.objects.info(sha)
        if found is None:
            raise GitError(f"object {sha} is missing")
        return found[2]

    def make_tree(self, entries: Iterable[TreeEntry]) -> str:
        rows = []
        for e in entries:
            if e.type != "commit" and self.object_type(e.sha) != e.type:
                raise GitError(f"entry '{e.path}' object {e.sha} is unavailable")
            rows.append((e.mode, e.type, e.sha, e.path))
        try:
            return self.objects.write_tree(rows)
        except ObjectError as error:
            raise GitError(str(error)) from None

    def edit_tree(self, base: str | None, edits: Mapping[str, TreeEntry | None]) -> str:
        """A new tree: `base` (or an empty tree) with each path set to an entry, or removed (None).

        Paths may be nested (`a/b/c.txt`); missing directories are made and directories left
        empty disappear, as in git.
        """
        current = {e.path: e for e in self.ls_tree(base)} if base else {}
        here: dict[str, TreeEntry | None] = {}
        below: dict[str, dict[str, TreeEntry | None]] = {}
        for path, entry in edits.items():
            head, _, rest = path.strip("/").partition("/")
            if rest:
                below.setdefault(head, {})[rest] = entry
            else:
                here[head] = entry
        for name, entry in here.items():
            if entry is None:
                current.pop(name, None)
            else:
                current[name] = TreeEntry(entry.mode, entry.type, entry.sha, name)
        for name, sub_edits in below.items():
            existing = current.get(name)
            sub_base = existing.sha if existing is not None and existing.type == "tree" else None
            sub_tree = self.edit_tree(sub_base, sub_edits)
            if sub_tree == EMPTY_TREE:
                current.pop(name, None)
            else:
                current[name] = TreeEntry("040000", "tree", sub_tree, name)
        return self.make_tree(current.values())

    def commit_tree(
        self,
        tree: str,
        parents: Iterable[str],
        message: str,
        *,
        author: Signature,
        committer: Signature,
    ) -> str:
        parents = list(parents)
        idents = {"author": _ident(author), "committer": _ident(committer)}
        body = ObjectStore.commit_body(tree, parents, idents, message)
        if body is not None:
            return self.objects.write("commit", body)
        # An identity git would tidy first: let git write it.
        parent_args = [arg for parent in parents for arg in ("-p", parent)]
        env = {**_signature_env("AUTHOR", author), **_signature_env("COMMITTER", committer)}
        out = self.git("commit-tree", tree, *parent_args, stdin=message.encode(), env=env)
        return out.decode().strip()

    def read_commit(self, sha: str) -> Commit:
        if sha in self._commits:
            return self._commits[sha]
        found = self.objects.read(f"{sha}^{{commit}}")
        if found is None:
            raise GitError(f"{sha} is not a commit")
        header, _, message = found[2].decode().partition("\n\n")
        fields: dict[str, list[str]] = {}
        for line in header.splitlines():
            key, _, value = line.partition(" ")
            fields.setdefault(key, []).append(value)
        commit = Commit(
            sha=sha,
            tree=fields["tree"][0],
            parents=tuple(fields.get("parent", [])),
            author=_parse_signature(fields["author"][0]),
            committer=_parse_signature(fields["committer"][0]),
            message=message,
        )
        if sha == found[0]:
            self._commits[sha] = commit  # a commit never changes; a name may
        return commit

    def entry_at(self, commit: str, path: str) -> TreeEntry | None:
        """The tree entry at `path` in `commit`, or None. The root is a tree entry with path ''."""
        path = path.strip("/")
        entry = TreeEntry("040000", "tree", self.read_commit(commit).tree, "")
        if not path:
            return entry
        for name in path.split("/"):
            found = None
            if entry.type == "tree":
                found = next((e for e in self.ls_tree(entry.sha) if e.path == name), None)
            if found is None:
                return None
            entry = found
        return replace(entry, path=path)

    # ---- refs -----------------------------------------------------------------------------------

    def resolve(self, rev: str) -> str | None:
        """The commit SHA a branch, tag, full ref or SHA names, or None."""
        if not rev or rev.startswith("-") or ".." in rev:
            return None
        for candidate in (rev, f"refs/heads/{rev}", f"refs/tags/{rev}"):
            found = self.objects.info(f"{candidate}^{{commit}}")
            if found is not None:
                return found[0]
        return None

    def ref(self, name: str) -> str | None:
        """The object a full ref (`refs/heads/main`) points at, or None."""
        if not name.startswith("refs/") or ".." in name:
            return None
        found = self.objects.info(name)
        return found[0] if found is not None else None

    def refs(self, prefix: str = "refs/") -> list[tuple[str, str, str]]:
        """(ref, sha, object type) for every ref under `prefix`, sorted by name."""
        out = self._text(
            "for-each-ref", "--format=%(refname) %(objectname) %(objecttype)", "--sort=refname"
        )
        rows = [tuple(line.split(" ")) for line in out.splitlines() if line]
        return [(ref, sha, kind) for ref, sha, kind in rows if ref.startswith(prefix)]

    def valid_ref_name(self, name: str) -> bool:
        try:
            self.git("check-ref-format", name)
        except GitError:
            return False
        return True

    def update_ref(self, name: str, new: str, old: str | None) -> None:
        """Point `name` at `new` if it still points at `old` (None: only if it does not exist)."""
        self.git("update-ref", name, new, old or ZERO_SHA)

    def delete_ref(self, name: str, old: str) -> None:
        self.git("update-ref", "-d", name, old)

    def _between(self, question: str, a: str, b: str, answer: Callable[[], _T]) -> _T:
        """What two commits named by their ids tell: the same for as long as they exist."""
        if not (is_sha(a) and is_sha(b)):
            return answer()
        key = (question, a, b)
        if key not in self._between_commits:
            self._between_commits[key] = answer()
        return cast(_T, self._between_commits[key])

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        def answer() -> bool:
            try:
                self.git("merge-base", "--is-ancestor", ancestor, descendant)
            except GitError:
                return False
            return True

        return self._between("is-ancestor", ancestor, descendant, answer)

    def merge_base(self, a: str, b: str) -> str | None:
        def answer() -> str | None:
            try:
                return self._text("merge-base", a, b) or None
            except GitError:
                return None

        return self._between("merge-base", a, b, answer)

    def commits_between(self, base: str, head: str) -> list[str]:
        """Commits reachable from `head` but not from `base`, oldest first."""
        return list(
            self._between(
                "rev-list",
                base,
                head,
                lambda: tuple(self._text("rev-list", "--reverse", head, f"^{base}").split()),
            )
        )

    # ---- diffs ----------------------------------------------------------------------------------

    def diff(self, base: str, head: str) -> list[FileDiff]:
        """What changed from `base` to `head`, file by file, with unified patches."""
        return list(self._between("diff", base, head, lambda: tuple(self._diff(base, head))))

    def _diff(self, base: str, head: str) -> list[FileDiff]:
        raw = self.git("diff-tree", "-r", "--no-renames", "--raw", "-z", base, head).split(b"\0")
        numstat = self.git("diff-tree", "-r", "--no-renames", "--numstat", "-z", base, head)
        counts: dict[str, tuple[int, int] | None] = {}
        for record in numstat.split(b"\0"):
            added, _, rest = record.decode().partition("\t")
            deleted, _, name = rest.partition("\t")
            if name:
                counts[name] = None if added == "-" else (int(added), int(deleted))
        files = []
        for meta, path in zip(raw[0::2], raw[1::2], strict=False):
            if not meta:
                continue
            _old_mode, _new_mode, old_sha, new_sha, letter = meta.decode().lstrip(":").split()
            filename = path.decode()
            status = {"A": "added", "D": "removed"}.get(letter, "modified")
            numbers = counts.get(filename)
            patch = self._patch(base, head, filename) if numbers is not None else None
            files.append(
                FileDiff(
                    filename=filename,
                    status=status,
                    additions=numbers[0] if numbers else 0,
                    deletions=numbers[1] if numbers else 0,
                    sha=old_sha if status == "removed" else new_sha,
                    patch=patch,
                )
            )
        return files

    def _patch(self, base: str, head: str, filename: str) -> str:
        text = self.git("diff", "--no-renames", "--no-color", base, head, "--", filename).decode(
            errors="replace"
        )
        start = text.find("\n@@")
        return text[start + 1 :].rstrip("\n") if start >= 0 else ""
