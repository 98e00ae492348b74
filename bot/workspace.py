"""The working copy, through real git. Baton's own git calls never run what an agent could have
planted in the repository (`bot.git_guard`) and commit under Baton's name."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.errors import WorkspaceError
from bot.git_guard import Repository, git_argv, git_env, open_repository
from bot.state_dir import STATE_DIR, in_state_dir

_IDENTITY = {
    "GIT_AUTHOR_NAME": "Baton",
    "GIT_AUTHOR_EMAIL": "baton@users.noreply.localhost",
    "GIT_COMMITTER_NAME": "Baton",
    "GIT_COMMITTER_EMAIL": "baton@users.noreply.localhost",
}
# A commit named by its object id (SHA-1 or SHA-256): the files it holds never change.
_OBJECT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
# `git status --porcelain=v2` entries: how many fields come before the path, by kind (`1`
# changed, `2` renamed or copied, `u` unmerged, `?` untracked).
_FIELDS_BEFORE_PATH = {b"1": 8, b"2": 9, b"u": 10, b"?": 1}


@dataclass(frozen=True)
class Status:
    """Where the working copy is: its HEAD (None before the first commit), the branch checked
    out, and the paths that differ from HEAD, Baton's state left out."""

    head: str | None
    branch: str | None  # None: HEAD is detached
    dirty: list[str]


def decoded(data: bytes | None) -> str:
    """Git's output (or a file's bytes, "" for none) as text, as `subprocess.run(text=True)`
    reads it, but never failing on bytes that are not UTF-8 (a file's content or name)."""
    text = (data or b"").decode("utf-8", "replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


class Git:
    """A git working copy. Every call runs with what the agent could have planted in the
    repository switched off (see `bot.git_guard`), in Baton's environment (`environ`, given once
    by the entry point) without Baton's secrets."""

    def __init__(self, root: Path, environ: Mapping[str, str]) -> None:
        self.root = root
        self.env = git_env(environ)
        # Found at the first call that sees a working copy at `root` (`git init` makes one).
        self._repo: Repository | None = None
        # (commit id, path) -> the file's bytes there (None: no file), read once (`files_at`).
        self._files: dict[tuple[str, str], bytes | None] = {}

    def run_env(self, env: dict[str, str], *args: str) -> str:
        """Like `run`, with a credential in the environment of this one call (never in argv)."""
        return self.run(*args, extra_env=env)

    def run(
        self,
        *args: str,
        check: bool = True,
        strip: bool = True,
        extra_env: dict[str, str] | None = None,
    ) -> str:
        proc = self.call(*args, extra_env=extra_env)
        if check:
            self._check(args, proc)
        out = decoded(proc.stdout)
        return out.strip() if strip else out

    def call(
        self, *args: str, extra_env: dict[str, str] | None = None, stdin: bytes | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        """Run git here and return what it did, as bytes; `extra_env` carries a credential."""
        repo = self._repository()
        if repo is not None:
            repo.restore()
        argv = git_argv(args, location=repo.location if repo else [], credentials=bool(extra_env))
        return subprocess.run(
            argv,
            cwd=self.root,
            env={**self.env, **_IDENTITY, **(extra_env or {})},
            input=stdin,
            capture_output=True,
            check=False,
        )

    def _repository(self) -> Repository | None:
        if self._repo is None and self.root.is_dir():
            self._repo = open_repository(self.root, self.env, anywhere_inside=False)
        return self._repo

    @classmethod
    def open(cls, root: Path, environ: Mapping[str, str]) -> Git:
        """The working copy `root` is in, its configuration kept as it is now (see
        `bot.git_guard`)."""
        env = git_env(environ)
        repo = open_repository(root, env, anywhere_inside=True) if root.is_dir() else None
        if repo is None:
            raise WorkspaceError(
                f"{root} is not a git working copy",
                hint="run baton in a git repository or pass --repo",
            )
        git = cls(repo.work_tree, env)
        git._repo = repo
        return git

    def open_at(self, root: Path) -> Git:
        """The working copy at `root` (a worktree of this one, say), opened as `open` does, its
        git run in the same environment."""
        return Git.open(root, self.env)

    def head(self) -> str:
        return self.run("rev-parse", "HEAD")

    def branch(self) -> str | None:
        name = self.run("symbolic-ref", "--short", "-q", "HEAD", check=False)
        return name or None

    def has_commits(self) -> bool:
        return bool(self.run("rev-parse", "-q", "--verify", "HEAD", check=False))

    def dirty_files(self) -> list[str]:
        return self.status().dirty

    def status(self) -> Status:
        """HEAD, its branch and the uncommitted paths, from one `git status`."""
        out = self._output(
            "status",
            "--porcelain=v2",
            "-z",
            "--branch",
            "--no-ahead-behind",
            "--untracked-files=all",
            "--ignore-submodules=dirty",
        )
        head, branch, dirty = None, None, []
        entries = iter(out.split(b"\0"))
        for entry in entries:
            kind = entry[:1]
            if entry.startswith(b"# branch.oid ") and entry != b"# branch.oid (initial)":
                head = entry.removeprefix(b"# branch.oid ").decode()
            elif entry.startswith(b"# branch.head ") and entry != b"# branch.head (detached)":
                branch = decoded(entry.removeprefix(b"# branch.head "))
            elif kind in _FIELDS_BEFORE_PATH:
                path = decoded(entry.split(b" ", _FIELDS_BEFORE_PATH[kind])[-1])
                if kind == b"2":
                    next(entries)  # the path it had before
                if not in_state_dir(path):
                    dirty.append(path)
        return Status(head, branch, dirty)

    def checkout_branch(self, branch: str, start: str) -> None:
        """Point `branch` at `start` and check it out (re-running this is harmless)."""
        # --no-track: Baton's git writes no configuration (any change to it is put back).
        self.run("checkout", "-q", "--no-track", "-B", branch, start)

    def switch(self, branch: str) -> None:
        self.run("checkout", "-q", branch)

    def commit_all(self, message: str) -> str:
        """Commit everything in the working copy (but Baton's state); returns HEAD either way."""
        self._stage_all()
        listed = self._output("diff", "--cached", "--name-only", "--no-renames", "-z")
        staged = [path for path in listed.split(b"\0") if path]
        # `.baton/` as HEAD has it, whatever the agent staged there itself: a repository that
        # committed Baton's files by mistake keeps them as they were, neither changed nor deleted
        # by the agent's commit.
        if any(in_state_dir(path) for path in staged):
            self.run("reset", "-q", "--", STATE_DIR)
        if any(not in_state_dir(path) for path in staged):
            self.run("commit", "-q", "--no-verify", "-m", message)
        return self.head()

    def _stage_all(self) -> None:
        """What `git add -A` does, Baton's state left out, without `git add`: for each nested
        repository the index tracks, it runs `git status` in there, with that repository's
        configuration (the agent's to write, filters and all) and no way to turn that off."""
        # Changed and deleted tracked paths (a nested repository by its HEAD only, as
        # `--ignore-submodules=dirty` has it), then the new ones.
        listed = self._output(
            "ls-files", "-z", "--modified", "--deleted", "--others", "--exclude-standard"
        )
        # A new nested repository is listed as `dir/`; it is staged as `dir`, by its HEAD. A
        # deleted path is listed twice (deleted and modified), an unmerged one once a stage.
        paths = [
            path
            for path in dict.fromkeys(p.removesuffix(b"/") for p in listed.split(b"\0") if p)
            if not in_state_dir(path)
        ]
        if paths:
            update = ("update-index", "-z", "--add", "--remove", "--replace", "--stdin")
            self._output(*update, stdin=b"\0".join(paths) + b"\0")

    def _output(self, *args: str, stdin: bytes | None = None) -> bytes:
        """Stdout of a git call whose output is paths (`-z`: bytes, exactly as git has them)."""
        proc = self.call(*args, stdin=stdin)
        self._check(args, proc)
        return proc.stdout

    def _check(self, args: tuple[str, ...], proc: subprocess.CompletedProcess[bytes]) -> None:
        if proc.returncode != 0:
            detail = decoded(proc.stderr or proc.stdout).strip().splitlines()
            raise WorkspaceError(
                f"git {' '.join(args[:2])} failed in {self.root}: {detail[-1] if detail else proc.returncode}"
            )

    def files_at(self, commit: str, paths: Iterable[str]) -> dict[str, bytes | None]:
        """Each of `paths` as `commit` has it (None: no file there), read with one `git cat-file
        --batch`; remembered when `commit` is an object id."""
        wanted = list(dict.fromkeys(paths))
        unknown = [path for path in wanted if (commit, path) not in self._files]
        read = dict(
            zip(unknown, self._blobs([f"{commit}:{path}" for path in unknown]), strict=True)
        )
        if _OBJECT_ID.fullmatch(commit):
            self._files.update(((commit, path), blob) for path, blob in read.items())
        return {path: read[path] if path in read else self._files[commit, path] for path in wanted}

    def _blobs(self, names: list[str]) -> list[bytes | None]:
        """The content of each blob `names` name, in order (None: no blob by that name)."""
        if not names:
            return []
        if any("\n" in name for name in names):  # the batch takes one name a line
            return [self._blob(name) for name in names]
        out = self._output("cat-file", "--batch", stdin="".join(f"{n}\n" for n in names).encode())
        blobs: list[bytes | None] = []
        at = 0
        for _ in names:
            end = out.index(b"\n", at)
            header = out[at:end].split(b" ")  # `<id> <type> <size>`, or `<name> missing`
            at = end + 1
            if header[-1] in (b"missing", b"ambiguous"):
                blobs.append(None)
                continue
            size = int(header[-1])
            blobs.append(out[at : at + size] if header[-2] == b"blob" else None)
            at += size + 1
        return blobs

    def _blob(self, name: str) -> bytes | None:
        proc = self.call("cat-file", "blob", name)
        return proc.stdout if proc.returncode == 0 else None

    def changed_files(self, base: str, head: str = "HEAD") -> list[str]:
        out = self.run("diff", "--name-only", "--no-renames", f"{base}..{head}")
        return [line for line in out.splitlines() if line]

    def diff(self, base: str, head: str = "HEAD") -> str:
        return self.run("diff", "--no-color", "--no-ext-diff", f"{base}..{head}")

    def reset_to(self, commit: str) -> None:
        """Make the working copy exactly `commit` (tracked and untracked files; not `.baton/`,
        which a repository may have committed by mistake: the live state stays)."""
        self.run("reset", "-q", "--soft", commit)
        everything_but_state = (":/", f":(top,exclude){STATE_DIR}")
        self.run(
            "restore", "--source", commit, "--staged", "--worktree", "--", *everything_but_state
        )
        self.run("clean", "-q", "-fd", "-e", f"/{STATE_DIR}/")
