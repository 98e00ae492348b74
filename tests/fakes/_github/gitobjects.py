"""The fake GitHub's object database, without a git process per API call.

Objects are written as git writes loose objects (`<type> <size>\\0<body>`, SHA-1 named,
zlib-compressed under `objects/xx/`), so `git` reads them as its own; `test_fake_git_objects.py`
checks each shape against `git hash-object`, `git mktree` and `git commit-tree`. Objects and
names are read through one `git cat-file --batch-command` kept for the repository's life, so
revision syntax and ref lookup stay git's own. A suite run made ~23,000 git processes here before.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
import threading
import weakref
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO

# What a tree entry's mode says its object is (as `git mktree` checks it).
MODE_TYPES = {"100644": "blob", "100755": "blob", "120000": "blob", "040000": "tree"}
MODE_TYPES |= {"160000": "commit"}
# Characters git trims from both ends of an identity (ident.c `crud`); such names, and names
# with the characters it strips inside, are left to `git commit-tree` itself.
_CRUD = " .,:;<>\"\\'"


class ObjectError(Exception):
    """An object could not be read or written; the message says which and why."""


class ObjectStore:
    def __init__(self, git_dir: Path, env: Mapping[str, str]) -> None:
        self._objects = git_dir / "objects"
        self._git_dir = git_dir
        self._env = dict(env)
        self._lock = threading.Lock()
        self._reader: subprocess.Popen[bytes] | None = None
        self._types: dict[str, str] = {}  # objects never change: what is known stays true

    # ---- writing --------------------------------------------------------------------------------

    def write(self, kind: str, body: bytes) -> str:
        data = f"{kind} {len(body)}\0".encode() + body
        sha = hashlib.sha1(data, usedforsecurity=False).hexdigest()
        path = self._objects / sha[:2] / sha[2:]
        if not path.exists():
            path.parent.mkdir(exist_ok=True)
            fd, name = tempfile.mkstemp(dir=path.parent, prefix="tmp_obj_")
            with os.fdopen(fd, "wb") as out:
                out.write(zlib.compress(data, 1))
            temp = Path(name)
            temp.chmod(0o444)  # as git leaves its objects
            temp.replace(path)
        self._types[sha] = kind
        return sha

    def write_tree(self, entries: Iterable[tuple[str, str, str, str]]) -> str:
        """(mode, type, sha, name) entries, in any order, as `git mktree` takes them."""
        rows, names = [], set()
        for mode, kind, sha, name in entries:
            if MODE_TYPES.get(mode) != kind:
                raise ObjectError(f"entry '{name}': mode {mode} is not a {kind}")
            if not name or "/" in name or name in (".", "..") or "\0" in name:
                raise ObjectError(f"entry '{name}': not a name git allows in a tree")
            if name in names:
                raise ObjectError(f"entry '{name}' is named twice")
            names.add(name)
            # git orders a tree's entries by name, a subtree's name read with a trailing "/".
            key = name.encode() + (b"/" if kind == "tree" else b"")
            rows.append((key, f"{int(mode, 8):o} {name}\0".encode() + bytes.fromhex(sha)))
        rows.sort()
        return self.write("tree", b"".join(row for _, row in rows))

    @staticmethod
    def commit_body(
        tree: str, parents: Iterable[str], idents: Mapping[str, str], message: str
    ) -> bytes | None:
        """The commit `git commit-tree` writes, or None when git would rewrite an identity."""
        for ident in idents.values():
            name, _, rest = ident.partition(" <")
            email = rest.split(">", 1)[0]
            for part in (name, email):
                if not part or part[0] in _CRUD or part[-1] in _CRUD:
                    return None
                if any(c in part for c in "<>\n"):
                    return None
        # git drops a parent named twice (with a warning), keeping the first.
        lines = [f"tree {tree}", *(f"parent {p}" for p in dict.fromkeys(parents))]
        lines += [f"author {idents['author']}", f"committer {idents['committer']}"]
        return ("\n".join(lines) + "\n\n" + message).encode()

    # ---- reading --------------------------------------------------------------------------------

    def kind(self, sha: str) -> str | None:
        """The type of the object with this full SHA, or None if there is none."""
        if sha not in self._types:
            found = self.info(sha)
            if found is None:
                return None
            self._types[sha] = found[1]
        return self._types[sha]

    def info(self, name: str) -> tuple[str, str, int] | None:
        """(sha, type, size) of the object `name` names (any revision syntax), or None."""
        return _parse(self._ask(f"info {name}"))

    def read(self, name: str) -> tuple[str, str, bytes] | None:
        """(sha, type, body) of the object `name` names, or None."""
        with self._lock:
            answer = self._send(f"contents {name}")
            parsed = _parse(answer.readline()) if answer else None
            if answer is None or parsed is None:
                return None
            sha, kind, size = parsed
            body = answer.read(size + 1)[:-1]
        self._types[sha] = kind
        return sha, kind, body

    def _ask(self, command: str) -> bytes:
        with self._lock:
            answer = self._send(command)
            return answer.readline() if answer else b""

    def _send(self, command: str) -> IO[bytes] | None:
        """Send one command (the lock held); None for a name no command line can carry."""
        name = command.partition(" ")[2]
        if not name or name != name.strip() or "\n" in name:
            return None
        reader = self._start()
        assert reader.stdin is not None
        assert reader.stdout is not None
        reader.stdin.write(command.encode() + b"\n")
        reader.stdin.flush()
        return reader.stdout

    def _start(self) -> subprocess.Popen[bytes]:
        if self._reader is None or self._reader.poll() is not None:
            self._reader = subprocess.Popen(
                ["git", f"--git-dir={self._git_dir}", "cat-file", "--batch-command"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=self._env,
            )
            weakref.finalize(self, _stop, self._reader)
        return self._reader

    def close(self) -> None:
        with self._lock:
            if self._reader is not None:
                _stop(self._reader)
                self._reader = None


def _parse(header: bytes) -> tuple[str, str, int] | None:
    fields = header.decode(errors="replace").split()
    if len(fields) != 3 or fields[1] not in ("blob", "tree", "commit", "tag"):
        return None
    return fields[0], fields[1], int(fields[2])


def _stop(reader: subprocess.Popen[bytes]) -> None:
    if reader.poll() is None:
        assert reader.stdin is not None
        reader.stdin.close()
        try:
            reader.wait(timeout=5)
        except subprocess.TimeoutExpired:
            reader.kill()
            reader.wait()
    if reader.stdout is not None:
        reader.stdout.close()
