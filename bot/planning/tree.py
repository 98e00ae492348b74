"""The files of one commit, read once with `git ls-tree`: what the audit counts and what the plan
check asks about (does a path exist at the base, is it executable, which files does a glob match),
whatever the working copy holds now."""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import WorkspaceError
from bot.globs import is_glob, matches
from bot.workspace import Git, decoded

_EXECUTABLE = "100755"
_SYMLINK = "120000"


@dataclass(frozen=True)
class TreeFile:
    mode: str  # git's: 100644, 100755 (executable), 120000 (a symbolic link)
    size: int


@dataclass(frozen=True)
class Tree:
    """The files (blobs; submodules left out) of `commit`, by repository-relative path."""

    commit: str
    files: dict[str, TreeFile]

    def has_file(self, path: str) -> bool:
        return _clean(path) in self.files

    def has_dir(self, path: str) -> bool:
        prefix = _clean(path).rstrip("/") + "/"
        return prefix != "/" and any(name.startswith(prefix) for name in self.files)

    def matching(self, pattern: str) -> list[str]:
        """The files `pattern` names: itself, everything below a directory, or a glob's matches."""
        return [name for name in self.files if matches(name, pattern)]

    def exists(self, pattern: str) -> bool:
        """A path names a file or directory here; a glob matches at least one file."""
        if is_glob(pattern):
            return bool(self.matching(pattern))
        return self.has_file(pattern) or self.has_dir(pattern)

    def is_executable(self, path: str) -> bool:
        entry = self.files.get(_clean(path))
        # A link's target decides; git keeps no mode for it, so it gets the benefit of the doubt.
        return entry is not None and entry.mode in (_EXECUTABLE, _SYMLINK)


def _clean(path: str) -> str:
    while path.startswith("./"):
        path = path[2:]
    return path.replace("/./", "/")


def read_tree(git: Git, commit: str) -> Tree:
    """The files of `commit` (a commit id, a branch, a tag) in the repository of `git`; the
    tree's `commit` is its full id."""
    resolved = git.call("rev-parse", "-q", "--verify", f"{commit}^{{commit}}")
    if resolved.returncode != 0:
        raise WorkspaceError(
            f"`{commit}` is not a commit of {git.root}",
            hint="name a commit or branch of this repository as the base",
        )
    commit = decoded(resolved.stdout).strip()
    proc = git.call("ls-tree", "-r", "-l", "-z", "--full-tree", commit)
    if proc.returncode != 0:
        detail = decoded(proc.stderr).strip().splitlines()
        raise WorkspaceError(
            f"cannot list the files of {commit}: {detail[-1] if detail else proc.returncode}"
        )
    files: dict[str, TreeFile] = {}
    for entry in proc.stdout.split(b"\0"):
        if not entry:
            continue
        # `<mode> <type> <object> <size>\t<path>`; the size is padded with blanks.
        meta, _, path = entry.partition(b"\t")
        mode, kind, _object, size = meta.split()
        if kind == b"blob":
            files[decoded(path)] = TreeFile(mode.decode(), int(size))
    return Tree(commit, files)
