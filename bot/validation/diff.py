"""What changed between two commits, read with real git: each file's status, its added lines (with
their numbers in the new file) and how many lines it lost.

The patch comes from `git diff --unified=0 -M`, so every `+` line is an added or changed line and
nothing else; paths are read from the patch headers, unquoted as git quotes them. Content is decoded
as UTF-8 with replacement characters, so a file in another encoding never stops a review.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from bot.errors import WorkspaceError
from bot.state_dir import STATE_DIR
from bot.workspace import Git

Status = Literal["added", "modified", "deleted", "renamed"]

_HUNK = re.compile(r"@@ -\d+(?:,\d+)? \+(?P<start>\d+)(?:,\d+)? @@")
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


@dataclass(frozen=True)
class FileChange:
    """One file of the change. `path` is its path at head (at base, for a deleted file)."""

    path: str
    status: Status
    old_path: str | None = None  # the path at base, for a renamed file
    added: dict[int, str] = field(default_factory=dict)  # line number at head -> text
    removed: int = 0
    binary: bool = False

    @property
    def is_new(self) -> bool:
        """The path did not exist at base: the file was added or renamed to it."""
        return self.status in ("added", "renamed")

    @property
    def changed_lines(self) -> int:
        return len(self.added) + self.removed


@dataclass(frozen=True)
class Change:
    base: str
    head: str
    files: list[FileChange]

    @property
    def paths(self) -> list[str]:
        """Every path the change touches: both sides of a rename, as `git diff --no-renames`."""
        out = {f.path for f in self.files} | {f.old_path for f in self.files if f.old_path}
        return sorted(out)

    def file(self, path: str) -> FileChange | None:
        return next((f for f in self.files if f.path == path), None)

    def is_added_line(self, path: str, line: int) -> bool:
        changed = self.file(path)
        return changed is not None and changed.status != "deleted" and line in changed.added


def git_text(git: Git, *args: str, check: bool = True) -> tuple[int, str]:
    """Run git in `git.root` (as every Baton git call: nothing the agent planted runs); paths
    unquoted, output decoded leniently."""
    proc = git.call("-c", "core.quotePath=false", *args)
    if check and proc.returncode != 0:
        detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise WorkspaceError(
            f"git {' '.join(args[:2])} failed in {git.root}: "
            f"{detail[-1] if detail else proc.returncode}"
        )
    return proc.returncode, proc.stdout.decode("utf-8", "replace")


def read_file_at(git: Git, ref: str, path: str) -> str | None:
    """The text of `path` at `ref`, or None when it is not there."""
    code, out = git_text(git, "show", f"{ref}:{path}", check=False)
    return out if code == 0 else None


def files_at(git: Git, ref: str) -> set[str]:
    """Every file path at `ref`."""
    _, out = git_text(git, "ls-tree", "-r", "-z", "--name-only", ref)
    return {p for p in out.split("\0") if p}


def read_change(git: Git, base: str, head: str) -> Change:
    _, patch = git_text(
        git,
        "diff",
        "--unified=0",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "-M",
        "--src-prefix=a/",
        "--dst-prefix=b/",
        base,
        head,
        "--",
        f":(top,exclude){STATE_DIR}",  # Baton's own files are never the agent's work
    )
    return Change(base, head, parse_patch(patch))


def _unquote(text: str) -> str:
    """A path as git writes it: C-quoted (`"a/x\\ty"`) when it holds special characters."""
    if len(text) < 2 or not (text.startswith('"') and text.endswith('"')):
        return text
    body, out, i = text[1:-1], bytearray(), 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in "01234567":
                out.append(int(body[i + 1 : i + 4], 8) & 0xFF)
                i += 4
                continue
            out.append(_ESCAPES.get(nxt, ord(nxt)))
            i += 2
            continue
        out += char.encode("utf-8")
        i += 1
    return out.decode("utf-8", "replace")


def _first_token(text: str) -> str:
    """The first path of a `diff --git` line: a quoted string, or half of `a/P b/P`."""
    if text.startswith('"'):
        i = 1
        while i < len(text) and text[i] != '"':
            i += 2 if text[i] == "\\" else 1
        return _unquote(text[: i + 1])
    half = (len(text) - 1) // 2
    return text[:half]


def _side(text: str, prefix: str) -> str | None:
    """The path of a `---`/`+++` line, without its `a/`/`b/` prefix; None for /dev/null."""
    if text == "/dev/null":
        return None
    if text.endswith("\t"):
        text = text[:-1]  # git ends a name holding a space with a tab (a tab in a name is quoted)
    path = _unquote(text)
    return path.removeprefix(prefix)


@dataclass
class _Builder:
    header: str
    status: Status = "modified"
    old: str | None = None
    new: str | None = None
    added: dict[int, str] = field(default_factory=dict)
    removed: int = 0
    binary: bool = False

    def build(self) -> FileChange:
        fallback = _first_token(self.header).removeprefix("a/")
        if self.status == "deleted":
            return FileChange(self.old or fallback, "deleted", None, {}, self.removed, self.binary)
        path = self.new or fallback
        old = self.old if self.status == "renamed" else None
        return FileChange(path, self.status, old, self.added, self.removed, self.binary)


def parse_patch(patch: str) -> list[FileChange]:
    """Parse `git diff --unified=0` output (with `a/` and `b/` prefixes)."""
    files: list[FileChange] = []
    current: _Builder | None = None
    line_no = 0
    in_hunk = False
    for line in patch.split("\n"):
        if line.startswith("diff --git "):
            if current is not None:
                files.append(current.build())
            current, in_hunk = _Builder(line.removeprefix("diff --git ")), False
            continue
        if current is None:
            continue
        if in_hunk:
            if line.startswith("+"):
                current.added[line_no] = line[1:].removesuffix("\r")
                line_no += 1
            elif line.startswith("-"):
                current.removed += 1
            elif line.startswith(" "):
                line_no += 1
            elif not line.startswith(("\\", "@@")):
                in_hunk = False
        hunk = _HUNK.match(line)
        if hunk:
            in_hunk, line_no = True, int(hunk["start"])
        elif not in_hunk:
            _header_line(current, line)
    if current is not None:
        files.append(current.build())
    return files


def _header_line(current: _Builder, line: str) -> None:
    if line.startswith("new file mode"):
        current.status = "added"
    elif line.startswith("deleted file mode"):
        current.status = "deleted"
    elif line.startswith("rename from "):
        current.status, current.old = "renamed", _unquote(line.removeprefix("rename from "))
    elif line.startswith("rename to "):
        current.new = _unquote(line.removeprefix("rename to "))
    elif line.startswith("--- "):
        current.old = _side(line[4:], "a/") or current.old
    elif line.startswith("+++ "):
        current.new = _side(line[4:], "b/") or current.new
    elif line.startswith("Binary files ") and line.endswith(" differ"):
        current.binary = True
