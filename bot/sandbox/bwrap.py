"""The bubblewrap adapter: every agent call and test command in namespaces of its own.

- its own PID namespace: Baton's processes, and their `/proc/<pid>/environ`, are not there;
  when the namespace's first process dies (`--die-with-parent`: when Baton dies), every process
  in it dies too;
- no capabilities, even as root: with them a command could unmount what hides HOME;
- the system read-only, a private `/tmp`; the working copy writable, but its `.git` read-only
  (Baton's own git reads it) and Baton's `.baton/` hidden;
- the real HOME hidden, the tool directories on PATH back read-only, the agent's own HOME
  writable (see `bot.sandbox.home`); the user's agent sockets (`/run/user`), the Docker socket
  and mounted secrets hidden;
- no network for the test command unless the configuration allows it.

The environment reaches bwrap through exec, not as `--setenv` arguments: a process's arguments
can be read by every user of the machine (`/proc/<pid>/cmdline`), its environment cannot.
bwrap passes its environment on as it is, so the command sees exactly the caller's.
"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.errors import ConfigError
from bot.sandbox.home import AgentFiles, agent_home, credentials_inside, tool_root, tool_roots
from bot.sandbox.port import Command, Confinement, as_user, with_env
from bot.state_dir import STATE_DIR

# Inside the sandbox /tmp is a tmpfs of its own, so fixed names in it are safe.
PRIVATE_TMP = "/tmp"  # noqa: S108
# A throwaway HOME for the test command.
SCRATCH_HOME = f"{PRIVATE_TMP}/baton-home"
# Made anew inside (`--tmpfs /tmp`, `--dev /dev`): what the machine has there is out of sight
# (a TMPDIR in /dev/shm, say) unless brought back, and never shown whole.
_FRESH = (Path(PRIVATE_TMP), Path("/dev"))
# Paths of the machine that grant more than files do: the user's ssh/gpg agents and session
# bus (/run/user/<uid>), the Docker daemon (root on the host), secrets mounted by a container
# runtime or Kubernetes. A socket on a read-only mount still answers.
_PRIVATE = ("/run/user", "/run/docker.sock", "/run/podman", "/run/secrets", "/var/run/secrets")
_PROBE = (
    "--die-with-parent",
    "--unshare-pid",
    "--unshare-ipc",
    "--unshare-net",
    "--cap-drop",
    "ALL",
    "--ro-bind",
    "/",
    "/",
    "--dev",
    "/dev",
    "--proc",
    "/proc",
    "--tmpfs",
    PRIVATE_TMP,
)


def probe(executable: str) -> str | None:
    """None when bwrap makes the namespaces Baton asks for on this machine; else bwrap's own
    words for why not (no user namespaces for this user, a container without privileges)."""
    try:
        proc = subprocess.run(
            [executable, *_PROBE, "--", "/bin/sh", "-c", ":"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    if proc.returncode == 0:
        return None
    lines = proc.stderr.strip().splitlines()
    return lines[-1] if lines else f"exit {proc.returncode}"


@dataclass(frozen=True)
class BwrapSandbox:
    executable: str
    hidden_homes: tuple[Path, ...]  # the real HOME, and the account's when it differs
    tools: tuple[Path, ...]  # tool directories under them that come back read-only
    private: tuple[Path, ...]  # sockets and secrets of the machine, hidden
    real_home: Path | None  # where an agent's own files are copied from
    root: bool = False  # Baton runs as root

    @classmethod
    def here(
        cls,
        executable: str,
        *,
        homes: Sequence[Path],
        path_dirs: Sequence[Path],
        prefixes: Sequence[Path] = (),
        real_home: Path | None,
        root: bool,
    ) -> BwrapSandbox:
        """The sandbox for this machine: what to hide and what to bring back is looked up once."""
        hidden = tuple(dict.fromkeys(h for h in homes if h.is_dir() and h != Path("/")))
        tools = tuple(tool_roots(hidden, path_dirs, prefixes))
        return cls(
            executable=executable,
            hidden_homes=hidden,
            tools=tools,
            private=tuple(dict.fromkeys(Path(p).resolve() for p in _PRIVATE if Path(p).exists())),
            real_home=real_home,
            root=root,
        )

    @property
    def active(self) -> bool:
        return True

    def agent_home(self, homes_dir: Path, chain: str, files: AgentFiles) -> Path | None:
        return agent_home(homes_dir, chain, files, self.real_home)

    def wrap(self, argv: Sequence[str], confinement: Confinement) -> Command:
        c = confinement
        workdir = c.workdir.absolute()
        for home in self.hidden_homes:
            if home.is_relative_to(workdir):
                raise ConfigError(
                    f"the working copy {workdir} holds the home directory {home}, which the "
                    "sandbox must hide from agents and test commands",
                    hint="work in a repository outside it, or set `sandbox: off`",
                )
        own_home = str(c.home) if c.home is not None else SCRATCH_HOME
        tools = [*self.tools, *self._tools_of(argv[0] if argv else "")]
        env = {k: self._moved(v, own_home, tools) for k, v in c.env.items()}
        env["HOME"] = own_home
        if "TMPDIR" in env:
            env["TMPDIR"] = PRIVATE_TMP  # the one place to write temporary files inside
        inner, outer = list(argv), []
        flags = ["--die-with-parent", "--unshare-pid", "--unshare-ipc", "--cap-drop", "ALL"]
        if not c.network:
            flags.append("--unshare-net")
        if c.user is not None and self.root:
            # runuser inside needs these two capabilities; the user's own process has none.
            inner = [*as_user(c.user, root=True), *with_env(env), *inner]
            flags += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        elif c.user is not None:
            # sudo cannot raise privileges inside (bwrap forbids it): the switch comes first,
            # and bwrap runs as the user, with what that user may read.
            outer = [*as_user(c.user, root=False), *with_env(env)]
        shared = _anyone_may_read if outer else _always
        tools = [t for t in tools if shared(t)]
        mounts = self._system(tools)
        # Each once: a second bind of a file over the directory bound after it cannot be made.
        wanted = dict.fromkeys(c.readable)
        readable = [p for p in wanted if p.exists() and shared(p) and self._may_show(p)]
        for path in readable:
            mounts += self._readable(path, tools)
        for secret in credentials_inside(self.hidden_homes, [p for p in readable if p.is_dir()]):
            mounts += _hide(secret)
        mounts += _working_copy(workdir, shared)
        if c.home is not None:
            mounts += ["--bind", str(c.home), str(c.home)]
        else:
            # Written by the user the command runs as, whoever that is: nobody else is inside.
            mounts += ["--perms", "0777" if c.user else "0700", "--dir", SCRATCH_HOME]
        mounts += ["--chdir", str(workdir)]
        return Command([*outer, self.executable, *flags, *mounts, "--", *inner], env)

    def _system(self, tools: list[Path]) -> list[str]:
        """The machine read-only, a private /tmp, the homes hidden but for `tools`."""
        mounts = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
        mounts += ["--perms", "1777", "--tmpfs", PRIVATE_TMP]
        for path in self.private:
            mounts += _hide(path)
        for home in self.hidden_homes:
            mounts += ["--tmpfs", str(home)]
        for tool in tools:
            mounts += _ro(tool)
        for secret in credentials_inside(self.hidden_homes, tools):
            mounts += _hide(secret)
        return mounts

    def _may_show(self, path: Path) -> bool:
        """False for a directory that holds a hidden HOME (`/`, `/tmp`, `/home`) or is a HOME or
        one of its shared directories (`~/.config`): never shown whole, whoever asks."""
        if not path.is_dir():
            return True
        found = path.resolve()
        if found == Path("/") or found in _FRESH:
            return False
        for home in self.hidden_homes:
            if home.is_relative_to(found):
                return False
            if found.is_relative_to(home) and tool_root(home, found) is None:
                return False
        return True

    def _readable(self, path: Path, tools: list[Path]) -> list[str]:
        """`path` readable inside at its place when it would be hidden there. A link is followed:
        its target comes back where it is (bwrap cannot mount over a link to a hidden place),
        and the link itself, when it is in a hidden place, as its target."""
        target = path.resolve()
        mounts = _ro(target) if self._hidden(target, tools) else []
        if target != path and self._hidden(path.parent.resolve(), tools):
            mounts += ["--ro-bind", str(target), str(path)]
        return mounts

    def _hidden(self, path: Path, tools: list[Path]) -> bool:
        """True when `path` is out of sight inside: in the private /tmp, the fresh /dev or a hidden
        HOME, and in no tool directory that comes back."""
        places = [*_FRESH, *self.hidden_homes]
        return any(path.is_relative_to(p) for p in places) and not any(
            path.is_relative_to(t) for t in tools
        )

    def _moved(self, value: str, home: str, tools: list[Path]) -> str:
        """A variable naming a place in the real HOME (`CODEX_HOME`, `XDG_CONFIG_HOME`) names
        the same place in the HOME inside, where the agent's own files were copied; one in a
        tool directory that comes back, or a list of places (PATH), stays as it is."""
        path = Path(value)
        if ":" in value or not path.is_absolute() or any(path.is_relative_to(t) for t in tools):
            return value
        for hidden in self.hidden_homes:
            if path.is_relative_to(hidden):
                return str(Path(home) / path.relative_to(hidden))
        return value

    def _tools_of(self, program: str) -> list[Path]:
        """The tool directory of a program that lives in a hidden HOME (an agent CLI named by
        its path, or linked from a directory on PATH to its installation)."""
        path = Path(program)
        if not path.is_absolute():
            return []
        found = []
        for candidate in (path, path.resolve()):
            for home in self.hidden_homes:
                root = tool_root(home, candidate)
                if root is not None and root.exists() and root not in self.tools:
                    found.append(root)
        return found


def _ro(path: Path) -> list[str]:
    return ["--ro-bind", str(path), str(path)]


def _hide(path: Path) -> list[str]:
    if path.is_dir() and not path.is_symlink():
        return ["--tmpfs", str(path)]
    return ["--ro-bind", os.devnull, str(path)]


def _working_copy(workdir: Path, shared: Callable[[Path], bool]) -> list[str]:
    """The working copy writable; its git data read-only (Baton's own git reads it); Baton's
    state (`.baton/`: the chain's state, the run lock, the agents' HOMEs) hidden."""
    mounts = ["--bind", str(workdir), str(workdir)]
    git = workdir / ".git"
    if git.exists():
        mounts += _ro(git)
        mounts += [arg for d in _git_dirs(workdir) if shared(d) for arg in _ro(d)]
    if (workdir / STATE_DIR).exists():
        mounts += ["--tmpfs", str(workdir / STATE_DIR)]
    return mounts


def _git_dirs(workdir: Path) -> list[Path]:
    """Where a worktree's git data lives (its `.git` is a file naming it): it must be readable
    inside, and it must stay read-only like a `.git` directory."""
    git = workdir / ".git"
    if not git.is_file():
        return []
    text = git.read_text(encoding="utf-8", errors="replace").strip()
    if not text.startswith("gitdir:"):
        return []
    gitdir = (workdir / text.removeprefix("gitdir:").strip()).resolve()
    found = [gitdir] if gitdir.is_dir() else []
    common = gitdir / "commondir"
    if common.is_file():
        commondir = (gitdir / common.read_text(encoding="utf-8").strip()).resolve()
        if commondir.is_dir() and not gitdir.is_relative_to(commondir):
            found.append(commondir)
        elif commondir.is_dir():
            found = [commondir]
    return found


def _always(path: Path) -> bool:
    del path
    return True


def _anyone_may_read(path: Path) -> bool:
    """True when any user can reach and read `path`: bwrap, run as another user, can bind
    only what that user can open."""
    try:
        for parent in reversed(path.parents):
            if not parent.stat().st_mode & stat.S_IXOTH:
                return False
        mode = path.stat().st_mode
    except OSError:
        return False
    wanted = stat.S_IROTH | (stat.S_IXOTH if stat.S_ISDIR(mode) else 0)
    return mode & wanted == wanted


def home_dirs(environ: Mapping[str, str], account_home: str | None) -> list[Path]:
    """The homes to hide: HOME as Baton was given it, and the account's own."""
    return [Path(h) for h in (environ.get("HOME"), account_home) if h and Path(h).is_absolute()]
