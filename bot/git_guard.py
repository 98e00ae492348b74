"""Baton's own git never runs what the agent planted.

The working copy, `.git` included, is the agent's to write. Git runs programs named in the
repository's configuration (`core.fsmonitor`, hooks, `filter.<x>.clean` for a `.gitattributes`
line, `diff.<x>.textconv`, `core.sshCommand`, `credential.helper` …), reads more of it wherever
`include.path`, `.git/commondir` or `config.worktree` say, and sends credentials wherever
`url.<x>.insteadOf` points. Baton's git calls run with the secrets of Baton's process, so each of
those would run the agent's program with them, outside any sandbox. Three layers keep it out:

1. **The repository's configuration as Baton found it.** When Baton opens a working copy (before
   any agent ran in it) it keeps the bytes of every file that configures the repository:
   `config`, `config.worktree`, `commondir`, `info/attributes`, and the files their includes
   name. Before each of its git calls it compares them (a few small reads) and writes back any
   that changed, logging `git.config_restored`. This covers every key at once, the
   pattern-named ones too (`filter.<x>.*`, `url.<x>.insteadOf`, `includeIf.<cond>.path`), which
   no `-c` can switch off. The configuration found at opening is trusted: a fresh checkout in
   CI, or the user's own repository (its `filter.lfs`, say, keeps working).
2. **Where git looks is fixed.** The git directory and work tree found at opening are passed on
   every call (`--git-dir`, `--work-tree`): a rewritten `.git` file or `core.worktree` moves
   nothing.
3. **Switched off on the command line**, which wins over every file, whatever the files say:
   fsmonitor, hooks, pagers, askpass, `core.alternateRefsCommand`, signing, recursion into
   submodules, and looking inside nested repositories (git would run `git status` there, with
   *their* configuration: `diff.ignoreSubmodules=dirty`; staging never uses `git add`, which
   does it regardless). `diff`, `show` and `log` get `--no-ext-diff --no-textconv`. The
   environment has none of Baton's secrets: the credential of a push or fetch is added to that
   one call, where no credential helper sees it. `GIT_ALLOW_PROTOCOL` leaves out `ext::` (a
   command line as a URL) and remote helpers; no `GIT_EXTERNAL_DIFF`, no pager, no prompt.

Left to the sandbox: a process the agent leaves running could change the configuration between
Baton's check and git reading it; and git's global and system configuration are the user's.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.errors import WorkspaceError
from bot.secret_names import SECRET_VARIABLES

log = logging.getLogger(__name__)

# Off whatever the repository says (the command line wins over every file): each would run a
# program, or git inside a nested repository, whose configuration is the agent's too.
OVERRIDES = (
    ("core.fsmonitor", "false"),
    ("core.hooksPath", os.devnull),
    ("core.pager", "cat"),
    ("core.askPass", ""),  # empty: no askpass program at all
    ("core.alternateRefsCommand", ""),  # empty: git lists the alternate's refs itself
    ("diff.ignoreSubmodules", "dirty"),  # else `git status` runs inside each nested repository
    ("submodule.recurse", "false"),
    ("fetch.recurseSubmodules", "false"),
    ("push.recurseSubmodules", "no"),
    ("commit.gpgSign", "false"),
    ("tag.gpgSign", "false"),
    ("push.gpgSign", "false"),
    ("log.showSignature", "false"),
)
# Only for the call that carries Baton's credential: an empty value empties the helper list, so
# no helper (the repository's, or a global one) is asked for or told the credential.
CREDENTIAL_OVERRIDES = (("credential.helper", ""),)
# Commands that can run a diff driver or textconv filter.
_DIFFING = frozenset({"diff", "show", "log"})
# Transports git may use: `ext::` runs a command line, `<name>::` a remote helper.
ALLOWED_PROTOCOLS = "file:http:https:ssh"
_SECRETS = frozenset(SECRET_VARIABLES)
# Includes nest at most this deep in git, too.
_MAX_INCLUDE_DEPTH = 10
_INCLUDE = r"^include(if\..*)?\.path$"


def git_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment for Baton's git: Baton's own (`environ`), without its secrets (a push or
    fetch adds its credential to its own call). Made twice, it is the same."""
    env = {k: v for k, v in environ.items() if k not in _SECRETS}
    env.pop("GIT_EXTERNAL_DIFF", None)
    env.setdefault("GIT_ALLOW_PROTOCOL", ALLOWED_PROTOCOLS)
    # A replace ref (`refs/replace/<id>`, which the agent can write) would make git read another
    # object for the base commit: the conventions, the diff, the files Baton reads.
    return {**env, "GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat", "GIT_NO_REPLACE_OBJECTS": "1"}


def git_argv(args: tuple[str, ...], *, location: list[str], credentials: bool = False) -> list[str]:
    """`git ARGS` with everything planted switched off (`location`: `--git-dir`/`--work-tree`)."""
    overrides = OVERRIDES + (CREDENTIAL_OVERRIDES if credentials else ())
    options = [arg for key, value in overrides for arg in ("-c", f"{key}={value}")]
    return ["git", "--no-pager", *location, *options, *_no_drivers(args)]


def _no_drivers(args: tuple[str, ...]) -> list[str]:
    """`args` with `--no-ext-diff --no-textconv` after a diffing command: a `.gitattributes`
    line may name a diff driver defined in trusted configuration, fed with the agent's files."""
    out = list(args)
    i = 0
    while i < len(out) and out[i].startswith("-"):
        i += 2 if out[i] in {"-c", "-C"} else 1
    if i < len(out) and out[i] in _DIFFING:
        out[i + 1 : i + 1] = ["--no-ext-diff", "--no-textconv"]
    return out


@dataclass(frozen=True)
class Saved:
    """A file's bytes and permission bits, as Baton found them."""

    content: bytes
    mode: int


@dataclass(frozen=True)
class Repository:
    """A working copy as Baton opened it: where its git directory is, and the files that
    configured it then (None: the file was not there)."""

    git_dir: Path
    common_dir: Path
    work_tree: Path
    files: Mapping[Path, Saved | None]

    @property
    def location(self) -> list[str]:
        return [f"--git-dir={self.git_dir}", f"--work-tree={self.work_tree}"]

    def restore(self) -> list[Path]:
        """Write back every configuration file that changed since opening; returns them."""
        changed = [path for path, saved in self.files.items() if not _same(path, saved)]
        for path in changed:
            try:
                _put(path, self.files[path])
            except OSError as exc:
                raise WorkspaceError(
                    f"{path} changed since Baton opened {self.work_tree} and cannot be put back: {exc}",
                    hint="check the working copy's .git directory; Baton runs no git in it until then",
                ) from exc
        if changed:
            log.warning(
                "git.config_restored",
                extra={"work_tree": str(self.work_tree), "files": [str(p) for p in changed]},
            )
        return changed


def open_repository(
    root: Path, env: Mapping[str, str], *, anywhere_inside: bool
) -> Repository | None:
    """The working copy at `root` (or the one `root` is inside, with `anywhere_inside`), its
    configuration saved as it is now; None when there is none. `env`: git's (`git_env`)."""
    proc = subprocess.run(
        git_argv(
            (
                "rev-parse",
                "--path-format=absolute",
                "--git-dir",
                "--git-common-dir",
                "--show-toplevel",
            ),
            location=[],
        ),
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = proc.stdout.splitlines()
    if proc.returncode != 0 or len(lines) != 3:
        return None
    git_dir, common_dir, top = (Path(line) for line in lines)
    if not anywhere_inside and top.resolve() != root.resolve():
        return None  # `root` is not a working copy (yet): git found an enclosing one
    paths = [
        common_dir / "config",
        git_dir / "config.worktree",
        git_dir / "commondir",
        common_dir / "info" / "attributes",
    ]
    paths += _included(paths[:2], env)
    files = {path: _saved(path) for path in dict.fromkeys(paths)}
    return Repository(git_dir, common_dir, top, files)


def _included(configs: list[Path], env: Mapping[str, str], depth: int = 0) -> list[Path]:
    """Every file the `include.path` and `includeIf.<condition>.path` of `configs` name, whatever
    the condition says now (a branch Baton checks out later may meet it), recursively."""
    found: list[Path] = []
    for config in configs:
        if depth >= _MAX_INCLUDE_DEPTH or not config.is_file() or not _may_include(config):
            continue
        # --file with --no-includes reads that one file and runs nothing.
        proc = subprocess.run(
            git_argv(
                ("config", "--file", str(config), "--no-includes", "-z", "--get-regexp", _INCLUDE),
                location=[],
            ),
            cwd=config.parent,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        targets = []
        for entry in proc.stdout.split("\0"):
            _, _, value = entry.partition("\n")
            if value:
                path = Path(value).expanduser()
                targets.append(path if path.is_absolute() else config.parent / path)
        found += targets + _included(targets, env, depth + 1)
    return found


def _may_include(config: Path) -> bool:
    """Whether the file can hold an include: its section is named `include` or `includeIf`, and
    git reads section names as written, in any case (no escapes, no line continuations)."""
    try:
        return b"include" in config.read_bytes().lower()
    except OSError:
        return True  # git says what it can read


def _saved(path: Path) -> Saved | None:
    try:
        return Saved(path.read_bytes(), path.stat().st_mode & 0o777)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise WorkspaceError(f"cannot read {path}: {exc}") from exc


def _same(path: Path, saved: Saved | None) -> bool:
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        return saved is None
    except OSError:
        return False  # a directory or a broken link where a file was: put the file back
    return saved is not None and content == saved.content


def _put(path: Path, saved: Saved | None) -> None:
    """Make `path` what it was; never write through a link the agent put there."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    if saved is None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(saved.content)
        Path(tmp).chmod(saved.mode)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
